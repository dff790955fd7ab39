package redisstore

import (
	"errors"
	"testing"
)

// FuzzOpenSealed feeds stored values (what Redis hands back, which anyone
// with access to it can change) to the decryption: it never panics, never
// returns plaintext for a value it did not seal, and round-trips what it
// sealed.
func FuzzOpenSealed(f *testing.F) {
	s, err := newSealer(testKey(1), testKey(2))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := s.seal("wecom:k", "secret")
	f.Add("wecom:k", good)
	f.Add("wecom:k", sealedPrefix)
	f.Add("wecom:k", sealedPrefix+"deadbeef:")
	f.Add("wecom:k", sealedPrefix+s.cur.id+":AAAA")
	f.Add("wecom:k", sealedPrefix+s.cur.id+":!!!")
	f.Add("other", good)
	f.Fuzz(func(t *testing.T, name, v string) {
		pt, err := s.open(name, v)
		if err == nil {
			if name != "wecom:k" || pt != "secret" {
				// only the seed sealed with this key opens (under its own
				// name; fuzz workers seal it with other nonces); a
				// forgery would need the key
				t.Fatalf("opened %q under %q: %q", v, name, pt)
			}
		} else if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrWrongKey) {
			t.Fatalf("unexpected error %v", err)
		}
		sealed, err := s.seal(name, v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.open(name, sealed)
		if err != nil || back != v {
			t.Fatalf("round trip: %q %v", back, err)
		}
		var none *sealer
		if _, err := none.open(name, sealed); !errors.Is(err, ErrNoKey) {
			t.Fatalf("no key: %v", err)
		}
	})
}
