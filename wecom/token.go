package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// TokenSource hands out access tokens for one app of one corp. The client
// calls Token before every request and Invalidate when WeCom rejects the
// token it was given (40014/42001), then asks again once.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	// Invalidate drops token if it is still the cached one. A token that was
	// already replaced is left alone, so that many callers failing with the
	// same stale token cause one fetch, not many. Once Invalidate has
	// returned, Token must never return token again (the client repeats the
	// rejected call once, with whatever Token gives).
	Invalidate(ctx context.Context, token string) error
}

// FetchFunc obtains a fresh token from WeCom, uncached, with its lifetime.
type FetchFunc func(ctx context.Context) (token string, expiresIn time.Duration, err error)

// Token timing. A token is refreshed in the background once less than
// refreshAhead of its life is left; callers keep using it meanwhile. Only
// when less than expirySlack is left do callers wait for a new one.
const (
	refreshAhead = 5 * time.Minute
	expirySlack  = 30 * time.Second
	fetchTimeout = 30 * time.Second
)

// tokenCache is the TokenSource behind every client: an in-process copy in
// front of a Store entry, with one fetch per key at a time (singleflight in
// the process, the Store's lock across processes when it has one).
//
// # A rejected token is never handed out again
//
// When WeCom rejects a token (40014, 42001, ...), every call that fails
// with it repeats once with another token; no call on any instance may be
// sent with the rejected one again. Invalidate therefore, in this order:
//
//  1. remembers the token's fingerprint in the process (rejected) and drops
//     the copy in memory, under mu, which keep also takes: from then on no
//     read of the Store, no fetch in flight and no refresh can make the
//     token current in this process again;
//  2. leaves a tombstone in the Store, keyed by the token's fingerprint
//     (never the token), for as long as the token could still be found in
//     the Store: an instance that reads the token from the Store checks it
//     and refuses the token;
//  3. deletes the Store's copy if it is still that token (a newer token
//     another instance stored is left alone).
//
// A read of the Store that happened before step 2 may still give the old
// token to another instance; that instance's own calls then fail with it,
// and its Invalidate makes it refuse the token in turn. An instance that
// holds the token in memory drops it on its own rejection or its next read
// of the Store (a refresh), whichever comes first.
type tokenCache struct {
	key    string // Store key; holds no secret
	store  Store
	fetch  FetchFunc
	logger *slog.Logger
	now    func() time.Time

	sf         singleflight.Group
	cur        atomic.Pointer[cachedToken]
	refreshing atomic.Bool
	dropped    atomic.Bool // Invalidate dropped the token in memory: the next fetch is FetchRejected

	mu       sync.Mutex               // orders keep against Invalidate's drop; guards rejected
	rejected [rememberRejected]string // fingerprints of the tokens rejected last (ring)
	next     int                      // where the next fingerprint goes in rejected

	// The Observer (nil: none) and whose token this is.
	obs         Observer
	kind        TokenKind
	id, suiteID string
}

type cachedToken struct {
	value     string
	expiresAt time.Time
}

func newTokenCache(key string, store Store, fetch FetchFunc, logger *slog.Logger, now func() time.Time) *tokenCache {
	return &tokenCache{key: key, store: store, fetch: fetch, logger: logger, now: now}
}

// rememberRejected is how many rejected tokens a process remembers: a
// token is rejected about once per expiry, so the last few are the only
// ones that can still be around.
const rememberRejected = 8

// Tombstone lifetime bounds. A tombstone must outlive every copy of the
// token in the Store (the token's remaining life, at most expires_in);
// it is kept at least a minute so that a Store whose clock runs ahead does
// not drop it before the readers in flight have checked it.
const (
	minTombstoneTTL = time.Minute
	maxTombstoneTTL = 7200*time.Second + time.Minute
)

// tokenFingerprint names a token in the Store's tombstone keys and in
// memory without revealing it: a truncated SHA-256 under a fixed label.
func tokenFingerprint(token string) string {
	h := sha256.Sum256([]byte("scrmkit rejected token\x00" + token))
	return hex.EncodeToString(h[:12])
}

// tombstoneKey is the Store key that marks the token of fingerprint fp as
// rejected.
func (c *tokenCache) tombstoneKey(fp string) string { return c.key + ":rejected:" + fp }

// secretFingerprint names a secret in a cache key without revealing it: a
// truncated SHA-256 of the secret under a fixed label. Two apps of one corp
// get different keys; the secret cannot be recovered from the key.
func secretFingerprint(secret string) string {
	h := sha256.Sum256([]byte("scrmkit token key\x00" + secret))
	return hex.EncodeToString(h[:8])
}

func encodeToken(t *cachedToken) string {
	return strconv.FormatInt(t.expiresAt.UnixMilli(), 10) + ":" + t.value
}

func decodeToken(s string) (*cachedToken, bool) {
	ms, tok, ok := strings.Cut(s, ":")
	if !ok || tok == "" {
		return nil, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return nil, false
	}
	return &cachedToken{value: tok, expiresAt: time.UnixMilli(n)}, true
}

// Token implements TokenSource.
func (c *tokenCache) Token(ctx context.Context) (string, error) {
	why := FetchCold
	if t := c.cur.Load(); t != nil {
		left := t.expiresAt.Sub(c.now())
		if left > expirySlack {
			if left < refreshAhead {
				c.refreshInBackground()
			}
			return t.value, nil
		}
		why = FetchExpired
	} else if c.dropped.Load() {
		why = FetchRejected
	}
	return c.load(ctx, why)
}

// load waits for the shared fetch, or for ctx to end. The fetch itself does
// not depend on the context of whichever caller started it.
//
// A fetch that was under way when the caller's token was rejected may have
// read that very token from the Store before the rejection was recorded:
// its answer is checked again here, and a rejected token is never returned
// (the next fetch starts after the rejection, so it cannot give it again,
// unless WeCom itself hands the token out anew).
func (c *tokenCache) load(ctx context.Context, why FetchReason) (string, error) {
	for range 3 {
		ch := c.sf.DoChan(c.key, func() (any, error) {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
			defer cancel()
			return c.obtain(fctx, why)
		})
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case r := <-ch:
			if r.Err != nil {
				return "", r.Err
			}
			t := r.Val.(*cachedToken)
			if !c.isRejected(tokenFingerprint(t.value)) {
				return t.value, nil
			}
			why = FetchRejected
		}
	}
	return "", fmt.Errorf("wecom: token %s: every token obtained was one WeCom had rejected; try again", c.key)
}

func (c *tokenCache) refreshInBackground() {
	if !c.refreshing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.refreshing.Store(false)
		ch := c.sf.DoChan(c.key, func() (any, error) {
			ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
			defer cancel()
			return c.obtain(ctx, FetchRefreshAhead)
		})
		if r := <-ch; r.Err != nil {
			c.logger.Warn("wecom: background token refresh failed; the current token stays in use",
				"key", c.key, "error", r.Err)
		}
	}()
}

// fresh reports whether t may be handed out without a refresh.
func (c *tokenCache) fresh(t *cachedToken) bool {
	return t != nil && t.expiresAt.Sub(c.now()) >= refreshAhead
}

// obtain returns a token with more than refreshAhead of life, observed.
func (c *tokenCache) obtain(ctx context.Context, why FetchReason) (*cachedToken, error) {
	if c.obs == nil {
		t, _, err := c.obtainToken(ctx)
		return t, err
	}
	start := time.Now()
	t, fromStore, err := c.obtainToken(ctx)
	c.obs.TokenFetch(ctx, TokenFetchInfo{Kind: c.kind, ID: c.id, SuiteID: c.suiteID, Reason: why,
		FromStore: fromStore, Err: err, Duration: time.Since(start)})
	return t, err
}

// obtainToken returns a token with more than refreshAhead of life: the
// Store's, if another process (or an earlier fetch) left one (fromStore),
// else a new one.
func (c *tokenCache) obtainToken(ctx context.Context) (t *cachedToken, fromStore bool, err error) {
	if t := c.fromStore(ctx); c.fresh(t) && c.keep(t) {
		return t, true, nil
	}
	if l, ok := c.store.(Locker); ok {
		unlock, err := l.Lock(ctx, c.key+":lock", fetchTimeout)
		if err != nil {
			return nil, false, fmt.Errorf("wecom: lock token %s: %w", c.key, err)
		}
		defer unlock()
		if t := c.fromStore(ctx); c.fresh(t) && c.keep(t) {
			return t, true, nil
		}
	}
	tok, ttl, err := c.fetch(ctx)
	if err != nil {
		return nil, false, err
	}
	if tok == "" {
		return nil, false, errors.New("wecom: token endpoint returned an empty token")
	}
	if ttl <= 0 {
		ttl = 7200 * time.Second
	}
	t = &cachedToken{value: tok, expiresAt: c.now().Add(ttl)}
	if fp := tokenFingerprint(tok); c.forgive(fp) {
		// WeCom handed out a token it had rejected (it answers the same
		// token until it expires, and a rejection may have been a fault of
		// its own): it vouches for it again.
		if err := c.store.Delete(ctx, c.tombstoneKey(fp)); err != nil {
			c.logger.Warn("wecom: removing a token's rejection mark failed", "key", c.key, "error", err)
		}
	}
	if err := c.store.Set(ctx, c.key, encodeToken(t), ttl); err != nil {
		c.logger.Warn("wecom: storing token failed; using it from memory", "key", c.key, "error", err)
	}
	c.keep(t)
	c.logger.Debug("wecom: fetched token", "key", c.key, "expires_in", ttl)
	return t, false, nil
}

// keep makes t the token in memory, unless it was rejected; it reports
// whether it did.
func (c *tokenCache) keep(t *cachedToken) bool {
	fp := tokenFingerprint(t.value)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rejectedLocked(fp) {
		return false
	}
	c.cur.Store(t)
	c.dropped.Store(false)
	return true
}

// isRejected reports whether the token of fingerprint fp was rejected in
// this process (or found with a tombstone in the Store).
func (c *tokenCache) isRejected(fp string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rejectedLocked(fp)
}

func (c *tokenCache) rejectedLocked(fp string) bool {
	for _, r := range c.rejected {
		if r == fp {
			return true
		}
	}
	return false
}

// reject remembers the token of fingerprint fp as rejected and drops it
// from memory if it is the current one (expires is then its expiry). It
// reports whether the token was new to the process's list (false: another
// caller recorded it already).
func (c *tokenCache) reject(fp, token string) (first bool, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.cur.Load(); t != nil && t.value == token {
		c.cur.Store(nil)
		c.dropped.Store(true)
		expires = t.expiresAt
	}
	if c.rejectedLocked(fp) {
		return false, expires
	}
	c.rejected[c.next] = fp
	c.next = (c.next + 1) % len(c.rejected)
	return true, expires
}

// forgive removes fp from the rejected tokens; it reports whether it was
// there.
func (c *tokenCache) forgive(fp string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	found := false
	for i, r := range c.rejected {
		if r == fp {
			c.rejected[i] = ""
			found = true
		}
	}
	return found
}

// fromStore returns the Store's token, unless it was rejected: in this
// process, or on any instance that left a tombstone for it.
func (c *tokenCache) fromStore(ctx context.Context) *cachedToken {
	raw, ok, err := c.store.Get(ctx, c.key)
	if err != nil {
		c.logger.Warn("wecom: reading token from store failed", "key", c.key, "error", err)
		return nil
	}
	if !ok {
		return nil
	}
	t, ok := decodeToken(raw)
	if !ok {
		return nil
	}
	fp := tokenFingerprint(t.value)
	if c.isRejected(fp) {
		return nil
	}
	_, dead, err := c.store.Get(ctx, c.tombstoneKey(fp))
	if err != nil {
		// Unknown: a fetch replaces a token that cannot be vouched for.
		c.logger.Warn("wecom: reading token's rejection mark from store failed", "key", c.key, "error", err)
		return nil
	}
	if dead {
		c.reject(fp, t.value)
		return nil
	}
	return t
}

// Invalidate implements TokenSource: see tokenCache for the order of its
// steps. Of many callers rejected with the same token, the first records
// the rejection in the Store; the others have nothing left to do.
func (c *tokenCache) Invalidate(ctx context.Context, token string) error {
	fp := tokenFingerprint(token)
	first, expires := c.reject(fp, token)
	if !first {
		return nil
	}
	// The tombstone must outlive the token: its remaining life when this
	// process held it, else the longest life WeCom gives.
	ttl := maxTombstoneTTL
	if !expires.IsZero() {
		ttl = min(max(expires.Sub(c.now())+minTombstoneTTL, minTombstoneTTL), maxTombstoneTTL)
	}
	terr := c.store.Set(ctx, c.tombstoneKey(fp), "1", ttl)
	raw, ok, err := c.store.Get(ctx, c.key)
	if err == nil && ok {
		if t, ok := decodeToken(raw); ok && t.value == token {
			_, err = c.store.CompareAndSwap(ctx, c.key, raw, "", 0)
		}
	}
	return errors.Join(terr, err)
}
