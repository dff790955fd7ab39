package kf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
)

// Timing of the Inbox.
const (
	// retention is how far back sync_msg reads: 「可以通过该接口获取最近3天内
	// 具体的消息内容和事件」. A cursor older than that may have lost
	// messages.
	retention = 72 * time.Hour
	// welcomeWindow is how long an enter_session welcome_code works.
	welcomeWindow = 20 * time.Second
	// lockTTL bounds how long a reader that died holds an account's lock
	// (with a Store that is a wecom.Locker across instances).
	lockTTL = 5 * time.Minute
	// defaultPollInterval is how often Run pulls each account without a
	// token; minPollInterval the shortest it takes.
	defaultPollInterval = 2 * time.Minute
	minPollInterval     = 30 * time.Second
	// maxPages stops a pull whose has_more never ends (a misbehaving
	// server): 1,000 pages of up to 1,000 messages.
	maxPages = 1000
	// seenTTL keeps the record of a delivered message as long as
	// sync_msg can return it again, and an hour more.
	seenTTL = retention + time.Hour
)

// Inbox turns kf_msg_or_event pushes into each message delivered once to
// the application's function, and keeps each customer's send window.
//
// # Delivery
//
// Each push names an account and carries a token. HandleEvent (registered
// on a callback.Handler with Register) pulls that account with sync_msg
// from the cursor stored for it, following has_more to the end, and calls
// the application's function for each message, in order. Once every
// message of a page has been handled, the page's next_cursor is stored:
// the cursor advances only past handled messages. When the function fails
// for a message, the pull stops there and HandleEvent returns the error,
// so that the callback answers WeCom 500 and WeCom pushes again; the next
// pull starts from the stored cursor.
//
// Registered on a Handler without callback.WithWorkers, the pull runs
// before WeCom gets its answer, so a failed pull is pushed again; keep the
// function quick (WeCom waits 5 seconds). With WithWorkers, WeCom has its
// answer first and does not push a failed pull again: the next push, or
// Run's poll, reads the messages (the cursor did not move, nothing is
// lost).
//
// A message is delivered once: after the function succeeds for it, its
// msgid is recorded in the Store for as long as sync_msg can return it
// (three days), and a message already recorded is skipped. A process that
// dies after handling messages but before storing the cursor re-reads them
// and skips them. The one gap: a process that dies between the function
// returning and the record being written delivers that one message again;
// a function that must never see a message twice checks MsgID itself.
//
// # Instances
//
// The cursor, the records and the windows live in the Store (the client's
// wecom.Store by default, WithStore for another), so several instances
// share them. One reader per account at a time: when the Store is a
// wecom.Locker (wecom.MemoryStore within a process, redisstore across
// instances) a pull holds the account's lock (released after 5 minutes if
// its holder died); with a Store that cannot lock, pulls are one at a
// time within the process only. The cursor is stored with
// compare-and-swap: a reader that finds it moved under it stops.
//
// # Without pushes
//
// WeCom documents pulling without a token as the fallback, under a
// stricter frequency limit it does not quantify. Poll (and Run, which
// polls every interval) pulls without a token each account named with
// WithAccounts or pushed since the Inbox started, at most once per poll
// interval per account across instances (a slot in the Store); the
// interval is 2 minutes unless WithPollInterval says otherwise.
//
// # Old cursors
//
// sync_msg reads three days back. A stored cursor older than that may
// have skipped messages WeCom no longer has: the Inbox reports a
// *CursorExpiredError to the error hook before pulling with it. When
// WeCom refuses the cursor (the page names no errcode for it; the fake
// answers 40058, invalid parameter), the Inbox reports it, drops the
// cursor and reads again from the oldest message WeCom keeps, skipping the
// ones already delivered.
//
// # Welcomes and the send window
//
// With WithWelcome, an enter_session event with a welcome_code is
// answered with the application's welcome through SendMsgOnEvent before
// the event is delivered, within the code's 20 seconds (an event read
// later is not welcomed: WeCom would refuse the code), once. SendMsg sends
// within the customer's send window and refuses a send outside it before
// calling WeCom (see Inbox.SendMsg).
type Inbox struct {
	svc    *Service
	corpID string
	handle func(context.Context, *Message) error
	store  wecom.Store
	locker wecom.Locker

	welcome      func(context.Context, *Message) (*EventReply, error)
	errorHook    func(context.Context, error)
	logger       *slog.Logger
	now          func() time.Time
	pollInterval time.Duration
	pageSize     int
	invalid      []string // option mistakes, reported by NewInbox

	mu       sync.Mutex
	accounts map[string]bool          // accounts Poll reads
	local    map[string]chan struct{} // per-account locks without a Locker

	stats struct {
		pulls, pages, delivered, duplicates, welcomes, welcomesMissed, cursorResets, refused atomic.Int64
	}
}

// InboxOption configures an Inbox (NewInbox).
type InboxOption func(*Inbox)

// WithStore keeps the cursors, the delivery records and the send windows
// in s instead of the client's Store. Instances that share the accounts
// must share s; a wecom.Locker gives one reader per account across them.
func WithStore(s wecom.Store) InboxOption {
	return func(in *Inbox) {
		if s == nil {
			in.invalid = append(in.invalid, "WithStore(nil)")
		}
		in.store = s
	}
}

// WithLogger logs the Inbox's warnings (an old cursor, a missed welcome)
// to l; the client's logger by default.
func WithLogger(l *slog.Logger) InboxOption { return func(in *Inbox) { in.logger = l } }

// WithClock gives the Inbox a clock (send windows, welcome codes, poll
// slots); the client's (wecom.Client.Now) by default.
func WithClock(now func() time.Time) InboxOption { return func(in *Inbox) { in.now = now } }

// WithWelcome answers each customer entering a session with a welcome_code
// with fn's reply, sent through SendMsgOnEvent within the code's 20
// seconds, before the enter_session event is delivered. fn gets the event
// (Message.Event.Scene, SceneParam...) and returns a text or a menu; nil
// (and no error) sends no welcome. Its failures go to the error hook as a
// *WelcomeError; the event is delivered all the same.
func WithWelcome(fn func(ctx context.Context, m *Message) (*EventReply, error)) InboxOption {
	return func(in *Inbox) {
		if fn == nil {
			in.invalid = append(in.invalid, "WithWelcome(nil)")
		}
		in.welcome = fn
	}
}

// WithErrorHook gives fn what the Inbox reports without failing a pull: a
// *CursorExpiredError, a *WelcomeError. They are logged at Warn too.
func WithErrorHook(fn func(ctx context.Context, err error)) InboxOption {
	return func(in *Inbox) { in.errorHook = fn }
}

// WithAccounts names accounts Poll reads, besides those pushed since the
// Inbox started.
func WithAccounts(openKfIDs ...string) InboxOption {
	return func(in *Inbox) {
		for _, id := range openKfIDs {
			if id == "" {
				in.invalid = append(in.invalid, "WithAccounts with an empty open_kfid")
				continue
			}
			in.accounts[id] = true
		}
	}
}

// WithPollInterval sets how often Poll may pull an account without a token
// (default 2 minutes, at least 30 seconds: WeCom limits those pulls
// strictly without publishing the number).
func WithPollInterval(d time.Duration) InboxOption {
	return func(in *Inbox) {
		if d < minPollInterval {
			in.invalid = append(in.invalid, fmt.Sprintf("WithPollInterval(%v): at least %v", d, minPollInterval))
		}
		in.pollInterval = d
	}
}

// WithPageSize sets how many messages one sync_msg call asks for: 1 to
// 1,000 (the default, WeCom's maximum).
func WithPageSize(n int) InboxOption {
	return func(in *Inbox) {
		if n < 1 || n > maxSyncLimit {
			in.invalid = append(in.invalid, fmt.Sprintf("WithPageSize(%d): 1 to %d", n, maxSyncLimit))
		}
		in.pageSize = n
	}
}

// NewInbox returns an Inbox that delivers the messages of svc's corp to
// handle. handle gets each message and event once (see Inbox); an error
// from it stops the pull at that message, to be read again later. The
// error is for a nil handle and for invalid options.
func NewInbox(svc *Service, handle func(ctx context.Context, m *Message) error, opts ...InboxOption) (*Inbox, error) {
	if svc == nil || svc.c == nil {
		return nil, check.Invalidf("NewInbox needs a Service built on a client")
	}
	if handle == nil {
		return nil, check.Invalidf("NewInbox needs the application's function (handle is nil)")
	}
	c := svc.c
	in := &Inbox{svc: svc, corpID: c.CorpID(), handle: handle, store: c.Store(), logger: c.Logger(), now: c.Now,
		pollInterval: defaultPollInterval, pageSize: maxSyncLimit,
		accounts: map[string]bool{}, local: map[string]chan struct{}{}}
	for _, o := range opts {
		if o != nil {
			o(in)
		}
	}
	if len(in.invalid) > 0 {
		return nil, check.Invalidf("NewInbox: %v", in.invalid)
	}
	if in.logger == nil {
		in.logger = slog.New(slog.DiscardHandler)
	}
	if in.now == nil {
		in.now = time.Now
	}
	if in.store == nil {
		return nil, check.Invalidf("NewInbox: the client has no Store; give one with WithStore")
	}
	in.locker, _ = in.store.(wecom.Locker)
	return in, nil
}

// Register makes h deliver every kf_msg_or_event push to HandleEvent.
func (in *Inbox) Register(h *callback.Handler) { h.OnKFMsgOrEvent(in.HandleEvent) }

// HandleEvent pulls the pushed account with the push's token and delivers
// its new messages (see Inbox). Pushes of another corp are ignored. A push
// without OpenKfId (the 2021 form) pulls every account Poll knows. The
// error is the pull's: the callback then answers WeCom 500 and WeCom
// pushes again.
func (in *Inbox) HandleEvent(ctx context.Context, ev *callback.KFMsgOrEventEvent) error {
	if ev == nil {
		return nil
	}
	if corp := ev.CorpID(); corp != "" && corp != in.corpID {
		return nil
	}
	if ev.OpenKfID == "" {
		var errs []error
		for _, id := range in.knownAccounts() {
			errs = append(errs, in.pull(ctx, id, ev.Token))
		}
		return errors.Join(errs...)
	}
	in.mu.Lock()
	in.accounts[ev.OpenKfID] = true
	in.mu.Unlock()
	return in.pull(ctx, ev.OpenKfID, ev.Token)
}

func (in *Inbox) knownAccounts() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	ids := make([]string, 0, len(in.accounts))
	for id := range in.accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Poll pulls, without a token, each account named with WithAccounts or
// pushed since the Inbox started, that no Inbox on the Store has polled
// within the poll interval. It returns the pulls' errors, joined.
func (in *Inbox) Poll(ctx context.Context) error {
	var errs []error
	for _, id := range in.knownAccounts() {
		ok, err := in.pollSlot(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue // polled within the interval, here or by another instance
		}
		errs = append(errs, in.pull(ctx, id, ""))
	}
	return errors.Join(errs...)
}

// pollSlot takes the account's poll slot: the time of its last tokenless
// poll, on the Inbox's clock, kept in the Store so that instances share
// it. It reports false when the last poll is less than an interval ago or
// another instance took the slot first.
func (in *Inbox) pollSlot(ctx context.Context, openKfID string) (bool, error) {
	key, now := in.key(openKfID, "poll"), in.now()
	raw, ok, err := in.store.Get(ctx, key)
	if err != nil {
		return false, err
	}
	if !ok {
		raw = ""
	} else if last, perr := strconv.ParseInt(raw, 10, 64); perr == nil && now.Sub(time.Unix(last, 0)) < in.pollInterval {
		return false, nil
	}
	return in.store.CompareAndSwap(ctx, key, raw, strconv.FormatInt(now.Unix(), 10), in.pollInterval)
}

// Run polls every poll interval until ctx ends, and returns ctx's error.
// A failed poll is reported to the error hook and retried at the next
// tick.
func (in *Inbox) Run(ctx context.Context) error {
	t := time.NewTicker(in.pollInterval)
	defer t.Stop()
	for {
		if err := in.Poll(ctx); err != nil && ctx.Err() == nil {
			in.report(ctx, fmt.Errorf("kf: inbox poll: %w", err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// InboxStats counts what an Inbox did.
type InboxStats struct {
	Pulls          int64 // pulls of an account (a push, a poll)
	Pages          int64 // sync_msg calls
	Delivered      int64 // messages the application's function handled
	Duplicates     int64 // messages skipped: delivered before
	Welcomes       int64 // welcomes sent
	WelcomesMissed int64 // welcome codes not used: too late, or the send failed
	CursorResets   int64 // cursors WeCom refused, dropped
	Refused        int64 // sends refused outside the send window
}

// Stats returns the Inbox's counters.
func (in *Inbox) Stats() InboxStats {
	s := &in.stats
	return InboxStats{Pulls: s.pulls.Load(), Pages: s.pages.Load(), Delivered: s.delivered.Load(), Duplicates: s.duplicates.Load(),
		Welcomes: s.welcomes.Load(), WelcomesMissed: s.welcomesMissed.Load(), CursorResets: s.cursorResets.Load(), Refused: s.refused.Load()}
}

// key is the Store key of one of an account's records.
func (in *Inbox) key(openKfID, what string) string {
	return "scrm:kf:inbox:" + in.corpID + ":" + openKfID + ":" + what
}

// lock holds the account's reader lock until the returned func is called.
func (in *Inbox) lock(ctx context.Context, openKfID string) (func(), error) {
	if in.locker != nil {
		return in.locker.Lock(ctx, in.key(openKfID, "lock"), lockTTL)
	}
	in.mu.Lock()
	ch, ok := in.local[openKfID]
	if !ok {
		ch = make(chan struct{}, 1)
		in.local[openKfID] = ch
	}
	in.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cursorRecord is an account's stored cursor.
type cursorRecord struct {
	Cursor  string `json:"cursor"`
	SavedAt int64  `json:"saved_at"` // unix seconds, on the Inbox's clock
}

// loadCursor returns the account's cursor and its stored form ("" when
// there is none), for the compare-and-swap that replaces it.
func (in *Inbox) loadCursor(ctx context.Context, openKfID string) (cursorRecord, string, error) {
	raw, ok, err := in.store.Get(ctx, in.key(openKfID, "cursor"))
	if err != nil || !ok {
		return cursorRecord{}, "", err
	}
	var rec cursorRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return cursorRecord{}, "", fmt.Errorf("kf: the sync_msg cursor of %s is corrupt in the Store (%w); delete the key %q to read again from three days back",
			openKfID, err, in.key(openKfID, "cursor"))
	}
	return rec, raw, nil
}

// ErrCursorMoved is returned by a pull whose stored cursor another reader
// changed meanwhile (the account's lock expired while this one was
// pulling, or a Store without locks is shared by instances). Nothing is
// lost: the next pull reads from the newer cursor, and messages already
// delivered are skipped.
var ErrCursorMoved = errors.New("kf: the account's sync_msg cursor was moved by another reader")

// saveCursor replaces the stored cursor old (stored form raw) with next.
func (in *Inbox) saveCursor(ctx context.Context, openKfID, raw, next string) (string, error) {
	b, err := json.Marshal(cursorRecord{Cursor: next, SavedAt: in.now().Unix()})
	if err != nil {
		return "", err
	}
	ok, err := in.store.CompareAndSwap(ctx, in.key(openKfID, "cursor"), raw, string(b), 0)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrCursorMoved
	}
	return string(b), nil
}

// CursorExpiredError reports a stored cursor older than the three days
// sync_msg reads back: messages after it may be gone. Err is WeCom's
// refusal of the cursor when it refused it (the Inbox then dropped the
// cursor and read from the oldest message WeCom keeps).
type CursorExpiredError struct {
	OpenKfID string
	SavedAt  time.Time
	Err      error
}

// Error says what may have been lost.
func (e *CursorExpiredError) Error() string {
	msg := fmt.Sprintf("kf: the sync_msg cursor of %s was stored at %s, more than three days ago; messages WeCom no longer keeps may never have been delivered",
		e.OpenKfID, e.SavedAt.UTC().Format(time.RFC3339))
	if e.Err != nil {
		msg += fmt.Sprintf("; WeCom refused it (%v), so it was dropped and the account read again from the oldest message WeCom keeps", e.Err)
	}
	return msg
}

// Unwrap returns WeCom's refusal, if any.
func (e *CursorExpiredError) Unwrap() error { return e.Err }

// pull reads an account from its stored cursor to the end, delivering each
// message and storing the cursor after each page.
func (in *Inbox) pull(ctx context.Context, openKfID, tok string) error {
	if err := checkOpenKfID(openKfID); err != nil {
		return err
	}
	unlock, err := in.lock(ctx, openKfID)
	if err != nil {
		return fmt.Errorf("kf: inbox: waiting for the reader lock of %s: %w", openKfID, err)
	}
	defer unlock()
	in.stats.pulls.Add(1)
	cur, raw, err := in.loadCursor(ctx, openKfID)
	if err != nil {
		return err
	}
	stale := cur.Cursor != "" && in.now().Sub(time.Unix(cur.SavedAt, 0)) > retention
	if stale {
		in.report(ctx, &CursorExpiredError{OpenKfID: openKfID, SavedAt: time.Unix(cur.SavedAt, 0)})
	}
	reset, retriedToken := false, false
	for range maxPages {
		in.stats.pages.Add(1)
		resp, err := in.svc.SyncMsg(ctx, &SyncMsgRequest{Cursor: cur.Cursor, Token: tok, Limit: in.pageSize, OpenKfID: openKfID})
		switch {
		case err == nil:
		case cur.Cursor != "" && !reset && wecom.ErrorCode(err) == wecom.CodeInvalidParameter:
			// WeCom refused the stored cursor: read again from the oldest
			// message it keeps; delivered ones are skipped.
			in.stats.cursorResets.Add(1)
			in.report(ctx, &CursorExpiredError{OpenKfID: openKfID, SavedAt: time.Unix(cur.SavedAt, 0), Err: err})
			ok, derr := in.store.CompareAndSwap(ctx, in.key(openKfID, "cursor"), raw, "", 0)
			if derr != nil {
				return derr
			}
			if !ok {
				return ErrCursorMoved
			}
			cur, raw, reset = cursorRecord{}, "", true
			continue
		case tok != "" && !retriedToken && wecom.ErrorCode(err) == wecom.CodeKFInvalidMsgToken:
			// The push's token expired (it lives 10 minutes; a push
			// queued longer): pull once without it.
			tok, retriedToken = "", true
			continue
		default:
			return fmt.Errorf("kf: inbox: sync_msg of %s: %w", openKfID, err)
		}
		for i := range resp.MsgList {
			if err := in.deliver(ctx, openKfID, &resp.MsgList[i]); err != nil {
				return err
			}
		}
		if resp.NextCursor != "" && resp.NextCursor != cur.Cursor {
			if raw, err = in.saveCursor(ctx, openKfID, raw, resp.NextCursor); err != nil {
				return err
			}
			cur = cursorRecord{Cursor: resp.NextCursor, SavedAt: in.now().Unix()}
		}
		if !resp.HasMore {
			return nil
		}
	}
	return fmt.Errorf("kf: inbox: sync_msg of %s answered has_more for %d pages; stopped (the cursor is stored, the next pull goes on)", openKfID, maxPages)
}

// HandleError is the application's function failing for a message: the
// pull stopped there and the message will be read again.
type HandleError struct {
	OpenKfID string
	MsgID    string
	Err      error
}

// Error names the message.
func (e *HandleError) Error() string {
	return fmt.Sprintf("kf: inbox: the function failed for message %s of %s (it will be read again): %v", e.MsgID, e.OpenKfID, e.Err)
}

// Unwrap returns the function's error.
func (e *HandleError) Unwrap() error { return e.Err }

// deliver hands one message to the application once.
func (in *Inbox) deliver(ctx context.Context, openKfID string, m *Message) error {
	seenKey := ""
	if m.MsgID != "" {
		seenKey = in.key(openKfID, "msg:"+m.MsgID)
		_, seen, err := in.store.Get(ctx, seenKey)
		if err != nil {
			return err
		}
		if seen {
			in.stats.duplicates.Add(1)
			return nil
		}
	}
	if m.Origin == OriginCustomer {
		if err := in.openWindow(ctx, m); err != nil {
			return fmt.Errorf("kf: inbox: recording the send window of %s: %w", m.ExternalUserID, err)
		}
	}
	if in.welcome != nil && m.Event != nil && m.Event.EventType == EventEnterSession && m.Event.WelcomeCode != "" {
		in.sendWelcome(ctx, openKfID, m)
	}
	if err := safeHandle(ctx, in.handle, m); err != nil {
		return &HandleError{OpenKfID: openKfID, MsgID: m.MsgID, Err: err}
	}
	in.stats.delivered.Add(1)
	if seenKey != "" {
		if err := in.store.Set(ctx, seenKey, "1", seenTTL); err != nil {
			return fmt.Errorf("kf: inbox: recording message %s as delivered: %w", m.MsgID, err)
		}
	}
	return nil
}

func safeHandle(ctx context.Context, fn func(context.Context, *Message) error, m *Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx, m)
}

// ErrWelcomeTooLate is the Err of a *WelcomeError for an enter_session
// event read more than 20 seconds after it happened: its welcome_code no
// longer works, and no welcome was sent.
var ErrWelcomeTooLate = errors.New("kf: the welcome_code's 20 seconds are over")

// WelcomeError reports a welcome not sent.
type WelcomeError struct {
	OpenKfID       string
	ExternalUserID string
	MsgID          string // the enter_session event's
	Err            error
}

// Error names the customer and the cause.
func (e *WelcomeError) Error() string {
	return fmt.Sprintf("kf: inbox: no welcome sent to %s of %s: %v", e.ExternalUserID, e.OpenKfID, e.Err)
}

// Unwrap returns the cause.
func (e *WelcomeError) Unwrap() error { return e.Err }

// sendWelcome answers an enter_session event with the application's
// welcome, inside the code's 20 seconds and once.
func (in *Inbox) sendWelcome(ctx context.Context, openKfID string, m *Message) {
	ev := m.Event
	ext := first(m.ExternalUserID, ev.ExternalUserID)
	fail := func(err error) {
		in.stats.welcomesMissed.Add(1)
		in.report(ctx, &WelcomeError{OpenKfID: openKfID, ExternalUserID: ext, MsgID: m.MsgID, Err: err})
	}
	deadline := m.SendTime.Time().Add(welcomeWindow)
	if !in.now().Before(deadline) {
		fail(ErrWelcomeTooLate)
		return
	}
	// The code works once: claim it, so that a re-read of the event (its
	// delivery failed) does not send again.
	claimed, err := in.store.CompareAndSwap(ctx, in.key(openKfID, "welcome:"+ev.WelcomeCode), "", "1", time.Hour)
	if err != nil {
		fail(err)
		return
	}
	if !claimed {
		return
	}
	var reply *EventReply
	err = safeHandle(ctx, func(ctx context.Context, m *Message) (err error) {
		reply, err = in.welcome(ctx, m)
		return err
	}, m)
	if err != nil || reply == nil {
		if err != nil {
			fail(err)
		}
		return
	}
	wctx, cancel := context.WithTimeout(ctx, deadline.Sub(in.now()))
	defer cancel()
	if _, err := in.svc.SendMsgOnEvent(wctx, &SendMsgOnEventRequest{Code: ev.WelcomeCode, EventReply: *reply}); err != nil {
		fail(err)
		return
	}
	in.stats.welcomes.Add(1)
}

// report gives err to the error hook and the log.
func (in *Inbox) report(ctx context.Context, err error) {
	in.logger.WarnContext(ctx, "kf: inbox", "err", err)
	if in.errorHook != nil {
		in.errorHook(ctx, err)
	}
}
