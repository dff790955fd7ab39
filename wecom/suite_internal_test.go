package wecom

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
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

func TestCorpIndexStaysSortedAndRepairsItself(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewSuite("wwidx", "secret")
	for _, c := range []string{"wwc", "wwa", "wwb", "wwa"} {
		if err := s.updateIndex(ctx, c, true); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := s.AuthorizedCorps(ctx)
	if err != nil || !slices.Equal(ids, []string{"wwa", "wwb", "wwc"}) {
		t.Fatalf("index %v, %v", ids, err)
	}
	if err := s.updateIndex(ctx, "wwb", false); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.AuthorizedCorps(ctx); !slices.Equal(ids, []string{"wwa", "wwc"}) {
		t.Fatalf("after removal %v", ids)
	}
	// A broken entry is rebuilt by the next install instead of failing it.
	_ = s.store.Set(ctx, s.corpsKey(), "{broken", 0)
	if _, err := s.AuthorizedCorps(ctx); err == nil {
		t.Fatal("broken index read without error")
	}
	if err := s.updateIndex(ctx, "wwd", true); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.AuthorizedCorps(ctx); !slices.Equal(ids, []string{"wwd"}) {
		t.Fatalf("rebuilt index %v", ids)
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
