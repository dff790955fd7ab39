package callback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/internal/dedupkey"
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
// absent), so two concurrent deliveries of one event run the handlers once.
// When every handler function succeeds the key becomes "done" for the TTL.
// When one fails (or panics) the claim is released, so a later re-send runs
// the handlers again; and the answer to a synchronous delivery is then 500
// so that WeCom has reason to re-send. The store calls use a context of
// their own (a few seconds), not the handlers' WithHandlerTimeout, so that a
// handler that used up its time still has its claim released or marked done.
//
// Per-function completion: when several functions handle an event and only
// some fail, the ones that succeeded are recorded with the event's key, so
// that the redelivery (WeCom's re-send, or a durable queue's retry) runs
// only the others: a welcome message sent once is not sent again because
// the tagging beside it failed. A function is known by its registration
// index (HandlerError.Index). In the in-process table the record sits in
// the key's entry, whose claim is then "failed" (free to claim again); in a
// shared store it is the list of indices under the key plus ":ran", written
// with the same TTL together with a fingerprint of the registrations (a
// program whose registrations differ ignores the list and runs every
// function: a possible duplicate beats a skipped function), and the claim
// holds "failed" instead of being deleted
// (the marker tells the next claim to read the list, so that no push pays
// for a read unless a run failed). A durable queue's failed run keeps its
// claim "pending" and writes the list only.
//
// A delivery that finds its key done is answered "success" without calling
// any handler. One that finds it pending (a re-send that arrives while the
// first delivery is still being handled, here or on another instance) does
// not start a second run either; its answer depends on the mode:
//
//   - synchronous (no WithWorkers): 503, because the first run may still
//     fail, and "success" would stop WeCom's re-sends and lose the event; a
//     later re-send finds the key done (answered "success") or released
//     (the functions that have not succeeded run again);
//   - WithWorkers: "success", because the first delivery was already
//     answered "success" when it was queued. A queued event whose handlers
//     fail is reported through WithErrorHook and the logger, and its claim
//     released, but WeCom does not deliver it again: it was told "success".
//
// Lifetimes in a shared store: a done claim (and a record of the functions
// that succeeded) lives the de-dup TTL. A pending claim taken by a push
// handled before its answer lives three handler timeouts (pendingTTL:
// WithHandlerTimeout, or WeCom's 5-second wait for an answer) and is
// renewed every third of that while the handlers run, so that the claim
// of an instance that died mid-run frees within seconds and WeCom's next
// re-send runs the event; until then synchronous deliveries of it are
// answered 503. A claim taken for the in-process queue (WithWorkers) lives
// the TTL: the push waits in memory.
//
// A durable queue that is a ClaimingQueue (redisstore's) claims and
// stores a push in one atomic step of its own, so no instance can die
// between the two: its claim names the stored push, and a re-send that
// finds a claim naming nothing stored (left by a delivery that died, or by
// an older program) stores the push rather than being answered "success".
// The queue marks the key done as it removes a push whose run succeeded.
//
// The claims live in an in-process table by default (no I/O, no timers);
// WithDedupStore puts them in a wecom.Store (a Redis store shares them
// across instances; a ClaimingQueue's own store replaces it). With
// WithQueue a push read back from the queue is skipped when its key is
// already done, and a failed run keeps its claim, so WeCom's re-sends do
// not start a second run while the queue retries. If the store fails while
// the push is handled before its answer, the event is processed anyway
// (and the failure logged): a possible duplicate is better than a lost
// event; a push a ClaimingQueue could not store is answered 503, so that
// WeCom re-sends it. WithoutDedup keeps no claims and no record: every
// delivery runs every function.

const (
	dedupPrefix  = dedupkey.Prefix
	dedupPending = dedupkey.Pending
	dedupDone    = dedupkey.Done
	// dedupFailed marks a released claim whose ":ran" key lists the
	// functions that succeeded.
	dedupFailed = dedupkey.Failed
	// dedupRanSuffix names the list of the functions that succeeded.
	dedupRanSuffix = dedupkey.RanSuffix
	// DefaultDedupTTL is how long a processed event is remembered. WeCom's
	// re-sends come within a minute; ten minutes leaves room for clock skew.
	DefaultDedupTTL = 10 * time.Minute
	// answerWait is how long WeCom waits for an answer before it gives up
	// on a delivery (and re-sends the push): the basis of a pending claim's
	// lifetime when no WithHandlerTimeout is given.
	answerWait = 5 * time.Second
	// pendingLives is how many handler timeouts a pending claim lives.
	pendingLives = 3
)

// pendingTTL is the lifetime of a claim taken in a shared store by a push
// handled before its answer: three handler timeouts (WithHandlerTimeout, or
// WeCom's 5-second wait for an answer), never longer than the de-dup
// lifetime. The Handler renews it while the handlers run, so it only
// decides how soon the claim of an instance that died mid-run frees.
func pendingTTL(timeout, ttl time.Duration) time.Duration {
	if timeout <= 0 {
		timeout = answerWait
	}
	if timeout > ttl/pendingLives {
		return ttl
	}
	return pendingLives * timeout
}

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

// fnSet is a set of registration indices: bit i of word i/64 is the
// function registered i-th. nil is the empty set. Sets are never changed in
// place once shared: with and union return new ones.
type fnSet []uint64

func (s fnSet) has(i int) bool {
	return i/64 < len(s) && s[i/64]&(1<<(i%64)) != 0
}

// with returns a new set: s plus i.
func (s fnSet) with(i int) fnSet {
	u := make(fnSet, max(len(s), i/64+1))
	copy(u, s)
	u[i/64] |= 1 << (i % 64)
	return u
}

// union returns a new set holding s and t (nil when both are empty).
func (s fnSet) union(t fnSet) fnSet {
	if s.empty() && t.empty() {
		return nil
	}
	u := make(fnSet, max(len(s), len(t)))
	copy(u, s)
	for i, w := range t {
		u[i] |= w
	}
	return u
}

func (s fnSet) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// String lists the indices, ascending, comma-separated ("0,2"): the value
// kept in a shared store.
func (s fnSet) String() string {
	var b []byte
	for i := range 64 * len(s) {
		if s.has(i) {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(i), 10)
		}
	}
	return string(b)
}

// parseFnSet reads String's form; indices it cannot read are left out
// (their functions run again: a possible duplicate beats a lost event).
func parseFnSet(v string) fnSet {
	var s fnSet
	for f := range strings.SplitSeq(v, ",") {
		i, err := strconv.Atoi(f)
		if err != nil || i < 0 || i >= maxFnIndex {
			continue
		}
		if n := i/64 + 1; n > len(s) {
			s = append(s, make(fnSet, n-len(s))...)
		}
		s[i/64] |= 1 << (i % 64)
	}
	return s
}

// maxFnIndex bounds the indices parseFnSet accepts (a damaged value must
// not make it allocate much).
const maxFnIndex = 1 << 16

type deduper struct {
	store wecom.Store // a shared store (WithDedupStore), or nil for local
	local *localDedup // the default: this process's table
	ttl   time.Duration
	// pending is the lifetime of an inline claim in a shared store
	// (pendingTTL); 0: ttl.
	pending time.Duration
	// fingerprint identifies the Handler's registrations (router.fingerprint)
	// in the record a shared store keeps of the functions that succeeded.
	fingerprint func() string
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

// localMark is the state of a key in the local table.
type localMark uint8

const (
	localPending localMark = iota
	localDone
	localFailed // released; ran lists the functions that succeeded
)

type localClaim struct {
	mark    localMark
	expires int64 // unix nanoseconds
	ran     fnSet // the functions that succeeded, when some failed
}

func newLocalDedup(now func() time.Time) *localDedup {
	return &localDedup{now: now, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		entries: map[[2]uint64]localClaim{}, sweepAt: 1024}
}

func (l *localDedup) claim(key [2]uint64, ttl time.Duration) (claimState, fnSet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UnixNano()
	c, ok := l.entries[key]
	if ok && c.expires > now {
		switch c.mark {
		case localDone:
			return claimDone, nil
		case localPending:
			return claimPending, nil
		}
		// localFailed: claim it again, with what succeeded before
		l.entries[key] = localClaim{mark: localPending, expires: now + int64(ttl), ran: c.ran}
		return claimFresh, c.ran
	}
	if len(l.entries) >= l.sweepAt {
		for k, c := range l.entries {
			if c.expires <= now {
				delete(l.entries, k)
			}
		}
		l.sweepAt = max(1024, 2*len(l.entries))
	}
	l.entries[key] = localClaim{mark: localPending, expires: now + int64(ttl)}
	return claimFresh, nil
}

// set records key's state: done, released (with ran, or deleted when ran is
// empty) or kept pending with ran.
func (l *localDedup) set(key [2]uint64, mark localMark, ran fnSet, ttl time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if mark == localFailed && ran.empty() {
		delete(l.entries, key)
		return
	}
	l.entries[key] = localClaim{mark: mark, ran: ran, expires: l.now().UnixNano() + int64(ttl)}
}

func (l *localDedup) get(key [2]uint64) (done bool, ran fnSet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.entries[key]
	if !ok || c.expires <= l.now().UnixNano() {
		return false, nil
	}
	return c.mark == localDone, c.ran
}

// progress reports whether key is marked done and, if not, which functions
// succeeded for it before.
func (d *deduper) progress(ctx context.Context, ref dedupRef) (done bool, ran fnSet, err error) {
	if d.local != nil {
		done, ran := d.local.get(ref.local)
		return done, ran, nil
	}
	v, ok, err := d.store.Get(ctx, ref.key)
	if err != nil || ok && v == dedupDone {
		return ok && v == dedupDone, nil, err
	}
	ran, err = d.ran(ctx, ref)
	return false, ran, err
}

// ran reads the functions recorded as succeeded in a shared store. A record
// made by a program whose registrations differ from this one's (another
// version, during a deployment) is ignored: its indices may name other
// functions here, and running a function again beats skipping one.
func (d *deduper) ran(ctx context.Context, ref dedupRef) (fnSet, error) {
	v, ok, err := d.store.Get(ctx, ref.key+dedupRanSuffix)
	if err != nil || !ok {
		return nil, err
	}
	list, ok := strings.CutPrefix(v, d.fingerprint()+":")
	if !ok {
		return nil, nil
	}
	return parseFnSet(list), nil
}

// ranValue is the record of ran kept in a shared store: the registrations'
// fingerprint, a colon, and the indices ("1f0c…:0,2").
func (d *deduper) ranValue(ran fnSet) string { return d.fingerprint() + ":" + ran.String() }

// pendingTTL is the lifetime of an inline claim in the shared store.
func (d *deduper) pendingTTL() time.Duration {
	if d.pending > 0 {
		return d.pending
	}
	return d.ttl
}

// renew extends an inline claim in the shared store that is still pending
// (a claim that was marked done or released meanwhile is left alone).
func (d *deduper) renew(ctx context.Context, ref dedupRef) error {
	_, err := d.store.CompareAndSwap(ctx, ref.key, dedupPending, dedupPending, d.pendingTTL())
	return err
}

// claim is claimFor with the de-dup lifetime.
func (d *deduper) claim(ctx context.Context, ref dedupRef) (claimState, fnSet, error) {
	if d == nil {
		return claimFresh, nil, nil
	}
	return d.claimFor(ctx, ref, d.ttl)
}

// claimFor claims key for the caller, or reports who has it; a fresh claim
// comes with the functions that succeeded for the event before. A claim in
// a shared store lives ttl; in the local table, the de-dup lifetime. When
// the store fails on the claim itself, the result is claimFresh (process
// anyway); when it fails reading an existing claim, claimPending; when it
// fails reading what succeeded before, claimFresh with nothing (run
// everything).
func (d *deduper) claimFor(ctx context.Context, ref dedupRef, ttl time.Duration) (claimState, fnSet, error) {
	if d == nil {
		return claimFresh, nil, nil
	}
	if d.local != nil {
		st, ran := d.local.claim(ref.local, d.ttl)
		return st, ran, nil
	}
	key := ref.key
	for range 3 {
		ok, err := d.store.CompareAndSwap(ctx, key, "", dedupPending, ttl)
		if err != nil {
			return claimFresh, nil, err
		}
		if ok {
			return claimFresh, nil, nil
		}
		v, found, err := d.store.Get(ctx, key)
		if err != nil {
			return claimPending, nil, err
		}
		switch {
		case !found:
			continue // released (or expired) between the two calls: claim again
		case v == dedupDone:
			return claimDone, nil, nil
		case v != dedupFailed:
			return claimPending, nil, nil
		}
		ok, err = d.store.CompareAndSwap(ctx, key, dedupFailed, dedupPending, ttl)
		if err != nil {
			return claimFresh, nil, err
		}
		if ok {
			ran, err := d.ran(ctx, ref)
			return claimFresh, ran, err
		}
		// claimed by another delivery meanwhile: look again
	}
	return claimPending, nil, nil
}

func (d *deduper) done(ctx context.Context, ref dedupRef) error {
	if d == nil {
		return nil
	}
	if d.local != nil {
		d.local.set(ref.local, localDone, nil, d.ttl)
		return nil
	}
	return d.store.Set(ctx, ref.key, dedupDone, d.ttl)
}

// release gives the claim up after a failed run; ran (the functions that
// succeeded, this run and before) is recorded for the next claim.
func (d *deduper) release(ctx context.Context, ref dedupRef, ran fnSet) error {
	if d == nil {
		return nil
	}
	if d.local != nil {
		d.local.set(ref.local, localFailed, ran, d.ttl)
		return nil
	}
	if !ran.empty() {
		err := d.store.Set(ctx, ref.key+dedupRanSuffix, d.ranValue(ran), d.ttl)
		if err == nil {
			_, err = d.store.CompareAndSwap(ctx, ref.key, dedupPending, dedupFailed, d.ttl)
			return err
		}
		// not recorded: release plainly, everything runs again
		if _, rerr := d.store.CompareAndSwap(ctx, ref.key, dedupPending, "", 0); rerr != nil {
			return errors.Join(err, rerr)
		}
		return fmt.Errorf("recording the functions that succeeded: %w", err)
	}
	_, err := d.store.CompareAndSwap(ctx, ref.key, dedupPending, "", 0)
	return err
}

// keep records ran (the functions that succeeded, this run and before)
// after a failed run whose claim stays pending: a durable queue retries it.
func (d *deduper) keep(ctx context.Context, ref dedupRef, ran fnSet) error {
	if d == nil || ran.empty() {
		return nil
	}
	if d.local != nil {
		d.local.set(ref.local, localPending, ran, d.ttl)
		return nil
	}
	return d.store.Set(ctx, ref.key+dedupRanSuffix, d.ranValue(ran), d.ttl)
}
