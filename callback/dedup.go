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
// so that WeCom has reason to re-send. A delivery that finds its key pending
// or done is answered "success" without calling any handler: a re-send that
// arrives while the first delivery is still being handled does not start a
// second run. A pending claim left by a crashed process expires with the TTL.
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

// claim reports whether the caller should process the event.
func (d *deduper) claim(ctx context.Context, key string) (bool, error) {
	if d == nil {
		return true, nil
	}
	ok, err := d.store.CompareAndSwap(ctx, key, "", dedupPending, d.ttl)
	if err != nil {
		return true, err
	}
	return ok, nil
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
