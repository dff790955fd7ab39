package redisstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Errors of values encrypted at rest. Each is wrapped with the key name
// (never the value).
var (
	// ErrWrongKey: the value (or the store's key check) was encrypted with
	// a key this Store was not given. Open the store with that key (give
	// the old one among WithEncryptionKey's previous keys when rotating).
	ErrWrongKey = errors.New("redisstore: encrypted with a key this store was not given")
	// ErrTampered: the value names this store's key but fails
	// authentication: it was changed, or copied from another key name.
	ErrTampered = errors.New("redisstore: encrypted value fails authentication (changed, or moved from another key)")
	// ErrNoKey: the value is encrypted but the store has no key.
	ErrNoKey = errors.New("redisstore: value is encrypted but the store has no encryption key (WithEncryptionKey)")
	// ErrNotEncrypted: the value should be encrypted but is stored in plain
	// text (written before encryption was turned on; see WithoutEncryption).
	ErrNotEncrypted = errors.New("redisstore: value should be encrypted but is stored in plain text")
)

// sealedPrefix starts every encrypted value: "\x00enc1:<key id>:<base64 of
// nonce ‖ ciphertext ‖ tag>". No value the SDK writes starts with a NUL.
const sealedPrefix = "\x00enc1:"

// sealer encrypts values with AES-GCM under the current key and decrypts
// them under the current or a previous one, chosen by key id. The Redis key
// name (without the prefix) is the additional data, so a value moved to
// another key fails authentication.
type sealer struct {
	cur  keyed
	keys map[string]cipher.AEAD // key id → AEAD, current and previous
}

type keyed struct {
	id   string
	aead cipher.AEAD
}

// keyID names a key without revealing it: 4 bytes of a labelled SHA-256.
func keyID(key []byte) string {
	h := sha256.Sum256(append([]byte("scrmkit redisstore key id\x00"), key...))
	return hex.EncodeToString(h[:4])
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("redisstore: encryption key of %d bytes; want 16, 24 or 32 (AES-128/192/256)", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func newSealer(cur []byte, previous ...[]byte) (*sealer, error) {
	aead, err := newAEAD(cur)
	if err != nil {
		return nil, err
	}
	s := &sealer{cur: keyed{id: keyID(cur), aead: aead}, keys: map[string]cipher.AEAD{keyID(cur): aead}}
	for i, k := range previous {
		a, err := newAEAD(k)
		if err != nil {
			return nil, fmt.Errorf("redisstore: previous key %d: %w", i+1, err)
		}
		if _, dup := s.keys[keyID(k)]; !dup {
			s.keys[keyID(k)] = a
		}
	}
	return s, nil
}

func (s *sealer) seal(name, value string) (string, error) {
	a := s.cur.aead
	buf := make([]byte, a.NonceSize(), a.NonceSize()+len(value)+a.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("redisstore: nonce: %w", err)
	}
	buf = a.Seal(buf, buf, []byte(value), []byte(name))
	return sealedPrefix + s.cur.id + ":" + base64.RawStdEncoding.EncodeToString(buf), nil
}

func isSealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }

// open decrypts a sealed value stored under name; s may be nil (no key).
func (s *sealer) open(name, v string) (string, error) {
	id, b64, ok := strings.Cut(strings.TrimPrefix(v, sealedPrefix), ":")
	if !ok {
		return "", fmt.Errorf("%w: malformed", ErrTampered)
	}
	if s == nil {
		return "", ErrNoKey
	}
	a := s.keys[id]
	if a == nil {
		return "", fmt.Errorf("%w (value key id %s, store key id %s)", ErrWrongKey, id, s.cur.id)
	}
	buf, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(buf) < a.NonceSize()+a.Overhead() {
		return "", fmt.Errorf("%w: malformed", ErrTampered)
	}
	pt, err := a.Open(nil, buf[:a.NonceSize()], buf[a.NonceSize():], []byte(name))
	if err != nil {
		return "", ErrTampered
	}
	return string(pt), nil
}
