package callback

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/wecom"
)

// Auth-code exchanges that wait.
//
// An install (create_auth) or a secret reset (reset_permanent_code) carries
// an auth code that works once and only for 10 minutes from the push. The
// exchange needs the suite_access_token, and that needs a suite_ticket: on a
// fresh deployment the first install can arrive before any ticket, and
// WeCom, answered within its 1000 ms, does not push the install again. So
// an exchange that failed without spending the code (no ticket yet, the
// suite token could not be had, a frequency limit, a connection that never
// opened) is kept in the suite's Store and tried again, by whichever
// instance sharing the Store gets to it first: at once when a ticket lands
// (the command handler stores tickets before answering their pushes), and
// with backoff otherwise, until the code expires. Only then, or after a
// failure that may have spent the code, does the error hook hear of it.
//
// Store keys (values hold the decrypted push, auth code included: the Store
// is secret storage):
//
//	scrm:callback:suite:<suite id>:exchange:<hash of the auth code>  one waiting exchange (JSON)
//	scrm:callback:suite:<suite id>:exchanges                          JSON array of the waiting ones' ids
//
// A waiting exchange is claimed with CompareAndSwap before it is tried, so
// that two instances never send one code twice; a claim lapses after
// exchangeLease, in case its instance died mid-exchange.

const (
	// authCodeLife is how long an auth code works after its push (90642,
	// 97175: 10分钟内有效).
	authCodeLife      = 10 * time.Minute
	exchangeLease     = time.Minute
	exchangeFirstWait = time.Second
	exchangeMaxWait   = 30 * time.Second
	// exchangePoll is how often an idle runner looks for exchanges another
	// instance left waiting.
	exchangePoll = 15 * time.Second
)

// ErrAuthCodeExpired is matched by the SuiteAuthCodeError of an exchange
// that kept failing until its auth code expired (10 minutes after the push).
var ErrAuthCodeExpired = errors.New("callback: the auth code expired before it could be exchanged")

// waitingExchange is one exchange kept in the Store.
type waitingExchange struct {
	ID        string    `json:"id"`
	Kind      EventKind `json:"kind"`
	Raw       string    `json:"raw"` // the decrypted push
	ReceiveID string    `json:"rid"`
	PushedAt  int64     `json:"pushed_at"` // unix seconds
	Attempts  int       `json:"attempts"`
	NextAt    int64     `json:"next_at"` // unix ms
	LastErr   string    `json:"last_err,omitempty"`
	Owner     string    `json:"owner,omitempty"` // claim holder
	Until     int64     `json:"until,omitempty"` // claim lapses (unix ms)
}

func (w *waitingExchange) expires() time.Time {
	return time.Unix(w.PushedAt, 0).Add(authCodeLife)
}

// exchanger keeps and retries the waiting exchanges of one command handler.
type exchanger struct {
	sc    *suiteCommands
	store wecom.Store
	owner string
	wake  chan struct{}
	force atomic.Bool // the next pass ignores NextAt (a ticket landed)
}

func newExchanger(sc *suiteCommands) *exchanger {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &exchanger{sc: sc, store: sc.suite.Store(), owner: hex.EncodeToString(b[:]), wake: make(chan struct{}, 1)}
}

func (x *exchanger) prefix() string { return "scrm:callback:suite:" + x.sc.suite.ID() + ":exchange" }
func (x *exchanger) indexKey() string {
	return x.prefix() + "s"
}
func (x *exchanger) entryKey(id string) string { return x.prefix() + ":" + id }

func (x *exchanger) now() time.Time { return x.sc.h.cfg.now() }

// kick wakes the runner; force makes it try every waiting exchange now.
func (x *exchanger) kick(force bool) {
	if force {
		x.force.Store(true)
	}
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// exchangeSpent reports whether a failed exchange may have spent the auth
// code (or WeCom refused the code itself), so that trying again cannot help.
// Failures before the code was sent, or answers that refused the call
// without looking at it (frequency limits), leave it unspent.
func exchangeSpent(err error) bool {
	switch {
	case errors.Is(err, wecom.ErrNoSuiteTicket):
		return false
	case errors.Is(err, wecom.ErrOutcomeUnknown):
		return true
	case wecom.IsRateLimited(err):
		return false
	}
	var we *wecom.Error
	if errors.As(err, &we) {
		// The suite token could not be had: the code was never sent.
		return we.Path != "/cgi-bin/service/get_suite_token"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true // it may have been on its way
	}
	return !wecom.IsRetryable(err)
}

// keep stores ev's exchange to be tried again; err is why it failed now.
func (x *exchanger) keep(ctx context.Context, kind EventKind, env *Envelope, authCode string, cause error) error {
	pushed := int64(env.TimeStamp)
	now := x.now()
	if pushed <= 0 || time.Unix(pushed, 0).After(now) {
		pushed = now.Unix()
	}
	sum := sha256.Sum256([]byte(authCode))
	w := waitingExchange{
		ID: hex.EncodeToString(sum[:12]), Kind: kind, Raw: env.Raw, ReceiveID: env.ReceiveID,
		PushedAt: pushed, Attempts: 1, NextAt: now.Add(exchangeFirstWait).UnixMilli(), LastErr: cause.Error(),
	}
	ttl := time.Until(w.expires()) + exchangeLease
	if ttl <= exchangeLease {
		return fmt.Errorf("%w (pushed at %s)", ErrAuthCodeExpired, time.Unix(pushed, 0).UTC().Format(time.RFC3339))
	}
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if _, err := x.store.CompareAndSwap(ctx, x.entryKey(w.ID), "", string(b), ttl); err != nil {
		return fmt.Errorf("callback: keep the exchange for later: %w", err)
	}
	if err := x.updateIndex(ctx, func(ids []string) []string { return addSorted(ids, w.ID) }); err != nil {
		return fmt.Errorf("callback: keep the exchange for later: %w", err)
	}
	x.kick(false)
	return nil
}

// run tries the waiting exchanges until ctx ends: after each wake-up, when
// the earliest one is due, and every exchangePoll for those other
// instances left.
func (x *exchanger) run(ctx context.Context) {
	timer := time.NewTimer(exchangePoll)
	defer timer.Stop()
	for {
		next := x.pass(ctx, x.force.Swap(false))
		wait := exchangePoll
		if !next.IsZero() {
			wait = min(max(time.Until(next), 10*time.Millisecond), exchangePoll)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-x.wake:
		case <-timer.C:
		}
	}
}

// pass tries every due exchange once and returns when the earliest of the
// others is due (zero when none waits).
func (x *exchanger) pass(ctx context.Context, force bool) (next time.Time) {
	ids, err := x.index(ctx)
	if err != nil {
		x.sc.h.log(ctx, slog.LevelWarn, "callback: reading waiting auth-code exchanges failed", "suite", x.sc.suite.ID(), "err", err)
		return x.now().Add(exchangeFirstWait)
	}
	tokenOK := false
	for _, id := range ids {
		if ctx.Err() != nil {
			return time.Time{}
		}
		w, raw, ok := x.load(ctx, id)
		if !ok {
			continue
		}
		now := x.now()
		if w.Owner != "" && w.Owner != x.owner && now.UnixMilli() < w.Until {
			next = earliest(next, time.UnixMilli(w.Until))
			continue // another instance is trying it
		}
		expired := !now.Before(w.expires())
		if !expired && !force && now.UnixMilli() < w.NextAt {
			next = earliest(next, time.UnixMilli(w.NextAt))
			continue
		}
		claimed, ok := x.claim(ctx, w, raw)
		if !ok {
			continue
		}
		if expired {
			x.finish(ctx, claimed, nil, fmt.Errorf("%w (pushed %s ago, tried %d times; last failure: %s)",
				ErrAuthCodeExpired, now.Sub(time.Unix(w.PushedAt, 0)).Round(time.Second), w.Attempts, w.LastErr))
			continue
		}
		if !tokenOK {
			// One suite-token attempt per pass, not one per exchange.
			if _, err := x.sc.suite.AccessToken(ctx); err != nil {
				x.release(ctx, claimed, err)
				next = earliest(next, time.UnixMilli(claimed.NextAt))
				return next
			}
			tokenOK = true
		}
		if at, again := x.attempt(ctx, claimed); again {
			next = earliest(next, at)
		}
	}
	return next
}

// attempt runs one claimed exchange. It reports when to try again, if at all.
func (x *exchanger) attempt(ctx context.Context, w *waitingExchange) (time.Time, bool) {
	xctx, cancel := context.WithTimeout(ctx, suiteExchangeTimeout)
	defer cancel()
	ev, perr := parseString(w.Raw)
	if perr != nil {
		x.drop(ctx, w)
		x.sc.h.log(ctx, slog.LevelError, "callback: a waiting auth-code exchange holds a malformed push; dropped", "suite", x.sc.suite.ID(), "err", perr)
		return time.Time{}, false
	}
	ev.Header().ReceiveID = w.ReceiveID
	info, err := x.sc.exchange(xctx, ev)
	if err == nil || info != nil || exchangeSpent(err) {
		x.finish(ctx, w, info, err)
		return time.Time{}, false
	}
	x.release(ctx, w, err)
	return time.UnixMilli(w.NextAt), true
}

// finish removes a claimed exchange and reports its outcome.
func (x *exchanger) finish(ctx context.Context, w *waitingExchange, info *wecom.PermanentCodeInfo, err error) {
	x.drop(ctx, w)
	ev, perr := parseString(w.Raw)
	if perr != nil {
		return
	}
	ev.Header().ReceiveID = w.ReceiveID
	x.sc.outcome(ctx, ev, info, err)
}

// claim takes w for this instance; it returns the claimed copy.
func (x *exchanger) claim(ctx context.Context, w *waitingExchange, raw string) (*waitingExchange, bool) {
	c := *w
	c.Owner, c.Until = x.owner, x.now().Add(exchangeLease).UnixMilli()
	b, err := json.Marshal(c)
	if err != nil {
		return nil, false
	}
	ok, err := x.store.CompareAndSwap(ctx, x.entryKey(w.ID), raw, string(b), time.Until(w.expires())+exchangeLease)
	if err != nil || !ok {
		return nil, false
	}
	return &c, true
}

// release gives a claimed exchange back with its next attempt scheduled.
func (x *exchanger) release(ctx context.Context, w *waitingExchange, cause error) {
	cur, err := json.Marshal(w)
	if err != nil {
		return
	}
	wait := exchangeFirstWait << min(w.Attempts, 5)
	w.Attempts++
	w.NextAt = x.now().Add(min(wait, exchangeMaxWait)).UnixMilli()
	w.LastErr = cause.Error()
	w.Owner, w.Until = "", 0
	b, err := json.Marshal(w)
	if err != nil {
		return
	}
	if _, err := x.store.CompareAndSwap(ctx, x.entryKey(w.ID), string(cur), string(b), time.Until(w.expires())+exchangeLease); err != nil {
		x.sc.h.log(ctx, slog.LevelWarn, "callback: rescheduling an auth-code exchange failed; it is tried again when its claim lapses",
			"suite", x.sc.suite.ID(), "err", err)
	}
}

func (x *exchanger) drop(ctx context.Context, w *waitingExchange) {
	if err := x.store.Delete(ctx, x.entryKey(w.ID)); err != nil {
		x.sc.h.log(ctx, slog.LevelWarn, "callback: deleting a finished auth-code exchange failed", "suite", x.sc.suite.ID(), "err", err)
	}
	if err := x.updateIndex(ctx, func(ids []string) []string { return removeSorted(ids, w.ID) }); err != nil {
		x.sc.h.log(ctx, slog.LevelWarn, "callback: updating the waiting-exchange index failed", "suite", x.sc.suite.ID(), "err", err)
	}
}

// load reads one waiting exchange; a missing one leaves the index.
func (x *exchanger) load(ctx context.Context, id string) (*waitingExchange, string, bool) {
	raw, ok, err := x.store.Get(ctx, x.entryKey(id))
	if err != nil {
		return nil, "", false
	}
	var w waitingExchange
	if !ok || json.Unmarshal([]byte(raw), &w) != nil || w.ID != id {
		_ = x.updateIndex(ctx, func(ids []string) []string { return removeSorted(ids, id) })
		if ok {
			_ = x.store.Delete(ctx, x.entryKey(id))
		}
		return nil, "", false
	}
	return &w, raw, true
}

func (x *exchanger) index(ctx context.Context) ([]string, error) {
	v, ok, err := x.store.Get(ctx, x.indexKey())
	if err != nil || !ok || v == "" {
		return nil, err
	}
	var ids []string
	if err := json.Unmarshal([]byte(v), &ids); err != nil {
		return nil, fmt.Errorf("malformed index %s: %w", x.indexKey(), err)
	}
	return ids, nil
}

// updateIndex applies change to the index (kv.UpdateJSON: read, change,
// compare-and-swap, again when another instance changed it meanwhile). An
// empty index is deleted.
func (x *exchanger) updateIndex(ctx context.Context, change func([]string) []string) error {
	return kv.UpdateJSON(ctx, x.store, x.indexKey(), 0, func(ids []string, _ bool) (*[]string, error) {
		if ids = change(ids); len(ids) == 0 {
			return nil, nil
		}
		return &ids, nil
	})
}

func addSorted(ids []string, id string) []string {
	i := sort.SearchStrings(ids, id)
	if i < len(ids) && ids[i] == id {
		return ids
	}
	ids = append(ids, "")
	copy(ids[i+1:], ids[i:])
	ids[i] = id
	return ids
}

func removeSorted(ids []string, id string) []string {
	i := sort.SearchStrings(ids, id)
	if i < len(ids) && ids[i] == id {
		return append(ids[:i], ids[i+1:]...)
	}
	return ids
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
