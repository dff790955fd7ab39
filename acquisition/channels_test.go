package acquisition_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/testkit"
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
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	ch := newChannels(t, svc, store)

	spring, err := ch.Ensure(ctx, acquisition.Channel{Name: "spring-fair"})
	require.NoError(t, err)
	again, err := ch.Ensure(ctx, acquisition.Channel{Name: "spring-fair"})
	require.NoError(t, err)
	assert.Equal(t, spring, again)
	douyin, err := ch.Ensure(ctx, acquisition.Channel{Name: "抖音广告 #7 — 很长很长很长很长很长很长很长的渠道名称"})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathCreate), "one link per channel")
	assert.NotEqual(t, spring.LinkID, douyin.LinkID)
	assert.NotEqual(t, spring.State, douyin.State)

	for _, l := range []*acquisition.ChannelLink{spring, douyin} {
		assert.LessOrEqual(t, len(l.State), 64)
		assert.LessOrEqual(t, utf8.RuneCountInString(l.LinkName), 30)
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
	byLink, ok, err := ch2.LookupLink(ctx, spring.LinkID)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, spring, byLink)
	byState, ok, err := ch2.LookupState(ctx, tap.State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, douyin, byState)
	_, ok, err = ch2.LookupLink(ctx, "ca-unknown")
	require.NoError(t, err)
	assert.False(t, ok)
	list, err := ch2.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []*acquisition.ChannelLink{spring, douyin}, list, "ordered by name")
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
	ctx := t.Context()
	a, err := newChannels(t, svc, wecom.NewMemoryStore()).Ensure(ctx, acquisition.Channel{Name: "weibo"})
	require.NoError(t, err)
	// Even with the Store lost, the same channel gets the same state (its
	// first candidate), so customers who came before still resolve once
	// the link is made again.
	b, err := newChannels(t, svc, wecom.NewMemoryStore()).Ensure(ctx, acquisition.Channel{Name: "weibo"})
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
			links[i], errs[i] = instances[i%len(instances)].Ensure(t.Context(), acquisition.Channel{Name: "launch"})
		}()
	}
	wg.Wait()
	for i := range links {
		require.NoError(t, errs[i])
		assert.Equal(t, links[0], links[i])
	}
	assert.Equal(t, 1, srv.Count(pathCreate))
}

func TestChannelsRetireKeepsOldCustomersResolvable(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	ch := newChannels(t, svc, wecom.NewMemoryStore())
	old, err := ch.Ensure(ctx, acquisition.Channel{Name: "expo"})
	require.NoError(t, err)
	require.NoError(t, ch.Retire(ctx, "expo"))
	_, ok, err := ch.Lookup(ctx, "expo")
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = svc.Get(ctx, old.LinkID)
	assert.Error(t, err, "the link is deleted at WeCom")
	got, ok, err := ch.Resolve(ctx, old.State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "expo", got)
	byLink, ok, err := ch.LookupLink(ctx, old.LinkID)
	require.NoError(t, err)
	assert.True(t, ok, "late events about the old link still resolve")
	assert.Equal(t, &acquisition.ChannelLink{Channel: acquisition.Channel{Name: "expo"}, LinkID: old.LinkID, State: old.State}, byLink)

	fresh, err := ch.Ensure(ctx, acquisition.Channel{Name: "expo"})
	require.NoError(t, err)
	assert.NotEqual(t, old.LinkID, fresh.LinkID)
	assert.Equal(t, old.State, fresh.State, "the channel keeps its state")
	byLink, ok, err = ch.LookupLink(ctx, old.LinkID)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, old.LinkID, byLink.LinkID, "the old link is not taken for the new one")
	assert.Empty(t, byLink.URL)

	// A link deleted in the admin console is forgotten too.
	require.NoError(t, srv.Corp(srv.CorpID).Acquisition().DeleteLinkInAdmin(ctx, fresh.LinkID))
	require.NoError(t, ch.Retire(ctx, "expo"))
	_, ok, err = ch.Lookup(ctx, "expo")
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, ch.Retire(ctx, "never-made"), "nothing to retire")

	// A transport failure keeps the mapping.
	third, err := ch.Ensure(ctx, acquisition.Channel{Name: "expo"})
	require.NoError(t, err)
	srv.Fail(pathDelete, wecomtest.Fault{HTTPStatus: http.StatusBadGateway, Times: 3})
	srv.Fail(pathGet, wecomtest.Fault{HTTPStatus: http.StatusBadGateway, Times: 3})
	require.Error(t, ch.Retire(ctx, "expo"))
	l, ok, err := ch.Lookup(ctx, "expo")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, third.LinkID, l.LinkID)
}

func TestChannelsErrorsReleaseTheClaim(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	ch := newChannels(t, svc, wecom.NewMemoryStore())
	srv.Fail(pathCreate, wecomtest.Fault{Errcode: 40003})
	_, err := ch.Ensure(ctx, acquisition.Channel{Name: "x"})
	assert.Equal(t, 40003, wecom.ErrorCode(err))
	l, err := ch.Ensure(ctx, acquisition.Channel{Name: "x"})
	require.NoError(t, err, "a failed creation does not block the next")
	assert.NotEmpty(t, l.LinkID)

	_, err = ch.Ensure(ctx, acquisition.Channel{Name: ""})
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
	ctx := t.Context()
	newLink(t, svc, "unrelated", "zhangsan")
	rt.mu.Lock()
	rt.cuts = 1
	rt.mu.Unlock()

	ch := newChannels(t, svc, wecom.NewMemoryStore())
	l, err := ch.Ensure(ctx, acquisition.Channel{Name: "lost-answer"})
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
		{Range: good, StatePrefix: "has space"},
		{Range: good, StatePrefix: strings.Repeat("a", acquisition.MaxChannelStatePrefix+1)},
		{Range: acquisition.Range{UserList: make([]string, 500+1)}},
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
	l, err := ch.Ensure(t.Context(), acquisition.Channel{Name: "x"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(l.State, "fair"), l.State)
}

// Two apps of one corp sharing a Store keep apart with Namespace.
func TestChannelsNamespacesSeparateApps(t *testing.T) {
	t.Parallel()
	srv, self := setup(t)
	other := acquisition.New(testkit.ThirdPartyApp(t, srv, "wwsuitechan001"))
	store := wecom.NewMemoryStore()
	ctx := t.Context()
	a, err := acquisition.NewChannels(self, store, acquisition.ChannelTemplate{Range: acquisition.Range{UserList: []string{"zhangsan"}}})
	require.NoError(t, err)
	b, err := acquisition.NewChannels(other, store, acquisition.ChannelTemplate{Range: acquisition.Range{UserList: []string{"lisi"}}, Namespace: "wwsuitechan001"})
	require.NoError(t, err)
	la, err := a.Ensure(ctx, acquisition.Channel{Name: "same"})
	require.NoError(t, err)
	lb, err := b.Ensure(ctx, acquisition.Channel{Name: "same"})
	require.NoError(t, err)
	assert.NotEqual(t, la.LinkID, lb.LinkID)
	_, err = other.Get(ctx, lb.LinkID)
	assert.NoError(t, err)
}

// A channel may name its own range and verification; the template's are
// the defaults. A changed definition updates the link, which keeps its
// name, state and URL.
func TestChannelsPerChannelRangeAndUpdate(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	ch := newChannels(t, svc, wecom.NewMemoryStore())
	fair, err := ch.Ensure(ctx, acquisition.Channel{Name: "fair", Users: []string{"lisi"}, SkipVerify: wecom.Ptr(false)})
	require.NoError(t, err)
	d, err := svc.Get(ctx, fair.LinkID)
	require.NoError(t, err)
	assert.Equal(t, []string{"lisi"}, d.Range.UserList)
	assert.False(t, d.Link.SkipVerify)
	ad, err := ch.Ensure(ctx, acquisition.Channel{Name: "ad"})
	require.NoError(t, err)
	assert.Equal(t, []string{"zhangsan", "lisi"}, ad.Users, "the template's range")

	const pathUpdate = "/cgi-bin/externalcontact/customer_acquisition/update_link"
	moved, err := ch.Ensure(ctx, acquisition.Channel{Name: "fair", Users: []string{"zhangsan"}, SkipVerify: wecom.Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathUpdate))
	assert.Equal(t, fair.LinkID, moved.LinkID)
	assert.Equal(t, fair.State, moved.State)
	assert.Equal(t, fair.URL, moved.URL)
	d, err = svc.Get(ctx, fair.LinkID)
	require.NoError(t, err)
	assert.Equal(t, []string{"zhangsan"}, d.Range.UserList)
	assert.Equal(t, fair.LinkName, d.Link.LinkName)
	_, err = ch.Ensure(ctx, acquisition.Channel{Name: "fair", Users: []string{"zhangsan"}, SkipVerify: wecom.Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathUpdate), "the same definition changes nothing")
	got, ok, err := ch.Lookup(ctx, "fair")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, moved, got)

	_, err = ch.Update(ctx, acquisition.Channel{Name: "never-made"})
	assert.ErrorIs(t, err, acquisition.ErrNoChannel)

	bare, err := acquisition.NewChannels(svc, wecom.NewMemoryStore(), acquisition.ChannelTemplate{})
	require.NoError(t, err, "a template without a range: each channel names its own")
	for _, c := range []acquisition.Channel{{Name: "no one"}, {Name: "empty", Users: []string{""}},
		{Name: "many", Users: make([]string, 500+1)}} {
		_, err = bare.Ensure(ctx, c)
		assert.ErrorIs(t, err, acquisition.ErrInvalidArgument, c.Name)
	}
	_, err = bare.Ensure(ctx, acquisition.Channel{Name: "own", Departments: []int{1}})
	require.NoError(t, err)
}
