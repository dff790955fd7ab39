package redisstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// immediate counts the calls that may go out at once: each Wait gets a
// deadline, which a call that would have to wait cannot meet, so the
// limiter refuses it at once (while ctx is still live). A try whose ctx
// really ran out (a slow machine) is made again.
func immediate(t *testing.T, l wecom.Limiter, corp, path string, tries int) int {
	t.Helper()
	n := 0
	for i := 0; i < tries; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := l.Wait(ctx, corp, path)
		expired := ctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			n++
		case expired:
			i-- // not the limiter's answer
		default:
			require.ErrorIs(t, err, wecom.ErrRateLimited)
			var rl *wecom.RateLimitError
			require.ErrorAs(t, err, &rl)
			require.Positive(t, rl.Wait)
		}
	}
	return n
}

// still stretches l's windows so that nothing refills while a test counts a
// burst: at 100 a minute a token comes back every 667 ms, which a loaded
// machine can spend on 15 round trips to Redis, and the count would be the
// burst plus one. The bursts (a tenth of each limit) do not depend on the
// windows.
func still(l *Limiter) *Limiter {
	l.minute, l.hour = 1000*time.Hour, 1000*time.Hour
	return l
}

// The shared limiter lets the same bursts through as wecom.MemoryLimiter,
// per corp and path, with per-path overrides and per-hour limits.
func TestLimiterMatchesTheMemoryLimiter(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		def := wecom.Limit{PerMinute: 100, PerHour: 150_000}
		over := map[string]wecom.Limit{
			"externalcontact/add_moment_task": {PerMinute: 10},
			"/cgi-bin/hourly":                 {PerHour: 30},
		}
		mem := wecom.NewMemoryLimiter(def, over)
		red := still(open(t, b, testPrefix(t, b)).NewLimiter(def, over))
		for _, c := range []struct {
			corp, path string
			want       int
		}{
			{"wwA", "/cgi-bin/externalcontact/list", 10}, // burst: a tenth of 100/min
			{"wwA", "/cgi-bin/externalcontact/get", 10},  // another path: its own buckets
			{"wwB", "/cgi-bin/externalcontact/list", 10}, // another corp too
			{"wwA", "/cgi-bin/externalcontact/add_moment_task", 1},
			{"wwA", "/cgi-bin/hourly", 3},
		} {
			assert.Equal(t, c.want, immediate(t, mem, c.corp, c.path, 15), "memory %s %s", c.corp, c.path)
			assert.Equal(t, c.want, immediate(t, red, c.corp, c.path, 15), "redis %s %s", c.corp, c.path)
		}
		// paths are normalised like the client's
		assert.Zero(t, immediate(t, red, "wwA", "externalcontact/add_moment_task?debug=1", 2))
	})
}

// Every instance draws on one budget.
func TestLimiterIsSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		def := wecom.Limit{PerMinute: 100}
		l1 := still(open(t, b, prefix).NewLimiter(def, nil))
		l2 := still(open(t, b, prefix).NewLimiter(def, nil))
		assert.Equal(t, 6, immediate(t, l1, "wwA", "/cgi-bin/x", 6))
		assert.Equal(t, 4, immediate(t, l2, "wwA", "/cgi-bin/x", 10))
		assert.Zero(t, immediate(t, l1, "wwA", "/cgi-bin/x", 3))
		// another prefix is another budget
		l3 := still(open(t, b, testPrefix(t, b)).NewLimiter(def, nil))
		assert.Equal(t, 10, immediate(t, l3, "wwA", "/cgi-bin/x", 12))
	})
}

// A refused wait takes no slot, and the bucket key expires once the bucket
// is full again.
func TestLimiterRefusalsTakeNothingAndKeysExpire(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, testPrefix(t, b))
		l := s.NewLimiter(wecom.Limit{PerMinute: 100, PerHour: 1000}, nil)
		require.Equal(t, 10, immediate(t, l, "wwA", "/cgi-bin/x", 10))
		key := s.key("limit:wwA:/cgi-bin/x")
		before, err := s.rdb.HGetAll(t.Context(), key).Result()
		require.NoError(t, err)
		require.Len(t, before, 2)
		require.Zero(t, immediate(t, l, "wwA", "/cgi-bin/x", 5))
		after, err := s.rdb.HGetAll(t.Context(), key).Result()
		require.NoError(t, err)
		assert.Equal(t, before, after)
		ttl, err := s.rdb.PTTL(t.Context(), key).Result()
		require.NoError(t, err)
		// minute bucket: 10 calls at 60 s / 90 each fill up in under 7 s
		// (+1 s of slack); hour bucket: 10 × 3600 / 900 = 40 s
		assert.True(t, ttl > 30*time.Second && ttl <= 42*time.Second, "ttl %v", ttl)
	})
}

func TestLimiterWaitsAndHonoursContexts(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, testPrefix(t, b))
		l := s.NewLimiter(wecom.Limit{PerMinute: 20}, nil)
		l.minute = 200 * time.Millisecond // burst 2, then one call every 11 ms
		for range 5 {
			require.NoError(t, l.Wait(t.Context(), "wwA", "/cgi-bin/x"))
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		require.ErrorIs(t, l.Wait(ctx, "wwA", "/cgi-bin/x"), context.Canceled)
		// no limit at all: never waits
		free := s.NewLimiter(wecom.Limit{}, nil)
		for range 100 {
			require.NoError(t, free.Wait(t.Context(), "wwA", "/cgi-bin/x"))
		}
	})
}

// When Redis is gone the limiter falls back to limiting the instance alone.
func TestLimiterFallsBackWhenRedisFails(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, testPrefix(t, b))
		l := s.NewLimiter(wecom.Limit{PerMinute: 100}, nil)
		require.NoError(t, s.rdb.Close())
		assert.Equal(t, 10, immediate(t, l, "wwA", "/cgi-bin/x", 12))
	})
}

// Four clients sharing Redis, hammering one API of a fake WeCom that
// enforces a limit, stay under it: no 45009. The control run without a
// shared limiter shows the fake does enforce it.
func TestFourClientsStayUnderTheLimitTogether(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		const (
			path    = "/cgi-bin/get_api_domain_ip"
			limit   = 30
			window  = time.Second
			clients = 4
			each    = 12
		)
		run := func(t *testing.T, shared bool) (ok, limited int) {
			srv := wecomtest.NewServer(t)
			srv.SetRateLimit(path, limit, window)
			prefix := testPrefix(t, b)
			var okN, limN atomic.Int32
			var wg sync.WaitGroup
			for range clients {
				s := open(t, b, prefix)
				var l wecom.Limiter = nopLimiter{}
				if shared {
					// 10% under the fake's limit: a permitted call reaches the
					// server a little later (timer and network), which may
					// shift it into the next fixed window of the fake's count.
					rl := s.NewLimiter(wecom.Limit{PerMinute: limit * 9 / 10}, nil)
					rl.minute = window
					l = rl
				}
				c := srv.Client(wecom.WithStore(s), wecom.WithLimiter(l), wecom.WithRetryPolicy(wecom.NoRetry()))
				// the token first: a call takes its slot before it gets a
				// token, and slots taken while the token is fetched would
				// all go out at once afterwards
				_, err := c.AccessToken(t.Context())
				require.NoError(t, err)
				for range each {
					wg.Add(1)
					go func() {
						defer wg.Done()
						err := c.Get(t.Context(), path, nil, nil)
						switch {
						case err == nil:
							okN.Add(1)
						case wecom.IsRateLimited(err):
							limN.Add(1)
						default:
							assert.NoError(t, err)
						}
					}()
				}
			}
			wg.Wait()
			return int(okN.Load()), int(limN.Load())
		}
		t.Run("shared limiter", func(t *testing.T) {
			ok, limited := run(t, true)
			assert.Zero(t, limited, "45009 answers")
			assert.Equal(t, clients*each, ok)
		})
		t.Run("control: no shared limiter", func(t *testing.T) {
			_, limited := run(t, false)
			assert.Positive(t, limited)
		})
	})
}

type nopLimiter struct{}

func (nopLimiter) Wait(ctx context.Context, _, _ string) error { return ctx.Err() }
