package callback

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Observer sees every push a Handler answers and every run of a queued
// push's handlers. Give one with WithObserver; package scrmotel records
// them as OpenTelemetry metrics. The methods are called synchronously (on
// the request's goroutine, or the queue's), so they must be quick and safe
// for concurrent use. What they get carries no plaintext, no ids of
// customers or members and no signature: the event's kind and change type,
// the outcome, times and counts.
//
// Without an Observer nothing is measured, at no cost. Embed NopObserver
// to implement only one of the methods (and to keep compiling when methods
// are added).
type Observer interface {
	// Pushed is called once for each POST the Handler answered.
	Pushed(ctx context.Context, p PushInfo)
	// Ran is called after each run of a queued push's handler functions
	// (WithWorkers or WithQueue): the run the queue made of it.
	Ran(ctx context.Context, r RunInfo)
}

// NopObserver is an Observer that does nothing. Embed it in an Observer
// that implements only some of the methods.
type NopObserver struct{}

// Pushed implements Observer.
func (NopObserver) Pushed(context.Context, PushInfo) {}

// Ran implements Observer.
func (NopObserver) Ran(context.Context, RunInfo) {}

// WithObserver makes the Handler report every push it answers and every
// queued run to obs (see Observer). Without it nothing is observed. A nil
// obs is the same as none.
func WithObserver(obs Observer) Option {
	return func(c *config) { c.observer = obs }
}

// PushOutcome is what became of a push.
type PushOutcome string

// The outcomes of a push.
const (
	// PushHandled: its handlers ran before the answer and succeeded (200).
	PushHandled PushOutcome = "handled"
	// PushFailed: a handler failed (500), so WeCom re-sends the push.
	PushFailed PushOutcome = "failed"
	// PushQueued: handed to the queue (200); RunInfo follows.
	PushQueued PushOutcome = "queued"
	// PushDuplicate: a re-send of a push handled (or queued) before,
	// answered 200 without running anything.
	PushDuplicate PushOutcome = "duplicate"
	// PushInProgress: a re-send that arrived while the first delivery was
	// still being handled, answered 503 so that WeCom re-sends it later.
	PushInProgress PushOutcome = "in_progress"
	// PushRefused: not verified, decrypted, parsed or accepted (a bad
	// signature, a receiver id not accepted, a stale timestamp, a body
	// too large...): 4xx.
	PushRefused PushOutcome = "refused"
	// PushUnavailable: the queue was full or refused the push, or the
	// Handler was closed (503); WeCom re-sends it later.
	PushUnavailable PushOutcome = "unavailable"
)

// DedupResult is what de-duplication said of a push.
type DedupResult string

// The results of de-duplication.
const (
	// DedupOff: not checked (WithoutDedup, or the push was refused
	// before).
	DedupOff DedupResult = "off"
	// DedupFresh: first seen (or seen before with handlers still to run).
	DedupFresh DedupResult = "fresh"
	// DedupDone: handled before.
	DedupDone DedupResult = "done"
	// DedupPending: being handled (or queued) right now.
	DedupPending DedupResult = "pending"
)

// PushInfo is one push the Handler answered.
type PushInfo struct {
	// Kind and ChangeType name the event ("change_external_contact",
	// "add_external_contact"); empty when the push did not open.
	Kind       EventKind
	ChangeType ChangeType
	Outcome    PushOutcome
	// Status is the HTTP status answered.
	Status int
	Dedup  DedupResult
	// Latency is the time from the request to the answer (with the
	// handlers' run when they ran before it).
	Latency time.Duration
	// QueueDepth is how many pushes wait in the in-process queue
	// (WithWorkers) after this one was queued; -1 otherwise.
	QueueDepth int
	// Err is why the push was refused or failed; nil otherwise.
	Err error
}

// RunOutcome is what became of one run of a queued push.
type RunOutcome string

// The outcomes of a run.
const (
	// RunHandled: every handler function succeeded.
	RunHandled RunOutcome = "handled"
	// RunFailed: a handler function failed (a durable queue retries).
	RunFailed RunOutcome = "failed"
	// RunSkipped: the push had been handled already (a stored delivery run
	// again); nothing ran.
	RunSkipped RunOutcome = "skipped"
	// RunUndeliverable: the stored push no longer opens
	// (ErrUndeliverable).
	RunUndeliverable RunOutcome = "undeliverable"
)

// RunInfo is one run of a queued push's handlers.
type RunInfo struct {
	Kind       EventKind // empty when the push did not open
	ChangeType ChangeType
	Outcome    RunOutcome
	// Attempt is the Delivery's attempt (from 1).
	Attempt int
	// QueueLag is how long the push waited before this run: since it was
	// queued for the in-process queue, since WeCom's timestamp of the push
	// (second resolution) for a durable one.
	QueueLag time.Duration
	// Duration is the run's own time.
	Duration time.Duration
	// QueueDepth is how many pushes wait in the in-process queue; -1
	// otherwise.
	QueueDepth int
	// Err is the run's failure, nil otherwise.
	Err error
}

// depther is the in-process queue, which can say how many pushes wait.
type depther interface{ depth() int }

func (h *Handler) queueDepth() int {
	if q, ok := h.cfg.queue.(depther); ok {
		return q.depth()
	}
	return -1
}

// end records the end of a push in o (nil: not observed).
func (o *PushInfo) end(outcome PushOutcome, status int, err error) {
	if o == nil {
		return
	}
	o.Outcome, o.Status, o.Err = outcome, status, err
}

// event records the push's event in o.
func (o *PushInfo) event(ev Event) {
	if o == nil || ev == nil || ev.Header() == nil {
		return
	}
	o.Kind, o.ChangeType = ev.Header().Kind(), ev.Header().ChangeType
}

// event records the run's event in r (nil: not observed).
func (r *RunInfo) event(ev Event) {
	if r == nil || ev == nil || ev.Header() == nil {
		return
	}
	r.Kind, r.ChangeType = ev.Header().Kind(), ev.Header().ChangeType
}

// ended records the outcome of a run of the handlers in r and returns err.
func (r *RunInfo) ended(err error) error {
	if r != nil {
		r.Outcome = RunHandled
		if err != nil {
			r.Outcome = RunFailed
		}
	}
	return err
}

// dedupResult names a claim's state.
func dedupResult(state claimState) DedupResult {
	switch state {
	case claimDone:
		return DedupDone
	case claimPending:
		return DedupPending
	}
	return DedupFresh
}

// servePushObserved is servePush, observed.
func (h *Handler) servePushObserved(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := PushInfo{Dedup: DedupOff, QueueDepth: -1}
	h.servePush(w, r, &info)
	info.Latency = time.Since(start)
	h.cfg.observer.Pushed(r.Context(), info)
}

// runObserved is runDelivery, observed.
func (h *Handler) runObserved(ctx context.Context, d *Delivery) error {
	start := time.Now()
	info := RunInfo{QueueDepth: h.queueDepth()}
	if d != nil {
		info.Attempt = d.Attempt
		switch {
		case !d.queuedAt.IsZero():
			info.QueueLag = start.Sub(d.queuedAt)
		default:
			if sec, err := strconv.ParseInt(d.Timestamp, 10, 64); err == nil {
				info.QueueLag = max(0, start.Sub(time.Unix(sec, 0)))
			}
		}
	}
	err := h.runDelivery(ctx, d, &info)
	info.Duration = time.Since(start)
	info.Err = err
	h.cfg.observer.Ran(ctx, info)
	return err
}
