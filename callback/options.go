package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// Option configures a Handler (NewHandler, NewSuiteCommandHandler,
// NewSuiteDataHandler). An option never fails by itself: an invalid value
// is recorded, and the constructor returns it as its error.
type Option func(*config)

type config struct {
	// errs are the invalid settings the options recorded; the constructor
	// returns them.
	errs       []error
	ids        map[string]struct{}
	checkIDs   map[string]struct{} // accepted on GET URL checks only
	idFunc     func(receiveID string) bool
	skipRecv   bool
	store      wecom.Store
	dedupTTL   time.Duration
	noDedup    bool
	queue      Queue // WithQueue or WithWorkers; nil: handle before answering
	window     time.Duration
	now        func() time.Time
	logger     *slog.Logger
	onError    func(ctx context.Context, ev Event, err error)
	timeout    time.Duration
	answerBody string
	suiteHooks SuiteHooks // NewSuiteCommandHandler only
	observer   Observer   // WithObserver; nil: nothing observed
	// receiverHint completes the error of a refused receiver id (the suite
	// handlers say what to configure).
	receiverHint string
	// syncKinds are handled before the push is answered even WithWorkers
	// (the command handler stores suite tickets so).
	syncKinds map[EventKind]bool
}

// invalid records an invalid setting for the constructor to report.
func (c *config) invalid(err error) { c.errs = append(c.errs, err) }

// apply runs opts (nil ones skipped) and returns the invalid settings they
// recorded, joined.
func (c *config) apply(opts []Option) error {
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return errors.Join(c.errs...)
}

// WithReceiverID accepts messages whose receiveid is id: the corp id of a
// self-built app, or the suite id on a third-party command URL. It may be
// combined with the other receiver options: a message is accepted when any
// of them accepts it.
func WithReceiverID(id string) Option {
	return WithReceiverIDs(id)
}

// WithReceiverIDs accepts messages whose receiveid is one of ids (e.g. the
// suite id and the provider's corp id on a third-party command URL). An
// empty id is refused by the constructor.
func WithReceiverIDs(ids ...string) Option {
	return func(c *config) {
		for _, id := range ids {
			if id == "" {
				c.invalid(errors.New("callback: empty receiver id (use InsecureSkipReceiverCheck to skip the check)"))
				return
			}
			if c.ids == nil {
				c.ids = map[string]struct{}{}
			}
			c.ids[id] = struct{}{}
		}
	}
}

// WithReceiverFunc accepts messages for which fn(receiveid) is true, e.g.
// "is this an authorized corp" on a third-party data URL, where one URL
// serves every authorized corp. fn must be fast and safe for concurrent use.
func WithReceiverFunc(fn func(receiveID string) bool) Option {
	return func(c *config) {
		if fn == nil {
			c.invalid(errors.New("callback: nil receiver func"))
			return
		}
		c.idFunc = fn
	}
}

// WithURLCheckReceiverIDs accepts ids as the receiveid of GET URL checks
// only; pushes (POST) with them are refused. A third-party app's command and
// data URLs need it: WeCom encrypts their URL checks for the provider's own
// corp id (NewSuiteCommandHandler and NewSuiteDataHandler add it from
// wecom.WithProviderCorpID), while the pushes carry the suite id or the
// authorized corp's id. It does not count as a receiver check for
// ErrNoReceiverCheck.
func WithURLCheckReceiverIDs(ids ...string) Option {
	return func(c *config) {
		for _, id := range ids {
			if id == "" {
				c.invalid(errors.New("callback: empty URL-check receiver id"))
				return
			}
			if c.checkIDs == nil {
				c.checkIDs = map[string]struct{}{}
			}
			c.checkIDs[id] = struct{}{}
		}
	}
}

// InsecureSkipReceiverCheck accepts any receiveid. The signature is still
// verified. Only for the rare callbacks whose receiveid is empty or unknown
// (personal-subject third-party apps, smart robots).
func InsecureSkipReceiverCheck() Option {
	return func(c *config) { c.skipRecv = true }
}

// WithDedupStore sets where de-duplication claims, and the record of which
// handler functions already succeeded for an event, are kept (default: an
// in-process table) and for how long (0: DefaultDedupTTL). Use a shared
// store (e.g. Redis) when several instances serve the same URL. The
// lifetime must be at least twice the WithTimestampWindow window. The
// constructor refuses WithDedupStore together with WithoutDedup.
//
// ttl is the lifetime of a handled push's claim. The claim of a push being
// handled before its answer lives three handler timeouts (WithHandlerTimeout,
// or WeCom's 5-second wait for an answer, at most ttl) and is renewed while
// the handlers run, so that an instance that dies mid-run holds it for
// seconds only. With a ClaimingQueue (WithQueue; redisstore's Queue is one)
// the claims are kept in the queue's own store (ClaimingQueue.DedupStore),
// whatever store is given here; ttl still applies.
func WithDedupStore(s wecom.Store, ttl time.Duration) Option {
	return func(c *config) {
		if s == nil {
			c.invalid(errors.New("callback: nil dedup store"))
			return
		}
		c.store, c.dedupTTL = s, ttl
	}
}

// WithoutDedup turns de-duplication off: every delivery, re-sends included,
// reaches the handlers, and nothing records which handler functions of an
// event succeeded, so a redelivery after a failure runs every function
// again. The constructor refuses it together with WithDedupStore.
func WithoutDedup() Option {
	return func(c *config) { c.noDedup = true }
}

// WithWorkers runs handlers on a pool of n goroutines fed by a queue of
// queue events: a push is answered "success" as soon as it is queued. When
// the queue is full the push is answered 503 (and its de-dup claim
// released), so that WeCom re-sends it later. Handler failures are reported
// through WithErrorHook and the logger only: WeCom was already told
// "success" and does not deliver the event again, so a handler that must
// not lose events has to retry (or record the event) itself, or use a
// durable Queue (WithQueue) instead. Call Close to stop the workers.
// WithWorkers and WithQueue replace each other; the last one wins. The
// constructor refuses n < 1 or queue < 0.
func WithWorkers(n, queue int) Option {
	return func(c *config) {
		if n < 1 || queue < 0 {
			c.invalid(fmt.Errorf("callback: WithWorkers(%d, %d): need n >= 1 and queue >= 0", n, queue))
			return
		}
		c.queue = newMemoryQueue(n, queue)
	}
}

// WithQueue hands accepted pushes to q instead of running their handlers
// before answering: WeCom is answered "success" once q accepted the push.
// It replaces WithWorkers (the in-process queue); the last of the two
// options wins. NewHandler starts q (its runs wait for Handler.Start) and
// Handler.Close closes it; give each Handler a Queue of its own. The
// constructor refuses a nil q. A ClaimingQueue claims and stores each push
// in one step, with the de-dup store of its own.
func WithQueue(q Queue) Option {
	return func(c *config) {
		if q == nil {
			c.invalid(errors.New("callback: nil queue"))
			return
		}
		c.queue = q
	}
}

// WithTimestampWindow rejects (403) pushes whose timestamp differs from the
// current time by more than d: replays of captured requests. WeCom re-sends
// within seconds; a few minutes is a sensible window.
//
// Inside the window a replay is caught by de-duplication, so the window must
// not outlast the de-dup entries: a push is accepted from d before its
// timestamp to d after it, and the constructor refuses a window for which
// 2×d is longer than the de-dup lifetime (DefaultDedupTTL, or the
// WithDedupStore ttl); with DefaultDedupTTL the longest window is 5
// minutes. d must be positive.
func WithTimestampWindow(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.invalid(errors.New("callback: timestamp window must be positive"))
			return
		}
		c.window = d
	}
}

// WithClock sets the clock used by WithTimestampWindow and the in-process
// de-dup table (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithLogger sets the logger. The package is silent by default, like
// wecom. Plaintexts, tokens and keys are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithErrorHook calls fn for every handler failure (an error or a panic),
// once per failed function with a *HandlerError naming it, and with a nil
// ev for a push whose signature was valid but which does not decrypt (the
// EncodingAESKey is probably wrong). fn is called from the worker
// goroutines and from the goroutines serving requests, so it must be safe
// for concurrent use. Its ctx carries the request's values but no deadline
// (not the WithHandlerTimeout one). A panic in fn is recovered and logged.
func WithErrorHook(fn func(ctx context.Context, ev Event, err error)) Option {
	return func(c *config) { c.onError = fn }
}

// WithHandlerTimeout bounds each delivery's handlers with a context
// timeout; d must be positive. The de-dup store calls after the handlers
// are not bound by it (they have their own short timeout).
func WithHandlerTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.invalid(fmt.Errorf("callback: WithHandlerTimeout(%v): the timeout must be positive", d))
			return
		}
		c.timeout = d
	}
}

// WithAnswer sets the body written for an accepted push (default "success",
// which command URLs require; self-built apps also accept an empty body).
func WithAnswer(body string) Option {
	return func(c *config) { c.answerBody = body }
}

// WithSuiteHooks gives NewSuiteCommandHandler functions to call after each
// authorization event was applied to the Suite (e.g. to provision or delete
// a corp's data). Other handlers ignore it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
func WithSuiteHooks(h SuiteHooks) Option {
	return func(c *config) { c.suiteHooks = h }
}
