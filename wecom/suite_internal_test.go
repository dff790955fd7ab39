package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
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
		if ticket == "" {
			t.Fatalf("decodeTicket(%q) accepted an empty ticket", v)
		}
		at2, ticket2, ok2 := decodeTicket(encodeTicket(at, ticket))
		if !ok2 || ticket2 != ticket || !at2.Equal(at) {
			t.Fatalf("round trip of %q: %v %q %v", v, at2, ticket2, ok2)
		}
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
		if err != nil || !slices.Equal(ids, again) {
			t.Fatalf("re-decoding %q: %v %v", v, again, err)
		}
	})
}

func TestCorpIndexFollowsTheCodesAndNeverDropsOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewSuite("wwidx", "secret")
	for _, c := range []string{"wwc", "wwa", "wwb", "wwa"} {
		if err := s.SetPermanentCode(ctx, c, "code-"+c); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := s.AuthorizedCorps(ctx)
	if err != nil || !slices.Equal(ids, []string{"wwa", "wwb", "wwc"}) {
		t.Fatalf("index %v, %v", ids, err)
	}
	if err := s.ForgetCorp(ctx, "wwb"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.AuthorizedCorps(ctx); !slices.Equal(ids, []string{"wwa", "wwc"}) {
		t.Fatalf("after removal %v", ids)
	}
	// An index entry without a code (a lost race) is corrected by the next sync.
	// (wwa, wwc and wwz in one shard for the test: each corp's shard holds it)
	_ = s.store.Set(ctx, s.corpsKey("wwz"), `["wwz"]`, 0)
	if err := s.syncIndex(ctx, "wwz"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.AuthorizedCorps(ctx); !slices.Equal(ids, []string{"wwa", "wwc"}) {
		t.Fatalf("after sync %v", ids)
	}
	// A broken index is reported, never silently replaced by one corp.
	_ = s.store.Set(ctx, s.corpsKey("wwd"), "{broken", 0)
	if _, err := s.AuthorizedCorps(ctx); err == nil {
		t.Fatal("broken index read without error")
	}
	if err := s.SetPermanentCode(ctx, "wwd", "code-d"); err == nil || !strings.Contains(err.Error(), s.corpsKey("wwd")) {
		t.Fatalf("install over a broken index: %v", err)
	}
	if ok, _ := s.IsAuthorized(ctx, "wwd"); !ok {
		t.Fatal("the permanent code itself must still be stored")
	}
	if v, _, _ := s.store.Get(ctx, s.corpsKey("wwd")); v != "{broken" {
		t.Fatalf("broken index overwritten with %q", v)
	}
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
	ctx := context.Background()
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
		if err != nil {
			t.Fatalf("install %d: %v", i, err)
		}
	}
	ids, err := NewSuite("wwrace", "secret", WithStore(store)).AuthorizedCorps(ctx)
	if err != nil || len(ids) != len(errs) {
		t.Fatalf("index holds %d of %d corps (%v)", len(ids), len(errs), err)
	}
}

func TestCorpIndexForgetRacingReinstall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
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
		if authorized != slices.Contains(ids, "wwx") {
			t.Fatalf("IsAuthorized %v but index %v", authorized, ids)
		}
	}
}

func TestSetTicketKeepsNewerAgainstMalformedAndOld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewSuite("wwtk", "secret")
	_ = s.store.Set(ctx, s.ticketKey(), "garbage", 0)
	now := time.Now()
	if err := s.SetTicketAt(ctx, "t1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTicketAt(ctx, "t0", now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.ticket(ctx)
	if err != nil || got != "t1" {
		t.Fatalf("ticket %q, %v", got, err)
	}
	if err := s.SetTicket(ctx, "bad\nticket"); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("ticket with a newline: %v", err)
	}
	if s.cachedClients() != 0 {
		t.Fatal("clients cached before any Corp call")
	}
}

func TestSetTicketDistrustsFutureStamps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewSuite("wwfut", "secret")
	now := time.Now()
	// A ticket stamped an hour ahead (a skewed clock) is taken as "now"...
	if err := s.SetTicketAt(ctx, "skewed", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// ...so the next real ticket still replaces it.
	if err := s.SetTicketAt(ctx, "real", now.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.ticket(ctx); got != "real" {
		t.Fatalf("ticket %q: a future stamp locked out the real one", got)
	}
	// A future stamp written straight into the Store (another instance with
	// an older SDK, a bad clock) does not lock tickets out either.
	_ = s.store.Set(ctx, s.ticketKey(), encodeTicket(now.Add(time.Hour), "stuck"), 0)
	_ = s.SetTicketAt(ctx, "fresh", now)
	if got, _, _ := s.ticket(ctx); got != "fresh" {
		t.Fatalf("ticket %q", got)
	}
	// Nor does a stored ticket older than WeCom's 30 minutes.
	_ = s.store.Set(ctx, s.ticketKey(), encodeTicket(now.Add(-time.Hour), "expired"), 0)
	_ = s.SetTicketAt(ctx, "older-but-valid", now.Add(-2*time.Hour))
	if got, _, _ := s.ticket(ctx); got != "older-but-valid" {
		t.Fatalf("ticket %q", got)
	}
}
