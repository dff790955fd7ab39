package acquisition

import (
	"context"
	"testing"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// benchChannels returns a Channels with one ensured channel over a fresh
// MemoryStore.
func benchChannels(b *testing.B) (*Channels, *ChannelLink, wecom.Store) {
	b.Helper()
	srv := wecomtest.NewServer(b)
	if err := srv.Corp(srv.CorpID).AddStaff("zhangsan"); err != nil {
		b.Fatal(err)
	}
	store := wecom.NewMemoryStore()
	ch, err := NewChannels(New(srv.Client()), store, ChannelTemplate{Range: Range{UserList: []string{"zhangsan"}}})
	if err != nil {
		b.Fatal(err)
	}
	l, err := ch.Ensure(context.Background(), Channel{Name: "douyin-ad-7"})
	if err != nil {
		b.Fatal(err)
	}
	return ch, l, store
}

// BenchmarkChannelsEnsureKnown is Ensure of a channel that has its link:
// the path every publish of a channel URL takes.
func BenchmarkChannelsEnsureKnown(b *testing.B) {
	ch, _, _ := benchChannels(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Ensure(ctx, Channel{Name: "douyin-ad-7"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChannelsResolve is Resolve of a customer's state (known to the
// Channels, so from memory): the path of every add_external_contact event.
func BenchmarkChannelsResolve(b *testing.B) {
	ch, l, _ := benchChannels(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := ch.Resolve(ctx, l.State); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkChannelsLookupState is LookupState of a customer's state: the
// channel's link, with one read of the Store.
func BenchmarkChannelsLookupState(b *testing.B) {
	ch, l, _ := benchChannels(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := ch.LookupState(ctx, l.State); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkStoreGetReference is the reference: one Get of the channel's
// record from the same MemoryStore.
func BenchmarkStoreGetReference(b *testing.B) {
	ch, _, store := benchChannels(b)
	ctx := context.Background()
	key := ch.eng.ChannelKey("douyin-ad-7")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := store.Get(ctx, key); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
