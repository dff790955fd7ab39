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
		ok, err := s.rdb.SetNX(ctx, rk, token, expiry(ttl)).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("redisstore: lock %s: %w", key, err)
		}
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
