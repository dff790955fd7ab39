package groupchat_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	pathAddJoinWay    = "/cgi-bin/externalcontact/groupchat/add_join_way"
	pathUpdateJoinWay = "/cgi-bin/externalcontact/groupchat/update_join_way"
	pathDelJoinWay    = "/cgi-bin/externalcontact/groupchat/del_join_way"
)

func newChannels(t testing.TB, svc *groupchat.Service, store wecom.Store, tr *groupchat.Tracker) *groupchat.Channels {
	t.Helper()
	chs, err := groupchat.NewChannels(svc, store, tr, groupchat.ChannelTemplate{})
	require.NoError(t, err)
	return chs
}

func TestChannelsOneJoinWayPerChannel(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	a, b := testkit.GroupChat(t, srv, "owner1", "A"), testkit.GroupChat(t, srv, "owner1", "B")
	store := wecom.NewMemoryStore()
	chs := newChannels(t, svc, store, nil)
	fair, err := chs.Ensure(t.Context(), groupchat.Channel{Name: "spring-fair", ChatIDs: []string{a, b}, RoomBaseName: "春季展", RoomBaseID: 3})
	require.NoError(t, err)
	again, err := chs.Ensure(t.Context(), groupchat.Channel{Name: "spring-fair", ChatIDs: []string{a, b}, RoomBaseName: "春季展", RoomBaseID: 3})
	require.NoError(t, err)
	assert.Equal(t, fair, again)
	assert.Equal(t, 1, srv.Count(pathAddJoinWay))
	assert.True(t, strings.HasPrefix(fair.State, "gc"), fair.State)
	assert.LessOrEqual(t, utf8.RuneCountInString(fair.State), 30)
	assert.NotEmpty(t, fair.QRCode)
	w, err := svc.GetJoinWay(t.Context(), fair.ConfigID)
	require.NoError(t, err)
	assert.Equal(t, fair.State, w.State)
	assert.Equal(t, []string{a, b}, w.ChatIDList)
	assert.Equal(t, "spring-fair#"+fair.State, w.Remark)
	assert.True(t, w.AutoCreateRoom)
	assert.Equal(t, "春季展", w.RoomBaseName)

	// Several instances at once: one join way.
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = newChannels(t, svc, store, nil).Ensure(t.Context(), groupchat.Channel{Name: "launch", ChatIDs: []string{a}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 2, srv.Count(pathAddJoinWay))
	list, err := newChannels(t, svc, store, nil).List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "launch", list[0].Name)
	assert.Equal(t, "spring-fair", list[1].Name)
}

// groupFlow is a fake WeCom whose change_external_chat events reach a

// Handler with group Channels registered on it.

type groupFlow struct {
	srv   *wecomtest.Server
	svc   *groupchat.Service
	chs   *groupchat.Channels
	cb    *wecomtest.Corp
	mu    sync.Mutex
	joins []*groupchat.ChannelJoin
}

func setupGroupFlow(t testing.TB) *groupFlow {
	t.Helper()
	srv, svc := setup(t)
	f := &groupFlow{srv: srv, svc: svc, chs: newChannels(t, svc, wecom.NewMemoryStore(), nil)}
	f.chs.OnJoin(func(_ context.Context, j *groupchat.ChannelJoin) {
		f.mu.Lock()
		f.joins = append(f.joins, j)
		f.mu.Unlock()
	})
	f.cb = testkit.Callback(t, srv, f.chs.Register)
	return f
}

func (f *groupFlow) reported() []*groupchat.ChannelJoin {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*groupchat.ChannelJoin(nil), f.joins...)
}

// A customer scans a group channel code (one wecomtest call); the pushed

// add_member event is applied to the Tracker, the joiner is resolved to the

// channel and tagged as the owner's customer.

func TestChannelsTellTheJoinersChannel(t *testing.T) {
	t.Parallel()
	f := setupGroupFlow(t)
	g, err := contact.New(f.srv.Client()).AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "入群", Tag: []contact.NewTag{{Name: "春季展"}}})
	require.NoError(t, err)
	tag := g.Tag[0].ID
	chat := testkit.GroupChat(t, f.srv, "owner1", "Fair")
	fair, err := f.chs.Ensure(t.Context(), groupchat.Channel{Name: "fair", ChatIDs: []string{chat}, Tags: []string{tag}})
	require.NoError(t, err)
	_, err = f.chs.Tracker().Refresh(t.Context(), chat)
	require.NoError(t, err)

	friend := testkit.Seed(t, f.srv, 1, "owner1")[0] // a customer of the owner
	join, err := f.cb.GroupChats().JoinViaJoinWay(t.Context(), fair.ConfigID, friend)
	require.NoError(t, err)
	assert.Equal(t, chat, join.ChatID)
	assert.Equal(t, fair.State, join.State)
	stranger, err := f.cb.GroupChats().JoinViaJoinWay(t.Context(), fair.ConfigID, "") // no one's customer
	require.NoError(t, err)

	got := f.reported()
	require.Len(t, got, 2)
	assert.Equal(t, "fair", got[0].Code.Name)
	assert.Equal(t, friend, got[0].Member.UserID)
	assert.Equal(t, "owner1", got[0].Owner)
	assert.Equal(t, []string{tag}, got[0].Tagged)
	assert.NoError(t, got[0].Err)
	assert.Equal(t, stranger.ExternalUserID, got[1].Member.UserID)
	assert.Empty(t, got[1].Tagged, "not the owner's customer: left untagged")
	assert.NoError(t, got[1].Err)
	rel, ok := f.srv.Corp(f.srv.CorpID).Relation("owner1", friend)
	require.True(t, ok)
	assert.Equal(t, []string{tag}, rel.TagIDs)

	joins, err := f.chs.Joins(t.Context(), "fair")
	require.NoError(t, err)
	var ids []string
	for _, j := range joins {
		ids = append(ids, j.Member.UserID)
		assert.Equal(t, chat, j.ChatID)
	}
	assert.ElementsMatch(t, []string{friend, stranger.ExternalUserID}, ids)
	name, ok, err := f.chs.Resolve(t.Context(), joins[0].Member.State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "fair", name)
	_, err = f.chs.Joins(t.Context(), "never-made")
	assert.ErrorIs(t, err, groupchat.ErrNoChannel)

	// A member invited by the owner, not through the code, is nobody's.
	require.NoError(t, f.srv.Corp(f.srv.CorpID).GroupChats().Join(t.Context(), chat, testkit.Seed(t, f.srv, 1, "owner1"), "owner1"))
	assert.Len(t, f.reported(), 2)
}

// When the code's groups are full, WeCom opens a new one

// (auto_create_room): its joiners still resolve to the channel.

func TestChannelsAutoCreatedRooms(t *testing.T) {
	t.Parallel()
	f := setupGroupFlow(t)
	f.srv.Corp(f.srv.CorpID).GroupChats().SetCapacity(2)
	chat := testkit.GroupChat(t, f.srv, "owner1", "Expo", "owner2") // full: owner + one
	expo, err := f.chs.Ensure(t.Context(), groupchat.Channel{Name: "expo", ChatIDs: []string{chat}, RoomBaseName: "展会群", RoomBaseID: 2})
	require.NoError(t, err)
	join, err := f.cb.GroupChats().JoinViaJoinWay(t.Context(), expo.ConfigID, "")
	require.NoError(t, err)
	assert.NotEqual(t, chat, join.ChatID)
	got := f.reported()
	require.Len(t, got, 1)
	assert.Equal(t, "expo", got[0].Code.Name)
	assert.Equal(t, join.ChatID, got[0].ChatID)
	room, err := f.chs.Tracker().Chat(t.Context(), join.ChatID)
	require.NoError(t, err)
	require.NotNil(t, room)
	assert.Equal(t, "展会群2", room.Name)
}

func TestChannelsUpdateAndRetireJoinWays(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	a, b := testkit.GroupChat(t, srv, "owner1", "A"), testkit.GroupChat(t, srv, "owner1", "B")
	chs := newChannels(t, svc, wecom.NewMemoryStore(), nil)
	first, err := chs.Ensure(t.Context(), groupchat.Channel{Name: "c", ChatIDs: []string{a}})
	require.NoError(t, err)
	moved, err := chs.Ensure(t.Context(), groupchat.Channel{Name: "c", ChatIDs: []string{b, a}, AutoCreateRoom: wecom.Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathUpdateJoinWay))
	assert.Equal(t, first.State, moved.State)
	w, err := svc.GetJoinWay(t.Context(), first.ConfigID)
	require.NoError(t, err)
	assert.Equal(t, []string{b, a}, w.ChatIDList)
	assert.False(t, w.AutoCreateRoom)
	assert.Equal(t, first.State, w.State, "the whole configuration is sent again, state included")
	assert.Equal(t, "c#"+first.State, w.Remark)

	_, err = chs.Update(t.Context(), groupchat.Channel{Name: "c", ChatIDs: []string{b, a}, AutoCreateRoom: wecom.Ptr(false), Tags: []string{"et1"}})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathUpdateJoinWay), "tags are ours, not WeCom's")
	_, err = chs.Update(t.Context(), groupchat.Channel{Name: "other", ChatIDs: []string{a}})
	assert.ErrorIs(t, err, groupchat.ErrNoChannel)

	require.NoError(t, chs.Retire(t.Context(), "c"))
	assert.Equal(t, 1, srv.Count(pathDelJoinWay))
	_, err = svc.GetJoinWay(t.Context(), first.ConfigID)
	assert.True(t, groupchat.IsNotFound(err))
	name, ok, err := chs.Resolve(t.Context(), first.State)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "c", name)
	code, ok, err := chs.LookupState(t.Context(), first.State)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, &groupchat.ChannelCode{Channel: groupchat.Channel{Name: "c"}, State: first.State}, code, "retired: name and state")
	list, err := chs.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
	require.NoError(t, chs.Retire(t.Context(), "c"))
	fresh, err := chs.Ensure(t.Context(), groupchat.Channel{Name: "c", ChatIDs: []string{a}})
	require.NoError(t, err)
	assert.Equal(t, first.State, fresh.State)
	assert.NotEqual(t, first.ConfigID, fresh.ConfigID)
	code, ok, err = chs.LookupState(t.Context(), first.State)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, fresh, code)

	srv.Fail(pathDelJoinWay, wecomtest.Fault{HTTPStatus: http.StatusBadGateway, Times: 3})
	require.Error(t, chs.Retire(t.Context(), "c"))
	_, ok, err = chs.Lookup(t.Context(), "c")
	require.NoError(t, err)
	assert.True(t, ok, "kept when the delete may have failed")
}

func TestChannelsCheckTheirGroups(t *testing.T) {
	t.Parallel()
	_, svc := setup(t)
	store := wecom.NewMemoryStore()
	for _, tmpl := range []groupchat.ChannelTemplate{{StatePrefix: "a b"}, {Namespace: "x:y"}, {Scene: 9},
		{StatePrefix: strings.Repeat("a", groupchat.MaxChannelStatePrefix+1)}} {
		_, err := groupchat.NewChannels(svc, store, nil, tmpl)
		assert.ErrorIs(t, err, groupchat.ErrInvalidArgument, "%+v", tmpl)
	}
	_, err := groupchat.NewChannels(nil, store, nil, groupchat.ChannelTemplate{})
	assert.ErrorIs(t, err, groupchat.ErrInvalidArgument)
	chs := newChannels(t, svc, store, nil)
	for _, ch := range []groupchat.Channel{
		{ChatIDs: []string{"wr1"}},
		{Name: "no groups"},
		{Name: "six", ChatIDs: []string{"1", "2", "3", "4", "5", "6"}},
		{Name: "empty id", ChatIDs: []string{""}},
		{Name: "empty tag", ChatIDs: []string{"wr1"}, Tags: []string{""}},
		{Name: "base without rooms", ChatIDs: []string{"wr1"}, AutoCreateRoom: wecom.Ptr(false), RoomBaseName: "x"},
	} {
		_, err := chs.Ensure(t.Context(), ch)
		assert.ErrorIs(t, err, groupchat.ErrInvalidArgument, "%+v", ch)
	}
	// A group WeCom does not know: its error, and no code.
	_, err = chs.Ensure(t.Context(), groupchat.Channel{Name: "ghost", ChatIDs: []string{"wrnone"}})
	assert.True(t, groupchat.IsNotFound(err), "%v", err)
	_, ok, err := chs.Lookup(t.Context(), "ghost")
	require.NoError(t, err)
	assert.False(t, ok)
}

// The join way of a channel's code, then the tag of a joiner: exact

// requests.
