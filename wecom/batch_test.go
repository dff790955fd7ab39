package wecom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBatch_ChunksConcurrencyAndPerItemResults(t *testing.T) {
	t.Parallel()
	items := make([]int, 250)
	for i := range items {
		items[i] = i
	}
	var mu sync.Mutex
	var sizes []int
	var cur, peak atomic.Int32
	bad := errors.New("chunk failed")
	res := Batch(t.Context(), items, 100, 2, func(_ context.Context, chunk []int, out []BatchResult[int, string]) error {
		if n := cur.Add(1); n > peak.Load() {
			peak.Store(n)
		}
		defer cur.Add(-1)
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		sizes = append(sizes, len(chunk))
		mu.Unlock()
		if chunk[0] == 200 {
			return bad
		}
		for i, v := range chunk {
			if v == 7 {
				out[i].Err = errors.New("item 7 failed")
				continue
			}
			out[i].Value = fmt.Sprint(v * 2)
		}
		return nil
	})
	slices.Sort(sizes)
	require.True(t, slices.Equal(sizes, []int{50, 100, 100}), "chunk sizes %v", sizes)
	require.LessOrEqual(t, peak.Load(), int32(2), "concurrency peaked at %d, limit 2", peak.Load())
	for i, r := range res {
		require.Equal(t, i, r.Item, "result %d", i)
		switch {
		case i == 7:
			require.Error(t, r.Err, "item 7")
			require.Equal(t, "item 7 failed", r.Err.Error(), "item 7: %v", r.Err)
		case i >= 200:
			require.ErrorIs(t, r.Err, bad, "item %d", i)
		default:
			require.NoError(t, r.Err, "item %d: %+v", i, r)
			require.Equal(t, fmt.Sprint(i*2), r.Value, "item %d: %+v", i, r)
		}
	}
}

func TestBatch_CancelledContextFailsUnstartedChunks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var ran atomic.Int32
	res := Batch(ctx, make([]int, 10), 1, 1, func(context.Context, []int, []BatchResult[int, int]) error {
		if ran.Add(1) == 2 {
			cancel()
		}
		return nil
	})
	failed := 0
	for _, r := range res {
		if errors.Is(r.Err, context.Canceled) {
			failed++
		}
	}
	require.Less(t, ran.Load(), int32(10), "ran %d, failed %d", ran.Load(), failed)
	require.NotEqual(t, 0, failed, "ran %d, failed %d", ran.Load(), failed)
	require.Equal(t, 10, int(ran.Load())+failed, "ran %d, failed %d", ran.Load(), failed)
	require.Empty(t, Batch[int, int](t.Context(), nil, 10, 1, nil), "empty batch")
}
