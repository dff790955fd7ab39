package groupchat

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	err := tr.store.Save(t.Context(), &TrackedChat{ChatID: "wrA", Owner: "owner", MemberVersion: "v1", Members: []Member{
		{UserID: "owner", Type: MemberInternal}, {UserID: "m1", Type: MemberExternal, State: "s"}, {UserID: "m3", Type: MemberExternal}}})
	require.NoError(t, err)
	return tr
}

func checkChat(t *testing.T, c *TrackedChat) {
	t.Helper()
	if c == nil {
		return
	}
	seen := map[string]bool{}
	for _, id := range c.MemberIDs() {
		require.False(t, seen[id], "member %q twice in %+v", id, c)
		seen[id] = true
	}
	require.LessOrEqual(t, len(c.PastVersions), maxPastVersions)
	require.NotContains(t, c.PastVersions, c.MemberVersion, "the version is not a past one")
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
		ctx := t.Context()
		tr := fuzzTracker(t)
		if err := tr.HandleEvent(ctx, ev); err != nil {
			return
		}
		once, err := tr.store.Load(ctx, ev.ChatID)
		require.NoError(t, err)
		checkChat(t, once)
		require.NoError(t, tr.HandleEvent(ctx, ev), "the re-send failed where the first delivery did not")
		twice, err := tr.store.Load(ctx, ev.ChatID)
		require.NoError(t, err)
		require.Equal(t, once, twice, "a re-sent event changed the state")
	})
}

func TestPastVersionsAreBounded(t *testing.T) {
	t.Parallel()
	c := &TrackedChat{MemberVersion: "v0"}
	for i := 1; i <= 40; i++ {
		c.setVersion("v" + strconv.Itoa(i))
		checkChat(t, c)
	}
	require.Len(t, c.PastVersions, maxPastVersions)
	assert.Equal(t, "v24", c.PastVersions[0])
	assert.Equal(t, "v39", c.PastVersions[maxPastVersions-1])
	c.setVersion("v30") // a version seen before becomes current again
	assert.NotContains(t, c.PastVersions, "v30")
	assert.Contains(t, c.PastVersions, "v40")
}
