package wecomtest_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// chatEvent is a decrypted change_external_chat push, parsed on its own.
type chatEvent struct {
	ToUserName    string
	Event         string
	ChatID        string `xml:"ChatId"`
	ChangeType    string
	UpdateDetail  string
	JoinScene     int
	QuitScene     int
	MemChangeCnt  int
	MemChangeList []string `xml:"MemChangeList>Item"`
	LastMemVer    string
	CurMemVer     string
}

// chatReceiver is a callback URL that decrypts and keeps every push.
type chatReceiver struct {
	mu     sync.Mutex
	events []chatEvent
	fail   bool
}

func (rc *chatReceiver) got() []chatEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]chatEvent(nil), rc.events...)
}

func groupChatFake(t *testing.T) (*wecomtest.Server, *chatReceiver) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.AddStaff(srv.CorpID, "owner", "other", "heir"))
	rc := &chatReceiver{}
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env struct{ Encrypt string }
		if err := xml.Unmarshal(b, &env); err != nil {
			t.Error(err)
		}
		msg, rid := open(t, cbKey, env.Encrypt)
		assert.Equal(t, srv.CorpID, rid)
		var ev chatEvent
		require.NoError(t, xml.Unmarshal([]byte(msg), &ev))
		rc.mu.Lock()
		rc.events = append(rc.events, ev)
		fail := rc.fail
		rc.mu.Unlock()
		if fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "success")
	}))
	t.Cleanup(cb.Close)
	p := wecomtest.NewPusher(cb.URL, cbToken, cbKey, srv.CorpID)
	p.Attempts = 1
	srv.SetGroupChatPusher(srv.CorpID, p)
	return srv, rc
}

func getChat(t *testing.T, c *wecom.Client, chatID string) (members []string, version string) {
	t.Helper()
	var out struct {
		GroupChat struct {
			MemberList []struct {
				UserID string `json:"userid"`
			} `json:"member_list"`
			MemberVersion string `json:"member_version"`
		} `json:"group_chat"`
	}
	require.NoError(t, c.Post(context.Background(), "/cgi-bin/externalcontact/groupchat/get", map[string]any{"chat_id": chatID}, &out))
	for _, m := range out.GroupChat.MemberList {
		members = append(members, m.UserID)
	}
	return members, out.GroupChat.MemberVersion
}

func TestGroupChatEventsChainMemberVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, rc := groupChatFake(t)
	cust, err := srv.SeedCustomers(srv.CorpID, 3, []string{"owner"})
	require.NoError(t, err)
	chat, err := srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "owner", Name: "g"})
	require.NoError(t, err)
	_, v0 := getChat(t, srv.Client(), chat)
	require.NoError(t, srv.JoinGroupChat(ctx, srv.CorpID, chat, cust, "other"))
	require.NoError(t, srv.LeaveGroupChat(ctx, srv.CorpID, chat, cust[:2], true))
	require.NoError(t, srv.RenameGroupChat(ctx, srv.CorpID, chat, "renamed"))
	require.NoError(t, srv.SetGroupChatNotice(ctx, srv.CorpID, chat, "notice"))
	require.NoError(t, srv.SetGroupChatOwner(ctx, srv.CorpID, chat, "heir"))
	require.NoError(t, srv.DismissGroupChat(ctx, srv.CorpID, chat))

	evs := rc.got()
	require.Len(t, evs, 7)
	kinds := make([]string, len(evs))
	for i, ev := range evs {
		kinds[i] = ev.ChangeType + "/" + ev.UpdateDetail
		assert.Equal(t, "change_external_chat", ev.Event)
		assert.Equal(t, srv.CorpID, ev.ToUserName)
		assert.Equal(t, chat, ev.ChatID)
	}
	assert.Equal(t, []string{"create/", "update/add_member", "update/del_member", "update/change_name",
		"update/change_notice", "update/change_owner", "dismiss/"}, kinds)

	add, del := evs[1], evs[2]
	assert.Equal(t, cust, add.MemChangeList)
	assert.Equal(t, 3, add.MemChangeCnt)
	assert.Equal(t, 0, add.JoinScene, "invited by a member")
	assert.Equal(t, v0, add.LastMemVer)
	assert.Equal(t, add.CurMemVer, del.LastMemVer, "each member event starts where the last one ended")
	assert.Equal(t, 1, del.QuitScene)
	assert.Equal(t, cust[:2], del.MemChangeList)
	assert.Equal(t, del.CurMemVer, evs[3].LastMemVer)
	assert.Equal(t, evs[3].LastMemVer, evs[3].CurMemVer, "a rename leaves the members alone")
	assert.NotEqual(t, evs[5].LastMemVer, evs[5].CurMemVer, "the new owner joined the group")
	assert.Empty(t, evs[6].LastMemVer)

	// the log has the same events, for re-sending
	logged := srv.GroupChatEvents(srv.CorpID)
	require.Len(t, logged, 7)
	assert.Equal(t, add.CurMemVer, logged[1].CurMemVer)
	assert.Equal(t, "heir", srv.GroupChatOwner(srv.CorpID, chat))
	assert.Nil(t, srv.GroupChatMembers(srv.CorpID, chat), "dismissed")
}

func TestGroupChatVersionMatchesGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, rc := groupChatFake(t)
	cust, err := srv.SeedCustomers(srv.CorpID, 2, []string{"owner"})
	require.NoError(t, err)
	chat, err := srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "owner", Members: cust[:1]})
	require.NoError(t, err)
	require.NoError(t, srv.JoinGroupChat(ctx, srv.CorpID, chat, cust[1:], ""))
	members, v := getChat(t, srv.Client(), chat)
	assert.Equal(t, []string{"owner", cust[0], cust[1]}, members)
	assert.Equal(t, rc.got()[1].CurMemVer, v)

	// a lagging read shows the state before the last change, once
	srv.SetGroupChatLag(srv.CorpID, 1)
	members, lagged := getChat(t, srv.Client(), chat)
	assert.Equal(t, []string{"owner", cust[0]}, members)
	assert.Equal(t, rc.got()[1].LastMemVer, lagged)
	_, v = getChat(t, srv.Client(), chat)
	assert.Equal(t, rc.got()[1].CurMemVer, v)
}

func TestGroupChatDroppedAndReSentEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, rc := groupChatFake(t)
	chat, err := srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "owner"})
	require.NoError(t, err)
	srv.DropGroupChatEvents(srv.CorpID, 1)
	require.NoError(t, srv.JoinGroupChat(ctx, srv.CorpID, chat, []string{"other"}, ""))
	require.NoError(t, srv.RenameGroupChat(ctx, srv.CorpID, chat, "x"))
	got := rc.got()
	require.Len(t, got, 2, "the join was not pushed")
	assert.Equal(t, "change_name", got[1].UpdateDetail)
	logged := srv.GroupChatEvents(srv.CorpID)
	require.Len(t, logged, 3)

	// WeCom re-sending the dropped event: the same XML, pushed again
	p := wecomtest.NewPusher("", cbToken, cbKey, srv.CorpID)
	x := wecomtest.ExternalChatXML(srv.CorpID, logged[1])
	assert.Contains(t, string(x), "<MemChangeList><Item><![CDATA[other]]></Item></MemChangeList>")
	_, err = p.Encrypt(x)
	require.NoError(t, err)

	// a failing callback is reported by the helper that pushed
	rc.mu.Lock()
	rc.fail = true
	rc.mu.Unlock()
	err = srv.RenameGroupChat(ctx, srv.CorpID, chat, "y")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "change_name")
}

func TestGroupChatTransferPushesInTheBackground(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, rc := groupChatFake(t)
	chat, err := srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "owner"})
	require.NoError(t, err)
	require.NoError(t, srv.ResignStaff(srv.CorpID, "owner"))
	var out struct {
		FailedChatList []struct {
			ChatID  string `json:"chat_id"`
			Errcode int    `json:"errcode"`
		} `json:"failed_chat_list"`
	}
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/groupchat/transfer",
		map[string]any{"chat_id_list": []string{chat, "wrnone"}, "new_owner": "heir"}, &out))
	require.Len(t, out.FailedChatList, 1)
	assert.Equal(t, 90501, out.FailedChatList[0].Errcode)
	require.NoError(t, srv.DeliverGroupChatEvents(ctx, srv.CorpID))
	evs := rc.got()
	require.Len(t, evs, 2)
	assert.Equal(t, "change_owner", evs[1].UpdateDetail)
	members, _ := getChat(t, srv.Client(), chat)
	assert.Equal(t, []string{"owner", "heir"}, members, "the heir joined the group")

	// a failed background push is reported by DeliverGroupChatEvents
	other, err := srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "other"})
	require.NoError(t, err)
	rc.mu.Lock()
	rc.fail = true
	rc.mu.Unlock()
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/groupchat/onjob_transfer",
		map[string]any{"chat_id_list": []string{other}, "new_owner": "heir"}, nil))
	require.Error(t, srv.DeliverGroupChatEvents(ctx, srv.CorpID))
	require.NoError(t, srv.DeliverGroupChatEvents(ctx, srv.CorpID), "errors are reported once")
}

func TestGroupChatHelpersRefuseWhatWeComWould(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.AddStaff(srv.CorpID, "owner"))
	_, err := srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "nobody"})
	require.ErrorIs(t, err, wecomtest.ErrNotFound)
	_, err = srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "owner", Members: []string{"stranger"}})
	require.ErrorIs(t, err, wecomtest.ErrNotFound)
	chat, err := srv.CreateGroupChat(ctx, srv.CorpID, wecomtest.GroupChatSpec{Owner: "owner"})
	require.NoError(t, err)
	require.Error(t, srv.LeaveGroupChat(ctx, srv.CorpID, chat, []string{"owner"}, false), "the owner cannot leave")
	require.ErrorIs(t, srv.LeaveGroupChat(ctx, srv.CorpID, chat, []string{"absent"}, false), wecomtest.ErrNotFound)
	srv.SetGroupChatCapacity(srv.CorpID, 2)
	cust, err := srv.SeedCustomers(srv.CorpID, 2, []string{"owner"})
	require.NoError(t, err)
	require.Error(t, srv.JoinGroupChat(ctx, srv.CorpID, chat, cust, ""), "full")
	require.NoError(t, srv.JoinGroupChat(ctx, srv.CorpID, chat, cust[:1], ""))
	_, _, err = srv.JoinViaJoinWay(ctx, srv.CorpID, "nope", "")
	require.ErrorIs(t, err, wecomtest.ErrNotFound)
	require.ErrorIs(t, srv.DismissGroupChat(ctx, "wwnocorp", chat), wecomtest.ErrNotFound)
	assert.Empty(t, srv.GroupChatEvents("wwnocorp"))

	// without a pusher, events are logged only
	require.NoError(t, srv.RenameGroupChat(ctx, srv.CorpID, chat, "quiet"))
	assert.Len(t, srv.GroupChatEvents(srv.CorpID), 3)
}

func TestGroupChatStatisticsAnswerWeComErrcodes(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	ctx := context.Background()
	today := time.Now().Unix()
	for _, body := range []map[string]any{
		{"day_begin_time": today},
		{"day_begin_time": today - 200*86400},
		{"day_begin_time": today - 40*86400, "day_end_time": today - 2*86400},
		{},
	} {
		err := c.Post(ctx, "/cgi-bin/externalcontact/groupchat/statistic", body, nil)
		assert.Equal(t, 600018, wecom.ErrorCode(err), "%v: %v", body, err)
	}
	err := c.Post(ctx, "/cgi-bin/externalcontact/groupchat/statistic",
		map[string]any{"day_begin_time": today - 2*86400, "limit": 1001}, nil)
	assert.Equal(t, 40058, wecom.ErrorCode(err))
	var out json.RawMessage
	require.NoError(t, c.Post(ctx, "/cgi-bin/externalcontact/groupchat/statistic",
		map[string]any{"day_begin_time": today - 2*86400}, &out))
	assert.JSONEq(t, `{"errcode":0,"errmsg":"ok","total":0,"next_offset":0,"items":[]}`, string(out))
}
