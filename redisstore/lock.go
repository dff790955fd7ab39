package redisstore

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lock waits.
const (
	// DefaultLockTTL is the lifetime of a lock taken with ttl <= 0.
	DefaultLockTTL = 30 * time.Second
	lockPollMin    = 5 * time.Millisecond
	lockPollMax    = 100 * time.Millisecond
	unlockTimeout  = 5 * time.Second
)

// unlockScript deletes the lock only while it still holds the caller's
// random value: a lock that expired and was taken by another instance is
// left alone.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Lock implements wecom.Locker across every instance sharing the store: SET
// NX PX with a random value, polled (5 to 100 ms, with jitter) until it is
// free or ctx ends. The lock expires after ttl (DefaultLockTTL when ttl <=
// 0) even if unlock is never called; unlock releases it only while it is
// still the caller's. A Client fetching a token re-reads the Store after
// taking the lock, so N instances starting cold fetch the token once.
//
// When Redis fails (not when ctx ends), Lock degrades to a lock of this
// process alone (and logs a warning at most once a minute): holders on one
// instance still take turns, holders on different instances may overlap
// until Redis answers. What the SDK locks bears that: a token is then
// fetched once per instance instead of once in all, a media file uploaded
// once per instance, a serial call (wecom.Client.Serial) may meet another
// instance's and be refused by WeCom. See the package doc's "When Redis
// goes away".
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if ttl <= 0 {
		ttl = DefaultLockTTL
	}
	var b [16]byte
	if _, err := crand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("redisstore: lock %s: %w", key, err)
	}
	token := hex.EncodeToString(b[:])
	rk := s.key(key)
	wait := lockPollMin
	for {
		if !s.tryRedis() {
			return s.localLock(ctx, key)
		}
		ok, err := s.rdb.SetNX(ctx, rk, token, expiry(ttl)).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			s.redisFailed()
			s.warnDegraded(ctx, "lock", "redisstore: Redis failed taking a lock; using a lock of this process alone until it answers",
				"key", key, "err", err)
			return s.localLock(ctx, key)
		}
		s.redisAnswered()
		if ok {
			var once sync.Once
			return func() {
				once.Do(func() {
					uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
					defer cancel()
					if err := unlockScript.Run(uctx, s.rdb, []string{rk}, token).Err(); err != nil {
						s.logger.Warn("redisstore: unlock failed; the lock expires by itself", "key", key, "err", err)
					}
				})
			}, nil
		}
		d := wait/2 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, lockPollMax)
	}
}

// localLock is Lock's fallback while Redis fails: a lock of this process
// alone, held until unlock (or until ctx ends while waiting).
func (s *Store) localLock(ctx context.Context, key string) (func(), error) {
	for {
		s.lmu.Lock()
		if s.locks == nil {
			s.locks = map[string]chan struct{}{}
		}
		held, busy := s.locks[key]
		if !busy {
			ch := make(chan struct{})
			s.locks[key] = ch
			s.lmu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					s.lmu.Lock()
					delete(s.locks, key)
					s.lmu.Unlock()
					close(ch)
				})
			}, nil
		}
		s.lmu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// warnDegraded logs that a part of the store (what) works without Redis,
// at most once a minute per part.
func (s *Store) warnDegraded(ctx context.Context, what, msg string, args ...any) {
	now := time.Now()
	s.lmu.Lock()
	if s.warned == nil {
		s.warned = map[string]time.Time{}
	}
	quiet := now.Sub(s.warned[what]) < time.Minute
	if !quiet {
		s.warned[what] = now
	}
	s.lmu.Unlock()
	if !quiet {
		s.logger.WarnContext(ctx, msg, args...)
	}
}
