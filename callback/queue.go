package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
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
// again while it waits or runs.
type Queue interface {
	// Start is called once, by NewHandler, with the function that runs one
	// delivery's handlers. The queue calls run from goroutines of its own.
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
// running while the queue retries.
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
		return ri.ended(h.runHandlers(ctx, d.ev, d.key, d.ran, false))
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
	done, ran := h.progress(ctx, key)
	if done {
		h.log(ctx, slog.LevelDebug, "callback: stored push was handled already", "kind", ev.Header().Kind())
		if ri != nil {
			ri.Outcome = RunSkipped
		}
		return nil
	}
	return ri.ended(h.runHandlers(ctx, ev, key, ran, true))
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
