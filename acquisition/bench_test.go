package acquisition

import (
	"testing"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/stretchr/testify/require"
)

// benchChannels returns a Channels with one ensured channel over a fresh
// MemoryStore.
func benchChannels(b *testing.B) (*Channels, *ChannelLink, wecom.Store) {
	b.Helper()
	_, c := testkit.Setup(b, testkit.WithStaff("zhangsan"))
	store := wecom.NewMemoryStore()
	ch, err := NewChannels(New(c), store, ChannelTemplate{Range: Range{UserList: []string{"zhangsan"}}})
	require.NoError(b, err)
	l, err := ch.Ensure(b.Context(), Channel{Name: "douyin-ad-7"})
	require.NoError(b, err)
	return ch, l, store
}

// BenchmarkChannelsEnsureKnown is Ensure of a channel that has its link:
// the path every publish of a channel URL takes.
func BenchmarkChannelsEnsureKnown(b *testing.B) {
	ch, _, _ := benchChannels(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		_, err := ch.Ensure(ctx, Channel{Name: "douyin-ad-7"})
		require.NoError(b, err)
	}
}

// BenchmarkChannelsResolve is Resolve of a customer's state (known to the
// Channels, so from memory): the path of every add_external_contact event.
func BenchmarkChannelsResolve(b *testing.B) {
	ch, l, _ := benchChannels(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		_, ok, err := ch.Resolve(ctx, l.State)
		require.NoError(b, err)
		require.True(b, ok)
	}
}

// BenchmarkChannelsLookupState is LookupState of a customer's state: the
// channel's link, with one read of the Store.
func BenchmarkChannelsLookupState(b *testing.B) {
	ch, l, _ := benchChannels(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		_, ok, err := ch.LookupState(ctx, l.State)
		require.NoError(b, err)
		require.True(b, ok)
	}
}

// BenchmarkStoreGetReference is the reference: one Get of the channel's
// record from the same MemoryStore.
func BenchmarkStoreGetReference(b *testing.B) {
	ch, _, store := benchChannels(b)
	ctx := b.Context()
	key := ch.eng.ChannelKey("douyin-ad-7")
	b.ReportAllocs()
	for b.Loop() {
		_, ok, err := store.Get(ctx, key)
		require.NoError(b, err)
		require.True(b, ok)
	}
}
