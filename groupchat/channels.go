package groupchat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/wecom"
)

// Channels keeps one join way 「加入群聊」 per marketing channel (group
// channel codes, 群活码): Ensure creates a channel's join way once, with a
// state derived from the channel's name, and keeps it in line with the
// channel's definition (its groups, auto_create_room and the names of the
// groups WeCom opens). Its Tracker tells which channel each joiner came
// through: Register (in place of Tracker.Register) applies every
// change_external_chat event to the Tracker, then reports each new member
// whose join-way State belongs to a channel (OnJoin), after marking the
// channel's tags on them. Joins lists a channel's joiners from the
// Tracker's store.
//
// The mapping lives in a wecom.Store, as contact.Channels' does (the same
// engine, the same verbs): give every instance the same shared Store and
// each resolves every channel; two instances ensuring a channel at once
// create one join way. States are "gc" (ChannelTemplate.StatePrefix) and 10
// characters of a hash of the name; a Channels remembers the states it has
// seen (they are never given to another channel), so Resolve of a known
// state reads nothing and LookupState reads the code once.
//
// WeCom lists no join ways, so a creation whose outcome is unknown
// (wecom.ErrOutcomeUnknown) cannot be recovered: Ensure returns the error
// and the next Ensure creates another join way; the first, if it was made,
// is unused (its state maps to the same channel).
//
// A Channels is safe for concurrent use.
type Channels struct {
	svc     *Service
	tracker *Tracker
	tmpl    ChannelTemplate
	eng     *channelstate.Engine[Channel, ChannelCode]
	hook    atomic.Pointer[func(context.Context, *ChannelJoin)]
}

// ChannelTemplate is what every channel's join way is created with.
type ChannelTemplate struct {
	// Scene is SceneQRCode (the default) or SceneMiniProgram.
	Scene JoinWayScene
	// MarkSource: nil leaves WeCom's default (see AddJoinWayRequest).
	MarkSource *bool
	// StatePrefix starts every state (letters and digits, at most
	// MaxChannelStatePrefix bytes; default "gc").
	StatePrefix string
	// Namespace separates the mappings of several apps of one corp that
	// share a Store: use the suite id, say. Letters, digits, '-' and '_';
	// may be empty.
	Namespace string
}

// MaxChannelStatePrefix is the longest ChannelTemplate.StatePrefix, in
// bytes: with the 10 characters of the hash a state stays within the 30
// characters WeCom allows a join way's state.
const MaxChannelStatePrefix = 16

// Channel is a marketing channel served by customer groups. It is data:
// keep the list in configuration and Ensure each channel at start-up; a
// changed definition updates the channel's code.
type Channel struct {
	// Name identifies the channel; its join way's state is derived from
	// it.
	Name string `json:"channel"`
	// ChatIDs are the groups customers join, in order: 1 to 5.
	ChatIDs []string `json:"chat_ids"`
	// AutoCreateRoom: nil leaves WeCom's default (on: when the groups are
	// full WeCom opens a new one, owned by the first group's owner, named
	// RoomBaseName + a number counting from RoomBaseID).
	AutoCreateRoom *bool  `json:"auto_create_room,omitempty"`
	RoomBaseName   string `json:"room_base_name,omitempty"`
	RoomBaseID     int    `json:"room_base_id,omitempty"`
	// Tags are corp or rule-group tag ids marked on each joiner who is a
	// customer of the group's owner (mark_tag needs a member's relation
	// with the customer; a joiner who is no customer of the owner is left
	// untagged).
	Tags []string `json:"tags,omitempty"`
}

// ChannelCode is a channel with its join way, as the Store keeps it.
type ChannelCode struct {
	Channel
	ConfigID string `json:"config_id"`
	// QRCode is the join way's QR code URL (SceneQRCode): publish it.
	QRCode string `json:"qr_code,omitempty"`
	// State is the join way's state: members who join through it carry it
	// in Member.State.
	State string `json:"state"`
}

// ErrNoChannel is returned for a channel that has no code (Lookup's ok is
// false instead).
var ErrNoChannel = errors.New("groupchat: no code for this channel")

// NewChannels returns a Channels creating join ways through svc, keeping
// the mapping in store and telling joiners' channels from tracker (nil: a
// new Tracker over svc with its default store).
func NewChannels(svc *Service, store wecom.Store, tracker *Tracker, tmpl ChannelTemplate) (*Channels, error) {
	if svc == nil || store == nil {
		return nil, check.Invalidf("NewChannels needs a Service and a Store")
	}
	if tracker == nil {
		tracker = NewTracker(svc)
	}
	if tmpl.StatePrefix == "" {
		tmpl.StatePrefix = "gc"
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
	c := &Channels{svc: svc, tracker: tracker, tmpl: tmpl}
	c.eng = channelstate.New[Channel, ChannelCode](channelstate.Config{Store: store, StatePrefix: tmpl.StatePrefix,
		Prefix: "scrm:joinway:" + svc.c.CorpID() + ":" + tmpl.Namespace + ":", Pkg: "groupchat", ErrNoChannel: ErrNoChannel}, joinWays{svc, tmpl})
	return c, nil
}

// Tracker returns the Tracker the Channels applies events to.
func (c *Channels) Tracker() *Tracker { return c.tracker }

// request is the join way of ch with state.
func request(tmpl *ChannelTemplate, ch *Channel, state string) *AddJoinWayRequest {
	return &AddJoinWayRequest{Scene: tmpl.Scene, Remark: channelstate.Label(ch.Name, state, maxRemarkLen),
		AutoCreateRoom: ch.AutoCreateRoom, RoomBaseName: ch.RoomBaseName, RoomBaseID: ch.RoomBaseID,
		ChatIDList: ch.ChatIDs, State: state, MarkSource: tmpl.MarkSource}
}

func (c *Channels) validate(ch *Channel) error {
	if err := check.Required("Name", ch.Name); err != nil {
		return err
	}
	if slices.Contains(ch.Tags, "") {
		return check.Invalidf("channel %q has an empty tag id", ch.Name)
	}
	return request(&c.tmpl, ch, "x").validate()
}

func (ch Channel) clone() Channel {
	ch.ChatIDs, ch.Tags = slices.Clone(ch.ChatIDs), slices.Clone(ch.Tags)
	if ch.AutoCreateRoom != nil {
		v := *ch.AutoCreateRoom
		ch.AutoCreateRoom = &v
	}
	return ch
}

func sameWay(a, b *Channel) bool {
	return slices.Equal(a.ChatIDs, b.ChatIDs) && a.RoomBaseName == b.RoomBaseName && a.RoomBaseID == b.RoomBaseID &&
		(a.AutoCreateRoom == nil) == (b.AutoCreateRoom == nil) && (a.AutoCreateRoom == nil || *a.AutoCreateRoom == *b.AutoCreateRoom)
}

// joinWays is the channel engine's Adapter: one join way per channel.
// WeCom lists no join ways, so Find finds nothing.
type joinWays struct {
	svc  *Service
	tmpl ChannelTemplate
}

func (joinWays) Name(ch *Channel) string        { return ch.Name }
func (joinWays) Def(code *ChannelCode) *Channel { return &code.Channel }
func (joinWays) ID(code *ChannelCode) string    { return code.ConfigID }
func (joinWays) State(code *ChannelCode) string { return code.State }
func (joinWays) Same(a, b *Channel) bool        { return sameWay(a, b) && slices.Equal(a.Tags, b.Tags) }
func (joinWays) Retired(name, state string) *ChannelCode {
	return &ChannelCode{Channel: Channel{Name: name}, State: state}
}

func (joinWays) Find(context.Context, *Channel, string) (*ChannelCode, bool, error) {
	return nil, false, nil
}

func (w joinWays) Create(ctx context.Context, ch *Channel, state string) (*ChannelCode, error) {
	id, err := w.svc.AddJoinWay(ctx, request(&w.tmpl, ch, state))
	if err != nil {
		return nil, err
	}
	code := &ChannelCode{Channel: *ch, ConfigID: id, State: state}
	if w.tmpl.Scene == SceneQRCode {
		jw, err := w.svc.GetJoinWay(ctx, id) // add_join_way answers no QR code
		if err != nil {
			_ = w.svc.DelJoinWay(context.WithoutCancel(ctx), id)
			return nil, err
		}
		code.QRCode = jw.QRCode
	}
	return code, nil
}

func (w joinWays) Update(ctx context.Context, cur *ChannelCode, ch *Channel) (*ChannelCode, error) {
	if !sameWay(&cur.Channel, ch) {
		err := w.svc.UpdateJoinWay(ctx, &UpdateJoinWayRequest{ConfigID: cur.ConfigID, AddJoinWayRequest: *request(&w.tmpl, ch, cur.State)})
		if err != nil {
			return nil, err
		}
	}
	cur.Channel = *ch
	return cur, nil
}

func (w joinWays) Delete(ctx context.Context, code *ChannelCode) error {
	if err := w.svc.DelJoinWay(ctx, code.ConfigID); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}

// Ensure returns the channel's code, creating its join way the first time.
// When the stored definition differs from ch, the code is updated (see
// Update). When another caller (in this process or another instance
// sharing the Store) is creating it, Ensure waits for it until ctx ends.
func (c *Channels) Ensure(ctx context.Context, ch Channel) (*ChannelCode, error) {
	if err := c.validate(&ch); err != nil {
		return nil, err
	}
	return c.eng.Ensure(ctx, ch.clone())
}

// Update changes the code of an existing channel to ch: its join way
// (update_join_way, which overwrites the whole configuration; the state
// and the QR code stay) and the tags marked on joiners from then on. The
// error matches ErrNoChannel when the channel has no code.
func (c *Channels) Update(ctx context.Context, ch Channel) (*ChannelCode, error) {
	if err := c.validate(&ch); err != nil {
		return nil, err
	}
	return c.eng.Update(ctx, ch.clone())
}

// Lookup returns the channel's code without creating one; ok is false when
// the channel has none (or its creation is still in progress).
func (c *Channels) Lookup(ctx context.Context, name string) (*ChannelCode, bool, error) {
	return c.eng.Lookup(ctx, name)
}

// LookupState returns the code of the channel a member came through, from
// the member's State (Member.State), with its tags. For a retired channel
// only Name and State are set; ok is false for a state no channel of this
// Channels made.
func (c *Channels) LookupState(ctx context.Context, state string) (*ChannelCode, bool, error) {
	return c.eng.LookupState(ctx, state)
}

// List returns the code of every channel, ordered by name.
func (c *Channels) List(ctx context.Context) ([]*ChannelCode, error) { return c.eng.List(ctx) }

// Retire deletes the channel's join way and forgets its code, so that a
// later Ensure creates a new one (with the same state). The state stays
// mapped to the channel: members who joined through the old code still
// Resolve to it. A join way WeCom no longer knows is forgotten too; a
// channel without a code is not an error.
func (c *Channels) Retire(ctx context.Context, name string) error { return c.eng.Retire(ctx, name) }

// Resolve returns the name of the channel whose code a member came
// through, from the member's State (Member.State). ok is false for a state
// no channel of this Channels made, such as "".
func (c *Channels) Resolve(ctx context.Context, state string) (name string, ok bool, err error) {
	return c.eng.Resolve(ctx, state)
}

// Joins returns the members of the tracked groups who came through the
// channel's code, with the group each is in. The error matches ErrNoChannel
// when the channel has no code.
func (c *Channels) Joins(ctx context.Context, name string) ([]Join, error) {
	code, ok, err := c.eng.Lookup(ctx, name)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %q", ErrNoChannel, name)
	}
	if err != nil {
		return nil, err
	}
	return c.tracker.Joins(ctx, code.State)
}
