package appmsg_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// fakeCorp starts a fake with a small address book: store 2 (zhangsan,
// lisi), store 3 under it (wangwu), and tag 7 (lisi).
func fakeCorp(t *testing.T, opts ...testkit.Option) (*wecomtest.Server, *appmsg.Service) {
	t.Helper()
	srv, c := testkit.Setup(t, append([]testkit.Option{testkit.WithClientOptions(wecom.WithAgentID(wecomtest.DefaultAgentID))}, opts...)...)
	dir := srv.Corp(srv.CorpID).Directory()
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 2, Name: "Store 2"}))
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 3, ParentID: 2, Name: "Store 3"}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "zhangsan", Name: "张三", Departments: []int{2}}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "lisi", Name: "李四", Departments: []int{2}}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "wangwu", Name: "王五", Departments: []int{3}}))
	require.NoError(t, dir.TagMembers(7, "lisi"))
	return srv, appmsg.New(c)
}

// A member receives what the app sent them, once per message, whether
// named, reached through a department (and its sub-departments) or a tag.
func TestSendReachesMembersOfDepartmentsAndTags(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	r, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, ToParty: []int{2}, ToTag: []int{7},
		Message: &appmsg.Text{Content: "today's SOP: call back 3 customers"}})
	require.NoError(t, err)
	assert.True(t, r.Complete())
	am := srv.Corp(srv.CorpID).AppMessages()
	for _, u := range []string{"zhangsan", "lisi", "wangwu"} {
		got := am.Received(u)
		require.Len(t, got, 1, u)
		assert.Equal(t, "today's SOP: call back 3 customers", got[0].Content)
		assert.Equal(t, r.MsgID, got[0].MsgID)
		assert.Equal(t, wecomtest.DefaultAgentID, got[0].AgentID)
	}
}

// The recipients WeCom refuses come back in the answer and the others get
// the message; when WeCom refuses every one, the error is 81013.
func TestSendReportsEachRefusedRecipient(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	require.NoError(t, srv.Corp(srv.CorpID).Directory().SetUnlicensed("lisi", true))
	r, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan", "lisi", "Ghost"}, ToParty: []int{99}, ToTag: []int{42},
		Message: appmsg.Markdown{Content: "**hi**"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"ghost"}, r.InvalidUsers, "lower-cased, as WeCom answers")
	assert.Equal(t, []string{"99"}, r.InvalidParties)
	assert.Equal(t, []string{"42"}, r.InvalidTags)
	assert.Equal(t, []string{"lisi"}, r.UnlicensedUsers)
	assert.False(t, r.Complete())
	am := srv.Corp(srv.CorpID).AppMessages()
	assert.Len(t, am.Received("zhangsan"), 1)
	assert.Empty(t, am.Received("lisi"))

	_, err = svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"ghost"}, Message: appmsg.Text{Content: "x"}})
	testkit.WantCode(t, err, wecom.CodeAllRecipientsInvalid)
}

// SendMany answers one result per recipient, in order, with WeCom's
// per-recipient refusals as errors and the call's receipt as value.
func TestSendManyResultsPerRecipient(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	require.NoError(t, srv.Corp(srv.CorpID).Directory().SetUnlicensed("wangwu", true))
	res, err := svc.SendMany(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan", "ghost", "wangwu"}, ToParty: []int{404},
		ToTag: []int{7}, Message: appmsg.Text{Content: "x"}}, 0)
	require.NoError(t, err)
	require.Len(t, res, 5)
	want := []struct {
		kind appmsg.RecipientKind
		id   string
		err  error
	}{
		{appmsg.RecipientUser, "zhangsan", nil},
		{appmsg.RecipientUser, "ghost", appmsg.ErrInvalidRecipient},
		{appmsg.RecipientUser, "wangwu", appmsg.ErrUnlicensed},
		{appmsg.RecipientParty, "404", appmsg.ErrInvalidRecipient},
		{appmsg.RecipientTag, "7", nil},
	}
	for i, w := range want {
		assert.Equal(t, appmsg.Recipient{Kind: w.kind, ID: w.id}, res[i].Item)
		if w.err == nil {
			assert.NoError(t, res[i].Err, w.id)
		} else {
			assert.ErrorIs(t, res[i].Err, w.err, w.id)
		}
		require.NotNil(t, res[i].Value)
		assert.Equal(t, res[0].Value.MsgID, res[i].Value.MsgID, "one call")
	}
}

// An audience over the per-call limits is split into calls WeCom takes:
// 2,001 members are three calls, and each member gets the message once.
func TestSendManyChunksAnAudience(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithClientOptions(wecom.WithAgentID(wecomtest.DefaultAgentID)))
	svc := appmsg.New(c)
	users := make([]string, 2*appmsg.MaxUsers+1)
	for i := range users {
		users[i] = fmt.Sprintf("member%04d", i)
	}
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff(users...))
	srv.ResetRequests()
	res, err := svc.SendMany(t.Context(), &appmsg.SendRequest{ToUser: users, Message: appmsg.Text{Content: "weekly report"}}, 2)
	require.NoError(t, err)
	require.Len(t, res, len(users))
	assert.Equal(t, 3, srv.Count("message/send"))
	msgIDs := map[string]bool{}
	for i, r := range res {
		require.NoError(t, r.Err)
		assert.Equal(t, users[i], r.Item.ID)
		msgIDs[r.Value.MsgID] = true
	}
	assert.Len(t, msgIDs, 3)
	am := srv.Corp(srv.CorpID).AppMessages()
	for _, u := range []string{users[0], users[1000], users[2000]} {
		assert.Len(t, am.Received(u), 1, u)
	}
}

// A send is never re-sent once it may have reached WeCom: a dropped
// connection is one request and an outcome-unknown error, for each call
// of a SendMany too.
func TestSendIsNotRetriedOnceItMayHaveLanded(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	srv.Fail("/cgi-bin/message/send", wecomtest.Fault{Drop: true, Times: 1})
	_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: appmsg.Text{Content: "x"}})
	testkit.WantOutcomeUnknown(t, err)
	assert.Equal(t, 1, srv.Count("message/send"))

	srv.ResetRequests()
	srv.Fail("/cgi-bin/message/send", wecomtest.Fault{Drop: true, Times: 1})
	res, err := svc.SendMany(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: appmsg.Text{Content: "x"}}, 0)
	require.NoError(t, err)
	testkit.WantOutcomeUnknown(t, res[0].Err)
	assert.Equal(t, 1, srv.Count("message/send"))
}

// With the duplicate check, the same request again within the interval
// reaches no one a second time: the way to repeat a send safely.
func TestSendDuplicateCheckMakesARepeatSafe(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, svc := fakeCorp(t, testkit.WithClock(clk))
	req := &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: appmsg.Text{Content: "churn alert"},
		EnableDuplicateCheck: true, DuplicateCheckInterval: time.Hour}
	first, err := svc.Send(t.Context(), req)
	require.NoError(t, err)
	again, err := svc.Send(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, first.MsgID, again.MsgID)
	am := srv.Corp(srv.CorpID).AppMessages()
	assert.Len(t, am.Received("zhangsan"), 1)

	clk.Advance(time.Hour)
	_, err = svc.Send(t.Context(), req)
	require.NoError(t, err)
	assert.Len(t, am.Received("zhangsan"), 2)
}

// A message is recalled by its msgid.
func TestRecall(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	r, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: appmsg.Text{Content: "oops"}})
	require.NoError(t, err)
	require.NoError(t, svc.Recall(t.Context(), r.MsgID))
	got := srv.Corp(srv.CorpID).AppMessages().Received("zhangsan")
	require.Len(t, got, 1)
	assert.True(t, got[0].Recalled)
	testkit.WantInvalid(t, svc.Recall(t.Context(), ""), appmsg.ErrInvalidArgument)
}

// A client without an agent id cannot send: nothing goes out.
func TestSendNeedsTheAgentID(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	_, err := appmsg.New(c).Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: appmsg.Text{Content: "x"}})
	require.ErrorIs(t, err, wecom.ErrNoAgentID)
	assert.Zero(t, srv.Count("message/send"))

	_, err = appmsg.New(srv.Client(wecom.WithAgentID(42))).Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: appmsg.Text{Content: "x"}})
	testkit.WantCode(t, err, wecom.CodeAgentNotAllowed)
}

// A third-party app sends with its installation's agent id, names members
// by the open_userid it sees, and may send template messages; it reads no
// names, so it writes them as placeholders.
func TestThirdPartyAppSends(t *testing.T) {
	t.Parallel()
	srv, _ := fakeCorp(t)
	c := testkit.ThirdPartyApp(t, srv, "wwsuiteappmsg01")
	svc := appmsg.New(c)
	open := srv.Suite("wwsuiteappmsg01").OpenUserID(srv.CorpID, "zhangsan")
	r, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{open}, EnableIDTrans: true,
		Message: &appmsg.TemplateMsg{TemplateID: "tpl", URL: "https://example.com",
			ContentItem: []appmsg.TemplateMsgItem{{Key: "客户", Value: appmsg.UserName(open)}}}})
	require.NoError(t, err)
	assert.True(t, r.Complete())
	got := srv.Corp(srv.CorpID).AppMessages().Received("zhangsan")
	require.Len(t, got, 1)
	assert.Equal(t, "template_msg", got[0].MsgType)
	assert.Equal(t, "wwsuiteappmsg01", got[0].App)
	assert.Equal(t, srv.Suite("wwsuiteappmsg01").AgentID(srv.CorpID), got[0].AgentID)

	// the self-built app may not send template messages
	_, selfBuilt := fakeCorp(t)
	_, err = selfBuilt.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"},
		Message: &appmsg.TemplateMsg{TemplateID: "tpl", URL: "https://example.com", ContentItem: []appmsg.TemplateMsgItem{{Key: "k", Value: "v"}}}})
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)
}
