package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

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
	if err := s.SetTicket(context.Background(), srv.Suite(suiteID).IssueTicket()); err != nil {
		t.Fatal(err)
	}
	return srv, s
}

// install runs an installation of the suite by corpID end to end.
func installCorp(t testing.TB, srv *wecomtest.Server, s *wecom.Suite, corpID string) *wecom.PermanentCodeInfo {
	t.Helper()
	authCode, err := srv.Suite(s.ID()).Install(t.Context(), corpID, "")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.HandleCreateAuth(context.Background(), authCode)
	if err != nil {
		t.Fatalf("HandleCreateAuth(%s): %v", corpID, err)
	}
	if info.AuthCorpInfo.CorpID != corpID {
		t.Fatalf("authorized corp %q, want %q", info.AuthCorpInfo.CorpID, corpID)
	}
	return info
}

func TestSuiteInstallAndCallAsCorp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	if s.Kind() != wecom.SuiteThirdParty {
		t.Fatalf("kind %v, want third-party", s.Kind())
	}
	info := installCorp(t, srv, s, "wwcorpA")
	if info.PermanentCode != srv.Suite(testSuiteID).PermanentCode("wwcorpA") {
		t.Fatal("permanent code in the answer differs from the one the server issued")
	}
	if info.AuthUserInfo == nil || info.AuthUserInfo.UserID != "installer" {
		t.Fatalf("auth_user_info = %+v", info.AuthUserInfo)
	}
	ok, err := s.IsAuthorized(ctx, "wwcorpA")
	if err != nil || !ok {
		t.Fatalf("IsAuthorized = %v, %v", ok, err)
	}
	ips, err := s.Corp("wwcorpA").GetCallbackIPs(ctx)
	if err != nil || len(ips) == 0 {
		t.Fatalf("GetCallbackIPs = %v, %v", ips, err)
	}
	if s.Corp("wwcorpA").CorpID() != "wwcorpA" {
		t.Fatal("corp client has the wrong corp id")
	}
	admins, err := s.Corp("wwcorpA").ListAdmins(ctx)
	if err != nil || len(admins) != 1 || admins[0].UserID != "installer" || admins[0].AuthType != wecom.AdminMayManage {
		t.Fatalf("ListAdmins = %+v, %v", admins, err)
	}
	if n := srv.Suite(testSuiteID).CorpTokenFetches("wwcorpA"); n != 1 {
		t.Fatalf("get_corp_token issued %d tokens, want 1", n)
	}
	if n := srv.Count("/cgi-bin/gettoken"); n != 0 {
		t.Fatalf("a third-party app called gettoken %d times", n)
	}
	corps, err := s.AuthorizedCorps(ctx)
	if err != nil || len(corps) != 1 || corps[0] != "wwcorpA" {
		t.Fatalf("AuthorizedCorps = %v, %v", corps, err)
	}
	for id, want := range map[string]bool{testSuiteID: true, "wwcorpA": true, "wwstranger": false, "": false} {
		if got, err := s.ReceiveIDAllowed(ctx, id); got != want || err != nil {
			t.Errorf("ReceiveIDAllowed(%q) = %v, %v; want %v", id, got, err, want)
		}
	}
}

func TestSuiteTicketNewestWinsAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(testSuiteID, testSuiteSecret)
	store := wecom.NewMemoryStore()
	a := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)
	b := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)

	older, newer := srv.Suite(testSuiteID).IssueTicket(), srv.Suite(testSuiteID).IssueTicket()
	t0 := time.Now()
	if err := a.SetTicketAt(ctx, newer, t0); err != nil {
		t.Fatal(err)
	}
	if err := b.SetTicketAt(ctx, older, t0.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The suite token must be fetched with the newer ticket: check what
	// the fake received.
	if _, err := b.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || !bytes.Contains(reqs[0].Body, []byte(newer)) {
		t.Fatalf("get_suite_token was not called with the newest ticket: %q", reqs)
	}

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
			if err := s.SetTicketAt(ctx, ticket, at); err != nil {
				t.Error(err)
			}
			mu.Lock()
			if at.After(best) {
				best, bestTicket = at, ticket
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	raw, _, _ := store.Get(ctx, "wecom:suite:"+testSuiteID+":ticket")
	if !strings.HasSuffix(raw, ":"+bestTicket) {
		t.Fatalf("stored ticket %q, want the newest %q", raw, bestTicket)
	}
	if err := a.SetTicket(ctx, ""); err == nil {
		t.Fatal("an empty ticket was accepted")
	}
}

func TestSuiteConcurrentFirstCallsShareOneCorpToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
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
		t.Fatal(err)
	}
	if n := srv.Count("/cgi-bin/service/get_corp_token"); n != 1 {
		t.Fatalf("200 concurrent first calls made %d get_corp_token calls, want 1", n)
	}
	if n := srv.Suite(testSuiteID).TokenFetches(); n != 1 {
		t.Fatalf("suite token fetched %d times, want 1", n)
	}
}

func TestSuiteCancelledAuthorization(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	if _, err := s.Corp("wwcorpA").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Suite(testSuiteID).Uninstall(ctx, "wwcorpA"); err != nil {
		t.Fatal(err)
	}

	_, err := s.Corp("wwcorpA").GetCallbackIPs(ctx)
	if !errors.Is(err, wecom.ErrCorpNotAuthorized) || wecom.ErrorCode(err) != wecom.CodeInvalidPermanentCode {
		t.Fatalf("call after cancel_auth: %v; want ErrCorpNotAuthorized carrying 40084", err)
	}
	if !strings.Contains(err.Error(), "cancelled") || !strings.Contains(err.Error(), "wwcorpA") {
		t.Fatalf("error does not say what happened: %v", err)
	}
	if _, err := s.GetAuthInfo(ctx, "wwcorpA"); !errors.Is(err, wecom.ErrCorpNotAuthorized) {
		t.Fatalf("GetAuthInfo after cancel: %v", err)
	}

	if err := s.ForgetCorp(ctx, "wwcorpA"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.IsAuthorized(ctx, "wwcorpA"); ok || err != nil {
		t.Fatalf("IsAuthorized after ForgetCorp = %v, %v", ok, err)
	}
	if corps, _ := s.AuthorizedCorps(ctx); len(corps) != 0 {
		t.Fatalf("AuthorizedCorps after ForgetCorp = %v", corps)
	}
	before := srv.Count("/cgi-bin/service/get_corp_token")
	_, err = s.Corp("wwcorpA").GetCallbackIPs(ctx)
	if !errors.Is(err, wecom.ErrCorpNotAuthorized) || !strings.Contains(err.Error(), "no permanent code") {
		t.Fatalf("call for a forgotten corp: %v", err)
	}
	if srv.Count("/cgi-bin/service/get_corp_token") != before {
		t.Fatal("a corp without permanent code still called get_corp_token")
	}
}

func TestSuiteUnknownCorpFailsClearly(t *testing.T) {
	t.Parallel()
	srv, s := suiteEnv(t, testSuiteID)
	_, err := s.Corp("wwnobody").GetCallbackIPs(context.Background())
	if !errors.Is(err, wecom.ErrCorpNotAuthorized) || !strings.Contains(err.Error(), "wwnobody") {
		t.Fatalf("got %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for a corp that never installed", n)
	}
}

func TestSuiteRestartReloadsFromStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := wecom.NewMemoryStore()
	srv, s1 := suiteEnv(t, testSuiteID, wecom.WithStore(store))
	installCorp(t, srv, s1, "wwcorpA")
	if _, err := s1.Corp("wwcorpA").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()

	s2 := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)
	if ok, _ := s2.IsAuthorized(ctx, "wwcorpA"); !ok {
		t.Fatal("restarted suite lost the authorization")
	}
	if _, err := s2.Corp("wwcorpA").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.GetAuthInfo(ctx, "wwcorpA"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/cgi-bin/service/get_suite_token", "/cgi-bin/service/get_corp_token",
		"/cgi-bin/service/get_permanent_code", "/cgi-bin/service/v2/get_permanent_code"} {
		if n := srv.Count(p); n != 0 {
			t.Errorf("restart called %s %d times; the Store should have served it", p, n)
		}
	}
}

func TestSuiteTokensPerCorpAreSeparate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	installCorp(t, srv, s, "wwcorpB")
	ta, err := s.Corp("wwcorpA").AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := s.Corp("wwcorpB").AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ta == tb {
		t.Fatal("two corps share one token")
	}
	srv.Corp("wwcorpA").ExpireTokens()
	for _, c := range []string{"wwcorpA", "wwcorpB"} {
		if _, err := s.Corp(c).GetCallbackIPs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := srv.Suite(testSuiteID).CorpTokenFetches("wwcorpA"), srv.Suite(testSuiteID).CorpTokenFetches("wwcorpB"); a != 2 || b != 1 {
		t.Fatalf("corp token fetches A=%d B=%d, want 2 and 1", a, b)
	}
}

func TestSuiteTokenRefreshOn42009(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	if _, err := s.GetPreAuthCode(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Suite(testSuiteID).ExpireTokens()
	pre, err := s.GetPreAuthCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pre.PreAuthCode == "" || pre.ExpiresIn != 1200 {
		t.Fatalf("pre-auth code %+v", pre)
	}
	if n := srv.Suite(testSuiteID).TokenFetches(); n != 2 {
		t.Fatalf("suite token fetched %d times, want 2", n)
	}
	if err := s.SetSessionInfo(ctx, pre.PreAuthCode, wecom.SessionInfo{AuthType: wecom.AuthTypeTest}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSessionInfo(ctx, pre.PreAuthCode, wecom.SessionInfo{AuthType: 7}); err == nil {
		t.Fatal("auth_type 7 accepted")
	}
	if err := s.SetSessionInfo(ctx, "not-issued", wecom.SessionInfo{}); wecom.ErrorCode(err) != wecom.CodeInvalidParameter {
		t.Fatalf("unknown pre_auth_code: %v", err)
	}
}

func TestSuiteTicketErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions()...)
	if _, err := s.GetPreAuthCode(ctx); !errors.Is(err, wecom.ErrNoSuiteTicket) {
		t.Fatalf("no ticket: %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests without a ticket", n)
	}
	if err := s.SetTicket(ctx, "ticket-never-issued"); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetPreAuthCode(ctx)
	if wecom.ErrorCode(err) != wecom.CodeInvalidSuiteTicket || !strings.Contains(err.Error(), "30 minutes") {
		t.Fatalf("bad ticket: %v", err)
	}
	// The next push repairs it.
	if err := s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPreAuthCode(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSuiteAuthCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	code, err := srv.Suite(testSuiteID).Install(ctx, "wwcorpA", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.HandleCreateAuth(ctx, code); err != nil {
		t.Fatal(err)
	}
	_, err = s.HandleCreateAuth(ctx, code)
	if wecom.ErrorCode(err) != wecom.CodeInvalidParameter {
		t.Fatalf("reused auth code: %v", err)
	}
	before := len(srv.Requests())
	if _, err := s.HandleCreateAuth(ctx, "short"); err == nil || !strings.Contains(err.Error(), "64 to 512") {
		t.Fatalf("short auth code: %v", err)
	}
	if len(srv.Requests()) != before {
		t.Fatal("a malformed auth code was sent to WeCom")
	}
	// A failed exchange whose outcome is unknown is not re-sent.
	srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{HTTPStatus: http.StatusBadGateway})
	authCode, err := srv.Suite(testSuiteID).Install(ctx, "wwcorpB", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.HandleCreateAuth(ctx, authCode)
	if !errors.Is(err, wecom.ErrOutcomeUnknown) {
		t.Fatalf("502 on the exchange: %v", err)
	}
	if n := srv.Count("/cgi-bin/service/v2/get_permanent_code"); n != 3 {
		t.Fatalf("get_permanent_code sent %d times, want 3 (two exchanges, one reuse; no retry)", n)
	}
}

func TestSuiteAuthInfoAndV1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	authCode, err := srv.Suite(testSuiteID).Install(ctx, "wwcorpA", "")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := s.GetPermanentCodeV1(ctx, authCode)
	if err != nil {
		t.Fatal(err)
	}
	if v1.AccessToken == "" || v1.ExpiresIn != 7200 || v1.PermanentCode == "" ||
		v1.AuthCorpInfo.CorpID != "wwcorpA" || v1.AuthCorpInfo.CorpType != "verified" ||
		len(v1.AuthInfo.Agent) != 1 || v1.AuthInfo.Agent[0].IsCustomizedApp {
		t.Fatalf("v1 answer %+v", *v1)
	}
	if s := fmt.Sprint(v1); strings.Contains(s, v1.PermanentCode) || strings.Contains(s, v1.AccessToken) {
		t.Fatalf("String leaks secrets: %s", s)
	}
	installCorp(t, srv, s, "wwcorpA") // v1 did not store anything: install again the usual way
	v2, err := s.GetAuthInfo(ctx, "wwcorpA")
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.GetAuthInfoV1(ctx, "wwcorpA")
	if err != nil {
		t.Fatal(err)
	}
	if v2.AuthCorpInfo.CorpExName == nil || old.AuthCorpInfo.CorpExName != nil || old.AuthCorpInfo.CorpWxQRCode == "" {
		t.Fatalf("v1/v2 corp info differ wrongly: v2 %+v v1 %+v", v2.AuthCorpInfo, old.AuthCorpInfo)
	}
	agent := v2.AuthInfo.Agent[0]
	if agent.AgentID != srv.Suite(testSuiteID).AgentID("wwcorpA") || agent.Privilege == nil || agent.Privilege.Level != wecom.PrivilegeBasicRead {
		t.Fatalf("agent %+v", agent)
	}
	if v2.AuthCorpInfo.SubjectType != wecom.CorpSubjectCompany || v2.AuthCorpInfo.VerifiedEndTime == 0 {
		t.Fatalf("corp info %+v", v2.AuthCorpInfo)
	}
	refreshed, err := s.RefreshAuthInfo(ctx, "wwcorpA")
	if err != nil || refreshed.AuthInfo.Agent[0].AgentID != agent.AgentID {
		t.Fatalf("RefreshAuthInfo = %+v, %v", refreshed, err)
	}
	srv.Suite(testSuiteID).SetAppAdmins("wwcorpA", wecomtest.AppAdmin{UserID: "boss", AuthType: 1}, wecomtest.AppAdmin{UserID: "clerk"})
	admins, err := s.ListAdmins(ctx, "wwcorpA", agent.AgentID)
	if err != nil || len(admins) != 2 || admins[1].UserID != "clerk" || admins[1].AuthType != wecom.AdminMayMessage || admins[0].OpenUserID == "" {
		t.Fatalf("ListAdmins = %+v, %v", admins, err)
	}
	if _, err := s.ListAdmins(ctx, "wwcorpA", 0); err == nil {
		t.Fatal("agentid 0 accepted")
	}
}

func TestSuiteCorpClientCacheIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithMaxCorpClients(2))...)
	if err := s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"wwc1", "wwc2", "wwc3"} {
		installCorp(t, srv, s, c)
	}
	first := s.Corp("wwc1")
	if _, err := first.GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Corp("wwc1") != first {
		t.Fatal("a cached client was rebuilt")
	}
	s.Corp("wwc2")
	s.Corp("wwc3") // evicts wwc1
	again := s.Corp("wwc1")
	if again == first {
		t.Fatal("the least recently used client was not dropped")
	}
	if _, err := again.GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.Suite(testSuiteID).CorpTokenFetches("wwc1"); n != 1 {
		t.Fatalf("re-created client fetched a new token (%d fetches); the Store has one", n)
	}
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
	ctx := context.Background()
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
		if _, err := s.Corp(c).GetCallbackIPs(ctx); err != nil {
			t.Fatal(err)
		}
		tok, _ := s.Corp(c).AccessToken(ctx)
		secrets = append(secrets, tok)
	}
	stok, _ := s.AccessToken(ctx)
	secrets = append(secrets, stok, testSuiteSecret)
	// Provoke failures: expired tokens, a cancelled corp, a reused code.
	srv.Suite(testSuiteID).ExpireTokens()
	srv.Corp("wwcorpA").ExpireTokens()
	if err := srv.Suite(testSuiteID).Uninstall(ctx, "wwcorpB"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Corp("wwcorpB").GetCallbackIPs(ctx)
	errs = append(errs, err)
	_, err = s.GetAuthInfo(ctx, "wwcorpB")
	errs = append(errs, err)
	_, err = s.Corp("wwcorpA").GetCallbackIPs(ctx)
	errs = append(errs, err)
	if err := s.ForgetCorp(ctx, "wwcorpB"); err != nil {
		t.Fatal(err)
	}

	store.mu.Lock()
	keys := strings.Join(store.keys, "\n")
	store.mu.Unlock()
	var errText strings.Builder
	for _, e := range errs {
		if e != nil {
			errText.WriteString(e.Error())
		}
	}
	if errText.Len() == 0 {
		t.Fatal("no failures were provoked")
	}
	for _, sec := range secrets {
		if sec == "" {
			t.Fatal("empty secret in the list")
		}
		if strings.Contains(keys, sec) {
			t.Errorf("a secret appears in a Store key")
		}
		if strings.Contains(errText.String(), sec) {
			t.Errorf("a secret appears in an error: %s", errText.String())
		}
		if strings.Contains(logs.String(), sec) {
			t.Errorf("a secret appears in the logs")
		}
	}
	if !strings.Contains(logs.String(), "wwcorpA") {
		t.Fatal("nothing was logged; the check above proves nothing")
	}
}

func TestAgentDevelopedSuite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const tpl = "dktemplate000001"
	srv, s := suiteEnv(t, tpl)
	if s.Kind() != wecom.SuiteAgentDeveloped {
		t.Fatalf("kind %v for a dk template", s.Kind())
	}
	info := installCorp(t, srv, s, "wwdkcorp")
	if _, err := s.Corp("wwdkcorp").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	if g, c := srv.Count("/cgi-bin/gettoken"), srv.Count("/cgi-bin/service/get_corp_token"); g != 1 || c != 0 {
		t.Fatalf("gettoken %d, get_corp_token %d; an agent-developed app must use gettoken", g, c)
	}
	// The permanent code works as an ordinary app secret.
	direct := wecom.New("wwdkcorp", info.PermanentCode, srv.ClientOptions()...)
	if _, err := direct.GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	auth, err := s.GetAuthInfo(ctx, "wwdkcorp")
	if err != nil || !auth.AuthInfo.Agent[0].IsCustomizedApp {
		t.Fatalf("auth info %+v, %v", auth, err)
	}
	if admins, err := s.Corp("wwdkcorp").ListAdmins(ctx); err != nil || len(admins) != 1 {
		t.Fatalf("ListAdmins = %v, %v", admins, err)
	}

	// reset_permanent_code: the new code replaces the old secret.
	tokBefore, _ := s.Corp("wwdkcorp").AccessToken(ctx)
	authCode, err := srv.Suite(tpl).ResetPermanentCode(ctx, "wwdkcorp")
	if err != nil {
		t.Fatal(err)
	}
	reset, err := s.HandleResetPermanentCode(ctx, authCode)
	if err != nil {
		t.Fatal(err)
	}
	if reset.PermanentCode == info.PermanentCode {
		t.Fatal("reset gave the same permanent code")
	}
	tokAfter, err := s.Corp("wwdkcorp").AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tokAfter == tokBefore {
		t.Fatal("the token of the old secret was kept after reset_permanent_code")
	}
	if _, err := s.Corp("wwdkcorp").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	old := wecom.New("wwdkcorp", info.PermanentCode, srv.ClientOptions()...)
	if _, err := old.AccessToken(ctx); !wecom.IsInvalidSecret(err) {
		t.Fatalf("old permanent code still accepted: %v", err)
	}
}

func TestSuiteExplicitKind(t *testing.T) {
	t.Parallel()
	s := wecom.NewSuite("wwlooksthirdparty", "x", wecom.WithSuiteKind(wecom.SuiteAgentDeveloped))
	if s.Kind() != wecom.SuiteAgentDeveloped {
		t.Fatalf("explicit kind ignored: %v", s.Kind())
	}
	if k := wecom.NewSuite("dkabc", "x").Kind(); k != wecom.SuiteAgentDeveloped {
		t.Fatalf("dk prefix: %v", k)
	}
	if k := wecom.NewSuite("tjlegacy", "x").Kind(); k != wecom.SuiteThirdParty {
		t.Fatalf("tj prefix: %v", k)
	}
}

func TestSuiteTicketsFromGenerator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
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
			if err := s.SetTicket(ctx, ticket); err != nil {
				t.Error(err)
			}
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
			t.Fatal("no ticket pushed")
		}
	}
	if _, err := s.GetPreAuthCode(ctx); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkSuiteCorpCached(b *testing.B) {
	srv, s := suiteEnv(b, testSuiteID)
	installCorp(b, srv, s, "wwcorpA")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if s.Corp("wwcorpA") == nil {
				b.Fatal("nil client")
			}
		}
	})
}

// BenchmarkSuiteCorpCall measures one corp call against the fake over
// loopback, without the client-side rate limiter (which, at WeCom's
// 10,000/min per API, would dominate after its burst).
func BenchmarkSuiteCorpCall(b *testing.B) {
	srv, s := suiteEnv(b, testSuiteID, wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil)))
	installCorp(b, srv, s, "wwcorpA")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Corp("wwcorpA").GetCallbackIPs(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSuiteRefusedPermanentCodeIsNotResent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpR")
	if err := srv.Suite(testSuiteID).Uninstall(ctx, "wwcorpR"); err != nil {
		t.Fatal(err)
	}
	before := srv.Count("/cgi-bin/service/get_corp_token")
	for i := range 20 {
		_, err := s.Corp("wwcorpR").GetCallbackIPs(ctx)
		if !errors.Is(err, wecom.ErrCorpNotAuthorized) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := srv.Count("/cgi-bin/service/get_corp_token") - before; n != 1 {
		t.Fatalf("a refused permanent code was sent %d times", n)
	}
	// A new installation stores a new code, which is tried at once.
	installCorp(t, srv, s, "wwcorpR")
	if _, err := s.Corp("wwcorpR").GetCallbackIPs(ctx); err != nil {
		t.Fatalf("after re-install: %v", err)
	}
}

func TestAgentDevelopedRefusedSecretIsNotResent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const tpl = "dktemplate000002"
	srv, s := suiteEnv(t, tpl)
	installCorp(t, srv, s, "wwdkrefused")
	srv.Corp("wwdkrefused").SetSecret("secret-reset-elsewhere")
	srv.Corp("wwdkrefused").ExpireTokens()
	before := srv.Count("/cgi-bin/gettoken")
	_, err := s.Corp("wwdkrefused").GetCallbackIPs(ctx)
	if !errors.Is(err, wecom.ErrCorpNotAuthorized) || !wecom.IsInvalidSecret(err) {
		t.Fatalf("first call: %v", err)
	}
	for i := range 20 {
		if _, err := s.Corp("wwdkrefused").GetCallbackIPs(ctx); !errors.Is(err, wecom.ErrCorpNotAuthorized) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Repeated wrong-secret gettoken calls get an IP banned: one is enough.
	if n := srv.Count("/cgi-bin/gettoken") - before; n != 1 {
		t.Fatalf("gettoken with a refused secret called %d times", n)
	}
}
