package message_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
)

func TestShape_ListGroupMsgs(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_list_v2", `{"chat_type":"single","start_time":1700000000,"end_time":1700086400,
		"creator":"zhangsan","filter_type":0,"limit":100,"cursor":"C1"}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"C2","group_msg_list":[{"msgid":"msgA","creator":"zhangsan","create_time":"1700000100","create_type":1,
		"text":{"content":"hi"},"attachments":[{"msgtype":"image","image":{"media_id":"M1","pic_url":"https://p.invalid"}}]}]}`)
	resp, err := svc.ListGroupMsgs(t.Context(), &message.ListGroupMsgsRequest{StartTime: 1700000000, EndTime: 1700086400, Creator: "zhangsan",
		FilterType: message.CreatedByCorp, Limit: 100, Cursor: "C1"})
	require.NoError(t, err)
	assert.Equal(t, "C2", resp.NextCursor)
	require.Len(t, resp.GroupMsgList, 1)
	g := resp.GroupMsgList[0]
	assert.Equal(t, int64(1700000100), int64(g.CreateTime))
	assert.Equal(t, message.CreateTypeMember, g.CreateType)
	assert.Equal(t, "M1", g.Attachments[0].Image.MediaID)
}

func TestShape_ListGroupMsgsMemberAndAll(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_list_v2", `{"chat_type":"group","start_time":1,"end_time":2,"filter_type":1}`), `{"errcode":0,"errmsg":"ok"}`)
	_, err := svc.ListGroupMsgs(t.Context(), &message.ListGroupMsgsRequest{ChatType: message.ChatGroup, StartTime: 1, EndTime: 2, FilterType: message.CreatedByMember})
	require.NoError(t, err)
	svc, m = shape(t)
	m.Expect(post("get_groupmsg_list_v2", `{"chat_type":"single","start_time":1,"end_time":2}`), `{"errcode":0,"errmsg":"ok"}`)
	_, err = svc.ListGroupMsgs(t.Context(), &message.ListGroupMsgsRequest{StartTime: 1, EndTime: 2})
	require.NoError(t, err)
}

func TestShape_GetGroupMsgTask(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_task", `{"msgid":"msgA","limit":1000,"cursor":"C"}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"","task_list":[{"userid":"zhangsan","status":2,"send_time":1552536375}]}`)
	resp, err := svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: "msgA", Limit: 1000, Cursor: "C"})
	require.NoError(t, err)
	assert.Equal(t, []message.GroupMsgTask{{UserID: "zhangsan", Status: message.TaskSent, SendTime: 1552536375}}, resp.TaskList)
}

func TestShape_GetGroupMsgSendResult(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_send_result", `{"msgid":"msgA","userid":"zhangsan","limit":50,"cursor":"C"}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"N","send_list":[{"external_userid":"wm1","userid":"zhangsan","status":1,"send_time":1552536375},
		{"chat_id":"wr1","userid":"zhangsan","status":3}]}`)
	resp, err := svc.GetGroupMsgSendResult(t.Context(), &message.GetGroupMsgSendResultRequest{MsgID: "msgA", UserID: "zhangsan", Limit: 50, Cursor: "C"})
	require.NoError(t, err)
	assert.Equal(t, []message.SendResult{
		{ExternalUserID: "wm1", UserID: "zhangsan", Status: message.SendSent, SendTime: 1552536375},
		{ChatID: "wr1", UserID: "zhangsan", Status: message.SendQuotaReached},
	}, resp.SendList)
}

func TestShape_CancelGroupMsgSend(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("cancel_groupmsg_send", `{"msgid":"msgA"}`), "")
	require.NoError(t, svc.CancelGroupMsgSend(t.Context(), "msgA"))
}

func TestShape_RemindGroupMsgSend(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("remind_groupmsg_send", `{"msgid":"msgA"}`), "")
	require.NoError(t, svc.RemindGroupMsgSend(t.Context(), "msgA"))
}
