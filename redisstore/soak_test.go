package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The soak: go test -run Soak ./... with SOAK set to a duration
// (SOAK=20s; CI runs that). Without SOAK it is skipped.
//
// It starts a redis-server of its own, persisting every write, because it
// restarts it halfway: the server REDIS_ADDR names (CI's) is shared with the
// other tests, which a restart would break. 64 goroutines over two
// instances (each with its own Redis client, Store, Limiter, wecom.Client,
// Suite and callback Handler on a Queue) make reads, writes, iterator walks
// and …Many calls, install the suite in new corps (create_auth pushed to
// the command URL, behind a round-robin of both instances, while suite
// tickets keep arriving), and push add_external_contact events, some
// re-sent to the other instance, to handlers that fail their first run one
// time in four; meanwhile the fake WeCom answers bursts of 45009, -1, 502,
// dropped connections and slow answers (some slower than the calls'
// deadline), tokens are revoked and expired, and Redis is stopped and
// started again once. At the end:
//
//   - no write was applied twice: each add_contact_way carries a state of
//     its own, and the fake holds at most one contact way per state (one
//     exactly for the writes that succeeded);
//   - no event lost or completed twice: every push answered "success" (and
//     every push re-sent after the soak, as WeCom would) completed once;
//   - every error was typed (a WeCom errcode, an HTTP status, a rate
//     limit, an outcome unknown, a deadline or a network error);
//   - no goroutine was left behind (goleak) and the heap came back near
//     its start.

// soakDuration is SOAK's duration; the test is skipped without it.
func soakDuration(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv("SOAK")
	if v == "" {
		t.Skip("the soak runs when SOAK gives a duration (SOAK=20s go test -run Soak ./redisstore)")
	}
	d, err := time.ParseDuration(v)
	require.NoError(t, err, "SOAK")
	return d
}

// soakCounts are what the soak counts, printed at the end.
type soakCounts struct {
	reads, readErrs     atomic.Int64
	writes, writeErrs   atomic.Int64
	writesUnknown       atomic.Int64 // outcome unknown (MaybeCreated)
	iters, iterErrs     atomic.Int64
	many, manyErrs      atomic.Int64
	installs            atomic.Int64
	installsOK          atomic.Int64
	pushes, delivered   atomic.Int64
	resentElsewhere     atomic.Int64
	handlerFailures     atomic.Int64
	faults, revocations atomic.Int64
	tickets             atomic.Int64
}

// errorKinds classifies every error the SDK returned; untyped ones are kept.
type errorKinds struct {
	mu      sync.Mutex
	kinds   map[string]int
	example map[string]string // kind → the first error of the kind
	untyped []string
}

func (k *errorKinds) add(err error) {
	kind := errorKind(err)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.kinds[kind]++
	if _, ok := k.example[kind]; !ok {
		k.example[kind] = err.Error()
	}
	if kind == "untyped" && len(k.untyped) < 10 {
		k.untyped = append(k.untyped, fmt.Sprintf("%T: %v", err, err))
	}
}

// errorKind names what a caller can tell from err with the SDK's types and
// predicates.
func errorKind(err error) string {
	var apiErr *wecom.Error
	var httpErr *wecom.HTTPError
	var netErr net.Error
	switch {
	case errors.Is(err, wecom.ErrOutcomeUnknown):
		return "outcome unknown"
	case wecom.IsRateLimited(err):
		return "rate limited"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("errcode %d", apiErr.Code)
	case errors.As(err, &httpErr):
		return fmt.Sprintf("HTTP %d", httpErr.StatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "network"
	}
	return "untyped"
}

func TestSoak(t *testing.T) {
	d := soakDuration(t)
	leaks := goleak.IgnoreCurrent()
	start := heapAlloc()
	var peak uint64
	// The load runs as a subtest, whose cleanups close every instance,
	// server and client it made, and after which nothing it made is
	// reachable: then no goroutine may be left, and the heap must be back
	// near what it was before the soak.
	t.Run("load", func(t *testing.T) { peak = soakLoad(t, d) })
	goleak.VerifyNone(t, leaks)
	end := heapAlloc()
	t.Logf("soak: heap %.1f MiB before, %.1f MiB under load (after a GC), %.1f MiB after", mib(start), mib(peak), mib(end))
	assert.Less(t, end, start+soakHeapSlack, "the heap came back near its start")
}

// soakHeapSlack is how much more heap than before the soak may remain
// after it: what the runtime and the libraries keep once warmed up (pools,
// caches of scripts, TLS-free HTTP transports' buffers), not the soak's
// objects, which run to tens of MiB under load.
const soakHeapSlack = 4 << 20

// soakLoad runs the soak's load for d and checks its outcome; it returns
// the heap measured under load.
func soakLoad(t *testing.T, d time.Duration) (heapUnderLoad uint64) {
	rs := startOwnRedis(t)
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)
	staff := []string{"zhangsan", "lisi", "wangwu"}
	require.NoError(t, corp.AddStaff(staff...))
	_, err := corp.SeedCustomers(120, staff)
	require.NoError(t, err)

	const suiteID, suiteSecret = "wwsoaksuite000001", "soak-suite-secret"
	suiteKey := wecomtest.NewEncodingAESKey()
	fakeSuite := srv.AddSuite(suiteID, suiteSecret)

	var c soakCounts
	errs := &errorKinds{kinds: map[string]int{}, example: map[string]string{}}
	var mu sync.Mutex
	completed := map[string]int{} // event → runs that completed
	delivered := map[string]bool{}
	var undelivered []string

	type instance struct {
		store    *Store
		client   *wecom.Client
		contacts *contact.Service
		suite    *wecom.Suite
		queue    *Queue
		p        *wecomtest.Pusher
		command  http.Handler
	}
	var ins [2]*instance
	for i := range ins {
		rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
		t.Cleanup(func() { _ = rdb.Close() })
		s, err := New(t.Context(), rdb, WithPrefix("soak:"), WithEncryptionKey(testKey(5)), WithLogger(quiet))
		require.NoError(t, err)
		lim := s.NewLimiter(wecom.Limit{PerMinute: 600_000, PerHour: 36_000_000}, nil)
		cl := srv.Client(wecom.WithStore(s), wecom.WithLimiter(lim))
		q, err := s.NewQueue(WithName("soak"), WithWorkers(8), WithMaxAttempts(8), WithBackoff(10*time.Millisecond),
			WithVisibilityTimeout(2*time.Second), WithPollInterval(50*time.Millisecond))
		require.NoError(t, err)
		h := newTestHandler(t, callback.WithQueue(q), callback.WithHandlerTimeout(5*time.Second))
		h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
			dl, _ := callback.DeliveryFromContext(ctx)
			if dl.Attempt == 1 && strings.HasSuffix(ev.ExternalUserID, "3") { // one in four (the last digit of 0..n)
				c.handlerFailures.Add(1)
				return errors.New("the CRM is down")
			}
			mu.Lock()
			completed[ev.ExternalUserID]++
			mu.Unlock()
			return nil
		})
		h.Start()
		suite := wecom.NewSuite(suiteID, suiteSecret, srv.SuiteOptions(wecom.WithStore(s), wecom.WithLimiter(lim), wecom.WithLogger(quiet))...)
		cmd, err := callback.NewSuiteCommandHandler(suite, "soaktoken", suiteKey, callback.WithLogger(quiet),
			callback.WithDedupStore(s, time.Minute),
			callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) { errs.add(err) }))
		require.NoError(t, err)
		t.Cleanup(func() { _ = cmd.Close(context.Background()) })
		ins[i] = &instance{store: s, client: cl, contacts: contact.New(cl), suite: suite, queue: q, p: servePusher(t, h), command: cmd}
	}
	// the suite's command URL: a round-robin over both instances
	var rr atomic.Int64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ins[rr.Add(1)%2].command.ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	fakeSuite.SetCallback(lb.URL, "soaktoken", suiteKey)
	_, err = fakeSuite.PushNewTicket(t.Context())
	require.NoError(t, err)

	for _, in := range ins {
		_, err := in.contacts.ListFollowUsers(t.Context())
		require.NoError(t, err)
	}

	end := time.Now().Add(d)
	var wg sync.WaitGroup
	var states sync.Map // add_contact_way state → "ok", "unknown" or "failed"
	var events atomic.Int64
	for g := range 64 {
		in := ins[g%2]
		other := ins[(g+1)%2]
		rng := rand.New(rand.NewPCG(uint64(g), 19))
		wg.Go(func() {
			for n := 0; time.Now().Before(end); n++ {
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
				switch op := rng.IntN(100); {
				case op < 30: // read
					c.reads.Add(1)
					if _, err := in.contacts.ListFollowUsers(ctx); err != nil {
						c.readErrs.Add(1)
						errs.add(err)
					}
				case op < 45: // write: a create, never to be applied twice
					state := fmt.Sprintf("s%d-%d", g, n)
					c.writes.Add(1)
					_, err := in.contacts.AddContactWay(ctx, &contact.AddContactWayRequest{
						Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, State: state, User: []string{staff[n%len(staff)]}})
					switch {
					case err == nil:
						states.Store(state, "ok")
					case errors.Is(err, wecom.ErrOutcomeUnknown):
						c.writesUnknown.Add(1)
						states.Store(state, "unknown")
						errs.add(err)
					default:
						c.writeErrs.Add(1)
						states.Store(state, "failed")
						errs.add(err)
					}
				case op < 55: // iterator: every customer of the staff, page by page
					c.iters.Add(1)
					for _, err := range in.contacts.BatchGetByUserIter(ctx, &contact.BatchGetByUserRequest{UserIDList: staff, Limit: 50}) {
						if err != nil {
							c.iterErrs.Add(1)
							errs.add(err)
							break
						}
					}
				case op < 63: // …Many
					c.many.Add(1)
					res, err := in.contacts.BatchGetByUserMany(ctx, &contact.BatchGetByUserRequest{UserIDList: staff, Limit: 100}, 2)
					if err != nil {
						c.manyErrs.Add(1)
						errs.add(err)
					}
					for _, r := range res {
						if r.Err != nil {
							c.manyErrs.Add(1)
							errs.add(r.Err)
							break
						}
					}
				case op < 66: // a corp installs the suite
					c.installs.Add(1)
					corpID := fmt.Sprintf("wwsoakcorp%02d%04d", g, n)
					if _, err := fakeSuite.Install(ctx, corpID, ""); err == nil {
						c.installsOK.Add(1)
					}
				default: // a push, re-sent by WeCom when not answered "success"
					ext := fmt.Sprintf("wmSoak%d", events.Add(1))
					ev := addEvent(ext)
					c.pushes.Add(1)
					res, err := in.p.Push(ctx, ev)
					ok := err == nil && res.Body() == "success"
					if ok && rng.IntN(5) == 0 { // a re-send landing on the other instance
						c.resentElsewhere.Add(1)
						if res, err := other.p.Push(ctx, ev); err == nil && res.Body() == "success" {
							ok = true
						}
					}
					mu.Lock()
					if ok {
						delivered[ext] = true
					} else {
						undelivered = append(undelivered, ext)
					}
					mu.Unlock()
				}
				cancel()
			}
		})
	}

	// The chaos, until the end; Redis restarted halfway.
	paths := []string{"/cgi-bin/externalcontact/get_follow_user_list", "/cgi-bin/externalcontact/add_contact_way",
		"/cgi-bin/externalcontact/batch/get_by_user", "/cgi-bin/gettoken", "/cgi-bin/service/get_permanent_code",
		"/cgi-bin/service/get_suite_token"}
	chaos := rand.New(rand.NewPCG(7, 7))
	restarted := false
	for time.Now().Before(end) {
		if !restarted && time.Until(end) < d/2 {
			restarted = true
			rs.Stop()
			time.Sleep(min(5*time.Second, d/4)) // longer than go-redis's retries
			rs.Start()
		}
		path := paths[chaos.IntN(len(paths))]
		c.faults.Add(1)
		switch chaos.IntN(8) {
		case 0:
			srv.Fail(path, wecomtest.Fault{Errcode: int(wecom.CodeFreqOutOfLimit), Times: 5})
		case 1:
			srv.Fail(path, wecomtest.Fault{Errcode: int(wecom.CodeSystemBusy), Times: 3})
		case 2:
			srv.Fail(path, wecomtest.Fault{HTTPStatus: http.StatusBadGateway, Times: 2})
		case 3:
			srv.Fail(path, wecomtest.Fault{Drop: true, Times: 2})
		case 4:
			srv.Fail(path, wecomtest.Fault{Latency: 300 * time.Millisecond, Times: 3})
		case 5:
			srv.Fail(path, wecomtest.Fault{Latency: 2500 * time.Millisecond}) // beyond the call's deadline
		case 6:
			c.faults.Add(-1)
			c.revocations.Add(1)
			if chaos.IntN(2) == 0 {
				corp.RevokeTokens()
			} else {
				corp.ExpireTokens()
			}
		case 7:
			c.faults.Add(-1)
			c.tickets.Add(1)
			_, _ = fakeSuite.PushNewTicket(t.Context())
		}
		srv.ResetRequests() // the fake's request log would grow for ever
		time.Sleep(100 * time.Millisecond)
	}
	heapUnderLoad = heapAlloc()
	wg.Wait()
	srv.ClearFaults()

	// WeCom re-sends what was never answered "success".
	for i, ext := range undelivered {
		p := *ins[i%2].p
		p.Attempts = 1
		eventually(t, "a push re-sent after the soak is stored", func() bool {
			res, err := p.Push(t.Context(), addEvent(ext))
			return err == nil && res.Body() == "success"
		})
	}
	all := int(events.Load())
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		done := len(completed)
		mu.Unlock()
		st := stats(t, ins[0].queue)
		if done == all && st == (QueueStats{}) {
			break
		}
		require.True(t, time.Now().Before(deadline), "events completed: %d of %d; queue %+v", done, all, st)
		time.Sleep(50 * time.Millisecond)
	}

	// No write applied twice: one contact way per state at most.
	perState := map[string]int{}
	for id, err := range ins[0].contacts.ListContactWaysIter(t.Context(), &contact.ListContactWaysRequest{Limit: 1000}) {
		require.NoError(t, err)
		w, err := ins[0].contacts.GetContactWay(t.Context(), id)
		require.NoError(t, err)
		perState[w.State]++
	}
	var twice, missing, unknownApplied int
	states.Range(func(k, v any) bool {
		n := perState[k.(string)]
		switch {
		case n > 1:
			twice++
		case v == "ok" && n != 1:
			missing++
		case v == "unknown" && n == 1:
			unknownApplied++
		}
		return true
	})

	mu.Lock()
	completedTwice := 0
	for _, n := range completed {
		if n != 1 {
			completedTwice++
		}
	}
	c.delivered.Store(int64(len(delivered)))
	mu.Unlock()
	errs.mu.Lock()
	kinds := make([]string, 0, len(errs.kinds))
	for k, n := range errs.kinds {
		kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(kinds)
	if testing.Verbose() {
		for k, e := range errs.example {
			t.Logf("soak: a %s error: %s", k, e)
		}
	}
	untyped := errs.untyped
	errs.mu.Unlock()
	t.Logf("soak %v, 64 goroutines, 2 instances, Redis restarted once:\n"+
		"  reads %d (%d failed), writes %d (%d failed, %d outcome unknown, of which %d applied), iterator walks %d (%d failed), Many calls %d (%d failed)\n"+
		"  suite installs %d (%d pushed), suite tickets pushed %d\n"+
		"  pushes %d (%d answered success, %d re-sent after the soak, %d re-sent to the other instance), handler failures %d, events completed %d\n"+
		"  faults injected %d, token revocations/expiries %d, token fetches %d\n"+
		"  errors by kind: %s",
		d, c.reads.Load(), c.readErrs.Load(), c.writes.Load(), c.writeErrs.Load(), c.writesUnknown.Load(), unknownApplied,
		c.iters.Load(), c.iterErrs.Load(), c.many.Load(), c.manyErrs.Load(),
		c.installs.Load(), c.installsOK.Load(), c.tickets.Load(),
		c.pushes.Load(), c.delivered.Load(), len(undelivered), c.resentElsewhere.Load(), c.handlerFailures.Load(), len(completed),
		c.faults.Load(), c.revocations.Load(), corp.TokenFetches(), strings.Join(kinds, ", "))

	assert.Zero(t, twice, "writes applied twice")
	assert.Zero(t, missing, "writes answered ok but not applied")
	assert.Zero(t, completedTwice, "events completed more than once")
	assert.Equal(t, all, len(completed), "events completed")
	assert.Empty(t, untyped, "errors of no type the SDK documents")
	assert.Positive(t, c.reads.Load())
	assert.Positive(t, c.writes.Load())
	assert.Positive(t, c.delivered.Load())
	return heapUnderLoad
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
