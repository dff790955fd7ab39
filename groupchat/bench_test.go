package groupchat

import (
	"context"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// benchGroup is a 500-member group in WeCom's JSON, as groupchat/get
// answers it, and its decoded form.
func benchGroup(b *testing.B) ([]byte, *GroupChat) {
	g := &GroupChat{ChatID: "wrBench", Name: "bench", Owner: "owner", CreateTime: 1700000000, MemberVersion: "v0"}
	g.MemberList = append(g.MemberList, Member{UserID: "owner", Type: MemberInternal, JoinTime: 1700000000, JoinScene: JoinInvited})
	for i := range 499 {
		g.MemberList = append(g.MemberList, Member{UserID: "wmBenchCustomer" + strconv.Itoa(i), Type: MemberExternal,
			UnionID: "ozBenchUnion" + strconv.Itoa(i), JoinTime: wecom.UnixTime(1700000000 + i), JoinScene: JoinQRCode,
			State: "bench-state", GroupNickname: "nick"})
	}
	body, err := json.Marshal(struct {
		GroupChat *GroupChat `json:"group_chat"`
	}{g})
	require.NoError(b, err)
	return body, g
}

// benchTracker tracks the 500-member group; its groupchat/get decodes the
// group's JSON, as the client would, without the network.
func benchTracker(b *testing.B) (*Tracker, *TrackedChat) {
	body, g := benchGroup(b)
	tr := NewTracker(New(wecom.New("wwbench", "s", wecom.WithBaseURL("http://127.0.0.1:1"))))
	tr.fetch = func(context.Context, string) (*GroupChat, error) {
		var out struct {
			GroupChat GroupChat `json:"group_chat"`
		}
		err := json.Unmarshal(body, &out)
		return &out.GroupChat, err
	}
	return tr, fromGroupChat(g.ChatID, g)
}

func delEvent(chatID, member string, last, cur string) *callback.ExternalChatEvent {
	ev := &callback.ExternalChatEvent{ChatID: chatID, UpdateDetail: callback.UpdateDelMember, MemChangeCnt: 1,
		MemChangeList: []string{member}, LastMemVer: last, CurMemVer: cur}
	ev.ToUserName, ev.ChangeType = "wwbench", callback.ChangeChatUpdate
	return ev
}

// BenchmarkTrackerDelMember is the update path of a departure in sequence:
// load the stored group, drop the member, store it; no call to WeCom. The
// group shrinks from 500 to 100 members and is then restored (untimed).
func BenchmarkTrackerDelMember(b *testing.B) {
	tr, start := benchTracker(b)
	ctx := b.Context()
	versions := make([]string, 401)
	for i := range versions {
		versions[i] = "v" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % 400
		if k == 0 {
			b.StopTimer()
			require.NoError(b, tr.store.Save(ctx, start.Clone()))
			b.StartTimer()
		}
		ev := delEvent(start.ChatID, start.Members[1+k].UserID, versions[k], versions[k+1])
		require.NoError(b, tr.HandleEvent(ctx, ev))
	}
	b.StopTimer()
	st := tr.Stats()
	require.Zero(b, st.Fetches, "every event applied locally: %+v", st)
	require.Equal(b, int64(b.N), st.Local, "every event applied locally: %+v", st)
}

// BenchmarkTrackerDuplicate is a re-sent event: recognised by its version
// and skipped.
func BenchmarkTrackerDuplicate(b *testing.B) {
	tr, start := benchTracker(b)
	ctx := b.Context()
	start.PastVersions = []string{"vOld"}
	require.NoError(b, tr.store.Save(ctx, start))
	ev := delEvent(start.ChatID, "wmBenchCustomer7", "vOlder", "vOld")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		require.NoError(b, tr.HandleEvent(ctx, ev))
	}
	b.StopTimer()
	st := tr.Stats()
	require.Equal(b, int64(b.N), st.Duplicates, "stats %+v", st)
	require.Zero(b, st.Fetches, "stats %+v", st)
}

// BenchmarkTrackerRefetch is the reference: the same departure handled by
// reading the group again (decoding groupchat/get's 500-member answer) and
// storing it, which is what a tracker without versions does for every
// event, and what this one does after a missed event.
func BenchmarkTrackerRefetch(b *testing.B) {
	tr, start := benchTracker(b)
	ctx := b.Context()
	require.NoError(b, tr.store.Save(ctx, start))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// a gap: LastMemVer is not the stored version
		ev := delEvent(start.ChatID, "wmBenchCustomer7", "vMissed", "vNew"+strconv.Itoa(i))
		require.NoError(b, tr.HandleEvent(ctx, ev))
	}
	b.StopTimer()
	require.Equal(b, int64(b.N), tr.Stats().Fetches)
}

// BenchmarkTrackerRefetchWecomtest is the refetch over loopback HTTP to
// wecomtest: what a read of a 500-member group costs with the client and a
// server in the loop.
func BenchmarkTrackerRefetchWecomtest(b *testing.B) {
	srv, c := testkit.Setup(b, testkit.WithClientOptions(wecom.WithRateLimit("/cgi-bin/externalcontact/groupchat/get", wecom.Limit{})))
	srv.Corp(srv.CorpID).GroupChats().SetCapacity(500)
	cust := testkit.Seed(b, srv, 499, "owner")
	ctx := b.Context()
	chat, err := srv.Corp(srv.CorpID).GroupChats().Create(ctx, wecomtest.GroupChatSpec{Owner: "owner", Members: cust, CreatedAt: time.Unix(1700000000, 0)})
	require.NoError(b, err)
	tr := NewTracker(New(c))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := tr.Refresh(ctx, chat)
		require.NoError(b, err)
	}
}

// benchGroupFlow returns the fake's callback with a Handler serving
// register, and the config id of a join way over one group (groups of
// 200; WeCom opens the next when one is full).
func benchGroupFlow(b *testing.B, register func(svc *Service, h *callback.Handler) string) (*wecomtest.Corp, string) {
	srv, c := testkit.Setup(b, testkit.WithStaff("owner1"),
		testkit.WithClientOptions(wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil)))) // the path, not WeCom's limits
	svc := New(c)
	chat := testkit.GroupChat(b, srv, "owner1", "Fair")
	var configID string
	cb := testkit.Callback(b, srv, func(h *callback.Handler) { configID = register(svc, h) })
	if configID == "" {
		id, err := svc.AddJoinWay(b.Context(), &AddJoinWayRequest{Scene: SceneQRCode, ChatIDList: []string{chat}, State: "fair"})
		require.NoError(b, err)
		configID = id
	}
	return cb, configID
}

// BenchmarkGroupChannelJoin is a customer scanning a group channel code:
// the join (one wecomtest call), the add_member push, the Tracker reading
// the group, the joiner resolved to the channel, the channel's tag tried
// on the joiner (a new customer, no one's: WeCom answers 84061) and the
// join reported. The push is answered after all of it.
func BenchmarkGroupChannelJoin(b *testing.B) {
	var joins atomic.Int64
	cb, configID := benchGroupFlow(b, func(svc *Service, h *callback.Handler) string {
		chs, err := NewChannels(svc, wecom.NewMemoryStore(), nil, ChannelTemplate{})
		require.NoError(b, err)
		g, err := contact.New(svc.Client()).AddCorpTag(b.Context(), &contact.AddCorpTagRequest{GroupName: "入群", Tag: []contact.NewTag{{Name: "展会"}}})
		require.NoError(b, err)
		code, err := chs.Ensure(b.Context(), Channel{Name: "fair", ChatIDs: []string{firstChat(b, svc)}, Tags: []string{g.Tag[0].ID}})
		require.NoError(b, err)
		chs.OnJoin(func(context.Context, *ChannelJoin) { joins.Add(1) })
		chs.Register(h)
		return code.ConfigID
	})
	benchJoins(b, cb, configID)
	require.Equal(b, int64(b.N), joins.Load(), "one join reported per scan")
}

// BenchmarkGroupJoinTrackerOnly is the reference: the same scan with only
// the Tracker registered (Tracker.Register), which stores the joiner and
// its State without telling the channel.
func BenchmarkGroupJoinTrackerOnly(b *testing.B) {
	cb, configID := benchGroupFlow(b, func(svc *Service, h *callback.Handler) string {
		NewTracker(svc).Register(h)
		return ""
	})
	benchJoins(b, cb, configID)
}

func firstChat(b *testing.B, svc *Service) string {
	resp, err := svc.List(b.Context(), &ListRequest{Limit: 10})
	require.NoError(b, err)
	require.NotEmpty(b, resp.GroupChatList)
	return resp.GroupChatList[0].ChatID
}

func benchJoins(b *testing.B, cb *wecomtest.Corp, configID string) {
	b.ReportAllocs()
	for b.Loop() {
		_, err := cb.GroupChats().JoinViaJoinWay(b.Context(), configID, "")
		require.NoError(b, err)
	}
}
