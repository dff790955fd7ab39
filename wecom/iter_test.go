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

// pages serves pages keyed by cursor.
func pages(m map[string]struct {
	items []int
	next  string
}, calls *[]string) PageFunc[int] {
	return func(_ context.Context, cursor string) ([]int, string, error) {
		*calls = append(*calls, cursor)
		p, ok := m[cursor]
		if !ok {
			return nil, "", fmt.Errorf("no page %q", cursor)
		}
		return p.items, p.next, nil
	}
}

type page = struct {
	items []int
	next  string
}

func TestPaginate_WalksUntilEmptyCursor(t *testing.T) {
	t.Parallel()
	var calls []string
	seq := Paginate(context.Background(), "", pages(map[string]page{
		"": {[]int{1, 2}, "c1"}, "c1": {nil, "c2"}, "c2": {[]int{3}, ""},
	}, &calls))
	require.Empty(t, calls, "Paginate fetched before the loop started")
	var got []int
	for v, err := range seq {
		require.NoError(t, err)
		got = append(got, v)
	}
	require.True(t, slices.Equal(got, []int{1, 2, 3}), "got %v, calls %q", got, calls)
	require.True(t, slices.Equal(calls, []string{"", "c1", "c2"}), "got %v, calls %q", got, calls)
}

func TestPaginate_StopsOnRepeatedCursor(t *testing.T) {
	t.Parallel()
	var calls []string
	var got []int
	for v, err := range Paginate(context.Background(), "", pages(map[string]page{
		"": {[]int{1}, "a"}, "a": {[]int{2}, "b"}, "b": {[]int{3}, "a"},
	}, &calls)) {
		require.NoError(t, err)
		got = append(got, v)
	}
	require.True(t, slices.Equal(got, []int{1, 2, 3}), "got %v calls %q", got, calls)
	require.Len(t, calls, 3, "got %v calls %q", got, calls)
	calls = nil
	n := 0
	for range Paginate(context.Background(), "x", pages(map[string]page{"x": {[]int{1}, "x"}}, &calls)) {
		n++
	}
	require.Equal(t, 1, n, "self-loop: %d items, calls %q", n, calls)
	require.Len(t, calls, 1, "self-loop: %d items, calls %q", n, calls)
}

func TestPaginate_YieldsErrorOnceAndStops(t *testing.T) {
	t.Parallel()
	var calls []string
	var errs, items int
	for _, err := range Paginate(context.Background(), "", pages(map[string]page{"": {[]int{1}, "missing"}}, &calls)) {
		if err != nil {
			errs++
			continue // even if the caller keeps going, nothing more comes
		}
		items++
	}
	require.Equal(t, 1, errs, "errs %d items %d calls %q", errs, items, calls)
	require.Equal(t, 1, items, "errs %d items %d calls %q", errs, items, calls)
	require.Len(t, calls, 2, "errs %d items %d calls %q", errs, items, calls)
}

func TestPaginate_BreakStopsFetching(t *testing.T) {
	t.Parallel()
	var calls []string
	for range Paginate(context.Background(), "", pages(map[string]page{"": {[]int{1, 2}, "c1"}, "c1": {[]int{3}, ""}}, &calls)) {
		break
	}
	require.Len(t, calls, 1)
}

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
	res := Batch(context.Background(), items, 100, 2, func(_ context.Context, chunk []int, out []BatchResult[int, string]) error {
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
	ctx, cancel := context.WithCancel(context.Background())
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
	require.Empty(t, Batch[int, int](context.Background(), nil, 10, 1, nil), "empty batch")
}
