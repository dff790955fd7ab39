package idconvert_test

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/idconvert"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	testSuiteID     = "wwsuite000000001"
	testSuiteSecret = "suite-secret-for-tests"
)

// suiteEnv is a fake WeCom with one third-party suite (or agent-developed
// template) and a Suite wired to it, holding a fresh ticket.
func suiteEnv(t *testing.T, suiteID string, opts ...wecomtest.Option) (*wecomtest.Server, *wecom.Suite) {
	t.Helper()
	srv := wecomtest.NewServer(t, opts...)
	srv.AddSuite(suiteID, testSuiteSecret)
	s := wecom.NewSuite(suiteID, testSuiteSecret, srv.SuiteOptions()...)
	require.NoError(t, s.SetTicket(t.Context(), srv.Suite(suiteID).IssueTicket()))
	return srv, s
}

// installCorp runs an installation of the suite by corpID end to end.
func installCorp(t *testing.T, srv *wecomtest.Server, s *wecom.Suite, corpID string) {
	t.Helper()
	authCode, err := srv.Suite(s.ID()).Install(t.Context(), corpID, "")
	require.NoError(t, err)
	info, err := s.HandleCreateAuth(t.Context(), authCode)
	require.NoError(t, err)
	require.Equal(t, corpID, info.AuthCorpInfo.CorpID)
}

func TestThirdPartyConversions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	conv := idconvert.New(s.Corp("wwcorpA"))

	pairs, err := conv.GetNewExternalUserID(ctx, &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: []string{"wmAAA", "wmsvc_BBB"}})
	require.NoError(t, err)
	assert.Equal(t, []idconvert.ExternalUserIDPair{
		{ExternalUserID: "wmAAA", NewExternalUserID: wecomtest.ServiceExternalUserID("wmAAA")},
		{ExternalUserID: "wmsvc_BBB", NewExternalUserID: "wmsvc_BBB"}, // provider-subject already
	}, pairs)
	pairs, err = conv.GroupChatGetNewExternalUserID(ctx, &idconvert.GroupChatGetNewExternalUserIDRequest{
		ChatID: "wrchat1", ExternalUserIDList: []string{"wmCCC"}})
	require.NoError(t, err)
	assert.Equal(t, []idconvert.ExternalUserIDPair{{ExternalUserID: "wmCCC", NewExternalUserID: wecomtest.ServiceExternalUserID("wmCCC")}}, pairs)

	srv.Corp("wwcorpA").LinkUnionID("union-1", "wmDDD")
	res, err := conv.UnionIDToExternalUserID(ctx, &idconvert.UnionIDToExternalUserIDRequest{UnionID: "union-1", OpenID: "open-1", SubjectType: idconvert.SubjectProvider})
	require.NoError(t, err)
	assert.Equal(t, &idconvert.UnionIDToExternalUserIDResponse{ExternalUserID: wecomtest.ServiceExternalUserID("wmDDD")}, res)
	res, err = conv.UnionIDToExternalUserID(ctx, &idconvert.UnionIDToExternalUserIDRequest{UnionID: "union-2", OpenID: "open-2"})
	require.NoError(t, err)
	assert.Empty(t, res.ExternalUserID)
	assert.NotEmpty(t, res.PendingID, "not a customer yet: a pending_id stands for them")

	tags, err := conv.GetExternalTagID(ctx, &idconvert.GetExternalTagIDRequest{ExternalTagIDList: []string{"etTAG1", "etsvc_TAG2", "bogus"}})
	require.NoError(t, err)
	assert.Equal(t, &idconvert.GetExternalTagIDResponse{
		Items: []idconvert.ExternalTagIDPair{
			{ExternalTagID: "etTAG1", OpenExternalTagID: "etsvc_etTAG1"},
			{ExternalTagID: "etsvc_TAG2", OpenExternalTagID: "etsvc_TAG2"},
		},
		InvalidExternalTagIDList: []string{"bogus"},
	}, tags)

	// A self-built app's client is refused (48002) by WeCom for these.
	_, err = idconvert.New(srv.Client()).GetNewExternalUserID(ctx, &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: []string{"wmAAA"}})
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)
}

func TestGetNewExternalUserIDMany(t *testing.T) {
	t.Parallel()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	conv := idconvert.New(s.Corp("wwcorpA"))
	ids := make([]string, 2*idconvert.MaxIDs+5)
	for i := range ids {
		ids[i] = fmt.Sprintf("wm%05d", i)
	}
	srv.ResetRequests()
	res, err := conv.GetNewExternalUserIDMany(t.Context(), &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: ids}, 2)
	require.NoError(t, err)
	require.Len(t, res, len(ids))
	for i, r := range res {
		require.NoError(t, r.Err, "id %d", i)
		require.Equal(t, ids[i], r.Item, "in input order")
		require.Equal(t, wecomtest.ServiceExternalUserID(ids[i]), r.Value)
	}
	assert.Equal(t, 3, srv.Count("/cgi-bin/externalcontact/get_new_external_userid"), "chunks of MaxIDs")

	// A failed chunk fails its ids only; nothing is refused before sending
	// for a long list.
	srv.Fail("/cgi-bin/externalcontact/get_new_external_userid", wecomtest.Fault{Errcode: wecom.CodeAPIForbidden})
	res, err = conv.GetNewExternalUserIDMany(t.Context(), &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: ids}, 1)
	require.NoError(t, err)
	failed := 0
	for _, r := range res {
		if r.Err != nil {
			failed++
			testkit.WantCode(t, r.Err, wecom.CodeAPIForbidden)
		}
	}
	assert.Equal(t, idconvert.MaxIDs, failed, "the first chunk")

	_, err = conv.GetNewExternalUserIDMany(t.Context(), &idconvert.GetNewExternalUserIDRequest{}, 0)
	testkit.WantInvalid(t, err, idconvert.ErrInvalidArgument)
	_, err = conv.GetNewExternalUserIDMany(t.Context(), nil, 0)
	testkit.WantInvalid(t, err, idconvert.ErrInvalidArgument)
}

func TestValidatesBeforeCalling(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t)
	conv := idconvert.New(c)
	many := make([]string, idconvert.MaxIDs+1)
	for i := range many {
		many[i] = fmt.Sprintf("wm%d", i)
	}
	errs := map[string]error{}
	try := func(name string, err error) { errs[name] = err }
	try("new: too many", second(conv.GetNewExternalUserID(ctx, &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: many})))
	try("new: none", second(conv.GetNewExternalUserID(ctx, &idconvert.GetNewExternalUserIDRequest{})))
	try("new: nil", second(conv.GetNewExternalUserID(ctx, nil)))
	try("group: no chat", second(conv.GroupChatGetNewExternalUserID(ctx, &idconvert.GroupChatGetNewExternalUserIDRequest{ExternalUserIDList: []string{"wm1"}})))
	try("group: too many", second(conv.GroupChatGetNewExternalUserID(ctx, &idconvert.GroupChatGetNewExternalUserIDRequest{ChatID: "wr1", ExternalUserIDList: many})))
	try("group: nil", second(conv.GroupChatGetNewExternalUserID(ctx, nil)))
	try("unionid: no openid", second(conv.UnionIDToExternalUserID(ctx, &idconvert.UnionIDToExternalUserIDRequest{UnionID: "u"})))
	try("unionid: bad subject", second(conv.UnionIDToExternalUserID(ctx, &idconvert.UnionIDToExternalUserIDRequest{UnionID: "u", OpenID: "o", SubjectType: 2})))
	try("unionid: nil", second(conv.UnionIDToExternalUserID(ctx, nil)))
	try("v1: no openid", second(conv.UnionIDToExternalUserIDV1(ctx, &idconvert.UnionIDToExternalUserIDV1Request{UnionID: "u"})))
	try("v1: nil", second(conv.UnionIDToExternalUserIDV1(ctx, nil)))
	try("tags: too many", second(conv.GetExternalTagID(ctx, &idconvert.GetExternalTagIDRequest{ExternalTagIDList: many})))
	try("tags: nil", second(conv.GetExternalTagID(ctx, nil)))
	try("to_service: empty", second(conv.ToServiceExternalUserID(ctx, "")))
	try("from_service: no agent", second(conv.FromServiceExternalUserID(ctx, "wm1", 0)))
	try("from_service: no id", second(conv.FromServiceExternalUserID(ctx, "", 7)))
	try("openuserid: none", second(conv.BatchOpenUserIDToUserID(ctx, &idconvert.BatchOpenUserIDToUserIDRequest{SourceAgentID: 1})))
	try("openuserid: too many", second(conv.BatchOpenUserIDToUserID(ctx, &idconvert.BatchOpenUserIDToUserIDRequest{OpenUserIDList: many, SourceAgentID: 1})))
	try("openuserid: negative agent", second(conv.BatchOpenUserIDToUserID(ctx, &idconvert.BatchOpenUserIDToUserIDRequest{OpenUserIDList: []string{"x"}, SourceAgentID: -1})))
	try("openuserid: nil", second(conv.BatchOpenUserIDToUserID(ctx, nil)))
	try("pending: none", second(conv.BatchExternalUserIDToPendingID(ctx, &idconvert.BatchExternalUserIDToPendingIDRequest{})))
	try("pending: too many", second(conv.BatchExternalUserIDToPendingID(ctx, &idconvert.BatchExternalUserIDToPendingIDRequest{ExternalUserID: many[:idconvert.MaxPendingIDs+1]})))
	try("pending: nil", second(conv.BatchExternalUserIDToPendingID(ctx, nil)))
	for name, err := range errs {
		assert.ErrorIs(t, err, idconvert.ErrInvalidArgument, name)
	}
	assert.ErrorContains(t, errs["new: too many"], "1000")
	assert.ErrorContains(t, errs["pending: too many"], "100")
	assert.Empty(t, srv.Requests(), "invalid input reached WeCom")
}

// second returns the error of a (value, error) pair.
func second[T any](_ T, err error) error { return err }

func TestToServiceAndBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const tpl = "dktemplate000002"
	srv, dk := suiteEnv(t, tpl)
	installCorp(t, srv, dk, "wwdkcorp2")
	svc, err := idconvert.New(dk.Corp("wwdkcorp2")).ToServiceExternalUserID(ctx, "wmEEE")
	require.NoError(t, err)
	assert.Equal(t, wecomtest.ServiceExternalUserID("wmEEE"), svc)

	// The corp's own self-built app converts back, naming the source app.
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions()...)
	require.NoError(t, s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()))
	installCorp(t, srv, s, srv.CorpID)
	selfBuilt := idconvert.New(srv.Client())
	back, err := selfBuilt.FromServiceExternalUserID(ctx, svc, srv.Suite(testSuiteID).AgentID(srv.CorpID))
	require.NoError(t, err)
	assert.Equal(t, "wmEEE", back)
	_, err = selfBuilt.FromServiceExternalUserID(ctx, svc, 42)
	assert.Equal(t, 40056, wecom.ErrorCode(err), "unknown source agent")
}

func TestBatchOpenUserIDToUserID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, srv.CorpID)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	agentID := srv.Suite(testSuiteID).AgentID(srv.CorpID)

	admins, err := s.ListAdmins(ctx, srv.CorpID, agentID)
	require.NoError(t, err)
	require.Len(t, admins, 1)
	lisi := srv.Suite(testSuiteID).OpenUserID(srv.CorpID, "lisi")
	staff := srv.Suite(testSuiteID).OpenUserID(srv.CorpID, "zhangsan")

	conv := idconvert.New(srv.Client()) // the corp's self-built app
	res, err := conv.BatchOpenUserIDToUserID(ctx, &idconvert.BatchOpenUserIDToUserIDRequest{
		OpenUserIDList: []string{lisi, admins[0].OpenUserID, "zhangsan", staff, "bogus"}, SourceAgentID: agentID})
	require.NoError(t, err)
	assert.Equal(t, []idconvert.OpenUserIDPair{{OpenUserID: lisi, UserID: "lisi"}, {OpenUserID: admins[0].OpenUserID, UserID: admins[0].UserID},
		{OpenUserID: staff, UserID: "zhangsan"}}, res.UserIDList)
	assert.Equal(t, []string{"zhangsan", "bogus"}, res.InvalidOpenUserIDList)

	// Without source_agentid (ids an intelligent robot got) it is left out.
	res, err = conv.BatchOpenUserIDToUserID(ctx, &idconvert.BatchOpenUserIDToUserIDRequest{OpenUserIDList: []string{lisi}})
	require.NoError(t, err)
	assert.Len(t, res.UserIDList, 1)
	assert.NotContains(t, string(srv.Requests()[len(srv.Requests())-1].Body), "source_agentid")

	_, err = conv.BatchOpenUserIDToUserID(ctx, &idconvert.BatchOpenUserIDToUserIDRequest{OpenUserIDList: []string{lisi}, SourceAgentID: agentID + 7})
	testkit.WantCode(t, err, 40056)
	// Only a self-built app may call it.
	_, err = idconvert.New(s.Corp(srv.CorpID)).BatchOpenUserIDToUserID(ctx, &idconvert.BatchOpenUserIDToUserIDRequest{OpenUserIDList: []string{lisi}, SourceAgentID: agentID})
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)
}

func TestBatchExternalUserIDToPendingID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, s := suiteEnv(t, testSuiteID, wecomtest.WithClock(clock))
	installCorp(t, srv, s, "wwcorpA")
	conv := idconvert.New(s.Corp("wwcorpA"))

	// A WeChat user met in the provider's mini program is not a customer
	// yet: a pending_id stands for them.
	res, err := conv.UnionIDToExternalUserID(ctx, &idconvert.UnionIDToExternalUserIDRequest{UnionID: "union-9", OpenID: "open-9", SubjectType: idconvert.SubjectProvider})
	require.NoError(t, err)
	require.NotEmpty(t, res.PendingID)
	// They become a customer; the pending_id links them back.
	srv.Corp("wwcorpA").LinkUnionID("union-9", "wmNEW")
	newID := wecomtest.ServiceExternalUserID("wmNEW")
	other := wecomtest.ServiceExternalUserID("wmOTHER")
	pairs, err := conv.BatchExternalUserIDToPendingID(ctx, &idconvert.BatchExternalUserIDToPendingIDRequest{ExternalUserID: []string{newID, other}})
	require.NoError(t, err)
	assert.Equal(t, []idconvert.PendingIDPair{{ExternalUserID: newID, PendingID: res.PendingID}}, pairs)
	assert.JSONEq(t, `{"external_userid":["`+newID+`","`+other+`"]}`, string(srv.Requests()[len(srv.Requests())-1].Body))

	pairs, err = conv.BatchExternalUserIDToPendingID(ctx, &idconvert.BatchExternalUserIDToPendingIDRequest{ChatID: "wrchat1", ExternalUserID: []string{newID}})
	require.NoError(t, err)
	assert.Len(t, pairs, 1)

	// A pending_id lives 90 days.
	mu.Lock()
	now = now.Add(90 * 24 * time.Hour)
	mu.Unlock()
	require.NoError(t, s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()))
	pairs, err = conv.BatchExternalUserIDToPendingID(ctx, &idconvert.BatchExternalUserIDToPendingIDRequest{ExternalUserID: []string{newID}})
	require.NoError(t, err)
	assert.Empty(t, pairs)

	// Third-party and agent-developed apps only.
	_, err = idconvert.New(srv.Client()).BatchExternalUserIDToPendingID(ctx, &idconvert.BatchExternalUserIDToPendingIDRequest{ExternalUserID: []string{newID}})
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)
}

// The legacy corp-subject conversion (moved here from package contact).
func TestUnionIDToExternalUserIDV1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t)
	ids := testkit.Seed(t, srv, 2, "a")
	var detail struct {
		ExternalContact struct {
			UnionID string `json:"unionid"`
		} `json:"external_contact"`
	}
	require.NoError(t, c.Get(ctx, "/cgi-bin/externalcontact/get", url.Values{"external_userid": {ids[1]}}, &detail))
	require.NotEmpty(t, detail.ExternalContact.UnionID)

	conv := idconvert.New(c)
	got, err := conv.UnionIDToExternalUserIDV1(ctx, &idconvert.UnionIDToExternalUserIDV1Request{UnionID: detail.ExternalContact.UnionID, OpenID: "openid-1"})
	require.NoError(t, err)
	assert.Equal(t, ids[1], got)
	last := srv.Requests()[len(srv.Requests())-1]
	assert.Equal(t, "/cgi-bin/externalcontact/unionid_to_external_userid", last.Path)
	assert.JSONEq(t, `{"unionid":"`+detail.ExternalContact.UnionID+`","openid":"openid-1"}`, string(last.Body))

	got, err = conv.UnionIDToExternalUserIDV1(ctx, &idconvert.UnionIDToExternalUserIDV1Request{UnionID: "ounknown", OpenID: "o"})
	require.NoError(t, err)
	assert.Empty(t, got, "not a customer")
}
