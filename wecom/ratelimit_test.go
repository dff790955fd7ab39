package wecom

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketNeverExceedsTheWindow(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 10, 20, 10_000, 150_000} {
		for _, w := range []time.Duration{time.Minute, time.Hour} {
			l := bucket(n, w)
			// A full bucket plus a whole window of refill must stay within n.
			got := float64(l.Burst()) + float64(l.Limit())*w.Seconds()
			assert.LessOrEqual(t, got, float64(n)+1e-6, "n=%d w=%v: up to %.1f calls per window", n, w, got)
			assert.False(t, got < 0.85*float64(n) && n >= 10, "n=%d w=%v: only %.1f calls per window, too strict", n, w, got)
		}
	}
}

func TestMemoryLimiter_PerCorpPerPathWithOverrides(t *testing.T) {
	t.Parallel()
	// 20/min: a burst of 2, then one call every ~3.3s.
	l := NewMemoryLimiter(DefaultLimit(), map[string]Limit{"externalcontact/add_moment_task": {PerMinute: 20}})
	quick := func(corp, path string) error {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		return l.Wait(ctx, corp, path)
	}
	const p = "/cgi-bin/externalcontact/add_moment_task"
	for i := range 2 {
		require.NoError(t, quick("corpA", p), "call %d", i)
	}
	err := quick("corpA", p)
	var rl *RateLimitError
	require.ErrorAs(t, err, &rl, "third call within the burst window")
	require.Equal(t, p, rl.Path, "third call within the burst window: %v, want a *RateLimitError", err)
	require.Greater(t, rl.Wait, time.Duration(0), "third call within the burst window: %v, want a *RateLimitError", err)
	require.NoError(t, quick("corpB", p), "another corp shares the bucket")
	require.NoError(t, quick("corpA", "/cgi-bin/externalcontact/list"), "another path shares the bucket")
}

func TestMemoryLimiter_SweepsIdleBuckets(t *testing.T) {
	t.Parallel()
	l := NewMemoryLimiter(DefaultLimit(), nil)
	now := time.Unix(1e9, 0)
	l.now = func() time.Time { return now }
	_ = l.Wait(t.Context(), "c1", "/cgi-bin/x")
	now = now.Add(2 * time.Hour)
	_ = l.Wait(t.Context(), "c2", "/cgi-bin/x")
	require.Len(t, l.buckets, 1, "buckets = %d, want the idle one swept", len(l.buckets))
}
