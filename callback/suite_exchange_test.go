package callback_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// outcomes records what the suite hooks and the error hook of one or more
// command handlers report.
type outcomes struct {
	mu         sync.Mutex
	authorized map[string]int // corp → Authorized calls
	deferred   int
	errs       []error
	changed    chan struct{}
}

func newOutcomes() *outcomes {
	return &outcomes{authorized: map[string]int{}, changed: make(chan struct{}, 1)}
}

func (o *outcomes) note(f func()) {
	o.mu.Lock()
	f()
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

func (o *outcomes) options() []callback.Option {
	return []callback.Option{
		callback.WithLogger(suiteQuiet),
		callback.WithSuiteHooks(callback.SuiteHooks{
			Authorized: func(_ context.Context, _ *callback.CreateAuthEvent, info *wecom.PermanentCodeInfo) error {
				o.note(func() { o.authorized[info.AuthCorpInfo.CorpID]++ })
				return nil
			},
			ExchangeDeferred: func(context.Context, callback.Event, error) { o.note(func() { o.deferred++ }) },
		}),
		callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) {
			o.note(func() { o.errs = append(o.errs, err) })
		}),
	}
}

// waitFor waits until cond holds (checked under the lock) or fails the test.
func (o *outcomes) waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		o.mu.Lock()
		ok := cond()
		o.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-o.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			o.mu.Lock()
			defer o.mu.Unlock()
			require.Failf(t, "timed out", "waiting for %s: %d authorized, %d deferred, errors %v", what, len(o.authorized), o.deferred, o.errs)
		}
	}
}

// instance is one server instance: a Suite on the shared store and its
// command handler on loopback.
type instance struct {
	suite *wecom.Suite
	cmd   *callback.Handler
	cb    *wecomtest.Suite
}

func newInstance(t *testing.T, srv *wecomtest.Server, suiteID, key string, store wecom.Store, opts ...callback.Option) *instance {
	t.Helper()
	suite := wecom.NewSuite(suiteID, suiteTestSecret, srv.SuiteOptions(wecom.WithStore(store), wecom.WithLogger(suiteQuiet))...)
	cmd, err := callback.NewSuiteCommandHandler(suite, suiteTestToken, key, opts...)
	require.NoError(t, err)
	hs := httptest.NewServer(cmd)
	t.Cleanup(func() {
		hs.Close()
		_ = cmd.Close(context.Background())
	})
	return &instance{suite: suite, cmd: cmd, cb: srv.Suite(suiteID).SetCallback(hs.URL, suiteTestToken, key)}
}

func storedTicket(t *testing.T, store wecom.Store, suiteID string) string {
	t.Helper()
	v, ok, err := store.Get(context.Background(), "wecom:suite:"+suiteID+":ticket")
	require.NoError(t, err)
	if !ok {
		return ""
	}
	for i := 0; i < len(v); i++ {
		if v[i] == ':' {
			return v[i+1:]
		}
	}
	return ""
}

// A suite_ticket is stored before its push is answered, even when every
// worker is busy.
func TestSuiteTicketIsStoredBeforeTheAnswer(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbticketsync01"
	srv.AddSuite(suiteID, suiteTestSecret)
	store := wecom.NewMemoryStore()
	key := wecomtest.NewEncodingAESKey()
	in := newInstance(t, srv, suiteID, key, store, callback.WithLogger(suiteQuiet), callback.WithWorkers(1, 8))

	release := make(chan struct{})
	busy := make(chan struct{})
	in.cmd.On("slow_event", func(context.Context, callback.Event) error {
		close(busy)
		<-release
		return nil
	})
	defer close(release)
	_, err := in.cb.Pusher().Push(t.Context(),
		[]byte("<xml><SuiteId>"+suiteID+"</SuiteId><InfoType>slow_event</InfoType><TimeStamp>1</TimeStamp></xml>"))
	require.NoError(t, err)
	<-busy // the only worker is taken

	ticket, err := in.cb.PushNewTicket(t.Context())
	require.NoError(t, err)
	assert.Equal(t, ticket, storedTicket(t, store, suiteID), "the ticket must be stored when its push is answered")
	_, err = in.suite.AccessToken(t.Context())
	assert.NoError(t, err)
}

// An install that arrives before any ticket completes once a ticket lands.
func TestSuiteInstallBeforeTheFirstTicketCompletes(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbearlyinst01"
	srv.AddSuite(suiteID, suiteTestSecret)
	o := newOutcomes()
	in := newInstance(t, srv, suiteID, wecomtest.NewEncodingAESKey(), wecom.NewMemoryStore(), o.options()...)
	ctx := t.Context()

	_, err := in.cb.Install(ctx, "wwcbearlycorp", "")
	require.NoError(t, err, "the install is answered although no ticket is stored")
	o.waitFor(t, "the deferral", 5*time.Second, func() bool { return o.deferred == 1 })
	ok, err := in.suite.IsAuthorized(ctx, "wwcbearlycorp")
	require.NoError(t, err)
	require.False(t, ok)
	require.Zero(t, srv.Count("/cgi-bin/service/v2/get_permanent_code"), "no ticket, no suite token: the code must not be sent")

	_, err = in.cb.PushNewTicket(ctx)
	require.NoError(t, err)
	o.waitFor(t, "the install", 5*time.Second, func() bool { return o.authorized["wwcbearlycorp"] == 1 })
	ok, err = in.suite.IsAuthorized(ctx, "wwcbearlycorp")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1, srv.Count("/cgi-bin/service/v2/get_permanent_code"))
	o.mu.Lock()
	assert.Empty(t, o.errs)
	o.mu.Unlock()
}

// 1,000 installs interleaved with ticket pushes: none is lost.
func TestSuiteThousandInstallsWithTicketPushesLoseNone(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbthousand0001"
	srv.AddSuite(suiteID, suiteTestSecret)
	o := newOutcomes()
	const n = 1000
	// A queue that holds the burst: a full queue answers 503 and WeCom
	// re-sends, which is not what this test is about.
	in := newInstance(t, srv, suiteID, wecomtest.NewEncodingAESKey(), wecom.NewMemoryStore(),
		append(o.options(), callback.WithWorkers(callback.SuiteCommandWorkers, n))...)
	ctx := t.Context()

	// The pattern of wecomtest.Suite's doc: tickets start, installs
	// follow at once.
	stop := in.cb.StartTicketPush(3 * time.Millisecond)
	var g errgroup.Group
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			_, err := in.cb.Install(ctx, fmt.Sprintf("wwcbmany%04d", i), "")
			return err
		})
	}
	require.NoError(t, g.Wait())
	require.NoError(t, stop())
	o.waitFor(t, "every install", 30*time.Second, func() bool { return len(o.authorized) == n })
	o.mu.Lock()
	defer o.mu.Unlock()
	assert.Empty(t, o.errs)
	for corp, calls := range o.authorized {
		assert.Equal(t, 1, calls, corp)
	}
	corps, err := in.suite.AuthorizedCorps(ctx)
	require.NoError(t, err)
	assert.Len(t, corps, n)
	assert.Equal(t, n, srv.Count("/cgi-bin/service/v2/get_permanent_code"), "one exchange per auth code")
}

// Two instances sharing one Store: installs wait on one, the ticket lands
// on the other (and on both); each code is exchanged exactly once.
func TestSuiteTwoInstancesExchangeEachCodeOnce(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbtwoinst00001"
	srv.AddSuite(suiteID, suiteTestSecret)
	store := wecom.NewMemoryStore()
	key := wecomtest.NewEncodingAESKey()
	o := newOutcomes()
	a := newInstance(t, srv, suiteID, key, store, o.options()...)
	b := newInstance(t, srv, suiteID, key, store, o.options()...)
	ctx := t.Context()

	const n = 40
	for i := range n {
		_, err := a.cb.Install(ctx, fmt.Sprintf("wwcbtwo%03d", i), "")
		require.NoError(t, err)
	}
	o.waitFor(t, "every deferral", 10*time.Second, func() bool { return o.deferred == n })

	ticket := srv.Suite(suiteID).IssueTicket()
	var g errgroup.Group
	for _, in := range []*instance{a, b} {
		g.Go(func() error {
			_, err := in.cb.PushTicket(ctx, ticket, time.Now())
			return err
		})
	}
	require.NoError(t, g.Wait())
	o.waitFor(t, "every install", 20*time.Second, func() bool { return len(o.authorized) == n })
	o.mu.Lock()
	defer o.mu.Unlock()
	assert.Empty(t, o.errs)
	for corp, calls := range o.authorized {
		assert.Equal(t, 1, calls, corp)
	}
	assert.Equal(t, n, srv.Count("/cgi-bin/service/v2/get_permanent_code"), "each code sent once")
}

// A code whose exchange keeps waiting past its 10 minutes is reported, once.
func TestSuiteWaitingExchangeExpires(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbexpire00001"
	srv.AddSuite(suiteID, suiteTestSecret)
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	o := newOutcomes()
	in := newInstance(t, srv, suiteID, wecomtest.NewEncodingAESKey(), wecom.NewMemoryStore(),
		append(o.options(), callback.WithClock(clock))...)
	ctx := t.Context()

	code, err := in.cb.Install(ctx, "wwcbexpirecorp", "")
	require.NoError(t, err)
	o.waitFor(t, "the deferral", 5*time.Second, func() bool { return o.deferred == 1 })
	skew.Store(int64(11 * time.Minute))
	_, err = in.cb.PushNewTicket(ctx) // wakes the runner
	require.NoError(t, err)
	o.waitFor(t, "the report", 5*time.Second, func() bool { return len(o.errs) == 1 })
	o.mu.Lock()
	reported := o.errs[0]
	o.mu.Unlock()
	var ae *callback.SuiteAuthCodeError
	require.ErrorAs(t, reported, &ae)
	assert.ErrorIs(t, reported, callback.ErrAuthCodeExpired)
	assert.Equal(t, code, ae.AuthCode)
	assert.NotContains(t, reported.Error(), code)
	assert.Zero(t, srv.Count("/cgi-bin/service/v2/get_permanent_code"), "an expired code is not sent")

	// Nothing is left waiting: another ticket reports nothing more.
	_, err = in.cb.PushNewTicket(ctx)
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	o.mu.Lock()
	assert.Len(t, o.errs, 1)
	o.mu.Unlock()
}

// A code WeCom refuses is reported at once, never kept.
func TestSuiteRefusedCodeIsNotKept(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbrefused0001"
	srv.AddSuite(suiteID, suiteTestSecret)
	o := newOutcomes()
	in := newInstance(t, srv, suiteID, wecomtest.NewEncodingAESKey(), wecom.NewMemoryStore(), o.options()...)
	ctx := t.Context()
	_, err := in.cb.PushNewTicket(ctx)
	require.NoError(t, err)
	srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{Errcode: 40029})
	_, err = in.cb.Install(ctx, "wwcbrefusedcorp", "")
	require.NoError(t, err)
	o.waitFor(t, "the report", 5*time.Second, func() bool { return len(o.errs) == 1 })
	o.mu.Lock()
	defer o.mu.Unlock()
	assert.Zero(t, o.deferred)
	assert.Equal(t, 40029, wecom.ErrorCode(o.errs[0]))
}

// A frequency limit on the exchange leaves the code unspent: it is kept and
// the install completes when the limit lifts.
func TestSuiteRateLimitedExchangeIsRetried(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwcbratelim0001"
	srv.AddSuite(suiteID, suiteTestSecret)
	o := newOutcomes()
	in := newInstance(t, srv, suiteID, wecomtest.NewEncodingAESKey(), wecom.NewMemoryStore(), o.options()...)
	ctx := t.Context()
	_, err := in.cb.PushNewTicket(ctx)
	require.NoError(t, err)
	srv.Fail("/cgi-bin/service/v2/get_permanent_code", wecomtest.Fault{Errcode: 45009, Times: 1})
	_, err = in.cb.Install(ctx, "wwcbratelimcorp", "")
	require.NoError(t, err)
	o.waitFor(t, "the install", 10*time.Second, func() bool { return o.authorized["wwcbratelimcorp"] == 1 })
	o.mu.Lock()
	defer o.mu.Unlock()
	assert.Equal(t, 1, o.deferred)
	assert.Empty(t, o.errs)
	assert.Equal(t, 2, srv.Count("/cgi-bin/service/v2/get_permanent_code"), "refused once, then exchanged")
}
