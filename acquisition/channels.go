package acquisition

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/wecom"
)

// Channels keeps one acquisition link per marketing channel: Ensure creates
// a channel's link once, with a link name and a customer_channel state
// derived from the channel's name, and keeps its range in line with the
// channel's definition; Resolve and LookupState map the State a customer
// comes back with (of an add_external_contact event or a Customer) to the
// channel, LookupLink the LinkId of an acquisition event.
//
// The mapping lives in a wecom.Store: give every instance the same shared
// Store (redisstore) and each resolves every channel, and two instances
// ensuring the same channel at once create one link. A state is "ch"
// (ChannelTemplate.StatePrefix) and 10 characters of a hash of the name: the
// same after a restart, and if two channels ever hash alike the second gets
// the next candidate and the Store remembers which. A Channels remembers
// the states it has seen (they are never given to another channel): Resolve
// of a known state reads nothing, LookupState reads the link once.
// contact.Channels and groupchat.Channels work the same way, with the same
// verbs.
//
// A Channels is safe for concurrent use.
type Channels struct {
	svc    *Service
	store  wecom.Store
	prefix string
	tmpl   ChannelTemplate
	eng    *channelstate.Engine[Channel, ChannelLink]
}

// ChannelTemplate is what every channel's link is created with.
type ChannelTemplate struct {
	// Range takes the customers of a channel that sets neither Users nor
	// Departments.
	Range Range
	// SkipVerify is the default of Channel.SkipVerify.
	SkipVerify     *bool
	PriorityOption *PriorityOption
	MarkSource     *bool
	// StatePrefix starts every state (letters and digits, at most
	// MaxChannelStatePrefix bytes; default "ch").
	StatePrefix string
	// Namespace separates the mappings of several apps of one corp that
	// share a Store (since 2023-12 an app sees only its own links): use the
	// suite id, say. Letters, digits, '-' and '_'; may be empty.
	Namespace string
}

// MaxChannelStatePrefix is the longest ChannelTemplate.StatePrefix, in
// bytes: with the 10 characters of the hash a state stays well within the
// 64 bytes of customer_channel WeCom keeps.
const MaxChannelStatePrefix = 16

// Channel is a marketing channel ("spring-fair", "douyin-ad-7", any
// string) served by an acquisition link. It is data: keep the list in
// configuration and Ensure each channel at start-up; a changed definition
// updates the channel's link.
type Channel struct {
	// Name identifies the channel; its link's name and state are derived
	// from it.
	Name string `json:"channel"`
	// Users and Departments take the channel's customers (the link's
	// range): at most 500 members, departments counting with their head
	// count. Both empty: ChannelTemplate.Range.
	Users       []string `json:"users,omitempty"`
	Departments []int    `json:"departments,omitempty"`
	// SkipVerify: nil takes ChannelTemplate.SkipVerify; both nil leave
	// WeCom's default (customers are added without the member's approval).
	SkipVerify *bool `json:"skip_verify,omitempty"`
}

// ChannelLink is a channel with its link, as the Store keeps it.
type ChannelLink struct {
	Channel
	LinkID   string `json:"link_id"`
	LinkName string `json:"link_name"`
	// State is the customer_channel of URL: customers who tap URL come
	// back with it as their State.
	State string `json:"state"`
	// URL is the link's URL with customer_channel=State: publish this one.
	URL string `json:"url"`
}

// ErrNoChannel is returned for a channel that has no link (Lookup's ok is
// false instead).
var ErrNoChannel = errors.New("acquisition: no link for this channel")

// NewChannels returns a Channels creating links through svc and keeping the
// mapping in store.
func NewChannels(svc *Service, store wecom.Store, tmpl ChannelTemplate) (*Channels, error) {
	if svc == nil || store == nil {
		return nil, check.Invalidf("NewChannels needs a Service and a Store")
	}
	if tmpl.StatePrefix == "" {
		tmpl.StatePrefix = "ch"
	}
	if err := channelstate.CheckTemplate(tmpl.StatePrefix, tmpl.Namespace); err != nil {
		return nil, check.Invalidf("%v", err)
	}
	var rng error
	if len(tmpl.Range.UserList) > 0 || len(tmpl.Range.DepartmentList) > 0 {
		rng = tmpl.Range.validate()
	}
	if err := api.FirstErr(rng, tmpl.PriorityOption.validate()); err != nil {
		return nil, err
	}
	tmpl.Range = Range{UserList: slices.Clone(tmpl.Range.UserList), DepartmentList: slices.Clone(tmpl.Range.DepartmentList)}
	c := &Channels{svc: svc, store: store, tmpl: tmpl, prefix: "scrm:acquisition:" + svc.c.CorpID() + ":" + tmpl.Namespace + ":"}
	c.eng = channelstate.New[Channel, ChannelLink](channelstate.Config{Store: store, Prefix: c.prefix,
		StatePrefix: tmpl.StatePrefix, Pkg: "acquisition", ErrNoChannel: ErrNoChannel}, links{c})
	return c, nil
}

// define checks ch and returns it as its link is made: a copy, with the
// template's defaults filled in.
func (c *Channels) define(ch Channel) (Channel, error) {
	if err := check.Required("Name", ch.Name); err != nil {
		return ch, err
	}
	ch.Users, ch.Departments = slices.Clone(ch.Users), slices.Clone(ch.Departments)
	if len(ch.Users) == 0 && len(ch.Departments) == 0 {
		ch.Users, ch.Departments = slices.Clone(c.tmpl.Range.UserList), slices.Clone(c.tmpl.Range.DepartmentList)
	}
	if ch.SkipVerify == nil {
		ch.SkipVerify = c.tmpl.SkipVerify
	}
	if ch.SkipVerify != nil {
		v := *ch.SkipVerify
		ch.SkipVerify = &v
	}
	switch {
	case len(ch.Users) == 0 && len(ch.Departments) == 0:
		return ch, check.Invalidf("channel %q needs Users or Departments (or a ChannelTemplate.Range)", ch.Name)
	case slices.Contains(ch.Users, ""):
		return ch, check.Invalidf("channel %q has an empty user id", ch.Name)
	}
	return ch, api.MaxItems(check, "Users", ch.Users, maxRangeUsers)
}

func (c *Channels) linkKey(linkID string) string { return c.prefix + "link:" + linkID }

// links is the channel engine's Adapter: one link per channel. A link's
// id maps to its state in the Store, for LookupLink.
type links struct{ c *Channels }

func (links) Name(ch *Channel) string     { return ch.Name }
func (links) Def(l *ChannelLink) *Channel { return &l.Channel }
func (links) ID(l *ChannelLink) string    { return l.LinkID }
func (links) State(l *ChannelLink) string { return l.State }
func (links) Same(a, b *Channel) bool     { return sameLink(a, b) }
func (links) Retired(name, state string) *ChannelLink {
	return &ChannelLink{Channel: Channel{Name: name}, State: state}
}

func sameLink(a, b *Channel) bool {
	return slices.Equal(a.Users, b.Users) && slices.Equal(a.Departments, b.Departments) &&
		(a.SkipVerify == nil) == (b.SkipVerify == nil) && (a.SkipVerify == nil || *a.SkipVerify == *b.SkipVerify)
}

func (w links) Create(ctx context.Context, ch *Channel, state string) (*ChannelLink, error) {
	t := &w.c.tmpl
	link, err := w.c.svc.CreateLink(ctx, &CreateLinkRequest{LinkName: channelstate.Label(ch.Name, state, maxLinkNameLen),
		Range: Range{UserList: ch.Users, DepartmentList: ch.Departments}, SkipVerify: ch.SkipVerify,
		PriorityOption: t.PriorityOption, MarkSource: t.MarkSource})
	if err != nil {
		return nil, err
	}
	return w.record(ctx, ch, state, link)
}

// Find looks for the link by its name among the app's links.
func (w links) Find(ctx context.Context, ch *Channel, state string) (*ChannelLink, bool, error) {
	name := channelstate.Label(ch.Name, state, maxLinkNameLen)
	for id, err := range w.c.svc.ListLinksIter(ctx, nil) {
		if err != nil {
			return nil, false, err
		}
		if d, err := w.c.svc.Get(ctx, id); err == nil && d.Link.LinkName == name {
			l, err := w.record(ctx, ch, state, &d.Link)
			return l, err == nil, err
		}
	}
	return nil, false, nil
}

// record is the channel's record of link, whose id it maps to state.
func (w links) record(ctx context.Context, ch *Channel, state string, link *Link) (*ChannelLink, error) {
	u, err := withChannel(link.URL, state)
	if err != nil {
		return nil, err
	}
	if err := w.c.store.Set(ctx, w.c.linkKey(link.LinkID), state, 0); err != nil {
		return nil, err
	}
	return &ChannelLink{Channel: *ch, LinkID: link.LinkID, LinkName: link.LinkName, State: state, URL: u}, nil
}

func (w links) Update(ctx context.Context, cur *ChannelLink, ch *Channel) (*ChannelLink, error) {
	if !sameLink(&cur.Channel, ch) {
		err := w.c.svc.UpdateLink(ctx, &UpdateLinkRequest{LinkID: cur.LinkID,
			Range: &Range{UserList: ch.Users, DepartmentList: ch.Departments}, SkipVerify: ch.SkipVerify})
		if err != nil {
			return nil, err
		}
	}
	cur.Channel = *ch
	return cur, nil
}

// Delete deletes the link; a link WeCom no longer knows (IsNotFound) is
// gone already.
func (w links) Delete(ctx context.Context, l *ChannelLink) error {
	if err := w.c.svc.DeleteLink(ctx, l.LinkID); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}

// Ensure returns the channel's link, creating it the first time. When the
// stored definition differs from ch, the link is updated (see Update).
// When another caller (in this process or another instance sharing the
// Store) is creating it, Ensure waits for that link until ctx ends. A
// creation whose outcome is unknown (wecom.ErrOutcomeUnknown) is recovered
// by looking for the link by its name among the app's links.
func (c *Channels) Ensure(ctx context.Context, ch Channel) (*ChannelLink, error) {
	ch, err := c.define(ch)
	if err != nil {
		return nil, err
	}
	return c.eng.Ensure(ctx, ch)
}

// Update changes the link of an existing channel to ch: its range and
// SkipVerify (update_link; nil leaves the link's). The link's name, state
// and URL stay. The error matches ErrNoChannel when the channel has no
// link.
func (c *Channels) Update(ctx context.Context, ch Channel) (*ChannelLink, error) {
	ch, err := c.define(ch)
	if err != nil {
		return nil, err
	}
	return c.eng.Update(ctx, ch)
}

// Lookup returns the channel's link without creating one; ok is false when
// the channel has none (or its creation is still in progress).
func (c *Channels) Lookup(ctx context.Context, name string) (*ChannelLink, bool, error) {
	return c.eng.Lookup(ctx, name)
}

// LookupState returns the link of the channel a customer came through, from
// the State of an add_external_contact event, a Customer or an acquisition
// event. For a retired channel only Name and State are set; ok is false for
// a state no channel of this Channels made.
func (c *Channels) LookupState(ctx context.Context, state string) (*ChannelLink, bool, error) {
	return c.eng.LookupState(ctx, state)
}

// List returns the link of every channel, ordered by name.
func (c *Channels) List(ctx context.Context) ([]*ChannelLink, error) { return c.eng.List(ctx) }

// Retire deletes the channel's link and forgets it, so that a later Ensure
// creates a new one (with the same state). The state and the link id stay
// mapped to the channel: customers who came through the old link still
// Resolve to it, and late events about the old link still LookupLink. A
// link WeCom no longer knows (deleted in the admin console, say) is
// forgotten too; a channel without a link is not an error.
func (c *Channels) Retire(ctx context.Context, name string) error { return c.eng.Retire(ctx, name) }

// Resolve returns the name of the channel whose link a customer came
// through, from the State of an add_external_contact event, a Customer or
// an acquisition event. ok is false for a state no channel of this Channels
// made, such as "" (the bare link URL).
func (c *Channels) Resolve(ctx context.Context, state string) (name string, ok bool, err error) {
	return c.eng.Resolve(ctx, state)
}

// LookupLink returns the channel link of a link id (the LinkId of an
// acquisition event). For a link the channel no longer has (retired, or
// replaced by a newer one) only Name, LinkID and State are set; ok is
// false for a link no channel of this Channels made.
func (c *Channels) LookupLink(ctx context.Context, linkID string) (*ChannelLink, bool, error) {
	if linkID == "" {
		return nil, false, nil
	}
	state, ok, err := c.store.Get(ctx, c.linkKey(linkID))
	if err != nil || !ok {
		return nil, false, err
	}
	l, ok, err := c.eng.LookupState(ctx, state)
	if err != nil || !ok {
		return nil, false, err
	}
	if l.LinkID != linkID {
		return &ChannelLink{Channel: Channel{Name: l.Name}, LinkID: linkID, State: state}, true, nil
	}
	return l, true, nil
}

// Customers yields every customer the channel's link added. A channel
// without a link yields one error matching ErrNoChannel.
func (c *Channels) Customers(ctx context.Context, name string) iter.Seq2[*Customer, error] {
	return func(yield func(*Customer, error) bool) {
		l, ok, err := c.Lookup(ctx, name)
		if err == nil && !ok {
			err = fmt.Errorf("%w: %q", ErrNoChannel, name)
		}
		if err != nil {
			yield(nil, err)
			return
		}
		for cu, err := range c.svc.ListCustomersIter(ctx, &ListCustomersRequest{LinkID: l.LinkID}) {
			if !yield(cu, err) || err != nil {
				return
			}
		}
	}
}
