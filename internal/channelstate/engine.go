// Package channelstate is the one channel engine behind contact.Channels,
// groupchat.Channels and acquisition.Channels: it keeps one WeCom object (a
// contact way, a join way, an acquisition link) per marketing channel, with
// a short state WeCom echoes back (a contact way's state, a join way's
// state, a link's customer_channel), and maps that state back to the
// channel, through a wecom.Store that every instance shares. Each area
// supplies an Adapter that makes, changes and deletes its object.
//
// Per channel the Store holds:
//
//	<prefix>channel:<hash of the name>  the channel's record (JSON), or a claim on creating it
//	<prefix>state:<state>               the name of the channel a state belongs to
//	<prefix>index                       the names of the channels that have a record (JSON array)
//
// A state is derived from a hash of the name (Code), so it is the same
// after a restart; if two channels hash alike, the second takes the next
// candidate, and the state key remembers which channel owns which. The
// state mapping is never deleted: customers who came through a retired
// object still resolve to their channel.
//
// Creating a channel's object is guarded by a claim: the first caller swaps
// a pending claim into the channel key (CompareAndSwap), creates the object
// and swaps the final record in; everyone else, in this process or another
// instance, waits for that record. A claim expires (PendingTTL), so a
// creator that died blocks others only that long; a creator whose claim
// expired and who finds someone else's record yields to it and deletes its
// own object.
//
// Since a state is never given to another channel, an Engine keeps the
// states it has seen resolve in a bounded process-local cache: resolving a
// known state reads nothing, and looking up its record reads the record
// once (the record itself can change and is always read).
package channelstate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/wecom"
)

// Adapter is what an area supplies for its definitions D (the area's
// Channel) and records R (the Channel with its object, as the Store keeps
// it). R's JSON must hold the channel's name in its top-level "channel"
// member.
type Adapter[D, R any] interface {
	// Name returns the channel a definition names.
	Name(d *D) string
	// Def returns the definition a record holds.
	Def(r *R) *D
	// ID returns the WeCom id of a record's object; never "" for a
	// record.
	ID(r *R) string
	// State returns a record's state.
	State(r *R) string
	// Retired returns what LookupState answers for a channel that has no
	// record (it was retired): its name and state only.
	Retired(name, state string) *R
	// Same reports whether a record with definition a serves definition
	// b as it is: nothing to tell WeCom and nothing to store.
	Same(a, b *D) bool
	// Create makes the object of d with state and returns its record.
	Create(ctx context.Context, d *D, state string) (*R, error)
	// Find looks for the object of d with state after a Create whose
	// outcome is unknown (wecom.ErrOutcomeUnknown); ok false when it is
	// not there or the area cannot list its objects.
	Find(ctx context.Context, d *D, state string) (r *R, ok bool, err error)
	// Update changes the object of cur to d when they differ and returns
	// the record to store (cur, which it may change, or a new one).
	Update(ctx context.Context, cur *R, d *D) (*R, error)
	// Delete deletes a record's object; an object WeCom no longer knows
	// is no error.
	Delete(ctx context.Context, r *R) error
}

// Config is where an Engine keeps its mapping and how it names itself.
type Config struct {
	Store wecom.Store
	// Prefix starts every key ("scrm:contactway:<corp>:<namespace>:").
	Prefix string
	// StatePrefix starts every state (see Code).
	StatePrefix string
	// Pkg starts error messages ("contact", "groupchat", ...).
	Pkg string
	// ErrNoChannel is wrapped by Update's error for a channel without a
	// record.
	ErrNoChannel error
}

// Engine keeps one object per channel through an Adapter. It is safe for
// concurrent use when its Store is; its exported fields may be changed
// only before its first use.
type Engine[D, R any] struct {
	cfg Config
	a   Adapter[D, R]
	// Code returns the state candidates of a channel (Code(StatePrefix)).
	Code func(channel string, attempt int) string
	// Poll is the wait between looks at a record another caller is
	// creating.
	Poll time.Duration
	// PendingTTL is how long a creation may take before others take over.
	PendingTTL time.Duration

	states stateCache
}

// New returns an Engine keeping its mapping as cfg says and its objects
// through a.
func New[D, R any](cfg Config, a Adapter[D, R]) *Engine[D, R] {
	return &Engine[D, R]{cfg: cfg, a: a, Code: Code(cfg.StatePrefix),
		Poll: 20 * time.Millisecond, PendingTTL: 2 * time.Minute, states: stateCache{max: MaxCachedStates}}
}

// ChannelKey is the key of a channel's record: a hash, so any string may
// name a channel.
func (e *Engine[D, R]) ChannelKey(name string) string { return ChannelKey(e.cfg.Prefix, name) }

// ChannelKey is the key of the record of channel name under prefix.
func ChannelKey(prefix, name string) string {
	sum := sha256.Sum256([]byte(name))
	return prefix + "channel:" + hex.EncodeToString(sum[:16])
}

// StateKey is the key holding the name of the channel of state.
func (e *Engine[D, R]) StateKey(state string) string { return e.cfg.Prefix + "state:" + state }

func (e *Engine[D, R]) errorf(format string, args ...any) error {
	return fmt.Errorf(e.cfg.Pkg+": "+format, args...)
}

func (e *Engine[D, R]) corrupt(name string) error {
	return e.errorf("the stored mapping of channel %q is corrupt", name)
}

// claim is what the channel key holds while its object is being made.
type claim struct {
	Channel string `json:"channel"`
	Pending string `json:"pending"`
}

// stored is a value read from a channel key.
type stored[R any] struct {
	raw     string
	rec     *R   // nil for a claim
	present bool // the key holds something
}

// load reads a channel's key: its record, a claim, or nothing. Records are
// decoded once; only a value without an object id is looked at again, as a
// claim.
func (e *Engine[D, R]) load(ctx context.Context, name string) (stored[R], error) {
	raw, ok, err := e.cfg.Store.Get(ctx, e.ChannelKey(name))
	if err != nil || !ok {
		return stored[R]{}, err
	}
	rec, isClaim, err := e.decode(name, raw)
	if err != nil || isClaim {
		return stored[R]{raw: raw, present: true}, err
	}
	e.states.put(e.a.State(rec), name)
	return stored[R]{raw: raw, rec: rec, present: true}, nil
}

func (e *Engine[D, R]) decode(name, raw string) (rec *R, isClaim bool, err error) {
	var r R
	if err := json.Unmarshal([]byte(raw), &r); err != nil || e.a.Name(e.a.Def(&r)) != name {
		return nil, false, e.corrupt(name)
	}
	if e.a.ID(&r) != "" {
		return &r, false, nil
	}
	var c claim
	if json.Unmarshal([]byte(raw), &c) != nil || c.Pending == "" {
		return nil, false, e.corrupt(name)
	}
	return nil, true, nil
}

// encode marshals rec and checks that it is the record of channel name.
func (e *Engine[D, R]) encode(name string, rec *R) (string, error) {
	if e.a.Name(e.a.Def(rec)) != name || e.a.ID(rec) == "" {
		return "", e.errorf("the record of channel %q does not name it or has no object id", name)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Lookup returns the record of channel name; ok is false when it has none
// (or its creation is still in progress).
func (e *Engine[D, R]) Lookup(ctx context.Context, name string) (rec *R, ok bool, err error) {
	s, err := e.load(ctx, name)
	if err != nil || s.rec == nil {
		return nil, false, err
	}
	return s.rec, true, nil
}

// Resolve returns the name of the channel state belongs to; ok is false for
// a state this Engine never gave out, such as "". A state seen before is
// answered from memory.
func (e *Engine[D, R]) Resolve(ctx context.Context, state string) (name string, ok bool, err error) {
	if state == "" {
		return "", false, nil
	}
	if name, ok := e.states.get(state); ok {
		return name, true, nil
	}
	name, ok, err = e.cfg.Store.Get(ctx, e.StateKey(state))
	if err != nil || !ok || name == "" {
		return "", false, err
	}
	e.states.put(state, name)
	return name, true, nil
}

// LookupState returns the record of the channel state belongs to; for a
// retired channel the Adapter's Retired record. ok is false for a state no
// channel has. A state seen before costs one read, of the record.
func (e *Engine[D, R]) LookupState(ctx context.Context, state string) (*R, bool, error) {
	name, ok, err := e.Resolve(ctx, state)
	if err != nil || !ok {
		return nil, false, err
	}
	rec, ok, err := e.Lookup(ctx, name)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return e.a.Retired(name, state), true, nil
	}
	return rec, true, nil
}

// Ensure returns the record of d's channel, creating its object the first
// time and updating it (Update) when the stored definition is not the Same
// as d. When another caller (in this process or another instance sharing
// the Store) is creating it, Ensure waits for that record until ctx ends. A
// creation whose outcome is unknown is recovered through the Adapter's Find.
func (e *Engine[D, R]) Ensure(ctx context.Context, d D) (*R, error) {
	name := e.a.Name(&d)
	for {
		s, err := e.load(ctx, name)
		if err != nil {
			return nil, err
		}
		rec := s.rec
		switch {
		case rec != nil:
			if err := e.addIndex(ctx, name); err != nil {
				return nil, err
			}
		case !s.present:
			c, won, err := e.Claim(ctx, name)
			if err != nil {
				return nil, err
			}
			if !won {
				continue
			}
			if rec, err = e.Create(ctx, d, c); err != nil {
				return nil, err
			}
		default: // someone else is creating it: wait for them, or for their claim to expire
			if err := sleep(ctx, e.Poll); err != nil {
				return nil, err
			}
			continue
		}
		if e.a.Same(e.a.Def(rec), &d) {
			return rec, nil
		}
		return e.Update(ctx, d)
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

// Claim tries to take the claim on creating the record of channel name;
// won is false when the key already holds a record or another claim.
func (e *Engine[D, R]) Claim(ctx context.Context, name string) (c string, won bool, err error) {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	b, _ := json.Marshal(claim{Channel: name, Pending: hex.EncodeToString(nonce[:])})
	won, err = e.cfg.Store.CompareAndSwap(ctx, e.ChannelKey(name), "", string(b), e.PendingTTL)
	if err != nil || !won {
		return "", false, err
	}
	return string(b), true, nil
}

// Create makes the object of d and stores its record; the caller holds
// claim c (from Claim). On failure the claim is released, so that the next
// Ensure tries again. When the claim expired meanwhile and another caller
// stored its record, that record is kept and this object deleted.
func (e *Engine[D, R]) Create(ctx context.Context, d D, c string) (*R, error) {
	name := e.a.Name(&d)
	key := e.ChannelKey(name)
	release := func() { _, _ = e.cfg.Store.CompareAndSwap(context.WithoutCancel(ctx), key, c, "", 0) }
	state, err := e.claimState(ctx, name)
	if err != nil {
		release()
		return nil, err
	}
	rec, err := e.a.Create(ctx, &d, state)
	if errors.Is(err, wecom.ErrOutcomeUnknown) {
		if found, ok, ferr := e.a.Find(ctx, &d, state); ferr == nil && ok {
			rec, err = found, nil
		}
	}
	if err != nil {
		release()
		return nil, err
	}
	final, err := e.encode(name, rec)
	if err != nil {
		release()
		return nil, err
	}
	swapped, err := e.cfg.Store.CompareAndSwap(ctx, key, c, final, 0)
	if err != nil {
		return nil, err
	}
	if !swapped {
		// Our claim expired and another caller took over: keep theirs.
		if other, ok, lerr := e.Lookup(ctx, name); lerr == nil && ok && e.a.ID(other) != e.a.ID(rec) {
			_ = e.a.Delete(context.WithoutCancel(ctx), rec)
			return other, nil
		}
		if err := e.cfg.Store.Set(ctx, key, final, 0); err != nil {
			return nil, err
		}
	}
	if err := e.addIndex(ctx, name); err != nil {
		return nil, err
	}
	return rec, nil
}

// claimState reserves the first free state candidate of channel name (or
// the one it already holds).
func (e *Engine[D, R]) claimState(ctx context.Context, name string) (string, error) {
	for attempt := range MaxAttempts {
		st := e.Code(name, attempt)
		won, err := e.cfg.Store.CompareAndSwap(ctx, e.StateKey(st), "", name, 0)
		if err != nil {
			return "", err
		}
		if !won {
			owner, ok, err := e.cfg.Store.Get(ctx, e.StateKey(st))
			if err != nil {
				return "", err
			}
			won = ok && owner == name
		}
		if won {
			e.states.put(st, name)
			return st, nil
		}
	}
	return "", e.errorf("no free state for channel %q after %d candidates", name, MaxAttempts)
}

// errNoRecord ends Update's change for a channel without a record.
var errNoRecord = errors.New("no record")

// Update changes the object and record of d's channel to d through the
// Adapter's Update, which gets the current record and is run again when
// another caller changed the record meanwhile. The error wraps
// Config.ErrNoChannel when the channel has no record.
func (e *Engine[D, R]) Update(ctx context.Context, d D) (*R, error) {
	name := e.a.Name(&d)
	var out *R
	err := kv.Update(ctx, e.cfg.Store, e.ChannelKey(name), 0, func(raw string, ok bool) (string, error) {
		if !ok {
			return "", errNoRecord
		}
		cur, isClaim, err := e.decode(name, raw)
		if err != nil {
			return "", err
		}
		if isClaim {
			return "", errNoRecord
		}
		next, err := e.a.Update(ctx, cur, &d)
		if err != nil {
			return "", err
		}
		out = next
		return e.encode(name, next)
	})
	switch {
	case errors.Is(err, errNoRecord):
		return nil, fmt.Errorf("%w: %q", e.cfg.ErrNoChannel, name)
	case errors.Is(err, kv.ErrContention):
		return nil, e.errorf("the record of channel %q kept changing; try again", name)
	case err != nil:
		return nil, err
	}
	return out, nil
}

// Retire deletes the object of channel name (Adapter.Delete) and forgets its
// record, so that a later Ensure creates a new one, with the same state.
// The state stays mapped to the channel. A channel without a record is not
// an error; when the delete fails, the record is kept.
func (e *Engine[D, R]) Retire(ctx context.Context, name string) error {
	rec, ok, err := e.Lookup(ctx, name)
	if err != nil || !ok {
		return err
	}
	if err := e.a.Delete(ctx, rec); err != nil {
		return err
	}
	if err := e.cfg.Store.Delete(ctx, e.ChannelKey(name)); err != nil {
		return err
	}
	return e.removeIndex(ctx, name)
}

// List returns the record of every channel in the index, ordered by name;
// a channel whose record is gone (or not made yet) is left out.
func (e *Engine[D, R]) List(ctx context.Context) ([]*R, error) {
	names, err := e.Names(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*R, 0, len(names))
	for _, n := range names {
		rec, ok, err := e.Lookup(ctx, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}
