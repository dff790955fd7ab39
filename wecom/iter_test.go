package wecom

import (
	"context"
	"fmt"
	"slices"
	"testing"

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
	seq := Paginate(t.Context(), "", pages(map[string]page{
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
	for v, err := range Paginate(t.Context(), "", pages(map[string]page{
		"": {[]int{1}, "a"}, "a": {[]int{2}, "b"}, "b": {[]int{3}, "a"},
	}, &calls)) {
		require.NoError(t, err)
		got = append(got, v)
	}
	require.True(t, slices.Equal(got, []int{1, 2, 3}), "got %v calls %q", got, calls)
	require.Len(t, calls, 3, "got %v calls %q", got, calls)
	calls = nil
	n := 0
	for range Paginate(t.Context(), "x", pages(map[string]page{"x": {[]int{1}, "x"}}, &calls)) {
		n++
	}
	require.Equal(t, 1, n, "self-loop: %d items, calls %q", n, calls)
	require.Len(t, calls, 1, "self-loop: %d items, calls %q", n, calls)
}

func TestPaginate_YieldsErrorOnceAndStops(t *testing.T) {
	t.Parallel()
	var calls []string
	var errs, items int
	for _, err := range Paginate(t.Context(), "", pages(map[string]page{"": {[]int{1}, "missing"}}, &calls)) {
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
	for range Paginate(t.Context(), "", pages(map[string]page{"": {[]int{1, 2}, "c1"}, "c1": {[]int{3}, ""}}, &calls)) {
		break
	}
	require.Len(t, calls, 1)
}
