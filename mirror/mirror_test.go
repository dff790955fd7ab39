package mirror_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/mirror"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// memSink is a Sink in memory, for the tests: it keeps the later of two
// writes and a tombstone per deletion, as the Sink contract asks.
type memSink struct {
	mu        sync.Mutex
	relations map[string]mirror.Relation
	groups    map[string]mirror.Group
	deleted   map[string]mirror.DeleteReason
	cp        *mirror.Checkpoint
	onSave    func(cp *mirror.Checkpoint) // called after each save, outside the lock
}

func newSink() *memSink {
	return &memSink{relations: map[string]mirror.Relation{}, groups: map[string]mirror.Group{}, deleted: map[string]mirror.DeleteReason{}}
}

func key(user, ext string) string { return user + "/" + ext }

func (s *memSink) UpsertRelation(_ context.Context, r *mirror.Relation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(r.UserID, r.ExternalUserID)
	if cur, ok := s.relations[k]; ok && cur.ObservedAt.After(r.ObservedAt) {
		cur.Generation = max(cur.Generation, r.Generation)
		s.relations[k] = cur
		return nil
	}
	s.relations[k] = *r
	delete(s.deleted, k)
	return nil
}

func (s *memSink) DeleteRelation(_ context.Context, user, ext string, reason mirror.DeleteReason) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.relations, key(user, ext))
	s.deleted[key(user, ext)] = reason
	return nil
}

func (s *memSink) UpsertGroup(_ context.Context, g *mirror.Group) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.groups[g.ChatID]; ok && cur.ObservedAt.After(g.ObservedAt) {
		cur.Generation = max(cur.Generation, g.Generation)
		s.groups[g.ChatID] = cur
		return nil
	}
	s.groups[g.ChatID] = *g
	return nil
}

func (s *memSink) DeleteGroup(_ context.Context, chatID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, chatID)
	return nil
}

func (s *memSink) SweepRelations(_ context.Context, gen int64, since time.Time, keep []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, r := range s.relations {
		if r.Generation < gen && r.ObservedAt.Before(since) && !slices.Contains(keep, r.UserID) {
			delete(s.relations, k)
			s.deleted[k] = mirror.ReasonReconciled
			n++
		}
	}
	return n, nil
}

func (s *memSink) UnseenGroups(_ context.Context, gen int64, since time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, g := range s.groups {
		if g.Generation < gen && g.ObservedAt.Before(since) {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *memSink) SaveCheckpoint(_ context.Context, cp *mirror.Checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *cp
	s.cp = &c
	fn := s.onSave
	s.mu.Unlock()
	if fn != nil {
		fn(&c)
	}
	s.mu.Lock()
	return nil
}

func (s *memSink) LoadCheckpoint(context.Context) (*mirror.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cp == nil {
		return nil, nil
	}
	c := *s.cp
	return &c, nil
}

func (s *memSink) relation(user, ext string) (mirror.Relation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.relations[key(user, ext)]
	return r, ok
}

func (s *memSink) counts() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.relations), len(s.groups)
}

func (s *memSink) reason(user, ext string) mirror.DeleteReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleted[key(user, ext)]
}

type world struct {
	srv      *wecomtest.Server
	clk      *testkit.Clock
	contacts *contact.Service
	sink     *memSink
	m        *mirror.Mirror
	corp     *wecomtest.Corp
}

func setup(t *testing.T, callbacks bool, opts ...mirror.Option) *world {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	testkit.Staff(t, srv, "alice", "bob")
	w := &world{srv: srv, clk: clk, contacts: contact.New(c), sink: newSink(), corp: srv.Corp(srv.CorpID)}
	var err error
	w.m, err = mirror.New(w.contacts, groupchat.New(c), w.sink, opts...)
	require.NoError(t, err)
	if callbacks {
		w.corp = testkit.Callback(t, srv, w.m.Register)
	}
	return w
}

// Events keep the sink current: an add upserts the relation with the
// customer's details, a member's tagging updates it, a deletion removes
// it with its reason; a group's creation, joins and dismissal follow.
func TestEventsKeepTheSinkCurrent(t *testing.T) {
	t.Parallel()
	w := setup(t, true)
	ctx := t.Context()
	way, err := w.contacts.AddContactWay(ctx, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		State: "fair", User: []string{"alice"}})
	require.NoError(t, err)
	scan, err := w.corp.ScanContactWay(ctx, way.ConfigID, "")
	require.NoError(t, err)
	r, ok := w.sink.relation("alice", scan.ExternalUserID)
	require.True(t, ok)
	assert.Equal(t, "fair", r.State)
	assert.NotEmpty(t, r.Name)
	assert.Equal(t, contact.AddWay(1), r.AddWay)
	assert.Zero(t, r.Generation)

	tags, err := w.contacts.ApplyTaxonomy(ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{{Name: "stage", Tags: []string{"lead"}}}}})
	require.NoError(t, err)
	lead, _ := tags.TagID("stage", "lead")
	w.clk.Advance(time.Second)
	require.NoError(t, w.corp.MemberTagsCustomer(ctx, "alice", scan.ExternalUserID, []string{lead}, nil))
	r, _ = w.sink.relation("alice", scan.ExternalUserID)
	assert.Equal(t, []string{lead}, r.TagIDs)

	chat, err := w.corp.GroupChats().Create(ctx, wecomtest.GroupChatSpec{Owner: "alice", Name: "VIP"})
	require.NoError(t, err)
	require.NoError(t, w.corp.GroupChats().Join(ctx, chat, []string{scan.ExternalUserID}, "alice"))
	_, groups := w.sink.counts()
	require.Equal(t, 1, groups)
	w.sink.mu.Lock()
	g := w.sink.groups[chat]
	w.sink.mu.Unlock()
	assert.Equal(t, "VIP", g.Name)
	assert.Len(t, g.Members, 2, "the owner and the customer")

	require.NoError(t, w.corp.CustomerDeletesMember(ctx, scan.ExternalUserID, "alice"))
	_, ok = w.sink.relation("alice", scan.ExternalUserID)
	assert.False(t, ok)
	assert.Equal(t, mirror.ReasonCustomerDeleted, w.sink.reason("alice", scan.ExternalUserID))

	require.NoError(t, w.corp.GroupChats().Dismiss(ctx, chat))
	_, groups = w.sink.counts()
	assert.Zero(t, groups)
}

// The same event delivered again (a replay, another instance) leaves the
// sink as one delivery did.
func TestEventsAreIdempotent(t *testing.T) {
	t.Parallel()
	w := setup(t, false)
	ids := testkit.Seed(t, w.srv, 1, "alice")
	add := &callback.ExternalContactEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID, ChangeType: callback.ChangeAddExternalContact,
		CreateTime: wecom.UnixTime(w.clk.Now().Unix())}, UserID: "alice", ExternalUserID: ids[0]}
	for range 3 {
		require.NoError(t, w.m.HandleEvent(t.Context(), add))
	}
	n, _ := w.sink.counts()
	assert.Equal(t, 1, n)
	del := *add
	del.ChangeType = callback.ChangeDelExternalContact
	for range 2 {
		require.NoError(t, w.m.HandleEvent(t.Context(), &del))
	}
	n, _ = w.sink.counts()
	assert.Zero(t, n)
	assert.Equal(t, mirror.ReasonMemberDeleted, w.sink.reason("alice", ids[0]))

	// another corp's event is not this mirror's
	other := *add
	other.ToUserName = "wwOther"
	require.NoError(t, w.m.HandleEvent(t.Context(), &other))
	n, _ = w.sink.counts()
	assert.Zero(t, n)
}

// A reconcile upserts every relation and group, and deletes what the sink
// holds that WeCom no longer has: the repair of missed events.
func TestReconcileRepairsMissedEvents(t *testing.T) {
	t.Parallel()
	w := setup(t, false) // no callback: every change below is a missed event
	ctx := t.Context()
	ids := testkit.Seed(t, w.srv, 6, "alice", "bob")
	chat := testkit.GroupChat(t, w.srv, "alice", "team", ids[0])
	rep, err := w.m.Reconcile(ctx)
	require.NoError(t, err)
	assert.Equal(t, &mirror.ReconcileReport{Generation: 1, Relations: 6, Groups: 1}, rep)

	require.NoError(t, w.corp.MemberDeletesCustomer(ctx, "alice", ids[0]))
	require.NoError(t, w.corp.GroupChats().Dismiss(ctx, chat))
	more := testkit.Seed(t, w.srv, 1, "bob")
	w.clk.Advance(24 * time.Hour)
	rep, err = w.m.Reconcile(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), rep.Generation)
	assert.Equal(t, 6, rep.Relations)
	assert.Equal(t, 1, rep.DeletedRelations)
	assert.Equal(t, 1, rep.DeletedGroups)
	_, ok := w.sink.relation("alice", ids[0])
	assert.False(t, ok)
	assert.Equal(t, mirror.ReasonReconciled, w.sink.reason("alice", ids[0]))
	r, ok := w.sink.relation("bob", more[0])
	require.True(t, ok)
	assert.Equal(t, int64(2), r.Generation)
}

// A reconcile that stops half-way deletes nothing; the next call goes on
// from its checkpoint with the same generation and completes the sweep.
func TestAStoppedReconcileDeletesNothingAndResumes(t *testing.T) {
	t.Parallel()
	w := setup(t, false, mirror.WithSyncOptions(contact.WithPageSize(2)))
	ctx := t.Context()
	staff := make([]string, 0, 5)
	for i := range 5 {
		staff = append(staff, string(rune('a'+i))+"member")
	}
	ids := testkit.Seed(t, w.srv, 10, staff...)
	_, err := w.m.Reconcile(ctx)
	require.NoError(t, err)
	require.NoError(t, w.corp.MemberDeletesCustomer(ctx, staff[0], ids[0]))
	w.clk.Advance(time.Hour)

	// an outage longer than the client's retries, after the first page
	w.sink.onSave = func(cp *mirror.Checkpoint) {
		if cp.Customers != nil {
			w.srv.Fail("/cgi-bin/externalcontact/batch/get_by_user", wecomtest.Fault{Errcode: -1, Times: -1})
		}
	}
	rep, err := w.m.Reconcile(ctx)
	require.Error(t, err)
	assert.Zero(t, rep.DeletedRelations, "a partial run deletes nothing")
	_, ok := w.sink.relation(staff[0], ids[0])
	assert.True(t, ok, "not yet repaired")
	assert.NotZero(t, rep.Relations, "the first page was stored")
	w.sink.onSave = nil
	w.srv.ClearFaults()

	rep, err = w.m.Reconcile(ctx)
	require.NoError(t, err)
	assert.True(t, rep.Resumed)
	assert.Equal(t, int64(2), rep.Generation)
	assert.Equal(t, 1, rep.DeletedRelations)
	n, _ := w.sink.counts()
	assert.Equal(t, 9, n)
}

// After del_follow_user WeCom documents a one-way relation that may stay
// listed: the reconcile does not put it back, until the customer adds the
// member again.
func TestAOneWayRelationIsNotPutBack(t *testing.T) {
	t.Parallel()
	w := setup(t, false)
	ctx := t.Context()
	ids := testkit.Seed(t, w.srv, 2, "alice")
	_, err := w.m.Reconcile(ctx)
	require.NoError(t, err)
	ev := &callback.ExternalContactEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID, ChangeType: callback.ChangeDelFollowUser,
		CreateTime: wecom.UnixTime(w.clk.Now().Unix())}, UserID: "alice", ExternalUserID: ids[0]}
	require.NoError(t, w.m.HandleEvent(ctx, ev)) // the fake still lists the relation, as WeCom may
	w.clk.Advance(time.Hour)
	rep, err := w.m.Reconcile(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.SkippedOneWay)
	_, ok := w.sink.relation("alice", ids[0])
	assert.False(t, ok)

	add := *ev
	add.ChangeType = callback.ChangeAddExternalContact
	require.NoError(t, w.m.HandleEvent(ctx, &add))
	_, ok = w.sink.relation("alice", ids[0])
	assert.True(t, ok, "added again")
	w.clk.Advance(time.Hour)
	rep, err = w.m.Reconcile(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.SkippedOneWay)
}

// A refused takeover (transfer_fail) leaves the customer with the
// handover member in the sink; a deletion an on-the-job transfer made is
// recorded as a transfer.
func TestTransfersInTheSink(t *testing.T) {
	t.Parallel()
	w := setup(t, true)
	ctx := t.Context()
	ids := testkit.Seed(t, w.srv, 2, "alice")
	_, err := w.m.Reconcile(ctx)
	require.NoError(t, err)
	_, err = w.contacts.TransferCustomer(ctx, &contact.TransferCustomerRequest{HandoverUserID: "alice", TakeoverUserID: "bob", ExternalUserID: ids})
	require.NoError(t, err)
	require.NoError(t, w.corp.RefuseTakeover(ctx, ids[0]))
	r, ok := w.sink.relation("alice", ids[0])
	require.True(t, ok)
	assert.Zero(t, r.Generation, "read again at the event")

	del := &callback.ExternalContactEvent{Envelope: callback.Envelope{ToUserName: w.srv.CorpID, ChangeType: callback.ChangeDelExternalContact,
		CreateTime: wecom.UnixTime(w.clk.Now().Unix())}, UserID: "alice", ExternalUserID: ids[1], Source: callback.DeleteByTransfer}
	require.NoError(t, w.m.HandleEvent(ctx, del))
	assert.Equal(t, mirror.ReasonTransferred, w.sink.reason("alice", ids[1]))
	w.corp.CompleteTakeovers()
	require.NoError(t, w.m.RefreshCustomer(ctx, ids[1]))
	_, ok = w.sink.relation("bob", ids[1])
	assert.True(t, ok)
}

func TestNewChecksItsInput(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	_, err := mirror.New(nil, groupchat.New(c), newSink())
	assert.Error(t, err)
	_, err = mirror.New(contact.New(c), nil, newSink())
	assert.Error(t, err)
	_, err = mirror.New(contact.New(c), groupchat.New(c), nil)
	assert.Error(t, err)
}

// A transfer's outcome, once final, moves the relation in the sink: WeCom
// raises no event when a takeover completes.
func TestTransferredMovesTheRelation(t *testing.T) {
	t.Parallel()
	w := setup(t, false)
	ctx := t.Context()
	ids := testkit.Seed(t, w.srv, 2, "alice")
	_, err := w.m.Reconcile(ctx)
	require.NoError(t, err)
	tr, err := contact.NewTransfers(w.contacts, w.srv.Client().Store())
	require.NoError(t, err)
	_, err = tr.TransferCustomerMany(ctx, &contact.TransferCustomerRequest{HandoverUserID: "alice", TakeoverUserID: "bob", ExternalUserID: ids}, 0)
	require.NoError(t, err)
	require.NoError(t, w.corp.RefuseTakeover(ctx, ids[1]))
	require.NoError(t, w.m.Transferred(ctx, &contact.TransferOutcome{HandoverUserID: "alice", ExternalUserID: ids[0], Status: contact.TransferWaiting}))
	_, ok := w.sink.relation("alice", ids[0])
	assert.True(t, ok, "waiting: nothing moves")
	w.corp.CompleteTakeovers()
	outcomes, err := tr.Check(ctx)
	require.NoError(t, err)
	require.Len(t, outcomes, 2)
	for i := range outcomes {
		require.NoError(t, w.m.Transferred(ctx, &outcomes[i]))
	}
	_, ok = w.sink.relation("alice", ids[0])
	assert.False(t, ok)
	assert.Equal(t, mirror.ReasonTransferred, w.sink.reason("alice", ids[0]))
	_, ok = w.sink.relation("bob", ids[0])
	assert.True(t, ok)
	_, ok = w.sink.relation("alice", ids[1])
	assert.True(t, ok, "refused: stays with the handover member")
	_, ok = w.sink.relation("bob", ids[1])
	assert.False(t, ok)
	require.Error(t, w.m.Transferred(ctx, &contact.TransferOutcome{ExternalUserID: ids[0]}))
}
