package groupchat_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
)

func TestShapeAddJoinWay(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/add_join_way", `{"scene":2,"remark":"aa_remark","auto_create_room":1,"room_base_name":"销售客服群",
		"room_base_id":10,"chat_id_list":["wrA","wrB"],"state":"klsdup3kj3s1","mark_source":true}`),
		`{"errcode":0,"errmsg":"ok","config_id":"9ad7fa5cdaa6511298498f979c472aaa"}`)
	id, err := svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, Remark: "aa_remark",
		AutoCreateRoom: wecom.Ptr(true), RoomBaseName: "销售客服群", RoomBaseID: 10, ChatIDList: []string{"wrA", "wrB"},
		State: "klsdup3kj3s1", MarkSource: wecom.Ptr(true)})
	require.NoError(t, err)
	assert.Equal(t, "9ad7fa5cdaa6511298498f979c472aaa", id)
}

func TestShapeAddJoinWayMinimal(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/add_join_way", `{"scene":1,"auto_create_room":0,"chat_id_list":["wrA"]}`),
		`{"errcode":0,"errmsg":"ok","config_id":"c"}`)
	_, err := svc.AddJoinWay(t.Context(), &groupchat.AddJoinWayRequest{Scene: groupchat.SceneMiniProgram,
		AutoCreateRoom: wecom.Ptr(false), ChatIDList: []string{"wrA"}})
	require.NoError(t, err)
}

func TestShapeGetJoinWay(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/get_join_way", `{"config_id":"9ad7"}`), `{"errcode":0,"errmsg":"ok","join_way":{
		"config_id":"9ad7","scene":2,"remark":"aa_remark","auto_create_room":1,"room_base_name":"销售客服群","room_base_id":10,
		"chat_id_list":["wrA","wrB"],"qr_code":"http://p.qpic.cn/x/0","state":"klsdup3kj3s1","mark_source":true}}`)
	w, err := svc.GetJoinWay(t.Context(), "9ad7")
	require.NoError(t, err)
	assert.Equal(t, &groupchat.JoinWay{ConfigID: "9ad7", Scene: groupchat.SceneQRCode, Remark: "aa_remark", AutoCreateRoom: true,
		RoomBaseName: "销售客服群", RoomBaseID: 10, ChatIDList: []string{"wrA", "wrB"}, QRCode: "http://p.qpic.cn/x/0",
		State: "klsdup3kj3s1", MarkSource: wecom.Ptr(true)}, w)
}

func TestShapeUpdateJoinWay(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/update_join_way", `{"config_id":"9ad7","scene":2,"remark":"bb_remark","auto_create_room":1,
		"room_base_name":"销售客服群","room_base_id":10,"chat_id_list":["wrA","wrB"],"state":"klsdup3kj3s1","mark_source":true}`), "")
	err := svc.UpdateJoinWay(t.Context(), &groupchat.UpdateJoinWayRequest{ConfigID: "9ad7", AddJoinWayRequest: groupchat.AddJoinWayRequest{
		Scene: groupchat.SceneQRCode, Remark: "bb_remark", AutoCreateRoom: wecom.Ptr(true), RoomBaseName: "销售客服群",
		RoomBaseID: 10, ChatIDList: []string{"wrA", "wrB"}, State: "klsdup3kj3s1", MarkSource: wecom.Ptr(true)}})
	require.NoError(t, err)
}

func TestShapeDelJoinWay(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/del_join_way", `{"config_id":"42b3"}`), "")
	require.NoError(t, svc.DelJoinWay(t.Context(), "42b3"))
}
