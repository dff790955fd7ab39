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

func TestAppCallbackJoinViaJoinWayPushesTheJoin(t *testing.T) {
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.AddStaff(srv.CorpID, "owner"))
	chat, err := srv.CreateGroupChat(context.Background(), srv.CorpID, wecomtest.GroupChatSpec{Owner: "owner", Name: "g"})
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
	cb := srv.ConfigureCallback(srv.CorpID, hs.URL, "t", key)

	join, err := cb.JoinViaJoinWay(context.Background(), out.ConfigID)
	require.NoError(t, err)
	assert.Equal(t, chat, join.ChatID)
	assert.Equal(t, "fair", join.State)
	assert.Contains(t, srv.GroupChatMembers(srv.CorpID, chat), join.ExternalUserID)
	mu.Lock()
	require.Len(t, got, 1)
	assert.Equal(t, callback.UpdateAddMember, got[0].UpdateDetail)
	assert.Equal(t, []string{join.ExternalUserID}, got[0].MemChangeList)
	mu.Unlock()

	_, err = cb.JoinViaJoinWay(context.Background(), "")
	assert.Error(t, err)
	_, err = cb.JoinViaJoinWay(context.Background(), "nope")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
}

func TestRelationShowsTagsAndRemark(t *testing.T) {
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.AddStaff(srv.CorpID, "zhangsan"))
	exts, err := srv.SeedCustomers(srv.CorpID, 1, []string{"zhangsan"})
	require.NoError(t, err)
	ctx := context.Background()
	var g struct {
		TagGroup struct {
			Tag []struct{ ID string } `json:"tag"`
		} `json:"tag_group"`
	}
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/add_corp_tag",
		map[string]any{"group_name": "g", "tag": []map[string]string{{"name": "t"}}}, &g))
	id := g.TagGroup.Tag[0].ID
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/mark_tag",
		map[string]any{"userid": "zhangsan", "external_userid": exts[0], "add_tag": []string{id}}, nil))
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/remark",
		map[string]any{"userid": "zhangsan", "external_userid": exts[0], "remark": "VIP"}, nil))
	rel, ok := srv.Relation(srv.CorpID, "zhangsan", exts[0])
	require.True(t, ok)
	assert.Equal(t, []string{id}, rel.TagIDs)
	assert.Equal(t, "VIP", rel.Remark)
	_, ok = srv.Relation(srv.CorpID, "lisi", exts[0])
	assert.False(t, ok)
	_, ok = srv.Relation("nocorp", "zhangsan", exts[0])
	assert.False(t, ok)
}
