package callback

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// Event samples in the shapes of the official docs (92130 / 92277 / 90628 /
// 90642 / 97175 / 90639).
var (
	sampleAddContact = `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>
<UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
<State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>`

	sampleChatUpdate = `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[CHAT_ID]]></ChatId>
<ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail>
<JoinScene>1</JoinScene><QuitScene>0</QuitScene><MemChangeCnt>10</MemChangeCnt>
<MemChangeList><Item>Jack</Item><Item>Rose</Item></MemChangeList>
<LastMemVer>9c3f97c2ada667dfb5f6d03308d963e1</LastMemVer><CurMemVer>71217227bbd112ecfe3a49c482195cb4</CurMemVer></xml>`

	sampleTag = `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event>
<Id><![CDATA[TAG_ID]]></Id><TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[create]]></ChangeType>
<StrategyId>1</StrategyId></xml>`

	sampleSuiteTicket = `<xml><SuiteId><![CDATA[ww4asffe99e54c0fxxxx]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType>
<TimeStamp>1403610513</TimeStamp><SuiteTicket><![CDATA[asdfasfdasdfasdf]]></SuiteTicket></xml>`

	sampleCreateAuth = `<xml><SuiteId><![CDATA[ww4asffe9xxx4c0f4c]]></SuiteId><AuthCode><![CDATA[AUTHCODE]]></AuthCode>
<InfoType><![CDATA[create_auth]]></InfoType><TimeStamp>1403610513</TimeStamp>
<State><![CDATA[123]]></State><ExtraInfo></ExtraInfo></xml>`

	sampleThirdPartyAdd = `<xml>
	<SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId>
	<AuthCorpId><![CDATA[wxf8b4f85f3a794e77]]></AuthCorpId>
	<InfoType><![CDATA[change_external_contact]]></InfoType>
	<TimeStamp>1403610513</TimeStamp>
	<ChangeType><![CDATA[add_external_contact]]></ChangeType>
	<UserID><![CDATA[zhangsan]]></UserID>
	<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACH71w]]></ExternalUserID>
	<State><![CDATA[teststate]]></State>
	<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode>
</xml>`

	sampleReset = `<xml>
	<SuiteId><![CDATA[dk4asffe9xxx4c0f4c]]></SuiteId>
	<AuthCode><![CDATA[AUTHCODE]]></AuthCode>
	<InfoType><![CDATA[reset_permanent_code]]></InfoType>
	<TimeStamp>1403610513</TimeStamp>
</xml>`
)

func parse(t *testing.T, s string) Event {
	t.Helper()
	ev, err := ParseEvent([]byte(s))
	require.NoError(t, err)
	require.Equal(t, s, ev.Header().Raw, "Raw is not the plaintext")
	return ev
}

func TestParseExternalContact(t *testing.T) {
	t.Parallel()
	ev, ok := parse(t, sampleAddContact).(*ExternalContactEvent)
	require.True(t, ok, "type")
	want := ExternalContactEvent{UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", State: "teststate", WelcomeCode: "WELCOMECODE"}
	require.Equal(t, want.UserID, ev.UserID, "%+v", ev)
	require.Equal(t, want.ExternalUserID, ev.ExternalUserID, "%+v", ev)
	require.Equal(t, want.State, ev.State, "%+v", ev)
	require.Equal(t, want.WelcomeCode, ev.WelcomeCode, "%+v", ev)
	require.Equal(t, "toUser", ev.ToUserName, "envelope %+v", ev.Envelope)
	require.Equal(t, "sys", ev.FromUserName, "envelope %+v", ev.Envelope)
	require.Equal(t, wecom.UnixTime(1403610513), ev.CreateTime, "envelope %+v", ev.Envelope)
	require.Equal(t, "event", ev.MsgType, "envelope %+v", ev.Envelope)
	require.Equal(t, KindChangeExternalContact, ev.Kind(), "envelope %+v", ev.Envelope)
	require.Equal(t, ChangeAddExternalContact, ev.ChangeType, "envelope %+v", ev.Envelope)
	require.Equal(t, "toUser", ev.CorpID(), "envelope %+v", ev.Envelope)
	require.True(t, ev.Time().Equal(time.Unix(1403610513, 0)), "envelope %+v", ev.Envelope)
	for _, tc := range []struct {
		xml  string
		want func(*ExternalContactEvent) bool
	}{
		{`<xml><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>del_external_contact</ChangeType><Source><![CDATA[DELETE_BY_TRANSFER]]></Source></xml>`,
			func(e *ExternalContactEvent) bool {
				return e.Source == DeleteByTransfer && e.ChangeType == ChangeDelExternalContact
			}},
		{`<xml><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>transfer_fail</ChangeType><FailReason><![CDATA[customer_refused]]></FailReason></xml>`,
			func(e *ExternalContactEvent) bool { return e.FailReason == FailCustomerRefused }},
		{`<xml><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>add_half_external_contact</ChangeType><State>s</State><WelcomeCode>w</WelcomeCode></xml>`,
			func(e *ExternalContactEvent) bool {
				return e.State == "s" && e.WelcomeCode == "w" && e.ChangeType == ChangeAddHalfExternalContact
			}},
	} {
		e, ok := parse(t, tc.xml).(*ExternalContactEvent)
		if assert.True(t, ok, tc.xml) {
			assert.True(t, tc.want(e), "%s: %+v", tc.xml, e)
		}
	}
}

func TestParseExternalChat(t *testing.T) {
	t.Parallel()
	ev, ok := parse(t, sampleChatUpdate).(*ExternalChatEvent)
	require.True(t, ok, "type")
	require.Equal(t, "CHAT_ID", ev.ChatID, "%+v", ev)
	require.Equal(t, UpdateAddMember, ev.UpdateDetail, "%+v", ev)
	require.Equal(t, int64(1), ev.JoinScene, "%+v", ev)
	require.Equal(t, int64(0), ev.QuitScene, "%+v", ev)
	require.Equal(t, int64(10), ev.MemChangeCnt, "%+v", ev)
	require.Equal(t, []string{"Jack", "Rose"}, ev.MemChangeList, "%+v", ev)
	require.Equal(t, "9c3f97c2ada667dfb5f6d03308d963e1", ev.LastMemVer, "%+v", ev)
	require.Equal(t, "71217227bbd112ecfe3a49c482195cb4", ev.CurMemVer, "%+v", ev)
	require.Equal(t, ChangeChatUpdate, ev.ChangeType, "%+v", ev)
}

func TestParseExternalTag(t *testing.T) {
	t.Parallel()
	ev, ok := parse(t, sampleTag).(*ExternalTagEvent)
	require.True(t, ok, "%+v", ev)
	require.Equal(t, "TAG_ID", ev.ID, "%+v", ev)
	require.Equal(t, TagTargetTag, ev.TagType, "%+v", ev)
	require.Equal(t, "1", ev.StrategyID, "%+v", ev)
	require.Equal(t, ChangeTagCreate, ev.ChangeType, "%+v", ev)
	sh, ok := parse(t, `<xml><MsgType>event</MsgType><Event>change_external_tag</Event><Id></Id><ChangeType>shuffle</ChangeType></xml>`).(*ExternalTagEvent)
	require.True(t, ok, "%+v", sh)
	require.Empty(t, sh.ID, "%+v", sh)
	require.Equal(t, ChangeTagShuffle, sh.ChangeType, "%+v", sh)
}

func TestParseCommandEvents(t *testing.T) {
	t.Parallel()
	st, ok := parse(t, sampleSuiteTicket).(*SuiteTicketEvent)
	require.True(t, ok, "%+v", st)
	require.Equal(t, "asdfasfdasdfasdf", st.SuiteTicket, "%+v", st)
	require.Equal(t, "ww4asffe99e54c0fxxxx", st.SuiteID, "%+v", st)
	require.Equal(t, wecom.UnixTime(1403610513), st.TimeStamp, "%+v", st)
	require.Equal(t, KindSuiteTicket, st.Kind(), "%+v", st)
	ca, ok := parse(t, sampleCreateAuth).(*CreateAuthEvent)
	require.True(t, ok, "%+v", ca)
	require.Equal(t, "AUTHCODE", ca.AuthCode, "%+v", ca)
	require.Equal(t, "123", ca.State, "%+v", ca)
	require.Empty(t, ca.ExtraInfo, "%+v", ca)
	rp, ok := parse(t, sampleReset).(*ResetPermanentCodeEvent)
	require.True(t, ok, "%+v", rp)
	require.Equal(t, "AUTHCODE", rp.AuthCode, "%+v", rp)
	require.Equal(t, "dk4asffe9xxx4c0f4c", rp.SuiteID, "%+v", rp)
	tp, ok := parse(t, sampleThirdPartyAdd).(*ExternalContactEvent)
	require.True(t, ok, "%+v", tp)
	require.Equal(t, "wxf8b4f85f3a794e77", tp.AuthCorpID, "%+v", tp)
	require.Equal(t, "wxf8b4f85f3a794e77", tp.CorpID(), "%+v", tp)
	require.Equal(t, "WELCOMECODE", tp.WelcomeCode, "%+v", tp)
	require.True(t, tp.Time().Equal(time.Unix(1403610513, 0)), "%+v", tp)
	chg, ok := parse(t, `<xml><SuiteId>s</SuiteId><InfoType>change_auth</InfoType><TimeStamp>1</TimeStamp><AuthCorpId>c</AuthCorpId></xml>`).(*ChangeAuthEvent)
	require.True(t, ok, "%+v", chg)
	require.Equal(t, "c", chg.AuthCorpID, "%+v", chg)
	_, ok = parse(t, `<xml><SuiteId>s</SuiteId><InfoType>cancel_auth</InfoType><TimeStamp>1</TimeStamp><AuthCorpId>c</AuthCorpId></xml>`).(*CancelAuthEvent)
	require.True(t, ok, "cancel_auth")
	cc, ok := parse(t, `<xml><SuiteId>s</SuiteId><AuthCorpId>c</AuthCorpId><InfoType>change_contact</InfoType><TimeStamp>1</TimeStamp><ChangeType>update_user</ChangeType><UserID>u</UserID><NewUserID>u2</NewUserID><Name><![CDATA[张三]]></Name><Department>1,2</Department></xml>`).(*ChangeContactEvent)
	require.True(t, ok, "%+v", cc)
	require.Equal(t, "u", cc.UserID, "%+v", cc)
	require.Equal(t, "u2", cc.NewUserID, "%+v", cc)
	require.Equal(t, "张三", cc.Name, "%+v", cc)
	require.Equal(t, "1,2", cc.Department, "%+v", cc)
	require.Equal(t, ChangeUpdateUser, cc.ChangeType, "%+v", cc)
	acq, ok := parse(t, `<xml><ToUserName>c</ToUserName><MsgType>event</MsgType><Event>customer_acquisition</Event><ChangeType>quota_expire_soon</ChangeType><ExpireTime>1700000000</ExpireTime><ExpireQuotaNum>5</ExpireQuotaNum><LinkId>L</LinkId></xml>`).(*CustomerAcquisitionEvent)
	require.True(t, ok, "%+v", acq)
	require.Equal(t, wecom.UnixTime(1700000000), acq.ExpireTime, "%+v", acq)
	require.Equal(t, "5", acq.ExpireQuotaNum, "%+v", acq)
	require.Equal(t, "L", acq.LinkID, "%+v", acq)
	require.Equal(t, ChangeQuotaExpireSoon, acq.ChangeType, "%+v", acq)
}

func TestParseUnknownEventKeepsRaw(t *testing.T) {
	t.Parallel()
	s := `<xml><ToUserName>c</ToUserName><MsgType>event</MsgType><Event>brand_new_event</Event><Foo>bar</Foo></xml>`
	ev, ok := parse(t, s).(*UnknownEvent)
	require.True(t, ok, "%#v", ev)
	require.Equal(t, EventKind("brand_new_event"), ev.Kind(), "%#v", ev)
	require.Equal(t, s, ev.Raw, "%#v", ev)
	_, ok = parse(t, `<xml><InfoType>new_info</InfoType></xml>`).(*UnknownEvent)
	require.True(t, ok, "unknown InfoType")
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "not xml", "<xml><A>1</B></xml>", "<xml><CreateTime>abc</CreateTime></xml>", "<xml><A>&bogus;</A></xml>", "<xml><A>\x00</A></xml>", "<xml>"} {
		_, err := ParseEvent([]byte(s))
		assert.ErrorIs(t, err, ErrBadXML, "%q", s)
	}
}

// The common shapes must take the fast path (no encoding/xml), and odd but
// valid shapes must still parse, through encoding/xml, to the same result.
func TestFastPathCoverage(t *testing.T) {
	t.Parallel()
	for _, s := range []string{sampleAddContact, sampleChatUpdate, sampleTag, sampleSuiteTicket, sampleCreateAuth, sampleThirdPartyAdd, sampleReset, vMsgPlain} {
		var w wire
		assert.True(t, w.fill(s), "fast path refused %.60q", s)
	}
	odd := []string{
		`<?xml version="1.0"?><xml><UserID>a</UserID></xml>`,
		`<xml><!-- c --><UserID>a&amp;b</UserID></xml>`,
		`<xml><UserID x="1">a</UserID></xml>`,
		"<xml><UserID>a\r\nb</UserID></xml>",
		`<xml><UserID>a<![CDATA[b]]>c</UserID></xml>`,
		`<root><UserID>a</UserID></root>`,
		`<xml><MemChangeList/><UserID/></xml>`,
		`<xml><UserID><![CDATA[a]]bc<![CDATA[]]></UserID><State><![CDATA[x]]]]></State></xml>`,
	}
	for _, s := range odd {
		var fast, ref wire
		if !assert.NoError(t, parseWire(s, &fast), s) {
			continue
		}
		require.NoError(t, xml.Unmarshal([]byte(s), &ref))
		assert.Equal(t, ref, fast, "%q", s)
	}
}

// checkDifferential compares parseWire against encoding/xml.
func checkDifferential(t *testing.T, s string) {
	var ref wire
	refErr := xml.Unmarshal([]byte(s), &ref)
	var got wire
	gotErr := parseWire(s, &got)
	require.Equal(t, gotErr == nil, refErr == nil, "%q: encoding/xml err %v, ours %v", s, refErr, gotErr)
	require.False(t, refErr == nil && !reflect.DeepEqual(ref, got), "%q:\nencoding/xml %+v\nours         %+v", s, ref, got)
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{sampleAddContact, sampleChatUpdate, sampleTag, sampleSuiteTicket, sampleCreateAuth,
		sampleThirdPartyAdd, sampleReset, vMsgPlain,
		`<xml><UserID>a<![CDATA[b]]>c</UserID></xml>`, "<xml><A>]]></A></xml>", `<xml><CreateTime> 12 </CreateTime></xml>`,
		`<xml><MemChangeList><Item>a</Item></MemChangeList><MemChangeList><Item>b</Item></MemChangeList></xml>`,
		`<xml><UserID>a</UserID><UserID>b</UserID></xml>`, "<xml><UserID>\xff</UserID></xml>", `<xml><CreateTime>  </CreateTime></xml>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkDifferential(t, s)
		ev, err := ParseEvent([]byte(s))
		require.False(t, err == nil && (ev == nil || ev.Header().Raw != s), "no event or wrong Raw")
		require.False(t, err != nil && !strings.Contains(err.Error(), "malformed XML"), "unexpected error %v", err)
	})
}
