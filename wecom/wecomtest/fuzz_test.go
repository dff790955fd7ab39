package wecomtest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
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
			require.Equal(t, 40058, aerr.code, "code")
			return
		}
		require.Len(t, parts, n, "%d parts", len(parts))
		for _, p := range parts {
			require.GreaterOrEqual(t, p, 0, "negative offset")
		}
		if cursor != "" {
			again, aerr := decodeCursor(encodeCursor(parts...), n)
			require.Nil(t, aerr, "re-encode: %v", again)
			require.True(t, slices.Equal(again, parts), "re-encode: %v %v", again, aerr)
		}
	})
}

func TestChinaMidnight(t *testing.T) {
	t.Parallel()
	// 2019-04-03 21:00 China time → 2019-04-03 00:00 China time (WeCom's own example)
	require.Equal(t, int64(1554220800), chinaMidnight(1554296400), "chinaMidnight")
}
