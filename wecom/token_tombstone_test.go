package wecom

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeKeys lists a MemoryStore's live keys and values.
func storeKeys(m *MemoryStore) map[string]string {
	out := map[string]string{}
	for k, it := range m.c.Items() {
		out[k] = it.Object.(string)
	}
	return out
}

func TestTokenCache_RejectionLeavesATombstoneNamedByFingerprint(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := NewMemoryStore()
	c := newTestCache(&countingFetch{}, &fakeClock{t: time.Unix(1e9, 0)}, store)
	tok, err := c.Token(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Invalidate(ctx, tok))

	keys := storeKeys(store)
	assert.Equal(t, map[string]string{"wecom:token:test:rejected:" + tokenFingerprint(tok): "1"}, keys,
		"the token is deleted and only its tombstone is left")
	for k, v := range keys {
		assert.NotContains(t, k, tok, "a Store key names the token")
		assert.NotContains(t, v, tok, "a tombstone holds the token")
	}
}

// Another instance that finds the rejected token in the Store (its delete
// failed, or the read came before it) refuses it and fetches.
func TestTokenCache_OtherInstanceRefusesATombstonedToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	f := &countingFetch{}
	store := NewMemoryStore()
	a, b := newTestCache(f, clk, store), newTestCache(f, clk, store)
	raw, err := a.Token(ctx) // tok-1, stored
	require.NoError(t, err)
	stored, ok, err := store.Get(ctx, a.key)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, a.Invalidate(ctx, raw))
	require.NoError(t, store.Set(ctx, a.key, stored, time.Hour)) // the rejected token is back in the Store

	got, err := b.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", got, "b handed out the token a had rejected")
	assert.EqualValues(t, 2, f.n.Load())
	again, err := a.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", again, "a takes the token b stored")
}

// snapshotStore answers the first tombstone read with what the Store held
// when the read began, once gate is closed: a read that raced with a
// rejection. Every later Get first calls probe.
type snapshotStore struct {
	*MemoryStore
	gate    chan struct{}
	started chan struct{}
	once    sync.Once
	probe   func()

	mu     sync.Mutex
	opened bool
}

func (s *snapshotStore) Get(ctx context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	if s.opened && s.probe != nil {
		s.probe()
	}
	s.mu.Unlock()
	v, ok, err := s.MemoryStore.Get(ctx, key)
	if strings.Contains(key, ":rejected:") {
		s.once.Do(func() {
			close(s.started)
			<-s.gate
			s.mu.Lock()
			s.opened = true
			s.mu.Unlock()
		})
	}
	return v, ok, err
}

// A fetch that read the token from the Store before this process rejected
// it does not make it current again, nor hand it to anyone.
func TestTokenCache_ReadInFlightCannotRestoreARejectedToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	f := &countingFetch{}
	store := &snapshotStore{MemoryStore: NewMemoryStore(), gate: make(chan struct{}), started: make(chan struct{})}
	require.NoError(t, store.MemoryStore.Set(ctx, "wecom:token:test",
		encodeToken(&cachedToken{value: "tok-0", expiresAt: clk.Now().Add(2 * time.Hour)}), 0))
	c := newTestCache(f, clk, store)
	var current []string // the token in memory at every Store read after the rejection
	store.probe = func() {
		if t := c.cur.Load(); t != nil {
			current = append(current, t.value)
		}
	}

	got := make(chan string, 1)
	go func() {
		tok, err := c.Token(ctx)
		assert.NoError(t, err)
		got <- tok
	}()
	<-store.started // the read has seen tok-0 and no tombstone
	require.NoError(t, c.Invalidate(ctx, "tok-0"))
	close(store.gate)

	assert.Equal(t, "tok-1", <-got, "a read from before the rejection handed out the rejected token")
	assert.NotContains(t, current, "tok-0", "the rejected token was current again for a while")
	tok, err := c.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
	assert.EqualValues(t, 1, f.n.Load())
}

// WeCom answers the same token until it expires; when it hands out a token
// that was rejected (the rejection was its own fault), the token is used
// again and its tombstone goes.
func TestTokenCache_ATokenWeComHandsOutAgainIsForgiven(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := NewMemoryStore()
	o := defaultOptions()
	o.fill()
	var n int
	c := newTokenCache("wecom:token:same", store, func(context.Context) (string, time.Duration, error) {
		n++
		return "tok-same", time.Hour, nil
	}, o.logger, time.Now)
	tok, err := c.Token(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Invalidate(ctx, tok))

	again, err := c.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-same", again)
	assert.Equal(t, 2, n)
	_, dead, err := store.Get(ctx, c.tombstoneKey(tokenFingerprint(tok)))
	require.NoError(t, err)
	assert.False(t, dead, "the tombstone of a token WeCom handed out again is left")
	other := newTokenCache("wecom:token:same", store, nil, o.logger, time.Now)
	shared, err := other.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-same", shared, "another instance takes the forgiven token")
}

// Many callers rejected with one token record the rejection in the Store
// once.
func TestTokenCache_ManyRejectionsOfOneTokenWriteOneTombstone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := &countingStore{MemoryStore: NewMemoryStore()}
	c := newTestCache(&countingFetch{}, &fakeClock{t: time.Unix(1e9, 0)}, s)
	tok, err := c.Token(ctx)
	require.NoError(t, err)
	before := s.sets
	for range 50 {
		require.NoError(t, c.Invalidate(ctx, tok))
	}
	assert.Equal(t, 1, s.sets-before)
}

type countingStore struct {
	*MemoryStore
	sets int
}

func (s *countingStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	s.sets++
	return s.MemoryStore.Set(ctx, key, value, ttl)
}
