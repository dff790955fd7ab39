package callback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
// The store is a wecom.Store (in-memory by default; a Redis store shares the
// claims across instances). If the store fails, the event is processed
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

// DedupKey returns the de-duplication key of a decrypted message received
// with receiveID (see the package notes on de-duplication).
func DedupKey(receiveID string, plaintext []byte) string {
	h := sha256.New()
	h.Write([]byte(receiveID))
	h.Write([]byte{0})
	h.Write(plaintext)
	var sum [sha256.Size]byte
	return dedupPrefix + hex.EncodeToString(h.Sum(sum[:0]))
}

type deduper struct {
	store wecom.Store
	ttl   time.Duration
}

// claimState is what a delivery found when claiming its key.
type claimState int

const (
	claimFresh   claimState = iota // the caller holds the claim: run the handlers
	claimPending                   // another delivery holds it and is being handled
	claimDone                      // the event was handled
)

// claim claims key for the caller, or reports who has it. When the store
// fails on the claim itself, the result is claimFresh (process anyway); when
// it fails reading an existing claim, claimPending.
func (d *deduper) claim(ctx context.Context, key string) (claimState, error) {
	if d == nil {
		return claimFresh, nil
	}
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

func (d *deduper) done(ctx context.Context, key string) error {
	if d == nil {
		return nil
	}
	return d.store.Set(ctx, key, dedupDone, d.ttl)
}

func (d *deduper) release(ctx context.Context, key string) error {
	if d == nil {
		return nil
	}
	_, err := d.store.CompareAndSwap(ctx, key, dedupPending, "", 0)
	return err
}
