package callback

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// refOpen is a plain reading of the decrypt rules on an already decrypted
// buffer, to compare Crypto against.
func refOpen(pt []byte, rid string) ([]byte, error) {
	if len(pt) == 0 || len(pt)%16 != 0 {
		return nil, ErrBadCiphertext
	}
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > 32 || pad > len(pt) {
		return nil, ErrBadPadding
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, ErrBadPadding
		}
	}
	pt = pt[:len(pt)-pad]
	if len(pt) < 20 {
		return nil, ErrBadLength
	}
	n := int64(binary.BigEndian.Uint32(pt[16:20]))
	if 20+n > int64(len(pt)) {
		return nil, ErrBadLength
	}
	if rid != "" && string(pt[20+n:]) != rid {
		return nil, ErrReceiverMismatch
	}
	return pt[20 : 20+n], nil
}

// FuzzDecrypt drives the whole decrypt path: arbitrary plaintext buffers
// (any padding, any length field, any receiver id) are encrypted raw and
// correctly signed, then Decrypt must agree with refOpen and never panic.
// Arbitrary signatures and ciphertext strings are tried too.
func FuzzDecrypt(f *testing.F) {
	f.Add([]byte(layout("hello", vReceiveID, 21, 21, 5)), "", "1", "2")
	f.Add([]byte(layout("hello", vReceiveID, 21, 0, 5)), "", "1", "2")
	f.Add([]byte(layout("", "", 12, 12, 0)), "", "1409659813", "1372623149")
	f.Add(bytes.Repeat([]byte{32}, 64), "", "1", "2")
	f.Add([]byte{}, vMsgSig, vMsgTimestamp, vMsgNonce)
	f.Add([]byte("x"), vMsgEncrypt, vMsgTimestamp, vMsgNonce)
	f.Add([]byte("x"), "!!!", "", "")
	c := vectorCrypto(f, vReceiveID)
	f.Fuzz(func(t *testing.T, raw []byte, encrypt, ts, nonce string) {
		// 1. arbitrary strings: no panic; errors are sentinels
		_, err := c.Decrypt(c.Signature(ts, nonce, encrypt), ts, nonce, encrypt)
		require.False(t, err != nil && !isSentinel(err), "non-sentinel error %v", err)
		_, err = c.Decrypt(encrypt, ts, nonce, encrypt)
		require.False(t, err == nil && len(encrypt) != 40, "accepted a malformed signature")
		// 2. crafted plaintext, valid signature: must match the reference rules
		raw = raw[:len(raw)/16*16]
		if len(raw) > 4096 {
			raw = raw[:4096]
		}
		var enc string
		if len(raw) > 0 {
			enc = seal(t, raw)
		}
		got, err := c.Decrypt(c.Signature(ts, nonce, enc), ts, nonce, enc)
		want, werr := refOpen(append([]byte(nil), raw...), vReceiveID)
		require.True(t, errors.Is(err, werr) || (werr == ErrBadCiphertext && errors.Is(err, ErrBadCiphertext)), "err %v, reference %v", err, werr)
		require.False(t, err == nil && !bytes.Equal(got, want), "got %q, reference %q", got, want)
		// 3. whatever decrypts must also parse or fail cleanly
		if err == nil {
			_, _ = ParseEvent(got)
		}
		// 4. round trip of the raw bytes as a message
		e2, s2, err := c.Encrypt(raw, ts, nonce)
		require.NoError(t, err)
		back, err := c.Decrypt(s2, ts, nonce, e2)
		require.NoError(t, err, "round trip")
		require.Equal(t, raw, back, "round trip: %v", err)
		_, err = base64.StdEncoding.DecodeString(e2)
		require.NoError(t, err)
	})
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrBadSignature, ErrBadBase64, ErrBadCiphertext, ErrBadPadding, ErrBadLength, ErrReceiverMismatch} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
