package contact_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// WeCom's documented limits, which the package keeps unexported.
const (
	maxStateLen          = 30  // a contact way state, in characters
	maxCustomerRemarkLen = 20  // a remark, in characters
	maxContactWayUsers   = 100 // members of one contact way
)

const (
	pathAddWay    = "/cgi-bin/externalcontact/add_contact_way"
	pathUpdateWay = "/cgi-bin/externalcontact/update_contact_way"
	pathDelWay    = "/cgi-bin/externalcontact/del_contact_way"
	pathMarkTag   = "/cgi-bin/externalcontact/mark_tag"
	pathRemark    = "/cgi-bin/externalcontact/remark"
)

func newChannels(t testing.TB, svc *contact.Service, store wecom.Store) *contact.Channels {
	t.Helper()
	ch, err := contact.NewChannels(svc, store, contact.ChannelTemplate{})
	require.NoError(t, err)
	return ch
}

func TestChannelsOneContactWayPerChannel(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi"))
	store := wecom.NewMemoryStore()
	chs := newChannels(t, svc, store)

	poster, err := chs.Ensure(t.Context(), contact.Channel{Name: "spring-poster", Users: []string{"zhangsan", "lisi"}})
	require.NoError(t, err)
	again, err := chs.Ensure(t.Context(), contact.Channel{Name: "spring-poster", Users: []string{"zhangsan", "lisi"}})
	require.NoError(t, err)
	assert.Equal(t, poster, again)
	long := "抖音广告 #7 — 很长很长很长很长很长很长很长很长很长的渠道名称"
	douyin, err := chs.Ensure(t.Context(), contact.Channel{Name: long, Users: []string{"lisi"}})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathAddWay), "one contact way per channel")
	assert.NotEqual(t, poster.State, douyin.State)

	for _, code := range []*contact.ChannelCode{poster, douyin} {
		assert.LessOrEqual(t, utf8.RuneCountInString(code.State), maxStateLen)
		assert.True(t, strings.HasPrefix(code.State, "cw"), code.State)
		assert.NotEmpty(t, code.QRCode)
		w, err := svc.GetContactWay(t.Context(), code.ConfigID)
		require.NoError(t, err)
		assert.Equal(t, code.State, w.State)
		assert.Equal(t, code.Users, w.User)
		assert.Equal(t, contact.ContactWayMulti, w.Type)
		assert.True(t, strings.HasSuffix(w.Remark, "#"+code.State), w.Remark)
		assert.LessOrEqual(t, utf8.RuneCountInString(w.Remark), 30)
	}

	// A restart (a new Channels over the same Store) finds the same codes.
	chs2 := newChannels(t, svc, store)
	got, ok, err := chs2.Lookup(t.Context(), "spring-poster")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, poster, got)
	list, err := chs2.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "spring-poster", list[0].Name)
	assert.Equal(t, long, list[1].Name)
	name, ok, err := chs2.Resolve(t.Context(), douyin.State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, long, name)
	_, ok, err = chs2.Resolve(t.Context(), "quickstart-ad-1")
	require.NoError(t, err)
	assert.False(t, ok, "a state made elsewhere is no channel's")

	// Even with the Store lost, a channel gets the same state.
	lost, err := newChannels(t, svc, wecom.NewMemoryStore()).Ensure(t.Context(), contact.Channel{Name: "spring-poster", Users: []string{"zhangsan"}})
	require.NoError(t, err)
	assert.Equal(t, poster.State, lost.State)
}

// Several instances sharing a Store create one contact way for a channel.
func TestChannelsConcurrentEnsureCreatesOneWay(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	store := wecom.NewMemoryStore()
	instances := []*contact.Channels{newChannels(t, svc, store), newChannels(t, svc, store), newChannels(t, svc, store)}
	var wg sync.WaitGroup
	codes := make([]*contact.ChannelCode, 24)
	errs := make([]error, len(codes))
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], errs[i] = instances[i%3].Ensure(t.Context(), contact.Channel{Name: "launch", Users: []string{"zhangsan"}})
		}()
	}
	wg.Wait()
	for i := range codes {
		require.NoError(t, errs[i])
		assert.Equal(t, codes[0], codes[i])
	}
	assert.Equal(t, 1, srv.Count(pathAddWay))
}

// callbackFor serves h on loopback and returns the fake's side of it.
func callbackFor(t *testing.T, srv *wecomtest.Server, register func(h *callback.Handler)) *wecomtest.Corp {
	t.Helper()
	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler("chtoken", key, callback.WithReceiverID(srv.CorpID))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	register(h)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return srv.Corp(srv.CorpID).SetCallback(hs.URL, "chtoken", key)
}

func TestChannelsTagAndRemarkTheCustomer(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	tags, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{
		{Name: "来源", Tags: []string{"海报", "抖音"}}, {Name: "意向", Tags: []string{"高"}}}}})
	require.NoError(t, err)
	poster, _ := tags.TagID("来源", "海报")
	high, _ := tags.TagID("意向", "高")
	chs := newChannels(t, svc, wecom.NewMemoryStore())
	code, err := chs.Ensure(t.Context(), contact.Channel{Name: "poster", Users: []string{"zhangsan"},
		Tags: []string{poster, high}, Remark: "{name}·{channel}"})
	require.NoError(t, err)

	var (
		mu  sync.Mutex
		got []*contact.ChannelCustomer
	)
	chs.OnCustomer(func(_ context.Context, cu *contact.ChannelCustomer) {
		mu.Lock()
		got = append(got, cu)
		mu.Unlock()
	})
	cb := callbackFor(t, srv, chs.Register)
	scan, err := cb.ScanContactWay(t.Context(), code.ConfigID, "")
	require.NoError(t, err)
	assert.Equal(t, code.State, scan.State)

	rel, ok := srv.Corp(srv.CorpID).Relation("zhangsan", scan.ExternalUserID)
	require.True(t, ok)
	assert.ElementsMatch(t, []string{poster, high}, rel.TagIDs)
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: scan.ExternalUserID})
	require.NoError(t, err)
	want := []rune(d.ExternalContact.Name + "·poster")
	assert.Equal(t, string(want[:min(len(want), maxCustomerRemarkLen)]), rel.Remark)
	mu.Lock()
	require.Len(t, got, 1)
	assert.Equal(t, "poster", got[0].Code.Name)
	assert.Equal(t, scan.ExternalUserID, got[0].ExternalUserID)
	assert.Equal(t, rel.Remark, got[0].Remark)
	assert.ElementsMatch(t, []string{poster, high}, got[0].Tagged)
	assert.NoError(t, got[0].Err)
	mu.Unlock()

	// A contact way made elsewhere passes through untouched.
	other, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle,
		Scene: contact.SceneQRCode, State: "made-elsewhere", User: []string{"zhangsan"}})
	require.NoError(t, err)
	marks, remarks := srv.Count(pathMarkTag), srv.Count(pathRemark)
	scan2, err := cb.ScanContactWay(t.Context(), other.ConfigID, "")
	require.NoError(t, err)
	assert.Equal(t, marks, srv.Count(pathMarkTag))
	assert.Equal(t, remarks, srv.Count(pathRemark))
	rel, ok = srv.Corp(srv.CorpID).Relation("zhangsan", scan2.ExternalUserID)
	require.True(t, ok)
	assert.Empty(t, rel.TagIDs)
	mu.Lock()
	assert.Len(t, got, 1)
	mu.Unlock()
}

func TestChannelsHandlerFailureReachesWeCom(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	g, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "g", Tag: []contact.NewTag{{Name: "t"}}})
	require.NoError(t, err)
	chs := newChannels(t, svc, wecom.NewMemoryStore())
	code, err := chs.Ensure(t.Context(), contact.Channel{Name: "c", Users: []string{"zhangsan"}, Tags: []string{g.Tag[0].ID}})
	require.NoError(t, err)
	scan, err := srv.Corp(srv.CorpID).ScanContactWay(t.Context(), code.ConfigID, "")
	require.NoError(t, err)

	srv.Fail(pathMarkTag, wecomtest.Fault{Errcode: 45009, Times: 10})
	ev := &callback.ExternalContactEvent{UserID: "zhangsan", ExternalUserID: scan.ExternalUserID, State: code.State}
	ev.ChangeType = callback.ChangeAddExternalContact
	err = chs.HandleEvent(t.Context(), ev)
	assert.Equal(t, 45009, wecom.ErrorCode(err), "the handler's error lets WeCom re-send")
	srv.ClearFaults()
	require.NoError(t, chs.HandleEvent(t.Context(), ev), "a re-send marks the tags")
	rel, _ := srv.Corp(srv.CorpID).Relation("zhangsan", scan.ExternalUserID)
	assert.Equal(t, []string{g.Tag[0].ID}, rel.TagIDs)

	// Another corp's event (a shared third-party data URL) is not ours.
	marks := srv.Count(pathMarkTag)
	ev.ToUserName = "wwanothercorp"
	require.NoError(t, chs.HandleEvent(t.Context(), ev))
	assert.Equal(t, marks, srv.Count(pathMarkTag))
	ev.ToUserName = ""

	// Other changes and empty states are not looked at.
	ev.ChangeType = callback.ChangeDelFollowUser
	require.NoError(t, chs.HandleEvent(t.Context(), ev))
	require.NoError(t, chs.HandleEvent(t.Context(), nil))
}

func TestChannelsUpdateAndRetire(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi"))
	chs := newChannels(t, svc, wecom.NewMemoryStore())
	first, err := chs.Ensure(t.Context(), contact.Channel{Name: "expo", Users: []string{"zhangsan"}})
	require.NoError(t, err)

	// New members: the contact way is updated, the state stays.
	moved, err := chs.Ensure(t.Context(), contact.Channel{Name: "expo", Users: []string{"lisi", "zhangsan"}, Remark: "{channel}"})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathUpdateWay))
	assert.Equal(t, first.State, moved.State)
	assert.Equal(t, first.ConfigID, moved.ConfigID)
	w, err := svc.GetContactWay(t.Context(), first.ConfigID)
	require.NoError(t, err)
	assert.Equal(t, []string{"lisi", "zhangsan"}, w.User)

	// Only the tags or remark change: nothing to tell WeCom.
	_, err = chs.Update(t.Context(), contact.Channel{Name: "expo", Users: []string{"lisi", "zhangsan"}, Tags: []string{"et1"}})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathUpdateWay))
	got, _, err := chs.Lookup(t.Context(), "expo")
	require.NoError(t, err)
	assert.Equal(t, []string{"et1"}, got.Tags)
	assert.Empty(t, got.Remark)

	_, err = chs.Update(t.Context(), contact.Channel{Name: "expo", Departments: []int{2}})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument) // WeCom cannot empty a contact way's users
	_, err = chs.Update(t.Context(), contact.Channel{Name: "never-made", Users: []string{"zhangsan"}})
	assert.ErrorIs(t, err, contact.ErrNoChannel)

	// Retired: the way is gone, old customers still resolve.
	require.NoError(t, chs.Retire(t.Context(), "expo"))
	assert.Equal(t, 1, srv.Count(pathDelWay))
	_, ok, err := chs.Lookup(t.Context(), "expo")
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = svc.GetContactWay(t.Context(), first.ConfigID)
	assert.True(t, contact.IsNotFound(err))
	code, ok, err := chs.LookupState(t.Context(), first.State)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, &contact.ChannelCode{Channel: contact.Channel{Name: "expo"}, State: first.State}, code)
	list, err := chs.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
	require.NoError(t, chs.Retire(t.Context(), "expo"), "nothing to retire")

	fresh, err := chs.Ensure(t.Context(), contact.Channel{Name: "expo", Users: []string{"zhangsan"}})
	require.NoError(t, err)
	assert.NotEqual(t, first.ConfigID, fresh.ConfigID)
	assert.Equal(t, first.State, fresh.State, "the channel keeps its state")

	// A way deleted elsewhere is forgotten too; a transport failure keeps it.
	require.NoError(t, svc.DelContactWay(t.Context(), fresh.ConfigID))
	require.NoError(t, chs.Retire(t.Context(), "expo"))
	third, err := chs.Ensure(t.Context(), contact.Channel{Name: "expo", Users: []string{"zhangsan"}})
	require.NoError(t, err)
	srv.Fail(pathDelWay, wecomtest.Fault{HTTPStatus: http.StatusBadGateway, Times: 3})
	require.Error(t, chs.Retire(t.Context(), "expo"))
	l, ok, err := chs.Lookup(t.Context(), "expo")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, third.ConfigID, l.ConfigID)
}

func TestChannelsCheckTheirInput(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	store := wecom.NewMemoryStore()
	for _, tmpl := range []contact.ChannelTemplate{
		{StatePrefix: "has space"},
		{StatePrefix: strings.Repeat("a", contact.MaxChannelStatePrefix+1)},
		{Namespace: "a:b"},
		{Scene: 7},
	} {
		_, err := contact.NewChannels(svc, store, tmpl)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	_, err := contact.NewChannels(nil, store, contact.ChannelTemplate{})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = contact.NewChannels(svc, nil, contact.ChannelTemplate{})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)

	chs := newChannels(t, svc, store)
	for _, ch := range []contact.Channel{
		{Users: []string{"zhangsan"}},
		{Name: "no one"},
		{Name: "x", Users: []string{""}},
		{Name: "x", Users: []string{"a"}, Tags: []string{""}},
		{Name: "x", Users: []string{"a"}, Remark: "{nickname}"},
		{Name: "x", Users: make([]string, maxContactWayUsers+1)},
	} {
		_, err := chs.Ensure(t.Context(), ch)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	srv, c := testkit.Setup(t)
	svc = contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	fair, err := contact.NewChannels(svc, store, contact.ChannelTemplate{StatePrefix: "fair", Namespace: "app_2"})
	require.NoError(t, err)
	code, err := fair.Ensure(t.Context(), contact.Channel{Name: "x", Users: []string{"zhangsan"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(code.State, "fair"), code.State)
}

// cutAfterAdd sends add_contact_way and then reports a broken connection:
// the way exists, the answer is lost.
type cutAfterAdd struct {
	base http.RoundTripper
	mu   sync.Mutex
	cuts int
}

func (c *cutAfterAdd) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && r.URL.Path == pathAddWay && c.cuts > 0 {
		c.cuts--
		resp.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return resp, err
}

func TestChannelsRecoverAWayWhoseCreationOutcomeWasLost(t *testing.T) {
	t.Parallel()
	srv, _ := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	rt := &cutAfterAdd{base: srv.HTTPClient().Transport, cuts: 1}
	svc := contact.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: rt})))
	_, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		State: "unrelated", User: []string{"zhangsan"}})
	require.Error(t, err) // this one was cut
	chs := newChannels(t, svc, wecom.NewMemoryStore())
	rt.mu.Lock()
	rt.cuts = 1
	rt.mu.Unlock()
	code, err := chs.Ensure(t.Context(), contact.Channel{Name: "lost-answer", Users: []string{"zhangsan"}})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathAddWay), "the creation is not repeated")
	w, err := svc.GetContactWay(t.Context(), code.ConfigID)
	require.NoError(t, err)
	assert.Equal(t, code.State, w.State)
}

// countingStore counts the reads of a Store.
type countingStore struct {
	*wecom.MemoryStore
	gets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, key string) (string, bool, error) {
	s.gets.Add(1)
	return s.MemoryStore.Get(ctx, key)
}

// One scan of a channel code costs one Store read: the welcome's Resolve
// of a known state reads nothing, HandleEvent reads the code once. A
// Channels that never saw the state (a new instance) reads it once more,
// the first time only.
func TestChannelsScanReadsTheStoreOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	g, err := svc.AddCorpTag(ctx, &contact.AddCorpTagRequest{GroupName: "g", Tag: []contact.NewTag{{Name: "t"}}})
	require.NoError(t, err)
	store := &countingStore{MemoryStore: wecom.NewMemoryStore()}
	chs := newChannels(t, svc, store)
	code, err := chs.Ensure(ctx, contact.Channel{Name: "c", Users: []string{"zhangsan"}, Tags: []string{g.Tag[0].ID}, Remark: "{name}·{channel}"})
	require.NoError(t, err)

	scan := func(chs *contact.Channels) {
		scan2, err := srv.Corp(srv.CorpID).ScanContactWay(ctx, code.ConfigID, "")
		require.NoError(t, err)
		ev := &callback.ExternalContactEvent{UserID: "zhangsan", ExternalUserID: scan2.ExternalUserID, State: code.State}
		ev.ChangeType = callback.ChangeAddExternalContact
		name, ok, err := chs.Resolve(ctx, ev.State) // what message.Welcomes asks
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "c", name)
		gets := srv.Count("/cgi-bin/externalcontact/get")
		_, err = svc.CustomerName(ctx, scan2.ExternalUserID) // what message.Welcomes' name source asks for %NICKNAME%
		require.NoError(t, err)
		require.NoError(t, chs.HandleEvent(ctx, ev))
		assert.Equal(t, gets+1, srv.Count("/cgi-bin/externalcontact/get"), "the welcome and the {name} remark read the customer once")
		rel, _ := srv.Corp(srv.CorpID).Relation("zhangsan", scan2.ExternalUserID)
		assert.Equal(t, []string{g.Tag[0].ID}, rel.TagIDs)
		assert.NotEmpty(t, rel.Remark)
	}
	store.gets.Store(0)
	scan(chs)
	assert.EqualValues(t, 1, store.gets.Load(), "one read per scan")
	store.gets.Store(0)
	scan(chs)
	assert.EqualValues(t, 1, store.gets.Load(), "and again")

	other := newChannels(t, svc, store)
	store.gets.Store(0)
	scan(other)
	assert.EqualValues(t, 2, store.gets.Load(), "a state first seen: its channel, then the code")
	store.gets.Store(0)
	scan(other)
	assert.EqualValues(t, 1, store.gets.Load())
}
