package groupchat_test

import (
	"net/http"
	"strconv"
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
	c, m := shapetest.New(t)
	return groupchat.New(c), m
}

func post(path, body string) shapetest.Call {
	return shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/" + path, Body: body}
}

func TestShapeList(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/list", `{"status_filter":1,"owner_filter":{"userid_list":["abel"]},"cursor":"r9F","limit":10}`),
		`{"errcode":0,"errmsg":"ok","group_chat_list":[{"chat_id":"wrA","status":1},{"chat_id":"wrB","status":0}],"next_cursor":"tJz"}`)
	resp, err := svc.List(bg, &groupchat.ListRequest{StatusFilter: groupchat.ChatOwnerResigned,
		OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"abel"}}, Cursor: "r9F", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, &groupchat.ListResponse{GroupChatList: []groupchat.ChatRef{{ChatID: "wrA", Status: groupchat.ChatOwnerResigned},
		{ChatID: "wrB"}}, NextCursor: "tJz"}, resp)
}

func TestShapeListMinimal(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/list", `{"limit":1000}`), `{"errcode":0,"errmsg":"ok","group_chat_list":[]}`)
	for _, err := range svc.ListIter(bg, nil) {
		require.NoError(t, err)
	}
}

func TestShapeGet(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/get", `{"chat_id":"wrOgQ","need_name":1}`), `{"errcode":0,"errmsg":"ok","group_chat":{
		"chat_id":"wrOgQ","name":"销售客服群","owner":"ZhuShengBen","create_time":1572505490,"notice":"文明沟通",
		"member_list":[{"userid":"abel","type":1,"join_time":1572505491,"join_scene":1,"invitor":{"userid":"jack"},"group_nickname":"客服小张","name":"张三丰"},
			{"userid":"wmOgQ","type":2,"unionid":"ozynq","join_time":1572505492,"join_scene":3,"group_nickname":"顾客老王","name":"王语嫣","state":"klsdup3kj3s1"}],
		"admin_list":[{"userid":"sam"},{"userid":"pony"}],"member_version":"71217227bbd112ecfe3a49c482195cb4"}}`)
	g, err := svc.Get(bg, "wrOgQ", true)
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
	svc, m := shape(t)
	m.Expect(post("groupchat/get", `{"chat_id":"wr1"}`), `{"errcode":0,"errmsg":"ok","group_chat":{"chat_id":"wr1"}}`)
	_, err := svc.Get(bg, "wr1", false)
	require.NoError(t, err)
}

func TestShapeOpenGIDToChatID(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("opengid_to_chatid", `{"opengid":"oAAAAAAA"}`), `{"errcode":0,"errmsg":"ok","chat_id":"ooAAAAAAAAAAA"}`)
	id, err := svc.OpenGIDToChatID(bg, "oAAAAAAA")
	require.NoError(t, err)
	assert.Equal(t, "ooAAAAAAAAAAA", id)
}

func TestShapeAddJoinWay(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/add_join_way", `{"scene":2,"remark":"aa_remark","auto_create_room":1,"room_base_name":"销售客服群",
		"room_base_id":10,"chat_id_list":["wrA","wrB"],"state":"klsdup3kj3s1","mark_source":true}`),
		`{"errcode":0,"errmsg":"ok","config_id":"9ad7fa5cdaa6511298498f979c472aaa"}`)
	id, err := svc.AddJoinWay(bg, &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, Remark: "aa_remark",
		AutoCreateRoom: groupchat.Bool(true), RoomBaseName: "销售客服群", RoomBaseID: 10, ChatIDList: []string{"wrA", "wrB"},
		State: "klsdup3kj3s1", MarkSource: groupchat.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, "9ad7fa5cdaa6511298498f979c472aaa", id)
}

func TestShapeAddJoinWayMinimal(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/add_join_way", `{"scene":1,"auto_create_room":0,"chat_id_list":["wrA"]}`),
		`{"errcode":0,"errmsg":"ok","config_id":"c"}`)
	_, err := svc.AddJoinWay(bg, &groupchat.AddJoinWayRequest{Scene: groupchat.SceneMiniProgram,
		AutoCreateRoom: groupchat.Bool(false), ChatIDList: []string{"wrA"}})
	require.NoError(t, err)
}

func TestShapeGetJoinWay(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/get_join_way", `{"config_id":"9ad7"}`), `{"errcode":0,"errmsg":"ok","join_way":{
		"config_id":"9ad7","scene":2,"remark":"aa_remark","auto_create_room":1,"room_base_name":"销售客服群","room_base_id":10,
		"chat_id_list":["wrA","wrB"],"qr_code":"http://p.qpic.cn/x/0","state":"klsdup3kj3s1","mark_source":true}}`)
	w, err := svc.GetJoinWay(bg, "9ad7")
	require.NoError(t, err)
	assert.Equal(t, &groupchat.JoinWay{ConfigID: "9ad7", Scene: groupchat.SceneQRCode, Remark: "aa_remark", AutoCreateRoom: true,
		RoomBaseName: "销售客服群", RoomBaseID: 10, ChatIDList: []string{"wrA", "wrB"}, QRCode: "http://p.qpic.cn/x/0",
		State: "klsdup3kj3s1", MarkSource: groupchat.Bool(true)}, w)
}

func TestShapeUpdateJoinWay(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/update_join_way", `{"config_id":"9ad7","scene":2,"remark":"bb_remark","auto_create_room":1,
		"room_base_name":"销售客服群","room_base_id":10,"chat_id_list":["wrA","wrB"],"state":"klsdup3kj3s1","mark_source":true}`), "")
	err := svc.UpdateJoinWay(bg, &groupchat.UpdateJoinWayRequest{ConfigID: "9ad7", AddJoinWayRequest: groupchat.AddJoinWayRequest{
		Scene: groupchat.SceneQRCode, Remark: "bb_remark", AutoCreateRoom: groupchat.Bool(true), RoomBaseName: "销售客服群",
		RoomBaseID: 10, ChatIDList: []string{"wrA", "wrB"}, State: "klsdup3kj3s1", MarkSource: groupchat.Bool(true)}})
	require.NoError(t, err)
}

func TestShapeDelJoinWay(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/del_join_way", `{"config_id":"42b3"}`), "")
	require.NoError(t, svc.DelJoinWay(bg, "42b3"))
}

func TestShapeTransfer(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/transfer", `{"chat_id_list":["wrA","wrB"],"new_owner":"zhangsan"}`),
		`{"errcode":0,"errmsg":"ok","failed_chat_list":[{"chat_id":"wrB","errcode":90500,"errmsg":"the owner of this chat is not resigned"}]}`)
	failed, err := svc.Transfer(bg, &groupchat.TransferRequest{ChatIDList: []string{"wrA", "wrB"}, NewOwner: "zhangsan"})
	require.NoError(t, err)
	assert.Equal(t, []groupchat.FailedChat{{ChatID: "wrB", Errcode: 90500, Errmsg: "the owner of this chat is not resigned"}}, failed)
}

func TestShapeOnjobTransferMany(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("groupchat/onjob_transfer", `{"chat_id_list":["wrA","wrB"],"new_owner":"zhangsan"}`),
		`{"errcode":0,"errmsg":"ok","failed_chat_list":[{"chat_id":"wrA","errcode":90501,"errmsg":"chat is not external group chat"}]}`)
	res, err := svc.OnjobTransferMany(bg, &groupchat.TransferRequest{ChatIDList: []string{"wrA", "wrB"}, NewOwner: "zhangsan"}, 0)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, 90501, wecom.ErrorCode(res[0].Err))
	assert.Contains(t, res[0].Err.Error(), "chat is not external group chat")
	assert.NoError(t, res[1].Err)
}

func yesterday() time.Time { return time.Now().Add(-24 * time.Hour) }

func TestShapeStatistic(t *testing.T) {
	svc, m := shape(t)
	begin, end := yesterday().Add(-48*time.Hour).Unix(), yesterday().Unix()
	m.Expect(post("groupchat/statistic", `{"day_begin_time":`+itoa(begin)+`,"day_end_time":`+itoa(end)+
		`,"owner_filter":{"userid_list":["zhangsan"]},"order_by":2,"order_asc":1,"limit":1000}`),
		`{"errcode":0,"errmsg":"ok","total":2,"next_offset":2,"items":[
		{"owner":"zhangsan","data":{"new_chat_cnt":2,"chat_total":2,"chat_has_msg":0,"new_member_cnt":0,"member_total":6,"member_has_msg":0,"msg_total":0,"migrate_trainee_chat_cnt":3}},
		{"owner":"lisi","data":{"new_chat_cnt":1,"chat_total":3,"chat_has_msg":2,"new_member_cnt":0,"member_total":6,"member_has_msg":0,"msg_total":0}}]}`)
	resp, err := svc.Statistic(bg, &groupchat.StatisticRequest{StatWindow: groupchat.StatWindow{
		DayBeginTime: wecom.UnixTime(begin), DayEndTime: wecom.UnixTime(end), OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"zhangsan"}}},
		OrderBy: groupchat.OrderByChatTotal, OrderAsc: true, Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, &groupchat.StatisticResponse{Total: 2, NextOffset: 2, Items: []groupchat.OwnerStat{
		{Owner: "zhangsan", Data: groupchat.GroupStat{NewChatCnt: 2, ChatTotal: 2, MemberTotal: 6, MigrateTraineeChatCnt: 3}},
		{Owner: "lisi", Data: groupchat.GroupStat{NewChatCnt: 1, ChatTotal: 3, ChatHasMsg: 2, MemberTotal: 6}},
	}}, resp)
}

func TestShapeStatisticGroupByDay(t *testing.T) {
	svc, m := shape(t)
	begin := yesterday().Unix()
	m.Expect(post("groupchat/statistic_group_by_day", `{"day_begin_time":`+itoa(begin)+`}`),
		`{"errcode":0,"errmsg":"ok","items":[{"stat_time":1600272000,"data":{"new_chat_cnt":2,"chat_total":2,"chat_has_msg":0,
		"new_member_cnt":0,"member_total":6,"member_has_msg":0,"msg_total":0,"migrate_trainee_chat_cnt":3}}]}`)
	days, err := svc.StatisticGroupByDay(bg, &groupchat.StatisticGroupByDayRequest{StatWindow: groupchat.StatWindow{DayBeginTime: wecom.UnixTime(begin)}})
	require.NoError(t, err)
	assert.Equal(t, []groupchat.DayStat{{StatTime: 1600272000, Data: groupchat.GroupStat{NewChatCnt: 2, ChatTotal: 2, MemberTotal: 6, MigrateTraineeChatCnt: 3}}}, days)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
