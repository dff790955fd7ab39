package acquisition_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// componentSetup is setup with a provider's acquisition component (suite
// suiteID) installed in the default corp and authorized with comp: it
// returns the component's suite, a Service on the component's corp token
// and the self-built app's Service.
func componentSetup(t *testing.T, comp wecomtest.AcquisitionComponent) (*wecomtest.Server, *wecom.Suite, *acquisition.Service, *acquisition.Service) {
	t.Helper()
	srv, svc := setup(t)
	const suiteID, secret = "wwcomp0001", "component-secret"
	srv.AddSuite(suiteID, secret)
	suite := wecom.NewSuite(suiteID, secret, srv.SuiteOptions()...)
	ctx := t.Context()
	require.NoError(t, suite.SetTicket(ctx, srv.Suite(suiteID).IssueTicket()))
	authCode, err := srv.Suite(suiteID).Install(ctx, srv.CorpID, "")
	require.NoError(t, err)
	_, err = suite.HandleCreateAuth(ctx, authCode)
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).Acquisition().AuthorizeComponent(suiteID, comp))
	return srv, suite, acquisition.New(suite.Corp(srv.CorpID)), svc
}

// A provider paying for a link's customers: the corp's authorization,
// one-use keys, the customers they add at the provider's cost, and the
// bill of it, with the component's own suite token.
func TestComponentPaysWithOnceKeys(t *testing.T) {
	t.Parallel()
	srv, suite, comp, corpApp := componentSetup(t, wecomtest.AcquisitionComponent{PayMode: 1, Price: 300, LinkAuthMode: 1, AuthApps: []int{1000030}})
	ctx := t.Context()

	info, err := comp.GetCompAuthInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, &acquisition.CompAuthInfo{PayMode: acquisition.PayByProvider, Price: 300, LinkAuthMode: acquisition.LinksOfAuthApps,
		AuthApps: []acquisition.CompAuthApp{{AgentID: 1000030}}}, info)
	_, err = corpApp.GetCompAuthInfo(ctx)
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)

	link := newLink(t, corpApp, "fair", "zhangsan")
	keys, err := comp.CreateOnceKey(ctx, &acquisition.CreateOnceKeyRequest{LinkID: link.LinkID, KeyNum: 2})
	require.NoError(t, err)
	require.Len(t, keys, 2)
	all, err := comp.CreateOnceKey(ctx, &acquisition.CreateOnceKeyRequest{LinkID: link.LinkID})
	require.NoError(t, err)
	assert.Len(t, all, 100, "WeCom's default")

	acq := srv.Corp(srv.CorpID).Acquisition()
	before := acq.Balance()
	tap, err := acq.TapLinkWithOnceKey(ctx, link.LinkID, "booth-7", keys[0])
	require.NoError(t, err)
	assert.NotEmpty(t, tap.ExternalUserID)
	assert.Equal(t, before, acq.Balance(), "the provider paid, not the corp")
	_, err = acq.TapLinkWithOnceKey(ctx, link.LinkID, "booth-7", keys[0])
	assert.ErrorIs(t, err, wecomtest.ErrInvalidOnceKey, "a key works once")

	now := time.Now()
	bills := acquisition.NewComponent(suite)
	req := &acquisition.ListBillsRequest{AuthCorpID: srv.CorpID, BeginTime: wecom.UnixTime(now.Add(-time.Hour).Unix()),
		EndTime: wecom.UnixTime(now.Add(time.Hour).Unix()), Limit: 5000}
	var got []acquisition.Bill
	for b, err := range bills.ListBillsIter(ctx, req) {
		require.NoError(t, err)
		got = append(got, *b)
	}
	require.Len(t, got, 1)
	assert.Equal(t, link.LinkID, got[0].LinkID)
	assert.Equal(t, "booth-7", got[0].State)
	assert.EqualValues(t, 300, got[0].Price)
	assert.EqualValues(t, 1000, testkit.LastBody(t, srv, "/cgi-bin/service/customer_acquisition/get_bill_list")["limit"], "clamped")
	assert.Equal(t, 5000, req.Limit, "the request is not modified")
	assert.NotEmpty(t, srv.Requests()[len(srv.Requests())-1].Query.Get("suite_access_token"), "the component's own token")
}

// Keys need the provider to pay; input is checked before sending.
func TestComponentRefusals(t *testing.T) {
	t.Parallel()
	srv, suite, comp, corpApp := componentSetup(t, wecomtest.AcquisitionComponent{PayMode: 0})
	ctx := t.Context()
	link := newLink(t, corpApp, "fair", "zhangsan")
	_, err := comp.CreateOnceKey(ctx, &acquisition.CreateOnceKeyRequest{LinkID: link.LinkID})
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)

	for _, req := range []*acquisition.CreateOnceKeyRequest{nil, {}, {LinkID: link.LinkID, KeyNum: acquisition.MaxOnceKeys + 1}, {LinkID: link.LinkID, KeyNum: -1}} {
		_, err := comp.CreateOnceKey(ctx, req)
		testkit.WantInvalid(t, err, acquisition.ErrInvalidArgument)
	}
	bills := acquisition.NewComponent(suite)
	day := int64(86400)
	for _, req := range []*acquisition.ListBillsRequest{
		nil,
		{BeginTime: 1, EndTime: 2},
		{AuthCorpID: srv.CorpID},
		{AuthCorpID: srv.CorpID, BeginTime: 10, EndTime: 5},
		{AuthCorpID: srv.CorpID, BeginTime: 1, EndTime: wecom.UnixTime(1 + 31*day + 1)},
		{AuthCorpID: srv.CorpID, BeginTime: 1, EndTime: 2, Limit: -1},
	} {
		_, err := bills.ListBills(ctx, req)
		testkit.WantInvalid(t, err, acquisition.ErrInvalidArgument)
	}
	assert.Zero(t, srv.Count("/cgi-bin/service/customer_acquisition/get_bill_list"))
	_, err = bills.ListBills(ctx, &acquisition.ListBillsRequest{AuthCorpID: srv.CorpID, BeginTime: 1, EndTime: wecom.UnixTime(1 + 31*day)})
	require.NoError(t, err, "31 days are allowed")
	_, err = bills.ListBills(ctx, &acquisition.ListBillsRequest{AuthCorpID: "wwOtherCorp", BeginTime: 1, EndTime: 2})
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)
}
