package churn_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/churn"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// world is a corp with one channel code that tags its customers, Alerts
// resolving that channel, and the records the Alerts delivered.
type world struct {
	srv      *wecomtest.Server
	clk      *testkit.Clock
	contacts *contact.Service
	channels *contact.Channels
	alerts   *churn.Alerts
	corp     *wecomtest.Corp
	code     *contact.ChannelCode
	poster   string // the channel's tag: 来源/海报
	vip      string // another tag: 价值/VIP
	records  chan *churn.Record
	notices  *notices
}

// notices records what a Notifier was asked to send.
type notices struct {
	mu   sync.Mutex
	sent map[string][]string
	err  error
}

func (n *notices) Notify(_ context.Context, userID string, msg appmsg.Message) (*appmsg.Receipt, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return nil, n.err
	}
	if n.sent == nil {
		n.sent = map[string][]string{}
	}
	n.sent[userID] = append(n.sent[userID], msg.(*appmsg.Text).Content)
	return &appmsg.Receipt{}, nil
}

func (n *notices) to(userID string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sent[userID]
}

func setup(t *testing.T, opts ...churn.Option) *world {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	testkit.Staff(t, srv, "alice", "bob")
	w := &world{srv: srv, clk: clk, contacts: contact.New(c), records: make(chan *churn.Record, 8), notices: &notices{}}
	tags, err := w.contacts.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{
		{Name: "来源", Tags: []string{"海报"}}, {Name: "价值", Tags: []string{"VIP"}},
	}}})
	require.NoError(t, err)
	w.poster, _ = tags.TagID("来源", "海报")
	w.vip, _ = tags.TagID("价值", "VIP")
	w.channels, err = contact.NewChannels(w.contacts, c.Store(), contact.ChannelTemplate{})
	require.NoError(t, err)
	w.code, err = w.channels.Ensure(t.Context(), contact.Channel{Name: "spring poster", Users: []string{"alice"}, Tags: []string{w.poster}})
	require.NoError(t, err)
	w.alerts, err = churn.NewAlerts(w.contacts, append([]churn.Option{churn.WithChannelResolver(w.channels),
		churn.WithNotifier(w.notices)}, opts...)...)
	require.NoError(t, err)
	w.alerts.OnChurn(func(_ context.Context, r *churn.Record) { w.records <- r })
	// The channel's tags are marked through the API, which raises no
	// event: the Alerts hear of them from the Channels' hook.
	w.channels.OnCustomer(func(ctx context.Context, cu *contact.ChannelCustomer) {
		if len(cu.Tagged) > 0 {
			assert.NoError(t, w.alerts.Marked(ctx, &contact.MarkTagRequest{UserID: cu.UserID, ExternalUserID: cu.ExternalUserID, AddTag: cu.Tagged}))
		}
	})
	w.corp = testkit.Callback(t, srv, func(h *callback.Handler) {
		w.channels.Register(h)
		w.alerts.Register(h)
	})
	return w
}

// scan plays a new customer scanning the channel's code and waits until
// the Alerts know of the relation with the channel's tag.
func (w *world) scan(t *testing.T) *wecomtest.Scan {
	t.Helper()
	s, err := w.corp.ScanContactWay(t.Context(), w.code.ConfigID, "")
	require.NoError(t, err)
	snap, ok, err := w.alerts.Snapshot(t.Context(), s.UserID, s.ExternalUserID)
	require.NoError(t, err)
	require.True(t, ok, "an inline Handler has run the add's functions when the push is answered")
	require.Len(t, snap.Tags, 1)
	return s
}

func (w *world) noRecord(t *testing.T) {
	t.Helper()
	select {
	case r := <-w.records:
		require.Failf(t, "unexpected record", "%+v", r)
	default:
	}
}

// A customer who deletes their member is reported once, with the
// channel they came through, the tags marked on them (named), their name,
// and the member is told.
func TestCustomerDeletesMemberIsReported(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	w.clk.Advance(time.Hour)
	require.NoError(t, w.corp.CustomerDeletesMember(t.Context(), s.ExternalUserID, s.UserID))

	r := testkit.Recv(t, w.records)
	assert.Equal(t, churn.ByCustomer, r.DeletedBy)
	assert.Equal(t, s.ExternalUserID, r.ExternalUserID)
	assert.Equal(t, "alice", r.UserID)
	assert.Equal(t, w.srv.CorpID, r.CorpID)
	assert.NotEmpty(t, r.Name)
	assert.Equal(t, s.State, r.State)
	assert.Equal(t, "spring poster", r.Channel)
	assert.Equal(t, []contact.FollowUserTag{{GroupName: "来源", TagName: "海报", Type: contact.TagCorp, TagID: w.poster}}, r.Tags)
	assert.Equal(t, churn.FromSnapshot, r.Source, "the fake no longer lists the relation")
	assert.Equal(t, w.clk.Now().Unix(), r.At.Unix(), "the event's time")
	assert.Equal(t, w.clk.Now().Add(-time.Hour).Unix(), r.AddedAt.Unix())
	assert.Len(t, r.ID, 24)
	assert.Equal(t, "alice", r.NotifiedTo)
	require.NoError(t, r.NoticeErr)
	require.Len(t, w.notices.to("alice"), 1)
	assert.Contains(t, w.notices.to("alice")[0], "已将你删除")
	assert.Contains(t, w.notices.to("alice")[0], "spring poster")
	assert.Contains(t, w.notices.to("alice")[0], "来源/海报")

	_, ok, err := w.alerts.Snapshot(t.Context(), s.UserID, s.ExternalUserID)
	require.NoError(t, err)
	assert.False(t, ok, "the ended relation's snapshot is dropped")
	w.noRecord(t)
}

// A member who deletes a customer is reported too; the default notice
// tells no one (the member did it).
func TestMemberDeletesCustomerIsReported(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	require.NoError(t, w.corp.MemberDeletesCustomer(t.Context(), s.UserID, s.ExternalUserID))
	r := testkit.Recv(t, w.records)
	assert.Equal(t, churn.ByMember, r.DeletedBy)
	assert.Equal(t, "spring poster", r.Channel)
	assert.Empty(t, r.NotifiedTo)
	assert.Empty(t, w.notices.to("alice"))
}

// The same event delivered again (a dead letter replayed, another
// instance) makes no second record, also through another Alerts sharing
// the Store; another deletion of the pair later is a churn of its own.
func TestARecordIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	ev := &callback.ExternalContactEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID, ChangeType: callback.ChangeDelFollowUser,
		CreateTime: wecom.UnixTime(w.clk.Now().Unix())}, UserID: s.UserID, ExternalUserID: s.ExternalUserID}
	require.NoError(t, w.alerts.HandleEvent(t.Context(), ev))
	first := testkit.Recv(t, w.records)
	require.NoError(t, w.alerts.HandleEvent(t.Context(), ev))
	other, err := churn.NewAlerts(w.contacts)
	require.NoError(t, err)
	other.OnChurn(func(_ context.Context, r *churn.Record) { w.records <- r })
	require.NoError(t, other.HandleEvent(t.Context(), ev))
	w.noRecord(t)
	assert.Len(t, w.notices.to("alice"), 1)

	later := *ev
	later.CreateTime += 3600
	require.NoError(t, w.alerts.HandleEvent(t.Context(), &later))
	second := testkit.Recv(t, w.records)
	assert.NotEqual(t, first.ID, second.ID)
}

// A delivery that finds the record claimed by a run still going is told
// to come back (ErrBusy); once the claim's lease has passed (its holder
// died), a delivery takes it over.
func TestAClaimHeldElsewhereIsBusyUntilItsLeaseEnds(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	ev := &callback.ExternalContactEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID, ChangeType: callback.ChangeDelFollowUser,
		CreateTime: wecom.UnixTime(w.clk.Now().Unix())}, UserID: s.UserID, ExternalUserID: s.ExternalUserID}
	release := make(chan struct{})
	holding := make(chan struct{})
	slow := &blockingNotifier{holding: holding, release: release}
	a, err := churn.NewAlerts(w.contacts, churn.WithNotifier(slow))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- a.HandleEvent(context.WithoutCancel(t.Context()), ev) }()
	testkit.Recv(t, holding)
	require.ErrorIs(t, w.alerts.HandleEvent(t.Context(), ev), churn.ErrBusy)
	w.clk.Advance(3 * time.Minute)
	require.NoError(t, w.alerts.HandleEvent(t.Context(), ev))
	testkit.Recv(t, w.records)
	close(release)
	require.NoError(t, testkit.Recv(t, done))
}

type blockingNotifier struct {
	holding chan struct{}
	release chan struct{}
}

func (b *blockingNotifier) Notify(context.Context, string, appmsg.Message) (*appmsg.Receipt, error) {
	close(b.holding)
	<-b.release
	return &appmsg.Receipt{}, nil
}

// A deletion an on-the-job transfer made is no churn.
func TestDeletionByTransferIsNoChurn(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	ev := &callback.ExternalContactEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID, ChangeType: callback.ChangeDelExternalContact,
		CreateTime: wecom.UnixTime(w.clk.Now().Unix())}, UserID: s.UserID, ExternalUserID: s.ExternalUserID, Source: callback.DeleteByTransfer}
	require.NoError(t, w.alerts.HandleEvent(t.Context(), ev))
	w.noRecord(t)
	_, ok, err := w.alerts.Snapshot(t.Context(), s.UserID, s.ExternalUserID)
	require.NoError(t, err)
	assert.False(t, ok)
}

// When WeCom still lists the relation at the event (the one-way relation
// WeCom documents after del_follow_user), its current tags are used, also
// those marked by another app that the snapshot never heard of.
func TestARelationWeComStillListsGivesItsCurrentTags(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	require.NoError(t, w.contacts.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: s.UserID, ExternalUserID: s.ExternalUserID, AddTag: []string{w.vip}}))
	ev := &callback.ExternalContactEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID, ChangeType: callback.ChangeDelFollowUser,
		CreateTime: wecom.UnixTime(w.clk.Now().Unix())}, UserID: s.UserID, ExternalUserID: s.ExternalUserID}
	require.NoError(t, w.alerts.HandleEvent(t.Context(), ev))
	r := testkit.Recv(t, w.records)
	assert.Equal(t, churn.FromWeCom, r.Source)
	assert.Zero(t, r.SnapshotAt)
	assert.ElementsMatch(t, []string{w.poster, w.vip}, tagIDs(r.Tags))
	assert.Equal(t, "spring poster", r.Channel)
}

// A member's tagging in the client (edit_external_contact) reaches the
// snapshot with the tags' names, without a tag-list read at the churn.
func TestAnEditRefreshesTheSnapshot(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	w.clk.Advance(time.Second)
	require.NoError(t, w.corp.MemberTagsCustomer(t.Context(), s.UserID, s.ExternalUserID, []string{w.vip}, []string{w.poster}))
	snap, ok, err := w.alerts.Snapshot(t.Context(), s.UserID, s.ExternalUserID)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, []contact.FollowUserTag{{GroupName: "价值", TagName: "VIP", Type: contact.TagCorp, TagID: w.vip}}, snap.Tags)

	lists := w.srv.Count("externalcontact/get_corp_tag_list")
	require.NoError(t, w.corp.MemberDeletesCustomer(t.Context(), s.UserID, s.ExternalUserID))
	r := testkit.Recv(t, w.records)
	assert.Equal(t, []string{w.vip}, tagIDs(r.Tags))
	assert.Equal(t, lists, w.srv.Count("externalcontact/get_corp_tag_list"), "named tags need no tag list")
}

// Relations that predate the Alerts are known after Load; their tag ids
// are named from the corp's tag list, read once and kept until a tag
// event says it changed.
func TestLoadKnowsOlderRelations(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ids := testkit.Seed(t, w.srv, 3, "bob")
	for _, id := range ids {
		require.NoError(t, w.contacts.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: "bob", ExternalUserID: id, AddTag: []string{w.vip}}))
	}
	n, err := w.alerts.Load(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	snap, ok, err := w.alerts.Snapshot(t.Context(), "bob", ids[0])
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "seed", snap.State)
	assert.Equal(t, []contact.FollowUserTag{{TagID: w.vip}}, snap.Tags, "a bulk sync gives tag ids only")

	lists := w.srv.Count("externalcontact/get_corp_tag_list")
	for i, id := range ids[:2] {
		w.clk.Advance(time.Second)
		require.NoError(t, w.corp.CustomerDeletesMember(t.Context(), id, "bob"))
		r := testkit.Recv(t, w.records)
		assert.Equal(t, []contact.FollowUserTag{{GroupName: "价值", TagName: "VIP", Type: contact.TagCorp, TagID: w.vip}}, r.Tags, i)
		assert.Empty(t, r.Channel, "state seed is no channel")
	}
	assert.Equal(t, lists+1, w.srv.Count("externalcontact/get_corp_tag_list"), "the tag list is read once")

	require.NoError(t, w.alerts.HandleTagEvent(t.Context(), &callback.ExternalTagEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID}}))
	require.NoError(t, w.corp.CustomerDeletesMember(t.Context(), ids[2], "bob"))
	testkit.Recv(t, w.records)
	assert.Equal(t, lists+2, w.srv.Count("externalcontact/get_corp_tag_list"), "a tag event makes it read again")
}

// A relation the Alerts never heard of is still reported, with what the
// event says.
func TestAnUnknownRelationIsReportedFromTheEvent(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ids := testkit.Seed(t, w.srv, 1, "bob")
	require.NoError(t, w.corp.MemberDeletesCustomer(t.Context(), "bob", ids[0]))
	r := testkit.Recv(t, w.records)
	assert.Equal(t, churn.FromEvent, r.Source)
	assert.NotEmpty(t, r.Name, "WeCom still answers for the customer")
	assert.Empty(t, r.Tags)
	assert.Empty(t, r.State)
}

// A notice that cannot be sent is reported on the record, once, and the
// record is still delivered.
func TestANoticeRefusedIsReportedNotRetried(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.scan(t)
	w.notices.mu.Lock()
	w.notices.err = &appmsg.NotifyLimitError{UserID: "alice", Limit: "30 a minute per member", Wait: time.Minute}
	w.notices.mu.Unlock()
	require.NoError(t, w.corp.CustomerDeletesMember(t.Context(), s.ExternalUserID, s.UserID))
	r := testkit.Recv(t, w.records)
	assert.True(t, wecom.IsRateLimited(r.NoticeErr))
	assert.Empty(t, r.NotifiedTo)
}

// The notice can go to someone else, with a text of one's own; through
// an appmsg.Notifier it reaches the member in the fake.
func TestNoticeThroughAppMessages(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now), wecom.WithAgentID(wecomtest.DefaultAgentID)))
	require.NoError(t, srv.Corp(srv.CorpID).Directory().AddMember(wecomtest.MemberSpec{UserID: "manager", Name: "经理"}))
	ids := testkit.Seed(t, srv, 1, "alice")
	n, err := appmsg.NewNotifier(appmsg.New(c))
	require.NoError(t, err)
	a, err := churn.NewAlerts(contact.New(c), churn.WithNotifier(n), churn.WithNotice(func(r *churn.Record) (string, appmsg.Message) {
		return "manager", &appmsg.Text{Content: r.UserID + " lost " + r.Name}
	}))
	require.NoError(t, err)
	corp := testkit.Callback(t, srv, a.Register)
	require.NoError(t, corp.MemberDeletesCustomer(t.Context(), "alice", ids[0]))
	got := corp.AppMessages().Received("manager")
	require.Len(t, got, 1)
	assert.Contains(t, got[0].Content, "alice lost ")
}

func TestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	for name, opt := range map[string]churn.Option{
		"nil resolver": churn.WithChannelResolver(nil),
		"nil notifier": churn.WithNotifier(nil),
		"nil notice":   churn.WithNotice(nil),
		"short ttl":    churn.WithRecordTTL(time.Second),
		"notice alone": churn.WithNotice(func(*churn.Record) (string, appmsg.Message) { return "", nil }),
	} {
		_, err := churn.NewAlerts(svc, opt)
		assert.Error(t, err, name)
	}
	_, err := churn.NewAlerts(nil)
	assert.Error(t, err)
}

func tagIDs(tags []contact.FollowUserTag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.TagID)
	}
	return out
}
