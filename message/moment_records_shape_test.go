package message_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
)

func TestShape_ListMoments(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_moment_list", `{"start_time":1605000000,"end_time":1605172726,"creator":"zhangsan","filter_type":1,"cursor":"C","limit":10}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"N","moment_list":[{"moment_id":"mom1","creator":"zhangsan","create_time":1605000001,"create_type":1,
		"visible_type":1,"text":{"content":"t"},"image":[{"media_id":"I"}],"video":{"media_id":"V","thumb_media_id":"VT"},
		"link":{"title":"L","url":"https://l.invalid"},"location":{"latitude":"23.1","longitude":"113.3","name":"Canton Tower"}}]}`)
	resp, err := svc.ListMoments(t.Context(), &message.ListMomentsRequest{StartTime: 1605000000, EndTime: 1605172726, Creator: "zhangsan",
		FilterType: message.CreatedByMember, Cursor: "C", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, message.Moment{MomentID: "mom1", Creator: "zhangsan", CreateTime: 1605000001, CreateType: message.CreateTypeMember,
		VisibleType: message.VisiblePublic, Text: text("t"), Image: []message.MomentMedia{{MediaID: "I"}},
		Video: &message.MomentVideo{MediaID: "V", ThumbMediaID: "VT"}, Link: &message.MomentURL{Title: "L", URL: "https://l.invalid"},
		Location: &message.Location{Latitude: "23.1", Longitude: "113.3", Name: "Canton Tower"}}, resp.MomentList[0])
}

func TestShape_GetMomentTask(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_moment_task", `{"moment_id":"mom1","cursor":"C","limit":1000}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"","task_list":[{"userid":"zhangsan","publish_status":1}]}`)
	resp, err := svc.GetMomentTask(t.Context(), &message.GetMomentTaskRequest{MomentID: "mom1", Cursor: "C", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, []message.MomentTask{{UserID: "zhangsan", PublishStatus: message.Published}}, resp.TaskList)
}

func TestShape_ListMomentCustomers(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_moment_customer_list", `{"moment_id":"mom1","userid":"zhangsan","cursor":"C","limit":10}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"N","customer_list":[{"userid":"zhangsan","external_userid":"wm1"}]}`)
	resp, err := svc.ListMomentCustomers(t.Context(), &message.ListMomentCustomersRequest{MomentID: "mom1", UserID: "zhangsan", Cursor: "C", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, &message.ListMomentCustomersResponse{NextCursor: "N", CustomerList: []message.MomentCustomer{{UserID: "zhangsan", ExternalUserID: "wm1"}}}, resp)
}

func TestShape_GetMomentSendResult(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_moment_send_result", `{"moment_id":"mom1","userid":"zhangsan","limit":5000}`),
		`{"errcode":0,"errmsg":"ok","next_cursor":"","customer_list":[{"external_userid":"wm1"}]}`)
	resp, err := svc.GetMomentSendResult(t.Context(), &message.GetMomentSendResultRequest{MomentID: "mom1", UserID: "zhangsan", Limit: 5000})
	require.NoError(t, err)
	assert.Equal(t, []message.MomentCustomer{{ExternalUserID: "wm1"}}, resp.CustomerList)
}

func TestShape_GetMomentComments(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("get_moment_comments", `{"moment_id":"mom1","userid":"zhangsan"}`),
		`{"errcode":0,"errmsg":"ok","comment_list":[{"external_userid":"wm1","create_time":1605172726},{"userid":"lisi","create_time":1605172729}],
		"like_list":[{"external_userid":"wm2","create_time":1605172720}]}`)
	resp, err := svc.GetMomentComments(t.Context(), "mom1", "zhangsan")
	require.NoError(t, err)
	assert.Equal(t, &message.MomentComments{
		CommentList: []message.MomentInteraction{{ExternalUserID: "wm1", CreateTime: 1605172726}, {UserID: "lisi", CreateTime: 1605172729}},
		LikeList:    []message.MomentInteraction{{ExternalUserID: "wm2", CreateTime: 1605172720}},
	}, resp)
}
