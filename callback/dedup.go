package callback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"sync"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// De-duplication of WeCom's re-sends.
//
// WeCom re-sends a push it got no timely answer for, up to three times in
// all. A re-send carries the same decrypted XML (the same CreateTime or
// TimeStamp, the same ids): only the 16 random bytes in front of it, and so
// the ciphertext, the nonce and the signature, change. The key is therefore
// SHA-256(receiveid ‖ 0x00 ‖ decrypted XML). The doc's advice for events,
// FromUserName + CreateTime, is not used: FromUserName is always "sys" for
// customer-contact events, and several distinct events (a tag group created
// with its tags, a batch of customers) share one second and would be dropped
// as duplicates; third-party command events have neither field.
//
// Marking: a delivery first claims its key as "pending" (CompareAndSwap from
// absent), so two concurrent deliveries of one event run the handler once.
// When the handlers succeed the key becomes "done" for the TTL. When a
// handler fails (or panics) the claim is released, so a later re-send runs
// the handlers again; and the answer to a synchronous delivery is then 500
// so that WeCom has reason to re-send. The store calls use a context of
// their own (a few seconds), not the handlers' WithHandlerTimeout, so that a
// handler that used up its time still has its claim released or marked done.
//
// A delivery that finds its key done is answered "success" without calling
// any handler. One that finds it pending (a re-send that arrives while the
// first delivery is still being handled, here or on another instance) does
// not start a second run either; its answer depends on the mode:
//
//   - synchronous (no WithWorkers): 503, because the first run may still
//     fail, and "success" would stop WeCom's re-sends and lose the event; a
//     later re-send finds the key done (answered "success") or released
//     (handled again);
//   - WithWorkers: "success", because the first delivery was already
//     answered "success" when it was queued. A queued event whose handlers
//     fail is reported through WithErrorHook and the logger, and its claim
//     released, but WeCom does not deliver it again: it was told "success".
//
// A pending claim left by a crashed process expires with the TTL; until then
// synchronous deliveries of that event are answered 503.
//
// The claims live in an in-process table by default (no I/O, no timers);
// WithDedupStore puts them in a wecom.Store (a Redis store shares them
// across instances). With WithQueue a push read back from the queue is
// skipped when its key is already done, and a failed run keeps its claim,
// so WeCom's re-sends do not start a second run while the queue retries. If the store fails, the event is processed
// anyway (and the failure logged): a possible duplicate is better than a
// lost event.

const (
	dedupPrefix  = "scrm:callback:seen:"
	dedupPending = "pending"
	dedupDone    = "done"
	// DefaultDedupTTL is how long a processed event is remembered. WeCom's
	// re-sends come within a minute; ten minutes leaves room for clock skew.
	DefaultDedupTTL = 10 * time.Minute
)

// dedupKey returns the de-duplication key of a decrypted message received
// with receiveID, with one allocation (the string itself): the hashed input
// is assembled on the stack when it fits.
func dedupKey(receiveID string, plaintext []byte) string {
	var scratch [4096]byte
	in := append(scratch[:0], receiveID...)
	in = append(in, 0)
	in = append(in, plaintext...)
	sum := sha256.Sum256(in)
	var key [len(dedupPrefix) + 2*sha256.Size]byte
	copy(key[:], dedupPrefix)
	hex.Encode(key[len(dedupPrefix):], sum[:])
	return string(key[:])
}

type deduper struct {
	store wecom.Store // a shared store (WithDedupStore), or nil for local
	local *localDedup // the default: this process's table
	ttl   time.Duration
}

// dedupRef names a push for de-duplication: by its dedupKey in a shared
// store, or by a 128-bit hash in the local table (two maphash sums with
// seeds of the process's own, so no key string is built).
type dedupRef struct {
	key   string
	local [2]uint64
}

// ref returns the name of the push with receiveID and plaintext.
func (d *deduper) ref(receiveID string, plaintext []byte) dedupRef {
	if d.local == nil {
		return dedupRef{key: dedupKey(receiveID, plaintext)}
	}
	var r dedupRef
	for i := range r.local {
		var h maphash.Hash
		h.SetSeed(d.local.seeds[i])
		h.WriteString(receiveID)
		h.WriteByte(0)
		h.Write(plaintext)
		r.local[i] = h.Sum64()
	}
	return r
}

// claimState is what a delivery found when claiming its key.
type claimState int

const (
	claimFresh   claimState = iota // the caller holds the claim: run the handlers
	claimPending                   // another delivery holds it and is being handled
	claimDone                      // the event was handled
)

// localDedup is the default de-dup table: claims of this process only, in
// a map under a mutex, expired by the Handler's clock. It does no I/O, so
// its calls need no timeouts, and it allocates nothing per push beyond the
// map's growth (expired entries are swept as the table grows).
type localDedup struct {
	mu      sync.Mutex
	now     func() time.Time
	seeds   [2]maphash.Seed
	entries map[[2]uint64]localClaim
	sweepAt int // sweep expired entries when the table reaches this size
}

type localClaim struct {
	done    bool
	expires int64 // unix nanoseconds
}

func newLocalDedup(now func() time.Time) *localDedup {
	return &localDedup{now: now, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		entries: map[[2]uint64]localClaim{}, sweepAt: 1024}
}

func (l *localDedup) claim(key [2]uint64, ttl time.Duration) claimState {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UnixNano()
	if c, ok := l.entries[key]; ok && c.expires > now {
		if c.done {
			return claimDone
		}
		return claimPending
	}
	if len(l.entries) >= l.sweepAt {
		for k, c := range l.entries {
			if c.expires <= now {
				delete(l.entries, k)
			}
		}
		l.sweepAt = max(1024, 2*len(l.entries))
	}
	l.entries[key] = localClaim{expires: now + int64(ttl)}
	return claimFresh
}

func (l *localDedup) set(key [2]uint64, done bool, ttl time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !done {
		delete(l.entries, key)
		return
	}
	l.entries[key] = localClaim{done: true, expires: l.now().UnixNano() + int64(ttl)}
}

func (l *localDedup) get(key [2]uint64) (done, found bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.entries[key]
	if !ok || c.expires <= l.now().UnixNano() {
		return false, false
	}
	return c.done, true
}

// isDone reports whether key is marked done.
func (d *deduper) isDone(ctx context.Context, ref dedupRef) (bool, error) {
	if d.local != nil {
		done, _ := d.local.get(ref.local)
		return done, nil
	}
	v, ok, err := d.store.Get(ctx, ref.key)
	return ok && v == dedupDone, err
}

// claim claims key for the caller, or reports who has it. When the store
// fails on the claim itself, the result is claimFresh (process anyway); when
// it fails reading an existing claim, claimPending.
func (d *deduper) claim(ctx context.Context, ref dedupRef) (claimState, error) {
	if d == nil {
		return claimFresh, nil
	}
	if d.local != nil {
		return d.local.claim(ref.local, d.ttl), nil
	}
	key := ref.key
	for range 2 {
		ok, err := d.store.CompareAndSwap(ctx, key, "", dedupPending, d.ttl)
		if err != nil {
			return claimFresh, err
		}
		if ok {
			return claimFresh, nil
		}
		v, found, err := d.store.Get(ctx, key)
		if err != nil {
			return claimPending, err
		}
		if found {
			if v == dedupDone {
				return claimDone, nil
			}
			return claimPending, nil
		}
		// released (or expired) between the two calls: claim again
	}
	return claimPending, nil
}

func (d *deduper) done(ctx context.Context, ref dedupRef) error {
	if d == nil {
		return nil
	}
	if d.local != nil {
		d.local.set(ref.local, true, d.ttl)
		return nil
	}
	return d.store.Set(ctx, ref.key, dedupDone, d.ttl)
}

func (d *deduper) release(ctx context.Context, ref dedupRef) error {
	if d == nil {
		return nil
	}
	if d.local != nil {
		d.local.set(ref.local, false, 0)
		return nil
	}
	_, err := d.store.CompareAndSwap(ctx, ref.key, dedupPending, "", 0)
	return err
}
