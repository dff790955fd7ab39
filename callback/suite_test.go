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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, err)
	data, err := callback.NewSuiteDataHandler(r.suite, suiteTestToken, r.key, callback.WithLogger(suiteQuiet))
	require.NoError(t, err)
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
			require.Failf(r.t, "timed out", "waiting for %s (applied %v, errors %v)", what, r.appliedList(), r.errList())
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
	require.NoError(r.t, err)
	r.wait("the ticket to be stored", func() bool { return r.storedTicket() == ticket })
	return ticket
}

// install pushes create_auth for corpID and waits for the stored code.
func (r *suiteRig) install(corpID string) {
	r.t.Helper()
	_, err := r.cb.Install(context.Background(), corpID, "")
	require.NoError(r.t, err)
	r.wait("authorization of "+corpID, func() bool { return r.hasApplied("authorized " + corpID) })
}

func (r *suiteRig) dataPusher(corpID string) *wecomtest.Pusher {
	p := wecomtest.NewPusher(r.dataURL, suiteTestToken, r.key, corpID)
	p.Attempts = 1
	return p
}

func TestSuiteTicketOrderingThroughTheHandler(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newSuiteRig(t, "wwcbsuite00001")
	older := r.srv.Suite(r.suiteID).IssueTicket()
	newer := r.srv.Suite(r.suiteID).IssueTicket()
	now := time.Now()
	_, err := r.cb.PushTicket(ctx, newer, now)
	require.NoError(t, err)
	r.wait("the newer ticket", func() bool { return r.storedTicket() == newer })
	// The older ticket arrives late (a re-send, or another instance's
	// backlog): it must not replace the newer one.
	_, err = r.cb.PushTicket(ctx, older, now.Add(-10*time.Minute))
	require.NoError(t, err)
	// The push was answered when queued: closing the handler waits until
	// the workers have handled it.
	require.NoError(t, r.cmd.Close(ctx))
	got := r.storedTicket()
	require.Equal(t, newer, got, "stored ticket %q after a late older push; want the newer %q", got, newer)
	require.Empty(t, r.errList(), "errors")
	// The stored ticket is the one get_suite_token is called with.
	_, err = r.suite.AccessToken(ctx)
	require.NoError(t, err)
	reqs := r.srv.Requests()
	var body []byte
	for _, q := range reqs {
		if q.Path == "/cgi-bin/service/get_suite_token" {
			body = q.Body
		}
	}
	require.Contains(t, string(body), newer, "get_suite_token was not called with the newer ticket")
}

func TestSuiteCreateAuthOverTheWire(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newSuiteRig(t, "wwcbsuite00002")
	r.pushTicket()
	r.install("wwcbcorpA")
	ok, err := r.suite.IsAuthorized(ctx, "wwcbcorpA")
	require.NoError(t, err, "IsAuthorized = %v", ok)
	require.True(t, ok, "IsAuthorized = %v, %v", ok, err)
	ips, err := r.suite.Corp("wwcbcorpA").GetCallbackIPs(ctx)
	require.NoError(t, err, "the corp client does not work: %v", ips)
	require.NotEmpty(t, ips, "the corp client does not work: %v, %v", ips, err)
	n := r.srv.Suite(r.suiteID).CorpTokenFetches("wwcbcorpA")
	require.Equal(t, 1, n, "get_corp_token answered %d times, want 1", n)
	// change_auth refreshes the authorization through the stored code.
	require.NoError(t, r.cb.ChangeAuth(ctx, "wwcbcorpA"))
	r.wait("change_auth", func() bool { return r.hasApplied("changed wwcbcorpA agents=1") })
	n = r.srv.Count("/cgi-bin/service/v2/get_auth_info")
	require.Equal(t, 1, n, "get_auth_info called %d times, want 1", n)
	require.Empty(t, r.errList(), "errors")
}

func TestSuiteCreateAuthIsAnsweredBeforeTheExchange(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newSuiteRig(t, "wwcbsuite00003")
	r.pushTicket()
	_, err := r.suite.AccessToken(ctx)
	require.NoError(t, err)
	// get_permanent_code takes longer than the 1000 ms WeCom gives.
	r.srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{Latency: 1200 * time.Millisecond})
	start := time.Now()
	_, err = r.cb.Install(ctx, "wwcbcorpS", "")
	require.NoError(t, err, "create_auth not answered in time")
	require.LessOrEqual(t, time.Since(start), 500*time.Millisecond, "create_auth answered after")
	ok, _ := r.suite.IsAuthorized(ctx, "wwcbcorpS")
	require.False(t, ok, "authorized before the exchange could have finished")
	r.wait("the slow exchange", func() bool { return r.hasApplied("authorized wwcbcorpS") })
}

func TestSuiteFailedExchangeKeepsTheAuthCode(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newSuiteRig(t, "wwcbsuite00004")
	r.pushTicket()
	r.srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{Errcode: -1})
	authCode, err := r.cb.Install(ctx, "wwcbcorpF", "campaign-7")
	require.NoError(t, err)
	r.wait("the error report", func() bool { return len(r.errList()) > 0 })
	var ae *callback.SuiteAuthCodeError
	require.ErrorAs(t, r.errList()[0], &ae, "reported")
	require.Equal(t, authCode, ae.AuthCode, "error = %+v", ae)
	require.Equal(t, "campaign-7", ae.State, "error = %+v", ae)
	require.Equal(t, callback.KindCreateAuth, ae.Kind, "error = %+v", ae)
	require.Equal(t, r.suiteID, ae.SuiteID, "error = %+v", ae)
	require.Nil(t, ae.Info, "error = %+v", ae)
	require.Equal(t, -1, wecom.ErrorCode(ae), "ErrorCode = %d, want -1 (errors.As reaches WeCom's error)", wecom.ErrorCode(ae))
	require.NotContains(t, ae.Error(), authCode, "Error() contains the auth code")
	ok, _ := r.suite.IsAuthorized(ctx, "wwcbcorpF")
	require.False(t, ok, "authorized although the exchange failed")
	info, err := ae.Retry(ctx)
	require.NoError(t, err, "Retry = %v", info)
	require.Equal(t, "wwcbcorpF", info.AuthCorpInfo.CorpID, "Retry = %v, %v", info, err)
	ok, _ = r.suite.IsAuthorized(ctx, "wwcbcorpF")
	require.True(t, ok, "Retry did not store the permanent code")
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
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbsuite00005"
	srv.AddSuite(suiteID, suiteTestSecret)
	fs := &flakyStore{MemoryStore: wecom.NewMemoryStore(), failing: true}
	r := &suiteRig{t: t, srv: srv, store: fs, key: wecomtest.NewEncodingAESKey(), suiteID: suiteID}
	r.start()
	r.pushTicket()
	authCode, err := r.cb.Install(ctx, "wwcbcorpK", "")
	require.NoError(t, err)
	r.wait("the error report", func() bool { return len(r.errList()) > 0 })
	var ae *callback.SuiteAuthCodeError
	require.ErrorAs(t, r.errList()[0], &ae, "reported")
	require.NotNil(t, ae.Info, "reported %v, want a *SuiteAuthCodeError with Info", r.errList()[0])
	code := srv.Suite(suiteID).PermanentCode("wwcbcorpK")
	require.Equal(t, code, ae.Info.PermanentCode, "Info or Error() wrong: %q", ae.Error())
	require.NotContains(t, ae.Error(), code, "Info or Error() wrong")
	require.NotContains(t, ae.Error(), authCode, "Info or Error() wrong")
	fs.mu.Lock()
	fs.failing = false
	fs.mu.Unlock()
	exchanges := srv.Count("/cgi-bin/service/v2/get_permanent_code")
	_, err = ae.Retry(ctx)
	require.NoError(t, err)
	require.Equal(t, exchanges, srv.Count("/cgi-bin/service/v2/get_permanent_code"), "Retry exchanged the (used) auth code again instead of storing the code it had")
	_, err = r.suite.Corp("wwcbcorpK").AccessToken(ctx)
	require.NoError(t, err, "corp token after Retry")
}

func TestSuiteCancelledAuthorizationIsRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
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
	res, err := r.dataPusher("wwcbcorpX").Push(ctx, push)
	require.NoError(t, err, "data push of an authorized corp: %v", res)
	require.Equal(t, http.StatusOK, res.Status(), "data push of an authorized corp: %v, %v", res, err)
	_, err = r.suite.Corp("wwcbcorpX").GetCallbackIPs(ctx)
	require.NoError(t, err)

	require.NoError(t, r.cb.Uninstall(ctx, "wwcbcorpX"))
	r.wait("cancel_auth", func() bool { return r.hasApplied("cancelled wwcbcorpX") })

	res, err = r.dataPusher("wwcbcorpX").Push(ctx, wecomtest.AddExternalContactXML("wwcbcorpX", "zhangsan", "wmEXT2", "", "", time.Now()))
	require.Error(t, err, "data push of a cancelled corp answered %d, %v; want 403", res.Status(), err)
	require.Equal(t, http.StatusForbidden, res.Status(), "data push of a cancelled corp answered %d, %v; want 403", res.Status(), err)
	_, err = r.suite.Corp("wwcbcorpX").GetCallbackIPs(ctx)
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "call for a cancelled corp")
	// The other corp is untouched.
	res, err = r.dataPusher("wwcbcorpY").Push(ctx, wecomtest.AddExternalContactXML("wwcbcorpY", "lisi", "wmEXT3", "", "", time.Now()))
	require.NoError(t, err, "data push of the other corp")
	require.Equal(t, http.StatusOK, res.Status(), "data push of the other corp: %v", err)
	_, err = r.suite.Corp("wwcbcorpY").GetCallbackIPs(ctx)
	require.NoError(t, err)
	// Neither the suite id nor strangers are data-URL senders.
	for _, rid := range []string{r.suiteID, "wwstranger"} {
		res, _ := r.dataPusher(rid).Push(ctx, push)
		assert.Equal(t, http.StatusForbidden, res.Status(), "data push with receiveid %s answered %d, want 403", rid, res.Status())
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, "wwcbcorpX,wwcbcorpY", strings.Join(got, ","), "data handler saw pushes from %v", got)
}

func TestSuiteRestartReloadsFromTheStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newSuiteRig(t, "wwcbsuite00007")
	ticket := r.pushTicket()
	r.install("wwcbcorpR")
	_, err := r.suite.Corp("wwcbcorpR").GetCallbackIPs(ctx)
	require.NoError(t, err)
	exchanges := r.srv.Count("/cgi-bin/service/v2/get_permanent_code")
	suiteTokens := r.srv.Suite(r.suiteID).TokenFetches()
	corpTokens := r.srv.Suite(r.suiteID).CorpTokenFetches("wwcbcorpR")

	// A new instance: new Suite and handlers on the same Store.
	_ = r.cmd.Close(ctx)
	r.start()
	require.Equal(t, ticket, r.storedTicket(), "ticket after restart")
	_, err = r.suite.Corp("wwcbcorpR").GetCallbackIPs(ctx)
	require.NoError(t, err, "call after restart")
	res, err := r.dataPusher("wwcbcorpR").Push(ctx, wecomtest.AddExternalContactXML("wwcbcorpR", "u", "wmR", "", "", time.Now()))
	require.NoError(t, err, "data push after restart: %v (%d)", err, res.Status())
	n := r.srv.Count("/cgi-bin/service/v2/get_permanent_code")
	require.Equal(t, exchanges, n, "%d new exchanges after restart, want 0", n-exchanges)
	n = r.srv.Suite(r.suiteID).TokenFetches()
	require.Equal(t, suiteTokens, n, "%d new suite tokens after restart, want 0", n-suiteTokens)
	n = r.srv.Suite(r.suiteID).CorpTokenFetches("wwcbcorpR")
	require.Equal(t, corpTokens, n, "%d new corp tokens after restart, want 0", n-corpTokens)
	// The restarted command handler keeps working.
	r.install("wwcbcorpR2")
}

func TestSuiteCommandURLRefusesOtherSuites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newSuiteRig(t, "wwcbsuite00008")
	r.srv.AddSuite("wwcbothersuite", "other")
	// Encrypted for another suite (receiveid): refused before parsing.
	p := wecomtest.NewPusher(r.cmdURL, suiteTestToken, r.key, "wwcbothersuite")
	p.Attempts = 1
	res, err := p.Push(ctx, wecomtest.SuiteTicketXML("wwcbothersuite", "foreign-ticket", time.Now()))
	require.Error(t, err, "push for another suite answered %d, %v; want 403", res.Status(), err)
	require.Equal(t, http.StatusForbidden, res.Status(), "push for another suite answered %d, %v; want 403", res.Status(), err)
	// Right receiveid but SuiteId of another suite: answered, logged, not applied.
	var logs bytes.Buffer
	var logMu sync.Mutex
	r2 := &suiteRig{t: t, srv: r.srv, store: wecom.NewMemoryStore(), key: r.key, suiteID: r.suiteID}
	r2.start(callback.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))))
	own := wecomtest.NewPusher(r2.cmdURL, suiteTestToken, r2.key, r2.suiteID)
	_, err = own.Push(ctx, wecomtest.SuiteTicketXML("wwcbothersuite", "foreign-ticket", time.Now()))
	require.NoError(t, err)
	_, err = own.Push(ctx, wecomtest.CancelAuthXML("wwcbothersuite", "wwcbcorpZ", time.Now()))
	require.NoError(t, err)
	require.NoError(t, r2.cmd.Close(ctx))
	require.Empty(t, r2.storedTicket(), "a ticket of another suite was stored")
	require.Empty(t, r2.appliedList(), "applied %v, errors %v", r2.appliedList(), r2.errList())
	require.Empty(t, r2.errList(), "applied %v, errors", r2.appliedList())
	logMu.Lock()
	defer logMu.Unlock()
	n := strings.Count(logs.String(), "another suite ignored")
	require.Equal(t, 2, n, "%d 'ignored' log lines, want 2:\n%s", n, logs.String())
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
	ctx := t.Context()
	r := newSuiteRig(t, "dkcbtemplate001")
	r.pushTicket()
	r.install("wwcbdkcorp")
	old := r.srv.Suite(r.suiteID).PermanentCode("wwcbdkcorp")
	_, err := r.suite.Corp("wwcbdkcorp").GetCallbackIPs(ctx)
	require.NoError(t, err)
	_, err = r.cb.ResetPermanentCode(ctx, "wwcbdkcorp")
	require.NoError(t, err)
	r.wait("reset_permanent_code", func() bool { return r.hasApplied("reset wwcbdkcorp") })
	now := r.srv.Suite(r.suiteID).PermanentCode("wwcbdkcorp")
	require.NotEqual(t, old, now, "the fake did not issue a new code")
	require.NotEmpty(t, now, "the fake did not issue a new code")
	fetches := r.srv.Corp("wwcbdkcorp").TokenFetches()
	_, err = r.suite.Corp("wwcbdkcorp").GetCallbackIPs(ctx)
	require.NoError(t, err, "call with the new secret")
	n := r.srv.Corp("wwcbdkcorp").TokenFetches()
	require.Equal(t, fetches+1, n, "gettoken called %d times after the reset, want 1 (the old token was dropped)", n-fetches)
}

func TestSuiteHandlerConstructors(t *testing.T) {
	t.Parallel()
	key := wecomtest.NewEncodingAESKey()
	_, err := callback.NewSuiteCommandHandler(nil, "t", key)
	assert.Error(t, err, "nil suite accepted by NewSuiteCommandHandler")
	_, err = callback.NewSuiteDataHandler(nil, "t", key)
	assert.Error(t, err, "nil suite accepted by NewSuiteDataHandler")
	_, err = callback.NewSuiteCommandHandler(wecom.NewSuite("", "s"), "t", key)
	assert.Error(t, err, "suite with an empty id accepted")
	_, err = callback.NewSuiteCommandHandler(wecom.NewSuite("wwx", "s"), "t", "short")
	assert.Error(t, err, "bad EncodingAESKey accepted")
	_, err = callback.NewSuiteDataHandler(wecom.NewSuite("wwx", "s"), "t", key, callback.WithWorkers(0, 0))
	assert.Error(t, err, "bad option accepted")

	// A receiver func given to the data handler adds to the authorized corps.
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwcbsuite00009", suiteTestSecret)
	suite := wecom.NewSuite("wwcbsuite00009", suiteTestSecret, srv.SuiteOptions()...)
	h, err := callback.NewSuiteDataHandler(suite, suiteTestToken, key, callback.WithLogger(suiteQuiet),
		callback.WithReceiverFunc(func(rid string) bool { return rid == "wwprovider" }))
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	for rid, want := range map[string]int{"wwprovider": http.StatusOK, "wwstranger": http.StatusForbidden} {
		p := wecomtest.NewPusher(hs.URL, suiteTestToken, key, rid)
		p.Attempts = 1
		res, _ := p.Push(context.Background(), wecomtest.AddExternalContactXML(rid, "u", "wm", "", "", time.Now()))
		assert.Equal(t, want, res.Status(), "receiveid %s answered %d, want %d", rid, res.Status(), want)
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
	require.NoError(f, suite.SetTicket(context.Background(), srv.Suite(suiteID).IssueTicket()))
	key := wecomtest.NewEncodingAESKey()
	at := time.Unix(1700000000, 0)
	f.Add(wecomtest.SuiteTicketXML(suiteID, "ticket-1", at))
	f.Add(wecomtest.SuiteTicketXML(suiteID, "", at))
	f.Add(wecomtest.SuiteTicketXML("wwother", "ticket-2", at))
	f.Add([]byte("<xml><SuiteId>" + suiteID + "</SuiteId><InfoType>suite_ticket</InfoType><SuiteTicket>t</SuiteTicket></xml>"))
	authCode, err := srv.Suite(suiteID).Install(f.Context(), "wwfuzzcorp", "")
	require.NoError(f, err)
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
		require.NoError(t, err)
		p := wecomtest.NewPusher("http://unused", suiteTestToken, key, suiteID)
		body, q, err := p.Envelope(plain, "1700000000", "12345")
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "/?"+q.Encode(), bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.NoError(t, h.Close(context.Background()))
		// 500: a suite_ticket is stored before the answer, and a ticket
		// that cannot be stored fails its push (WeCom re-sends it).
		require.False(t, rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusInternalServerError, "answered %d for %q", rec.Code, plain)
		mu.Lock()
		defer mu.Unlock()
		for _, err := range failed {
			require.NotContains(t, err.Error(), "panicked", "handler panicked for %q: %v", plain, err)
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
			require.NotContains(t, out, authCode, "leaks a code")
			require.NotContains(t, out, permCode, "leaks a code")
		}
		require.Contains(t, fmt.Sprintf("%#v", e), "wwsuite", "%%#v says nothing useful: %#v", e)
	}
}

// Through the command handler, the official sample's ticket is stored.
func TestOfficialTicketSampleIsStored(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "ww4asffe99e54c0fxxxx"
	srv.AddSuite(suiteID, suiteTestSecret)
	store := wecom.NewMemoryStore()
	in := newInstance(t, srv, suiteID, wecomtest.NewEncodingAESKey(), store, callback.WithLogger(suiteQuiet))
	_, err := in.cb.Pusher().Push(t.Context(), []byte(officialTicketSample))
	require.NoError(t, err)
	assert.Equal(t, "asdfasfdasdfasdf", storedTicket(t, store, suiteID))
}

const providerCorpID = "wwprovider00000001"

// urlCheck sends a URL check encrypted for receiveID to url and returns the
// status and body.
func urlCheck(t *testing.T, url, key, receiveID string) (int, string) {
	t.Helper()
	p := wecomtest.NewPusher(url, suiteTestToken, key, receiveID)
	req, err := p.VerifyURLRequest(context.Background(), "1616140317555161061")
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// suiteHandlers serves a command and a data handler for a suite built with opts.
func suiteHandlers(t *testing.T, key string, opts ...wecom.SuiteOption) (cmdURL, dataURL string, suite *wecom.Suite) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwsuiteurl00000001", suiteTestSecret)
	suite = wecom.NewSuite("wwsuiteurl00000001", suiteTestSecret, srv.SuiteOptions(opts...)...)
	cmd, err := callback.NewSuiteCommandHandler(suite, suiteTestToken, key, callback.WithLogger(suiteQuiet))
	require.NoError(t, err)
	data, err := callback.NewSuiteDataHandler(suite, suiteTestToken, key, callback.WithLogger(suiteQuiet))
	require.NoError(t, err)
	cs, ds := httptest.NewServer(cmd), httptest.NewServer(data)
	t.Cleanup(func() {
		cs.Close()
		ds.Close()
		_ = cmd.Close(context.Background())
		_ = data.Close(context.Background())
	})
	return cs.URL, ds.URL, suite
}

func TestSuiteURLChecksAcceptTheProviderCorpID(t *testing.T) {
	t.Parallel()
	key := wecomtest.NewEncodingAESKey()
	cmdURL, dataURL, suite := suiteHandlers(t, key, wecom.WithProviderCorpID(providerCorpID))
	require.Equal(t, providerCorpID, suite.ProviderCorpID())

	for _, tc := range []struct {
		name, url, rid string
		want           int
	}{
		{"command/provider", cmdURL, providerCorpID, http.StatusOK},
		{"command/suite", cmdURL, suite.ID(), http.StatusOK},
		{"command/stranger", cmdURL, "wwstranger00000001", http.StatusForbidden},
		{"data/provider", dataURL, providerCorpID, http.StatusOK},
		{"data/suite", dataURL, suite.ID(), http.StatusOK},
		{"data/stranger", dataURL, "wwstranger00000001", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := urlCheck(t, tc.url, key, tc.rid)
			assert.Equal(t, tc.want, status)
			if tc.want == http.StatusOK {
				assert.Equal(t, "1616140317555161061", body)
			}
		})
	}
}

func TestSuitePushesKeepStrictReceivers(t *testing.T) {
	t.Parallel()
	key := wecomtest.NewEncodingAESKey()
	cmdURL, dataURL, suite := suiteHandlers(t, key, wecom.WithProviderCorpID(providerCorpID))
	ticket := wecomtest.SuiteTicketXML(suite.ID(), "ticket-1", timeNow())
	for _, tc := range []struct {
		name, url, rid string
	}{
		{"command/provider", cmdURL, providerCorpID},
		{"data/provider", dataURL, providerCorpID},
		{"data/suite", dataURL, suite.ID()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wecomtest.NewPusher(tc.url, suiteTestToken, key, tc.rid)
			p.Attempts = 1
			res, _ := p.Push(t.Context(), ticket)
			require.NotNil(t, res)
			assert.Equal(t, http.StatusForbidden, res.Status(), "a push for %s must be refused", tc.rid)
		})
	}
	// The command URL still takes the suite's own pushes.
	p := wecomtest.NewPusher(cmdURL, suiteTestToken, key, suite.ID())
	res, err := p.Push(t.Context(), ticket)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status())
}

func TestSuiteURLCheckWithoutProviderCorpIDSaysWhatToConfigure(t *testing.T) {
	t.Parallel()
	key := wecomtest.NewEncodingAESKey()
	cmdURL, dataURL, suite := suiteHandlers(t, key)
	status, _ := urlCheck(t, cmdURL, key, providerCorpID)
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = urlCheck(t, dataURL, key, suite.ID())
	assert.Equal(t, http.StatusOK, status, "the data URL's check for the suite id passes without a provider corp id")

	// The error a refused check logs names the fix.
	var logged []string
	h, err := callback.NewSuiteCommandHandler(suite, suiteTestToken, key, callback.WithLogger(recordingLogger(&logged)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	status, _ = urlCheck(t, s.URL, key, providerCorpID)
	require.Equal(t, http.StatusForbidden, status)
	require.NotEmpty(t, logged)
	assert.Contains(t, logged[len(logged)-1], "wecom.WithProviderCorpID")
	assert.Contains(t, logged[len(logged)-1], providerCorpID)
}

func timeNow() time.Time { return time.Now() }

// recordingLogger returns a logger appending each line it writes to lines.
func recordingLogger(lines *[]string) *slog.Logger {
	var mu sync.Mutex
	return slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		*lines = append(*lines, string(b))
		mu.Unlock()
		return len(b), nil
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
