package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

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
// Store (redisstore) and each resolves every channel, with its tags
// and remark template; two instances ensuring the same channel at once
// create one contact way. A state is "cw" (ChannelTemplate.StatePrefix) and
// 10 characters of a hash of the name, well inside WeCom's 30: the same
// after a restart, and if two channels ever hash alike the second takes the
// next candidate and the Store remembers which. The mapping is the one
// acquisition.Channels and groupchat.Channels use (internal/channelstate).
//
// A Channels is safe for concurrent use.
type Channels struct {
	svc  *Service
	tmpl ChannelTemplate
	reg  channelstate.Registry[storedCode]
	now  func() time.Time
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
// bytes: with the 10 characters of the hash a state stays within
// MaxStateLen.
const MaxChannelStatePrefix = 16

// Channel is a marketing channel and how its customers are welcomed into
// the CRM. It is data: keep the list in configuration and Ensure each
// channel at start-up; a changed definition updates the channel's code.
type Channel struct {
	// Name identifies the channel ("spring-poster", "抖音广告 #7", any
	// string); its contact way's state is derived from it.
	Name string `json:"channel"`
	// Users and Departments serve the channel's customers; at least one
	// of them. At most MaxContactWayUsers users.
	Users       []string `json:"users,omitempty"`
	Departments []int    `json:"departments,omitempty"`
	// Tags are corp or rule-group tag ids marked on every customer who
	// comes through the channel (ApplyTaxonomy returns ids by name).
	Tags []string `json:"tags,omitempty"`
	// Remark is the template of the remark the member gets on each such
	// customer, e.g. "{name}·{channel}": {channel}, {name} (the customer's
	// name, one externalcontact/get more) and {date} (YYYYMMDD of the
	// add, China time) are filled in, "{{" and "}}" stand for braces, and
	// the result is cut to MaxCustomerRemarkLen characters. Empty: no
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

// storedCode is what the Store holds for a channel: its code, or a claim
// on creating it (Pending set).
type storedCode struct {
	ChannelCode
	Pending string `json:"pending,omitempty"`
}

// ErrNoChannel is returned for a channel that has no code (Lookup's ok is
// false instead).
var ErrNoChannel = errors.New("contact: no code for this channel")

// NewChannels returns a Channels creating contact ways through svc and
// keeping the mapping in store.
func NewChannels(svc *Service, store wecom.Store, tmpl ChannelTemplate) (*Channels, error) {
	if svc == nil || store == nil {
		return nil, invalidf("NewChannels needs a Service and a Store")
	}
	if tmpl.StatePrefix == "" {
		tmpl.StatePrefix = "cw"
	}
	if tmpl.Scene == 0 {
		tmpl.Scene = SceneQRCode
	}
	switch {
	case len(tmpl.StatePrefix) > MaxChannelStatePrefix || !channelstate.IsAlnum(tmpl.StatePrefix, false):
		return nil, invalidf("StatePrefix %q: want at most %d letters and digits", tmpl.StatePrefix, MaxChannelStatePrefix)
	case !channelstate.IsAlnum(tmpl.Namespace, true):
		return nil, invalidf("Namespace %q: want letters, digits, '-' and '_'", tmpl.Namespace)
	case tmpl.Scene != SceneQRCode && tmpl.Scene != SceneMiniProgram:
		return nil, invalidf("Scene is %d; want SceneQRCode or SceneMiniProgram", tmpl.Scene)
	}
	return &Channels{
		svc:  svc,
		tmpl: tmpl,
		reg: channelstate.Registry[storedCode]{
			Store:      store,
			Prefix:     "scrm:contactway:" + svc.c.CorpID() + ":" + tmpl.Namespace + ":",
			Code:       channelstate.Code(tmpl.StatePrefix),
			Poll:       20 * time.Millisecond,
			PendingTTL: 2 * time.Minute,
			Index:      true,
			Pkg:        "contact",
			Identify:   func(s *storedCode) (string, bool) { return s.Name, s.Pending != "" },
		},
		now: time.Now,
	}, nil
}

func (ch *Channel) validate() error {
	if err := firstErr(required("Name", ch.Name), maxItems("Users", ch.Users, MaxContactWayUsers)); err != nil {
		return err
	}
	if len(ch.Users) == 0 && len(ch.Departments) == 0 {
		return invalidf("channel %q needs Users or Departments", ch.Name)
	}
	if slices.Contains(ch.Users, "") || slices.Contains(ch.Tags, "") {
		return invalidf("channel %q has an empty user id or tag id", ch.Name)
	}
	_, err := parseRemarkTemplate(ch.Remark)
	return err
}

// clone copies the slices, so that the caller's later changes do not
// reach what is stored.
func (ch Channel) clone() Channel {
	ch.Users, ch.Departments, ch.Tags = slices.Clone(ch.Users), slices.Clone(ch.Departments), slices.Clone(ch.Tags)
	if ch.SkipVerify != nil {
		ch.SkipVerify = Bool(*ch.SkipVerify)
	}
	return ch
}

// sameWay reports whether a and b configure the contact way alike.
func sameWay(a, b *Channel) bool {
	return slices.Equal(a.Users, b.Users) && slices.Equal(a.Departments, b.Departments) &&
		(a.SkipVerify == nil) == (b.SkipVerify == nil) && (a.SkipVerify == nil || *a.SkipVerify == *b.SkipVerify)
}

func sameChannel(a, b *Channel) bool {
	return sameWay(a, b) && slices.Equal(a.Tags, b.Tags) && a.Remark == b.Remark
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
	ch = ch.clone()
	code, err := c.reg.Ensure(ctx, ch.Name, c.maker(ch))
	if err != nil {
		return nil, err
	}
	if sameChannel(&code.Channel, &ch) {
		return &code.ChannelCode, nil
	}
	return c.Update(ctx, ch)
}

func (c *Channels) maker(ch Channel) channelstate.Maker[storedCode] {
	return channelstate.Maker[storedCode]{
		Create: func(ctx context.Context, state string) (*storedCode, error) {
			req := &AddContactWayRequest{Type: ContactWayMulti, Scene: c.tmpl.Scene, Style: c.tmpl.Style,
				Remark: channelstate.Label(ch.Name, state, MaxStateLen), SkipVerify: ch.SkipVerify, State: state,
				User: ch.Users, Party: ch.Departments, IsExclusive: c.tmpl.IsExclusive, MarkSource: c.tmpl.MarkSource}
			way, err := c.svc.AddContactWay(ctx, req)
			if errors.Is(err, wecom.ErrOutcomeUnknown) {
				if found, ferr := c.findByState(ctx, state); ferr == nil && found != nil {
					way, err = &AddContactWayResponse{ConfigID: found.ConfigID, QRCode: found.QRCode}, nil
				}
			}
			if err != nil {
				return nil, err
			}
			return &storedCode{ChannelCode: ChannelCode{Channel: ch, ConfigID: way.ConfigID, QRCode: way.QRCode, State: state}}, nil
		},
		Undo: func(ctx context.Context, code *storedCode) { _ = c.svc.DelContactWay(ctx, code.ConfigID) },
		ID:   func(code *storedCode) string { return code.ConfigID },
	}
}

// findByState looks for a contact way with state among those made in the
// last hour.
func (c *Channels) findByState(ctx context.Context, state string) (*ContactWay, error) {
	start := wecom.UnixTime(c.now().Add(-time.Hour).Unix())
	for id, err := range c.svc.ListContactWaysIter(ctx, &ListContactWaysRequest{StartTime: start}) {
		if err != nil {
			return nil, err
		}
		w, err := c.svc.GetContactWay(ctx, id)
		if err != nil {
			continue
		}
		if w.State == state {
			return w, nil
		}
	}
	return nil, nil
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
	ch = ch.clone()
	code, ok, err := c.reg.Update(ctx, ch.Name, func(ctx context.Context, cur *storedCode) (*storedCode, error) {
		if !sameWay(&cur.Channel, &ch) {
			if (len(ch.Users) == 0 && len(cur.Users) > 0) || (len(ch.Departments) == 0 && len(cur.Departments) > 0) {
				return nil, invalidf("channel %q: WeCom cannot empty a contact way's Users or Departments; Retire the channel and Ensure it again", ch.Name)
			}
			err := c.svc.UpdateContactWay(ctx, &UpdateContactWayRequest{ConfigID: cur.ConfigID,
				SkipVerify: ch.SkipVerify, User: ch.Users, Party: ch.Departments})
			if err != nil {
				return nil, err
			}
		}
		cur.Channel = ch
		return cur, nil
	})
	if err == nil && !ok {
		err = fmt.Errorf("%w: %q", ErrNoChannel, ch.Name)
	}
	if err != nil {
		return nil, err
	}
	return &code.ChannelCode, nil
}

// Lookup returns the channel's code without creating one; ok is false when
// the channel has none (or its creation is still in progress).
func (c *Channels) Lookup(ctx context.Context, name string) (*ChannelCode, bool, error) {
	code, ok, err := c.reg.Lookup(ctx, name)
	if err != nil || !ok {
		return nil, false, err
	}
	return &code.ChannelCode, true, nil
}

// List returns the code of every channel, ordered by name.
func (c *Channels) List(ctx context.Context) ([]*ChannelCode, error) {
	codes, err := c.reg.Records(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*ChannelCode, len(codes))
	for i, code := range codes {
		out[i] = &code.ChannelCode
	}
	return out, nil
}

// Retire deletes the channel's contact way and forgets its code, so that a
// later Ensure creates a new one (with the same state). The state stays
// mapped to the channel: events of customers who scanned the old code
// still Resolve to it (ResolveCode then gives the name and state only). A
// contact way WeCom no longer knows is forgotten too. A channel without a
// code is not an error.
func (c *Channels) Retire(ctx context.Context, name string) error {
	code, ok, err := c.reg.Lookup(ctx, name)
	if err != nil || !ok {
		return err
	}
	if err := c.svc.DelContactWay(ctx, code.ConfigID); err != nil && !IsNotFound(err) {
		return err
	}
	return c.reg.Forget(ctx, name)
}

// Resolve returns the channel whose code a customer came through, from the
// State of an add_external_contact event or FollowUser.State. ok is false
// for a state no channel of this Channels made, such as "".
func (c *Channels) Resolve(ctx context.Context, state string) (channel string, ok bool, err error) {
	return c.reg.Resolve(ctx, state)
}

// ResolveCode is Resolve returning the channel's code, with its tags and
// remark template. For a retired channel only Name and State are set.
func (c *Channels) ResolveCode(ctx context.Context, state string) (*ChannelCode, bool, error) {
	name, ok, err := c.reg.Resolve(ctx, state)
	if err != nil || !ok {
		return nil, false, err
	}
	code, ok, err := c.reg.Lookup(ctx, name)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return &ChannelCode{Channel: Channel{Name: name}, State: state}, true, nil
	}
	return &code.ChannelCode, true, nil
}
