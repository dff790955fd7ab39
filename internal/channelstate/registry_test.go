package channelstate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// rthing is a record as a user of the Registry keeps it.
type rthing struct {
	Channel string `json:"channel"`
	ID      string `json:"id"`
	State   string `json:"state"`
	Note    string `json:"note,omitempty"`
}

// rfake counts the objects made and undone.
type rfake struct {
	made, undone atomic.Int64
	fail         error
}

func (f *rfake) maker(channel string) Maker[rthing] {
	return Maker[rthing]{
		Create: func(_ context.Context, state string) (*rthing, error) {
			if f.fail != nil {
				return nil, f.fail
			}
			n := f.made.Add(1)
			return &rthing{Channel: channel, ID: fmt.Sprintf("obj%d", n), State: state}, nil
		},
		Undo: func(context.Context, *rthing) { f.undone.Add(1) },
		ID:   func(t *rthing) string { return t.ID },
	}
}

func newReg(store wecom.Store) *Registry[rthing] {
	return &Registry[rthing]{Store: store, Prefix: "t:", Code: Code("tt"), Poll: time.Millisecond,
		PendingTTL: time.Minute, Index: true, Pkg: "test"}
}

var bg = context.Background()

func TestRegistryEnsureCreatesOnceAndResolves(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	w := &rfake{}
	regs := []*Registry[rthing]{newReg(store), newReg(store), newReg(store)}
	var wg sync.WaitGroup
	got := make([]*rthing, 30)
	errs := make([]error, len(got))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = regs[i%3].Ensure(bg, "spring", w.maker("spring"))
		}()
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i])
		assert.Equal(t, got[0], got[i])
	}
	assert.EqualValues(t, 1, w.made.Load(), "one object for the channel")
	assert.Equal(t, Code("tt")("spring", 0), got[0].State)
	assert.Len(t, got[0].State, 2+CodeLen)

	ch, ok, err := newReg(store).Resolve(bg, got[0].State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "spring", ch)
	_, ok, err = newReg(store).Resolve(bg, "")
	require.NoError(t, err)
	assert.False(t, ok)

	list, err := newReg(store).Channels(bg)
	require.NoError(t, err)
	assert.Equal(t, []string{"spring"}, list)
}

func TestRegistryCollidingStatesAreTold(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	w := &rfake{}
	r := newReg(store)
	base := r.Code
	r.Code = func(channel string, attempt int) string {
		if attempt == 0 {
			return "ttsame"
		}
		return base(channel, attempt)
	}
	a, err := r.Ensure(bg, "a", w.maker("a"))
	require.NoError(t, err)
	b, err := r.Ensure(bg, "b", w.maker("b"))
	require.NoError(t, err)
	assert.Equal(t, "ttsame", a.State)
	assert.Equal(t, base("b", 1), b.State)
	for st, want := range map[string]string{a.State: "a", b.State: "b"} {
		got, ok, err := r.Resolve(bg, st)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, want, got)
	}
	r.Code = func(string, int) string { return "ttsame" }
	_, err = r.Ensure(bg, "c", w.maker("c"))
	assert.ErrorContains(t, err, "test: no free state")
}

func TestRegistryFailedCreationReleasesTheClaim(t *testing.T) {
	t.Parallel()
	r := newReg(wecom.NewMemoryStore())
	w := &rfake{fail: errors.New("boom")}
	_, err := r.Ensure(bg, "x", w.maker("x"))
	assert.EqualError(t, err, "boom")
	w.fail = nil
	got, err := r.Ensure(bg, "x", w.maker("x"))
	require.NoError(t, err)
	assert.Equal(t, "obj1", got.ID)

	bad := w.maker("other") // a record naming another channel is refused
	_, err = r.Ensure(bg, "y", bad)
	assert.ErrorContains(t, err, "does not name it")
	_, ok, err := r.Lookup(bg, "y")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestRegistryAnExpiredClaimIsTakenOver(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	r := newReg(store)
	w := &rfake{}
	require.NoError(t, store.Set(bg, r.ChannelKey("c"), `{"channel":"c","pending":"dead"}`, 20*time.Millisecond))
	got, err := r.Ensure(bg, "c", w.maker("c"))
	require.NoError(t, err)
	assert.Equal(t, "obj1", got.ID)

	require.NoError(t, store.Set(bg, r.ChannelKey("d"), `{"channel":"d","pending":"x"}`, time.Hour))
	ctx, cancel := context.WithTimeout(bg, 10*time.Millisecond)
	defer cancel()
	_, err = r.Ensure(ctx, "d", w.maker("d"))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRegistryALateCreatorYields(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	r := newReg(store)
	w := &rfake{}
	claim, won, err := r.Claim(bg, "e")
	require.NoError(t, err)
	require.True(t, won)
	_, won, err = r.Claim(bg, "e")
	require.NoError(t, err)
	assert.False(t, won, "one claim at a time")
	require.NoError(t, store.Delete(bg, r.ChannelKey("e"))) // the claim expires
	theirs, err := r.Ensure(bg, "e", w.maker("e"))
	require.NoError(t, err)
	mine, err := r.Create(bg, "e", claim, w.maker("e"))
	require.NoError(t, err)
	assert.Equal(t, theirs, mine)
	assert.EqualValues(t, 1, w.undone.Load(), "the late creator undid its object")
}

func TestRegistryUpdateRetriesOnAConcurrentChange(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	r := newReg(store)
	w := &rfake{}
	_, err := r.Ensure(bg, "u", w.maker("u"))
	require.NoError(t, err)
	calls := 0
	got, ok, err := r.Update(bg, "u", func(_ context.Context, cur *rthing) (*rthing, error) {
		calls++
		if calls == 1 { // someone else changes it meanwhile
			_, _, err := newReg(store).Update(bg, "u", func(_ context.Context, c *rthing) (*rthing, error) {
				c.Note = "theirs"
				return c, nil
			})
			require.NoError(t, err)
		}
		cur.Note += "+mine"
		return cur, nil
	})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 2, calls)
	assert.Equal(t, "theirs+mine", got.Note)
	l, _, err := r.Lookup(bg, "u")
	require.NoError(t, err)
	assert.Equal(t, got, l)

	_, ok, err = r.Update(bg, "none", func(context.Context, *rthing) (*rthing, error) {
		t.Fatal("called for a channel without a record")
		return nil, nil
	})
	require.NoError(t, err)
	assert.False(t, ok)

	_, ok, err = r.Update(bg, "u", func(context.Context, *rthing) (*rthing, error) { return nil, errors.New("no") })
	assert.True(t, ok)
	assert.EqualError(t, err, "no")
}

func TestRegistryForgetKeepsTheState(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	r := newReg(store)
	w := &rfake{}
	old, err := r.Ensure(bg, "f", w.maker("f"))
	require.NoError(t, err)
	_, err = r.Ensure(bg, "g", w.maker("g"))
	require.NoError(t, err)
	require.NoError(t, r.Forget(bg, "f"))
	_, ok, err := r.Lookup(bg, "f")
	require.NoError(t, err)
	assert.False(t, ok)
	ch, ok, err := r.Resolve(bg, old.State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "f", ch)
	list, err := r.Channels(bg)
	require.NoError(t, err)
	assert.Equal(t, []string{"g"}, list)
	again, err := r.Ensure(bg, "f", w.maker("f"))
	require.NoError(t, err)
	assert.Equal(t, old.State, again.State)
	assert.NotEqual(t, old.ID, again.ID)

	require.NoError(t, r.Forget(bg, "f"))
	require.NoError(t, r.Forget(bg, "g"))
	_, ok, err = store.Get(bg, "t:index")
	require.NoError(t, err)
	assert.False(t, ok, "an empty index is deleted")
}

func TestRegistryIndexSurvivesConcurrentAddsAndCorruption(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	w := &rfake{}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := fmt.Sprintf("c%02d", i)
			_, err := newReg(store).Ensure(bg, ch, w.maker(ch))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	list, err := newReg(store).Channels(bg)
	require.NoError(t, err)
	assert.Len(t, list, 20)

	require.NoError(t, store.Set(bg, "t:index", "not json", 0))
	_, err = newReg(store).Channels(bg)
	assert.ErrorContains(t, err, "corrupt")
	_, err = newReg(store).Ensure(bg, "c05", w.maker("c05")) // rebuilds
	require.NoError(t, err)
	list, err = newReg(store).Channels(bg)
	require.NoError(t, err)
	assert.Equal(t, []string{"c05"}, list)
}

func TestRegistryCorruptRecordsAreErrors(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	r := newReg(store)
	for _, v := range []string{"not json", `{"channel":"other"}`, `{"channel":"k","id":7}`} {
		require.NoError(t, store.Set(bg, r.ChannelKey("k"), v, 0))
		_, ok, err := r.Lookup(bg, "k")
		assert.False(t, ok, v)
		assert.ErrorContains(t, err, "test: the stored mapping of channel \"k\" is corrupt", v)
	}
}

// FuzzStoredRecord: whatever the shared Store holds for a channel, Lookup,
// Ensure's first look and Resolve never panic, and a record Lookup accepts
// is the channel's.
func FuzzRegistryStoredRecord(f *testing.F) {
	f.Add(`{"channel":"c","id":"o1","state":"ttx"}`)
	f.Add(`{"channel":"c","pending":"x"}`)
	f.Add(`{"channel":"C"}`)
	f.Add(`{"Channel":"c","channel":"d"}`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, value string) {
		store := wecom.NewMemoryStore()
		r := newReg(store)
		_ = store.Set(bg, r.ChannelKey("c"), value, 0)
		_ = store.Set(bg, r.StateKey("ttx"), value, 0)
		_ = store.Set(bg, "t:index", value, 0)
		rec, ok, err := r.Lookup(bg, "c")
		if ok && (err != nil || rec == nil || rec.Channel != "c") {
			t.Fatalf("Lookup(%q) = %+v, %v, %v", value, rec, ok, err)
		}
		ir := newIdentifyingReg(store)
		prec, pok, err := ir.Lookup(bg, "c")
		if pok && (err != nil || prec == nil || prec.Channel != "c" || prec.Pending != "") {
			t.Fatalf("Lookup with Identify(%q) = %+v, %v, %v", value, prec, pok, err)
		}
		if pok != ok {
			t.Fatalf("%q: a record for one decoding and not for the other", value)
		}
		if _, _, err := r.Resolve(bg, "ttx"); err != nil {
			t.Fatal(err)
		}
		_, _ = r.Channels(bg)
		if _, err := r.Ensure(bg, "d", (&rfake{}).maker("d")); err != nil { // the index is repaired
			t.Fatal(err)
		}
		if list, err := r.Channels(bg); err != nil || !slices.Contains(list, "d") {
			t.Fatalf("index %q after Ensure: %v, %v", value, list, err)
		}
	})
}

// pthing is a record that decodes its own claim marker, for Identify.
type pthing struct {
	rthing
	Pending string `json:"pending,omitempty"`
}

func newIdentifyingReg(store wecom.Store) *Registry[pthing] {
	return &Registry[pthing]{Store: store, Prefix: "t:", Code: Code("tt"), Poll: time.Millisecond,
		PendingTTL: time.Minute, Pkg: "test", Identify: func(p *pthing) (string, bool) { return p.Channel, p.Pending != "" }}
}

// With Identify each value is decoded once; claims, records and corrupt
// values are told apart as without it.
func TestRegistryIdentifyDecodesOnce(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	r := newIdentifyingReg(store)
	n := 0
	m := Maker[pthing]{Create: func(_ context.Context, state string) (*pthing, error) {
		n++
		return &pthing{rthing: rthing{Channel: "c", ID: "o1", State: state}}, nil
	}}
	require.NoError(t, store.Set(bg, r.ChannelKey("c"), `{"channel":"c","pending":"dead"}`, 20*time.Millisecond))
	_, ok, err := r.Lookup(bg, "c")
	require.NoError(t, err)
	assert.False(t, ok, "a claim is no record")
	got, err := r.Ensure(bg, "c", m) // waits for the claim to expire
	require.NoError(t, err)
	assert.Equal(t, "o1", got.ID)
	assert.Equal(t, 1, n)
	again, ok, err := r.Lookup(bg, "c")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, got, again)
	for _, v := range []string{"not json", `{"channel":"other"}`, `null`, `{"channel":"c","id":7}`} {
		require.NoError(t, store.Set(bg, r.ChannelKey("c"), v, 0))
		_, ok, err := r.Lookup(bg, "c")
		assert.False(t, ok, v)
		assert.ErrorContains(t, err, "corrupt", v)
	}
}
