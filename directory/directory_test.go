package directory_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/directory"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// addressBook fills the fake's default corp: store 2 with zhangsan (its
// leader) and lisi, store 3 under it with wangwu, who is in both.
func addressBook(t *testing.T, srv *wecomtest.Server) { addressBookOf(t, srv, srv.CorpID) }

func addressBookOf(t *testing.T, srv *wecomtest.Server, corpID string) {
	t.Helper()
	dir := srv.Corp(corpID).Directory()
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 2, Name: "Store 2", NameEn: "S2", Order: 10, Leaders: []string{"zhangsan"}}))
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 3, ParentID: 2, Name: "Store 3", Order: 5}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "zhangsan", Name: "张三", Departments: []int{2}, Position: "店长"}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "lisi", Name: "李四", Departments: []int{2}}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "wangwu", Name: "王五", Departments: []int{2, 3}}))
}

// The corp's self-built app reads departments and members with their names.
func TestSelfBuiltAppSeesNames(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	addressBook(t, srv)
	dir := directory.New(c)

	refs, err := dir.ListDepartmentIDs(t.Context(), 0)
	require.NoError(t, err)
	assert.Equal(t, []directory.DepartmentRef{{ID: 1, Order: 100000000}, {ID: 2, ParentID: 1, Order: 10}, {ID: 3, ParentID: 2, Order: 5}}, refs)
	refs, err = dir.ListDepartmentIDs(t.Context(), 2)
	require.NoError(t, err)
	assert.Len(t, refs, 2, "the department and its sub-departments")

	d, err := dir.GetDepartment(t.Context(), 2)
	require.NoError(t, err)
	assert.Equal(t, &directory.Department{ID: 2, Name: "Store 2", NameEn: "S2", DepartmentLeader: []string{"zhangsan"}, ParentID: 1, Order: 10}, d)

	u, err := dir.GetUser(t.Context(), "zhangsan")
	require.NoError(t, err)
	assert.Equal(t, "张三", u.Name)
	assert.Equal(t, "店长", u.Position)
	assert.Equal(t, []int{2}, u.Department)
	assert.Equal(t, []int{1}, u.IsLeaderInDept)
	assert.Empty(t, u.OpenUserID)
}

// A third-party app gets no names: the userid in name's place, departments
// without names, open_userids in the member list.
func TestThirdPartyAppGetsNoNames(t *testing.T) {
	t.Parallel()
	srv, _ := testkit.Setup(t)
	addressBook(t, srv)
	dir := directory.New(testkit.ThirdPartyApp(t, srv, "wwsuitedirectory1"))
	open := srv.Suite("wwsuitedirectory1").OpenUserID(srv.CorpID, "zhangsan")

	u, err := dir.GetUser(t.Context(), "zhangsan")
	require.NoError(t, err)
	assert.Equal(t, "zhangsan", u.Name, "the userid stands in for the name")
	assert.Empty(t, u.Position)
	assert.Equal(t, open, u.OpenUserID)
	byOpen, err := dir.GetUser(t.Context(), open)
	require.NoError(t, err)
	assert.Equal(t, "zhangsan", byOpen.UserID)

	d, err := dir.GetDepartment(t.Context(), 2)
	require.NoError(t, err)
	assert.Empty(t, d.Name)
	assert.Empty(t, d.NameEn)

	page, err := dir.ListUserIDs(t.Context(), nil)
	require.NoError(t, err)
	require.NotEmpty(t, page.DeptUser)
	assert.Equal(t, directory.UserDepartment{OpenUserID: open, Department: 2}, page.DeptUser[0])
	for _, m := range page.DeptUser {
		assert.Empty(t, m.UserID)
	}
}

// An agent-developed app gets names only once the corp's admin grants
// them.
func TestAgentDevelopedAppGetsNamesWhenGranted(t *testing.T) {
	t.Parallel()
	srv, _ := testkit.Setup(t)
	// an agent-developed app's secret is its permanent code: a corp of its own
	const suiteID, corpID = "dkdirectoryapp01", "wwdkcorp"
	srv.AddCorp(corpID, "")
	addressBookOf(t, srv, corpID)
	srv.AddSuite(suiteID, "suite-secret")
	suite := wecom.NewSuite(suiteID, "suite-secret", srv.SuiteOptions()...)
	require.NoError(t, suite.SetTicket(t.Context(), srv.Suite(suiteID).IssueTicket()))
	code, err := srv.Suite(suiteID).Install(t.Context(), corpID, "")
	require.NoError(t, err)
	_, err = suite.HandleCreateAuth(t.Context(), code)
	require.NoError(t, err)
	dir := directory.New(suite.Corp(corpID))

	u, err := dir.GetUser(t.Context(), "lisi")
	require.NoError(t, err)
	assert.Empty(t, u.Name)
	assert.Empty(t, u.OpenUserID, "open_userid is third-party apps' only")

	srv.Corp(corpID).Directory().GrantNames(suiteID, true)
	u, err = dir.GetUser(t.Context(), "lisi")
	require.NoError(t, err)
	assert.Equal(t, "李四", u.Name)
	d, err := dir.GetDepartment(t.Context(), 3)
	require.NoError(t, err)
	assert.Equal(t, "Store 3", d.Name)
}

// ListUserIDsIter walks every page from the request's cursor, one pair per
// member and department, without changing the request.
func TestListUserIDsIterWalksEveryPage(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	addressBook(t, srv)
	for i := range 6 {
		require.NoError(t, srv.Corp(srv.CorpID).Directory().AddMember(wecomtest.MemberSpec{UserID: fmt.Sprintf("m%d", i), Name: "M", Departments: []int{3}}))
	}
	dir := directory.New(c)
	req := &directory.ListUserIDsRequest{Limit: 3}
	var got []string
	for m, err := range dir.ListUserIDsIter(t.Context(), req) {
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%s@%d", m.UserID, m.Department))
	}
	assert.Equal(t, []string{"zhangsan@2", "lisi@2", "wangwu@2", "wangwu@3", "m0@3", "m1@3", "m2@3", "m3@3", "m4@3", "m5@3"}, got)
	assert.Equal(t, 4, srv.Count("user/list_id"), "ten pairs in pages of three")
	assert.Empty(t, req.Cursor, "the request is not changed")

	// a break sends nothing more
	srv.ResetRequests()
	for range dir.ListUserIDsIter(t.Context(), req) {
		break
	}
	assert.Equal(t, 1, srv.Count("user/list_id"))
}

func TestNotFoundAndBadInput(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	dir := directory.New(c)
	_, err := dir.GetUser(t.Context(), "ghost")
	require.True(t, directory.IsNotFound(err), "%v", err)
	testkit.WantCode(t, err, wecom.CodeUserNotFound)
	_, err = dir.GetDepartment(t.Context(), 404)
	require.True(t, directory.IsNotFound(err), "%v", err)
	assert.False(t, directory.IsNotFound(nil))

	srv.ResetRequests()
	_, err = dir.GetUser(t.Context(), "")
	testkit.WantInvalid(t, err, directory.ErrInvalidArgument)
	_, err = dir.GetDepartment(t.Context(), 0)
	testkit.WantInvalid(t, err, directory.ErrInvalidArgument)
	_, err = dir.ListDepartmentIDs(t.Context(), -1)
	testkit.WantInvalid(t, err, directory.ErrInvalidArgument)
	_, err = dir.ListUserIDs(t.Context(), &directory.ListUserIDsRequest{Limit: 10001})
	testkit.WantInvalid(t, err, directory.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "1 to 10000")
	for _, err := range dir.ListUserIDsIter(t.Context(), &directory.ListUserIDsRequest{Limit: -1}) {
		testkit.WantInvalid(t, err, directory.ErrInvalidArgument)
	}
	assert.Empty(t, srv.Requests())
}
