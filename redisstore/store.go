package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/wecom"
)

// DefaultPrefix starts every Redis key the package writes.
const DefaultPrefix = "scrm:"

// keyCheckName is the key (under the prefix) of the value that tells
// whether a store was opened with the key its values were encrypted with.
const keyCheckName = "redisstore:keycheck"

const keyCheckValue = "scrmkit redisstore key check v1"

// Store is a wecom.Store and wecom.Locker on Redis, shared by every
// instance that opens it with the same prefix: tokens, suite tickets,
// permanent codes, the authorized-corp index, callback de-dup claims, and
// whatever else the SDK keeps in a wecom.Store (channel-code mappings,
// media-id caches). It also builds the shared Limiter (NewLimiter) and the
// durable callback Queue (NewQueue).
//
// With WithEncryptionKey, values are encrypted at rest with AES-GCM
// (every value except callback de-dup markers, unless WithEncryptedKeys
// says otherwise). A Store is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	seal    *sealer
	encrypt func(key string) bool
	plain   bool
	logger  *slog.Logger

	lmu    sync.Mutex
	locks  map[string]chan struct{} // Lock's fallback while Redis fails
	warned map[string]time.Time     // warnDegraded: last warning per part
	// downUntil (Unix ns; 0: Redis answers) is when the limiter and the
	// lock try Redis again after it failed them (see tryRedis).
	downUntil atomic.Int64
}

var (
	_ wecom.Store  = (*Store)(nil)
	_ wecom.Locker = (*Store)(nil)
)

// Option configures a Store. Options only record settings; New reports
// the invalid ones.
type Option func(*config)

type config struct {
	prefix      string
	keys        [][]byte // current encryption key first, then previous ones
	encrypt     func(key string) bool
	encryptNil  bool // WithEncryptedKeys(nil)
	unencrypted bool
	logger      *slog.Logger
}

// WithPrefix sets what every Redis key starts with (default "scrm:"). Give
// every instance that shares state the same prefix, and separate
// applications (or environments) sharing one Redis with different ones.
func WithPrefix(p string) Option {
	return func(c *config) { c.prefix = p }
}

// WithEncryptionKey encrypts values at rest with AES-GCM under key (16, 24
// or 32 bytes: AES-128/192/256; keep it out of Redis, e.g. in a secret
// manager). previous keys are still accepted for reading, so that a key can
// be rotated: values are re-encrypted with key as they are written again.
// A value encrypted under a key not given fails with ErrWrongKey, and New
// refuses a store whose key check was written under another key, or a key
// of the wrong length.
func WithEncryptionKey(key []byte, previous ...[]byte) Option {
	return func(c *config) { c.keys = append([][]byte{key}, previous...) }
}

// WithEncryptedKeys chooses which keys (as the SDK names them, without the
// prefix) have their values encrypted when WithEncryptionKey is given. The
// default encrypts every key except callback de-dup markers
// ("scrm:callback:seen:..." holds "pending" or "done"). Values of other keys
// are compared inside Redis by a script; encrypted ones through WATCH. A nil
// function is reported by New.
func WithEncryptedKeys(match func(key string) bool) Option {
	return func(c *config) { c.encrypt, c.encryptNil = match, match == nil }
}

// WithoutEncryption lets a store with an encryption key read values stored
// without encryption (written before encryption was turned on) instead of
// failing with ErrNotEncrypted; they are encrypted when next written. It
// switches a safety off: without it, a plain-text value where an encrypted
// one belongs is refused, so that nobody can plant one.
func WithoutEncryption() Option {
	return func(c *config) { c.unencrypted = true }
}

// WithLogger sets the logger (default: silent). Values are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

func defaultEncrypted(key string) bool { return !strings.HasPrefix(key, "scrm:callback:seen:") }

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient or
// any redis.UniversalClient; the caller closes it). It reports invalid
// options, checks that Redis answers and, with an encryption key, that the
// store's key check (written by the first instance) was encrypted with one
// of the keys given: a store opened with the wrong key fails here with
// ErrWrongKey instead of returning garbage later. A store opened without a
// key where one was used fails with ErrNoKey.
func New(ctx context.Context, rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	c := config{prefix: DefaultPrefix, encrypt: defaultEncrypted}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.encryptNil {
		return nil, errors.New("redisstore: WithEncryptedKeys was given a nil function")
	}
	s := &Store{rdb: rdb, prefix: c.prefix, encrypt: c.encrypt, plain: c.unencrypted, logger: c.logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if len(c.keys) > 0 {
		sl, err := newSealer(c.keys[0], c.keys[1:]...)
		if err != nil {
			return nil, err
		}
		s.seal = sl
	}
	if err := s.checkKey(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// checkKey writes the key check if there is none, else opens it.
func (s *Store) checkKey(ctx context.Context) error {
	rk := s.key(keyCheckName)
	raw, err := s.rdb.Get(ctx, rk).Result()
	if errors.Is(err, redis.Nil) {
		if s.seal == nil {
			return nil
		}
		v, err := s.seal.seal(keyCheckName, keyCheckValue)
		if err != nil {
			return err
		}
		if err := s.rdb.SetNX(ctx, rk, v, 0).Err(); err != nil {
			return fmt.Errorf("redisstore: writing the key check %s: %w", rk, err)
		}
		return s.checkKey(ctx) // another instance may have written one first
	}
	if err != nil {
		return fmt.Errorf("redisstore: reading the key check %s: %w", rk, err)
	}
	pt, err := s.seal.open(keyCheckName, raw)
	if err != nil {
		return fmt.Errorf("redisstore: key check %s: %w", rk, err)
	}
	if pt != keyCheckValue {
		return fmt.Errorf("redisstore: key check %s: %w", rk, ErrTampered)
	}
	if s.seal.cur.id != strings.SplitN(strings.TrimPrefix(raw, sealedPrefix), ":", 2)[0] {
		// written under a previous key: rotate it to the current one
		v, err := s.seal.seal(keyCheckName, keyCheckValue)
		if err == nil {
			err = s.rdb.Set(ctx, rk, v, 0).Err()
		}
		if err != nil {
			s.logger.WarnContext(ctx, "redisstore: rotating the key check failed", "key", rk, "err", err)
		}
	}
	return nil
}

// Client returns the Redis client the store was opened on.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }

func (s *Store) key(name string) string { return s.prefix + name }

func (s *Store) encrypted(key string) bool { return s.seal != nil && s.encrypt(key) }

// decode turns a stored value into the caller's.
func (s *Store) decode(key, raw string) (string, error) {
	if isSealed(raw) {
		v, err := s.seal.open(key, raw)
		if err != nil {
			return "", fmt.Errorf("redisstore: key %s: %w", key, err)
		}
		return v, nil
	}
	if s.encrypted(key) && !s.plain {
		return "", fmt.Errorf("redisstore: key %s: %w", key, ErrNotEncrypted)
	}
	return raw, nil
}

func (s *Store) encode(key, value string) (string, error) {
	if !s.encrypted(key) {
		return value, nil
	}
	return s.seal.seal(key, value)
}

// Get implements wecom.Store.
func (s *Store) Get(ctx context.Context, key string) (string, bool, error) {
	raw, err := s.rdb.Get(ctx, s.key(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("redisstore: get %s: %w", key, err)
	}
	v, err := s.decode(key, raw)
	if err != nil {
		return "", false, err
	}
	return v, true, nil
}

// Set implements wecom.Store.
func (s *Store) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	v, err := s.encode(key, value)
	if err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.key(key), v, expiry(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: set %s: %w", key, err)
	}
	return nil
}

// expiry maps the Store's "0: no expiry" onto go-redis (where 0 is none
// too) and keeps sub-millisecond TTLs from becoming "no expiry".
func expiry(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	if ttl < time.Millisecond {
		return time.Millisecond
	}
	return ttl
}

// Delete implements wecom.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.key(key)).Err(); err != nil {
		return fmt.Errorf("redisstore: delete %s: %w", key, err)
	}
	return nil
}

// casScript swaps a plain-text value atomically.
// KEYS[1] key; ARGV: old ("" = absent), new ("" = delete), ttl ms (0 = none).
var casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1`)

// casRetries bounds the WATCH rounds of an encrypted CompareAndSwap that
// keep losing to concurrent writers.
const casRetries = 32

// CompareAndSwap implements wecom.Store. Plain-text keys swap in one
// script; encrypted ones compare the decrypted value under WATCH.
func (s *Store) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	rk := s.key(key)
	if !s.encrypted(key) {
		n, err := casScript.Run(ctx, s.rdb, []string{rk}, old, value, expiry(ttl).Milliseconds()).Int()
		if err != nil {
			return false, fmt.Errorf("redisstore: compare-and-swap %s: %w", key, err)
		}
		return n == 1, nil
	}
	sealed := ""
	if value != "" {
		var err error
		if sealed, err = s.seal.seal(key, value); err != nil {
			return false, err
		}
	}
	for range casRetries {
		swapped := false
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			raw, err := tx.Get(ctx, rk).Result()
			missing := errors.Is(err, redis.Nil)
			if err != nil && !missing {
				return err
			}
			if old == "" {
				if !missing {
					return nil
				}
			} else {
				if missing {
					return nil
				}
				cur, err := s.decode(key, raw)
				if err != nil {
					return err
				}
				if cur != old {
					return nil
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if sealed == "" {
					p.Del(ctx, rk)
				} else {
					p.Set(ctx, rk, sealed, expiry(ttl))
				}
				return nil
			})
			swapped = err == nil
			return err
		}, rk)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			if errors.Is(err, ErrWrongKey) || errors.Is(err, ErrTampered) || errors.Is(err, ErrNotEncrypted) || errors.Is(err, ErrNoKey) {
				return false, err
			}
			return false, fmt.Errorf("redisstore: compare-and-swap %s: %w", key, err)
		}
		return swapped, nil
	}
	return false, fmt.Errorf("redisstore: compare-and-swap %s: the key kept changing over %d attempts", key, casRetries)
}

// degradedRetry is how long the limiter and the lock, which have fallbacks
// of their own, leave Redis alone after it failed them, so that each call
// does not pay for a failing round trip (go-redis's dials and retries take
// from tens of milliseconds to seconds); then one call tries it again.
const degradedRetry = time.Second

// tryRedis reports whether the limiter or the lock should ask Redis: yes
// while it answers; while it is known to fail, only one caller per
// degradedRetry, which probes it.
func (s *Store) tryRedis() bool {
	until := s.downUntil.Load()
	if until == 0 {
		return true
	}
	now := time.Now().UnixNano()
	if now < until {
		return false
	}
	return s.downUntil.CompareAndSwap(until, now+int64(degradedRetry))
}

// redisAnswered records that Redis answered the limiter or the lock.
func (s *Store) redisAnswered() {
	if s.downUntil.Load() != 0 {
		s.downUntil.Store(0)
	}
}

// redisFailed records that Redis failed the limiter or the lock.
func (s *Store) redisFailed() {
	s.downUntil.Store(time.Now().Add(degradedRetry).UnixNano())
}
