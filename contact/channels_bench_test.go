package contact_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func benchChannels(b *testing.B) (*contact.Channels, *contact.ChannelCode, *wecom.MemoryStore) {
	srv := wecomtest.NewServer(b)
	require.NoError(b, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	store := wecom.NewMemoryStore()
	chs, err := contact.NewChannels(contact.New(srv.Client()), store, contact.ChannelTemplate{})
	require.NoError(b, err)
	code, err := chs.Ensure(context.Background(), contact.Channel{Name: "spring-poster", Users: []string{"zhangsan"},
		Tags: []string{"et1", "et2"}, Remark: "{channel}·{name}"})
	require.NoError(b, err)
	return chs, code, store
}

// BenchmarkChannelsLookupState is what every add_external_contact costs
// before any WeCom call: the state's channel (known to the Channels), then
// the channel's code with its tags and remark template, from the Store.
func BenchmarkChannelsLookupState(b *testing.B) {
	chs, code, _ := benchChannels(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := chs.LookupState(ctx, code.State); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkChannelsResolve is what message.Welcomes asks of the Channels
// for every add_external_contact: a known state's channel, from memory.
func BenchmarkChannelsResolve(b *testing.B) {
	chs, code, _ := benchChannels(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if name, ok, err := chs.Resolve(ctx, code.State); err != nil || !ok || name != "spring-poster" {
			b.Fatal(name, ok, err)
		}
	}
}

// BenchmarkChannelsStoreGetReference is the reference: the one Get
// LookupState makes (the channel's record) from the same MemoryStore,
// nothing decoded.
func BenchmarkChannelsStoreGetReference(b *testing.B) {
	_, _, store := benchChannels(b)
	ctx := context.Background()
	channelKey := channelstate.ChannelKey("scrm:contactway:"+wecomtest.DefaultCorpID+"::", "spring-poster")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := store.Get(ctx, channelKey); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
