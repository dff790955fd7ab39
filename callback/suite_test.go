package callback_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// 200 concurrent first calls for one corp making a single get_corp_token
// are covered by wecom's TestSuiteConcurrentFirstCallsShareOneCorpToken.

const (
	suiteTestSecret = "suite-secret-for-callback-tests"
	suiteTestToken  = "suitecbtoken"
)

var suiteQuiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// suiteRig is a fake WeCom with one suite, a wecom.Suite on a Store, and
// the command and data handlers served on loopback.
type suiteRig struct {
	t       *testing.T
	srv     *wecomtest.Server
	store   wecom.Store
	key     string
	suiteID string

	suite   *wecom.Suite
	cmd     *callback.Handler
	data    *callback.Handler
	cmdURL  string
	dataURL string
	cb      *wecomtest.Suite

	mu      sync.Mutex
	applied []string // "<kind> <corp>" per hook call
	errs    []error
	changed chan struct{}
}

func newSuiteRig(t *testing.T, suiteID string) *suiteRig {
	t.Helper()
	srv := wecomtest.NewServer(t)
	srv.AddSuite(suiteID, suiteTestSecret)
	r := &suiteRig{t: t, srv: srv, store: wecom.NewMemoryStore(), key: wecomtest.NewEncodingAESKey(), suiteID: suiteID}
	r.start()
	return r
}

// start builds a Suite and handlers on r.store, as a (re)started instance does.
func (r *suiteRig) start(opts ...callback.Option) {
	t := r.t
	t.Helper()
	r.changed = make(chan struct{}, 64)
	r.suite = wecom.NewSuite(r.suiteID, suiteTestSecret, r.srv.SuiteOptions(wecom.WithStore(r.store), wecom.WithLogger(suiteQuiet))...)
	note := func(s string) error {
		r.mu.Lock()
		r.applied = append(r.applied, s)
		r.mu.Unlock()
		r.changed <- struct{}{}
		return nil
	}
	hooks := callback.SuiteHooks{
		Authorized: func(_ context.Context, _ *callback.CreateAuthEvent, info *wecom.PermanentCodeInfo) error {
			return note("authorized " + info.AuthCorpInfo.CorpID)
		},
		AuthChanged: func(_ context.Context, ev *callback.ChangeAuthEvent, info *wecom.AuthInfo) error {
			return note("changed " + ev.AuthCorpID + " agents=" + strconv.Itoa(len(info.AuthInfo.Agent)))
		},
		Cancelled: func(_ context.Context, ev *callback.CancelAuthEvent) error {
			return note("cancelled " + ev.AuthCorpID)
		},
		PermanentCodeReset: func(_ context.Context, _ *callback.ResetPermanentCodeEvent, info *wecom.PermanentCodeInfo) error {
			return note("reset " + info.AuthCorpInfo.CorpID)
		},
	}
	base := []callback.Option{
		callback.WithLogger(suiteQuiet),
		callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
			r.changed <- struct{}{}
		}),
	}
	cmd, err := callback.NewSuiteCommandHandler(r.suite, suiteTestToken, r.key, append(append(base, callback.WithSuiteHooks(hooks)), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	data, err := callback.NewSuiteDataHandler(r.suite, suiteTestToken, r.key, callback.WithLogger(suiteQuiet))
	if err != nil {
		t.Fatal(err)
	}
	r.cmd, r.data = cmd, data
	cs, ds := httptest.NewServer(cmd), httptest.NewServer(data)
	t.Cleanup(func() {
		cs.Close()
		ds.Close()
		_ = cmd.Close(context.Background())
		_ = data.Close(context.Background())
	})
	r.cmdURL, r.dataURL = cs.URL, ds.URL
	r.cb = r.srv.Suite(r.suiteID).SetCallback(r.cmdURL, suiteTestToken, r.key)
}

// wait waits until cond holds, checking after every hook or error report.
func (r *suiteRig) wait(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case <-r.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s (applied %v, errors %v)", what, r.appliedList(), r.errList())
		}
	}
}

func (r *suiteRig) appliedList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.applied...)
}

func (r *suiteRig) errList() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

func (r *suiteRig) hasApplied(s string) bool {
	for _, a := range r.appliedList() {
		if a == s {
			return true
		}
	}
	return false
}

// storedTicket reads the ticket the Suite keeps (key and format are
// documented on wecom.Suite).
func (r *suiteRig) storedTicket() string {
	v, ok, err := r.store.Get(context.Background(), "wecom:suite:"+r.suiteID+":ticket")
	if err != nil || !ok {
		return ""
	}
	_, ticket, _ := strings.Cut(v, ":")
	return ticket
}

// pushTicket pushes a fresh ticket and waits until it is stored.
func (r *suiteRig) pushTicket() string {
	r.t.Helper()
	ticket, err := r.cb.PushNewTicket(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	r.wait("the ticket to be stored", func() bool { return r.storedTicket() == ticket })
	return ticket
}

// install pushes create_auth for corpID and waits for the stored code.
func (r *suiteRig) install(corpID string) {
	r.t.Helper()
	if _, err := r.cb.Install(context.Background(), corpID, ""); err != nil {
		r.t.Fatal(err)
	}
	r.wait("authorization of "+corpID, func() bool { return r.hasApplied("authorized " + corpID) })
}

func (r *suiteRig) dataPusher(corpID string) *wecomtest.Pusher {
	p := wecomtest.NewPusher(r.dataURL, suiteTestToken, r.key, corpID)
	p.Attempts = 1
	return p
}

func TestSuiteTicketOrderingThroughTheHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "wwcbsuite00001")
	older := r.srv.Suite(r.suiteID).IssueTicket()
	newer := r.srv.Suite(r.suiteID).IssueTicket()
	now := time.Now()
	if _, err := r.cb.PushTicket(ctx, newer, now); err != nil {
		t.Fatal(err)
	}
	r.wait("the newer ticket", func() bool { return r.storedTicket() == newer })
	// The older ticket arrives late (a re-send, or another instance's
	// backlog): it must not replace the newer one.
	if _, err := r.cb.PushTicket(ctx, older, now.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The push was answered when queued: closing the handler waits until
	// the workers have handled it.
	if err := r.cmd.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.storedTicket(); got != newer {
		t.Fatalf("stored ticket %q after a late older push; want the newer %q", got, newer)
	}
	if errs := r.errList(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	// The stored ticket is the one get_suite_token is called with.
	if _, err := r.suite.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := r.srv.Requests()
	var body []byte
	for _, q := range reqs {
		if q.Path == "/cgi-bin/service/get_suite_token" {
			body = q.Body
		}
	}
	if !bytes.Contains(body, []byte(newer)) {
		t.Fatalf("get_suite_token was called with %s, want the newer ticket", body)
	}
}

func TestSuiteCreateAuthOverTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "wwcbsuite00002")
	r.pushTicket()
	r.install("wwcbcorpA")
	ok, err := r.suite.IsAuthorized(ctx, "wwcbcorpA")
	if err != nil || !ok {
		t.Fatalf("IsAuthorized = %v, %v", ok, err)
	}
	if ips, err := r.suite.Corp("wwcbcorpA").GetCallbackIPs(ctx); err != nil || len(ips) == 0 {
		t.Fatalf("the corp client does not work: %v, %v", ips, err)
	}
	if n := r.srv.Suite(r.suiteID).CorpTokenFetches("wwcbcorpA"); n != 1 {
		t.Fatalf("get_corp_token answered %d times, want 1", n)
	}
	// change_auth refreshes the authorization through the stored code.
	if err := r.cb.ChangeAuth(ctx, "wwcbcorpA"); err != nil {
		t.Fatal(err)
	}
	r.wait("change_auth", func() bool { return r.hasApplied("changed wwcbcorpA agents=1") })
	if n := r.srv.Count("/cgi-bin/service/v2/get_auth_info"); n != 1 {
		t.Fatalf("get_auth_info called %d times, want 1", n)
	}
	if errs := r.errList(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
}

func TestSuiteCreateAuthIsAnsweredBeforeTheExchange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "wwcbsuite00003")
	r.pushTicket()
	if _, err := r.suite.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	// get_permanent_code takes longer than the 1000 ms WeCom gives.
	r.srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{Latency: 1200 * time.Millisecond})
	start := time.Now()
	if _, err := r.cb.Install(ctx, "wwcbcorpS", ""); err != nil {
		t.Fatalf("create_auth not answered in time: %v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("create_auth answered after %v", d)
	}
	if ok, _ := r.suite.IsAuthorized(ctx, "wwcbcorpS"); ok {
		t.Fatal("authorized before the exchange could have finished")
	}
	r.wait("the slow exchange", func() bool { return r.hasApplied("authorized wwcbcorpS") })
}

func TestSuiteFailedExchangeKeepsTheAuthCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "wwcbsuite00004")
	r.pushTicket()
	r.srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{Errcode: -1})
	authCode, err := r.cb.Install(ctx, "wwcbcorpF", "campaign-7")
	if err != nil {
		t.Fatal(err)
	}
	r.wait("the error report", func() bool { return len(r.errList()) > 0 })
	var ae *callback.SuiteAuthCodeError
	if !errors.As(r.errList()[0], &ae) {
		t.Fatalf("reported %v, want a *SuiteAuthCodeError", r.errList()[0])
	}
	if ae.AuthCode != authCode || ae.State != "campaign-7" || ae.Kind != callback.KindCreateAuth || ae.SuiteID != r.suiteID || ae.Info != nil {
		t.Fatalf("error = %+v", ae)
	}
	if wecom.ErrorCode(ae) != -1 {
		t.Fatalf("ErrorCode = %d, want -1 (errors.As reaches WeCom's error)", wecom.ErrorCode(ae))
	}
	if strings.Contains(ae.Error(), authCode) {
		t.Fatal("Error() contains the auth code")
	}
	if ok, _ := r.suite.IsAuthorized(ctx, "wwcbcorpF"); ok {
		t.Fatal("authorized although the exchange failed")
	}
	info, err := ae.Retry(ctx)
	if err != nil || info.AuthCorpInfo.CorpID != "wwcbcorpF" {
		t.Fatalf("Retry = %v, %v", info, err)
	}
	if ok, _ := r.suite.IsAuthorized(ctx, "wwcbcorpF"); !ok {
		t.Fatal("Retry did not store the permanent code")
	}
}

// flakyStore fails Set of permanent codes while failing is true.
type flakyStore struct {
	*wecom.MemoryStore
	mu      sync.Mutex
	failing bool
}

func (f *flakyStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	f.mu.Lock()
	failing := f.failing
	f.mu.Unlock()
	if failing && strings.HasSuffix(key, ":permanent_code") {
		return errors.New("store unavailable")
	}
	return f.MemoryStore.Set(ctx, key, value, ttl)
}

func TestSuiteStoreFailureAfterTheExchangeKeepsThePermanentCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbsuite00005"
	srv.AddSuite(suiteID, suiteTestSecret)
	fs := &flakyStore{MemoryStore: wecom.NewMemoryStore(), failing: true}
	r := &suiteRig{t: t, srv: srv, store: fs, key: wecomtest.NewEncodingAESKey(), suiteID: suiteID}
	r.start()
	r.pushTicket()
	authCode, err := r.cb.Install(ctx, "wwcbcorpK", "")
	if err != nil {
		t.Fatal(err)
	}
	r.wait("the error report", func() bool { return len(r.errList()) > 0 })
	var ae *callback.SuiteAuthCodeError
	if !errors.As(r.errList()[0], &ae) || ae.Info == nil {
		t.Fatalf("reported %v, want a *SuiteAuthCodeError with Info", r.errList()[0])
	}
	code := srv.Suite(suiteID).PermanentCode("wwcbcorpK")
	if ae.Info.PermanentCode != code || strings.Contains(ae.Error(), code) || strings.Contains(ae.Error(), authCode) {
		t.Fatalf("Info or Error() wrong: %q", ae.Error())
	}
	fs.mu.Lock()
	fs.failing = false
	fs.mu.Unlock()
	exchanges := srv.Count("/cgi-bin/service/v2/get_permanent_code")
	if _, err := ae.Retry(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("/cgi-bin/service/v2/get_permanent_code"); n != exchanges {
		t.Fatal("Retry exchanged the (used) auth code again instead of storing the code it had")
	}
	if _, err := r.suite.Corp("wwcbcorpK").AccessToken(ctx); err != nil {
		t.Fatalf("corp token after Retry: %v", err)
	}
}

func TestSuiteCancelledAuthorizationIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "wwcbsuite00006")
	r.pushTicket()
	r.install("wwcbcorpX")
	r.install("wwcbcorpY")
	push := wecomtest.AddExternalContactXML("wwcbcorpX", "zhangsan", "wmEXT1", "", "", time.Now())
	var got []string
	var mu sync.Mutex
	r.data.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		mu.Lock()
		got = append(got, ev.ReceiveID)
		mu.Unlock()
		return nil
	})
	if res, err := r.dataPusher("wwcbcorpX").Push(ctx, push); err != nil || res.Status() != http.StatusOK {
		t.Fatalf("data push of an authorized corp: %v, %v", res, err)
	}
	if _, err := r.suite.Corp("wwcbcorpX").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}

	if err := r.cb.Uninstall(ctx, "wwcbcorpX"); err != nil {
		t.Fatal(err)
	}
	r.wait("cancel_auth", func() bool { return r.hasApplied("cancelled wwcbcorpX") })

	res, err := r.dataPusher("wwcbcorpX").Push(ctx, wecomtest.AddExternalContactXML("wwcbcorpX", "zhangsan", "wmEXT2", "", "", time.Now()))
	if err == nil || res.Status() != http.StatusForbidden {
		t.Fatalf("data push of a cancelled corp answered %d, %v; want 403", res.Status(), err)
	}
	_, err = r.suite.Corp("wwcbcorpX").GetCallbackIPs(ctx)
	if !errors.Is(err, wecom.ErrCorpNotAuthorized) {
		t.Fatalf("call for a cancelled corp: %v, want ErrCorpNotAuthorized", err)
	}
	// The other corp is untouched.
	if res, err := r.dataPusher("wwcbcorpY").Push(ctx, wecomtest.AddExternalContactXML("wwcbcorpY", "lisi", "wmEXT3", "", "", time.Now())); err != nil || res.Status() != http.StatusOK {
		t.Fatalf("data push of the other corp: %v", err)
	}
	if _, err := r.suite.Corp("wwcbcorpY").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	// Neither the suite id nor strangers are data-URL senders.
	for _, rid := range []string{r.suiteID, "wwstranger"} {
		if res, _ := r.dataPusher(rid).Push(ctx, push); res.Status() != http.StatusForbidden {
			t.Errorf("data push with receiveid %s answered %d, want 403", rid, res.Status())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "wwcbcorpX,wwcbcorpY" {
		t.Fatalf("data handler saw pushes from %v", got)
	}
}

func TestSuiteRestartReloadsFromTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "wwcbsuite00007")
	ticket := r.pushTicket()
	r.install("wwcbcorpR")
	if _, err := r.suite.Corp("wwcbcorpR").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	exchanges := r.srv.Count("/cgi-bin/service/v2/get_permanent_code")
	suiteTokens := r.srv.Suite(r.suiteID).TokenFetches()
	corpTokens := r.srv.Suite(r.suiteID).CorpTokenFetches("wwcbcorpR")

	// A new instance: new Suite and handlers on the same Store.
	_ = r.cmd.Close(ctx)
	r.start()
	if got := r.storedTicket(); got != ticket {
		t.Fatalf("ticket after restart %q, want %q", got, ticket)
	}
	if _, err := r.suite.Corp("wwcbcorpR").GetCallbackIPs(ctx); err != nil {
		t.Fatalf("call after restart: %v", err)
	}
	if res, err := r.dataPusher("wwcbcorpR").Push(ctx, wecomtest.AddExternalContactXML("wwcbcorpR", "u", "wmR", "", "", time.Now())); err != nil {
		t.Fatalf("data push after restart: %v (%d)", err, res.Status())
	}
	if n := r.srv.Count("/cgi-bin/service/v2/get_permanent_code"); n != exchanges {
		t.Fatalf("%d new exchanges after restart, want 0", n-exchanges)
	}
	if n := r.srv.Suite(r.suiteID).TokenFetches(); n != suiteTokens {
		t.Fatalf("%d new suite tokens after restart, want 0", n-suiteTokens)
	}
	if n := r.srv.Suite(r.suiteID).CorpTokenFetches("wwcbcorpR"); n != corpTokens {
		t.Fatalf("%d new corp tokens after restart, want 0", n-corpTokens)
	}
	// The restarted command handler keeps working.
	r.install("wwcbcorpR2")
}

func TestSuiteCommandURLRefusesOtherSuites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "wwcbsuite00008")
	r.srv.AddSuite("wwcbothersuite", "other")
	// Encrypted for another suite (receiveid): refused before parsing.
	p := wecomtest.NewPusher(r.cmdURL, suiteTestToken, r.key, "wwcbothersuite")
	p.Attempts = 1
	res, err := p.Push(ctx, wecomtest.SuiteTicketXML("wwcbothersuite", "foreign-ticket", time.Now()))
	if err == nil || res.Status() != http.StatusForbidden {
		t.Fatalf("push for another suite answered %d, %v; want 403", res.Status(), err)
	}
	// Right receiveid but SuiteId of another suite: answered, logged, not applied.
	var logs bytes.Buffer
	var logMu sync.Mutex
	r2 := &suiteRig{t: t, srv: r.srv, store: wecom.NewMemoryStore(), key: r.key, suiteID: r.suiteID}
	r2.start(callback.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))))
	own := wecomtest.NewPusher(r2.cmdURL, suiteTestToken, r2.key, r2.suiteID)
	if _, err := own.Push(ctx, wecomtest.SuiteTicketXML("wwcbothersuite", "foreign-ticket", time.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := own.Push(ctx, wecomtest.CancelAuthXML("wwcbothersuite", "wwcbcorpZ", time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := r2.cmd.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r2.storedTicket(); got != "" {
		t.Fatalf("a ticket of another suite was stored: %q", got)
	}
	if len(r2.appliedList()) != 0 || len(r2.errList()) != 0 {
		t.Fatalf("applied %v, errors %v", r2.appliedList(), r2.errList())
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "another suite ignored"); n != 2 {
		t.Fatalf("%d 'ignored' log lines, want 2:\n%s", n, logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSuiteResetPermanentCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newSuiteRig(t, "dkcbtemplate001")
	r.pushTicket()
	r.install("wwcbdkcorp")
	old := r.srv.Suite(r.suiteID).PermanentCode("wwcbdkcorp")
	if _, err := r.suite.Corp("wwcbdkcorp").GetCallbackIPs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cb.ResetPermanentCode(ctx, "wwcbdkcorp"); err != nil {
		t.Fatal(err)
	}
	r.wait("reset_permanent_code", func() bool { return r.hasApplied("reset wwcbdkcorp") })
	if now := r.srv.Suite(r.suiteID).PermanentCode("wwcbdkcorp"); now == old || now == "" {
		t.Fatal("the fake did not issue a new code")
	}
	fetches := r.srv.Corp("wwcbdkcorp").TokenFetches()
	if _, err := r.suite.Corp("wwcbdkcorp").GetCallbackIPs(ctx); err != nil {
		t.Fatalf("call with the new secret: %v", err)
	}
	if n := r.srv.Corp("wwcbdkcorp").TokenFetches(); n != fetches+1 {
		t.Fatalf("gettoken called %d times after the reset, want 1 (the old token was dropped)", n-fetches)
	}
}

func TestSuiteHandlerConstructors(t *testing.T) {
	t.Parallel()
	key := wecomtest.NewEncodingAESKey()
	if _, err := callback.NewSuiteCommandHandler(nil, "t", key); err == nil {
		t.Error("nil suite accepted by NewSuiteCommandHandler")
	}
	if _, err := callback.NewSuiteDataHandler(nil, "t", key); err == nil {
		t.Error("nil suite accepted by NewSuiteDataHandler")
	}
	if _, err := callback.NewSuiteCommandHandler(wecom.NewSuite("", "s"), "t", key); err == nil {
		t.Error("suite with an empty id accepted")
	}
	if _, err := callback.NewSuiteCommandHandler(wecom.NewSuite("wwx", "s"), "t", "short"); err == nil {
		t.Error("bad EncodingAESKey accepted")
	}
	if _, err := callback.NewSuiteDataHandler(wecom.NewSuite("wwx", "s"), "t", key, callback.WithWorkers(0, 0)); err == nil {
		t.Error("bad option accepted")
	}

	// A receiver func given to the data handler adds to the authorized corps.
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwcbsuite00009", suiteTestSecret)
	suite := wecom.NewSuite("wwcbsuite00009", suiteTestSecret, srv.SuiteOptions()...)
	h, err := callback.NewSuiteDataHandler(suite, suiteTestToken, key, callback.WithLogger(suiteQuiet),
		callback.WithReceiverFunc(func(rid string) bool { return rid == "wwprovider" }))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	for rid, want := range map[string]int{"wwprovider": http.StatusOK, "wwstranger": http.StatusForbidden} {
		p := wecomtest.NewPusher(hs.URL, suiteTestToken, key, rid)
		p.Attempts = 1
		res, _ := p.Push(context.Background(), wecomtest.AddExternalContactXML(rid, "u", "wm", "", "", time.Now()))
		if res.Status() != want {
			t.Errorf("receiveid %s answered %d, want %d", rid, res.Status(), want)
		}
	}
}

// suiteNoLimit lets a fuzz run call the fake faster than WeCom's limits.
type suiteNoLimit struct{}

func (suiteNoLimit) Wait(context.Context, string, string) error { return nil }

// FuzzSuiteCommandPush pushes arbitrary decrypted XML through a suite's
// command handler: it must answer 200 or 400, and no handler may panic.
func FuzzSuiteCommandPush(f *testing.F) {
	const suiteID = "wwcbfuzzsuite01"
	srv := wecomtest.Start()
	f.Cleanup(srv.Close)
	srv.AddSuite(suiteID, suiteTestSecret)
	suite := wecom.NewSuite(suiteID, suiteTestSecret, srv.SuiteOptions(wecom.WithLogger(suiteQuiet), wecom.WithLimiter(suiteNoLimit{}))...)
	if err := suite.SetTicket(context.Background(), srv.Suite(suiteID).IssueTicket()); err != nil {
		f.Fatal(err)
	}
	key := wecomtest.NewEncodingAESKey()
	at := time.Unix(1700000000, 0)
	f.Add(wecomtest.SuiteTicketXML(suiteID, "ticket-1", at))
	f.Add(wecomtest.SuiteTicketXML(suiteID, "", at))
	f.Add(wecomtest.SuiteTicketXML("wwother", "ticket-2", at))
	f.Add([]byte("<xml><SuiteId>" + suiteID + "</SuiteId><InfoType>suite_ticket</InfoType><SuiteTicket>t</SuiteTicket></xml>"))
	authCode, err := srv.Suite(suiteID).Install(f.Context(), "wwfuzzcorp", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wecomtest.CreateAuthXML(suiteID, authCode, "s", at))
	f.Add(wecomtest.CreateAuthXML(suiteID, "short", "", at))
	f.Add(wecomtest.ChangeAuthXML(suiteID, "wwfuzzcorp", "", at))
	f.Add(wecomtest.ChangeAuthXML(suiteID, "", "", at))
	f.Add(wecomtest.CancelAuthXML(suiteID, "wwfuzzcorp", at))
	f.Add(wecomtest.CancelAuthXML(suiteID, "", at))
	f.Add(wecomtest.ResetPermanentCodeXML(suiteID, strings.Repeat("c", 64), at))
	f.Add([]byte("<xml><InfoType>create_auth</InfoType></xml>"))
	f.Add([]byte("not xml"))
	f.Fuzz(func(t *testing.T, plain []byte) {
		var (
			mu     sync.Mutex
			failed []error
		)
		h, err := callback.NewSuiteCommandHandler(suite, suiteTestToken, key, callback.WithLogger(suiteQuiet),
			callback.WithWorkers(1, 4), callback.WithHandlerTimeout(2*time.Second),
			callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
			}))
		if err != nil {
			t.Fatal(err)
		}
		p := wecomtest.NewPusher("http://unused", suiteTestToken, key, suiteID)
		body, q, err := p.Envelope(plain, "1700000000", "12345")
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/?"+q.Encode(), bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		// 500: a suite_ticket is stored before the answer, and a ticket
		// that cannot be stored fails its push (WeCom re-sends it).
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusInternalServerError {
			t.Fatalf("answered %d for %q", rec.Code, plain)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, err := range failed {
			if strings.Contains(err.Error(), "panicked") {
				t.Fatalf("handler panicked for %q: %v", plain, err)
			}
		}
	})
}

// No way of printing or logging a SuiteAuthCodeError shows the auth code
// or the permanent code.
func TestSuiteAuthCodeErrorHidesCodes(t *testing.T) {
	t.Parallel()
	const authCode, permCode = "AUTHCODE-SECRET-1", "PERMCODE-SECRET-2"
	for _, e := range []*callback.SuiteAuthCodeError{
		{SuiteID: "wwsuite", Kind: callback.KindCreateAuth, AuthCode: authCode, State: "st", Err: errors.New("down")},
		{SuiteID: "wwsuite", Kind: callback.KindCreateAuth, AuthCode: authCode, State: "st", Err: errors.New("down"),
			Info: &wecom.PermanentCodeInfo{PermanentCode: permCode, AuthCorpInfo: wecom.CorpRef{CorpID: "wwcorp"}}},
	} {
		var err error = e
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Error("x", "err", err, "e", e)
		slog.New(slog.NewJSONHandler(&buf, nil)).Error("x", "err", err, "e", e)
		outs := []string{e.Error(), e.String(), e.GoString(), buf.String()}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			outs = append(outs, fmt.Sprintf(verb, e), fmt.Sprintf(verb, err))
		}
		for _, out := range outs {
			if strings.Contains(out, authCode) || strings.Contains(out, permCode) {
				t.Fatalf("leaks a code: %s", out)
			}
		}
		if !strings.Contains(fmt.Sprintf("%#v", e), "wwsuite") {
			t.Fatalf("%%#v says nothing useful: %#v", e)
		}
	}
}
