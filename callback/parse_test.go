package callback

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
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
	if err != nil {
		t.Fatal(err)
	}
	if ev.Header().Raw != s {
		t.Fatal("Raw is not the plaintext")
	}
	return ev
}

func TestParseExternalContact(t *testing.T) {
	t.Parallel()
	ev, ok := parse(t, sampleAddContact).(*ExternalContactEvent)
	if !ok {
		t.Fatal("type")
	}
	want := ExternalContactEvent{UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", State: "teststate", WelcomeCode: "WELCOMECODE"}
	if ev.UserID != want.UserID || ev.ExternalUserID != want.ExternalUserID || ev.State != want.State || ev.WelcomeCode != want.WelcomeCode {
		t.Fatalf("%+v", ev)
	}
	if ev.ToUserName != "toUser" || ev.FromUserName != "sys" || ev.CreateTime != 1403610513 || ev.MsgType != "event" ||
		ev.Kind() != KindChangeExternalContact || ev.ChangeType != ChangeAddExternalContact || ev.CorpID() != "toUser" || !ev.Time().Equal(time.Unix(1403610513, 0)) {
		t.Fatalf("envelope %+v", ev.Envelope)
	}
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
		if !ok || !tc.want(e) {
			t.Errorf("%s: %+v", tc.xml, e)
		}
	}
}

func TestParseExternalChat(t *testing.T) {
	t.Parallel()
	ev, ok := parse(t, sampleChatUpdate).(*ExternalChatEvent)
	if !ok {
		t.Fatal("type")
	}
	if ev.ChatID != "CHAT_ID" || ev.UpdateDetail != UpdateAddMember || ev.JoinScene != 1 || ev.QuitScene != 0 || ev.MemChangeCnt != 10 ||
		!reflect.DeepEqual(ev.MemChangeList, []string{"Jack", "Rose"}) || ev.LastMemVer != "9c3f97c2ada667dfb5f6d03308d963e1" ||
		ev.CurMemVer != "71217227bbd112ecfe3a49c482195cb4" || ev.ChangeType != ChangeChatUpdate {
		t.Fatalf("%+v", ev)
	}
}

func TestParseExternalTag(t *testing.T) {
	t.Parallel()
	ev, ok := parse(t, sampleTag).(*ExternalTagEvent)
	if !ok || ev.ID != "TAG_ID" || ev.TagType != TagTargetTag || ev.StrategyID != "1" || ev.ChangeType != ChangeTagCreate {
		t.Fatalf("%+v", ev)
	}
	sh, ok := parse(t, `<xml><MsgType>event</MsgType><Event>change_external_tag</Event><Id></Id><ChangeType>shuffle</ChangeType></xml>`).(*ExternalTagEvent)
	if !ok || sh.ID != "" || sh.ChangeType != ChangeTagShuffle {
		t.Fatalf("%+v", sh)
	}
}

func TestParseCommandEvents(t *testing.T) {
	t.Parallel()
	st, ok := parse(t, sampleSuiteTicket).(*SuiteTicketEvent)
	if !ok || st.SuiteTicket != "asdfasfdasdfasdf" || st.SuiteID != "ww4asffe99e54c0fxxxx" || st.TimeStamp != 1403610513 || st.Kind() != KindSuiteTicket {
		t.Fatalf("%+v", st)
	}
	ca, ok := parse(t, sampleCreateAuth).(*CreateAuthEvent)
	if !ok || ca.AuthCode != "AUTHCODE" || ca.State != "123" || ca.ExtraInfo != "" {
		t.Fatalf("%+v", ca)
	}
	rp, ok := parse(t, sampleReset).(*ResetPermanentCodeEvent)
	if !ok || rp.AuthCode != "AUTHCODE" || rp.SuiteID != "dk4asffe9xxx4c0f4c" {
		t.Fatalf("%+v", rp)
	}
	tp, ok := parse(t, sampleThirdPartyAdd).(*ExternalContactEvent)
	if !ok || tp.AuthCorpID != "wxf8b4f85f3a794e77" || tp.CorpID() != "wxf8b4f85f3a794e77" || tp.WelcomeCode != "WELCOMECODE" || !tp.Time().Equal(time.Unix(1403610513, 0)) {
		t.Fatalf("%+v", tp)
	}
	chg, ok := parse(t, `<xml><SuiteId>s</SuiteId><InfoType>change_auth</InfoType><TimeStamp>1</TimeStamp><AuthCorpId>c</AuthCorpId></xml>`).(*ChangeAuthEvent)
	if !ok || chg.AuthCorpID != "c" {
		t.Fatalf("%+v", chg)
	}
	if _, ok := parse(t, `<xml><SuiteId>s</SuiteId><InfoType>cancel_auth</InfoType><TimeStamp>1</TimeStamp><AuthCorpId>c</AuthCorpId></xml>`).(*CancelAuthEvent); !ok {
		t.Fatal("cancel_auth")
	}
	cc, ok := parse(t, `<xml><SuiteId>s</SuiteId><AuthCorpId>c</AuthCorpId><InfoType>change_contact</InfoType><TimeStamp>1</TimeStamp><ChangeType>update_user</ChangeType><UserID>u</UserID><NewUserID>u2</NewUserID><Name><![CDATA[张三]]></Name><Department>1,2</Department></xml>`).(*ChangeContactEvent)
	if !ok || cc.UserID != "u" || cc.NewUserID != "u2" || cc.Name != "张三" || cc.Department != "1,2" || cc.ChangeType != ChangeUpdateUser {
		t.Fatalf("%+v", cc)
	}
	acq, ok := parse(t, `<xml><ToUserName>c</ToUserName><MsgType>event</MsgType><Event>customer_acquisition</Event><ChangeType>quota_expire_soon</ChangeType><ExpireTime>1700000000</ExpireTime><ExpireQuotaNum>5</ExpireQuotaNum><LinkId>L</LinkId></xml>`).(*CustomerAcquisitionEvent)
	if !ok || acq.ExpireTime != 1700000000 || acq.ExpireQuotaNum != "5" || acq.LinkID != "L" || acq.ChangeType != ChangeQuotaExpireSoon {
		t.Fatalf("%+v", acq)
	}
}

func TestParseUnknownEventKeepsRaw(t *testing.T) {
	t.Parallel()
	s := `<xml><ToUserName>c</ToUserName><MsgType>event</MsgType><Event>brand_new_event</Event><Foo>bar</Foo></xml>`
	ev, ok := parse(t, s).(*UnknownEvent)
	if !ok || ev.Kind() != "brand_new_event" || ev.Raw != s {
		t.Fatalf("%#v", ev)
	}
	if _, ok := parse(t, `<xml><InfoType>new_info</InfoType></xml>`).(*UnknownEvent); !ok {
		t.Fatal("unknown InfoType")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "not xml", "<xml><A>1</B></xml>", "<xml><CreateTime>abc</CreateTime></xml>", "<xml><A>&bogus;</A></xml>", "<xml><A>\x00</A></xml>", "<xml>"} {
		if _, err := ParseEvent([]byte(s)); !errors.Is(err, ErrBadXML) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// The common shapes must take the fast path (no encoding/xml), and odd but
// valid shapes must still parse, through encoding/xml, to the same result.
func TestFastPathCoverage(t *testing.T) {
	t.Parallel()
	for _, s := range []string{sampleAddContact, sampleChatUpdate, sampleTag, sampleSuiteTicket, sampleCreateAuth, sampleThirdPartyAdd, sampleReset, vMsgPlain} {
		var w wire
		if !w.fill(s) {
			t.Errorf("fast path refused %.60q", s)
		}
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
		if err := parseWire(s, &fast); err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if err := xml.Unmarshal([]byte(s), &ref); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Errorf("%q: %+v vs %+v", s, fast, ref)
		}
	}
}

// checkDifferential compares parseWire against encoding/xml.
func checkDifferential(t *testing.T, s string) {
	var ref wire
	refErr := xml.Unmarshal([]byte(s), &ref)
	var got wire
	gotErr := parseWire(s, &got)
	if (refErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: encoding/xml err %v, ours %v", s, refErr, gotErr)
	}
	if refErr == nil && !reflect.DeepEqual(ref, got) {
		t.Fatalf("%q:\nencoding/xml %+v\nours         %+v", s, ref, got)
	}
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
		if err == nil && (ev == nil || ev.Header().Raw != s) {
			t.Fatal("no event or wrong Raw")
		}
		if err != nil && !strings.Contains(err.Error(), "malformed XML") {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
