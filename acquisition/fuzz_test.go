package acquisition

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/wecom"
	"github.com/stretchr/testify/require"
)

// FuzzLinkName: a link name always fits WeCom's limit and ends with its
// state, whatever the channel.
func FuzzLinkName(f *testing.F) {
	for _, s := range []string{"", "spring", "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", "\x00\xff\xfe", "a#b#c", strings.Repeat("x", 100)} {
		f.Add(s)
	}
	code := channelstate.Code("ch")
	f.Fuzz(func(t *testing.T, channel string) {
		st := code(channel, 0)
		name := channelstate.Label(channel, st, maxLinkNameLen)
		require.LessOrEqual(t, utf8.RuneCountInString(name), maxLinkNameLen, "%q", name)
		require.True(t, strings.HasSuffix(name, "#"+st), "%q lacks its state %q", name, st)
		require.LessOrEqual(t, len(st), maxChannelBytes)
		require.Equal(t, st, code(channel, 0), "a stable code")
		require.NotEqual(t, st, code(channel, 1), "the next candidate differs")
	})
}

// FuzzChannelURL: adding a channel to a link URL never panics, and the
// channel comes back out of the URL unchanged.
func FuzzChannelURL(f *testing.F) {
	f.Add("https://work.weixin.qq.com/ca/cawcde123", "spring")
	f.Add("https://work.weixin.qq.com/ca/x?comp_scene=abc", "a&b=c d")
	f.Add("not a url", "x")
	f.Add("https://h/%zz", "")
	f.Add("http://[::1]:80/ca?customer_channel=old", "新")
	f.Fuzz(func(t *testing.T, raw, channel string) {
		u, err := withChannel(raw, channel)
		if err != nil {
			return
		}
		p, err := url.Parse(u)
		require.NoError(t, err, "%q made %q", raw, u)
		require.Equal(t, channel, p.Query().Get("customer_channel"), "URL %q", u)
	})
}

// FuzzStoredMapping: whatever a shared Store holds for a channel, its state
// or a link, Lookup, LookupState, Resolve and LookupLink answer without
// panicking.
func FuzzStoredMapping(f *testing.F) {
	f.Add(`{"channel":"c","link_id":"ca1","state":"chx","url":"https://h/ca1"}`)
	f.Add(`{"channel":"other"}`)
	f.Add(`{"channel":"c","pending":"x"}`)
	f.Add(`not json`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, value string) {
		store := wecom.NewMemoryStore()
		ch, err := NewChannels(New(wecom.New("wwfuzz", "secret")), store, ChannelTemplate{})
		require.NoError(t, err)
		ctx := t.Context()
		_ = store.Set(ctx, ch.eng.ChannelKey("c"), value, 0)
		_ = store.Set(ctx, ch.eng.StateKey("chx"), value, 0)
		_ = store.Set(ctx, ch.linkKey("ca1"), value, 0)
		l, ok, err := ch.Lookup(ctx, "c")
		if ok {
			require.NoError(t, err)
			require.NotNil(t, l)
			require.Equal(t, "c", l.Name)
		}
		_, _, err = ch.Resolve(ctx, "chx")
		require.NoError(t, err)
		_, _, _ = ch.LookupState(ctx, "chx")
		_, _, _ = ch.LookupLink(ctx, "ca1")
	})
}

// FuzzCheckWindow: the statistic window check never panics and accepts
// only windows within the documented limits.
func FuzzCheckWindow(f *testing.F) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Add(now.Unix()-86400, now.Unix())
	f.Add(int64(0), int64(0))
	f.Add(now.Unix(), now.Unix()-1)
	f.Add(int64(-1<<63), int64(1<<63-1))
	f.Add(now.Unix()-181*86400, now.Unix()-180*86400)
	f.Fuzz(func(t *testing.T, start, end int64) {
		if checkWindow(wecom.UnixTime(start), wecom.UnixTime(end), now) != nil {
			return
		}
		require.GreaterOrEqual(t, end, start)
		require.LessOrEqual(t, end-start, int64(MaxStatisticSpanDays*86400))
		require.GreaterOrEqual(t, start, now.Unix()-(maxStatisticAgeDays+1)*86400)
	})
}
