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

// def is a channel's definition as an area declares it.
type def struct {
	Name string `json:"channel"`
	Note string `json:"note,omitempty"`
}

// thing is a channel's record: its definition and its object.
type thing struct {
	def
	ID    string `json:"id"`
	State string `json:"state"`
}

var errNoThing = errors.New("test: no thing for this channel")

// fakeWeCom is an Adapter counting the objects it makes, finds, updates and
// deletes.
type fakeWeCom struct {
	made, deleted, updated, found atomic.Int64
	mu                            sync.Mutex
	fail                          error  // Create's error
	lost                          bool   // Create makes the object, then fails with ErrOutcomeUnknown
	wrongName                     string // Create names another channel
	objects                       map[string]*thing
}

func (f *fakeWeCom) Name(d *def) string    { return d.Name }
func (f *fakeWeCom) Def(r *thing) *def     { return &r.def }
func (f *fakeWeCom) ID(r *thing) string    { return r.ID }
func (f *fakeWeCom) State(r *thing) string { return r.State }
func (f *fakeWeCom) Retired(name, state string) *thing {
	return &thing{def: def{Name: name}, State: state}
}
func (f *fakeWeCom) Same(a, b *def) bool                      { return *a == *b }
func (f *fakeWeCom) Delete(_ context.Context, _ *thing) error { f.deleted.Add(1); return nil }

func (f *fakeWeCom) Create(_ context.Context, d *def, state string) (*thing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	n := f.made.Add(1)
	t := &thing{def: *d, ID: fmt.Sprintf("obj%d", n), State: state}
	if f.wrongName != "" {
		t.Name = f.wrongName
	}
	if f.objects == nil {
		f.objects = map[string]*thing{}
	}
	f.objects[state] = t
	if f.lost {
		return nil, fmt.Errorf("%w: the answer was lost", wecom.ErrOutcomeUnknown)
	}
	return t, nil
}

func (f *fakeWeCom) Find(_ context.Context, _ *def, state string) (*thing, bool, error) {
	f.found.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.objects[state]
	return t, ok, nil
}

func (f *fakeWeCom) Update(_ context.Context, cur *thing, d *def) (*thing, error) {
	f.updated.Add(1)
	cur.def = *d
	return cur, nil
}

func newEngine(store wecom.Store, w *fakeWeCom) *Engine[def, thing] {
	e := New[def, thing](Config{Store: store, Prefix: "t:", StatePrefix: "tt", Pkg: "test", ErrNoChannel: errNoThing}, w)
	e.Poll = time.Millisecond
	return e
}

// countingStore counts the reads of a Store.
type countingStore struct {
	*wecom.MemoryStore
	gets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, key string) (string, bool, error) {
	s.gets.Add(1)
	return s.MemoryStore.Get(ctx, key)
}

func TestEnsureCreatesOnceAndResolves(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	w := &fakeWeCom{}
	engines := []*Engine[def, thing]{newEngine(store, w), newEngine(store, w), newEngine(store, w)}
	var wg sync.WaitGroup
	got := make([]*thing, 30)
	errs := make([]error, len(got))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = engines[i%3].Ensure(ctx, def{Name: "spring"})
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

	ch, ok, err := newEngine(store, w).Resolve(ctx, got[0].State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "spring", ch)
	_, ok, err = newEngine(store, w).Resolve(ctx, "")
	require.NoError(t, err)
	assert.False(t, ok)

	list, err := newEngine(store, w).Names(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"spring"}, list)
	recs, err := newEngine(store, w).List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []*thing{got[0]}, recs)
}

func TestEnsureUpdatesAChangedDefinition(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := &fakeWeCom{}
	e := newEngine(wecom.NewMemoryStore(), w)
	first, err := e.Ensure(ctx, def{Name: "n"})
	require.NoError(t, err)
	_, err = e.Ensure(ctx, def{Name: "n"})
	require.NoError(t, err)
	assert.Zero(t, w.updated.Load(), "the same definition changes nothing")
	changed, err := e.Ensure(ctx, def{Name: "n", Note: "new"})
	require.NoError(t, err)
	assert.EqualValues(t, 1, w.updated.Load())
	assert.Equal(t, "new", changed.Note)
	assert.Equal(t, first.ID, changed.ID)
	assert.Equal(t, first.State, changed.State)
	got, _, err := e.Lookup(ctx, "n")
	require.NoError(t, err)
	assert.Equal(t, changed, got)

	_, err = e.Update(ctx, def{Name: "never-made"})
	assert.ErrorIs(t, err, errNoThing)
}

func TestCollidingStatesAreTold(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEngine(wecom.NewMemoryStore(), &fakeWeCom{})
	base := e.Code
	e.Code = func(channel string, attempt int) string {
		if attempt == 0 {
			return "ttsame"
		}
		return base(channel, attempt)
	}
	a, err := e.Ensure(ctx, def{Name: "a"})
	require.NoError(t, err)
	b, err := e.Ensure(ctx, def{Name: "b"})
	require.NoError(t, err)
	assert.Equal(t, "ttsame", a.State)
	assert.Equal(t, base("b", 1), b.State)
	for st, want := range map[string]string{a.State: "a", b.State: "b"} {
		got, ok, err := e.Resolve(ctx, st)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, want, got)
	}
	e.Code = func(string, int) string { return "ttsame" }
	_, err = e.Ensure(ctx, def{Name: "c"})
	assert.ErrorContains(t, err, "test: no free state")
}

func TestFailedCreationReleasesTheClaim(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := &fakeWeCom{fail: errors.New("boom")}
	e := newEngine(wecom.NewMemoryStore(), w)
	_, err := e.Ensure(ctx, def{Name: "x"})
	assert.EqualError(t, err, "boom")
	w.fail = nil
	got, err := e.Ensure(ctx, def{Name: "x"})
	require.NoError(t, err)
	assert.Equal(t, "obj1", got.ID)

	w.wrongName = "other" // a record naming another channel is refused
	_, err = e.Ensure(ctx, def{Name: "y"})
	assert.ErrorContains(t, err, "does not name it")
	_, ok, err := e.Lookup(ctx, "y")
	require.NoError(t, err)
	assert.False(t, ok)
}

// A creation whose outcome is unknown is recovered through Find, and not
// repeated; when Find has nothing, the error stands and the claim goes.
func TestAnUnknownOutcomeIsRecovered(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := &fakeWeCom{lost: true}
	e := newEngine(wecom.NewMemoryStore(), w)
	got, err := e.Ensure(ctx, def{Name: "lost"})
	require.NoError(t, err)
	assert.Equal(t, "obj1", got.ID)
	assert.EqualValues(t, 1, w.made.Load(), "the creation is not repeated")
	assert.EqualValues(t, 1, w.found.Load())

	w.mu.Lock()
	w.objects = nil
	w.fail = fmt.Errorf("%w: cut", wecom.ErrOutcomeUnknown)
	w.mu.Unlock()
	_, err = e.Ensure(ctx, def{Name: "gone"})
	assert.ErrorIs(t, err, wecom.ErrOutcomeUnknown)
	w.fail, w.lost = nil, false
	_, err = e.Ensure(ctx, def{Name: "gone"})
	require.NoError(t, err, "the claim was released")
}

func TestAnExpiredClaimIsTakenOver(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	e := newEngine(store, &fakeWeCom{})
	require.NoError(t, store.Set(ctx, e.ChannelKey("c"), `{"channel":"c","pending":"dead"}`, 20*time.Millisecond))
	_, ok, err := e.Lookup(ctx, "c")
	require.NoError(t, err)
	assert.False(t, ok, "a claim is no record")
	got, err := e.Ensure(ctx, def{Name: "c"})
	require.NoError(t, err)
	assert.Equal(t, "obj1", got.ID)

	require.NoError(t, store.Set(ctx, e.ChannelKey("d"), `{"channel":"d","pending":"x"}`, time.Hour))
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = e.Ensure(cctx, def{Name: "d"})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestALateCreatorYields(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	w := &fakeWeCom{}
	e := newEngine(store, w)
	c, won, err := e.Claim(ctx, "e")
	require.NoError(t, err)
	require.True(t, won)
	_, won, err = e.Claim(ctx, "e")
	require.NoError(t, err)
	assert.False(t, won, "one claim at a time")
	require.NoError(t, store.Delete(ctx, e.ChannelKey("e"))) // the claim expires
	theirs, err := newEngine(store, w).Ensure(ctx, def{Name: "e"})
	require.NoError(t, err)
	mine, err := e.Create(ctx, def{Name: "e"}, c)
	require.NoError(t, err)
	assert.Equal(t, theirs, mine)
	assert.EqualValues(t, 1, w.deleted.Load(), "the late creator deleted its object")
}

type noteAdapter struct {
	*fakeWeCom
	update func(cur *thing, d *def) (*thing, error)
}

func (a noteAdapter) Update(_ context.Context, cur *thing, d *def) (*thing, error) {
	return a.update(cur, d)
}

func TestUpdateRetriesOnAConcurrentChange(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	w := &fakeWeCom{}
	_, err := newEngine(store, w).Ensure(ctx, def{Name: "u"})
	require.NoError(t, err)
	calls := 0
	var e *Engine[def, thing]
	e = New[def, thing](Config{Store: store, Prefix: "t:", StatePrefix: "tt", Pkg: "test", ErrNoChannel: errNoThing},
		noteAdapter{w, func(cur *thing, d *def) (*thing, error) {
			calls++
			if calls == 1 { // someone else changes it meanwhile
				_, err := newEngine(store, w).Update(ctx, def{Name: "u", Note: "theirs"})
				require.NoError(t, err)
			}
			cur.Note += d.Note
			return cur, nil
		}})
	got, err := e.Update(ctx, def{Name: "u", Note: "+mine"})
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
	assert.Equal(t, "theirs+mine", got.Note)
	l, _, err := e.Lookup(ctx, "u")
	require.NoError(t, err)
	assert.Equal(t, got, l)

	e = New[def, thing](Config{Store: store, Prefix: "t:", Pkg: "test", ErrNoChannel: errNoThing},
		noteAdapter{w, func(*thing, *def) (*thing, error) { return nil, errors.New("no") }})
	_, err = e.Update(ctx, def{Name: "u"})
	assert.EqualError(t, err, "no")
	_, err = e.Update(ctx, def{Name: "none"})
	assert.ErrorIs(t, err, errNoThing, "the Adapter is not called for a channel without a record")
}

func TestRetireKeepsTheState(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	w := &fakeWeCom{}
	e := newEngine(store, w)
	old, err := e.Ensure(ctx, def{Name: "f"})
	require.NoError(t, err)
	_, err = e.Ensure(ctx, def{Name: "g"})
	require.NoError(t, err)
	require.NoError(t, e.Retire(ctx, "f"))
	assert.EqualValues(t, 1, w.deleted.Load())
	_, ok, err := e.Lookup(ctx, "f")
	require.NoError(t, err)
	assert.False(t, ok)
	for _, e := range []*Engine[def, thing]{e, newEngine(store, w)} { // from memory, and from the Store
		ch, ok, err := e.Resolve(ctx, old.State)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "f", ch)
		rec, ok, err := e.LookupState(ctx, old.State)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, &thing{def: def{Name: "f"}, State: old.State}, rec, "a retired channel: name and state")
	}
	list, err := e.Names(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"g"}, list)
	again, err := e.Ensure(ctx, def{Name: "f"})
	require.NoError(t, err)
	assert.Equal(t, old.State, again.State)
	assert.NotEqual(t, old.ID, again.ID)

	require.NoError(t, e.Retire(ctx, "f"))
	require.NoError(t, e.Retire(ctx, "g"))
	require.NoError(t, e.Retire(ctx, "g"), "nothing to retire")
	_, ok, err = store.Get(ctx, "t:index")
	require.NoError(t, err)
	assert.False(t, ok, "an empty index is deleted")
}

type failingDelete struct{ *fakeWeCom }

func (failingDelete) Delete(context.Context, *thing) error { return errors.New("delete failed") }

func TestAFailedRetireKeepsTheRecord(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	w := &fakeWeCom{}
	rec, err := newEngine(store, w).Ensure(ctx, def{Name: "k"})
	require.NoError(t, err)
	e := New[def, thing](Config{Store: store, Prefix: "t:", Pkg: "test"}, failingDelete{w})
	require.EqualError(t, e.Retire(ctx, "k"), "delete failed")
	got, ok, err := e.Lookup(ctx, "k")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, rec, got)
}

func TestIndexSurvivesConcurrentAddsAndCorruption(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	w := &fakeWeCom{}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := newEngine(store, w).Ensure(ctx, def{Name: fmt.Sprintf("c%02d", i)})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	list, err := newEngine(store, w).Names(ctx)
	require.NoError(t, err)
	assert.Len(t, list, 20)

	for _, bad := range []string{"not json", ""} {
		require.NoError(t, store.Set(ctx, "t:index", bad, 0))
		_, err = newEngine(store, w).List(ctx)
		assert.ErrorContains(t, err, "corrupt", "%q", bad)
		_, err = newEngine(store, w).Ensure(ctx, def{Name: "c05"}) // rebuilds
		require.NoError(t, err)
		list, err = newEngine(store, w).Names(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"c05"}, list)
	}
}

func TestCorruptRecordsAreErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	e := newEngine(store, &fakeWeCom{})
	for _, v := range []string{"not json", "", `{"channel":"other","id":"o"}`, `{"channel":"k","id":7}`, `{"channel":"k"}`, `null`} {
		require.NoError(t, store.Set(ctx, e.ChannelKey("k"), v, 0))
		_, ok, err := e.Lookup(ctx, "k")
		assert.False(t, ok, v)
		assert.ErrorContains(t, err, `test: the stored mapping of channel "k" is corrupt`, v)
		_, err = e.Ensure(ctx, def{Name: "k"})
		assert.ErrorContains(t, err, "corrupt", v)
		_, err = e.Update(ctx, def{Name: "k"})
		assert.ErrorContains(t, err, "corrupt", v)
	}
}

// A state seen before resolves from memory, and its record costs one read;
// a state first seen costs two reads, then one.
func TestKnownStatesCostOneRead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := &countingStore{MemoryStore: wecom.NewMemoryStore()}
	w := &fakeWeCom{}
	e := newEngine(store, w)
	rec, err := e.Ensure(ctx, def{Name: "scan"})
	require.NoError(t, err)

	store.gets.Store(0)
	for range 3 {
		name, ok, err := e.Resolve(ctx, rec.State)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "scan", name)
	}
	assert.Zero(t, store.gets.Load(), "Resolve of a state the Engine made reads nothing")
	got, ok, err := e.LookupState(ctx, rec.State)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, rec, got)
	assert.EqualValues(t, 1, store.gets.Load(), "LookupState reads the record only")

	restarted := newEngine(store, w)
	store.gets.Store(0)
	_, ok, err = restarted.LookupState(ctx, rec.State)
	require.NoError(t, err)
	require.True(t, ok)
	assert.EqualValues(t, 2, store.gets.Load(), "first sight: the state, then the record")
	store.gets.Store(0)
	_, ok, err = restarted.LookupState(ctx, rec.State)
	require.NoError(t, err)
	require.True(t, ok)
	_, _, err = restarted.Resolve(ctx, rec.State)
	require.NoError(t, err)
	assert.EqualValues(t, 1, store.gets.Load(), "then the record only")

	// Lookup and List teach the Engine their records' states too.
	listed := newEngine(store, w)
	_, err = listed.List(ctx)
	require.NoError(t, err)
	store.gets.Store(0)
	_, _, err = listed.Resolve(ctx, rec.State)
	require.NoError(t, err)
	assert.Zero(t, store.gets.Load())
}

// States of no channel are read every time and never cached; the cache
// stays within MaxCachedStates.
func TestTheStateCacheIsBounded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := &countingStore{MemoryStore: wecom.NewMemoryStore()}
	e := newEngine(store, &fakeWeCom{})
	for i := range 100 {
		_, ok, err := e.Resolve(ctx, fmt.Sprintf("junk%d", i))
		require.NoError(t, err)
		require.False(t, ok)
	}
	assert.EqualValues(t, 100, store.gets.Load())
	assert.Zero(t, e.states.size(), "unknown states are not cached")

	for i := range MaxCachedStates + 10 {
		e.states.put(fmt.Sprintf("st%d", i), "c")
	}
	assert.Equal(t, MaxCachedStates, e.states.size())
	e.states.put("", "c")
	e.states.put("st", "")
	assert.Equal(t, MaxCachedStates, e.states.size())
}

// FuzzStoredRecord: whatever the shared Store holds for a channel, its
// state or the index, Lookup, LookupState, Resolve and List never panic, a
// record Lookup accepts is the channel's, and Ensure repairs the index.
func FuzzStoredRecord(f *testing.F) {
	f.Add(`{"channel":"c","id":"o1","state":"ttx"}`)
	f.Add(`{"channel":"c","pending":"x"}`)
	f.Add(`{"channel":"C"}`)
	f.Add(`{"Channel":"c","channel":"d"}`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, value string) {
		ctx := context.Background()
		store := wecom.NewMemoryStore()
		e := newEngine(store, &fakeWeCom{})
		_ = store.Set(ctx, e.ChannelKey("c"), value, 0)
		_ = store.Set(ctx, e.StateKey("ttx"), value, 0)
		_ = store.Set(ctx, "t:index", value, 0)
		rec, ok, err := e.Lookup(ctx, "c")
		require.False(t, ok && (err != nil || rec == nil || rec.Name != "c" || rec.ID == ""), "Lookup(%q) = %+v, %v, %v", value, rec, ok, err)
		_, _, err = e.Resolve(ctx, "ttx")
		require.NoError(t, err)
		_, _, _ = e.LookupState(ctx, "ttx")
		_, _ = e.List(ctx)
		_, err = e.Ensure(ctx, def{Name: "d"})
		require.NoError(t, err)
		list, err := e.Names(ctx)
		require.NoError(t, err, "index %q after Ensure: %v", value, list)
		require.True(t, slices.Contains(list, "d"), "index %q after Ensure: %v, %v", value, list, err)
	})
}
