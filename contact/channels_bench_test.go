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

// BenchmarkChannelsResolveCode is what every add_external_contact costs
// before any WeCom call: the state's channel, then the channel's code with
// its tags and remark template, from the Store.
func BenchmarkChannelsResolveCode(b *testing.B) {
	chs, code, _ := benchChannels(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := chs.ResolveCode(ctx, code.State); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkChannelsStoreGetReference is the reference: two Gets from the
// same MemoryStore (the state's key and the channel's), nothing decoded.
func BenchmarkChannelsStoreGetReference(b *testing.B) {
	_, code, store := benchChannels(b)
	ctx := context.Background()
	prefix := "scrm:contactway:" + wecomtest.DefaultCorpID + "::"
	channelKey := (&channelstate.Registry[struct{}]{Prefix: prefix}).ChannelKey("spring-poster")
	b.ReportAllocs()
	for b.Loop() {
		name, ok, err := store.Get(ctx, prefix+"state:"+code.State)
		if err != nil || !ok || name != "spring-poster" {
			b.Fatal(name, ok, err)
		}
		if _, ok, err := store.Get(ctx, channelKey); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
