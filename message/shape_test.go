package message_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/message"
)

// shape returns a Service over a client whose transport is an httpmock
// expecting exactly the requests registered with the returned Mock.
func shape(t *testing.T) (*message.Service, *shapetest.Mock) {
	c, m := shapetest.New(t)
	return message.New(c), m
}

func post(path, body string) shapetest.Call {
	return shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/" + path, Body: body}
}

func TestShape_AddMsgTemplate(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("add_msg_template", `{"chat_type":"single","tag_filter":{"group_list":[{"tag_list":["et1","et2"]},{"tag_list":["et3"]}]},
		"sender":"zhangsan","allow_select":true,"text":{"content":"hi"},
		"attachments":[{"msgtype":"image","image":{"media_id":"M1"}},
		{"msgtype":"link","link":{"title":"T","picurl":"https://p.invalid/c","desc":"D","url":"https://l.invalid"}},
		{"msgtype":"miniprogram","miniprogram":{"title":"MP","pic_media_id":"M2","appid":"wx1","page":"/index"}},
		{"msgtype":"video","video":{"media_id":"M3"}},{"msgtype":"file","file":{"media_id":"M4"}}]}`),
		`{"errcode":0,"errmsg":"ok","fail_list":["wmX"],"msgid":"msgA"}`)
	resp, err := svc.AddMsgTemplate(bg, &message.AddMsgTemplateRequest{
		ChatType: message.ChatSingle, Sender: "zhangsan", AllowSelect: true, Text: text("hi"),
		TagFilter: &message.TagFilter{GroupList: []message.TagFilterGroup{{TagList: []string{"et1", "et2"}}, {TagList: []string{"et3"}}}},
		Attachments: []message.Attachment{
			message.ImageAttachment("M1"),
			message.LinkAttachment(message.Link{Title: "T", PicURL: "https://p.invalid/c", Desc: "D", URL: "https://l.invalid"}),
			message.MiniProgramAttachment(message.MiniProgram{Title: "MP", PicMediaID: "M2", AppID: "wx1", Page: "/index"}),
			message.VideoAttachment("M3"), message.FileAttachment("M4"),
		},
	})
	require.NoError(t, err)
	assert.Equal(t, &message.AddMsgTemplateResponse{FailList: []string{"wmX"}, MsgID: "msgA"}, resp)
}

func TestShape_AddMsgTemplateGroup(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("add_msg_template", `{"chat_type":"group","chat_id_list":["wr1","wr2"],"sender":"owner",
		"attachments":[{"msgtype":"image","image":{"pic_url":"https://wework.qpic.cn/x"}}]}`), `{"errcode":0,"errmsg":"ok","msgid":"msgG"}`)
	_, err := svc.AddMsgTemplate(bg, &message.AddMsgTemplateRequest{ChatType: message.ChatGroup, Sender: "owner",
		ChatIDList: []string{"wr1", "wr2"}, Attachments: []message.Attachment{message.ImageURLAttachment("https://wework.qpic.cn/x")}})
	require.NoError(t, err)
}

func TestShape_ListGroupMsgs(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_list_v2", `{"chat_type":"single","start_time":1700000000,"end_time":1700086400,
		"creator":"zhangsan","filter_type":0,"limit":100,"cursor":"C1"}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"C2","group_msg_list":[{"msgid":"msgA","creator":"zhangsan","create_time":"1700000100","create_type":1,
		"text":{"content":"hi"},"attachments":[{"msgtype":"image","image":{"media_id":"M1","pic_url":"https://p.invalid"}}]}]}`)
	resp, err := svc.ListGroupMsgs(bg, &message.ListGroupMsgsRequest{StartTime: 1700000000, EndTime: 1700086400, Creator: "zhangsan",
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
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_list_v2", `{"chat_type":"group","start_time":1,"end_time":2,"filter_type":1}`), `{"errcode":0,"errmsg":"ok"}`)
	_, err := svc.ListGroupMsgs(bg, &message.ListGroupMsgsRequest{ChatType: message.ChatGroup, StartTime: 1, EndTime: 2, FilterType: message.CreatedByMember})
	require.NoError(t, err)
	svc, m = shape(t)
	m.Expect(post("get_groupmsg_list_v2", `{"chat_type":"single","start_time":1,"end_time":2}`), `{"errcode":0,"errmsg":"ok"}`)
	_, err = svc.ListGroupMsgs(bg, &message.ListGroupMsgsRequest{StartTime: 1, EndTime: 2})
	require.NoError(t, err)
}

func TestShape_GetGroupMsgTask(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_task", `{"msgid":"msgA","limit":1000,"cursor":"C"}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"","task_list":[{"userid":"zhangsan","status":2,"send_time":1552536375}]}`)
	resp, err := svc.GetGroupMsgTask(bg, &message.GetGroupMsgTaskRequest{MsgID: "msgA", Limit: 1000, Cursor: "C"})
	require.NoError(t, err)
	assert.Equal(t, []message.GroupMsgTask{{UserID: "zhangsan", Status: message.TaskSent, SendTime: 1552536375}}, resp.TaskList)
}

func TestShape_GetGroupMsgSendResult(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_groupmsg_send_result", `{"msgid":"msgA","userid":"zhangsan","limit":50,"cursor":"C"}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"N","send_list":[{"external_userid":"wm1","userid":"zhangsan","status":1,"send_time":1552536375},
		{"chat_id":"wr1","userid":"zhangsan","status":3}]}`)
	resp, err := svc.GetGroupMsgSendResult(bg, &message.GetGroupMsgSendResultRequest{MsgID: "msgA", UserID: "zhangsan", Limit: 50, Cursor: "C"})
	require.NoError(t, err)
	assert.Equal(t, []message.SendResult{
		{ExternalUserID: "wm1", UserID: "zhangsan", Status: message.SendSent, SendTime: 1552536375},
		{ChatID: "wr1", UserID: "zhangsan", Status: message.SendQuotaReached},
	}, resp.SendList)
}

func TestShape_CancelGroupMsgSend(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("cancel_groupmsg_send", `{"msgid":"msgA"}`), "")
	require.NoError(t, svc.CancelGroupMsgSend(bg, "msgA"))
}

func TestShape_RemindGroupMsgSend(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("remind_groupmsg_send", `{"msgid":"msgA"}`), "")
	require.NoError(t, svc.RemindGroupMsgSend(bg, "msgA"))
}

func TestShape_SendWelcomeMsg(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("send_welcome_msg", `{"welcome_code":"CODE","text":{"content":"hi"},"attachments":[{"msgtype":"file","file":{"media_id":"M"}}]}`), "")
	require.NoError(t, svc.SendWelcomeMsg(bg, &message.SendWelcomeMsgRequest{WelcomeCode: "CODE", Text: text("hi"),
		Attachments: []message.Attachment{message.FileAttachment("M")}}))
}

func TestShape_AddGroupWelcomeTemplate(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/add", `{"text":{"content":"Hi %NICKNAME%"},"image":{"media_id":"M"},
		"link":{"title":"T","url":"https://l.invalid"},"miniprogram":{"title":"MP","pic_media_id":"M2","appid":"wx1","page":"/p"},
		"file":{"media_id":"F"},"video":{"media_id":"V"},"agentid":1000014,"notify":0}`),
		`{"errcode":0,"errmsg":"ok","template_id":"msgXXX"}`)
	no := false
	id, err := svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("Hi %NICKNAME%"), Image: &message.Image{MediaID: "M"},
			Link:        &message.Link{Title: "T", URL: "https://l.invalid"},
			MiniProgram: &message.MiniProgram{Title: "MP", PicMediaID: "M2", AppID: "wx1", Page: "/p"},
			File:        &message.File{MediaID: "F"}, Video: &message.Video{MediaID: "V"}},
		AgentID: 1000014, Notify: &no,
	})
	require.NoError(t, err)
	assert.Equal(t, "msgXXX", id)

	svc, m = shape(t)
	m.Expect(post("group_welcome_template/add", `{"text":{"content":"x"},"notify":1}`), `{"errcode":0,"errmsg":"ok","template_id":"t"}`)
	yes := true
	_, err = svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("x")}, Notify: &yes})
	require.NoError(t, err)
}

func TestShape_EditGroupWelcomeTemplate(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/edit", `{"template_id":"T1","text":{"content":"new"},"agentid":5}`), "")
	require.NoError(t, svc.EditGroupWelcomeTemplate(bg, &message.EditGroupWelcomeTemplateRequest{TemplateID: "T1",
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("new")}, AgentID: 5}))
}

func TestShape_GetGroupWelcomeTemplate(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/get", `{"template_id":"T1"}`),
		`{"errcode":0,"errmsg":"ok","text":{"content":"hi"},"image":{"pic_url":"https://p.invalid/i"},"file":{"media_id":"F"}}`)
	g, err := svc.GetGroupWelcomeTemplate(bg, "T1")
	require.NoError(t, err)
	assert.Equal(t, &message.GroupWelcomeTemplate{Text: text("hi"), Image: &message.Image{PicURL: "https://p.invalid/i"}, File: &message.File{MediaID: "F"}}, g)
}

func TestShape_DelGroupWelcomeTemplate(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/del", `{"template_id":"T1"}`), "")
	require.NoError(t, svc.DelGroupWelcomeTemplate(bg, "T1", 0))
}

func TestShape_AddMomentTask(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("add_moment_task", `{"text":{"content":"hi"},"attachments":[{"msgtype":"link","link":{"title":"T","url":"https://l.invalid","media_id":"M"}}],
		"visible_range":{"sender_list":{"user_list":["zhangsan"],"department_list":[2,3]},"external_contact_list":{"tag_list":["et1"]}}}`),
		`{"errcode":0,"errmsg":"ok","jobid":"job1"}`)
	jobID, err := svc.AddMomentTask(bg, &message.AddMomentTaskRequest{Text: text("hi"),
		Attachments: []message.MomentAttachment{{MsgType: message.MsgLink, Link: &message.MomentLink{Title: "T", URL: "https://l.invalid", MediaID: "M"}}},
		VisibleRange: &message.VisibleRange{SenderList: &message.SenderList{UserList: []string{"zhangsan"}, DepartmentList: []int{2, 3}},
			ExternalContactList: &message.ExternalContactList{TagList: []string{"et1"}}}})
	require.NoError(t, err)
	assert.Equal(t, "job1", jobID)
}

func TestShape_GetMomentTaskResult(t *testing.T) {
	svc, m := shape(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: momentResultPath, Query: url.Values{"jobid": {"job1"}}},
		`{"errcode":0,"errmsg":"ok","status":3,"type":"add_moment_task","result":{"errcode":0,"errmsg":"ok","moment_id":"mom1",
		"invalid_sender_list":{"user_list":["lisi"],"department_list":[3]},"invalid_external_contact_list":{"tag_list":["et9"]}}}`)
	res, err := svc.GetMomentTaskResult(bg, "job1")
	require.NoError(t, err)
	assert.Equal(t, &message.MomentTaskResult{Status: message.MomentTaskFinished, Type: "add_moment_task", Result: &message.MomentTaskOutcome{
		ErrMsg: "ok", MomentID: "mom1", InvalidSenderList: &message.SenderList{UserList: []string{"lisi"}, DepartmentList: []int{3}},
		InvalidExternalContactList: &message.ExternalContactList{TagList: []string{"et9"}}}}, res)
}

func TestShape_CancelMomentTask(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("cancel_moment_task", `{"moment_id":"mom1"}`), "")
	require.NoError(t, svc.CancelMomentTask(bg, "mom1"))
}

func TestShape_ListMoments(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_moment_list", `{"start_time":1605000000,"end_time":1605172726,"creator":"zhangsan","filter_type":1,"cursor":"C","limit":10}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"N","moment_list":[{"moment_id":"mom1","creator":"zhangsan","create_time":1605000001,"create_type":1,
		"visible_type":1,"text":{"content":"t"},"image":[{"media_id":"I"}],"video":{"media_id":"V","thumb_media_id":"VT"},
		"link":{"title":"L","url":"https://l.invalid"},"location":{"latitude":"23.1","longitude":"113.3","name":"Canton Tower"}}]}`)
	resp, err := svc.ListMoments(bg, &message.ListMomentsRequest{StartTime: 1605000000, EndTime: 1605172726, Creator: "zhangsan",
		FilterType: message.CreatedByMember, Cursor: "C", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, message.Moment{MomentID: "mom1", Creator: "zhangsan", CreateTime: 1605000001, CreateType: message.CreateTypeMember,
		VisibleType: message.VisiblePublic, Text: text("t"), Image: []message.MomentMedia{{MediaID: "I"}},
		Video: &message.MomentVideo{MediaID: "V", ThumbMediaID: "VT"}, Link: &message.MomentURL{Title: "L", URL: "https://l.invalid"},
		Location: &message.Location{Latitude: "23.1", Longitude: "113.3", Name: "Canton Tower"}}, resp.MomentList[0])
}

func TestShape_GetMomentTask(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_moment_task", `{"moment_id":"mom1","cursor":"C","limit":1000}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"","task_list":[{"userid":"zhangsan","publish_status":1}]}`)
	resp, err := svc.GetMomentTask(bg, &message.GetMomentTaskRequest{MomentID: "mom1", Cursor: "C", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, []message.MomentTask{{UserID: "zhangsan", PublishStatus: message.Published}}, resp.TaskList)
}

func TestShape_ListMomentCustomers(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_moment_customer_list", `{"moment_id":"mom1","userid":"zhangsan","cursor":"C","limit":10}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"N","customer_list":[{"userid":"zhangsan","external_userid":"wm1"}]}`)
	resp, err := svc.ListMomentCustomers(bg, &message.MomentCustomersRequest{MomentID: "mom1", UserID: "zhangsan", Cursor: "C", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, &message.MomentCustomersResponse{NextCursor: "N", CustomerList: []message.MomentCustomer{{UserID: "zhangsan", ExternalUserID: "wm1"}}}, resp)
}

func TestShape_GetMomentSendResult(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_moment_send_result", `{"moment_id":"mom1","userid":"zhangsan","limit":5000}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"","customer_list":[{"external_userid":"wm1"}]}`)
	resp, err := svc.GetMomentSendResult(bg, &message.MomentCustomersRequest{MomentID: "mom1", UserID: "zhangsan", Limit: 5000})
	require.NoError(t, err)
	assert.Equal(t, []message.MomentCustomer{{ExternalUserID: "wm1"}}, resp.CustomerList)
}

func TestShape_GetMomentComments(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("get_moment_comments", `{"moment_id":"mom1","userid":"zhangsan"}`),
		`{"errcode":0,"errmsg":"ok","comment_list":[{"external_userid":"wm1","create_time":1605172726},{"userid":"lisi","create_time":1605172729}],
		"like_list":[{"external_userid":"wm2","create_time":1605172720}]}`)
	resp, err := svc.GetMomentComments(bg, "mom1", "zhangsan")
	require.NoError(t, err)
	assert.Equal(t, &message.MomentComments{
		CommentList: []message.MomentInteraction{{ExternalUserID: "wm1", CreateTime: 1605172726}, {UserID: "lisi", CreateTime: 1605172729}},
		LikeList:    []message.MomentInteraction{{ExternalUserID: "wm2", CreateTime: 1605172720}},
	}, resp)
}

func TestShape_ListMomentStrategies(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("moment_strategy/list", `{"cursor":"C","limit":1000}`),
		`{"errcode":0,"errmsg":"ok","strategy":[{"strategy_id":1},{"strategy_id":2}],"next_cursor":"N"}`)
	resp, err := svc.ListMomentStrategies(bg, &message.ListMomentStrategiesRequest{Cursor: "C", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, &message.ListMomentStrategiesResponse{Strategy: []message.StrategyRef{{StrategyID: 1}, {StrategyID: 2}}, NextCursor: "N"}, resp)
}

func TestShape_GetMomentStrategy(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("moment_strategy/get", `{"strategy_id":1}`),
		`{"errcode":0,"errmsg":"ok","strategy":{"strategy_id":1,"parent_id":0,"strategy_name":"NAME","create_time":1557838797,
		"admin_list":["zhangsan","lisi"],"privilege":{"view_moment_list":true,"send_moment":true,"manage_moment_cover_and_sign":false}}}`)
	st, err := svc.GetMomentStrategy(bg, 1)
	require.NoError(t, err)
	assert.Equal(t, &message.MomentStrategy{StrategyID: 1, StrategyName: "NAME", CreateTime: 1557838797, AdminList: []string{"zhangsan", "lisi"},
		Privilege: &message.MomentPrivilege{ViewMomentList: boolp(true), SendMoment: boolp(true), ManageMomentCoverAndSign: boolp(false)}}, st)
}

func TestShape_GetMomentStrategyRange(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("moment_strategy/get_range", `{"strategy_id":1,"cursor":"C","limit":1000}`),
		`{"errcode":0,"errmsg":"ok","range":[{"type":1,"userid":"zhangsan"},{"type":2,"partyid":1}],"next_cursor":"N"}`)
	resp, err := svc.GetMomentStrategyRange(bg, &message.GetMomentStrategyRangeRequest{StrategyID: 1, Cursor: "C", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, []message.RangeNode{message.MemberNode("zhangsan"), message.DepartmentNode(1)}, resp.Range)
}

func TestShape_CreateMomentStrategy(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("moment_strategy/create", `{"parent_id":3,"strategy_name":"NAME","admin_list":["zhangsan","lisi"],
		"privilege":{"send_moment":true,"view_moment_list":false},"range":[{"type":1,"userid":"zhangsan"},{"type":2,"partyid":1}]}`),
		`{"errcode":0,"errmsg":"ok","strategy_id":7}`)
	id, err := svc.CreateMomentStrategy(bg, &message.CreateMomentStrategyRequest{ParentID: 3, StrategyName: "NAME", AdminList: []string{"zhangsan", "lisi"},
		Privilege: &message.MomentPrivilege{SendMoment: boolp(true), ViewMomentList: boolp(false)},
		Range:     []message.RangeNode{message.MemberNode("zhangsan"), message.DepartmentNode(1)}})
	require.NoError(t, err)
	assert.Equal(t, 7, id)
}

func TestShape_EditMomentStrategy(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("moment_strategy/edit", `{"strategy_id":1,"strategy_name":"NAME","admin_list":["zhangsan"],
		"privilege":{"manage_moment_cover_and_sign":true},"range_add":[{"type":1,"userid":"zhangsan"}],"range_del":[{"type":2,"partyid":2}]}`), "")
	require.NoError(t, svc.EditMomentStrategy(bg, &message.EditMomentStrategyRequest{StrategyID: 1, StrategyName: "NAME", AdminList: []string{"zhangsan"},
		Privilege: &message.MomentPrivilege{ManageMomentCoverAndSign: boolp(true)},
		RangeAdd:  []message.RangeNode{message.MemberNode("zhangsan")}, RangeDel: []message.RangeNode{message.DepartmentNode(2)}}))
}

func TestShape_DelMomentStrategy(t *testing.T) {
	svc, m := shape(t)
	m.Expect(post("moment_strategy/del", `{"strategy_id":1}`), "")
	require.NoError(t, svc.DelMomentStrategy(bg, 1))
}
