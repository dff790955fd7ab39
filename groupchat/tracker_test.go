package groupchat_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	getPath  = "/cgi-bin/externalcontact/groupchat/get"
	listPath = "/cgi-bin/externalcontact/groupchat/list"
)

// tracked is a fake WeCom whose change_external_chat events reach a
// callback handler with a Tracker registered on it.
type tracked struct {
	srv    *wecomtest.Server
	svc    *groupchat.Service
	tr     *groupchat.Tracker
	h      *callback.Handler
	pusher *wecomtest.Pusher
}

func setupTracked(t testing.TB, hopts []callback.Option, topts ...groupchat.TrackerOption) *tracked {
	t.Helper()
	srv, svc := setup(t)
	e := &tracked{srv: srv, svc: svc, tr: groupchat.NewTracker(svc, topts...)}
	e.pusher = testkit.Callback(t, srv, func(h *callback.Handler) {
		e.h = h
		e.tr.Register(h)
	}, hopts...).Pusher()
	e.pusher.Attempts = 1
	return e
}

// requireInSync checks that the tracker's copy of chatID has exactly the
// fake's members, no pending ones, and the fake's member version.
func requireInSync(t *testing.T, e *tracked, chatID string) *groupchat.TrackedChat {
	t.Helper()
	c, err := e.tr.Chat(t.Context(), chatID)
	require.NoError(t, err)
	require.NotNil(t, c, "chat %s is tracked", chatID)
	assert.Equal(t, e.srv.Corp(e.srv.CorpID).GroupChats().Members(chatID), ids(c.Members))
	assert.Empty(t, c.Pending)
	g, err := e.svc.Get(t.Context(), &groupchat.GetRequest{ChatID: chatID})
	require.NoError(t, err)
	assert.Equal(t, g.MemberVersion, c.MemberVersion)
	return c
}

func TestTrackerFollowsAJoinWay(t *testing.T) {
	t.Parallel()
	e := setupTracked(t, nil)
	srv := e.srv
	srv.Corp(srv.CorpID).GroupChats().SetCapacity(4)
	first := testkit.GroupChat(t, srv, "owner1", "Club")
	cfg, err := e.svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: []string{first},
		RoomBaseName: "Club", RoomBaseID: 2, State: "spring"})
	require.NoError(t, err)

	joined := map[string]string{} // customer → group
	var last string
	for range 7 {
		join, err := srv.Corp(srv.CorpID).GroupChats().JoinViaJoinWay(t.Context(), cfg, "")
		require.NoError(t, err)
		joined[join.ExternalUserID], last = join.ChatID, join.ChatID
	}
	// someone invited directly has no state
	direct := testkit.Seed(t, srv, 1, "owner1")[0]
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), last, []string{direct}, ""))

	joins, err := e.tr.Joins(t.Context(), "spring")
	require.NoError(t, err)
	require.Len(t, joins, 7)
	for _, j := range joins {
		assert.Equal(t, joined[j.Member.UserID], j.ChatID)
		assert.Equal(t, groupchat.JoinQRCode, j.Member.JoinScene)
		assert.Equal(t, "spring", j.Member.State)
	}
	rooms := map[string]bool{}
	for _, chat := range joined {
		rooms[chat] = true
	}
	assert.Len(t, rooms, 3, "the group filled up twice: two new rooms")
	for chat := range rooms {
		requireInSync(t, e, chat)
	}
	c, err := e.tr.Chat(t.Context(), last)
	require.NoError(t, err)
	assert.Contains(t, ids(c.Members), direct)
	assert.Empty(t, c.Members[len(c.Members)-1].State)
	st := e.tr.Stats()
	assert.Zero(t, st.Gaps)
	// a read per create (3) and per add_member (8), but for the first
	// joins of the new rooms: the create's read saw them already
	assert.EqualValues(t, 3+8-2, st.Fetches)
	assert.EqualValues(t, 2, st.Duplicates)

	empty, err := e.tr.Joins(t.Context(), "autumn")
	require.NoError(t, err)
	assert.Empty(t, empty)
	_, err = e.tr.Joins(t.Context(), "")
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
}

func TestTrackerAppliesLeavingWithoutCallingWeCom(t *testing.T) {
	t.Parallel()
	e := setupTracked(t, nil)
	srv := e.srv
	cust := testkit.Seed(t, srv, 5, "owner1")
	chat := testkit.GroupChat(t, srv, "owner1", "g", cust...)
	before := srv.Count(getPath)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Leave(t.Context(), chat, cust[1:3], false))
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Leave(t.Context(), chat, cust[4:], true))
	assert.Equal(t, before, srv.Count(getPath), "del_member in sequence needs no read")
	assert.EqualValues(t, 2, e.tr.Stats().Local)
	requireInSync(t, e, chat)
}

func TestTrackerRepairsAMissedEvent(t *testing.T) {
	t.Parallel()
	e := setupTracked(t, nil)
	srv := e.srv
	cust := testkit.Seed(t, srv, 6, "owner1")
	chat := testkit.GroupChat(t, srv, "owner1", "g", cust[:4]...)

	// the callback misses a departure; the next departure shows the gap
	srv.Corp(srv.CorpID).GroupChats().DropEvents(1)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Leave(t.Context(), chat, cust[:1], false))
	c, err := e.tr.Chat(t.Context(), chat)
	require.NoError(t, err)
	assert.Contains(t, ids(c.Members), cust[0], "the tracker has not seen it yet")

	before := srv.Count(getPath)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Leave(t.Context(), chat, cust[1:2], false))
	assert.Equal(t, before+1, srv.Count(getPath), "the gap makes the tracker read the group")
	st := e.tr.Stats()
	assert.EqualValues(t, 1, st.Gaps)
	assert.Zero(t, st.Local)
	requireInSync(t, e, chat)

	// a missed join is repaired by the next change of any kind
	srv.Corp(srv.CorpID).GroupChats().DropEvents(1)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), chat, cust[4:5], ""))
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Rename(t.Context(), chat, "renamed"))
	c = requireInSync(t, e, chat)
	assert.Equal(t, "renamed", c.Name)
	assert.EqualValues(t, 2, e.tr.Stats().Gaps)
}

func TestTrackerSkipsAReSentEvent(t *testing.T) {
	t.Parallel()
	// without de-duplication in the handler, the re-send reaches the tracker
	e := setupTracked(t, []callback.Option{callback.WithoutDedup()})
	srv := e.srv
	cust := testkit.Seed(t, srv, 3, "owner1")
	chat := testkit.GroupChat(t, srv, "owner1", "g")
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), chat, cust[:2], ""))
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Leave(t.Context(), chat, cust[:1], false))
	events := srv.Corp(srv.CorpID).GroupChats().Events()
	require.Len(t, events, 3)

	before := srv.Count(getPath)
	for _, ev := range events[1:] { // WeCom re-sends the join and the leave
		_, err := e.pusher.Push(t.Context(), wecomtest.ExternalChatXML(srv.CorpID, ev))
		require.NoError(t, err)
	}
	assert.Equal(t, before, srv.Count(getPath), "a re-send is recognised by its versions: no read")
	st := e.tr.Stats()
	assert.EqualValues(t, 2, st.Duplicates, "the join (older than the stored state) and the leave (the stored state)")
	assert.Zero(t, st.Gaps)
	requireInSync(t, e, chat)

	// a member who left and comes back: the event leads to a past version
	// only if versions repeat; the fake's do not, WeCom's might. Either
	// way an event in sequence is applied.
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), chat, cust[:1], ""))
	requireInSync(t, e, chat)
	assert.EqualValues(t, 2, e.tr.Stats().Duplicates)
}

func TestTrackerWaitsForLaggingReads(t *testing.T) {
	t.Parallel()
	e := setupTracked(t, nil)
	srv := e.srv
	chat := testkit.GroupChat(t, srv, "owner1", "g")
	cfg, err := e.svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: []string{chat}, State: "ad"})
	require.NoError(t, err)

	// groupchat/get still shows the group before the join
	srv.Corp(srv.CorpID).GroupChats().SetLag(1)
	join, err := srv.Corp(srv.CorpID).GroupChats().JoinViaJoinWay(t.Context(), cfg, "")
	require.NoError(t, err)
	c, err := e.tr.Chat(t.Context(), chat)
	require.NoError(t, err)
	assert.Equal(t, []string{join.ExternalUserID}, c.Pending, "announced but not yet readable")
	assert.NotContains(t, ids(c.Members), join.ExternalUserID)
	assert.Equal(t, []string{"owner1", join.ExternalUserID}, c.MemberIDs())
	joins, err := e.tr.Joins(t.Context(), "ad")
	require.NoError(t, err)
	assert.Empty(t, joins, "the state arrives with the next read")

	// the next event applies in sequence on top of the pending state
	join2, err := srv.Corp(srv.CorpID).GroupChats().JoinViaJoinWay(t.Context(), cfg, "")
	require.NoError(t, err)
	assert.Zero(t, e.tr.Stats().Gaps)
	c = requireInSync(t, e, chat)
	assert.Subset(t, ids(c.Members), []string{join.ExternalUserID, join2.ExternalUserID})
	joins, err = e.tr.Joins(t.Context(), "ad")
	require.NoError(t, err)
	assert.Len(t, joins, 2)

	// a lagging read for a departure: the event is applied on top
	srv.Corp(srv.CorpID).GroupChats().SetLag(1)
	srv.Corp(srv.CorpID).GroupChats().DropEvents(1)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), chat, testkit.Seed(t, srv, 1, "owner1"), ""))
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Leave(t.Context(), chat, []string{join.ExternalUserID}, false))
	c, err = e.tr.Chat(t.Context(), chat)
	require.NoError(t, err)
	assert.NotContains(t, c.MemberIDs(), join.ExternalUserID)
	_, err = e.tr.Refresh(t.Context(), chat)
	require.NoError(t, err)
	requireInSync(t, e, chat)
}

func TestTrackerOwnerChangesAndDismissals(t *testing.T) {
	t.Parallel()
	e := setupTracked(t, nil)
	srv := e.srv
	cust := testkit.Seed(t, srv, 2, "owner1")
	a := testkit.GroupChat(t, srv, "owner1", "a", cust...)
	b := testkit.GroupChat(t, srv, "owner1", "b")

	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().SetOwner(t.Context(), a, "owner2"))
	c := requireInSync(t, e, a)
	assert.Equal(t, "owner2", c.Owner)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().SetNotice(t.Context(), a, "hello"))
	c, err := e.tr.Chat(t.Context(), a)
	require.NoError(t, err)
	assert.Equal(t, "hello", c.Notice)

	// an inheritance through the API: the fake pushes change_owner in the background
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner1"))
	res, err := e.svc.TransferMany(t.Context(), &groupchat.TransferRequest{ChatIDList: []string{b}, NewOwner: "heir"}, 0)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().DeliverEvents(t.Context()))
	c = requireInSync(t, e, b)
	assert.Equal(t, "heir", c.Owner)

	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Dismiss(t.Context(), a))
	c, err = e.tr.Chat(t.Context(), a)
	require.NoError(t, err)
	assert.Nil(t, c)
	// a late event for the dismissed group: the read says it is gone
	require.NoError(t, e.tr.HandleEvent(t.Context(), &callback.ExternalChatEvent{Envelope: callback.Envelope{ToUserName: srv.CorpID},
		ChatID: a, UpdateDetail: callback.UpdateChangeName, LastMemVer: "x", CurMemVer: "x"}), "unknown change type is ignored")
	ev := &callback.ExternalChatEvent{ChatID: a, UpdateDetail: callback.UpdateChangeName}
	ev.ToUserName, ev.ChangeType = srv.CorpID, callback.ChangeChatUpdate
	require.NoError(t, e.tr.HandleEvent(t.Context(), ev))
	c, err = e.tr.Chat(t.Context(), a)
	require.NoError(t, err)
	assert.Nil(t, c)
	assert.EqualValues(t, 2, e.tr.Stats().Gone)
}

func TestTrackerIgnoresOtherCorpsAndBadEvents(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	tr := groupchat.NewTracker(svc)
	ev := &callback.ExternalChatEvent{ChatID: "wr1"}
	ev.ToUserName, ev.ChangeType = "wwothercorp", callback.ChangeChatCreate
	require.NoError(t, tr.HandleEvent(t.Context(), ev))
	assert.EqualValues(t, 1, tr.Stats().Ignored)
	assert.Zero(t, srv.Count(getPath))

	ev = &callback.ExternalChatEvent{}
	ev.ToUserName, ev.ChangeType = srv.CorpID, callback.ChangeChatCreate
	require.ErrorIs(t, tr.HandleEvent(t.Context(), ev), groupchat.ErrBadEvent)
	require.NoError(t, tr.HandleEvent(t.Context(), nil))

	// a read that fails is reported, so that WeCom's re-send can retry it
	srv.Fail(getPath, wecomtest.Fault{Errcode: 60011, Times: 1})
	ev = &callback.ExternalChatEvent{ChatID: "wr1"}
	ev.ToUserName, ev.ChangeType = srv.CorpID, callback.ChangeChatCreate
	err := tr.HandleEvent(t.Context(), ev)
	testkit.WantCode(t, err, 60011)
}

func TestTrackerLoadAndRefresh(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	cust := testkit.Seed(t, srv, 3, "owner1")
	var chats []string
	for range 5 {
		chats = append(chats, testkit.GroupChat(t, srv, "owner1", "old", cust...))
	}
	other := testkit.GroupChat(t, srv, "owner2", "other")
	store := groupchat.NewMemoryTrackerStore()
	tr := groupchat.NewTracker(svc, groupchat.WithStore(store), groupchat.WithMemberNames())

	n, err := tr.Load(t.Context(), &groupchat.LoadRequest{StatusFilter: 9})
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	assert.Zero(t, n)
	assert.Zero(t, srv.Count(listPath), "refused before listing")

	n, err = tr.Load(t.Context(), &groupchat.LoadRequest{OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"owner1"}}})
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, 5, store.Len())
	assert.Equal(t, 1, srv.Count(listPath), "one page of up to 1000 groups")
	assert.Equal(t, 5, srv.Count(getPath), "each group read once")
	assert.Equal(t, []any{"owner1"}, testkit.LastBody(t, srv, listPath)["owner_filter"].(map[string]any)["userid_list"])
	c, err := tr.Chat(t.Context(), other)
	require.NoError(t, err)
	assert.Nil(t, c, "another owner's group is not loaded")

	n, err = tr.Load(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, 6, n, "nil loads every group")
	assert.Equal(t, 6, store.Len())
	c, err = tr.Chat(t.Context(), chats[0])
	require.NoError(t, err)
	assert.NotEmpty(t, c.Members[1].Name, "WithMemberNames reads names")

	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Dismiss(t.Context(), chats[0]))
	c, err = tr.Refresh(t.Context(), chats[0])
	require.NoError(t, err)
	assert.Nil(t, c, "a group that is gone is forgotten")
	assert.Equal(t, 5, store.Len())
	_, err = tr.Refresh(t.Context(), "")
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
}

func TestTrackerConcurrentEvents(t *testing.T) {
	t.Parallel()
	e := setupTracked(t, []callback.Option{callback.WithWorkers(4, 256)})
	t.Cleanup(func() { _ = e.h.Close(context.Background()) })
	srv := e.srv
	srv.Corp(srv.CorpID).GroupChats().SetCapacity(500)
	chats := []string{testkit.GroupChat(t, srv, "owner1", "a"), testkit.GroupChat(t, srv, "owner2", "b")}
	cfg, err := e.svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: chats[:1], State: "busy"})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				if w%2 == 0 {
					_, err := srv.Corp(srv.CorpID).GroupChats().JoinViaJoinWay(t.Context(), cfg, "")
					assert.NoError(t, err)
				} else {
					c := testkit.Seed(t, srv, 1, "owner1")
					assert.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), chats[1], c, ""))
					if i%3 == 0 {
						assert.NoError(t, srv.Corp(srv.CorpID).GroupChats().Leave(t.Context(), chats[1], c, true))
					}
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, e.h.Close(context.Background())) // every queued event handled
	for _, chat := range chats {
		requireInSync(t, e, chat)
	}
	joins, err := e.tr.Joins(t.Context(), "busy")
	require.NoError(t, err)
	assert.Len(t, joins, 30)
	assert.True(t, slices.IsSortedFunc(joins, func(a, b groupchat.Join) int { return int(a.Member.JoinTime - b.Member.JoinTime) }))
}

func TestTrackerIsOnTheClientsClockAndLogger(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	var logs bytes.Buffer
	srv, c := testkit.Setup(t, testkit.WithStaff("owner1"), testkit.WithClientOptions(wecom.WithClock(clk.Now),
		wecom.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))))
	chat := testkit.GroupChat(t, srv, "owner1", "g")
	tr := groupchat.NewTracker(groupchat.New(c))

	got, err := tr.Refresh(t.Context(), chat)
	require.NoError(t, err)
	assert.Equal(t, clk.Now(), got.UpdatedAt, "UpdatedAt is on the client's clock")

	// a missed event is logged through the client's logger
	ev := &callback.ExternalChatEvent{ChatID: chat, UpdateDetail: callback.UpdateChangeName, LastMemVer: "vMissed", CurMemVer: "vNew"}
	ev.ToUserName, ev.ChangeType = srv.CorpID, callback.ChangeChatUpdate
	require.NoError(t, tr.HandleEvent(t.Context(), ev))
	assert.Equal(t, int64(1), tr.Stats().Gaps)
	assert.Contains(t, logs.String(), "missed an event")

	// WithLogger takes over
	var own bytes.Buffer
	tr = groupchat.NewTracker(groupchat.New(c), groupchat.WithLogger(slog.New(slog.NewTextHandler(&own, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err = tr.Refresh(t.Context(), chat)
	require.NoError(t, err)
	logs.Reset()
	require.NoError(t, tr.HandleEvent(t.Context(), ev))
	assert.Contains(t, own.String(), "missed an event")
	assert.NotContains(t, logs.String(), "missed an event")
}
