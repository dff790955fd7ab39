package acquisition_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func newChannels(t testing.TB, svc *acquisition.Service, store wecom.Store) *acquisition.Channels {
	t.Helper()
	ch, err := acquisition.NewChannels(svc, store, acquisition.ChannelTemplate{
		Range: acquisition.Range{UserList: []string{"zhangsan", "lisi"}}})
	require.NoError(t, err)
	return ch
}

func TestChannelsOneLinkPerChannel(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := context.Background()
	store := wecom.NewMemoryStore()
	ch := newChannels(t, svc, store)

	spring, err := ch.Ensure(ctx, "spring-fair")
	require.NoError(t, err)
	again, err := ch.Ensure(ctx, "spring-fair")
	require.NoError(t, err)
	assert.Equal(t, spring, again)
	douyin, err := ch.Ensure(ctx, "抖音广告 #7 — 很长很长很长很长很长很长很长的渠道名称")
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathCreate), "one link per channel")
	assert.NotEqual(t, spring.LinkID, douyin.LinkID)
	assert.NotEqual(t, spring.State, douyin.State)

	for _, l := range []*acquisition.ChannelLink{spring, douyin} {
		assert.LessOrEqual(t, len(l.State), acquisition.MaxChannelBytes)
		assert.LessOrEqual(t, utf8.RuneCountInString(l.LinkName), acquisition.MaxLinkNameLen)
		assert.True(t, strings.HasSuffix(l.LinkName, "#"+l.State), l.LinkName)
		assert.Contains(t, l.URL, "customer_channel="+l.State)
		d, err := svc.Get(ctx, l.LinkID)
		require.NoError(t, err)
		assert.Equal(t, l.LinkName, d.Link.LinkName)
		assert.Equal(t, []string{"zhangsan", "lisi"}, d.Range.UserList)
	}
	assert.True(t, strings.HasPrefix(douyin.LinkName, "抖音广告 #7"), douyin.LinkName)

	// A restart (a new Channels over the same Store) finds the same links.
	ch2 := newChannels(t, svc, store)
	l, ok, err := ch2.Lookup(ctx, "spring-fair")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, spring, l)
	_, ok, err = ch2.Lookup(ctx, "never-made")
	require.NoError(t, err)
	assert.False(t, ok)

	// Customers are resolved back to their channel: by the state of the
	// add (event or customer list) and by the link of an acquisition event.
	tap, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, douyin.LinkID, douyin.State)
	require.NoError(t, err)
	got, ok, err := ch2.Resolve(ctx, tap.State)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "抖音广告 #7 — 很长很长很长很长很长很长很长的渠道名称", got)
	got, ok, err = ch2.ResolveLink(ctx, spring.LinkID)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "spring-fair", got)
	_, ok, err = ch2.Resolve(ctx, "")
	require.NoError(t, err)
	assert.False(t, ok, "the bare URL has no channel")
	_, ok, err = ch2.Resolve(ctx, "chunknown")
	require.NoError(t, err)
	assert.False(t, ok)

	var custs []*acquisition.Customer
	for c, err := range ch2.Customers(ctx, "抖音广告 #7 — 很长很长很长很长很长很长很长的渠道名称") {
		require.NoError(t, err)
		custs = append(custs, c)
	}
	require.Len(t, custs, 1)
	assert.Equal(t, tap.ExternalUserID, custs[0].ExternalUserID)
	assert.Equal(t, douyin.State, custs[0].State)
	for c, err := range ch2.Customers(ctx, "never-made") {
		assert.Nil(t, c)
		assert.ErrorIs(t, err, acquisition.ErrNoChannel)
	}
}

func TestChannelsStatesAreStableAcrossStores(t *testing.T) {
	t.Parallel()
	_, svc := setup(t)
	ctx := context.Background()
	a, err := newChannels(t, svc, wecom.NewMemoryStore()).Ensure(ctx, "weibo")
	require.NoError(t, err)
	// Even with the Store lost, the same channel gets the same state (its
	// first candidate), so customers who came before still resolve once
	// the link is made again.
	b, err := newChannels(t, svc, wecom.NewMemoryStore()).Ensure(ctx, "weibo")
	require.NoError(t, err)
	assert.Equal(t, a.State, b.State)
}

// Several instances sharing a Store create one link for a channel.
func TestChannelsConcurrentEnsureCreatesOneLink(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	store := wecom.NewMemoryStore()
	instances := []*acquisition.Channels{newChannels(t, svc, store), newChannels(t, svc, store), newChannels(t, svc, store)}
	var wg sync.WaitGroup
	links := make([]*acquisition.ChannelLink, 24)
	errs := make([]error, len(links))
	for i := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			links[i], errs[i] = instances[i%len(instances)].Ensure(context.Background(), "launch")
		}()
	}
	wg.Wait()
	for i := range links {
		require.NoError(t, errs[i])
		assert.Equal(t, links[0], links[i])
	}
	assert.Equal(t, 1, srv.Count(pathCreate))
}

func TestChannelsDeleteKeepsOldCustomersResolvable(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := context.Background()
	ch := newChannels(t, svc, wecom.NewMemoryStore())
	old, err := ch.Ensure(ctx, "expo")
	require.NoError(t, err)
	require.NoError(t, ch.Delete(ctx, "expo"))
	_, ok, err := ch.Lookup(ctx, "expo")
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = svc.Get(ctx, old.LinkID)
	assert.Error(t, err, "the link is deleted at WeCom")
	got, ok, err := ch.Resolve(ctx, old.State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "expo", got)
	got, ok, err = ch.ResolveLink(ctx, old.LinkID)
	require.NoError(t, err)
	assert.True(t, ok, "late events about the old link still resolve")
	assert.Equal(t, "expo", got)

	fresh, err := ch.Ensure(ctx, "expo")
	require.NoError(t, err)
	assert.NotEqual(t, old.LinkID, fresh.LinkID)
	assert.Equal(t, old.State, fresh.State, "the channel keeps its state")

	// A link deleted in the admin console is forgotten too.
	require.NoError(t, srv.Corp(srv.CorpID).Acquisition().DeleteLinkInAdmin(ctx, fresh.LinkID))
	require.NoError(t, ch.Delete(ctx, "expo"))
	_, ok, err = ch.Lookup(ctx, "expo")
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, ch.Delete(ctx, "never-made"), "nothing to delete")

	// A transport failure keeps the mapping.
	third, err := ch.Ensure(ctx, "expo")
	require.NoError(t, err)
	srv.Fail(pathDelete, wecomtest.Fault{HTTPStatus: http.StatusBadGateway, Times: 3})
	srv.Fail(pathGet, wecomtest.Fault{HTTPStatus: http.StatusBadGateway, Times: 3})
	require.Error(t, ch.Delete(ctx, "expo"))
	l, ok, err := ch.Lookup(ctx, "expo")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, third.LinkID, l.LinkID)
}

func TestChannelsErrorsReleaseTheClaim(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := context.Background()
	ch := newChannels(t, svc, wecom.NewMemoryStore())
	srv.Fail(pathCreate, wecomtest.Fault{Errcode: 40003})
	_, err := ch.Ensure(ctx, "x")
	assert.Equal(t, 40003, wecom.ErrorCode(err))
	l, err := ch.Ensure(ctx, "x")
	require.NoError(t, err, "a failed creation does not block the next")
	assert.NotEmpty(t, l.LinkID)

	_, err = ch.Ensure(ctx, "")
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
}

// cutAfterCreate sends create_link and then reports a broken connection:
// the link exists, the answer is lost.
type cutAfterCreate struct {
	base http.RoundTripper
	mu   sync.Mutex
	cuts int
}

func (c *cutAfterCreate) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && r.URL.Path == pathCreate && c.cuts > 0 {
		c.cuts--
		resp.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return resp, err
}

func TestChannelsRecoverALinkWhoseCreationOutcomeWasLost(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi"))
	rt := &cutAfterCreate{base: srv.HTTPClient().Transport}
	svc := acquisition.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: rt})))
	ctx := context.Background()
	newLink(t, svc, "unrelated", "zhangsan")
	rt.mu.Lock()
	rt.cuts = 1
	rt.mu.Unlock()

	ch := newChannels(t, svc, wecom.NewMemoryStore())
	l, err := ch.Ensure(ctx, "lost-answer")
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathCreate), "the creation is not repeated")
	ids := 0
	for _, err := range svc.ListLinksIter(ctx, nil) {
		require.NoError(t, err)
		ids++
	}
	assert.Equal(t, 2, ids, "the lost link was found by name, not made twice")
	d, err := svc.Get(ctx, l.LinkID)
	require.NoError(t, err)
	assert.Equal(t, l.LinkName, d.Link.LinkName)
}

func TestNewChannelsChecksItsTemplate(t *testing.T) {
	t.Parallel()
	_, svc := setup(t)
	store := wecom.NewMemoryStore()
	good := acquisition.Range{UserList: []string{"zhangsan"}}
	for _, tmpl := range []acquisition.ChannelTemplate{
		{},
		{Range: good, StatePrefix: "has space"},
		{Range: good, StatePrefix: strings.Repeat("a", acquisition.MaxStatePrefix+1)},
		{Range: good, Namespace: "a:b"},
		{Range: good, PriorityOption: &acquisition.PriorityOption{}},
	} {
		_, err := acquisition.NewChannels(svc, store, tmpl)
		assert.ErrorIs(t, err, acquisition.ErrInvalidArgument, "%+v", tmpl)
	}
	_, err := acquisition.NewChannels(nil, store, acquisition.ChannelTemplate{Range: good})
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
	_, err = acquisition.NewChannels(svc, nil, acquisition.ChannelTemplate{Range: good})
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
	ch, err := acquisition.NewChannels(svc, store, acquisition.ChannelTemplate{Range: good, StatePrefix: "fair", Namespace: "app_2"})
	require.NoError(t, err)
	l, err := ch.Ensure(context.Background(), "x")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(l.State, "fair"), l.State)
}

// Two apps of one corp sharing a Store keep apart with Namespace.
func TestChannelsNamespacesSeparateApps(t *testing.T) {
	t.Parallel()
	srv, self := setup(t)
	other := thirdPartyApp(t, srv, "wwsuitechan001")
	store := wecom.NewMemoryStore()
	ctx := context.Background()
	a, err := acquisition.NewChannels(self, store, acquisition.ChannelTemplate{Range: acquisition.Range{UserList: []string{"zhangsan"}}})
	require.NoError(t, err)
	b, err := acquisition.NewChannels(other, store, acquisition.ChannelTemplate{Range: acquisition.Range{UserList: []string{"lisi"}}, Namespace: "wwsuitechan001"})
	require.NoError(t, err)
	la, err := a.Ensure(ctx, "same")
	require.NoError(t, err)
	lb, err := b.Ensure(ctx, "same")
	require.NoError(t, err)
	assert.NotEqual(t, la.LinkID, lb.LinkID)
	_, err = other.Get(ctx, lb.LinkID)
	assert.NoError(t, err)
}
