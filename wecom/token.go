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
	// same stale token cause one fetch, not many.
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
type tokenCache struct {
	key    string // Store key; holds no secret
	store  Store
	fetch  FetchFunc
	logger *slog.Logger
	now    func() time.Time

	sf         singleflight.Group
	cur        atomic.Pointer[cachedToken]
	refreshing atomic.Bool
	rejected   atomic.Bool // Invalidate dropped the token in memory

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
	} else if c.rejected.Load() {
		why = FetchRejected
	}
	return c.load(ctx, why)
}

// load waits for the shared fetch, or for ctx to end. The fetch itself does
// not depend on the context of whichever caller started it.
func (c *tokenCache) load(ctx context.Context, why FetchReason) (string, error) {
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
		return r.Val.(*cachedToken).value, nil
	}
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
	if t := c.fromStore(ctx); c.fresh(t) {
		c.keep(t)
		return t, true, nil
	}
	if l, ok := c.store.(Locker); ok {
		unlock, err := l.Lock(ctx, c.key+":lock", fetchTimeout)
		if err != nil {
			return nil, false, fmt.Errorf("wecom: lock token %s: %w", c.key, err)
		}
		defer unlock()
		if t := c.fromStore(ctx); c.fresh(t) {
			c.keep(t)
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
	if err := c.store.Set(ctx, c.key, encodeToken(t), ttl); err != nil {
		c.logger.Warn("wecom: storing token failed; using it from memory", "key", c.key, "error", err)
	}
	c.keep(t)
	c.logger.Debug("wecom: fetched token", "key", c.key, "expires_in", ttl)
	return t, false, nil
}

// keep makes t the token in memory.
func (c *tokenCache) keep(t *cachedToken) {
	c.cur.Store(t)
	c.rejected.Store(false)
}

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
	return t
}

// Invalidate implements TokenSource.
func (c *tokenCache) Invalidate(ctx context.Context, token string) error {
	if t := c.cur.Load(); t != nil && t.value == token {
		if c.cur.CompareAndSwap(t, nil) {
			c.rejected.Store(true)
		}
	}
	raw, ok, err := c.store.Get(ctx, c.key)
	if err != nil || !ok {
		return err
	}
	if t, ok := decodeToken(raw); ok && t.value == token {
		_, err = c.store.CompareAndSwap(ctx, c.key, raw, "", 0)
	}
	return err
}
