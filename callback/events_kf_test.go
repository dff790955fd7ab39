package callback_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// 94670's sample push, by the fast scanner and by encoding/xml (a comment
// makes the scanner give up): the same typed event.
func TestKFMsgOrEventParses(t *testing.T) {
	t.Parallel()
	const body = `<ToUserName><![CDATA[ww12345678910]]></ToUserName>
<CreateTime>1348831860</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[kf_msg_or_event]]></Event>
<Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token>
<OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId>`
	for _, xml := range []string{"<xml>" + body + "</xml>", "<xml><!-- fallback -->" + body + "</xml>"} {
		e := parse[*callback.KFMsgOrEventEvent](t, xml)
		assert.Equal(t, callback.KindKFMsgOrEvent, e.Kind())
		assert.Equal(t, "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR", e.Token)
		assert.Equal(t, "wkxxxxxxx", e.OpenKfID)
		assert.Equal(t, "ww12345678910", e.CorpID())
		assert.Equal(t, wecom.UnixTime(1348831860), e.CreateTime)
	}
	// The 2021 form had no OpenKfId.
	old := parse[*callback.KFMsgOrEventEvent](t, `<xml><ToUserName>ww1</ToUserName><MsgType>event</MsgType>`+
		`<Event>kf_msg_or_event</Event><Token> ENC1 </Token></xml>`)
	assert.Equal(t, "ENC1", old.Token)
	assert.Empty(t, old.OpenKfID)
}

// OnKFMsgOrEvent gets the fake's push, decrypted and typed.
func TestOnKFMsgOrEventReceivesThePush(t *testing.T) {
	t.Parallel()
	const token = "kfToken"
	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, key, callback.WithReceiverID("wwkf"))
	require.NoError(t, err)
	got := make(chan *callback.KFMsgOrEventEvent, 1)
	h.OnKFMsgOrEvent(func(_ context.Context, e *callback.KFMsgOrEventEvent) error {
		got <- e
		return nil
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := wecomtest.NewPusher(srv.URL, token, key, "wwkf")
	res, err := p.Push(t.Context(), wecomtest.KFMsgOrEventXML("wwkf", "ENCtok", "wkA", time.Unix(1700000000, 0)))
	require.NoError(t, err)
	require.True(t, res.OK)
	e := <-got
	assert.Equal(t, "ENCtok", e.Token)
	assert.Equal(t, "wkA", e.OpenKfID)
}
