package groupchat_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

// Each test pins the exact request one typed call sends and decodes the
// documented answer.

func shape(t *testing.T) (*groupchat.Service, *shapetest.Mock) {
	t.Helper()
	c, m := shapetest.New(t, wecom.WithClock(func() time.Time { return statNow }))
	return groupchat.New(c), m
}

func post(path, body string) shapetest.Call {
	return shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/" + path, Body: body}
}

func TestShapeList(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/list", `{"status_filter":1,"owner_filter":{"userid_list":["abel"]},"cursor":"r9F","limit":10}`),
		`{"errcode":0,"errmsg":"ok","group_chat_list":[{"chat_id":"wrA","status":1},{"chat_id":"wrB","status":0}],"next_cursor":"tJz"}`)
	resp, err := svc.List(t.Context(), &groupchat.ListRequest{StatusFilter: groupchat.StatusOwnerResigned,
		OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"abel"}}, Cursor: "r9F", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, &groupchat.ListResponse{GroupChatList: []groupchat.ChatRef{{ChatID: "wrA", Status: groupchat.StatusOwnerResigned},
		{ChatID: "wrB"}}, NextCursor: "tJz"}, resp)
}

func TestShapeListMinimal(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/list", `{"limit":1000}`), `{"errcode":0,"errmsg":"ok","group_chat_list":[]}`)
	for _, err := range svc.ListIter(t.Context(), nil) {
		require.NoError(t, err)
	}
}

func TestShapeGet(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/get", `{"chat_id":"wrOgQ","need_name":1}`), `{"errcode":0,"errmsg":"ok","group_chat":{
		"chat_id":"wrOgQ","name":"销售客服群","owner":"ZhuShengBen","create_time":1572505490,"notice":"文明沟通",
		"member_list":[{"userid":"abel","type":1,"join_time":1572505491,"join_scene":1,"invitor":{"userid":"jack"},"group_nickname":"客服小张","name":"张三丰"},
			{"userid":"wmOgQ","type":2,"unionid":"ozynq","join_time":1572505492,"join_scene":3,"group_nickname":"顾客老王","name":"王语嫣","state":"klsdup3kj3s1"}],
		"admin_list":[{"userid":"sam"},{"userid":"pony"}],"member_version":"71217227bbd112ecfe3a49c482195cb4"}}`)
	g, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: "wrOgQ", NeedName: true})
	require.NoError(t, err)
	assert.Equal(t, &groupchat.GroupChat{ChatID: "wrOgQ", Name: "销售客服群", Owner: "ZhuShengBen", CreateTime: 1572505490, Notice: "文明沟通",
		MemberList: []groupchat.Member{
			{UserID: "abel", Type: groupchat.MemberInternal, JoinTime: 1572505491, JoinScene: groupchat.JoinInvited,
				Invitor: &groupchat.Invitor{UserID: "jack"}, GroupNickname: "客服小张", Name: "张三丰"},
			{UserID: "wmOgQ", Type: groupchat.MemberExternal, UnionID: "ozynq", JoinTime: 1572505492, JoinScene: groupchat.JoinQRCode,
				GroupNickname: "顾客老王", Name: "王语嫣", State: "klsdup3kj3s1"},
		},
		AdminList: []groupchat.Admin{{UserID: "sam"}, {UserID: "pony"}}, MemberVersion: "71217227bbd112ecfe3a49c482195cb4"}, g)
}

func TestShapeGetWithoutNames(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/get", `{"chat_id":"wr1"}`), `{"errcode":0,"errmsg":"ok","group_chat":{"chat_id":"wr1"}}`)
	_, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: "wr1"})
	require.NoError(t, err)
}

func TestShapeOpenGIDToChatID(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("opengid_to_chatid", `{"opengid":"oAAAAAAA"}`), `{"errcode":0,"errmsg":"ok","chat_id":"ooAAAAAAAAAAA"}`)
	id, err := svc.OpenGIDToChatID(t.Context(), "oAAAAAAA")
	require.NoError(t, err)
	assert.Equal(t, "ooAAAAAAAAAAA", id)
}
