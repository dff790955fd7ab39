package directory_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/directory"
	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestListDepartmentIDsShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/department/simplelist", Query: url.Values{"id": {"2"}}},
		`{"errcode":0,"errmsg":"ok","department_id":[{"id":2,"parentid":1,"order":10},{"id":3,"parentid":2,"order":40}]}`)
	got, err := directory.New(c).ListDepartmentIDs(t.Context(), 2)
	require.NoError(t, err)
	assert.Equal(t, []directory.DepartmentRef{{ID: 2, ParentID: 1, Order: 10}, {ID: 3, ParentID: 2, Order: 40}}, got)

	c, m = shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/department/simplelist"}, `{"errcode":0,"errmsg":"ok","department_id":[]}`)
	got, err = directory.New(c).ListDepartmentIDs(t.Context(), 0)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestGetDepartmentShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/department/get", Query: url.Values{"id": {"2"}}},
		`{"errcode":0,"errmsg":"ok","department":{"id":2,"name":"广州研发中心","name_en":"RDGZ","department_leader":["zhangsan","lisi"],"parentid":1,"order":10}}`)
	got, err := directory.New(c).GetDepartment(t.Context(), 2)
	require.NoError(t, err)
	assert.Equal(t, &directory.Department{ID: 2, Name: "广州研发中心", NameEn: "RDGZ", DepartmentLeader: []string{"zhangsan", "lisi"},
		ParentID: 1, Order: 10}, got)
}

func TestListUserIDsShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/user/list_id", Body: `{"cursor":"xxxxxxx","limit":10000}`},
		`{"errcode":0,"errmsg":"ok","next_cursor":"aaaaaaaaa","dept_user":[{"userid":"zhangsan","department":1},{"userid":"zhangsan","department":2},{"userid":"lisi","department":2}]}`)
	got, err := directory.New(c).ListUserIDs(t.Context(), &directory.ListUserIDsRequest{Cursor: "xxxxxxx", Limit: 10000})
	require.NoError(t, err)
	assert.Equal(t, &directory.ListUserIDsResponse{NextCursor: "aaaaaaaaa", DeptUser: []directory.UserDepartment{
		{UserID: "zhangsan", Department: 1}, {UserID: "zhangsan", Department: 2}, {UserID: "lisi", Department: 2}}}, got)

	// a third-party app's page holds open_userids
	c, m = shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/user/list_id", Body: `{}`},
		`{"errcode":0,"errmsg":"ok","next_cursor":"","dept_user":[{"open_userid":"woAAAAAAAA","department":1}]}`)
	got, err = directory.New(c).ListUserIDs(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, []directory.UserDepartment{{OpenUserID: "woAAAAAAAA", Department: 1}}, got.DeptUser)
}

func TestGetUserShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/user/get", Query: url.Values{"userid": {"zhangsan"}}},
		`{"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三","department":[1,2],"order":[1,2],"position":"后台工程师",`+
			`"mobile":"13800000000","gender":"1","email":"zhangsan@qq.com","biz_mail":"zhangsan@tencent.com","is_leader_in_dept":[1,0],`+
			`"direct_leader":["lisi"],"avatar":"http://a/0","thumb_avatar":"http://a/100","telephone":"020-123456","alias":"jackzhang",`+
			`"address":"广州市海珠区新港中路","open_userid":"xxxxxx","main_department":1,"status":1,"qr_code":"https://q",`+
			`"external_position":"产品经理","extattr":{"attrs":[]}}`)
	got, err := directory.New(c).GetUser(t.Context(), "zhangsan")
	require.NoError(t, err)
	assert.Equal(t, &directory.User{UserID: "zhangsan", Name: "张三", Department: []int{1, 2}, Order: []int64{1, 2}, MainDepartment: 1,
		Position: "后台工程师", Mobile: "13800000000", Gender: "1", Email: "zhangsan@qq.com", BizMail: "zhangsan@tencent.com",
		IsLeaderInDept: []int{1, 0}, DirectLeader: []string{"lisi"}, Avatar: "http://a/0", ThumbAvatar: "http://a/100",
		Telephone: "020-123456", Alias: "jackzhang", Address: "广州市海珠区新港中路", OpenUserID: "xxxxxx", Status: 1,
		QRCode: "https://q", ExternalPosition: "产品经理"}, got)
}
