package redisstore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// countingHook counts the commands (and pipelines) a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// While Redis does not answer, the lock and the limiter work in process,
// and leave Redis alone but for one probe a second; once it answers again
// they use it again.
func TestLockAndLimiterWithoutRedis(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	hook := &countingHook{}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	rdb.AddHook(hook)
	t.Cleanup(func() { _ = rdb.Close() })
	s, err := New(t.Context(), rdb, WithLogger(quiet))
	require.NoError(t, err)
	lim := s.NewLimiter(wecom.Limit{PerMinute: 1000}, nil)
	require.NoError(t, lim.Wait(t.Context(), "ww1", "/cgi-bin/x"))

	addr := m.Addr()
	m.Close()
	before := hook.n.Load()
	for range 20 {
		require.NoError(t, lim.Wait(t.Context(), "ww1", "/cgi-bin/x"))
	}
	unlock, err := s.Lock(t.Context(), "k", time.Minute)
	require.NoError(t, err, "the lock falls back to one of the process")
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	_, err = s.Lock(ctx, "k", time.Minute)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "holders in one process take turns")
	unlock()
	unlock2, err := s.Lock(t.Context(), "k", time.Minute)
	require.NoError(t, err)
	unlock2()
	assert.Equal(t, int64(1), hook.n.Load()-before, "one failed round trip, then none until the probe")

	// Redis answers again on the same address: after the probe interval
	// the limiter and the lock use it.
	m3 := miniredis.NewMiniRedis()
	require.NoError(t, m3.StartAddr(addr))
	t.Cleanup(m3.Close)
	time.Sleep(degradedRetry)
	require.NoError(t, lim.Wait(t.Context(), "ww1", "/cgi-bin/x"))
	unlock3, err := s.Lock(t.Context(), "k2", time.Minute)
	require.NoError(t, err)
	assert.True(t, m3.Exists(s.key("k2")), "the lock is Redis's again")
	unlock3()
	assert.Zero(t, s.downUntil.Load())
}
