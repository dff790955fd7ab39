package contact

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/wecom"
)

// Channels keeps one 「联系我」 contact way per marketing channel (渠道活码):
// Ensure creates a channel's contact way once, with a state derived from
// the channel's name, and keeps it in line with the channel's definition;
// on add_external_contact (Register, HandleEvent) the event's State is
// resolved back to the channel, the channel's tags are marked on the new
// customer and its remark is set. A State that belongs to no channel (a
// contact way made elsewhere, an acquisition link) passes through
// untouched.
//
// The mapping lives in a wecom.Store: give every instance the same shared
// Store (redisstore) and each resolves every channel, with its tags and
// remark template; two instances ensuring the same channel at once create
// one contact way. A state is "cw" (ChannelTemplate.StatePrefix) and 10
// characters of a hash of the name, well inside WeCom's 30: the same after
// a restart, and if two channels ever hash alike the second takes the next
// candidate and the Store remembers which. States are never given to
// another channel, so a Channels remembers the ones it has seen: Resolve
// of a known state reads nothing, LookupState reads the code once.
// acquisition.Channels and groupchat.Channels work the same way, with the
// same verbs.
//
// A Channels is safe for concurrent use.
type Channels struct {
	svc  *Service
	eng  *channelstate.Engine[Channel, ChannelCode]
	hook atomic.Pointer[func(context.Context, *ChannelCustomer)]
}

// ChannelTemplate is what every channel's contact way is created with.
type ChannelTemplate struct {
	// Scene is SceneQRCode (the default) or SceneMiniProgram.
	Scene ContactWayScene
	// Style is the button style of SceneMiniProgram ways.
	Style int
	// IsExclusive routes customers of one external company to the same
	// member.
	IsExclusive bool
	// MarkSource: nil leaves WeCom's default (see AddContactWayRequest).
	MarkSource *bool
	// StatePrefix starts every state (letters and digits, at most
	// MaxChannelStatePrefix bytes; default "cw").
	StatePrefix string
	// Namespace separates the mappings of several apps of one corp that
	// share a Store: use the suite id, say. Letters, digits, '-' and '_';
	// may be empty.
	Namespace string
}

// MaxChannelStatePrefix is the longest ChannelTemplate.StatePrefix, in
// bytes: with the 10 characters of the hash a state stays within the 30
// characters WeCom allows a contact way's state.
const MaxChannelStatePrefix = 16

// Channel is a marketing channel and how its customers are welcomed into
// the CRM. It is data: keep the list in configuration and Ensure each
// channel at start-up; a changed definition updates the channel's code.
type Channel struct {
	// Name identifies the channel ("spring-poster", "抖音广告 #7", any
	// string); its contact way's state is derived from it.
	Name string `json:"channel"`
	// Users and Departments serve the channel's customers; at least one
	// of them. At most 100 users.
	Users       []string `json:"users,omitempty"`
	Departments []int    `json:"departments,omitempty"`
	// Tags are corp or rule-group tag ids marked on every customer who
	// comes through the channel (ApplyTaxonomy returns ids by name).
	Tags []string `json:"tags,omitempty"`
	// Remark is the template of the remark the member gets on each such
	// customer, e.g. "{name}·{channel}": {channel}, {name} (the customer's
	// name, one externalcontact/get more) and {date} (YYYYMMDD of the
	// add, China time) are filled in, "{{" and "}}" stand for braces, and
	// the result is cut to 20 characters (WeCom's longest remark). Empty: no
	// remark is set.
	Remark string `json:"remark,omitempty"`
	// SkipVerify: nil leaves WeCom's default (customers are added without
	// the member's approval).
	SkipVerify *bool `json:"skip_verify,omitempty"`
}

// ChannelCode is a channel with its contact way, as the Store keeps it.
type ChannelCode struct {
	Channel
	// ConfigID is the contact way's id.
	ConfigID string `json:"config_id"`
	// QRCode is the contact way's QR code URL (SceneQRCode): publish it.
	QRCode string `json:"qr_code,omitempty"`
	// State is the contact way's state: customers who scan QRCode come
	// back with it in add_external_contact and FollowUser.State.
	State string `json:"state"`
}

// ErrNoChannel is returned for a channel that has no code (Lookup's ok is
// false instead).
var ErrNoChannel = errors.New("contact: no code for this channel")

// NewChannels returns a Channels creating contact ways through svc and
// keeping the mapping in store.
func NewChannels(svc *Service, store wecom.Store, tmpl ChannelTemplate) (*Channels, error) {
	if svc == nil || store == nil {
		return nil, check.Invalidf("NewChannels needs a Service and a Store")
	}
	if tmpl.StatePrefix == "" {
		tmpl.StatePrefix = "cw"
	}
	if tmpl.Scene == 0 {
		tmpl.Scene = SceneQRCode
	}
	if err := channelstate.CheckTemplate(tmpl.StatePrefix, tmpl.Namespace); err != nil {
		return nil, check.Invalidf("%v", err)
	}
	if tmpl.Scene != SceneQRCode && tmpl.Scene != SceneMiniProgram {
		return nil, check.Invalidf("Scene is %d; want SceneQRCode or SceneMiniProgram", tmpl.Scene)
	}
	c := &Channels{svc: svc}
	c.eng = channelstate.New[Channel, ChannelCode](channelstate.Config{Store: store, StatePrefix: tmpl.StatePrefix,
		Prefix: "scrm:contactway:" + svc.c.CorpID() + ":" + tmpl.Namespace + ":", Pkg: "contact", ErrNoChannel: ErrNoChannel}, ways{c, tmpl})
	return c, nil
}

func (ch *Channel) validate() error {
	if err := api.FirstErr(check.Required("Name", ch.Name), api.MaxItems(check, "Users", ch.Users, maxContactWayUsers)); err != nil {
		return err
	}
	if len(ch.Users) == 0 && len(ch.Departments) == 0 {
		return check.Invalidf("channel %q needs Users or Departments", ch.Name)
	}
	if slices.Contains(ch.Users, "") || slices.Contains(ch.Tags, "") {
		return check.Invalidf("channel %q has an empty user id or tag id", ch.Name)
	}
	_, err := parseRemarkTemplate(ch.Remark)
	return err
}

// clone copies the slices, so that the caller's later changes do not
// reach what is stored.
func (ch Channel) clone() Channel {
	ch.Users, ch.Departments, ch.Tags = slices.Clone(ch.Users), slices.Clone(ch.Departments), slices.Clone(ch.Tags)
	if ch.SkipVerify != nil {
		v := *ch.SkipVerify
		ch.SkipVerify = &v
	}
	return ch
}

// sameWay reports whether a and b configure the contact way alike.
func sameWay(a, b *Channel) bool {
	return slices.Equal(a.Users, b.Users) && slices.Equal(a.Departments, b.Departments) &&
		(a.SkipVerify == nil) == (b.SkipVerify == nil) && (a.SkipVerify == nil || *a.SkipVerify == *b.SkipVerify)
}

// ways is the channel engine's Adapter: one contact way per channel.
type ways struct {
	c    *Channels
	tmpl ChannelTemplate
}

func (ways) Name(ch *Channel) string        { return ch.Name }
func (ways) Def(code *ChannelCode) *Channel { return &code.Channel }
func (ways) ID(code *ChannelCode) string    { return code.ConfigID }
func (ways) State(code *ChannelCode) string { return code.State }
func (ways) Same(a, b *Channel) bool {
	return sameWay(a, b) && slices.Equal(a.Tags, b.Tags) && a.Remark == b.Remark
}
func (ways) Retired(name, state string) *ChannelCode {
	return &ChannelCode{Channel: Channel{Name: name}, State: state}
}

func (w ways) Create(ctx context.Context, ch *Channel, state string) (*ChannelCode, error) {
	way, err := w.c.svc.AddContactWay(ctx, &AddContactWayRequest{Type: ContactWayMulti, Scene: w.tmpl.Scene, Style: w.tmpl.Style,
		Remark: channelstate.Label(ch.Name, state, maxContactWayRemarkLen), SkipVerify: ch.SkipVerify, State: state,
		User: ch.Users, Party: ch.Departments, IsExclusive: w.tmpl.IsExclusive, MarkSource: w.tmpl.MarkSource})
	if err != nil {
		return nil, err
	}
	return &ChannelCode{Channel: *ch, ConfigID: way.ConfigID, QRCode: way.QRCode, State: state}, nil
}

// Find looks for the contact way with state among those made in the last
// hour.
func (w ways) Find(ctx context.Context, ch *Channel, state string) (*ChannelCode, bool, error) {
	start := wecom.UnixTime(w.c.svc.c.Now().Add(-time.Hour).Unix())
	for id, err := range w.c.svc.ListContactWaysIter(ctx, &ListContactWaysRequest{StartTime: start}) {
		if err != nil {
			return nil, false, err
		}
		if way, err := w.c.svc.GetContactWay(ctx, id); err == nil && way.State == state {
			return &ChannelCode{Channel: *ch, ConfigID: way.ConfigID, QRCode: way.QRCode, State: state}, true, nil
		}
	}
	return nil, false, nil
}

func (w ways) Update(ctx context.Context, cur *ChannelCode, ch *Channel) (*ChannelCode, error) {
	if !sameWay(&cur.Channel, ch) {
		if (len(ch.Users) == 0 && len(cur.Users) > 0) || (len(ch.Departments) == 0 && len(cur.Departments) > 0) {
			return nil, check.Invalidf("channel %q: WeCom cannot empty a contact way's Users or Departments; Retire the channel and Ensure it again", ch.Name)
		}
		err := w.c.svc.UpdateContactWay(ctx, &UpdateContactWayRequest{ConfigID: cur.ConfigID,
			SkipVerify: ch.SkipVerify, User: ch.Users, Party: ch.Departments})
		if err != nil {
			return nil, err
		}
	}
	cur.Channel = *ch
	return cur, nil
}

func (w ways) Delete(ctx context.Context, code *ChannelCode) error {
	if err := w.c.svc.DelContactWay(ctx, code.ConfigID); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}

// Ensure returns the channel's code, creating its contact way the first
// time. When the stored definition differs from ch, the code is updated
// (see Update). When another caller (in this process or another instance
// sharing the Store) is creating it, Ensure waits for it until ctx ends. A
// creation whose outcome is unknown (wecom.ErrOutcomeUnknown) is recovered
// by finding the contact way by its state among those created in the last
// hour.
func (c *Channels) Ensure(ctx context.Context, ch Channel) (*ChannelCode, error) {
	if err := ch.validate(); err != nil {
		return nil, err
	}
	return c.eng.Ensure(ctx, ch.clone())
}

// Update changes the code of an existing channel to ch: its members and
// departments (update_contact_way) and the tags and remark template applied
// to the customers who come through it from then on. The state, and so the
// QR code already printed, stay. WeCom replaces the lists it is sent but
// documents no way to empty one: a channel cannot drop all its Users (or
// Departments) through Update; Retire it and Ensure it again. The error
// matches ErrNoChannel when the channel has no code.
func (c *Channels) Update(ctx context.Context, ch Channel) (*ChannelCode, error) {
	if err := ch.validate(); err != nil {
		return nil, err
	}
	return c.eng.Update(ctx, ch.clone())
}

// Lookup returns the channel's code without creating one; ok is false when
// the channel has none (or its creation is still in progress).
func (c *Channels) Lookup(ctx context.Context, name string) (*ChannelCode, bool, error) {
	return c.eng.Lookup(ctx, name)
}

// LookupState returns the code of the channel a customer came through, from
// the State of an add_external_contact event or FollowUser.State, with its
// tags and remark template. For a retired channel only Name and State are
// set; ok is false for a state no channel of this Channels made.
func (c *Channels) LookupState(ctx context.Context, state string) (*ChannelCode, bool, error) {
	return c.eng.LookupState(ctx, state)
}

// List returns the code of every channel, ordered by name.
func (c *Channels) List(ctx context.Context) ([]*ChannelCode, error) { return c.eng.List(ctx) }

// Retire deletes the channel's contact way and forgets its code, so that a
// later Ensure creates a new one (with the same state). The state stays
// mapped to the channel: customers who scanned the old code still Resolve
// to it (LookupState then gives the name and state only). A contact way
// WeCom no longer knows is forgotten too. A channel without a code is not
// an error.
func (c *Channels) Retire(ctx context.Context, name string) error { return c.eng.Retire(ctx, name) }

// Resolve returns the name of the channel whose code a customer came
// through, from the State of an add_external_contact event or
// FollowUser.State. ok is false for a state no channel of this Channels
// made, such as "".
func (c *Channels) Resolve(ctx context.Context, state string) (name string, ok bool, err error) {
	return c.eng.Resolve(ctx, state)
}
