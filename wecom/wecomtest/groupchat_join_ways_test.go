package wecomtest_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestJoinViaJoinWayPushesTheJoin(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)
	require.NoError(t, corp.AddStaff("owner"))
	chat, err := corp.GroupChats().Create(t.Context(), wecomtest.GroupChatSpec{Owner: "owner", Name: "g"})
	require.NoError(t, err)
	var out struct {
		ConfigID string `json:"config_id"`
	}
	require.NoError(t, srv.Client().Post(context.Background(), "/cgi-bin/externalcontact/groupchat/add_join_way",
		map[string]any{"scene": 2, "chat_id_list": []string{chat}, "state": "fair"}, &out))

	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler("t", key, callback.WithReceiverID(srv.CorpID))
	require.NoError(t, err)
	var (
		mu  sync.Mutex
		got []*callback.ExternalChatEvent
	)
	h.OnExternalChat(func(_ context.Context, ev *callback.ExternalChatEvent) error {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		return nil
	})
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	groups := corp.SetCallback(hs.URL, "t", key).GroupChats()

	join, err := groups.JoinViaJoinWay(t.Context(), out.ConfigID, "")
	require.NoError(t, err)
	assert.Equal(t, chat, join.ChatID)
	assert.Equal(t, "fair", join.State)
	assert.Contains(t, groups.Members(chat), join.ExternalUserID)
	mu.Lock()
	require.Len(t, got, 1)
	assert.Equal(t, callback.UpdateAddMember, got[0].UpdateDetail)
	assert.Equal(t, []string{join.ExternalUserID}, got[0].MemChangeList)
	mu.Unlock()

	// The same customer scanning again stays in the group: no event.
	again, err := groups.JoinViaJoinWay(t.Context(), out.ConfigID, join.ExternalUserID)
	require.NoError(t, err)
	assert.Equal(t, chat, again.ChatID)
	mu.Lock()
	assert.Len(t, got, 1)
	mu.Unlock()

	_, err = groups.JoinViaJoinWay(t.Context(), "", "")
	assert.Error(t, err)
	_, err = groups.JoinViaJoinWay(t.Context(), "nope", "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	_, err = groups.JoinViaJoinWay(t.Context(), out.ConfigID, "wmnobody")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
}
