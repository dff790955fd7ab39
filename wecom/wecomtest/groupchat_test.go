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

// groupChatFake is a fake whose corp pushes its change_external_chat
// events to a receiver that decodes them.
func groupChatFake(t *testing.T) (*wecomtest.Server, *chatReceiver) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("owner", "other", "heir"))
	rc := &chatReceiver{}
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env struct{ Encrypt string }
		assert.NoError(t, xml.Unmarshal(b, &env))
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
	p := srv.Corp(srv.CorpID).SetCallback(cb.URL, cbToken, cbKey).Pusher()
	p.Attempts = 1
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
	ctx := t.Context()
	srv, rc := groupChatFake(t)
	corp := srv.Corp(srv.CorpID)
	groups := corp.GroupChats()
	cust, err := corp.SeedCustomers(3, []string{"owner"})
	require.NoError(t, err)
	chat, err := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "owner", Name: "g"})
	require.NoError(t, err)
	_, v0 := getChat(t, srv.Client(), chat)
	require.NoError(t, groups.Join(ctx, chat, cust, "other"))
	require.NoError(t, groups.Leave(ctx, chat, cust[:2], true))
	require.NoError(t, groups.Rename(ctx, chat, "renamed"))
	require.NoError(t, groups.SetNotice(ctx, chat, "notice"))
	require.NoError(t, groups.SetOwner(ctx, chat, "heir"))
	require.NoError(t, groups.Dismiss(ctx, chat))

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
	logged := groups.Events()
	require.Len(t, logged, 7)
	assert.Equal(t, add.CurMemVer, logged[1].CurMemVer)
	assert.Equal(t, "heir", groups.Owner(chat))
	assert.Nil(t, groups.Members(chat), "dismissed")
}

func TestGroupChatVersionMatchesGet(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, rc := groupChatFake(t)
	corp := srv.Corp(srv.CorpID)
	groups := corp.GroupChats()
	cust, err := corp.SeedCustomers(2, []string{"owner"})
	require.NoError(t, err)
	chat, err := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "owner", Members: cust[:1]})
	require.NoError(t, err)
	require.NoError(t, groups.Join(ctx, chat, cust[1:], ""))
	members, v := getChat(t, srv.Client(), chat)
	assert.Equal(t, []string{"owner", cust[0], cust[1]}, members)
	assert.Equal(t, rc.got()[1].CurMemVer, v)

	// a lagging read shows the state before the last change, once
	groups.SetLag(1)
	members, lagged := getChat(t, srv.Client(), chat)
	assert.Equal(t, []string{"owner", cust[0]}, members)
	assert.Equal(t, rc.got()[1].LastMemVer, lagged)
	_, v = getChat(t, srv.Client(), chat)
	assert.Equal(t, rc.got()[1].CurMemVer, v)
}

func TestGroupChatDroppedAndReSentEvents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, rc := groupChatFake(t)
	groups := srv.Corp(srv.CorpID).GroupChats()
	chat, err := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "owner"})
	require.NoError(t, err)
	groups.DropEvents(1)
	require.NoError(t, groups.Join(ctx, chat, []string{"other"}, ""))
	require.NoError(t, groups.Rename(ctx, chat, "x"))
	got := rc.got()
	require.Len(t, got, 2, "the join was not pushed")
	assert.Equal(t, "change_name", got[1].UpdateDetail)
	logged := groups.Events()
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
	err = groups.Rename(ctx, chat, "y")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "change_name")
}

func TestGroupChatTransferPushesInTheBackground(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, rc := groupChatFake(t)
	corp := srv.Corp(srv.CorpID)
	groups := corp.GroupChats()
	chat, err := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "owner"})
	require.NoError(t, err)
	require.NoError(t, corp.ResignStaff("owner"))
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
	require.NoError(t, groups.DeliverEvents(ctx))
	evs := rc.got()
	require.Len(t, evs, 2)
	assert.Equal(t, "change_owner", evs[1].UpdateDetail)
	members, _ := getChat(t, srv.Client(), chat)
	assert.Equal(t, []string{"owner", "heir"}, members, "the heir joined the group")

	// a failed background push is reported by DeliverGroupChatEvents
	other, err := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "other"})
	require.NoError(t, err)
	rc.mu.Lock()
	rc.fail = true
	rc.mu.Unlock()
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/groupchat/onjob_transfer",
		map[string]any{"chat_id_list": []string{other}, "new_owner": "heir"}, nil))
	require.Error(t, groups.DeliverEvents(ctx))
	require.NoError(t, groups.DeliverEvents(ctx), "errors are reported once")
}

func TestGroupChatHelpersRefuseWhatWeComWould(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)
	groups := corp.GroupChats()
	require.NoError(t, corp.AddStaff("owner"))
	_, err := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "nobody"})
	require.ErrorIs(t, err, wecomtest.ErrNotFound)
	_, err = groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "owner", Members: []string{"stranger"}})
	require.ErrorIs(t, err, wecomtest.ErrNotFound)
	chat, err := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "owner"})
	require.NoError(t, err)
	require.Error(t, groups.Leave(ctx, chat, []string{"owner"}, false), "the owner cannot leave")
	require.ErrorIs(t, groups.Leave(ctx, chat, []string{"absent"}, false), wecomtest.ErrNotFound)
	groups.SetCapacity(2)
	cust, err := corp.SeedCustomers(2, []string{"owner"})
	require.NoError(t, err)
	require.Error(t, groups.Join(ctx, chat, cust, ""), "full")
	require.NoError(t, groups.Join(ctx, chat, cust[:1], ""))
	_, err = groups.JoinViaJoinWay(ctx, "nope", "")
	require.ErrorIs(t, err, wecomtest.ErrNotFound)
	require.ErrorIs(t, srv.Corp("wwnocorp").GroupChats().Dismiss(ctx, chat), wecomtest.ErrNotFound)
	assert.Empty(t, srv.Corp("wwnocorp").GroupChats().Events())

	// without a callback, events are logged only
	require.NoError(t, groups.Rename(ctx, chat, "quiet"))
	assert.Len(t, groups.Events(), 3)
}

func TestGroupChatStatisticsAnswerWeComErrcodes(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	ctx := t.Context()
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
