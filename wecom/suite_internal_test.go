package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Store values are outside input: another instance (or an older version)
// wrote them, possibly a broken one.

func FuzzDecodeTicket(f *testing.F) {
	f.Add("1700000000000:ticket-abc")
	f.Add(":x")
	f.Add("12:")
	f.Add("not-a-number:t")
	f.Add("-5:t:with:colons")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		at, ticket, ok := decodeTicket(v)
		if !ok {
			return
		}
		require.NotEmpty(t, ticket, "decodeTicket(%q) accepted an empty ticket", v)
		at2, ticket2, ok2 := decodeTicket(encodeTicket(at, ticket))
		require.True(t, ok2, "round trip of %q: %v %q", v, at2, ticket2)
		require.Equal(t, ticket, ticket2, "round trip of %q: %v %q %v", v, at2, ticket2, ok2)
		require.True(t, at2.Equal(at), "round trip of %q: %v %q %v", v, at2, ticket2, ok2)
	})
}

func FuzzDecodeCorpIndex(f *testing.F) {
	f.Add(`["wwa","wwb"]`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Add(`{"a":1}`)
	f.Add(`["x"`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, v string) {
		ids, err := decodeCorpIndex(v)
		if err != nil {
			return
		}
		b, _ := json.Marshal(ids)
		again, err := decodeCorpIndex(string(b))
		require.NoError(t, err, "re-decoding %q: %v", v, again)
		require.True(t, slices.Equal(ids, again), "re-decoding %q: %v %v", v, again, err)
	})
}

func TestCorpIndexFollowsTheCodesAndNeverDropsOthers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := NewSuite("wwidx", "secret")
	for _, c := range []string{"wwc", "wwa", "wwb", "wwa"} {
		require.NoError(t, s.SetPermanentCode(ctx, c, "code-"+c))
	}
	ids, err := s.AuthorizedCorps(ctx)
	require.NoError(t, err, "index %v", ids)
	require.True(t, slices.Equal(ids, []string{"wwa", "wwb", "wwc"}), "index %v, %v", ids, err)
	require.NoError(t, s.ForgetCorp(ctx, "wwb"))
	ids, _ = s.AuthorizedCorps(ctx)
	require.True(t, slices.Equal(ids, []string{"wwa", "wwc"}), "after removal %v", ids)
	// An index entry without a code (a lost race) is corrected by the next sync.
	// (wwa, wwc and wwz in one shard for the test: each corp's shard holds it)
	_ = s.store.Set(ctx, s.corpsKey("wwz"), `["wwz"]`, 0)
	require.NoError(t, s.syncIndex(ctx, "wwz"))
	ids, _ = s.AuthorizedCorps(ctx)
	require.True(t, slices.Equal(ids, []string{"wwa", "wwc"}), "after sync %v", ids)
	// A broken index is reported, never silently replaced by one corp.
	_ = s.store.Set(ctx, s.corpsKey("wwd"), "{broken", 0)
	_, err = s.AuthorizedCorps(ctx)
	require.Error(t, err, "broken index read without error")
	err = s.SetPermanentCode(ctx, "wwd", "code-d")
	require.Error(t, err, "install over a broken index")
	require.Contains(t, err.Error(), s.corpsKey("wwd"), "install over a broken index: %v", err)
	ok, _ := s.IsAuthorized(ctx, "wwd")
	require.True(t, ok, "the permanent code itself must still be stored")
	v, _, _ := s.store.Get(ctx, s.corpsKey("wwd"))
	require.Equal(t, "{broken", v, "broken index overwritten with")
}

// slowStore adds latency to every call, widening race windows.
type slowStore struct {
	*MemoryStore
	d time.Duration
}

func (s slowStore) Get(ctx context.Context, k string) (string, bool, error) {
	time.Sleep(s.d)
	return s.MemoryStore.Get(ctx, k)
}

func (s slowStore) CompareAndSwap(ctx context.Context, k, old, v string, ttl time.Duration) (bool, error) {
	time.Sleep(s.d)
	return s.MemoryStore.CompareAndSwap(ctx, k, old, v, ttl)
}

func TestCorpIndexLosesNoConcurrentInstall(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := slowStore{MemoryStore: NewMemoryStore(), d: 200 * time.Microsecond}
	var wg sync.WaitGroup
	errs := make([]error, 60)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Several instances (Suites) sharing one Store.
			s := NewSuite("wwrace", "secret", WithStore(store))
			errs[i] = s.SetPermanentCode(ctx, fmt.Sprintf("wwcorp%03d", i), "code")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "install %d", i)
	}
	ids, err := NewSuite("wwrace", "secret", WithStore(store)).AuthorizedCorps(ctx)
	require.NoError(t, err, "index holds %d of %d corps (%v)", len(ids), len(errs), err)
	require.Len(t, ids, len(errs), "index holds %d of %d corps (%v)", len(ids), len(errs), err)
}

func TestCorpIndexForgetRacingReinstall(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for range 20 {
		store := slowStore{MemoryStore: NewMemoryStore(), d: 100 * time.Microsecond}
		a := NewSuite("wwfr", "secret", WithStore(store))
		b := NewSuite("wwfr", "secret", WithStore(store))
		_ = a.SetPermanentCode(ctx, "wwx", "old")
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _ = a.ForgetCorp(ctx, "wwx") }()
		go func() { defer wg.Done(); _ = b.SetPermanentCode(ctx, "wwx", "new") }()
		wg.Wait()
		authorized, _ := a.IsAuthorized(ctx, "wwx")
		ids, _ := a.AuthorizedCorps(ctx)
		require.Equal(t, slices.Contains(ids, "wwx"), authorized, "IsAuthorized %v but index %v", authorized, ids)
	}
}

func TestSetTicketKeepsNewerAgainstMalformedAndOld(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := NewSuite("wwtk", "secret")
	_ = s.store.Set(ctx, s.ticketKey(), "garbage", 0)
	now := time.Now()
	require.NoError(t, s.SetTicketAt(ctx, "t1", now))
	require.NoError(t, s.SetTicketAt(ctx, "t0", now.Add(-time.Second)))
	got, _, err := s.ticket(ctx)
	require.NoError(t, err, "ticket %q", got)
	require.Equal(t, "t1", got, "ticket %q, %v", got, err)
	err = s.SetTicket(ctx, "bad\nticket")
	require.Error(t, err, "ticket with a newline")
	require.Contains(t, err.Error(), "line break", "ticket with a newline: %v", err)
	require.Equal(t, 0, s.cachedClients(), "clients cached before any Corp call")
}

func TestSetTicketDistrustsFutureStamps(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := NewSuite("wwfut", "secret")
	now := time.Now()
	// A ticket stamped an hour ahead (a skewed clock) is taken as "now"...
	require.NoError(t, s.SetTicketAt(ctx, "skewed", now.Add(time.Hour)))
	// ...so the next real ticket still replaces it.
	require.NoError(t, s.SetTicketAt(ctx, "real", now.Add(2*time.Second)))
	got, _, _ := s.ticket(ctx)
	require.Equal(t, "real", got, "ticket %q: a future stamp locked out the real one", got)
	// A future stamp written straight into the Store (another instance with
	// an older SDK, a bad clock) does not lock tickets out either.
	_ = s.store.Set(ctx, s.ticketKey(), encodeTicket(now.Add(time.Hour), "stuck"), 0)
	_ = s.SetTicketAt(ctx, "fresh", now)
	got, _, _ = s.ticket(ctx)
	require.Equal(t, "fresh", got, "ticket")
	// Nor does a stored ticket older than WeCom's 30 minutes.
	_ = s.store.Set(ctx, s.ticketKey(), encodeTicket(now.Add(-time.Hour), "expired"), 0)
	_ = s.SetTicketAt(ctx, "older-but-valid", now.Add(-2*time.Hour))
	got, _, _ = s.ticket(ctx)
	require.Equal(t, "older-but-valid", got, "ticket")
}
