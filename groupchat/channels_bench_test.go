package groupchat_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// benchGroupFlow returns the fake's callback with a Handler serving
// register, and the config id of a join way over one group (groups of
// 200; WeCom opens the next when one is full).
func benchGroupFlow(b *testing.B, register func(svc *groupchat.Service, h *callback.Handler) string) (*wecomtest.Corp, string) {
	srv, _ := setup(b)
	svc := groupchat.New(srv.Client(wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil)))) // the path, not WeCom's limits
	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler("gctoken", key, callback.WithReceiverID(srv.CorpID))
	require.NoError(b, err)
	b.Cleanup(func() { _ = h.Close(context.Background()) })
	chat := newChat(b, srv, "owner1", "Fair")
	configID := register(svc, h)
	if configID == "" {
		id, err := svc.AddJoinWay(bg, &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: []string{chat}, State: "fair"})
		require.NoError(b, err)
		configID = id
	}
	hs := httptest.NewServer(h)
	b.Cleanup(hs.Close)
	return srv.Corp(srv.CorpID).SetCallback(hs.URL, "gctoken", key), configID
}

// BenchmarkGroupChannelJoin is a customer scanning a group channel code:
// the join (one wecomtest call), the add_member push, the Tracker reading
// the group, the joiner resolved to the channel, the channel's tag tried
// on the joiner (a new customer, no one's: WeCom answers 84061) and the
// join reported. The push is answered after all of it.
func BenchmarkGroupChannelJoin(b *testing.B) {
	var joins atomic.Int64
	cb, configID := benchGroupFlow(b, func(svc *groupchat.Service, h *callback.Handler) string {
		chs, err := groupchat.NewChannels(svc, wecom.NewMemoryStore(), nil, groupchat.ChannelTemplate{})
		require.NoError(b, err)
		g, err := contact.New(svc.Client()).AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "入群", Tag: []contact.NewTag{{Name: "展会"}}})
		require.NoError(b, err)
		code, err := chs.Ensure(bg, groupchat.Channel{Name: "fair", ChatIDs: []string{firstChat(b, svc)}, Tags: []string{g.Tag[0].ID}})
		require.NoError(b, err)
		chs.OnJoin(func(context.Context, *groupchat.ChannelJoin) { joins.Add(1) })
		chs.Register(h)
		return code.ConfigID
	})
	benchJoins(b, cb, configID)
	if n := joins.Load(); n != int64(b.N) {
		b.Fatalf("%d joins reported for %d scans", n, b.N)
	}
}

// BenchmarkGroupJoinTrackerOnly is the reference: the same scan with only
// the Tracker registered (Tracker.Register), which stores the joiner and
// its State without telling the channel.
func BenchmarkGroupJoinTrackerOnly(b *testing.B) {
	cb, configID := benchGroupFlow(b, func(svc *groupchat.Service, h *callback.Handler) string {
		groupchat.NewTracker(svc).Register(h)
		return ""
	})
	benchJoins(b, cb, configID)
}

func firstChat(b *testing.B, svc *groupchat.Service) string {
	resp, err := svc.List(bg, &groupchat.ListRequest{Limit: 10})
	require.NoError(b, err)
	require.NotEmpty(b, resp.GroupChatList)
	return resp.GroupChatList[0].ChatID
}

func benchJoins(b *testing.B, cb *wecomtest.Corp, configID string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cb.GroupChats().JoinViaJoinWay(bg, configID, ""); err != nil {
			b.Fatal(err)
		}
	}
}
