package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapStore is a Store over a map; beforeSwap runs before each swap, so a
// test can slip a competing write in between a read and a swap.
type mapStore struct {
	mu         sync.Mutex
	m          map[string]string
	swaps      atomic.Int64
	beforeSwap func()
	failGet    error
}

func newMapStore() *mapStore { return &mapStore{m: map[string]string{}} }

func (s *mapStore) Get(_ context.Context, key string) (string, bool, error) {
	if s.failGet != nil {
		return "", false, s.failGet
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *mapStore) CompareAndSwap(_ context.Context, key, old, value string, _ time.Duration) (bool, error) {
	if f := s.beforeSwap; f != nil {
		s.beforeSwap = nil
		f()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.swaps.Add(1)
	if s.m[key] != old {
		return false, nil
	}
	if value == "" {
		delete(s.m, key)
	} else {
		s.m[key] = value
	}
	return true, nil
}

func TestUpdateNoChangeWritesNothing(t *testing.T) {
	t.Parallel()
	s := newMapStore()
	s.m["k"] = "v"
	require.NoError(t, Update(t.Context(), s, "k", 0, func(cur string, ok bool) (string, error) {
		assert.True(t, ok)
		return cur, nil
	}))
	assert.Zero(t, s.swaps.Load())
}

func TestUpdateRetriesAfterACompetingWrite(t *testing.T) {
	t.Parallel()
	s := newMapStore()
	s.m["k"] = "a"
	s.beforeSwap = func() { s.m["k"] = "b" } // another writer wins the first round
	var seen []string
	require.NoError(t, Update(t.Context(), s, "k", 0, func(cur string, _ bool) (string, error) {
		seen = append(seen, cur)
		return cur + "+", nil
	}))
	assert.Equal(t, []string{"a", "b"}, seen, "the second round sees the other writer's value")
	assert.Equal(t, "b+", s.m["k"])
}

func TestUpdateEmptyDeletes(t *testing.T) {
	t.Parallel()
	s := newMapStore()
	s.m["k"] = "v"
	require.NoError(t, Update(t.Context(), s, "k", 0, func(string, bool) (string, error) { return "", nil }))
	_, ok := s.m["k"]
	assert.False(t, ok)
}

func TestUpdateErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	s := newMapStore()
	assert.ErrorIs(t, Update(t.Context(), s, "k", 0, func(string, bool) (string, error) { return "", boom }), boom)
	s.failGet = boom
	assert.ErrorIs(t, Update(t.Context(), s, "k", 0, func(string, bool) (string, error) { return "x", nil }), boom)
}

// alwaysLose is a store whose swaps never succeed.
type alwaysLose struct{ mapStore }

func (*alwaysLose) CompareAndSwap(context.Context, string, string, string, time.Duration) (bool, error) {
	return false, nil
}

func TestUpdateGivesUpUnderContention(t *testing.T) {
	t.Parallel()
	s := &alwaysLose{mapStore: *newMapStore()}
	calls := 0
	err := update(t.Context(), s, "k", 0, func(string, bool) (string, error) { calls++; return "x", nil }, time.Microsecond)
	assert.ErrorIs(t, err, ErrContention)
	assert.Equal(t, MaxAttempts, calls)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, Update(ctx, s, "k", 0, func(string, bool) (string, error) { return "x", nil }), context.Canceled)
}

func TestUpdateJSONConcurrentWritersLoseNothing(t *testing.T) {
	t.Parallel()
	s := newMapStore()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, UpdateJSON(t.Context(), s, "set", 0, func(cur []string, _ bool) (*[]string, error) {
				next := append(cur, fmt.Sprint(i))
				return &next, nil
			}))
		}()
	}
	wg.Wait()
	var got []string
	require.NoError(t, UpdateJSON(t.Context(), s, "set", 0, func(cur []string, ok bool) (*[]string, error) {
		assert.True(t, ok)
		got = cur
		return &cur, nil
	}))
	assert.Len(t, got, 50)
}

func TestUpdateJSONCorruptAndDelete(t *testing.T) {
	t.Parallel()
	s := newMapStore()
	s.m["k"] = "{not json"
	called := false
	err := UpdateJSON(t.Context(), s, "k", 0, func([]string, bool) (*[]string, error) { called = true; return nil, nil })
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.False(t, called)
	assert.Equal(t, "{not json", s.m["k"], "a corrupt value is left alone")

	s.m["k"] = `["a"]`
	require.NoError(t, UpdateJSON(t.Context(), s, "k", 0, func([]string, bool) (*[]string, error) { return nil, nil }))
	_, ok := s.m["k"]
	assert.False(t, ok)
}
