package acquisition

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/wecom"
)

// Channels keeps one acquisition link per marketing channel ("spring-fair",
// "douyin-ad-7", any string): Ensure creates the channel's link once, with a
// link name and a customer_channel state derived from the channel, and
// Resolve / ResolveLink map what comes back (the State of an
// add_external_contact event or of a Customer, the LinkId of an acquisition
// event) to the channel.
//
// The mapping lives in a wecom.Store: give every instance the same shared
// Store (redisstore) and each resolves every channel, and two
// instances ensuring the same channel at once create one link. A state is
// derived from a hash of the channel, so it is the same after a restart; if
// two channels ever hash alike, the second gets the next candidate, and the
// Store remembers which.
//
// The state mapping is internal/channelstate's, shared with contact.Channels
// and groupchat.Channels.
//
// A Channels is safe for concurrent use.
type Channels struct {
	svc        *Service
	store      wecom.Store
	tmpl       ChannelTemplate
	ns         string
	code       func(channel string, attempt int) string
	poll       time.Duration // wait between looks at a link another caller is creating
	pendingTTL time.Duration // how long a creation may take before others take over
}

// ChannelTemplate is what every channel's link is created with.
type ChannelTemplate struct {
	Range          Range // required
	SkipVerify     *bool
	PriorityOption *PriorityOption
	MarkSource     *bool
	// StatePrefix starts every state (letters and digits, at most
	// MaxStatePrefix bytes; default "ch").
	StatePrefix string
	// Namespace separates the mappings of several apps of one corp that
	// share a Store (since 2023-12 an app sees only its own links): use the
	// suite id, say. Letters, digits, '-' and '_'; may be empty.
	Namespace string
}

// MaxStatePrefix is the longest ChannelTemplate.StatePrefix, in bytes.
const MaxStatePrefix = 16

// ErrNoChannel is returned for a channel that has no link (Lookup's ok is
// false instead).
var ErrNoChannel = errors.New("acquisition: no link for this channel")

// NewChannels returns a Channels creating links through svc and keeping the
// mapping in store.
func NewChannels(svc *Service, store wecom.Store, tmpl ChannelTemplate) (*Channels, error) {
	if svc == nil || store == nil {
		return nil, invalidf("NewChannels needs a Service and a Store")
	}
	if tmpl.StatePrefix == "" {
		tmpl.StatePrefix = "ch"
	}
	if len(tmpl.StatePrefix) > MaxStatePrefix || !channelstate.IsAlnum(tmpl.StatePrefix, false) {
		return nil, invalidf("StatePrefix %q: want at most %d letters and digits", tmpl.StatePrefix, MaxStatePrefix)
	}
	if !channelstate.IsAlnum(tmpl.Namespace, true) {
		return nil, invalidf("Namespace %q: want letters, digits, '-' and '_'", tmpl.Namespace)
	}
	if err := firstErr(tmpl.Range.validate(), tmpl.PriorityOption.validate()); err != nil {
		return nil, err
	}
	tmpl.Range = Range{UserList: append([]string(nil), tmpl.Range.UserList...),
		DepartmentList: append([]int(nil), tmpl.Range.DepartmentList...)}
	return &Channels{
		svc:        svc,
		store:      store,
		tmpl:       tmpl,
		ns:         "scrm:acquisition:" + svc.c.CorpID() + ":" + tmpl.Namespace + ":",
		code:       stateCode(tmpl.StatePrefix),
		poll:       20 * time.Millisecond,
		pendingTTL: 2 * time.Minute,
	}, nil
}

// stateCode returns the state candidates of a prefix: prefix + 10 base32
// characters of SHA-256(channel, attempt).
func stateCode(prefix string) func(string, int) string { return channelstate.Code(prefix) }

// ChannelLink is a channel's link.
type ChannelLink struct {
	Channel  string `json:"channel"`
	LinkID   string `json:"link_id"`
	LinkName string `json:"link_name"`
	// State is the customer_channel of URL: customers who tap URL come
	// back with it as their State.
	State string `json:"state"`
	// URL is the link's URL with customer_channel=State: publish this one.
	URL string `json:"url"`
}

// record is what the Store holds for a channel: its link, or a claim on
// creating it (Pending set).
type record struct {
	ChannelLink
	Pending string `json:"pending,omitempty"`
}

// reg is the state mapping (internal/channelstate) over the Channels'
// Store and keys.
func (c *Channels) reg() channelstate.Registry[record] {
	return channelstate.Registry[record]{Store: c.store, Prefix: c.ns, Code: c.code, Poll: c.poll,
		PendingTTL: c.pendingTTL, Pkg: "acquisition", Identify: identifyRecord}
}

func identifyRecord(r *record) (string, bool) { return r.Channel, r.Pending != "" }

func (c *Channels) channelKey(channel string) string { r := c.reg(); return r.ChannelKey(channel) }
func (c *Channels) stateKey(state string) string     { r := c.reg(); return r.StateKey(state) }
func (c *Channels) linkKey(linkID string) string     { return c.ns + "link:" + linkID }

// Lookup returns the channel's link without creating one; ok is false when
// the channel has none (or its creation is still in progress).
func (c *Channels) Lookup(ctx context.Context, channel string) (link *ChannelLink, ok bool, err error) {
	r := c.reg()
	l, ok, err := r.Lookup(ctx, channel)
	if err != nil || !ok {
		return nil, false, err
	}
	return &l.ChannelLink, true, nil
}

// Ensure returns the channel's link, creating it the first time. When
// another caller (in this process or another instance sharing the Store)
// is creating it, Ensure waits for that link until ctx ends. A creation whose
// outcome is unknown (wecom.ErrOutcomeUnknown) is recovered by looking for
// the link by its name among the app's links.
func (c *Channels) Ensure(ctx context.Context, channel string) (*ChannelLink, error) {
	if err := required("channel", channel); err != nil {
		return nil, err
	}
	r := c.reg()
	if l, ok, err := r.Lookup(ctx, channel); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return &l.ChannelLink, nil
	}
	l, err := r.Ensure(ctx, channel, c.maker(channel))
	if err != nil {
		return nil, err
	}
	return &l.ChannelLink, nil
}

// create makes the channel's link; the caller holds the pending claim.
func (c *Channels) create(ctx context.Context, channel, pending string) (*ChannelLink, error) {
	r := c.reg()
	l, err := r.Create(ctx, channel, pending, c.maker(channel))
	if err != nil {
		return nil, err
	}
	return &l.ChannelLink, nil
}

// maker creates the channel's link with its state and maps the link back
// to the channel.
func (c *Channels) maker(channel string) channelstate.Maker[record] {
	return channelstate.Maker[record]{
		Create: func(ctx context.Context, state string) (*record, error) {
			name := linkName(channel, state)
			link, err := c.svc.CreateLink(ctx, &CreateLinkRequest{LinkName: name, Range: c.tmpl.Range,
				SkipVerify: c.tmpl.SkipVerify, PriorityOption: c.tmpl.PriorityOption, MarkSource: c.tmpl.MarkSource})
			if errors.Is(err, wecom.ErrOutcomeUnknown) {
				if found, ferr := c.findByName(ctx, name); ferr == nil && found != nil {
					link, err = found, nil
				}
			}
			if err != nil {
				return nil, err
			}
			u, err := withChannel(link.URL, state)
			if err != nil {
				return nil, err
			}
			if err := c.store.Set(ctx, c.linkKey(link.LinkID), channel, 0); err != nil {
				return nil, err
			}
			return &record{ChannelLink: ChannelLink{Channel: channel, LinkID: link.LinkID, LinkName: name, State: state, URL: u}}, nil
		},
		Undo: func(ctx context.Context, l *record) { _ = c.svc.DeleteLink(ctx, l.LinkID) },
		ID:   func(l *record) string { return l.LinkID },
	}
}

// linkName names the link after the channel: as much of the channel as fits
// in MaxLinkNameLen characters, then "#" and the state, which makes the name
// unique.
func linkName(channel, state string) string {
	return channelstate.Label(channel, state, MaxLinkNameLen)
}

// findByName looks for this app's link called name.
func (c *Channels) findByName(ctx context.Context, name string) (*Link, error) {
	for id, err := range c.svc.ListLinksIter(ctx, nil) {
		if err != nil {
			return nil, err
		}
		d, err := c.svc.Get(ctx, id)
		if err != nil {
			continue
		}
		if d.Link.LinkName == name {
			return &d.Link, nil
		}
	}
	return nil, nil
}

// Resolve returns the channel whose state a customer came with (the State
// of an add_external_contact event, of a Customer or of an acquisition
// event). ok is false for a state no channel of this Channels made, such as
// "" (the bare link URL).
func (c *Channels) Resolve(ctx context.Context, state string) (channel string, ok bool, err error) {
	r := c.reg()
	return r.Resolve(ctx, state)
}

// ResolveLink returns the channel of a link (the LinkId of an acquisition
// event).
func (c *Channels) ResolveLink(ctx context.Context, linkID string) (channel string, ok bool, err error) {
	if linkID == "" {
		return "", false, nil
	}
	return c.store.Get(ctx, c.linkKey(linkID))
}

// Customers yields every customer the channel's link added. A channel
// without a link yields one error matching ErrNoChannel.
func (c *Channels) Customers(ctx context.Context, channel string) iter.Seq2[*Customer, error] {
	return func(yield func(*Customer, error) bool) {
		l, ok, err := c.Lookup(ctx, channel)
		if err == nil && !ok {
			err = fmt.Errorf("%w: %q", ErrNoChannel, channel)
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

// Delete deletes the channel's link and forgets it, so that a later Ensure
// creates a new one. The state and the link id stay mapped to the channel:
// customers who came through the old link still Resolve to it, and late
// events about the old link still ResolveLink. A link WeCom no longer knows
// (deleted in the admin console, say) is forgotten too.
func (c *Channels) Delete(ctx context.Context, channel string) error {
	l, ok, err := c.Lookup(ctx, channel)
	if err != nil || !ok {
		return err
	}
	if err := c.svc.DeleteLink(ctx, l.LinkID); err != nil {
		var we *wecom.Error
		if _, gerr := c.svc.Get(ctx, l.LinkID); gerr == nil || !errors.As(gerr, &we) {
			return err // the link is still there, or we cannot tell
		}
	}
	r := c.reg()
	return r.Forget(ctx, channel)
}
