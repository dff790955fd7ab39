package acquisition_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

// Each test pins the exact request one typed call sends and decodes the
// doc's example answer.

func shape(t *testing.T, want shapetest.Call, answer string) *acquisition.Service {
	t.Helper()
	c, m := shapetest.New(t)
	m.Expect(want, answer)
	return acquisition.New(c)
}

func TestShapeListLinks(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathList, Body: `{"limit":100,"cursor":"CURSOR"}`},
		`{"errcode":0,"errmsg":"ok","link_id_list":["LINK_ID_AAA","LINK_ID_BBB"],"next_cursor":"NEXT"}`)
	out, err := svc.ListLinks(context.Background(), &acquisition.ListLinksRequest{Limit: 100, Cursor: "CURSOR"})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.ListLinksResponse{LinkIDList: []string{"LINK_ID_AAA", "LINK_ID_BBB"}, NextCursor: "NEXT"}, out)
}

func TestShapeListLinksEmpty(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathList, Body: `{}`}, `{"errcode":0,"errmsg":"ok","link_id_list":[]}`)
	_, err := svc.ListLinks(context.Background(), nil)
	require.NoError(t, err)
}

func TestShapeGet(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathGet, Body: `{"link_id":"LINK_ID_AAA"}`},
		`{"errcode":0,"errmsg":"ok","link":{"link_name":"LINK_NAME","url":"https://work.weixin.qq.com/ca/xxxxxx","create_time":1672502400,"skip_verify":true},
		"range":{"user_list":["rocky","sam"],"department_list":[1]},"priority_option":{"priority_type":2,"priority_userid_list":["tom","lisi"]}}`)
	d, err := svc.Get(context.Background(), "LINK_ID_AAA")
	require.NoError(t, err)
	assert.Equal(t, &acquisition.LinkDetail{
		Link: acquisition.Link{LinkID: "LINK_ID_AAA", LinkName: "LINK_NAME", URL: "https://work.weixin.qq.com/ca/xxxxxx",
			CreateTime: 1672502400, SkipVerify: true},
		Range:          acquisition.Range{UserList: []string{"rocky", "sam"}, DepartmentList: []int{1}},
		PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityListed, PriorityUserIDList: []string{"tom", "lisi"}},
	}, d)
}

func TestShapeCreateLink(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathCreate,
		Body: `{"link_name":"获客链接1号","range":{"user_list":["zhangsan","lisi"],"department_list":[2,3]},"skip_verify":true,
		"priority_option":{"priority_type":2,"priority_userid_list":["tom","lisi"]},"mark_source":true}`},
		`{"errcode":0,"errmsg":"ok","link":{"link_id":"LINK_ID","link_name":"获客链接1号","url":"URL","create_time":1667232000}}`)
	l, err := svc.CreateLink(context.Background(), &acquisition.CreateLinkRequest{
		LinkName:       "获客链接1号",
		Range:          acquisition.Range{UserList: []string{"zhangsan", "lisi"}, DepartmentList: []int{2, 3}},
		SkipVerify:     acquisition.Bool(true),
		PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityListed, PriorityUserIDList: []string{"tom", "lisi"}},
		MarkSource:     acquisition.Bool(true),
	})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Link{LinkID: "LINK_ID", LinkName: "获客链接1号", URL: "URL", CreateTime: 1667232000}, l)
}

func TestShapeCreateLinkMinimal(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathCreate, Body: `{"link_name":"a","range":{"department_list":[2]}}`},
		`{"errcode":0,"errmsg":"ok","link":{"link_id":"L","url":"U","create_time":1}}`)
	l, err := svc.CreateLink(context.Background(), &acquisition.CreateLinkRequest{LinkName: "a", Range: acquisition.Range{DepartmentList: []int{2}}})
	require.NoError(t, err)
	assert.Equal(t, "a", l.LinkName, "the name is kept when WeCom does not echo it")
}

func TestShapeUpdateLink(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathUpdate,
		Body: `{"link_id":"LINK_ID","link_name":"获客链接1号","range":{"user_list":["zhangsan","lisi"],"department_list":[2,3]},"skip_verify":false,
		"priority_option":{"priority_type":1},"mark_source":false}`}, "")
	require.NoError(t, svc.UpdateLink(context.Background(), &acquisition.UpdateLinkRequest{
		LinkID: "LINK_ID", LinkName: "获客链接1号",
		Range:          &acquisition.Range{UserList: []string{"zhangsan", "lisi"}, DepartmentList: []int{2, 3}},
		SkipVerify:     acquisition.Bool(false),
		PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityCorpWide},
		MarkSource:     acquisition.Bool(false),
	}))
}

func TestShapeUpdateLinkOnlyName(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathUpdate, Body: `{"link_id":"L","link_name":"n"}`}, "")
	require.NoError(t, svc.UpdateLink(context.Background(), &acquisition.UpdateLinkRequest{LinkID: "L", LinkName: "n"}))
}

func TestShapeDeleteLink(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathDelete, Body: `{"link_id":"LINK_ID"}`}, "")
	require.NoError(t, svc.DeleteLink(context.Background(), "LINK_ID"))
}

func TestShapeListCustomers(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathCustomers, Body: `{"link_id":"LINK_ID","limit":1000,"cursor":"CURSOR"}`},
		`{"errcode":0,"errmsg":"ok","customer_list":[
		{"external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACAAA","userid":"zhangsan","chat_status":0,"state":"CHANNEL_A"},
		{"external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mBCBBB","userid":"rocky","chat_status":1,"state":"CHANNEL_A"}],"next_cursor":"CURSOR2"}`)
	out, err := svc.ListCustomers(context.Background(), &acquisition.ListCustomersRequest{LinkID: "LINK_ID", Limit: 1000, Cursor: "CURSOR"})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.ListCustomersResponse{CustomerList: []acquisition.Customer{
		{ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mACAAA", UserID: "zhangsan", ChatStatus: acquisition.ChatNotStarted, State: "CHANNEL_A"},
		{ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mBCBBB", UserID: "rocky", ChatStatus: acquisition.ChatStarted, State: "CHANNEL_A"},
	}, NextCursor: "CURSOR2"}, out)
}

func TestShapeGetQuota(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/externalcontact/customer_acquisition_quota"},
		`{"errcode":0,"errmsg":"ok","total":1000,"balance":500,"quota_list":[{"expire_date":1689350400,"balance":200},{"expire_date":1692028800,"balance":300}]}`)
	q, err := svc.GetQuota(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Quota{Total: 1000, Balance: 500, QuotaList: []acquisition.QuotaBatch{
		{ExpireDate: 1689350400, Balance: 200}, {ExpireDate: 1692028800, Balance: 300}}}, q)
}

func TestShapeGetStatistic(t *testing.T) {
	t.Parallel()
	end := time.Now().Truncate(time.Second)
	start := end.Add(-4 * 24 * time.Hour)
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathStatistic,
		Body: `{"link_id":"caxxxxxxx","start_time":` + itoa(start.Unix()) + `,"end_time":` + itoa(end.Unix()) + `}`},
		`{"errcode":0,"errmsg":"ok","click_link_customer_cnt":1000,"new_customer_cnt":500}`)
	st, err := svc.GetStatistic(context.Background(), &acquisition.GetStatisticRequest{LinkID: "caxxxxxxx",
		StartTime: wecom.UnixTime(start.Unix()), EndTime: wecom.UnixTime(end.Unix())})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Statistic{ClickLinkCustomerCnt: 1000, NewCustomerCnt: 500}, st)
}

func TestShapeGetChatInfo(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_acquisition/get_chat_info", Body: `{"chat_key":"CHAT_KEY"}`},
		`{"errcode":0,"errmsg":"ok","userid":"zhangsan","external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACAAA","chat_info":{"recv_msg_cnt":3,"link_id":"caXXXXXXX","state":"STATE"}}`)
	info, err := svc.GetChatInfo(context.Background(), "CHAT_KEY")
	require.NoError(t, err)
	assert.Equal(t, &acquisition.GetChatInfoResponse{UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mACAAA",
		ChatInfo: acquisition.ChatInfo{RecvMsgCnt: 3, LinkID: "caXXXXXXX", State: "STATE"}}, info)
}

func TestShapeGetPermit(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/externalcontact/customer_acquisition_app/get_permit"},
		`{"errcode":0,"errmsg":"ok","user_list":["jack","rose"],"department_list":[0,1],"tag_list":[0,1]}`)
	p, err := svc.GetPermit(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Permit{UserList: []string{"jack", "rose"}, DepartmentList: []int{0, 1}, TagList: []int{0, 1}}, p)
}

func TestShapeErrcodeIsAnError(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathGet, Body: `{"link_id":"L"}`}, `{"errcode":48002,"errmsg":"api forbidden"}`)
	_, err := svc.Get(context.Background(), "L")
	var we *wecom.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, 48002, we.Code)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
