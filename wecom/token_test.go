package wecom

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for the token cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingFetch issues tok-1, tok-2, ... with a 2h lifetime; gate, when
// non-nil, holds each fetch until it is closed or receives.
type countingFetch struct {
	n    atomic.Int32
	gate chan struct{}
}

func (f *countingFetch) fetch(ctx context.Context) (string, time.Duration, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return "", 0, ctx.Err()
		}
	}
	n := f.n.Add(1)
	return fmt.Sprintf("tok-%d", n), 2 * time.Hour, nil
}

func newTestCache(f *countingFetch, clk *fakeClock, store Store) *tokenCache {
	if store == nil {
		store = NewMemoryStore()
	}
	o := defaultOptions()
	o.fill()
	return newTokenCache("wecom:token:test", store, f.fetch, o.logger, clk.Now)
}

func TestTokenCache_ConcurrentColdCallersShareOneFetch(t *testing.T) {
	t.Parallel()
	f := &countingFetch{gate: make(chan struct{})}
	c := newTestCache(f, &fakeClock{t: time.Unix(1e9, 0)}, nil)
	var wg sync.WaitGroup
	got := make([]string, 100)
	errs := make([]error, 100)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = c.Token(t.Context())
		}()
	}
	time.Sleep(20 * time.Millisecond) // let them all queue on the fetch
	close(f.gate)
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i], "caller %d: %q", i, got[i])
		require.Equal(t, "tok-1", got[i], "caller %d: %q, %v", i, got[i], errs[i])
	}
	require.Equal(t, int32(1), f.n.Load(), "fetches")
}

func TestTokenCache_RefreshAheadDoesNotBlockCallers(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	f := &countingFetch{}
	c := newTestCache(f, clk, nil)
	tok, _ := c.Token(context.Background())
	require.Equal(t, "tok-1", tok, "first token")
	// Inside the refresh window, with the next fetch held: callers still get
	// the valid token at once.
	f.gate = make(chan struct{})
	clk.Add(2*time.Hour - refreshAhead + time.Second)
	done := make(chan string)
	go func() {
		tok, _ := c.Token(context.Background())
		done <- tok
	}()
	select {
	case tok := <-done:
		require.Equal(t, "tok-1", tok, "during refresh")
	case <-time.After(2 * time.Second):
		require.Fail(t, "caller of a still-valid token waited for the refresh")
	}
	close(f.gate)
	deadline := time.Now().Add(2 * time.Second)
	for {
		tok, _ := c.Token(context.Background())
		if tok == "tok-2" {
			break
		}
		require.False(t, time.Now().After(deadline), "background refresh never landed; still %q", tok)
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, int32(2), f.n.Load(), "fetches")
}

func TestTokenCache_ExpiredTokenMakesCallersWait(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	f := &countingFetch{}
	c := newTestCache(f, clk, nil)
	_, _ = c.Token(t.Context())
	clk.Add(2*time.Hour - expirySlack + time.Second)
	tok, err := c.Token(t.Context())
	require.NoError(t, err, "after expiry got %q, %v; want tok-2", tok, err)
	require.Equal(t, "tok-2", tok, "after expiry got %q, %v; want tok-2", tok, err)
}

func TestTokenCache_InvalidateOnlyDropsTheFailedToken(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	f := &countingFetch{}
	store := NewMemoryStore()
	c := newTestCache(f, clk, store)
	ctx := t.Context()
	_, _ = c.Token(ctx)            // tok-1
	_ = c.Invalidate(ctx, "tok-1") // dropped
	tok, _ := c.Token(ctx)         // tok-2
	_ = c.Invalidate(ctx, "tok-1") // a late caller with the old token
	again, _ := c.Token(ctx)
	require.Equal(t, tok, again, "late invalidation of a replaced token dropped %q (now %q)", tok, again)
	require.Equal(t, "tok-2", tok, "late invalidation of a replaced token dropped %q (now %q)", tok, again)
	raw, ok, _ := store.Get(ctx, "wecom:token:test")
	require.True(t, ok, "store holds %q", raw)
	require.True(t, strings.HasSuffix(raw, ":tok-2"), "store holds %q, %v", raw, ok)
	require.Equal(t, int32(2), f.n.Load(), "fetches")
}

func TestTokenCache_SharesTheStoreBetweenInstances(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	f := &countingFetch{}
	store := NewMemoryStore()
	a, b := newTestCache(f, clk, store), newTestCache(f, clk, store)
	ta, _ := a.Token(t.Context())
	tb, _ := b.Token(t.Context())
	require.Equal(t, tb, ta, "second instance fetched again: %q %q, fetches %d", ta, tb, f.n.Load())
	require.Equal(t, int32(1), f.n.Load(), "second instance fetched again: %q %q, fetches %d", ta, tb, f.n.Load())
}

// lockingStore records Lock calls, to show the cross-instance lock is used.
type lockingStore struct {
	*MemoryStore
	mu    sync.Mutex
	locks []string
}

func (s *lockingStore) Lock(_ context.Context, key string, _ time.Duration) (func(), error) {
	s.mu.Lock()
	s.locks = append(s.locks, key)
	s.mu.Unlock()
	return func() {}, nil
}

func TestTokenCache_UsesStoreLockAroundFetch(t *testing.T) {
	t.Parallel()
	s := &lockingStore{MemoryStore: NewMemoryStore()}
	c := newTestCache(&countingFetch{}, &fakeClock{t: time.Unix(1e9, 0)}, s)
	_, err := c.Token(t.Context())
	require.NoError(t, err)
	require.Len(t, s.locks, 1, "locks")
	require.Equal(t, "wecom:token:test:lock", s.locks[0], "locks = %v", s.locks)
}

func TestTokenCache_FetchErrorReachesEveryWaiter(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	o := defaultOptions()
	o.fill()
	c := newTokenCache("k", NewMemoryStore(), func(context.Context) (string, time.Duration, error) {
		return "", 0, boom
	}, o.logger, time.Now)
	_, err := c.Token(t.Context())
	require.ErrorIs(t, err, boom)
}

func TestTokenCache_CallerContextEndsWait(t *testing.T) {
	t.Parallel()
	f := &countingFetch{gate: make(chan struct{})}
	defer close(f.gate)
	c := newTestCache(f, &fakeClock{t: time.Unix(1e9, 0)}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Token(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestSecretFingerprint(t *testing.T) {
	t.Parallel()
	a, b := secretFingerprint("secret-a"), secretFingerprint("secret-b")
	require.NotEqual(t, b, a, "fingerprints")
	require.NotContains(t, a, "secret", "fingerprints %q %q", a, b)
	require.Len(t, a, 16, "fingerprints %q %q", a, b)
}

func TestDecodeToken(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "x", "12:", "abc:tok", ":tok"} {
		_, ok := decodeToken(bad)
		assert.False(t, ok, "decodeToken(%q) accepted", bad)
	}
	in := &cachedToken{value: "a:b", expiresAt: time.UnixMilli(1234)}
	out, ok := decodeToken(encodeToken(in))
	require.True(t, ok, "round trip: %+v", out)
	require.Equal(t, "a:b", out.value, "round trip: %+v %v", out, ok)
	require.True(t, out.expiresAt.Equal(in.expiresAt), "round trip: %+v %v", out, ok)
}
