package callback_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
)

func parse[E callback.Event](t *testing.T, xml string) E {
	t.Helper()
	ev, err := callback.ParseEvent([]byte(xml))
	require.NoError(t, err)
	e, ok := ev.(E)
	require.True(t, ok, "parsed as %T (kind %q)", ev, ev.Header().Kind())
	return e
}

const suiteEnv = `<SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId><AuthCorpId><![CDATA[wxf8b4f85f3a794e77]]></AuthCorpId>`

// Envelope.Time reads CreateTime (app form) or TimeStamp (third-party
// form) as a time.Time, the zero Time when the push has neither; the
// encoding/xml fallback (a comment makes the scanner give up) reads them
// alike.
func TestEnvelopeTime(t *testing.T) {
	t.Parallel()
	app := parse[*callback.ExternalContactEvent](t, `<xml><CreateTime>1700000000</CreateTime><MsgType>event</MsgType>`+
		`<Event>change_external_contact</Event></xml>`)
	assert.Equal(t, wecom.UnixTime(1700000000), app.CreateTime)
	assert.Equal(t, time.Unix(1700000000, 0), app.Time())

	cmd := parse[*callback.SuiteTicketEvent](t, `<xml>`+suiteEnv+`<!-- a comment --><InfoType>suite_ticket</InfoType>`+
		`<TimeStamp>1700000001</TimeStamp></xml>`)
	assert.Equal(t, wecom.UnixTime(1700000001), cmd.TimeStamp)
	assert.Equal(t, time.Unix(1700000001, 0), cmd.Time())

	none := parse[*callback.UnknownEvent](t, `<xml><MsgType>event</MsgType><Event>x</Event></xml>`)
	assert.True(t, none.Time().IsZero())
}

func TestAcquisitionEvents(t *testing.T) {
	t.Parallel()
	// 99485's open_profile sample.
	e := parse[*callback.CustomerAcquisitionEvent](t, `<xml>
	<SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId>
	<AuthCorpId><![CDATA[wxf8b4f85f3a794e77]]></AuthCorpId>
	<InfoType><![CDATA[customer_acquisition]]></InfoType>
	<TimeStamp>1689171577</TimeStamp>
	<ChangeType><![CDATA[open_profile]]></ChangeType>
	<LinkId><![CDATA[cawcdea7783d7330c6]]></LinkId>
	<State><![CDATA[STATE]]></State>
</xml>`)
	assert.Equal(t, callback.ChangeOpenProfile, e.ChangeType)
	assert.Equal(t, "cawcdea7783d7330c6", e.LinkID)
	assert.Equal(t, "STATE", e.State)
	assert.Equal(t, "wxf8b4f85f3a794e77", e.CorpID())

	// 97299's app form.
	e = parse[*callback.CustomerAcquisitionEvent](t, `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[customer_acquisition]]></Event>
<ChangeType><![CDATA[balance_low]]></ChangeType></xml>`)
	assert.Equal(t, callback.ChangeBalanceLow, e.ChangeType)
	assert.Equal(t, "toUser", e.CorpID())

	e = parse[*callback.CustomerAcquisitionEvent](t, `<xml>`+suiteEnv+`<InfoType>customer_acquisition</InfoType><TimeStamp>1</TimeStamp>
<ChangeType>message_from_customer</ChangeType><LinkId>cawLINK</LinkId><ChatKey><![CDATA[CHATKEY-1]]></ChatKey></xml>`)
	assert.Equal(t, callback.ChangeMessageFromCustomer, e.ChangeType)
	assert.Equal(t, "CHATKEY-1", e.ChatKey)

	e = parse[*callback.CustomerAcquisitionEvent](t, `<xml>`+suiteEnv+`<InfoType>customer_acquisition</InfoType><TimeStamp>1</TimeStamp>
<ChangeType>quota_expire_soon</ChangeType><ExpireTime>1701000000</ExpireTime><ExpireQuotaNum>20</ExpireQuotaNum></xml>`)
	assert.Equal(t, time.Unix(1701000000, 0), e.ExpireTime.Time())
	n, ok := e.ExpiringQuota()
	assert.True(t, ok)
	assert.EqualValues(t, 20, n)

	e = parse[*callback.CustomerAcquisitionEvent](t, `<xml>`+suiteEnv+`<InfoType>customer_acquisition</InfoType><TimeStamp>1</TimeStamp>
<ChangeType>change_price</ChangeType><Price>30000</Price><EffectiveTime>1709222400</EffectiveTime></xml>`)
	assert.Equal(t, callback.ChangeChangePrice, e.ChangeType)
	fen, ok := e.PriceFen()
	assert.True(t, ok)
	assert.EqualValues(t, 30000, fen)
	assert.Equal(t, time.Unix(1709222400, 0), e.EffectiveTime.Time())

	// A time that does not parse loses the event nothing: it reads as
	// zero, and the element as sent is in Raw.
	e = parse[*callback.CustomerAcquisitionEvent](t, `<xml>`+suiteEnv+`<InfoType>customer_acquisition</InfoType><TimeStamp>1</TimeStamp>
<ChangeType>quota_expire_soon</ChangeType><ExpireTime>2024-01-01</ExpireTime><LinkId>l2</LinkId></xml>`)
	assert.Equal(t, "l2", e.LinkID)
	assert.Zero(t, e.ExpireTime)
	assert.True(t, e.ExpireTime.Time().IsZero())
	assert.Contains(t, e.Raw, "<ExpireTime>2024-01-01</ExpireTime>")

	e = parse[*callback.CustomerAcquisitionEvent](t, `<xml>`+suiteEnv+`<InfoType>customer_acquisition</InfoType><TimeStamp>1</TimeStamp>
<ChangeType>service_balance_consumed</ChangeType><LinkId>l</LinkId><State>s</State><OnceKey>ok1</OnceKey></xml>`)
	assert.Equal(t, callback.ChangeServiceBalanceConsumed, e.ChangeType)
	assert.Equal(t, "ok1", e.OnceKey)
}

func TestAuthorizationEvents(t *testing.T) {
	t.Parallel()
	// 101587's sample.
	dp := parse[*callback.DataPermissionEvent](t, `<xml>
	<SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId>
	<AuthCorpId><![CDATA[wxf8b4f85f3a794e77]]></AuthCorpId>
	<InfoType><![CDATA[auth_data_permission]]></InfoType>
	<TimeStamp>1403610513</TimeStamp>
	<AuthType><![CDATA[data_zone_chat]]></AuthType>
</xml>`)
	assert.Equal(t, callback.DataPermissionZoneChat, dp.AuthType)
	assert.Equal(t, callback.KindAuthDataPermission, dp.Kind())
	dp = parse[*callback.DataPermissionEvent](t, `<xml>`+suiteEnv+`<InfoType>expire_remind_data_permission</InfoType><TimeStamp>1</TimeStamp><AuthType>data_zone_chat</AuthType></xml>`)
	assert.Equal(t, callback.KindExpireRemindDataPermission, dp.Kind())

	// 98959's samples.
	for _, kind := range []string{"approve_special_auth", "cancel_special_auth"} {
		sa := parse[*callback.SpecialAuthEvent](t, `<xml>
	<SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId>
	<AuthCorpId><![CDATA[wxf8b4f85f3a794e77]]></AuthCorpId>
	<InfoType><![CDATA[`+kind+`]]></InfoType>
	<TimeStamp>1403610513</TimeStamp>
	<AuthType><![CDATA[customer_acquisition]]></AuthType>
</xml>`)
		assert.Equal(t, "customer_acquisition", sa.AuthType)
		assert.Equal(t, kind == "approve_special_auth", sa.Approved())
	}

	parse[*callback.AcquisitionPermitChangeEvent](t, `<xml>`+suiteEnv+`<InfoType><![CDATA[customer_acquisition_permit_change]]></InfoType><TimeStamp>1403610513</TimeStamp></xml>`)
	mig := parse[*callback.ExternalUserIDMigrationEvent](t, `<xml><ServiceCorpId><![CDATA[wwprovider]]></ServiceCorpId><InfoType><![CDATA[agree_external_userid_migration]]></InfoType>
<AuthCorpId><![CDATA[wwcorp]]></AuthCorpId><TimeStamp>1403610513</TimeStamp></xml>`)
	assert.Equal(t, "wwprovider", mig.ServiceCorpID)
	assert.Equal(t, "wwcorp", mig.CorpID())
}

func TestAuthorizationEventsDispatch(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID("ww4asffe99e54c0f4c"))
	var got []string
	h.OnDataPermission(func(_ context.Context, e *callback.DataPermissionEvent) error {
		got = append(got, string(e.Kind()))
		return nil
	})
	h.OnSpecialAuth(func(_ context.Context, e *callback.SpecialAuthEvent) error {
		got = append(got, string(e.Kind()))
		return nil
	})
	h.OnAcquisitionPermitChange(func(_ context.Context, e *callback.AcquisitionPermitChangeEvent) error {
		got = append(got, string(e.Kind()))
		return nil
	})
	h.OnExternalUserIDMigration(func(_ context.Context, e *callback.ExternalUserIDMigrationEvent) error {
		got = append(got, string(e.Kind()))
		return nil
	})
	_, p := serve(t, h, "ww4asffe99e54c0f4c")
	kinds := []string{"auth_data_permission", "expire_remind_data_permission", "approve_special_auth", "cancel_special_auth",
		"customer_acquisition_permit_change", "agree_external_userid_migration"}
	for _, k := range kinds {
		_, err := p.Push(t.Context(), []byte(`<xml>`+suiteEnv+`<InfoType>`+k+`</InfoType><TimeStamp>5</TimeStamp><AuthType>x</AuthType></xml>`))
		require.NoError(t, err)
	}
	assert.Equal(t, kinds, got)
}

// The suite_ticket sample of doc 90628 has a space before the CDATA of
// InfoType.
const officialTicketSample = `<xml>
	<SuiteId><![CDATA[ww4asffe99e54c0fxxxx]]></SuiteId>
	<InfoType> <![CDATA[suite_ticket]]></InfoType>
	<TimeStamp>1403610513</TimeStamp>
	<SuiteTicket><![CDATA[asdfasfdasdfasdf]]></SuiteTicket>
</xml>`

func TestEnumElementsAreTrimmed(t *testing.T) {
	t.Parallel()
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
