package redisstore

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzOpenSealed feeds stored values (what Redis hands back, which anyone
// with access to it can change) to the decryption: it never panics, never
// returns plaintext for a value it did not seal, and round-trips what it
// sealed.
func FuzzOpenSealed(f *testing.F) {
	s, err := newSealer(testKey(1), testKey(2))
	require.NoError(f, err)
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
			// only the seed sealed with this key opens (under its own
			// name; fuzz workers seal it with other nonces); a
			// forgery would need the key
			require.Equal(t, "wecom:k", name, "opened %q under %q: %q", v, name, pt)
			require.Equal(t, "secret", pt, "opened %q under %q: %q", v, name, pt)
		} else {
			require.True(t, errors.Is(err, ErrTampered) || errors.Is(err, ErrWrongKey), "unexpected error %v", err)
		}
		sealed, err := s.seal(name, v)
		require.NoError(t, err)
		back, err := s.open(name, sealed)
		require.NoError(t, err, "round trip: %q", back)
		require.Equal(t, v, back, "round trip: %q %v", back, err)
		var none *sealer
		_, err = none.open(name, sealed)
		require.ErrorIs(t, err, ErrNoKey, "no key")
	})
}
