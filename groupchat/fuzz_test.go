package groupchat

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
)

// fuzzTracker is a Tracker over a stub groupchat/get: wrA answers owner,
// m1 and m2 at version v2; wrGone no longer exists; any other group has its
// owner only. wrA starts tracked with owner, m1, m3 at version v1.
func fuzzTracker(t testing.TB) *Tracker {
	tr := NewTracker(New(wecom.New("wwfuzz", "s", wecom.WithBaseURL("http://127.0.0.1:1"))))
	tr.now = func() time.Time { return time.Unix(1700000000, 0) }
	tr.fetch = func(_ context.Context, chatID string) (*GroupChat, error) {
		switch chatID {
		case "wrA":
			return &GroupChat{ChatID: chatID, Owner: "owner", MemberVersion: "v2", MemberList: []Member{
				{UserID: "owner", Type: MemberInternal}, {UserID: "m1", Type: MemberExternal, State: "s"},
				{UserID: "m2", Type: MemberExternal, State: "s"}}}, nil
		case "wrGone":
			return nil, &wecom.Error{Code: wecom.CodeChatNotFound, Msg: "chat_id not exist"}
		}
		return &GroupChat{ChatID: chatID, Owner: "owner", MemberVersion: "v" + chatID,
			MemberList: []Member{{UserID: "owner", Type: MemberInternal}}}, nil
	}
	err := tr.store.Save(context.Background(), &TrackedChat{ChatID: "wrA", Owner: "owner", MemberVersion: "v1", Members: []Member{
		{UserID: "owner", Type: MemberInternal}, {UserID: "m1", Type: MemberExternal, State: "s"}, {UserID: "m3", Type: MemberExternal}}})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func checkChat(t *testing.T, c *TrackedChat) {
	t.Helper()
	if c == nil {
		return
	}
	seen := map[string]bool{}
	for _, id := range c.MemberIDs() {
		if seen[id] {
			t.Fatalf("member %q twice in %+v", id, c)
		}
		seen[id] = true
	}
	if len(c.PastVersions) > MaxPastVersions || slices.Contains(c.PastVersions, c.MemberVersion) {
		t.Fatalf("past versions %v with version %q", c.PastVersions, c.MemberVersion)
	}
}

// FuzzTrackerEvent feeds decrypted change_external_chat pushes to a Tracker:
// nothing panics, the stored group stays consistent (no member twice, the
// version not among the past ones), and the same event handled a second
// time, as WeCom's re-sends are, changes nothing.
func FuzzTrackerEvent(f *testing.F) {
	head := "<xml><ToUserName><![CDATA[wwfuzz]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime>" +
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>"
	for _, body := range []string{
		"<ChatId><![CDATA[wrA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[del_member]]></UpdateDetail>" +
			"<QuitScene>0</QuitScene><MemChangeCnt>1</MemChangeCnt><MemChangeList><Item><![CDATA[m3]]></Item></MemChangeList>" +
			"<LastMemVer><![CDATA[v1]]></LastMemVer><CurMemVer><![CDATA[v9]]></CurMemVer>",
		"<ChatId><![CDATA[wrA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail>" +
			"<JoinScene>3</JoinScene><MemChangeCnt>2</MemChangeCnt><MemChangeList><Item><![CDATA[m2]]></Item><Item><![CDATA[m4]]></Item></MemChangeList>" +
			"<LastMemVer><![CDATA[v2]]></LastMemVer><CurMemVer><![CDATA[v3]]></CurMemVer>",
		"<ChatId><![CDATA[wrA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail>" +
			"<MemChangeCnt>10</MemChangeCnt><MemChangeList><Item>m9</Item></MemChangeList><LastMemVer>v1</LastMemVer><CurMemVer>v1</CurMemVer>",
		"<ChatId><![CDATA[wrA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[del_member]]></UpdateDetail>" +
			"<MemChangeList><Item>owner</Item><Item>owner</Item><Item></Item></MemChangeList><LastMemVer>v1</LastMemVer><CurMemVer>v1</CurMemVer>",
		"<ChatId><![CDATA[wrA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[change_owner]]></UpdateDetail>" +
			"<LastMemVer><![CDATA[v1]]></LastMemVer><CurMemVer><![CDATA[v1]]></CurMemVer>",
		"<ChatId><![CDATA[wrB]]></ChatId><ChangeType><![CDATA[create]]></ChangeType>",
		"<ChatId><![CDATA[wrA]]></ChatId><ChangeType><![CDATA[dismiss]]></ChangeType>",
		"<ChatId><![CDATA[wrGone]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[change_name]]></UpdateDetail>",
		"<ChatId></ChatId><ChangeType><![CDATA[update]]></ChangeType>",
	} {
		f.Add([]byte(head + body + "</xml>"))
	}
	f.Add([]byte("<xml><ToUserName>wwother</ToUserName><Event>change_external_chat</Event><ChatId>wrA</ChatId><ChangeType>dismiss</ChangeType></xml>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, err := callback.ParseEvent(data)
		if err != nil {
			return
		}
		ev, ok := parsed.(*callback.ExternalChatEvent)
		if !ok {
			return
		}
		ctx := context.Background()
		tr := fuzzTracker(t)
		if err := tr.HandleEvent(ctx, ev); err != nil {
			return
		}
		once, err := tr.store.Load(ctx, ev.ChatID)
		if err != nil {
			t.Fatal(err)
		}
		checkChat(t, once)
		if err := tr.HandleEvent(ctx, ev); err != nil {
			t.Fatalf("the re-send failed where the first delivery did not: %v", err)
		}
		twice, err := tr.store.Load(ctx, ev.ChatID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(once, twice) {
			t.Fatalf("a re-sent event changed the state:\nonce  %+v\ntwice %+v", once, twice)
		}
	})
}

func TestPastVersionsAreBounded(t *testing.T) {
	c := &TrackedChat{MemberVersion: "v0"}
	for i := 1; i <= 40; i++ {
		c.setVersion("v" + strconv.Itoa(i))
		checkChat(t, c)
	}
	if len(c.PastVersions) != MaxPastVersions || c.PastVersions[0] != "v24" || c.PastVersions[MaxPastVersions-1] != "v39" {
		t.Fatalf("past versions %v", c.PastVersions)
	}
	c.setVersion("v30") // a version seen before becomes current again
	if slices.Contains(c.PastVersions, "v30") || !slices.Contains(c.PastVersions, "v40") {
		t.Fatalf("past versions %v", c.PastVersions)
	}
}
