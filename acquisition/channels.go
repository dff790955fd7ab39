package acquisition

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

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
// Store (wecom/redisstore) and each resolves every channel, and two
// instances ensuring the same channel at once create one link. A state is
// derived from a hash of the channel, so it is the same after a restart; if
// two channels ever hash alike, the second gets the next candidate, and the
// Store remembers which.
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

// stateCodeLen is the length of the hash part of a state: 10 base32
// characters, 50 bits.
const stateCodeLen = 10

// maxStateAttempts bounds the search for a free state.
const maxStateAttempts = 32

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
	if len(tmpl.StatePrefix) > MaxStatePrefix || !isAlnum(tmpl.StatePrefix, false) {
		return nil, invalidf("StatePrefix %q: want at most %d letters and digits", tmpl.StatePrefix, MaxStatePrefix)
	}
	if !isAlnum(tmpl.Namespace, true) {
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

func isAlnum(s string, punct bool) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || punct && (r == '-' || r == '_')
		if !ok {
			return false
		}
	}
	return true
}

// stateCode returns the state candidates of a prefix: prefix + 10 base32
// characters of SHA-256(channel, attempt).
func stateCode(prefix string) func(string, int) string {
	enc := base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	return func(channel string, attempt int) string {
		h := sha256.New()
		h.Write([]byte(channel))
		var n [9]byte
		binary.BigEndian.PutUint64(n[1:], uint64(attempt))
		h.Write(n[:])
		return prefix + enc.EncodeToString(h.Sum(nil))[:stateCodeLen]
	}
}

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

func (c *Channels) channelKey(channel string) string {
	sum := sha256.Sum256([]byte(channel))
	return c.ns + "channel:" + hex.EncodeToString(sum[:16])
}
func (c *Channels) stateKey(state string) string { return c.ns + "state:" + state }
func (c *Channels) linkKey(linkID string) string { return c.ns + "link:" + linkID }

func (c *Channels) load(ctx context.Context, channel string) (*record, error) {
	raw, ok, err := c.store.Get(ctx, c.channelKey(channel))
	if err != nil || !ok {
		return nil, err
	}
	var l record
	if err := json.Unmarshal([]byte(raw), &l); err != nil || l.Channel != channel {
		return nil, fmt.Errorf("acquisition: the stored mapping of channel %q is corrupt", channel)
	}
	return &l, nil
}

// Lookup returns the channel's link without creating one; ok is false when
// the channel has none (or its creation is still in progress).
func (c *Channels) Lookup(ctx context.Context, channel string) (link *ChannelLink, ok bool, err error) {
	l, err := c.load(ctx, channel)
	if err != nil || l == nil || l.Pending != "" {
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
	for {
		l, err := c.load(ctx, channel)
		if err != nil {
			return nil, err
		}
		if l != nil && l.Pending == "" {
			return &l.ChannelLink, nil
		}
		if l == nil {
			var nonce [8]byte
			_, _ = rand.Read(nonce[:])
			pending, _ := json.Marshal(record{ChannelLink: ChannelLink{Channel: channel}, Pending: hex.EncodeToString(nonce[:])})
			won, err := c.store.CompareAndSwap(ctx, c.channelKey(channel), "", string(pending), c.pendingTTL)
			if err != nil {
				return nil, err
			}
			if won {
				return c.create(ctx, channel, string(pending))
			}
			continue
		}
		// Someone else is creating it: wait for them, or for their claim
		// to expire.
		if err := sleep(ctx, c.poll); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// create makes the channel's link; the caller holds the pending claim.
func (c *Channels) create(ctx context.Context, channel, pending string) (*ChannelLink, error) {
	release := func() {
		_, _ = c.store.CompareAndSwap(context.WithoutCancel(ctx), c.channelKey(channel), pending, "", 0)
	}
	state, err := c.claimState(ctx, channel)
	if err != nil {
		release()
		return nil, err
	}
	name := linkName(channel, state)
	link, err := c.svc.CreateLink(ctx, &CreateLinkRequest{LinkName: name, Range: c.tmpl.Range,
		SkipVerify: c.tmpl.SkipVerify, PriorityOption: c.tmpl.PriorityOption, MarkSource: c.tmpl.MarkSource})
	if errors.Is(err, wecom.ErrOutcomeUnknown) {
		if found, ferr := c.findByName(ctx, name); ferr == nil && found != nil {
			link, err = found, nil
		}
	}
	if err != nil {
		release()
		return nil, err
	}
	u, err := withChannel(link.URL, state)
	if err != nil {
		release()
		return nil, err
	}
	l := &ChannelLink{Channel: channel, LinkID: link.LinkID, LinkName: name, State: state, URL: u}
	final, _ := json.Marshal(l)
	if err := c.store.Set(ctx, c.linkKey(link.LinkID), channel, 0); err != nil {
		release()
		return nil, err
	}
	swapped, err := c.store.CompareAndSwap(ctx, c.channelKey(channel), pending, string(final), 0)
	if err != nil {
		return nil, err
	}
	if !swapped {
		// Our claim expired and another caller took over: keep theirs.
		if other, lerr := c.load(ctx, channel); lerr == nil && other != nil && other.Pending == "" && other.LinkID != link.LinkID {
			_ = c.svc.DeleteLink(context.WithoutCancel(ctx), link.LinkID)
			return &other.ChannelLink, nil
		}
		if err := c.store.Set(ctx, c.channelKey(channel), string(final), 0); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// claimState reserves the first free state candidate of channel (or the
// one it already holds).
func (c *Channels) claimState(ctx context.Context, channel string) (string, error) {
	for attempt := range maxStateAttempts {
		st := c.code(channel, attempt)
		won, err := c.store.CompareAndSwap(ctx, c.stateKey(st), "", channel, 0)
		if err != nil {
			return "", err
		}
		if won {
			return st, nil
		}
		owner, ok, err := c.store.Get(ctx, c.stateKey(st))
		if err != nil {
			return "", err
		}
		if ok && owner == channel {
			return st, nil
		}
	}
	return "", fmt.Errorf("acquisition: no free state for channel %q after %d candidates", channel, maxStateAttempts)
}

// linkName names the link after the channel: as much of the channel as fits
// in MaxLinkNameLen characters, then "#" and the state, which makes the name
// unique.
func linkName(channel, state string) string {
	room := MaxLinkNameLen - utf8.RuneCountInString(state) - 1
	var b strings.Builder
	n := 0
	for _, r := range channel {
		if n == room {
			break
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String() + "#" + state
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
	if state == "" {
		return "", false, nil
	}
	return c.store.Get(ctx, c.stateKey(state))
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
	return c.store.Delete(ctx, c.channelKey(channel))
}
