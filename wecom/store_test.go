package wecom

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryStore_CompareAndSwap(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := NewMemoryStore()
	ok, _ := m.CompareAndSwap(ctx, "k", "", "v1", 0)
	require.True(t, ok, "swap into an absent key failed")
	ok, _ = m.CompareAndSwap(ctx, "k", "", "v2", 0)
	require.False(t, ok, "absent-only swap overwrote a value")
	ok, _ = m.CompareAndSwap(ctx, "k", "other", "v2", 0)
	require.False(t, ok, "swap with a wrong old value succeeded")
	ok, _ = m.CompareAndSwap(ctx, "k", "v1", "", 0)
	require.True(t, ok, "swap to empty (delete) failed")
	_, ok, _ = m.Get(ctx, "k")
	require.False(t, ok, "empty swap did not delete")
	_ = m.Set(ctx, "t", "x", 20*time.Millisecond)
	time.Sleep(40 * time.Millisecond)
	_, ok, _ = m.Get(ctx, "t")
	require.False(t, ok, "ttl ignored")
}

func TestMemoryStore_LockExcludesAndHonoursContext(t *testing.T) {
	t.Parallel()
	m := NewMemoryStore()
	var inside, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := m.Lock(t.Context(), "k", time.Second)
			if !assert.NoError(t, err) {
				return
			}
			if n := inside.Add(1); n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
			unlock() // a second call is harmless
		}()
	}
	wg.Wait()
	require.Equal(t, int32(1), peak.Load(), "%d holders at once", peak.Load())
	unlock, _ := m.Lock(t.Context(), "k", time.Second)
	defer unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := m.Lock(ctx, "k", time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	other, err := m.Lock(t.Context(), "other", time.Second)
	require.NoError(t, err)
	other()
}
