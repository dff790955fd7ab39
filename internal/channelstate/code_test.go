package channelstate

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLabelFitsAndEndsWithTheState(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "spring#chabcdefghij", Label("spring", "chabcdefghij", 30))
	assert.Equal(t, "a b#chx", Label("a\nb", "chx", 30), "control characters become spaces")
	assert.Equal(t, "一二三四五六七八九十一二三四五六七#chabcdefghij",
		Label("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", "chabcdefghij", 30))
	assert.Equal(t, "#abc", Label("x", "abcdef", 4), "a state too long for max is cut")
}

func TestCodeIsStableAndShort(t *testing.T) {
	t.Parallel()
	c := Code("cw")
	assert.Equal(t, c("spring", 0), Code("cw")("spring", 0))
	assert.NotEqual(t, c("spring", 0), c("spring", 1))
	assert.NotEqual(t, c("spring", 0), c("summer", 0))
	assert.Regexp(t, `^cw[a-z2-7]{10}$`, c("spring", 0))
	assert.True(t, IsAlnum("aZ09", false))
	assert.False(t, IsAlnum("a-b", false))
	assert.True(t, IsAlnum("a-b_c", true))
	assert.False(t, IsAlnum("a:b", true))
}

// FuzzLabel: a label always fits and ends with its state, whatever the
// channel.
func FuzzLabel(f *testing.F) {
	for _, s := range []string{"", "spring", "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", "\x00\xff\xfe", "a#b#c", strings.Repeat("x", 100)} {
		f.Add(s)
	}
	code := Code("ch")
	f.Fuzz(func(t *testing.T, channel string) {
		st := code(channel, 0)
		name := Label(channel, st, 30)
		n := utf8.RuneCountInString(name)
		require.LessOrEqual(t, n, 30, "%q: %d characters", name, n)
		require.True(t, strings.HasSuffix(name, "#"+st), "%q lacks its state %q", name, st)
	})
}
