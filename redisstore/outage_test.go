package redisstore

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// ownRedis is a redis-server of the test's own, which it may stop and
// start again (never the shared one REDIS_ADDR names). It persists every
// write (appendonly, fsync always), as a deployment whose queue must
// survive a Redis restart does.
type ownRedis struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	Addr string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// startOwnRedis starts a redis-server on a free loopback port, or skips
// the test when there is none to start (fails it under CI=true).
func startOwnRedis(t testing.TB) *ownRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "this test starts and stops a redis-server of its own, and none is installed (apt-get install redis-server)"
		if os.Getenv("CI") == "true" {
			require.Fail(t, msg)
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	r := &ownRedis{t: t, bin: bin, dir: t.TempDir(), port: port, Addr: "127.0.0.1:" + strconv.Itoa(port)}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// Start starts the server (again) and waits until it answers.
func (r *ownRedis) Start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	cmd := exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile", "redis.log")
	require.NoError(r.t, cmd.Start())
	r.cmd = cmd
	c := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		require.True(r.t, time.Now().Before(deadline), "redis-server did not start on %s", r.Addr)
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the server down as an operator would (SIGTERM: it finishes
// writing its log of writes) and waits for its end.
func (r *ownRedis) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	_ = r.cmd.Wait()
	r.cmd = nil
}

// outageFor is how long TestRedisOutage keeps Redis stopped: 30 s, or the
// duration REDIS_OUTAGE gives (e.g. REDIS_OUTAGE=5s for a quick local
// run). Nothing in the behaviour depends on the length beyond the
// visibility timeout (1 s here) and the claim grace (claimGrace), both of
// which 5 s already outlasts.
func outageFor(t *testing.T) time.Duration {
	t.Helper()
	if v := os.Getenv("REDIS_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "REDIS_OUTAGE")
		return d
	}
	return 30 * time.Second
}

// The shared Redis stops for 30 s and starts again, under two instances
// that call WeCom, receive pushes and run them:
//
//   - API calls keep working throughout, also after WeCom revoked the
//     token mid-outage: each instance fetches a new token once (under the
//     lock's in-process fallback), and the limiter limits in process;
//   - pushes that arrive during the outage are answered 503, never
//     "success", so that WeCom re-sends them;
//   - runs in progress when Redis stopped finish, and their done marks and
//     acknowledgements land once Redis answers, before any instance may
//     claim them (their visibility timeout, 1 s, ran out long before);
//   - afterwards every push answered "success", and every push re-sent
//     after the restart, has run exactly once.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	outage := outageFor(t)
	rs := startOwnRedis(t)
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)

	var mu sync.Mutex
	runs := map[string]int{}
	var slowStarted sync.WaitGroup
	slowStarted.Add(2)
	release := make(chan struct{})
	type instance struct {
		store  *Store
		client *wecom.Client
		queue  *Queue
		p      *wecomtest.Pusher
	}
	var ins [2]instance
	for i := range ins {
		rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
		t.Cleanup(func() { _ = rdb.Close() })
		s, err := New(t.Context(), rdb, WithPrefix("outage:"), WithEncryptionKey(testKey(7)), WithLogger(quiet))
		require.NoError(t, err)
		lim := s.NewLimiter(wecom.DefaultLimit(), nil)
		q, err := s.NewQueue(fastQueue("outage")...)
		require.NoError(t, err)
		h := newTestHandler(t, callback.WithQueue(q))
		h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
			if strings.HasPrefix(ev.ExternalUserID, "wmSlow") {
				slowStarted.Done()
				<-release // still running when Redis stops
			}
			mu.Lock()
			runs[ev.ExternalUserID]++
			mu.Unlock()
			return nil
		})
		h.Start()
		ins[i] = instance{store: s, client: srv.Client(wecom.WithStore(s), wecom.WithLimiter(lim)), queue: q, p: servePusher(t, h)}
	}
	ranOnce := func(exts ...string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range exts {
			if runs[e] != 1 {
				return false
			}
		}
		return true
	}

	// Before: tokens warm (one fetch for both: the lock), pushes flowing.
	for _, in := range ins {
		_, err := in.client.GetAPIDomainIPs(t.Context())
		require.NoError(t, err)
	}
	assert.Equal(t, 1, corp.TokenFetches())
	var before []string
	for i := range 10 {
		ext := fmt.Sprint("wmBefore", i)
		before = append(before, ext)
		res, err := ins[i%2].p.Push(t.Context(), addEvent(ext))
		require.NoError(t, err)
		require.Equal(t, "success", res.Body())
	}
	eventually(t, "the pushes before the outage ran", func() bool { return ranOnce(before...) })
	slow := []string{"wmSlow0", "wmSlow1"}
	for i, ext := range slow {
		res, err := ins[i].p.Push(t.Context(), addEvent(ext))
		require.NoError(t, err)
		require.Equal(t, "success", res.Body())
	}
	slowStarted.Wait()

	// The outage.
	rs.Stop()
	end := time.Now().Add(outage)
	close(release) // the slow runs end now: their acknowledgements wait for Redis

	var calls, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for _, in := range ins {
		for range 2 {
			wg.Go(func() {
				for time.Now().Before(end) {
					_, err := in.client.GetAPIDomainIPs(t.Context())
					calls.Add(1)
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
					time.Sleep(50 * time.Millisecond)
				}
			})
		}
	}
	// The lock degrades to one of the process: holders take turns.
	wg.Go(func() {
		unlock, err := ins[0].store.Lock(t.Context(), "outage-lock", time.Minute)
		if !assert.NoError(t, err) {
			return
		}
		got := make(chan struct{})
		go func() {
			unlock2, err := ins[0].store.Lock(t.Context(), "outage-lock", time.Minute)
			if assert.NoError(t, err) {
				unlock2()
			}
			close(got)
		}()
		select {
		case <-got:
			assert.Fail(t, "a second holder got the lock while the first held it")
		case <-time.After(100 * time.Millisecond):
		}
		unlock()
		<-got
	})
	// WeCom revokes the token mid-outage; pushes keep arriving.
	var during []string
	var refused []int
	for i := 0; time.Now().Before(end); i++ {
		if i == 3 {
			corp.RevokeTokens()
		}
		ext := fmt.Sprint("wmDuring", i)
		during = append(during, ext)
		p := *ins[i%2].p
		p.Attempts = 1
		res, _ := p.Push(t.Context(), addEvent(ext))
		refused = append(refused, res.Status())
		time.Sleep(min(outage/10, time.Until(end)))
	}
	wg.Wait()
	fetches := corp.TokenFetches()
	rs.Start()

	// After: WeCom re-sends what was refused; everything runs once.
	for i, ext := range during {
		p := *ins[(i+1)%2].p
		p.Attempts = 1
		eventually(t, "a re-send after the outage is stored", func() bool {
			res, err := p.Push(t.Context(), addEvent(ext))
			return err == nil && res.Body() == "success"
		})
	}
	all := append(append(append([]string(nil), before...), slow...), during...)
	eventually(t, "every push ran", func() bool { return ranOnce(all...) })
	eventually(t, "the stream emptied", func() bool { return stats(t, ins[0].queue) == QueueStats{} })
	// past the claim grace and a visibility timeout: nothing runs again
	time.Sleep(claimGrace + 2*time.Second)

	t.Logf("outage %v: %d API calls, %d failed; token fetches %d (1 before); %d pushes refused during it (statuses %v)",
		outage, calls.Load(), failed.Load(), fetches, len(during), refused)
	assert.Zero(t, failed.Load(), "API calls failed during the outage: %v", firstErr.Load())
	assert.Positive(t, calls.Load())
	assert.Equal(t, 3, fetches, "one fetch before, and one per instance after the revocation")
	for _, st := range refused {
		assert.Equal(t, http.StatusServiceUnavailable, st, "a push that cannot be stored is answered 503")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ext := range all {
		assert.Equal(t, 1, runs[ext], "runs of %s", ext)
	}
	assert.Len(t, runs, len(all))
}
