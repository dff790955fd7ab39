package testkit

// This file is the only one in testkit that builds the fake's world: every
// call to a wecomtest.Server method that adds members, customers, groups,
// quota, apps or callbacks is here, on the fake's default corp (srv.CorpID).
// When those methods move (onto per-corp and per-suite handles), this file
// follows and the tests that use testkit do not change.

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Staff enables members with customer contact (客户联系) in the default
// corp; enabling one twice is harmless.
func Staff(t testing.TB, srv *wecomtest.Server, userIDs ...string) {
	t.Helper()
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff(userIDs...)) // world-building
}

// Seed enables staff and adds n customers to the default corp, spread over
// them round robin (customer i is added by staff[i%len(staff)]), and returns
// their external_userids.
func Seed(t testing.TB, srv *wecomtest.Server, n int, staff ...string) []string {
	t.Helper()
	require.NotEmpty(t, staff, "testkit.Seed: customers are added by members; name at least one")
	Staff(t, srv, staff...)
	ids, err := srv.Corp(srv.CorpID).SeedCustomers(n, staff) // world-building
	require.NoError(t, err)
	return ids
}

// GroupChat creates a customer group in the default corp, owned by owner (a
// member Staff enabled) with members (members or customers) invited by the
// owner, and returns its chat id.
func GroupChat(t testing.TB, srv *wecomtest.Server, owner, name string, members ...string) string {
	t.Helper()
	id, err := srv.Corp(srv.CorpID).GroupChats().Create(t.Context(), wecomtest.GroupChatSpec{Owner: owner, Name: name, Members: members})
	require.NoError(t, err)
	return id
}

// AcquisitionQuota grants the default corp n units of customer-acquisition
// (获客助手) quota that expire at expires.
func AcquisitionQuota(t testing.TB, srv *wecomtest.Server, n int64, expires time.Time) {
	t.Helper()
	_, err := srv.Corp(srv.CorpID).Acquisition().GrantQuota(t.Context(), n, expires) // world-building
	require.NoError(t, err)
}

// ThirdPartyApp installs the third-party suite suiteID in the default corp
// and returns a client of that app: a second app of the same corp, with
// its own token.
func ThirdPartyApp(t testing.TB, srv *wecomtest.Server, suiteID string) *wecom.Client {
	t.Helper()
	const secret = "suite-secret"
	srv.AddSuite(suiteID, secret) // world-building
	s := wecom.NewSuite(suiteID, secret, srv.SuiteOptions()...)
	ctx := t.Context()
	require.NoError(t, s.SetTicket(ctx, srv.Suite(suiteID).IssueTicket())) // world-building
	authCode, err := srv.Suite(suiteID).Install(ctx, srv.CorpID, "")
	require.NoError(t, err)
	_, err = s.HandleCreateAuth(ctx, authCode) // world-building
	require.NoError(t, err)
	return s.Corp(srv.CorpID)
}

// Callback serves a callback.Handler of the default corp on loopback, with
// register installing the test's handlers on it, and returns the fake's
// side: what the fake pushes to that URL (a scan, a join, a resignation...)
// reaches the Handler encrypted and signed as WeCom would. The Handler and
// its server are closed when the test ends.
func Callback(t testing.TB, srv *wecomtest.Server, register func(*callback.Handler), opts ...callback.Option) *wecomtest.Corp {
	t.Helper()
	const token = "testkitToken"
	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, key, append([]callback.Option{callback.WithReceiverID(srv.CorpID)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	if register != nil {
		register(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return srv.Corp(srv.CorpID).SetCallback(hs.URL, token, key) // world-building
}
