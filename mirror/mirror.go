// Package mirror keeps a vendor's copy of a corp's customer relations and
// customer groups (a CRM's tables) in step with WeCom: events as they
// arrive, and a periodic Reconcile through the bulk sync that repairs
// whatever events missed.
//
//	m, err := mirror.New(contacts, groups, sink) // sink: the CRM's tables, a Sink
//	m.Register(h)                                // a *callback.Handler: events as they arrive
//	report, err := m.Reconcile(ctx)              // at night: upsert all, delete what WeCom no longer has
//
// # Events
//
//	add_external_contact, add_half_…,   the relation read with externalcontact/get and upserted
//	edit_external_contact
//	del_external_contact                 the relation deleted (ReasonMemberDeleted, or
//	                                     ReasonTransferred for Source DELETE_BY_TRANSFER)
//	del_follow_user                      the relation deleted (ReasonCustomerDeleted)
//	transfer_fail                        the customer's relations read again and upserted
//	                                     (the customer stays with the handover member)
//	change_external_chat create, update  the group read with groupchat/get and upserted
//	change_external_chat dismiss         the group deleted
//
// WeCom raises no event for what an app does through the API (mark_tag,
// transfers, group transfers): call RefreshCustomer or RefreshGroup after
// such a change, or let the next Reconcile find it.
//
// # Reconcile
//
// A reconcile is one generation: it upserts every relation contact.Service.Sync
// reads and every group groupchat/list and groupchat/get read, each stamped
// with the generation, then deletes what the sink holds that the
// generation did not see (Sink.SweepRelations) and what groupchat/get
// confirms gone (Sink.UnseenGroups). A row an event wrote after the
// generation began is never swept. A run that stops half-way deletes
// nothing: its Checkpoint, saved in the sink after every page, lets the
// next Reconcile go on from there with the same generation.
//
// Relations of members without an interop licence (互通许可), whom WeCom's
// bulk read leaves out, are kept as they are. Relations of members who
// resigned leave the mirror at the next reconcile (WeCom's follow-user list
// no longer has the member; the customers wait in get_unassigned_list until
// they are handed over). Groups of a resigned owner, which groupchat/list
// leaves out, are kept: groupchat/get still answers for them.
//
// WeCom documents that after del_follow_user the relation remains one-way.
// The mirror deletes it at the event and remembers the pair (in the Store,
// per member) so that a reconcile does not put it back while WeCom still
// lists it, until the customer adds the member again (a newer createtime,
// or an add event).
//
// # Idempotence
//
// Every event is applied as an upsert or a delete of one row, so a
// re-send, a retry or a replay leaves the sink as one delivery would.
// Rows carry ObservedAt, when WeCom was read: a Sink keeps the later of two
// writes (see Sink), so a reconcile page read before an event does not
// undo the event.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
)

// Relation is one member's relation with a customer, as the sink keeps it.
type Relation struct {
	ExternalUserID string
	UserID         string
	// The customer's name, type and, for WeCom users of another corp,
	// corp name; UnionID for WeChat users when the corp has one bound.
	Name     string
	Type     contact.CustomerType
	CorpName string
	UnionID  string
	// The member's remark and description, the corp and rule-group tag
	// ids on the relation, the state and way it began with, and when.
	Remark      string
	Description string
	TagIDs      []string
	State       string
	AddWay      contact.AddWay
	AddedAt     time.Time
	// ObservedAt is when WeCom was read for this row.
	ObservedAt time.Time
	// Generation is the reconcile that wrote the row, 0 for an event.
	Generation int64
}

// Group is one customer group, as the sink keeps it.
type Group struct {
	ChatID     string
	Name       string
	Owner      string
	Notice     string
	CreateTime time.Time
	Admins     []string
	// Members are the group's members and customers, as groupchat/get
	// lists them.
	Members    []groupchat.Member
	ObservedAt time.Time
	Generation int64
}

// DeleteReason says why a relation left the mirror.
type DeleteReason string

// Why a relation was deleted.
const (
	ReasonMemberDeleted   DeleteReason = "member_deleted"   // del_external_contact
	ReasonCustomerDeleted DeleteReason = "customer_deleted" // del_follow_user
	ReasonTransferred     DeleteReason = "transferred"      // del_external_contact, DELETE_BY_TRANSFER
	ReasonReconciled      DeleteReason = "reconciled"       // WeCom no longer lists it (Sink.SweepRelations)
)

// Checkpoint is where a Reconcile stands; the sink keeps it
// (SaveCheckpoint) so that a stopped run goes on where it stopped.
type Checkpoint struct {
	// Generation numbers the run: one more than the last completed run.
	Generation int64 `json:"generation"`
	// StartedAt is when the run began: rows written after it by events
	// are never swept.
	StartedAt time.Time `json:"started_at"`
	// Customers is the bulk sync's position; nil before the first page.
	Customers     *contact.Checkpoint `json:"customers,omitempty"`
	CustomersDone bool                `json:"customers_done,omitempty"`
	// Unlicensed are the members the sync reported without an interop
	// licence: their relations are not swept.
	Unlicensed []string `json:"unlicensed,omitempty"`
	// GroupCursor is groupchat/list's cursor of the next page.
	GroupCursor string `json:"group_cursor,omitempty"`
	GroupsDone  bool   `json:"groups_done,omitempty"`
	// Done is set when the run completed, sweep included.
	Done bool `json:"done,omitempty"`
}

// Sink is the vendor's copy (a CRM's tables). Implementations must be safe
// for concurrent use: events and a reconcile write at once.
type Sink interface {
	// UpsertRelation stores r, keyed by (UserID, ExternalUserID). When the
	// row held has a later ObservedAt, keep its data and raise only its
	// Generation to r's (a reconcile page read before an event must not
	// undo the event).
	UpsertRelation(ctx context.Context, r *Relation) error
	// DeleteRelation removes the relation; removing one not held is not an
	// error. The sink may keep a tombstone with the reason.
	DeleteRelation(ctx context.Context, userID, externalUserID string, reason DeleteReason) error
	// UpsertGroup stores g, keyed by ChatID, on the same rule as
	// UpsertRelation.
	UpsertGroup(ctx context.Context, g *Group) error
	// DeleteGroup removes the group; removing one not held is not an error.
	DeleteGroup(ctx context.Context, chatID string) error
	// SweepRelations removes the relations whose Generation is below gen
	// and whose ObservedAt is before since, except those of the members in
	// keep, and returns how many it removed.
	SweepRelations(ctx context.Context, gen int64, since time.Time, keep []string) (int, error)
	// UnseenGroups returns the chat ids of the groups whose Generation is
	// below gen and whose ObservedAt is before since.
	UnseenGroups(ctx context.Context, gen int64, since time.Time) ([]string, error)
	// SaveCheckpoint stores the reconcile's position, replacing the last.
	SaveCheckpoint(ctx context.Context, cp *Checkpoint) error
	// LoadCheckpoint returns the last position saved, nil when none.
	LoadCheckpoint(ctx context.Context) (*Checkpoint, error)
}

// Option configures a Mirror.
type Option func(*config)

type config struct {
	store  wecom.Store
	logger *slog.Logger
	sync   []contact.SyncOption
}

// WithStore sets where the mirror remembers one-way relations (default: the
// contact client's Store). Give every instance the same one.
func WithStore(s wecom.Store) Option { return func(c *config) { c.store = s } }

// WithSyncOptions passes options to the reconcile's contact.Service.Sync
// (contact.WithBatchUsers, contact.WithPageSize).
func WithSyncOptions(opts ...contact.SyncOption) Option {
	return func(c *config) { c.sync = append(c.sync, opts...) }
}

// WithLogger sets the logger (default: the contact client's).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Mirror keeps a Sink in step with one corp. It is safe for concurrent use;
// run one Reconcile at a time per sink.
type Mirror struct {
	contacts *contact.Service
	groups   *groupchat.Service
	sink     Sink
	corpID   string
	store    wecom.Store
	log      *slog.Logger
	now      func() time.Time
	syncOpts []contact.SyncOption

	mu     sync.Mutex
	recent map[string]time.Time // pair → when an event deleted it, this process
}

// New returns a Mirror reading customers through contacts and groups
// through groups (clients of the same corp) into sink.
func New(contacts *contact.Service, groups *groupchat.Service, sink Sink, opts ...Option) (*Mirror, error) {
	switch {
	case contacts == nil || contacts.Client() == nil:
		return nil, errors.New("mirror: New needs a contact.Service")
	case groups == nil || groups.Client() == nil:
		return nil, errors.New("mirror: New needs a groupchat.Service")
	case sink == nil:
		return nil, errors.New("mirror: New needs a Sink")
	case groups.Client().CorpID() != contacts.Client().CorpID():
		return nil, fmt.Errorf("mirror: the contact client is of corp %s, the groupchat client of %s", contacts.Client().CorpID(), groups.Client().CorpID())
	}
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	c := contacts.Client()
	if cfg.store == nil {
		cfg.store = c.Store()
	}
	if cfg.logger == nil {
		cfg.logger = c.Logger()
	}
	return &Mirror{contacts: contacts, groups: groups, sink: sink, corpID: c.CorpID(), store: cfg.store, log: cfg.logger,
		now: c.Now, syncOpts: cfg.sync, recent: map[string]time.Time{}}, nil
}

// relationOf turns a bulk-sync record into a Relation.
func relationOf(r *contact.CustomerRecord, at time.Time, gen int64) *Relation {
	ec, fi := &r.ExternalContact, &r.FollowInfo
	return &Relation{ExternalUserID: ec.ExternalUserID, UserID: fi.UserID, Name: ec.Name, Type: ec.Type, CorpName: ec.CorpName,
		UnionID: ec.UnionID, Remark: fi.Remark, Description: fi.Description, TagIDs: fi.TagID, State: fi.State,
		AddWay: fi.AddWay, AddedAt: fi.CreateTime.Time(), ObservedAt: at, Generation: gen}
}

// relationFrom turns externalcontact/get's answer for one member into a
// Relation.
func relationFrom(ec *contact.ExternalContact, fu *contact.FollowUser, at time.Time) *Relation {
	r := &Relation{ExternalUserID: ec.ExternalUserID, UserID: fu.UserID, Name: ec.Name, Type: ec.Type, CorpName: ec.CorpName,
		UnionID: ec.UnionID, Remark: fu.Remark, Description: fu.Description, State: fu.State, AddWay: fu.AddWay,
		AddedAt: fu.CreateTime.Time(), ObservedAt: at}
	for _, t := range fu.Tags {
		if t.TagID != "" {
			r.TagIDs = append(r.TagIDs, t.TagID)
		}
	}
	return r
}

// groupFrom turns groupchat/get's answer into a Group.
func groupFrom(g *groupchat.GroupChat, at time.Time, gen int64) *Group {
	out := &Group{ChatID: g.ChatID, Name: g.Name, Owner: g.Owner, Notice: g.Notice, CreateTime: g.CreateTime.Time(),
		Members: g.MemberList, ObservedAt: at, Generation: gen}
	for _, a := range g.AdminList {
		out.Admins = append(out.Admins, a.UserID)
	}
	return out
}
