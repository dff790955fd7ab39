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
	if len(calls) != 0 {
		t.Fatal("Paginate fetched before the loop started")
	}
	var got []int
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{1, 2, 3}) || !slices.Equal(calls, []string{"", "c1", "c2"}) {
		t.Fatalf("got %v, calls %q", got, calls)
	}
}

func TestPaginate_StopsOnRepeatedCursor(t *testing.T) {
	t.Parallel()
	var calls []string
	var got []int
	for v, err := range Paginate(context.Background(), "", pages(map[string]page{
		"": {[]int{1}, "a"}, "a": {[]int{2}, "b"}, "b": {[]int{3}, "a"},
	}, &calls)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{1, 2, 3}) || len(calls) != 3 {
		t.Fatalf("got %v calls %q", got, calls)
	}
	calls = nil
	n := 0
	for range Paginate(context.Background(), "x", pages(map[string]page{"x": {[]int{1}, "x"}}, &calls)) {
		n++
	}
	if n != 1 || len(calls) != 1 {
		t.Fatalf("self-loop: %d items, calls %q", n, calls)
	}
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
	if errs != 1 || items != 1 || len(calls) != 2 {
		t.Fatalf("errs %d items %d calls %q", errs, items, calls)
	}
}

func TestPaginate_BreakStopsFetching(t *testing.T) {
	t.Parallel()
	var calls []string
	for range Paginate(context.Background(), "", pages(map[string]page{"": {[]int{1, 2}, "c1"}, "c1": {[]int{3}, ""}}, &calls)) {
		break
	}
	if len(calls) != 1 {
		t.Fatalf("calls %q", calls)
	}
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
	if !slices.Equal(sizes, []int{50, 100, 100}) {
		t.Fatalf("chunk sizes %v", sizes)
	}
	if peak.Load() > 2 {
		t.Fatalf("concurrency peaked at %d, limit 2", peak.Load())
	}
	for i, r := range res {
		switch {
		case r.Item != i:
			t.Fatalf("result %d is for item %d", i, r.Item)
		case i == 7:
			if r.Err == nil || r.Err.Error() != "item 7 failed" {
				t.Fatalf("item 7: %v", r.Err)
			}
		case i >= 200:
			if !errors.Is(r.Err, bad) {
				t.Fatalf("item %d: %v", i, r.Err)
			}
		default:
			if r.Err != nil || r.Value != fmt.Sprint(i*2) {
				t.Fatalf("item %d: %+v", i, r)
			}
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
	if ran.Load() >= 10 || failed == 0 || int(ran.Load())+failed != 10 {
		t.Fatalf("ran %d, failed %d", ran.Load(), failed)
	}
	if got := Batch[int, int](context.Background(), nil, 10, 1, nil); len(got) != 0 {
		t.Fatal("empty batch")
	}
}
