package wecomtest

import (
	"slices"
	"testing"
)

// FuzzDecodeCursor feeds client-supplied cursors to the fake's decoder: it
// must never panic, must refuse what it did not issue with 40058, and must
// give back what encodeCursor wrote.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("", 1)
	f.Add(encodeCursor(3), 1)
	f.Add(encodeCursor(2, 17), 2)
	f.Add("YzotMQ", 1) // "c:-1"
	f.Add("not base64!", 2)
	f.Fuzz(func(t *testing.T, cursor string, n int) {
		if n < 1 || n > 4 {
			return
		}
		parts, aerr := decodeCursor(cursor, n)
		if aerr != nil {
			if aerr.code != 40058 {
				t.Fatalf("code %d", aerr.code)
			}
			return
		}
		if len(parts) != n {
			t.Fatalf("%d parts", len(parts))
		}
		for _, p := range parts {
			if p < 0 {
				t.Fatalf("negative offset %d", p)
			}
		}
		if cursor != "" {
			again, aerr := decodeCursor(encodeCursor(parts...), n)
			if aerr != nil || !slices.Equal(again, parts) {
				t.Fatalf("re-encode: %v %v", again, aerr)
			}
		}
	})
}

func TestChinaMidnight(t *testing.T) {
	t.Parallel()
	// 2019-04-03 21:00 China time → 2019-04-03 00:00 China time (WeCom's own example)
	if got := chinaMidnight(1554296400); got != 1554220800 {
		t.Fatalf("chinaMidnight = %d, want 1554220800", got)
	}
}
