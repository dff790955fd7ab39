package callback

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

func TestFnSet(t *testing.T) {
	t.Parallel()
	var s fnSet
	assert.True(t, s.empty())
	assert.False(t, s.has(0))
	a := s.with(2)
	b := a.with(70)
	assert.True(t, b.has(2) && b.has(70))
	assert.False(t, a.has(70), "with returns a new set")
	assert.Equal(t, "2,70", b.String())
	assert.Equal(t, b, parseFnSet("2,70"))
	assert.Equal(t, "2,70", b.union(nil).String())
	assert.Equal(t, "0,2,70", fnSet(nil).with(0).union(b).String())
	assert.Nil(t, fnSet(nil).union(nil))
	// a damaged record loses only what it cannot read
	assert.Equal(t, "1,5", parseFnSet("1,x,-3,,99999999,5").String())
	assert.True(t, parseFnSet("").empty())
}

// A shared store keeps the functions that succeeded under the claim key
// plus ":ran", with the claim's lifetime; the released claim says "failed"
// so that the next claim reads them, and a durable queue's failure keeps
// its claim pending.
func TestSharedStoreRecordsTheFunctionsThatSucceeded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := &ttlStore{MemoryStore: wecom.NewMemoryStore(), ttls: map[string]time.Duration{}}
	fp := "fp1"
	d := &deduper{store: store, ttl: time.Minute, fingerprint: func() string { return fp }}
	ref := d.ref("corp", []byte("<xml/>"))

	st, ran, err := d.claim(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, claimFresh, st)
	require.Nil(t, ran)
	require.NoError(t, d.release(ctx, ref, fnSet(nil).with(0).with(3)))
	v, ok, err := store.Get(ctx, ref.key)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, dedupFailed, v)
	v, _, _ = store.Get(ctx, ref.key+dedupRanSuffix)
	assert.Equal(t, "fp1:0,3", v)

	st, ran, err = d.claim(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, claimFresh, st)
	assert.Equal(t, "0,3", ran.String())
	st, _, _ = d.claim(ctx, ref)
	assert.Equal(t, claimPending, st, "the re-claimed push is pending again")

	// a queue's failed run keeps the claim and adds to the record
	require.NoError(t, d.keep(ctx, ref, ran.with(1)))
	done, ran, err := d.progress(ctx, ref)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "0,1,3", ran.String())
	v, _, _ = store.Get(ctx, ref.key)
	assert.Equal(t, dedupPending, v)

	// another program's registrations: the record is not read
	fp = "fp2"
	_, ran, _ = d.progress(ctx, ref)
	assert.Nil(t, ran)
	fp = "fp1"

	require.NoError(t, d.done(ctx, ref))
	done, _, _ = d.progress(ctx, ref)
	assert.True(t, done)

	// the record lives as long as a claim
	assert.Equal(t, time.Minute, store.ttls[ref.key+dedupRanSuffix])
	assert.Equal(t, time.Minute, store.ttls[ref.key])
}

// ttlStore records the lifetime each key was last written with.
type ttlStore struct {
	*wecom.MemoryStore
	ttls map[string]time.Duration
}

func (s *ttlStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	s.ttls[key] = ttl
	return s.MemoryStore.Set(ctx, key, value, ttl)
}

func (s *ttlStore) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	ok, err := s.MemoryStore.CompareAndSwap(ctx, key, old, value, ttl)
	if ok && value != "" {
		s.ttls[key] = ttl
	}
	return ok, err
}

// A release with nothing succeeded deletes the claim as before.
func TestReleaseWithoutSuccessesDeletesTheClaim(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	d := &deduper{store: store, ttl: time.Minute, fingerprint: func() string { return "fp" }}
	ref := d.ref("corp", []byte("<xml/>"))
	_, _, err := d.claim(ctx, ref)
	require.NoError(t, err)
	require.NoError(t, d.release(ctx, ref, nil))
	_, ok, _ := store.Get(ctx, ref.key)
	assert.False(t, ok)
	_, ok, _ = store.Get(ctx, ref.key+dedupRanSuffix)
	assert.False(t, ok)

	local := &deduper{local: newLocalDedup(time.Now), ttl: time.Minute}
	lref := local.ref("corp", []byte("<xml/>"))
	_, _, _ = local.claim(ctx, lref)
	require.NoError(t, local.release(ctx, lref, nil))
	assert.Empty(t, local.local.entries)
}
