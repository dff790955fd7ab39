package churn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

// DeletedBy says which side ended a relation.
type DeletedBy string

// The two sides of a churn.
const (
	// ByCustomer: the customer deleted the member in WeChat (被客户删除),
	// the event del_follow_user.
	ByCustomer DeletedBy = "customer"
	// ByMember: the member deleted the customer in the WeCom client
	// (删除客户), the event del_external_contact. A deletion an on-the-job
	// transfer makes (Source DELETE_BY_TRANSFER) is no churn and makes no
	// Record.
	ByMember DeletedBy = "member"
)

// Source says where a Record's Name, State, Tags and AddedAt come from.
type Source string

// Where a Record's details come from.
const (
	// FromWeCom: externalcontact/get still listed the member's relation
	// when the event was handled. WeCom documents that after del_follow_user
	// the relation remains one-way, and developers report that after
	// del_external_contact it may stay listed for a while; the details are
	// then WeCom's as of the event.
	FromWeCom Source = "wecom"
	// FromSnapshot: WeCom no longer listed the relation; the details are
	// the Alerts' snapshot of it, as of Record.SnapshotAt.
	FromSnapshot Source = "snapshot"
	// FromEvent: neither; the Record holds what the event says (who,
	// which member, which side, when) and the name if WeCom still knows
	// the customer.
	FromEvent Source = "event"
)

// Record is one churn (流失): a relation between a member and a customer
// that one side ended, with what was known of it at that moment.
type Record struct {
	// ID identifies the churn: the same for every delivery of one event
	// (WeCom's re-sends, a queue's retries, a dead letter replayed), so
	// that a vendor's own store can be keyed by it.
	ID             string
	CorpID         string
	ExternalUserID string // the customer
	// Name is the customer's name (WeChat nickname, or the name of a
	// WeCom user of another corp); "" when not known.
	Name      string
	UserID    string    // the member
	DeletedBy DeletedBy // which side deleted
	// At is the event's time (its CreateTime): when WeCom reported the
	// deletion.
	At time.Time
	// State is the state the relation began with (a contact way's or an
	// acquisition link's), "" when none or not known.
	State string
	// Channel is the channel State belongs to, as the first of the
	// channel resolvers (WithChannelResolver) that knows it said; "" when
	// none does.
	Channel string
	// Tags are the tags on the relation at that moment. From a snapshot fed
	// by ids only (Marked, Remember) a tag's GroupName and TagName are read
	// from the corp's tag list; a tag that list no longer has keeps only
	// its TagID.
	Tags []contact.FollowUserTag
	// AddedAt is when the relation began; zero when not known.
	AddedAt time.Time
	// Source says where Name, State, Tags and AddedAt come from.
	Source Source
	// SnapshotAt is when the snapshot was last changed (Source
	// FromSnapshot); zero otherwise.
	SnapshotAt time.Time
	// OtherMembers are the members who still follow the customer, as
	// externalcontact/get listed them at the event; empty when none did or
	// WeCom no longer answers for the customer.
	OtherMembers []string
	// NotifiedTo is the member a notice went to (WithNotifier), "" when
	// none was sent.
	NotifiedTo string
	// NoticeErr is why the notice was not sent (a *appmsg.NotifyLimitError
	// for WeCom's frequency limits, say). It is not retried: a notice is
	// never sent twice.
	NoticeErr error
}

// Snapshot is what Alerts knows of one live relation, kept in the Store
// until the relation ends.
type Snapshot struct {
	UserID         string                  `json:"userid"`
	ExternalUserID string                  `json:"external_userid"`
	Name           string                  `json:"name,omitempty"`
	State          string                  `json:"state,omitempty"`
	Tags           []contact.FollowUserTag `json:"tags,omitempty"`
	AddedAt        time.Time               `json:"added_at,omitzero"`
	// TagsAt is when Tags were last set (zero while none were).
	TagsAt time.Time `json:"tags_at,omitzero"`
	// UpdatedAt is when the snapshot was last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// Notifier sends one member an application message: *appmsg.Notifier
// satisfies it (with WeCom's frequency limits kept), and a test or a
// vendor's own channel (mail, a CRM task) may stand in.
type Notifier interface {
	Notify(ctx context.Context, userID string, msg appmsg.Message) (*appmsg.Receipt, error)
}

// Option configures Alerts.
type Option func(*config)

type config struct {
	store     wecom.Store
	resolvers []message.ChannelResolver
	notifier  Notifier
	notice    func(r *Record) (userID string, msg appmsg.Message)
	logger    *slog.Logger
	recordTTL time.Duration
	err       error
}

// WithStore sets where the snapshots and the delivered records' ids are
// kept (default: the client's Store). Give every instance the same one.
func WithStore(s wecom.Store) Option {
	return func(c *config) { c.store = s }
}

// WithChannelResolver adds a resolver that tells the channel of a
// relation's State: contact.Channels, acquisition.Channels (any
// message.ChannelResolver). Given several times, the resolvers are asked in
// that order and the first that knows the State names the channel.
func WithChannelResolver(r message.ChannelResolver) Option {
	return func(c *config) {
		if r == nil {
			c.err = errors.New("churn: WithChannelResolver(nil)")
			return
		}
		c.resolvers = append(c.resolvers, r)
	}
}

// WithNotifier makes Alerts send a notice for each Record through n
// (an *appmsg.Notifier): by default to the member a customer deleted
// (ByCustomer), a text naming the customer, the channel and the tags; none
// for ByMember (the member did it). WithNotice changes whom and what.
func WithNotifier(n Notifier) Option {
	return func(c *config) {
		if n == nil {
			c.err = errors.New("churn: WithNotifier(nil)")
			return
		}
		c.notifier = n
	}
}

// WithNotice sets what the notifier sends for a record: fn returns the
// member to notify and the message, or "" for none (a manager instead of
// the member, a card instead of text). It needs WithNotifier.
func WithNotice(fn func(r *Record) (userID string, msg appmsg.Message)) Option {
	return func(c *config) {
		if fn == nil {
			c.err = errors.New("churn: WithNotice(nil)")
			return
		}
		c.notice = fn
	}
}

// WithLogger sets the logger (default: the client's, silent unless set).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithRecordTTL sets how long a delivered record's id is remembered, so
// that a later delivery of the same event (a dead letter replayed days
// later) is not reported again (default 30 days; at least a minute).
func WithRecordTTL(d time.Duration) Option {
	return func(c *config) {
		if d < time.Minute {
			c.err = fmt.Errorf("churn: WithRecordTTL(%v): at least a minute", d)
			return
		}
		c.recordTTL = d
	}
}

// defaultRecordTTL is how long a delivered record's id is kept.
const defaultRecordTTL = 30 * 24 * time.Hour

// Alerts turns WeCom's churn events into Records (流失提醒): del_follow_user
// (the customer deleted the member) and del_external_contact (the member
// deleted the customer). See the package doc for what is known when.
// Alerts is safe for concurrent use.
type Alerts struct {
	svc       *contact.Service
	corpID    string
	store     wecom.Store
	resolvers []message.ChannelResolver
	notifier  Notifier
	notice    func(r *Record) (string, appmsg.Message)
	log       *slog.Logger
	now       func() time.Time
	recordTTL time.Duration

	hook atomic.Pointer[func(context.Context, *Record)]
	tags tagNames
}

// NewAlerts returns Alerts reading customers through svc and keeping its
// snapshots in the client's Store (WithStore), on the client's clock and
// logger. It reports an invalid option.
func NewAlerts(svc *contact.Service, opts ...Option) (*Alerts, error) {
	if svc == nil || svc.Client() == nil {
		return nil, errors.New("churn: NewAlerts needs a contact.Service (contact.New(client))")
	}
	c := svc.Client()
	cfg := config{recordTTL: defaultRecordTTL}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.notice != nil && cfg.notifier == nil {
		return nil, errors.New("churn: WithNotice needs WithNotifier")
	}
	if cfg.store == nil {
		cfg.store = c.Store()
	}
	if cfg.logger == nil {
		cfg.logger = c.Logger()
	}
	if cfg.notice == nil {
		cfg.notice = defaultNotice
	}
	a := &Alerts{svc: svc, corpID: c.CorpID(), store: cfg.store, resolvers: cfg.resolvers, notifier: cfg.notifier,
		notice: cfg.notice, log: cfg.logger, now: c.Now, recordTTL: cfg.recordTTL}
	a.tags.read, a.tags.now = a.readTagNames, c.Now
	return a, nil
}

// OnChurn sets fn to be called once for every churn, after the notice (if
// any) was sent. Set it before serving; fn must be safe for concurrent use.
// nil removes it.
func (a *Alerts) OnChurn(fn func(ctx context.Context, r *Record)) {
	if fn == nil {
		a.hook.Store(nil)
		return
	}
	a.hook.Store(&fn)
}
