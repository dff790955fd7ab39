package groupchat_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	addJoinWayPath    = "/cgi-bin/externalcontact/groupchat/add_join_way"
	updateJoinWayPath = "/cgi-bin/externalcontact/groupchat/update_join_way"
)

func TestJoinWayLifecycle(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	a, b := testkit.GroupChat(t, srv, "owner1", "A"), testkit.GroupChat(t, srv, "owner1", "B")

	id, err := svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, Remark: "poster",
		RoomBaseName: "Sales", RoomBaseID: 10, ChatIDList: []string{a, b}, State: "poster-7"})
	require.NoError(t, err)
	require.NotEmpty(t, id)
	body := testkit.LastBody(t, srv, addJoinWayPath)
	assert.NotContains(t, body, "auto_create_room", "nil AutoCreateRoom leaves WeCom's default")
	assert.NotContains(t, body, "mark_source")

	w, err := svc.GetJoinWay(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, id, w.ConfigID)
	assert.Equal(t, groupchat.SceneQRCode, w.Scene)
	assert.True(t, w.AutoCreateRoom, "WeCom's default is on")
	assert.Equal(t, "Sales", w.RoomBaseName)
	assert.Equal(t, 10, w.RoomBaseID)
	assert.Equal(t, []string{a, b}, w.ChatIDList)
	assert.Equal(t, "poster-7", w.State)
	assert.NotEmpty(t, w.QRCode)
	require.NotNil(t, w.MarkSource)
	assert.True(t, *w.MarkSource)

	// update overwrites: what is left out returns to its default
	err = svc.UpdateJoinWay(t.Context(), &groupchat.UpdateJoinWayRequest{ConfigID: id, AddJoinWayRequest: groupchat.AddJoinWayRequest{
		Scene: groupchat.SceneMiniProgram, AutoCreateRoom: wecom.Ptr(false), ChatIDList: []string{b}, MarkSource: wecom.Ptr(false)}})
	require.NoError(t, err)
	body = testkit.LastBody(t, srv, updateJoinWayPath)
	assert.EqualValues(t, 0, body["auto_create_room"])
	assert.Equal(t, false, body["mark_source"])
	w, err = svc.GetJoinWay(t.Context(), id)
	require.NoError(t, err)
	assert.False(t, w.AutoCreateRoom)
	assert.Empty(t, w.State, "the state was not resent, so it is gone")
	assert.Empty(t, w.Remark)
	assert.Empty(t, w.QRCode, "mini-program ways have no QR code")
	assert.Equal(t, []string{b}, w.ChatIDList)
	assert.False(t, *w.MarkSource)

	require.NoError(t, svc.DelJoinWay(t.Context(), id))
	_, err = svc.GetJoinWay(t.Context(), id)
	testkit.WantCode(t, err, 41044)
	assert.True(t, groupchat.IsNotFound(err))
	err = svc.DelJoinWay(t.Context(), id)
	assert.True(t, groupchat.IsNotFound(err), "a repeated delete is told it is gone: %v", err)
}

func TestJoinWayLimitsAreRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	six := []string{"c1", "c2", "c3", "c4", "c5", "c6"}
	ok := func() groupchat.AddJoinWayRequest {
		return groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: []string{"c1"}}
	}
	cases := map[string]func(r *groupchat.AddJoinWayRequest){
		"scene 0":            func(r *groupchat.AddJoinWayRequest) { r.Scene = 0 },
		"no chats":           func(r *groupchat.AddJoinWayRequest) { r.ChatIDList = nil },
		"six chats":          func(r *groupchat.AddJoinWayRequest) { r.ChatIDList = six },
		"empty chat id":      func(r *groupchat.AddJoinWayRequest) { r.ChatIDList = []string{""} },
		"state 31 chars":     func(r *groupchat.AddJoinWayRequest) { r.State = strings.Repeat("渠", 31) },
		"remark 31 chars":    func(r *groupchat.AddJoinWayRequest) { r.Remark = strings.Repeat("r", 31) },
		"base name 41 chars": func(r *groupchat.AddJoinWayRequest) { r.RoomBaseName = strings.Repeat("群", 41) },
		"base id negative":   func(r *groupchat.AddJoinWayRequest) { r.RoomBaseID = -1 },
		"naming without auto": func(r *groupchat.AddJoinWayRequest) {
			r.AutoCreateRoom, r.RoomBaseName = wecom.Ptr(false), "Sales"
		},
	}
	for name, mutate := range cases {
		r := ok()
		mutate(&r)
		_, err := svc.AddJoinWay(t.Context(), &r)
		require.ErrorIs(t, err, groupchat.ErrInvalidArgument, name)
		err = svc.UpdateJoinWay(t.Context(), &groupchat.UpdateJoinWayRequest{ConfigID: "cfg", AddJoinWayRequest: r})
		require.ErrorIs(t, err, groupchat.ErrInvalidArgument, name)
	}
	// 30 characters of state is fine (counted in characters, not bytes)
	r := ok()
	r.State = strings.Repeat("渠", 30)
	_, err := svc.AddJoinWay(t.Context(), &r)
	testkit.WantCode(t, err, 40050) // passed the checks; the fake knows no group c1
	_, err = svc.AddJoinWay(t.Context(), nil)
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.UpdateJoinWay(t.Context(), &groupchat.UpdateJoinWayRequest{AddJoinWayRequest: ok()}), groupchat.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.UpdateJoinWay(t.Context(), nil), groupchat.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.DelJoinWay(t.Context(), ""), groupchat.ErrInvalidArgument)
	_, err = svc.GetJoinWay(t.Context(), "")
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	assert.Equal(t, 1, srv.Count(addJoinWayPath))
	assert.Zero(t, srv.Count(updateJoinWayPath))
}

func TestJoinWayFakeAnswersWeComErrcodes(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	c := srv.Client()
	var chats []string
	for range 6 {
		chats = append(chats, testkit.GroupChat(t, srv, "owner1", "x"))
	}
	testkit.WantCode(t, c.Post(t.Context(), addJoinWayPath, map[string]any{"scene": 2, "chat_id_list": chats}, nil), 41091)
	testkit.WantCode(t, c.Post(t.Context(), addJoinWayPath, map[string]any{"scene": 2, "chat_id_list": chats[:1], "state": strings.Repeat("s", 31)}, nil), 40058)
	testkit.WantCode(t, c.Post(t.Context(), addJoinWayPath, map[string]any{"scene": 3, "chat_id_list": chats[:1]}, nil), 40058)
	testkit.WantCode(t, c.Post(t.Context(), "/cgi-bin/externalcontact/groupchat/get_join_way", map[string]any{}, nil), 41043)

	srv.Corp(srv.CorpID).GroupChats().SetJoinWayQuota(1)
	svc := groupchat.New(c)
	_, err := svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: chats[:1]})
	require.NoError(t, err)
	_, err = svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: chats[:1]})
	testkit.WantCode(t, err, 41045)
}

func TestJoinWayOpensNumberedGroupsWhenFull(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	srv.Corp(srv.CorpID).GroupChats().SetCapacity(3) // the owner and two customers
	first := testkit.GroupChat(t, srv, "owner1", "Fans")
	id, err := svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: []string{first},
		RoomBaseName: "Fans", RoomBaseID: 2, State: "fair"})
	require.NoError(t, err)

	var rooms []string
	for range 6 {
		join, err := srv.Corp(srv.CorpID).GroupChats().JoinViaJoinWay(t.Context(), id, "")
		require.NoError(t, err)
		if len(rooms) == 0 || rooms[len(rooms)-1] != join.ChatID {
			rooms = append(rooms, join.ChatID)
		}
	}
	require.Len(t, rooms, 3)
	assert.Equal(t, first, rooms[0])
	for i, want := range []string{"Fans2", "Fans3"} {
		g, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: rooms[i+1]})
		require.NoError(t, err)
		assert.Equal(t, want, g.Name)
		assert.Equal(t, "owner1", g.Owner)
		require.Len(t, g.MemberList, 3)
		for _, m := range g.MemberList[1:] {
			assert.Equal(t, "fair", m.State)
			assert.Equal(t, groupchat.JoinQRCode, m.JoinScene)
			assert.Equal(t, groupchat.MemberExternal, m.Type)
		}
	}

	// without auto_create_room the way stops at full groups
	err = svc.UpdateJoinWay(t.Context(), &groupchat.UpdateJoinWayRequest{ConfigID: id, AddJoinWayRequest: groupchat.AddJoinWayRequest{
		Scene: groupchat.SceneQRCode, ChatIDList: []string{first}, AutoCreateRoom: wecom.Ptr(false)}})
	require.NoError(t, err)
	_, err = srv.Corp(srv.CorpID).GroupChats().JoinViaJoinWay(t.Context(), id, "")
	require.ErrorIs(t, err, wecomtest.ErrGroupsFull)
}
