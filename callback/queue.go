package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// Queue carries the pushes a Handler accepted to the goroutines that run
// their handler functions. The Handler answers WeCom "success" as soon as
// Enqueue returned nil, and WeCom does not re-send an answered push, so the
// Queue decides what survives a crash or a failing handler:
//
//   - WithWorkers (the in-process default) keeps pushes in memory, runs each
//     once and reports a failure to WithErrorHook and the logger only;
//   - a durable queue (redisstore.Queue keeps pushes in a Redis stream,
//     still encrypted as WeCom sent them) keeps each push until its
//     handlers succeeded, retries failures (a retry runs only the handler
//     functions that have not succeeded for the push) and parks what keeps
//     failing as a dead letter to replay; pushes left behind by a crashed
//     instance are run by another one.
//
// A push reaches Enqueue after its de-duplication claim was taken, so a
// re-send of it (on any instance sharing the de-dup store) is not queued
// again while it waits or runs. A durable queue should rather be a
// ClaimingQueue, which takes the claim and stores the push in one step: an
// instance dying between the two steps otherwise leaves a claim that turns
// WeCom's re-sends away while nothing was stored.
type Queue interface {
	// Start is called once, by NewHandler, with the function that runs one
	// delivery's handlers. The queue calls run from goroutines of its own;
	// a run waits until the Handler is started (Handler.Start).
	// run returns nil when the handlers succeeded or the event had been
	// handled already, else the failures (*HandlerError, several joined);
	// an error matching ErrUndeliverable means that no retry can succeed.
	Start(run func(ctx context.Context, d *Delivery) error) error
	// Enqueue accepts d, or fails: the Handler then releases the push's
	// de-dup claim and answers 503, so that WeCom re-sends it later.
	// ErrQueueFull and ErrClosed are the usual refusals.
	Enqueue(ctx context.Context, d *Delivery) error
	// Close stops taking pushes and waits for the runs in progress (and,
	// for an in-process queue, for the pushes still queued) to end, or for
	// ctx to end. Handler.Close calls it; it may be called again.
	Close(ctx context.Context) error
}

// ClaimingQueue is a durable Queue that keeps the de-duplication claims of
// the pushes it stores, in the same store, so that claiming a push and
// storing it are one atomic step: no instance can die between the two and
// leave a claim that turns WeCom's re-sends away while nothing was stored
// (redisstore.Queue is one, a Redis script). A Handler given one with
// WithQueue keeps its other de-dup records in DedupStore (WithDedupStore may
// only name that same store) and calls ClaimAndEnqueue instead of claiming
// the push and then calling Enqueue.
//
// The contract, beyond Queue's:
//
//   - ClaimAndEnqueue stores d unless the push is handled (ClaimDone) or
//     stored and not yet handled (ClaimPending: waiting, running, retrying
//     or parked as a dead letter). A claim that names no stored push (its
//     delivery was being handled before its answer and did not finish, or
//     its stored copy is gone) does not count: the push is stored again.
//     A push stored over an earlier claim is delivered with Attempt 2 or
//     more, so that its run reads what succeeded before.
//   - When run returns nil for a delivery whose DedupKey is set, the queue
//     marks that key done (with the ttl ClaimAndEnqueue was given) in the
//     same step that removes the push; the Handler does not write it.
//   - A delivery of Attempt 1 is the push's first run: the Handler reads no
//     de-dup record for it.
type ClaimingQueue interface {
	Queue
	// DedupStore returns the store holding the queue's claims.
	DedupStore() wecom.Store
	// ClaimAndEnqueue claims d.DedupKey (a key of DedupStore) and stores
	// d, atomically, or reports who has the push. ttl is how long a claim
	// lives (the Handler's de-dup lifetime). A failure stores nothing and
	// claims nothing that could turn a re-send away: the Handler answers
	// 503, so that WeCom re-sends the push.
	ClaimAndEnqueue(ctx context.Context, d *Delivery, ttl time.Duration) (ClaimResult, error)
}

// ClaimResult is what ClaimingQueue.ClaimAndEnqueue did with a push.
type ClaimResult int

// The results of ClaimAndEnqueue.
const (
	// ClaimStored: claimed and stored now (the Handler answers "success").
	ClaimStored ClaimResult = iota + 1
	// ClaimPending: stored before and not yet handled; nothing was stored
	// (a re-send, answered "success").
	ClaimPending
	// ClaimDone: handled before; nothing was stored (a re-send, answered
	// "success").
	ClaimDone
)

// Delivery is one accepted push on its way to the handler functions. Its
// exported fields are the push as WeCom sent it, still encrypted: the
// msg_signature, timestamp and nonce of the URL and the Encrypt element of
// the body. A durable queue stores those four strings and hands them back
// in a Delivery of its own; the Handler then verifies, decrypts and parses
// them again, so no plaintext is kept at rest.
type Delivery struct {
	MsgSignature string
	Timestamp    string
	Nonce        string
	Encrypt      string
	// Attempt numbers the runs of this push's handlers, from 1. A queue
	// that retries sets it; handlers read it with DeliveryFromContext.
	Attempt int
	// DedupKey names the push in the de-dup store: set by the Handler
	// before ClaimingQueue.ClaimAndEnqueue (empty with WithoutDedup). A
	// ClaimingQueue keeps it with the push and marks it done when the run
	// succeeds; the Handler sets it again, from the decrypted push, before
	// its run returns.
	DedupKey string

	// Set by the Handler for in-process queues: the parsed event, its
	// de-dup key and the handler functions that succeeded for it before.
	// A Delivery read back from storage has none of them.
	ev       Event
	key      dedupRef
	ran      fnSet
	queuedAt time.Time // when it was queued, when observed (WithObserver)
}

// ErrUndeliverable is matched by the error of a run whose stored push can
// never be handled: it no longer verifies, decrypts or parses (the
// callback's Token or EncodingAESKey changed since it was queued, or the
// stored copy was damaged). A durable queue parks such a push as a dead
// letter at once instead of retrying it.
var ErrUndeliverable = errors.New("callback: stored push cannot be opened")

type deliveryKey struct{}

// DeliveryFromContext returns the Delivery whose handlers ctx was made for
// (handler functions and the WithErrorHook function get such a ctx when a
// Queue runs them), e.g. to tell a retry (Attempt > 1) from a first run.
func DeliveryFromContext(ctx context.Context) (*Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(*Delivery)
	return d, ok
}

// OpenDelivery verifies, decrypts and parses a delivery that a durable
// queue stored (a dead letter, say), as this Handler would before running
// it. The timestamp window and the receiver check are not applied again:
// both were checked when the push arrived. The error matches
// ErrUndeliverable.
func (h *Handler) OpenDelivery(d *Delivery) (Event, error) {
	ev, _, err := h.openDelivery(d)
	return ev, err
}

func (h *Handler) openDelivery(d *Delivery) (Event, dedupRef, error) {
	if d == nil {
		return nil, dedupRef{}, fmt.Errorf("%w: no delivery", ErrUndeliverable)
	}
	if d.ev != nil {
		return d.ev, d.key, nil
	}
	msg, ridb, err := h.crypto.open(d.MsgSignature, d.Timestamp, d.Nonce, d.Encrypt)
	if err != nil {
		return nil, dedupRef{}, fmt.Errorf("%w: %w", ErrUndeliverable, err)
	}
	rid := string(ridb)
	ev, err := ParseEvent(msg)
	if err != nil {
		return nil, dedupRef{}, fmt.Errorf("%w: %w", ErrUndeliverable, err)
	}
	ev.Header().ReceiveID = rid
	var ref dedupRef
	if h.dedup != nil {
		ref = h.dedup.ref(rid, msg)
	}
	return ev, ref, nil
}

// runDelivery is the function a Queue calls for each delivery. An
// in-process delivery is handled as a push handled before its answer is (a
// failure releases the de-dup claim, recording the functions that
// succeeded). A stored delivery is opened again; if its event was handled
// already (a run that succeeded but was not acknowledged), nothing runs,
// and of a retry only the functions that have not succeeded run. A failure
// keeps its claim: re-sends of the push stay answered "success" without
// running while the queue retries. A ClaimingQueue's first run (Attempt 1)
// reads no record (nothing ran before it), and its success is marked done
// by the queue, with the acknowledgement.
//
// ri (nil: not observed) records what became of the run.
func (h *Handler) runDelivery(ctx context.Context, d *Delivery, ri *RunInfo) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("callback: panic while handling a queued push: %v", p)
			h.log(context.Background(), slog.LevelError, "callback: panic while handling a queued push", "panic", fmt.Sprint(p))
		}
	}()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx = context.WithValue(ctx, deliveryKey{}, d)
	if d != nil && d.ev != nil {
		ri.event(d.ev)
		return ri.ended(h.runHandlers(ctx, d.ev, d.key, d.ran, runInline))
	}
	ev, key, err := h.openDelivery(d)
	if err != nil {
		h.log(ctx, slog.LevelError, "callback: stored push cannot be opened", "err", err)
		if ri != nil {
			ri.Outcome = RunUndeliverable
		}
		return err
	}
	ri.event(ev)
	mode := runQueued
	var done bool
	var ran fnSet
	if h.claimQ != nil {
		mode = runClaimed
		d.DedupKey = key.key // the key the queue marks done: the push's own
		if d.Attempt > 1 {
			done, ran = h.progress(ctx, key)
		}
	} else {
		done, ran = h.progress(ctx, key)
	}
	if done {
		h.log(ctx, slog.LevelDebug, "callback: stored push was handled already", "kind", ev.Header().Kind())
		if ri != nil {
			ri.Outcome = RunSkipped
		}
		return nil
	}
	return ri.ended(h.runHandlers(ctx, ev, key, ran, mode))
}

// progress reports whether the de-dup store marks key handled and, if not,
// which functions succeeded for it before; a store failure counts as
// nothing handled (a possible duplicate beats a lost event).
func (h *Handler) progress(parent context.Context, key dedupRef) (done bool, ran fnSet) {
	if h.dedup == nil {
		return false, nil
	}
	ctx, cancel := h.storeContext(parent)
	defer cancel()
	done, ran, err := h.dedup.progress(ctx, key)
	if err != nil {
		h.log(ctx, slog.LevelWarn, "callback: dedup store failed; running the stored push", "err", err)
		return false, nil
	}
	return done, ran
}
