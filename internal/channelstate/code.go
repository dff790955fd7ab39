package channelstate

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// CodeLen is the length of the hash part of a state: 10 base32
// characters, 50 bits.
const CodeLen = 10

// MaxAttempts bounds the search for a free state.
const MaxAttempts = 32

var code32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Code returns the state candidates of prefix: prefix + CodeLen base32
// characters of SHA-256(channel, attempt). The first candidate of a channel
// is the same in every process and after every restart, so a channel keeps
// its state even when the Store is lost.
func Code(prefix string) func(channel string, attempt int) string {
	return func(channel string, attempt int) string {
		h := sha256.New()
		h.Write([]byte(channel))
		var n [9]byte
		binary.BigEndian.PutUint64(n[1:], uint64(attempt))
		h.Write(n[:])
		var sum [sha256.Size]byte
		var enc [52]byte // base32 of 32 bytes
		code32.Encode(enc[:], h.Sum(sum[:0]))
		return prefix + string(enc[:CodeLen])
	}
}

// IsAlnum reports whether s holds only ASCII letters and digits, and also
// '-' and '_' when punct is set. The empty string passes.
func IsAlnum(s string, punct bool) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || punct && (r == '-' || r == '_')
		if !ok {
			return false
		}
	}
	return true
}

// Label names a WeCom object (a link, a contact way, a join way) after its
// channel: as much of the channel as fits in max characters, then "#" and
// the state, which makes the label unique. Control characters become
// spaces. A state longer than max-1 characters is returned cut to max.
func Label(channel, state string, max int) string {
	room := max - utf8.RuneCountInString(state) - 1
	if room < 0 {
		r := []rune("#" + state)
		return string(r[:max])
	}
	var b strings.Builder
	n := 0
	for _, r := range channel {
		if n == room {
			break
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String() + "#" + state
}

// MaxStatePrefix is the longest state prefix, in bytes (each area's
// MaxChannelStatePrefix): with the CodeLen characters of the hash a state
// stays within WeCom's 30 characters.
const MaxStatePrefix = 16

// CheckTemplate checks the StatePrefix and Namespace of a channel
// template: a prefix of at most MaxStatePrefix letters and digits, a
// namespace of letters, digits, '-' and '_' (it goes into Store keys).
func CheckTemplate(statePrefix, namespace string) error {
	switch {
	case len(statePrefix) > MaxStatePrefix || !IsAlnum(statePrefix, false):
		return fmt.Errorf("StatePrefix %q: want at most %d letters and digits", statePrefix, MaxStatePrefix)
	case !IsAlnum(namespace, true):
		return fmt.Errorf("Namespace %q: want letters, digits, '-' and '_'", namespace)
	}
	return nil
}
