// Registry is the mapping the channel helpers used before Engine; it goes
// once they stand on Engine.

package channelstate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// Registry maps channels to states and to records of type T. T must be a
// struct whose JSON holds the channel in a top-level "channel" member and
// has no "pending" member: the Registry reads both from the stored JSON to
// tell a record from a claim and to check that the record is the
// channel's. A Registry is a value: copy it freely; it is safe for
// concurrent use when its Store is.
type Registry[T any] struct {
	Store wecom.Store
	// Prefix starts every key (e.g. "scrm:contactway:<corp>:<namespace>:").
	Prefix string
	// Code returns the state candidates of a channel (see Code).
	Code func(channel string, attempt int) string
	// Poll is the wait between looks at a record another caller is creating.
	Poll time.Duration
	// PendingTTL is how long a creation may take before others take over.
	PendingTTL time.Duration
	// Index keeps the list of channels with a record, for Channels.
	Index bool
	// Pkg starts error messages ("acquisition", "contact", ...).
	Pkg string
	// Identify, when set, returns a decoded value's channel and whether
	// it is a claim (its "pending" member set), so that each value read
	// is decoded once, into T; T must then decode "pending" itself. Nil
	// decodes every value twice: for the channel and claim, and into T.
	Identify func(rec *T) (channel string, pending bool)
}

// Maker creates a channel's WeCom object for Ensure and Create.
type Maker[T any] struct {
	// Create makes the object with the channel's state and returns the
	// record to store. It is called once per claim.
	Create func(ctx context.Context, state string) (*T, error)
	// Undo deletes the object of a record that lost to another caller's
	// (a late creator whose claim had expired); may be nil.
	Undo func(ctx context.Context, rec *T)
	// ID returns the WeCom id of a record's object, so that a creator who
	// finds its own object in the other record does not undo it; may be nil.
	ID func(rec *T) string
}

// envelope is what the Registry reads of every stored value.
type envelope struct {
	Channel string `json:"channel"`
	Pending string `json:"pending,omitempty"`
}

// ChannelKey is the key of channel's record: a hash, so any string may be a
// channel.
func (r *Registry[T]) ChannelKey(channel string) string {
	sum := sha256.Sum256([]byte(channel))
	return r.Prefix + "channel:" + hex.EncodeToString(sum[:16])
}

// StateKey is the key holding the channel of state.
func (r *Registry[T]) StateKey(state string) string { return r.Prefix + "state:" + state }

func (r *Registry[T]) errorf(format string, args ...any) error {
	return fmt.Errorf(r.Pkg+": "+format, args...)
}

// stored is a value read from a channel key.
type storedRec[T any] struct {
	raw     string
	rec     *T   // nil for a claim
	present bool // the key holds something
}

func (r *Registry[T]) load(ctx context.Context, channel string) (storedRec[T], error) {
	raw, ok, err := r.Store.Get(ctx, r.ChannelKey(channel))
	if err != nil || !ok {
		return storedRec[T]{}, err
	}
	if r.Identify != nil {
		var rec T
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			return storedRec[T]{}, r.errorf("the stored mapping of channel %q is corrupt", channel)
		}
		ch, pending := r.Identify(&rec)
		if ch != channel {
			return storedRec[T]{}, r.errorf("the stored mapping of channel %q is corrupt", channel)
		}
		if pending {
			return storedRec[T]{raw: raw, present: true}, nil
		}
		return storedRec[T]{raw: raw, rec: &rec, present: true}, nil
	}
	var env envelope
	if err := json.Unmarshal([]byte(raw), &env); err != nil || env.Channel != channel {
		return storedRec[T]{}, r.errorf("the stored mapping of channel %q is corrupt", channel)
	}
	s := storedRec[T]{raw: raw, present: true}
	if env.Pending != "" {
		return s, nil
	}
	var rec T
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return storedRec[T]{}, r.errorf("the stored mapping of channel %q is corrupt", channel)
	}
	s.rec = &rec
	return s, nil
}

// Lookup returns channel's record; ok is false when it has none (or its
// creation is still in progress).
func (r *Registry[T]) Lookup(ctx context.Context, channel string) (rec *T, ok bool, err error) {
	s, err := r.load(ctx, channel)
	if err != nil || s.rec == nil {
		return nil, false, err
	}
	return s.rec, true, nil
}

// Claim tries to take the claim on creating channel's record; won is false
// when the key already holds a record or another claim.
func (r *Registry[T]) Claim(ctx context.Context, channel string) (claim string, won bool, err error) {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	b, _ := json.Marshal(envelope{Channel: channel, Pending: hex.EncodeToString(nonce[:])})
	won, err = r.Store.CompareAndSwap(ctx, r.ChannelKey(channel), "", string(b), r.PendingTTL)
	if err != nil || !won {
		return "", false, err
	}
	return string(b), true, nil
}

// Ensure returns channel's record, creating its object through m the first
// time. When another caller (in this process or another instance sharing
// the Store) is creating it, Ensure waits for that record until ctx ends.
func (r *Registry[T]) Ensure(ctx context.Context, channel string, m Maker[T]) (*T, error) {
	for {
		s, err := r.load(ctx, channel)
		if err != nil {
			return nil, err
		}
		if s.rec != nil {
			if r.Index {
				if err := r.addIndex(ctx, channel); err != nil {
					return nil, err
				}
			}
			return s.rec, nil
		}
		if !s.present {
			claim, won, err := r.Claim(ctx, channel)
			if err != nil {
				return nil, err
			}
			if won {
				return r.Create(ctx, channel, claim, m)
			}
			continue
		}
		// Someone else is creating it: wait for them, or for their claim
		// to expire.
		if err := sleep(ctx, r.Poll); err != nil {
			return nil, err
		}
	}
}

// Create makes channel's object and stores its record; the caller holds
// claim (from Claim). On failure the claim is released, so that the next
// Ensure tries again.
func (r *Registry[T]) Create(ctx context.Context, channel, claim string, m Maker[T]) (*T, error) {
	release := func() {
		_, _ = r.Store.CompareAndSwap(context.WithoutCancel(ctx), r.ChannelKey(channel), claim, "", 0)
	}
	state, err := r.ClaimState(ctx, channel)
	if err != nil {
		release()
		return nil, err
	}
	rec, err := m.Create(ctx, state)
	if err != nil {
		release()
		return nil, err
	}
	final, err := r.encode(channel, rec)
	if err != nil {
		release()
		return nil, err
	}
	swapped, err := r.Store.CompareAndSwap(ctx, r.ChannelKey(channel), claim, final, 0)
	if err != nil {
		return nil, err
	}
	if !swapped {
		// Our claim expired and another caller took over: keep theirs.
		if other, ok, lerr := r.Lookup(ctx, channel); lerr == nil && ok && (m.ID == nil || m.ID(other) != m.ID(rec)) {
			if m.Undo != nil {
				m.Undo(context.WithoutCancel(ctx), rec)
			}
			return other, nil
		}
		if err := r.Store.Set(ctx, r.ChannelKey(channel), final, 0); err != nil {
			return nil, err
		}
	}
	if r.Index {
		if err := r.addIndex(ctx, channel); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// encode marshals rec and checks that it is channel's record.
func (r *Registry[T]) encode(channel string, rec *T) (string, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil || env.Channel != channel || env.Pending != "" {
		return "", r.errorf("the record of channel %q does not name it", channel)
	}
	return string(b), nil
}

// ClaimState reserves the first free state candidate of channel (or the
// one it already holds).
func (r *Registry[T]) ClaimState(ctx context.Context, channel string) (string, error) {
	for attempt := range MaxAttempts {
		st := r.Code(channel, attempt)
		won, err := r.Store.CompareAndSwap(ctx, r.StateKey(st), "", channel, 0)
		if err != nil {
			return "", err
		}
		if won {
			return st, nil
		}
		owner, ok, err := r.Store.Get(ctx, r.StateKey(st))
		if err != nil {
			return "", err
		}
		if ok && owner == channel {
			return st, nil
		}
	}
	return "", r.errorf("no free state for channel %q after %d candidates", channel, MaxAttempts)
}

// ErrChanged is returned by Update when the record kept changing under it.
var ErrChanged = errors.New("channelstate: the record kept changing; try again")

// maxUpdateAttempts bounds Update's re-runs when others change the record.
const maxUpdateAttempts = 8

// Update replaces channel's record with what fn makes of it. fn gets the
// current record (a copy it may change) and may call WeCom; it is run again
// when another caller changed the record meanwhile. ok is false (and fn is
// not called) when the channel has no record.
func (r *Registry[T]) Update(ctx context.Context, channel string, fn func(ctx context.Context, cur *T) (*T, error)) (rec *T, ok bool, err error) {
	for range maxUpdateAttempts {
		s, err := r.load(ctx, channel)
		if err != nil || s.rec == nil {
			return nil, false, err
		}
		next, err := fn(ctx, s.rec)
		if err != nil {
			return nil, true, err
		}
		final, err := r.encode(channel, next)
		if err != nil {
			return nil, true, err
		}
		if final == s.raw {
			return next, true, nil
		}
		swapped, err := r.Store.CompareAndSwap(ctx, r.ChannelKey(channel), s.raw, final, 0)
		if err != nil {
			return nil, true, err
		}
		if swapped {
			return next, true, nil
		}
	}
	return nil, true, ErrChanged
}

// Forget deletes channel's record (not its state: customers who came
// through it still Resolve to it), so that a later Ensure creates a new
// object, with the same state.
func (r *Registry[T]) Forget(ctx context.Context, channel string) error {
	if err := r.Store.Delete(ctx, r.ChannelKey(channel)); err != nil {
		return err
	}
	if r.Index {
		return r.removeIndex(ctx, channel)
	}
	return nil
}

// Resolve returns the channel state belongs to; ok is false for a state
// this Registry never gave out, such as "".
func (r *Registry[T]) Resolve(ctx context.Context, state string) (channel string, ok bool, err error) {
	if state == "" {
		return "", false, nil
	}
	return r.Store.Get(ctx, r.StateKey(state))
}

// The index is one Store value: the JSON array of the channels that have a
// record, sorted. It is changed with CompareAndSwap, so instances adding
// channels at once do not lose each other's.

func (r *Registry[T]) indexKey() string { return r.Prefix + "index" }

// Channels returns the channels that have a record, sorted (Index only).
func (r *Registry[T]) Channels(ctx context.Context) ([]string, error) {
	list, _, corrupt, err := r.readIndex(ctx)
	if err == nil && corrupt {
		err = r.errorf("the stored channel index is corrupt; Ensure each channel again to rebuild it")
	}
	return list, err
}

// Records returns the record of every channel in the index, ordered by
// channel name; a channel whose record is gone (or not made yet) is left
// out.
func (r *Registry[T]) Records(ctx context.Context) ([]*T, error) {
	names, err := r.Channels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(names))
	for _, n := range names {
		rec, ok, err := r.Lookup(ctx, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// readIndex reads the index; a corrupt one is reported with its raw value,
// so that the next change replaces it.
func (r *Registry[T]) readIndex(ctx context.Context) (list []string, raw string, corrupt bool, err error) {
	raw, ok, err := r.Store.Get(ctx, r.indexKey())
	if err != nil || !ok {
		return nil, "", false, err
	}
	if raw == "" {
		// An empty value cannot be swapped (CompareAndSwap's old "" means
		// absent): drop it.
		return nil, "", true, r.Store.Delete(ctx, r.indexKey())
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, raw, true, nil
	}
	return list, raw, false, nil
}

func (r *Registry[T]) addIndex(ctx context.Context, channel string) error {
	return r.changeIndex(ctx, func(list []string) ([]string, bool) {
		i, found := slices.BinarySearch(list, channel)
		if found {
			return list, false
		}
		return slices.Insert(list, i, channel), true
	})
}

func (r *Registry[T]) removeIndex(ctx context.Context, channel string) error {
	return r.changeIndex(ctx, func(list []string) ([]string, bool) {
		i, found := slices.BinarySearch(list, channel)
		if !found {
			return list, false
		}
		return slices.Delete(list, i, i+1), true
	})
}

func (r *Registry[T]) changeIndex(ctx context.Context, change func([]string) ([]string, bool)) error {
	for {
		list, raw, _, err := r.readIndex(ctx)
		if err != nil {
			return err
		}
		if !slices.IsSorted(list) {
			slices.Sort(list)
			list = slices.Compact(list)
		}
		next, changed := change(list)
		if !changed && raw != "" {
			return nil
		}
		val := ""
		if len(next) > 0 {
			b, _ := json.Marshal(next)
			val = string(b)
		}
		if val == raw {
			return nil
		}
		swapped, err := r.Store.CompareAndSwap(ctx, r.indexKey(), raw, val, 0)
		if err != nil {
			return err
		}
		if swapped {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
