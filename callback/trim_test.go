package callback_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The suite_ticket sample of doc 90628 has a space before the CDATA of
// InfoType.
const officialTicketSample = `<xml>
	<SuiteId><![CDATA[ww4asffe99e54c0fxxxx]]></SuiteId>
	<InfoType> <![CDATA[suite_ticket]]></InfoType>
	<TimeStamp>1403610513</TimeStamp>
	<SuiteTicket><![CDATA[asdfasfdasdfasdf]]></SuiteTicket>
</xml>`

func TestEnumElementsAreTrimmed(t *testing.T) {
	ev, err := callback.ParseEvent([]byte(officialTicketSample))
	require.NoError(t, err)
	st, ok := ev.(*callback.SuiteTicketEvent)
	require.True(t, ok, "parsed as %T (kind %q)", ev, ev.Header().Kind())
	assert.Equal(t, callback.KindSuiteTicket, st.Kind())
	assert.Equal(t, "asdfasfdasdfasdf", st.SuiteTicket)
	assert.Equal(t, "ww4asffe99e54c0fxxxx", st.SuiteID)

	ev, err = callback.ParseEvent([]byte("<xml><ToUserName> ww1 </ToUserName><MsgType>\n<![CDATA[event]]>\n</MsgType>" +
		"<Event> change_external_chat</Event><ChangeType><![CDATA[update ]]></ChangeType><ChatId>c1</ChatId>" +
		"<UpdateDetail> add_member </UpdateDetail><MemChangeList><Item> wm1 </Item></MemChangeList><Name> keeps spaces </Name></xml>"))
	require.NoError(t, err)
	chat, ok := ev.(*callback.ExternalChatEvent)
	require.True(t, ok, "parsed as %T", ev)
	assert.Equal(t, callback.ChangeChatUpdate, chat.ChangeType)
	assert.Equal(t, callback.UpdateAddMember, chat.UpdateDetail)
	assert.Equal(t, []string{"wm1"}, chat.MemChangeList)
	assert.Equal(t, "ww1", chat.CorpID())
}

// Through the command handler, the official sample's ticket is stored.
func TestOfficialTicketSampleIsStored(t *testing.T) {
	srv := wecomtest.NewServer(t)
	const suiteID = "ww4asffe99e54c0fxxxx"
	srv.AddSuite(suiteID, suiteTestSecret)
	store := wecom.NewMemoryStore()
	in := newInstance(t, srv, suiteID, wecomtest.NewEncodingAESKey(), store, callback.WithLogger(suiteQuiet))
	_, err := in.cb.Pusher().Push(context.Background(), []byte(officialTicketSample))
	require.NoError(t, err)
	assert.Equal(t, "asdfasfdasdfasdf", storedTicket(t, store, suiteID))
}
