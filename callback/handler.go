package callback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// MaxBodySize is the largest POST body a Handler reads (1 MiB); larger
// bodies are answered 413.
const MaxBodySize = 1 << 20

// ErrNoReceiverCheck is returned by NewHandler when no receiver option was
// given: the receiver id must be checked (WithReceiverID, WithReceiverIDs,
// WithReceiverFunc) or the check skipped explicitly (InsecureSkipReceiverCheck).
var ErrNoReceiverCheck = errors.New("callback: no receiver check configured (use WithReceiverID, WithReceiverIDs, WithReceiverFunc or InsecureSkipReceiverCheck)")

// ErrQueueFull is reported (and answered 503) when the worker pool's queue
// is full; WeCom re-sends the push later.
var ErrQueueFull = errors.New("callback: handler queue is full")

// ErrClosed is answered 503 after Close.
var ErrClosed = errors.New("callback: handler closed")

// Handler is an http.Handler for a WeCom callback URL: GET answers the URL
// check, POST verifies, decrypts, checks the receiver, de-duplicates, parses
// and dispatches to the handler functions registered with the On* methods.
//
// Answers: 200 with the echo (GET) or "success" (POST); 400 for missing
// parameters, a body without Encrypt, malformed ciphertext or XML, or a URL
// check whose echostr decrypts to something longer than 128 bytes or
// containing '<' (a push's ciphertext, which must not be echoed); 403
// for a bad signature, a receiver id not accepted or a stale timestamp; 405
// for other methods; 413 for bodies over 1 MiB; 500 when a synchronous
// handler fails (so WeCom re-sends); 503 when the worker queue is full, a
// durable queue could not store the push (its Redis is down, say), the
// Handler is closed, or (without a queue) a re-send arrives while the
// first delivery of the push is still being handled (so that WeCom re-sends
// again in case that first run fails). A re-send of a push already handled,
// or stored in a durable queue, is answered "success" without calling the
// handlers; a re-send of a push whose handlers partly failed runs only the
// functions that have not succeeded for it.
//
// Register handlers before serving, in any order: the functions that match
// one push run concurrently, and each function's success is recorded on
// its own (see "Several functions for one event" in the package doc). A
// function is known by its index among the registrations; each On call
// registers one (OnDataPermission and OnSpecialAuth one per event kind),
// and NewSuiteCommandHandler registers its own five first.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
type Handler struct {
	crypto *Crypto
	cfg    config
	dedup  *deduper
	routes router
	// claimQ is the queue when it is a ClaimingQueue and de-duplication is
	// on: pushes are claimed and stored in one step of the queue's.
	claimQ ClaimingQueue

	// The start of queued runs (see Start): started is closed when they
	// may begin; settle opens it once registrations have been quiet for
	// settleDelay; earlyClose says Close opened it before a start.
	started    chan struct{}
	startOnce  sync.Once
	settleMu   sync.Mutex
	settle     *time.Timer
	earlyClose atomic.Bool

	mu      sync.RWMutex // guards closed, running, and Enqueue calls
	closed  bool
	running int           // synchronous deliveries being handled, plus background runners (startBackground)
	drained chan struct{} // closed once closed is set and running is 0
	// closers stop background work (the suite exchange runner) on Close;
	// set before the Handler serves.
	closers []func()
	// misconfig holds the registration mistakes (nil handler functions);
	// while it is set every request is refused.
	misconfig atomic.Pointer[error]
	confMu    sync.Mutex
	// answerCT and answerCL are the headers of a "success" answer.
	answerCT, answerCL []string
}

// misconfigured records a registration mistake and logs it.
func (h *Handler) misconfigured(what string) {
	h.confMu.Lock()
	defer h.confMu.Unlock()
	err := fmt.Errorf("callback: %s; the Handler refuses every request with 500 until it is built without the mistake", what)
	if prev := h.misconfig.Load(); prev != nil {
		err = errors.Join(*prev, err)
	}
	h.misconfig.Store(&err)
	h.log(context.Background(), slog.LevelError, "callback: handler misconfigured", "err", err)
}

// Err returns the Handler's registration mistakes (a nil handler function
// given to an On method), or nil. While it is not nil, every request is
// answered 500.
func (h *Handler) Err() error {
	if p := h.misconfig.Load(); p != nil {
		return *p
	}
	return nil
}

// NewHandler returns a Handler for a callback configured with token and
// encodingAESKey. One receiver option is required (see ErrNoReceiverCheck).
func NewHandler(token, encodingAESKey string, opts ...Option) (*Handler, error) {
	cr, err := NewCrypto(token, encodingAESKey, "")
	if err != nil {
		return nil, err
	}
	cfg := config{answerBody: "success"}
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	if cfg.ids == nil && cfg.idFunc == nil && !cfg.skipRecv {
		return nil, ErrNoReceiverCheck
	}
	if cfg.noDedup && cfg.store != nil {
		return nil, errors.New("callback: WithDedupStore and WithoutDedup contradict each other: give one")
	}
	var claimQ ClaimingQueue
	if cq, ok := cfg.queue.(ClaimingQueue); ok && !cfg.noDedup {
		// The queue claims pushes in its own store as it stores them: every
		// de-dup record goes there (a WithDedupStore store is not used; its
		// lifetime is).
		if qs := cq.DedupStore(); qs != nil {
			cfg.store, claimQ = qs, cq
		}
	}
	ttl := cfg.dedupTTL
	if ttl <= 0 {
		ttl = DefaultDedupTTL
	}
	if !cfg.noDedup && cfg.window > ttl/2 { // 2×window > ttl, without overflowing
		return nil, fmt.Errorf("callback: WithTimestampWindow(%v) outlasts the de-dup lifetime %v: a push is accepted "+
			"for %v around its timestamp, so a replay after its de-dup entry expired would be handled again; "+
			"use a window of at most %v or a longer ttl in WithDedupStore", cfg.window, ttl, 2*cfg.window, ttl/2)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{crypto: cr, cfg: cfg, drained: make(chan struct{}), claimQ: claimQ,
		answerCT: []string{"text/plain; charset=utf-8"}, answerCL: []string{strconv.Itoa(len(cfg.answerBody))}}
	if !cfg.noDedup {
		if cfg.store != nil {
			h.dedup = &deduper{store: cfg.store, ttl: ttl, pending: pendingTTL(cfg.timeout, ttl), fingerprint: h.routes.fingerprint}
		} else {
			h.dedup = &deduper{local: newLocalDedup(cfg.now), ttl: ttl}
		}
	}
	h.started = make(chan struct{})
	if cfg.queue != nil {
		h.settle = time.AfterFunc(settleDelay, h.openStart)
		run := func(ctx context.Context, d *Delivery) error {
			if err := h.awaitStart(ctx); err != nil {
				return err
			}
			return h.runDelivery(ctx, d, nil)
		}
		if cfg.observer != nil {
			run = func(ctx context.Context, d *Delivery) error {
				if err := h.awaitStart(ctx); err != nil {
					return err
				}
				return h.runObserved(ctx, d)
			}
		}
		if err := cfg.queue.Start(run); err != nil {
			h.settle.Stop()
			return nil, fmt.Errorf("callback: starting the queue: %w", err)
		}
	}
	return h, nil
}

// settleDelay is how long after the last registration (or NewHandler) a
// Handler that was neither started nor served begins its queued runs.
const settleDelay = time.Second

// Start lets the queue's runs begin (WithQueue, WithWorkers): call it once
// every handler function is registered. NewHandler starts the queue, whose
// workers may at once read pushes stored earlier (a durable queue's
// backlog), but their runs wait for Start, so that no push is run, and
// marked handled, before the functions meant for it are registered.
//
// Serving a request starts the Handler too, and so does a second without
// registrations after NewHandler or the last registration. A worker
// process, which runs a durable queue's pushes and serves no HTTP (see
// redisstore's "Instance roles"), should call Start itself. Start does
// nothing without a queue, or after the first time.
func (h *Handler) Start() { h.openStart() }

func (h *Handler) openStart() {
	if h == nil || h.started == nil {
		return // not made by NewHandler
	}
	h.startOnce.Do(func() {
		h.settleMu.Lock()
		if h.settle != nil {
			h.settle.Stop()
		}
		h.settleMu.Unlock()
		close(h.started)
	})
}

// registered delays the settle start: registrations are still coming.
func (h *Handler) registered() {
	h.settleMu.Lock()
	defer h.settleMu.Unlock()
	select {
	case <-h.started:
	default:
		if h.settle != nil {
			h.settle.Reset(settleDelay)
		}
	}
}

// awaitStart holds a queued run until the Handler is started. A Handler
// closed before it was started runs nothing: the run fails with ErrClosed,
// and the queue keeps the push.
func (h *Handler) awaitStart(ctx context.Context) error {
	select {
	case <-h.started:
	case <-ctx.Done():
		return ctx.Err()
	}
	if h.earlyClose.Load() {
		return ErrClosed
	}
	return nil
}

// Crypto returns the Handler's Crypto. Its receiver id is empty: it checks
// none when decrypting (the Handler checks receivers itself) and appends
// none when encrypting. Do not build passive replies with it: WeCom's own
// library appends the receiver id to a reply, and Handler.EncryptReply does.
func (h *Handler) Crypto() *Crypto { return h.crypto }

// EncryptReply encrypts a passive reply (被动回复) to ev, a push this Handler
// received, as Crypto.EncryptReply does, with ev's receiver id
// (ev.Header().ReceiveID) appended, as WeCom's own library does.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
func (h *Handler) EncryptReply(ev Event, plaintext []byte, timestamp, nonce string) (*Reply, error) {
	if ev == nil || ev.Header() == nil {
		return nil, errors.New("callback: EncryptReply: no event")
	}
	c := *h.crypto
	c.receiveID = ev.Header().ReceiveID
	return c.EncryptReply(plaintext, timestamp, nonce)
}

// Close stops accepting pushes: from then on each is answered 503 (and its
// de-dup claim released), so that WeCom re-sends it later. Close then waits
// for the work already accepted: the synchronous deliveries whose handlers
// are running and the queue's work (Queue.Close): with WithWorkers, every
// queued event, which the workers still handle. It returns nil when all of
// it has finished, or ctx.Err() when ctx ends first; the handlers still
// running then go on in the background (Close leaves no goroutine of its
// own behind). Close may be called again, e.g. with a longer deadline.
func (h *Handler) Close(ctx context.Context) error {
	h.mu.Lock()
	first := !h.closed
	if first {
		h.closed = true
		if h.running == 0 {
			close(h.drained)
		}
	}
	h.mu.Unlock()
	if first {
		select {
		case <-h.started:
		default:
			h.earlyClose.Store(true) // runs waiting for the start end without running
		}
		h.openStart()
		for _, stop := range h.closers {
			stop()
		}
	}
	if h.cfg.queue != nil {
		if err := h.cfg.queue.Close(ctx); err != nil {
			return err
		}
	}
	select {
	case <-h.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startBackground runs run on a goroutine counted like a worker: Close
// cancels its context and waits for it to return. Call it before serving.
func (h *Handler) startBackground(run func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	h.mu.Lock()
	h.running++
	h.mu.Unlock()
	h.closers = append(h.closers, cancel)
	go func() {
		defer h.exit()
		run(ctx)
	}()
}

// enter counts a synchronous delivery in; false after Close.
func (h *Handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.running++
	return true
}

// exit counts a synchronous delivery out.
func (h *Handler) exit() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running--
	if h.closed && h.running == 0 {
		close(h.drained)
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h == nil || h.crypto == nil {
		http.Error(w, "callback: Handler not made by NewHandler", http.StatusInternalServerError)
		return
	}
	if p := h.misconfig.Load(); p != nil {
		h.log(r.Context(), slog.LevelError, "callback: request refused: the Handler is misconfigured", "err", *p)
		http.Error(w, "callback handler misconfigured", http.StatusInternalServerError)
		return
	}
	h.openStart()
	switch r.Method {
	case http.MethodGet:
		h.serveVerify(w, r)
	case http.MethodPost:
		if h.cfg.observer != nil {
			h.servePushObserved(w, r)
			return
		}
		h.servePush(w, r, nil)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (h *Handler) serveVerify(w http.ResponseWriter, r *http.Request) {
	sig, ts, nonce := queryParams(r.URL.RawQuery)
	echo := r.URL.Query().Get("echostr")
	if sig == "" || ts == "" || nonce == "" || echo == "" {
		http.Error(w, "missing msg_signature, timestamp, nonce or echostr", http.StatusBadRequest)
		return
	}
	msg, _, err := h.open(sig, ts, nonce, echo, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !looksLikeEchostr(msg) {
		// A push's Encrypt is signed the same way: sent as echostr it would
		// decrypt, and echoing it would hand out the event's plaintext.
		h.log(r.Context(), slog.LevelWarn, "callback: URL check refused: the decrypted echostr is not a short random string (a push's ciphertext sent as a URL check?)",
			"len", len(msg))
		http.Error(w, "echostr is not a URL-check string", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(msg)
}

// maxEchostrLen bounds the decrypted echostr of a URL check: WeCom sends a
// short random string (digits, in the docs' examples).
const maxEchostrLen = 128

// looksLikeEchostr reports whether a decrypted echostr may be echoed: short
// and not XML, so that a push's ciphertext re-sent as a URL check is not
// answered with the push's plaintext.
func looksLikeEchostr(msg []byte) bool {
	return len(msg) <= maxEchostrLen && bytes.IndexByte(msg, '<') < 0
}

// open verifies, decrypts, checks the timestamp window and the receiver
// (with the URL-check-only ids too when urlCheck).
func (h *Handler) open(sig, ts, nonce, encrypt string, urlCheck bool) (msg []byte, rid string, err error) {
	return h.openBytes(sig, ts, nonce, unsafe.Slice(unsafe.StringData(encrypt), len(encrypt)), urlCheck)
}

// openBytes is open for an Encrypt held as bytes, which it only reads. rid
// is a view into msg's buffer, which is never written again.
func (h *Handler) openBytes(sig, ts, nonce string, enc []byte, urlCheck bool) (msg []byte, rid string, err error) {
	m, ridb, err := h.crypto.openBytes(sig, ts, nonce, enc)
	if err != nil {
		return nil, "", err
	}
	if h.cfg.window > 0 {
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil {
			return nil, "", ErrStaleTimestamp
		}
		d := h.cfg.now().Sub(time.Unix(sec, 0))
		if d > h.cfg.window || d < -h.cfg.window {
			return nil, "", ErrStaleTimestamp
		}
	}
	rid = bytesView(ridb)
	if urlCheck {
		if _, ok := h.cfg.checkIDs[rid]; ok {
			return m, rid, nil
		}
	}
	if !h.acceptReceiver(rid) {
		return nil, "", &receiverError{id: string(ridb), urlCheck: urlCheck, hint: h.cfg.receiverHint}
	}
	return m, rid, nil
}

// receiverError is ErrReceiverMismatch with the id that was refused (a corp
// or suite id, not a secret) and what to configure.
type receiverError struct {
	id       string
	urlCheck bool
	hint     string
}

func (e *receiverError) Error() string {
	what := "push"
	if e.urlCheck {
		what = "URL check"
	}
	msg := fmt.Sprintf("%v: %s for receiver id %q", ErrReceiverMismatch, what, e.id)
	if e.hint != "" {
		msg += "; " + e.hint
	}
	return msg
}

func (e *receiverError) Unwrap() error { return ErrReceiverMismatch }

func (h *Handler) acceptReceiver(rid string) bool {
	if h.cfg.skipRecv {
		return true
	}
	if _, ok := h.cfg.ids[rid]; ok {
		return true
	}
	return h.cfg.idFunc != nil && h.cfg.idFunc(rid)
}

// servePush handles a POST; o (nil: not observed) records what became of it.
func (h *Handler) servePush(w http.ResponseWriter, r *http.Request, o *PushInfo) {
	sig, ts, nonce := queryParams(r.URL.RawQuery)
	if sig == "" || ts == "" || nonce == "" {
		o.end(PushRefused, http.StatusBadRequest, nil)
		http.Error(w, "missing msg_signature, timestamp or nonce", http.StatusBadRequest)
		return
	}
	buf := getBody()
	defer putBody(buf)
	if err := readBody(buf, r.Body, MaxBodySize); err != nil {
		if errors.Is(err, errBodyTooLarge) {
			o.end(PushRefused, http.StatusRequestEntityTooLarge, err)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		o.end(PushRefused, http.StatusBadRequest, err)
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	// The push is parsed in place: enc is a view into buf, used only until
	// it is decrypted into a buffer of its own (or copied into a Delivery).
	enc, err := encryptOf(buf.Bytes())
	if err == nil && len(enc) == 0 {
		err = ErrMissingEncrypt
	}
	var msg []byte
	var rid string
	if err == nil {
		msg, rid, err = h.openBytes(sig, ts, nonce, enc, false)
	}
	var ev Event
	if err == nil {
		// msg is the decryption buffer, never written again: the event's
		// strings share it instead of copying it.
		ev, err = parseString(bytesView(msg))
	}
	if err != nil {
		o.end(PushRefused, StatusCode(err), err)
		h.fail(w, r, err)
		return
	}
	ev.Header().ReceiveID = rid
	o.event(ev)

	// Store calls and handlers outlive the request: WeCom dropping the
	// connection after 5 s must not abandon work that has started.
	ctx := context.WithoutCancel(r.Context())
	inline := h.cfg.queue == nil || h.cfg.syncKinds[ev.Header().Kind()]
	var key dedupRef
	var ran fnSet // the functions that succeeded for this push before
	state := claimFresh
	if h.dedup != nil {
		key = h.dedup.ref(rid, msg)
	}
	if h.claimQ != nil && !inline {
		h.claimAndEnqueue(ctx, w, o, ev, &Delivery{MsgSignature: sig, Timestamp: ts, Nonce: nonce, Encrypt: string(enc), DedupKey: key.key})
		return
	}
	if h.dedup != nil {
		var derr error
		state, ran, derr = h.claim(ctx, key, inline)
		if o != nil {
			o.Dedup = dedupResult(state)
		}
		if derr != nil {
			if state == claimFresh {
				h.log(ctx, slog.LevelWarn, "callback: dedup store failed; processing anyway", "kind", ev.Header().Kind(), "err", derr)
			} else {
				h.log(ctx, slog.LevelWarn, "callback: dedup store failed reading a claim", "kind", ev.Header().Kind(), "err", derr)
			}
		}
	}
	switch {
	case state == claimDone:
		h.log(ctx, slog.LevelDebug, "callback: duplicate push ignored", "kind", ev.Header().Kind())
		o.end(PushDuplicate, http.StatusOK, nil)
		h.answer(w)
		return
	case state == claimPending && inline:
		// The first delivery is still being handled (here or on another
		// instance) and may yet fail: "success" would stop WeCom's re-sends.
		h.log(ctx, slog.LevelDebug, "callback: re-send while the push is still being handled; answered 503 so WeCom re-sends it later",
			"kind", ev.Header().Kind())
		o.end(PushInProgress, http.StatusServiceUnavailable, nil)
		http.Error(w, "push is still being handled; re-send later", http.StatusServiceUnavailable)
		return
	case state == claimPending:
		// Worker mode: the first delivery was answered when it was queued.
		h.log(ctx, slog.LevelDebug, "callback: duplicate of a queued push ignored", "kind", ev.Header().Kind())
		o.end(PushDuplicate, http.StatusOK, nil)
		h.answer(w)
		return
	}

	if inline {
		if !h.enter() {
			h.release(ctx, key, ran)
			o.end(PushUnavailable, http.StatusServiceUnavailable, ErrClosed)
			http.Error(w, ErrClosed.Error(), http.StatusServiceUnavailable)
			return
		}
		rctx, reply := withReplySlot(ctx, ev)
		stop := h.holdClaim(ctx, key)
		err := h.runHandlers(rctx, ev, key, ran, runInline)
		stop()
		h.exit()
		if err != nil {
			o.end(PushFailed, http.StatusInternalServerError, err)
			http.Error(w, "handler failed", http.StatusInternalServerError)
			return
		}
		o.end(PushHandled, http.StatusOK, nil)
		if !h.answerWith(w, ev, reply, ts, nonce) {
			h.answer(w)
		}
		return
	}
	d := &Delivery{MsgSignature: sig, Timestamp: ts, Nonce: nonce, Encrypt: string(enc), ev: ev, key: key, ran: ran}
	if o != nil {
		d.queuedAt = time.Now()
	}
	if err := h.enqueue(ctx, d); err != nil {
		o.end(PushUnavailable, http.StatusServiceUnavailable, err)
		h.release(ctx, key, ran)
		h.log(ctx, slog.LevelWarn, "callback: push refused", "kind", ev.Header().Kind(), "err", err)
		msg := "push not queued; re-send later" // a queue's own error (addresses, say) stays in the log
		if errors.Is(err, ErrQueueFull) || errors.Is(err, ErrClosed) {
			msg = err.Error()
		}
		http.Error(w, msg, http.StatusServiceUnavailable)
		return
	}
	if o != nil {
		o.end(PushQueued, http.StatusOK, nil)
		o.QueueDepth = h.queueDepth()
	}
	h.answer(w)
}

// claimAndEnqueue hands d to the ClaimingQueue, which claims and stores
// it in one step, and answers: "success" when the push is stored (now or
// before) or was handled, 503 when it could not be stored, so that WeCom
// re-sends it. Nothing is released on failure: nothing was claimed.
func (h *Handler) claimAndEnqueue(ctx context.Context, w http.ResponseWriter, o *PushInfo, ev Event, d *Delivery) {
	res, err := h.claimEnqueue(ctx, d)
	if o != nil {
		switch res {
		case ClaimPending:
			o.Dedup = DedupPending
		case ClaimDone:
			o.Dedup = DedupDone
		default:
			o.Dedup = DedupFresh
		}
	}
	switch {
	case err != nil:
		o.end(PushUnavailable, http.StatusServiceUnavailable, err)
		h.log(ctx, slog.LevelWarn, "callback: push not stored; answered 503 so that WeCom re-sends it", "kind", ev.Header().Kind(), "err", err)
		msg := "push not stored; re-send later" // a queue's own error (addresses, say) stays in the log
		if errors.Is(err, ErrQueueFull) || errors.Is(err, ErrClosed) {
			msg = err.Error()
		}
		http.Error(w, msg, http.StatusServiceUnavailable)
	case res == ClaimStored:
		if o != nil {
			o.end(PushQueued, http.StatusOK, nil)
			o.QueueDepth = h.queueDepth()
		}
		h.answer(w)
	default:
		h.log(ctx, slog.LevelDebug, "callback: duplicate of a stored push ignored", "kind", ev.Header().Kind())
		o.end(PushDuplicate, http.StatusOK, nil)
		h.answer(w)
	}
}

func (h *Handler) claimEnqueue(ctx context.Context, d *Delivery) (ClaimResult, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return 0, ErrClosed
	}
	ctx, cancel := boundedContext(ctx)
	defer cancel()
	res, err := h.claimQ.ClaimAndEnqueue(ctx, d, h.dedup.ttl)
	if err == nil && res != ClaimStored && res != ClaimPending && res != ClaimDone {
		err = fmt.Errorf("callback: the queue's ClaimAndEnqueue answered an unknown result %d", res)
	}
	return res, err
}

func (h *Handler) enqueue(ctx context.Context, d *Delivery) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return ErrClosed
	}
	ctx, cancel := boundedContext(ctx)
	defer cancel()
	return h.cfg.queue.Enqueue(ctx, d)
}

// dedupStoreTimeout bounds each de-dup store call. The calls get a context
// of their own, not the handlers' (WithHandlerTimeout): a handler that used
// up its time must not leave its claim pending, which would turn WeCom's
// re-sends away until the claim expires.
const dedupStoreTimeout = 5 * time.Second

func boundedContext(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(parent), dedupStoreTimeout)
}

// storeContext is the context of one de-dup store call: bounded for a
// shared store, the caller's own for the local table, which does no I/O.
func (h *Handler) storeContext(parent context.Context) (context.Context, context.CancelFunc) {
	if h.dedup == nil || h.dedup.local != nil {
		return parent, func() {}
	}
	return boundedContext(parent)
}

// claim claims key for a push handled before its answer (inline: its
// claim in a shared store lives the pending lifetime, renewed while the
// handlers run) or queued in process (the de-dup lifetime).
func (h *Handler) claim(parent context.Context, key dedupRef, inline bool) (claimState, fnSet, error) {
	ctx, cancel := h.storeContext(parent)
	defer cancel()
	ttl := h.dedup.ttl
	if inline {
		ttl = h.dedup.pendingTTL()
	}
	return h.dedup.claimFor(ctx, key, ttl)
}

// holdClaim renews the pending claim on key in a shared store every third
// of its lifetime until stop is called, so that a claim outlives handlers
// that run long while one left by a crashed instance frees soon.
func (h *Handler) holdClaim(parent context.Context, key dedupRef) (stop func()) {
	if h.dedup == nil || h.dedup.local != nil {
		return func() {}
	}
	every := h.dedup.pendingTTL() / 3
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	renew := func() {
		ctx, cancel := boundedContext(parent)
		if err := h.dedup.renew(ctx, key); err != nil {
			h.log(ctx, slog.LevelWarn, "callback: renewing the claim of a push being handled failed", "err", err)
		}
		cancel()
		mu.Lock()
		if !stopped {
			t.Reset(every)
		}
		mu.Unlock()
	}
	mu.Lock()
	t = time.AfterFunc(every, renew)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}

// release gives up the claim of a push that was not handled, or whose
// handlers failed; ran (the functions that succeeded for it) is recorded
// so that the redelivery runs only the others.
func (h *Handler) release(parent context.Context, key dedupRef, ran fnSet) {
	if h.dedup == nil {
		return // WithoutDedup: no de-dup work at all
	}
	ctx, cancel := h.storeContext(parent)
	defer cancel()
	if err := h.dedup.release(ctx, key, ran); err != nil {
		h.log(ctx, slog.LevelWarn, "callback: dedup release failed; re-sends are turned away until the claim expires, "+
			"or run every handler function again", "err", err)
	}
}

// keep records ran for a failed run whose claim stays pending (a durable
// queue retries it).
func (h *Handler) keep(parent context.Context, key dedupRef, ran fnSet) {
	if h.dedup == nil {
		return
	}
	ctx, cancel := h.storeContext(parent)
	defer cancel()
	if err := h.dedup.keep(ctx, key, ran); err != nil {
		h.log(ctx, slog.LevelWarn, "callback: dedup store failed recording the handler functions that succeeded; "+
			"the retry runs them again", "err", err)
	}
}

func (h *Handler) markDone(parent context.Context, key dedupRef) {
	if h.dedup == nil {
		return // WithoutDedup: no de-dup work at all
	}
	ctx, cancel := h.storeContext(parent)
	defer cancel()
	if err := h.dedup.done(ctx, key); err != nil {
		h.log(ctx, slog.LevelWarn, "callback: dedup store failed", "err", err)
	}
}

// runMode says what runHandlers records after a run.
type runMode uint8

const (
	// runInline: a push handled before its answer, or queued in process:
	// success marks the claim done, a failure releases it (the redelivery
	// is WeCom's re-send).
	runInline runMode = iota
	// runQueued: a durable queue's run: a failure keeps the claim pending
	// (the queue retries, and WeCom's re-sends stay answered without
	// running).
	runQueued
	// runClaimed: a ClaimingQueue's run: as runQueued, but the queue marks
	// the claim done as it removes the push.
	runClaimed
)

// runHandlers is the one place where handler functions run, for a push
// handled before its answer and for a Queue's run alike: it runs the
// functions registered for ev except those in ran (they succeeded for it
// before), bounded by WithHandlerTimeout, and records the outcome (mode).
// When all succeed, key is marked done (by the queue for runClaimed). When
// some fail, each failure is logged and given to the error hook, and the
// functions that succeeded are recorded with key; the claim is then
// released (runInline) or kept pending.
func (h *Handler) runHandlers(parent context.Context, ev Event, key dedupRef, ran fnSet, mode runMode) error {
	// base is detached before the handler timeout: the store calls and the
	// error hook must work after a handler used up its time, or after the
	// queue's context ended.
	base := parent
	if parent.Done() != nil {
		base = context.WithoutCancel(parent)
	}
	ctx := parent
	if h.cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(parent, h.cfg.timeout)
		defer cancel()
	}
	handled, succeeded, failed := h.routes.dispatch(ctx, ev, ran)
	env := ev.Header()
	if !handled {
		h.log(base, slog.LevelInfo, "callback: no handler for push (register OnDefault to receive it)",
			"kind", env.Kind(), "change_type", env.ChangeType)
	}
	if len(failed) == 0 {
		if mode != runClaimed {
			h.markDone(base, key)
		}
		return nil
	}
	ran = ran.union(succeeded)
	retried := mode != runInline
	if retried {
		h.keep(base, key, ran)
	} else {
		h.release(base, key, ran)
	}
	msg := "callback: handler failed"
	if retried {
		msg = "callback: handler failed; the queue decides whether to retry"
	}
	errs := make([]error, len(failed))
	for i, f := range failed {
		args := []any{"kind", env.Kind(), "change_type", env.ChangeType, "handler", f.Index, "func", f.Func, "err", f.Err}
		if d, ok := DeliveryFromContext(parent); ok {
			args = append(args, "attempt", d.Attempt)
		}
		h.log(base, slog.LevelError, msg, args...)
		h.callErrorHook(base, ev, f)
		errs[i] = f
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// callErrorHook calls the WithErrorHook function, turning a panic in it
// into a log line: on a worker goroutine it would end the process.
func (h *Handler) callErrorHook(ctx context.Context, ev Event, err error) {
	if h.cfg.onError == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			kind := EventKind("")
			if ev != nil && ev.Header() != nil {
				kind = ev.Header().Kind()
			}
			h.log(ctx, slog.LevelError, "callback: error hook panicked", "kind", kind, "panic", fmt.Sprint(p))
		}
	}()
	h.cfg.onError(ctx, ev, err)
}

func (h *Handler) answer(w http.ResponseWriter) {
	hdr := w.Header()
	// Values built once per Handler; net/http only reads them.
	hdr["Content-Type"] = h.answerCT
	hdr["Content-Length"] = h.answerCL
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, h.cfg.answerBody)
}

// StatusCode returns the HTTP status a Handler answers for err.
func StatusCode(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrBadSignature), errors.Is(err, ErrReceiverMismatch), errors.Is(err, ErrStaleTimestamp):
		return http.StatusForbidden
	case errors.Is(err, ErrQueueFull), errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := StatusCode(err)
	if errors.Is(err, ErrBadPadding) || errors.Is(err, ErrBadLength) {
		// The signature (made with the Token) was valid, yet the
		// ciphertext does not decrypt: the key is the likely culprit.
		err = &keyError{err: err}
		h.log(r.Context(), slog.LevelError, "callback: request refused", "method", r.Method, "status", code, "err", err)
		h.callErrorHook(context.WithoutCancel(r.Context()), nil, err)
	} else {
		h.log(r.Context(), slog.LevelWarn, "callback: request refused", "method", r.Method, "status", code, "err", err)
	}
	http.Error(w, http.StatusText(code), code)
}

// keyError is a decryption failure after a valid signature.
type keyError struct{ err error }

func (e *keyError) Error() string {
	return e.err.Error() + ": the signature is valid but the message does not decrypt, so the EncodingAESKey is probably wrong " +
		"(check it against the callback settings in the admin or provider console)"
}

func (e *keyError) Unwrap() error { return e.err }

// log writes one log line. The logger is user code: a panic in it is
// swallowed rather than allowed to end a worker goroutine (and the process).
func (h *Handler) log(ctx context.Context, level slog.Level, msg string, args ...any) {
	defer func() { _ = recover() }()
	h.cfg.logger.Log(ctx, level, msg, args...)
}
