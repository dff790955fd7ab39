package wecom_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	testSuiteID     = "wwsuite000000001"
	testSuiteSecret = "suite-secret-for-tests"
)

// suiteEnv is a fake WeCom with one suite and a Suite wired to it, holding
// a fresh ticket.
func suiteEnv(t testing.TB, suiteID string, opts ...wecom.SuiteOption) (*wecomtest.Server, *wecom.Suite) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(suiteID, testSuiteSecret)
	s := wecom.NewSuite(suiteID, testSuiteSecret, srv.SuiteOptions(opts...)...)
	require.NoError(t, s.SetTicket(context.Background(), srv.Suite(suiteID).IssueTicket()))
	return srv, s
}

// install runs an installation of the suite by corpID end to end.
func installCorp(t testing.TB, srv *wecomtest.Server, s *wecom.Suite, corpID string) *wecom.PermanentCodeInfo {
	t.Helper()
	authCode, err := srv.Suite(s.ID()).Install(t.Context(), corpID, "")
	require.NoError(t, err)
	info, err := s.HandleCreateAuth(context.Background(), authCode)
	require.NoError(t, err, "HandleCreateAuth(%s)", corpID)
	require.Equal(t, corpID, info.AuthCorpInfo.CorpID, "authorized corp")
	return info
}

func TestSuiteInstallAndCallAsCorp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	require.Equal(t, wecom.SuiteThirdParty, s.Kind(), "kind")
	info := installCorp(t, srv, s, "wwcorpA")
	require.Equal(t, srv.Suite(testSuiteID).PermanentCode("wwcorpA"), info.PermanentCode, "permanent code in the answer differs from the one the server issued")
	require.NotNil(t, info.AuthUserInfo, "auth_user_info")
	require.Equal(t, "installer", info.AuthUserInfo.UserID, "auth_user_info = %+v", info.AuthUserInfo)
	ok, err := s.IsAuthorized(ctx, "wwcorpA")
	require.NoError(t, err, "IsAuthorized = %v", ok)
	require.True(t, ok, "IsAuthorized = %v, %v", ok, err)
	ips, err := s.Corp("wwcorpA").GetCallbackIPs(ctx)
	require.NoError(t, err, "GetCallbackIPs = %v", ips)
	require.NotEmpty(t, ips, "GetCallbackIPs = %v, %v", ips, err)
	require.Equal(t, "wwcorpA", s.Corp("wwcorpA").CorpID(), "corp client has the wrong corp id")
	admins, err := s.Corp("wwcorpA").ListAdmins(ctx)
	require.NoError(t, err, "ListAdmins = %+v", admins)
	require.Len(t, admins, 1, "ListAdmins = %+v, %v", admins, err)
	require.Equal(t, "installer", admins[0].UserID, "ListAdmins = %+v, %v", admins, err)
	require.Equal(t, wecom.AdminMayManage, admins[0].AuthType, "ListAdmins = %+v, %v", admins, err)
	n := srv.Suite(testSuiteID).CorpTokenFetches("wwcorpA")
	require.Equal(t, 1, n, "get_corp_token issued %d tokens, want 1", n)
	n = srv.Count("/cgi-bin/gettoken")
	require.Equal(t, 0, n, "a third-party app called gettoken %d times", n)
	corps, err := s.AuthorizedCorps(ctx)
	require.NoError(t, err, "AuthorizedCorps = %v", corps)
	require.Len(t, corps, 1, "AuthorizedCorps = %v, %v", corps, err)
	require.Equal(t, "wwcorpA", corps[0], "AuthorizedCorps = %v, %v", corps, err)
	for id, want := range map[string]bool{testSuiteID: true, "wwcorpA": true, "wwstranger": false, "": false} {
		got, err := s.ReceiveIDAllowed(ctx, id)
		assert.NoError(t, err, "ReceiveIDAllowed(%q)", id)
		assert.Equal(t, want, got, "ReceiveIDAllowed(%q)", id)
	}
}

func TestSuiteTicketNewestWinsAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(testSuiteID, testSuiteSecret)
	store := wecom.NewMemoryStore()
	a := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)
	b := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)

	older, newer := srv.Suite(testSuiteID).IssueTicket(), srv.Suite(testSuiteID).IssueTicket()
	t0 := time.Now()
	require.NoError(t, a.SetTicketAt(ctx, newer, t0))
	require.NoError(t, b.SetTicketAt(ctx, older, t0.Add(-10*time.Minute)))
	// The suite token must be fetched with the newer ticket: check what
	// the fake received.
	_, err := b.AccessToken(ctx)
	require.NoError(t, err)
	reqs := srv.Requests()
	require.Len(t, reqs, 1, "get_suite_token was not called with the newest ticket")
	require.Contains(t, string(reqs[0].Body), newer, "get_suite_token was not called with the newest ticket: %q", reqs)

	// Many instances racing with tickets of random age: the newest wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var best time.Time
	bestTicket := ""
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			at := t0.Add(time.Duration(1+rand.IntN(50_000)) * time.Millisecond) // within the clock-skew allowance
			ticket := fmt.Sprintf("race-ticket-%d", i)
			s := a
			if i%2 == 1 {
				s = b
			}
			assert.NoError(t, s.SetTicketAt(ctx, ticket, at))
			mu.Lock()
			if at.After(best) {
				best, bestTicket = at, ticket
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	raw, _, _ := store.Get(ctx, "wecom:suite:"+testSuiteID+":ticket")
	require.True(t, strings.HasSuffix(raw, ":"+bestTicket), "stored ticket %q, want the newest %q", raw, bestTicket)
	require.Error(t, a.SetTicket(ctx, ""), "an empty ticket was accepted")
}

func TestSuiteConcurrentFirstCallsShareOneCorpToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	srv.ResetRequests()

	// The corp's client has not been built yet: every caller starts cold.
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Corp("wwcorpA").GetCallbackIPs(ctx); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	n := srv.Count("/cgi-bin/service/get_corp_token")
	require.Equal(t, 1, n, "200 concurrent first calls made %d get_corp_token calls, want 1", n)
	n = srv.Suite(testSuiteID).TokenFetches()
	require.Equal(t, 1, n, "suite token fetched %d times, want 1", n)
}

func TestSuiteCancelledAuthorization(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	_, err := s.Corp("wwcorpA").GetCallbackIPs(ctx)
	require.NoError(t, err)
	require.NoError(t, srv.Suite(testSuiteID).Uninstall(ctx, "wwcorpA"))

	_, err = s.Corp("wwcorpA").GetCallbackIPs(ctx)
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "call after cancel_auth")
	require.Equal(t, wecom.CodeInvalidPermanentCode, wecom.ErrorCode(err), "call after cancel_auth: %v; want ErrCorpNotAuthorized carrying 40084", err)
	require.Contains(t, err.Error(), "cancelled", "error does not say what happened: %v", err)
	require.Contains(t, err.Error(), "wwcorpA", "error does not say what happened: %v", err)
	_, err = s.GetAuthInfo(ctx, "wwcorpA")
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "GetAuthInfo after cancel")

	require.NoError(t, s.ForgetCorp(ctx, "wwcorpA"))
	ok, err := s.IsAuthorized(ctx, "wwcorpA")
	require.False(t, ok, "IsAuthorized after ForgetCorp = %v, %v", ok, err)
	require.NoError(t, err, "IsAuthorized after ForgetCorp = %v", ok)
	corps, _ := s.AuthorizedCorps(ctx)
	require.Empty(t, corps, "AuthorizedCorps after ForgetCorp")
	before := srv.Count("/cgi-bin/service/get_corp_token")
	_, err = s.Corp("wwcorpA").GetCallbackIPs(ctx)
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "call for a forgotten corp")
	require.Contains(t, err.Error(), "no permanent code", "call for a forgotten corp: %v", err)
	require.Equal(t, before, srv.Count("/cgi-bin/service/get_corp_token"), "a corp without permanent code still called get_corp_token")
}

func TestSuiteUnknownCorpFailsClearly(t *testing.T) {
	t.Parallel()
	srv, s := suiteEnv(t, testSuiteID)
	_, err := s.Corp("wwnobody").GetCallbackIPs(t.Context())
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized)
	require.Contains(t, err.Error(), "wwnobody", "got %v", err)
	n := len(srv.Requests())
	require.Equal(t, 0, n, "%d requests sent for a corp that never installed", n)
}

func TestSuiteRestartReloadsFromStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	srv, s1 := suiteEnv(t, testSuiteID, wecom.WithStore(store))
	installCorp(t, srv, s1, "wwcorpA")
	_, err := s1.Corp("wwcorpA").GetCallbackIPs(ctx)
	require.NoError(t, err)
	srv.ResetRequests()

	s2 := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)
	ok, _ := s2.IsAuthorized(ctx, "wwcorpA")
	require.True(t, ok, "restarted suite lost the authorization")
	_, err = s2.Corp("wwcorpA").GetCallbackIPs(ctx)
	require.NoError(t, err)
	_, err = s2.GetAuthInfo(ctx, "wwcorpA")
	require.NoError(t, err)
	for _, p := range []string{"/cgi-bin/service/get_suite_token", "/cgi-bin/service/get_corp_token",
		"/cgi-bin/service/get_permanent_code", "/cgi-bin/service/v2/get_permanent_code"} {
		n := srv.Count(p)
		assert.Equal(t, 0, n, "restart called %s %d times; the Store should have served it", p, n)
	}
}

func TestSuiteTokensPerCorpAreSeparate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	installCorp(t, srv, s, "wwcorpB")
	ta, err := s.Corp("wwcorpA").AccessToken(ctx)
	require.NoError(t, err)
	tb, err := s.Corp("wwcorpB").AccessToken(ctx)
	require.NoError(t, err)
	require.NotEqual(t, tb, ta, "two corps share one token")
	srv.Corp("wwcorpA").ExpireTokens()
	for _, c := range []string{"wwcorpA", "wwcorpB"} {
		_, err := s.Corp(c).GetCallbackIPs(ctx)
		require.NoError(t, err)
	}
	a, b := srv.Suite(testSuiteID).CorpTokenFetches("wwcorpA"), srv.Suite(testSuiteID).CorpTokenFetches("wwcorpB")
	require.Equal(t, 2, a, "corp token fetches A=%d B=%d, want 2 and 1", a, b)
	require.Equal(t, 1, b, "corp token fetches A=%d B=%d, want 2 and 1", a, b)
}

func TestSuiteTokenRefreshOn42009(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	_, err := s.GetPreAuthCode(ctx)
	require.NoError(t, err)
	srv.Suite(testSuiteID).ExpireTokens()
	pre, err := s.GetPreAuthCode(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, pre.PreAuthCode, "pre-auth code %+v", pre)
	require.Equal(t, 1200, pre.ExpiresIn, "pre-auth code %+v", pre)
	n := srv.Suite(testSuiteID).TokenFetches()
	require.Equal(t, 2, n, "suite token fetched %d times, want 2", n)
	require.NoError(t, s.SetSessionInfo(ctx, pre.PreAuthCode, wecom.SessionInfo{AuthType: wecom.AuthTypeTest}))
	require.Error(t, s.SetSessionInfo(ctx, pre.PreAuthCode, wecom.SessionInfo{AuthType: 7}), "auth_type 7 accepted")
	err = s.SetSessionInfo(ctx, "not-issued", wecom.SessionInfo{})
	require.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err), "unknown pre_auth_code: %v", err)
}

func TestSuiteTicketErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions()...)
	_, err := s.GetPreAuthCode(ctx)
	require.ErrorIs(t, err, wecom.ErrNoSuiteTicket, "no ticket")
	n := len(srv.Requests())
	require.Equal(t, 0, n, "%d requests without a ticket", n)
	require.NoError(t, s.SetTicket(ctx, "ticket-never-issued"))
	_, err = s.GetPreAuthCode(ctx)
	require.Equal(t, wecom.CodeInvalidSuiteTicket, wecom.ErrorCode(err), "bad ticket: %v", err)
	require.Contains(t, err.Error(), "30 minutes", "bad ticket: %v", err)
	// The next push repairs it.
	require.NoError(t, s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()))
	_, err = s.GetPreAuthCode(ctx)
	require.NoError(t, err)
}

func TestSuiteAuthCodes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	code, err := srv.Suite(testSuiteID).Install(ctx, "wwcorpA", "")
	require.NoError(t, err)
	_, err = s.HandleCreateAuth(ctx, code)
	require.NoError(t, err)
	_, err = s.HandleCreateAuth(ctx, code)
	require.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err), "reused auth code: %v", err)
	before := len(srv.Requests())
	_, err = s.HandleCreateAuth(ctx, "short")
	require.Error(t, err, "short auth code")
	require.Contains(t, err.Error(), "64 to 512", "short auth code: %v", err)
	require.Len(t, srv.Requests(), before, "a malformed auth code was sent to WeCom")
	// A failed exchange whose outcome is unknown is not re-sent.
	srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{HTTPStatus: http.StatusBadGateway})
	authCode, err := srv.Suite(testSuiteID).Install(ctx, "wwcorpB", "")
	require.NoError(t, err)
	_, err = s.HandleCreateAuth(ctx, authCode)
	require.ErrorIs(t, err, wecom.ErrOutcomeUnknown, "502 on the exchange")
	n := srv.Count("/cgi-bin/service/v2/get_permanent_code")
	require.Equal(t, 3, n, "get_permanent_code sent %d times, want 3 (two exchanges, one reuse; no retry)", n)
}

func TestSuiteAuthInfoAndV1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	authCode, err := srv.Suite(testSuiteID).Install(ctx, "wwcorpA", "")
	require.NoError(t, err)
	v1, err := s.GetPermanentCodeV1(ctx, authCode)
	require.NoError(t, err)
	require.NotEmpty(t, v1.AccessToken, "v1 answer %+v", *v1)
	require.Equal(t, 7200, v1.ExpiresIn, "v1 answer %+v", *v1)
	require.NotEmpty(t, v1.PermanentCode, "v1 answer %+v", *v1)
	require.Equal(t, "wwcorpA", v1.AuthCorpInfo.CorpID, "v1 answer %+v", *v1)
	require.Equal(t, "verified", v1.AuthCorpInfo.CorpType, "v1 answer %+v", *v1)
	require.Len(t, v1.AuthInfo.Agent, 1, "v1 answer %+v", *v1)
	require.False(t, v1.AuthInfo.Agent[0].IsCustomizedApp, "v1 answer %+v", *v1)
	printed := fmt.Sprint(v1)
	require.NotContains(t, printed, v1.PermanentCode, "String leaks secrets")
	require.NotContains(t, printed, v1.AccessToken, "String leaks secrets")
	installCorp(t, srv, s, "wwcorpA") // v1 did not store anything: install again the usual way
	v2, err := s.GetAuthInfo(ctx, "wwcorpA")
	require.NoError(t, err)
	old, err := s.GetAuthInfoV1(ctx, "wwcorpA")
	require.NoError(t, err)
	require.NotNil(t, v2.AuthCorpInfo.CorpExName, "v1/v2 corp info differ wrongly: v2 %+v v1 %+v", v2.AuthCorpInfo, old.AuthCorpInfo)
	require.Nil(t, old.AuthCorpInfo.CorpExName, "v1/v2 corp info differ wrongly: v2 %+v v1 %+v", v2.AuthCorpInfo, old.AuthCorpInfo)
	require.NotEmpty(t, old.AuthCorpInfo.CorpWxQRCode, "v1/v2 corp info differ wrongly: v2 %+v v1 %+v", v2.AuthCorpInfo, old.AuthCorpInfo)
	agent := v2.AuthInfo.Agent[0]
	require.Equal(t, srv.Suite(testSuiteID).AgentID("wwcorpA"), agent.AgentID, "agent %+v", agent)
	require.NotNil(t, agent.Privilege, "agent %+v", agent)
	require.Equal(t, wecom.PrivilegeBasicRead, agent.Privilege.Level, "agent %+v", agent)
	require.Equal(t, wecom.CorpSubjectCompany, v2.AuthCorpInfo.SubjectType, "corp info %+v", v2.AuthCorpInfo)
	require.NotEqual(t, wecom.UnixTime(0), v2.AuthCorpInfo.VerifiedEndTime, "corp info %+v", v2.AuthCorpInfo)
	refreshed, err := s.RefreshAuthInfo(ctx, "wwcorpA")
	require.NoError(t, err, "RefreshAuthInfo = %+v", refreshed)
	require.Equal(t, agent.AgentID, refreshed.AuthInfo.Agent[0].AgentID, "RefreshAuthInfo = %+v, %v", refreshed, err)
	srv.Suite(testSuiteID).SetAppAdmins("wwcorpA", wecomtest.AppAdmin{UserID: "boss", AuthType: 1}, wecomtest.AppAdmin{UserID: "clerk"})
	admins, err := s.ListAdmins(ctx, "wwcorpA", agent.AgentID)
	require.NoError(t, err, "ListAdmins = %+v", admins)
	require.Len(t, admins, 2, "ListAdmins = %+v, %v", admins, err)
	require.Equal(t, "clerk", admins[1].UserID, "ListAdmins = %+v, %v", admins, err)
	require.Equal(t, wecom.AdminMayMessage, admins[1].AuthType, "ListAdmins = %+v, %v", admins, err)
	require.NotEmpty(t, admins[0].OpenUserID, "ListAdmins = %+v, %v", admins, err)
	_, err = s.ListAdmins(ctx, "wwcorpA", 0)
	require.Error(t, err, "agentid 0 accepted")
}

func TestSuiteCorpClientCacheIsBounded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithMaxCorpClients(2))...)
	require.NoError(t, s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()))
	for _, c := range []string{"wwc1", "wwc2", "wwc3"} {
		installCorp(t, srv, s, c)
	}
	first := s.Corp("wwc1")
	_, err := first.GetCallbackIPs(ctx)
	require.NoError(t, err)
	require.Same(t, first, s.Corp("wwc1"), "a cached client was rebuilt")
	s.Corp("wwc2")
	s.Corp("wwc3") // evicts wwc1
	again := s.Corp("wwc1")
	require.NotSame(t, first, again, "the least recently used client was not dropped")
	_, err = again.GetCallbackIPs(ctx)
	require.NoError(t, err)
	n := srv.Suite(testSuiteID).CorpTokenFetches("wwc1")
	require.Equal(t, 1, n, "re-created client fetched a new token (%d fetches); the Store has one", n)
}

// keyRecordingStore remembers every key it was asked about.
type keyRecordingStore struct {
	*wecom.MemoryStore
	mu   sync.Mutex
	keys []string
}

func (r *keyRecordingStore) note(k string) {
	r.mu.Lock()
	r.keys = append(r.keys, k)
	r.mu.Unlock()
}

func (r *keyRecordingStore) Get(ctx context.Context, k string) (string, bool, error) {
	r.note(k)
	return r.MemoryStore.Get(ctx, k)
}

func (r *keyRecordingStore) Set(ctx context.Context, k, v string, ttl time.Duration) error {
	r.note(k)
	return r.MemoryStore.Set(ctx, k, v, ttl)
}

func (r *keyRecordingStore) Delete(ctx context.Context, k string) error {
	r.note(k)
	return r.MemoryStore.Delete(ctx, k)
}

func (r *keyRecordingStore) CompareAndSwap(ctx context.Context, k, old, v string, ttl time.Duration) (bool, error) {
	r.note(k)
	return r.MemoryStore.CompareAndSwap(ctx, k, old, v, ttl)
}

func TestSuiteSecretsStayOutOfKeysErrorsAndLogs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := &keyRecordingStore{MemoryStore: wecom.NewMemoryStore()}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, s := suiteEnv(t, testSuiteID, wecom.WithStore(store), wecom.WithLogger(logger))

	var secrets []string
	var errs []error
	for _, c := range []string{"wwcorpA", "wwcorpB"} {
		info := installCorp(t, srv, s, c)
		secrets = append(secrets, info.PermanentCode)
		logger.Info("installed", "info", info) // LogValue must hide the code
		_, err := s.Corp(c).GetCallbackIPs(ctx)
		require.NoError(t, err)
		tok, _ := s.Corp(c).AccessToken(ctx)
		secrets = append(secrets, tok)
	}
	stok, _ := s.AccessToken(ctx)
	secrets = append(secrets, stok, testSuiteSecret)
	// Provoke failures: expired tokens, a cancelled corp, a reused code.
	srv.Suite(testSuiteID).ExpireTokens()
	srv.Corp("wwcorpA").ExpireTokens()
	require.NoError(t, srv.Suite(testSuiteID).Uninstall(ctx, "wwcorpB"))
	_, err := s.Corp("wwcorpB").GetCallbackIPs(ctx)
	errs = append(errs, err)
	_, err = s.GetAuthInfo(ctx, "wwcorpB")
	errs = append(errs, err)
	_, err = s.Corp("wwcorpA").GetCallbackIPs(ctx)
	errs = append(errs, err)
	require.NoError(t, s.ForgetCorp(ctx, "wwcorpB"))

	store.mu.Lock()
	keys := strings.Join(store.keys, "\n")
	store.mu.Unlock()
	var errText strings.Builder
	for _, e := range errs {
		if e != nil {
			errText.WriteString(e.Error())
		}
	}
	require.NotEqual(t, 0, errText.Len(), "no failures were provoked")
	for _, sec := range secrets {
		require.NotEmpty(t, sec, "empty secret in the list")
		assert.NotContains(t, keys, sec, "a secret appears in a Store key")
		assert.NotContains(t, errText.String(), sec, "a secret appears in an error")
		assert.NotContains(t, logs.String(), sec, "a secret appears in the logs")
	}
	require.Contains(t, logs.String(), "wwcorpA", "nothing was logged; the check above proves nothing")
}

func TestAgentDevelopedSuite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const tpl = "dktemplate000001"
	srv, s := suiteEnv(t, tpl)
	require.Equal(t, wecom.SuiteAgentDeveloped, s.Kind(), "kind %v for a dk template", s.Kind())
	info := installCorp(t, srv, s, "wwdkcorp")
	_, err := s.Corp("wwdkcorp").GetCallbackIPs(ctx)
	require.NoError(t, err)
	g, c := srv.Count("/cgi-bin/gettoken"), srv.Count("/cgi-bin/service/get_corp_token")
	require.Equal(t, 1, g, "gettoken %d, get_corp_token %d; an agent-developed app must use gettoken", g, c)
	require.Equal(t, 0, c, "gettoken %d, get_corp_token %d; an agent-developed app must use gettoken", g, c)
	// The permanent code works as an ordinary app secret.
	direct := wecom.New("wwdkcorp", info.PermanentCode, srv.ClientOptions()...)
	_, err = direct.GetCallbackIPs(ctx)
	require.NoError(t, err)
	auth, err := s.GetAuthInfo(ctx, "wwdkcorp")
	require.NoError(t, err, "auth info %+v", auth)
	require.True(t, auth.AuthInfo.Agent[0].IsCustomizedApp, "auth info %+v, %v", auth, err)
	admins, err := s.Corp("wwdkcorp").ListAdmins(ctx)
	require.NoError(t, err, "ListAdmins = %v", admins)
	require.Len(t, admins, 1, "ListAdmins = %v, %v", admins, err)

	// reset_permanent_code: the new code replaces the old secret.
	tokBefore, _ := s.Corp("wwdkcorp").AccessToken(ctx)
	authCode, err := srv.Suite(tpl).ResetPermanentCode(ctx, "wwdkcorp")
	require.NoError(t, err)
	reset, err := s.HandleResetPermanentCode(ctx, authCode)
	require.NoError(t, err)
	require.NotEqual(t, info.PermanentCode, reset.PermanentCode, "reset gave the same permanent code")
	tokAfter, err := s.Corp("wwdkcorp").AccessToken(ctx)
	require.NoError(t, err)
	require.NotEqual(t, tokBefore, tokAfter, "the token of the old secret was kept after reset_permanent_code")
	_, err = s.Corp("wwdkcorp").GetCallbackIPs(ctx)
	require.NoError(t, err)
	old := wecom.New("wwdkcorp", info.PermanentCode, srv.ClientOptions()...)
	_, err = old.AccessToken(ctx)
	require.True(t, wecom.IsInvalidSecret(err), "old permanent code still accepted: %v", err)
}

func TestSuiteExplicitKind(t *testing.T) {
	t.Parallel()
	s := wecom.NewSuite("wwlooksthirdparty", "x", wecom.WithSuiteKind(wecom.SuiteAgentDeveloped))
	require.Equal(t, wecom.SuiteAgentDeveloped, s.Kind(), "explicit kind ignored")
	require.Equal(t, wecom.SuiteAgentDeveloped, wecom.NewSuite("dkabc", "x").Kind(), "dk prefix")
	require.Equal(t, wecom.SuiteThirdParty, wecom.NewSuite("tjlegacy", "x").Kind(), "tj prefix")
}

func TestSuiteTicketsFromGenerator(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions()...)
	pushed := make(chan string, 16)
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(done); wg.Wait() }()
	wg.Add(1)
	go func() { // WeCom's ticket pushes, every few milliseconds
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			ticket := srv.Suite(testSuiteID).IssueTicket()
			assert.NoError(t, s.SetTicket(ctx, ticket))
			select {
			case pushed <- ticket:
			default:
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	for i := 0; i < 3; i++ {
		select {
		case <-pushed:
		case <-time.After(5 * time.Second):
			require.Fail(t, "no ticket pushed")
		}
	}
	_, err := s.GetPreAuthCode(ctx)
	require.NoError(t, err)
}

func TestSuiteRefusedPermanentCodeIsNotResent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpR")
	require.NoError(t, srv.Suite(testSuiteID).Uninstall(ctx, "wwcorpR"))
	before := srv.Count("/cgi-bin/service/get_corp_token")
	for i := range 20 {
		_, err := s.Corp("wwcorpR").GetCallbackIPs(ctx)
		require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "call %d", i)
	}
	n := srv.Count("/cgi-bin/service/get_corp_token") - before
	require.Equal(t, 1, n, "a refused permanent code was sent %d times", n)
	// A new installation stores a new code, which is tried at once.
	installCorp(t, srv, s, "wwcorpR")
	_, err := s.Corp("wwcorpR").GetCallbackIPs(ctx)
	require.NoError(t, err, "after re-install")
}

func TestAgentDevelopedRefusedSecretIsNotResent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const tpl = "dktemplate000002"
	srv, s := suiteEnv(t, tpl)
	installCorp(t, srv, s, "wwdkrefused")
	srv.Corp("wwdkrefused").SetSecret("secret-reset-elsewhere")
	srv.Corp("wwdkrefused").ExpireTokens()
	before := srv.Count("/cgi-bin/gettoken")
	_, err := s.Corp("wwdkrefused").GetCallbackIPs(ctx)
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "first call")
	require.True(t, wecom.IsInvalidSecret(err), "first call: %v", err)
	for i := range 20 {
		_, err := s.Corp("wwdkrefused").GetCallbackIPs(ctx)
		require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "call %d", i)
	}
	// Repeated wrong-secret gettoken calls get an IP banned: one is enough.
	n := srv.Count("/cgi-bin/gettoken") - before
	require.Equal(t, 1, n, "gettoken with a refused secret called %d times", n)
}

// unlimitedCorpTokens lifts the client-side limit of get_corp_token, which
// the suite's own client calls once per corp: at the default 10,000 calls a
// minute, 10,000 first calls would (rightly) take a minute.
var unlimitedCorpTokens = wecom.WithRateLimit("/cgi-bin/service/get_corp_token", wecom.Limit{})

// authorizeCorps authorizes n corps in the fake and gives their permanent
// codes to s.
func authorizeCorps(tb testing.TB, srv *wecomtest.Server, s *wecom.Suite, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("wwscale%05d", i)
		code := srv.Suite(s.ID()).Authorize(ids[i])
		require.NotEmpty(tb, code)
		require.NoError(tb, s.SetPermanentCode(context.Background(), ids[i], code))
	}
	return ids
}

// A process serving 10,000 authorized corps: the first call of each makes
// one get_corp_token, all of them share one get_suite_token, and with the
// client cache bounded below 10,000, evicted corps come back without a
// second token fetch while their token is valid in the Store.
func TestSuiteTenThousandCorps(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 2_000
	}
	srv, s := suiteEnv(t, testSuiteID, wecom.WithMaxCorpClients(n/10), unlimitedCorpTokens)
	ids := authorizeCorps(t, srv, s, n)
	srv.ResetRequests()
	ctx := t.Context()
	for _, id := range ids {
		_, err := s.Corp(id).AccessToken(ctx)
		require.NoError(t, err, id)
	}
	require.Equal(t, 1, srv.Suite(testSuiteID).TokenFetches())
	require.Equal(t, n, srv.Count("/cgi-bin/service/get_corp_token"))

	// Nine in ten clients were evicted; their tokens live on in the Store.
	for _, id := range ids {
		_, err := s.Corp(id).AccessToken(ctx)
		require.NoError(t, err, id)
	}
	require.Equal(t, n, srv.Count("/cgi-bin/service/get_corp_token"), "an eviction caused a second token fetch")
	require.Equal(t, 1, srv.Suite(testSuiteID).TokenFetches())
}

// reset_permanent_code (97175) is exchanged through the agent-developed
// secret flow (97163): service/v2/get_permanent_code with the template's
// suite_access_token; the new secret is stored.
func TestHandleResetPermanentCodeFollowsTheAgentDevelopedFlow(t *testing.T) {
	t.Parallel()
	suite, m := shapetest.NewSuite(t, "dkshapetemplate01")
	code := strings.Repeat("r", 64)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/service/v2/get_permanent_code", Body: `{"auth_code":"` + code + `"}`},
		`{"errcode":0,"errmsg":"ok","permanent_code":"new-secret","auth_corp_info":{"corpid":"wwdkcorp","corp_name":"DK"}}`)
	info, err := suite.HandleResetPermanentCode(t.Context(), code)
	require.NoError(t, err)
	assert.Equal(t, "wwdkcorp", info.AuthCorpInfo.CorpID)
	ok, err := suite.IsAuthorized(t.Context(), "wwdkcorp")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestHandleResetPermanentCodeRefusesThirdPartySuites(t *testing.T) {
	t.Parallel()
	suite, m := shapetest.NewSuite(t, "wwshapesuite0001")
	_, err := suite.HandleResetPermanentCode(t.Context(), strings.Repeat("r", 64))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "agent-developed")
	assert.Zero(t, m.Transport().GetTotalCallCount(), "nothing may be sent")
}
