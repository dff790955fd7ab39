package groupchat_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
)

func yesterday() time.Time { return statNow.Add(-24 * time.Hour) }

func TestShapeStatistic(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	begin, end := yesterday().Add(-48*time.Hour).Unix(), yesterday().Unix()
	m.Expect(post("groupchat/statistic", `{"day_begin_time":`+itoa(begin)+`,"day_end_time":`+itoa(end)+
		`,"owner_filter":{"userid_list":["zhangsan"]},"order_by":2,"order_asc":1,"limit":1000}`),
		`{"errcode":0,"errmsg":"ok","total":2,"next_offset":2,"items":[
		{"owner":"zhangsan","data":{"new_chat_cnt":2,"chat_total":2,"chat_has_msg":0,"new_member_cnt":0,"member_total":6,"member_has_msg":0,"msg_total":0,"migrate_trainee_chat_cnt":3}},
		{"owner":"lisi","data":{"new_chat_cnt":1,"chat_total":3,"chat_has_msg":2,"new_member_cnt":0,"member_total":6,"member_has_msg":0,"msg_total":0}}]}`)
	resp, err := svc.GetStatistic(t.Context(), &groupchat.GetStatisticRequest{StatWindow: groupchat.StatWindow{
		DayBeginTime: wecom.UnixTime(begin), DayEndTime: wecom.UnixTime(end), OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"zhangsan"}}},
		OrderBy: groupchat.OrderByChatTotal, OrderAsc: true, Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, &groupchat.GetStatisticResponse{Total: 2, NextOffset: 2, Items: []groupchat.OwnerStat{
		{Owner: "zhangsan", Data: groupchat.GroupStat{NewChatCnt: 2, ChatTotal: 2, MemberTotal: 6, MigrateTraineeChatCnt: 3}},
		{Owner: "lisi", Data: groupchat.GroupStat{NewChatCnt: 1, ChatTotal: 3, ChatHasMsg: 2, MemberTotal: 6}},
	}}, resp)
}

func TestShapeStatisticGroupByDay(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	begin := yesterday().Unix()
	m.Expect(post("groupchat/statistic_group_by_day", `{"day_begin_time":`+itoa(begin)+`}`),
		`{"errcode":0,"errmsg":"ok","items":[{"stat_time":1600272000,"data":{"new_chat_cnt":2,"chat_total":2,"chat_has_msg":0,
		"new_member_cnt":0,"member_total":6,"member_has_msg":0,"msg_total":0,"migrate_trainee_chat_cnt":3}}]}`)
	days, err := svc.GetStatisticGroupByDay(t.Context(), &groupchat.GetStatisticGroupByDayRequest{StatWindow: groupchat.StatWindow{DayBeginTime: wecom.UnixTime(begin)}})
	require.NoError(t, err)
	assert.Equal(t, []groupchat.DayStat{{StatTime: 1600272000, Data: groupchat.GroupStat{NewChatCnt: 2, ChatTotal: 2, MemberTotal: 6, MigrateTraineeChatCnt: 3}}}, days)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
