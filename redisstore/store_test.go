package redisstore

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestStoreContract(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, enc := range []bool{false, true} {
			t.Run("encrypted="+strconv.FormatBool(enc), func(t *testing.T) {
				var opts []Option
				if enc {
					opts = append(opts, WithEncryptionKey(testKey(1)))
				}
				s := open(t, b, testPrefix(t, b), opts...)
				ctx := t.Context()

				_, ok, err := s.Get(ctx, "wecom:a")
				require.NoError(t, err)
				require.False(t, ok)

				require.NoError(t, s.Set(ctx, "wecom:a", "v1", 0))
				v, ok, err := s.Get(ctx, "wecom:a")
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, "v1", v)
				ttl, err := s.rdb.PTTL(ctx, s.key("wecom:a")).Result()
				require.NoError(t, err)
				assert.Less(t, ttl, time.Duration(0), "ttl 0 means no expiry")

				require.NoError(t, s.Set(ctx, "wecom:b", "v2", time.Minute))
				ttl, err = s.rdb.PTTL(ctx, s.key("wecom:b")).Result()
				require.NoError(t, err)
				assert.True(t, ttl > 50*time.Second && ttl <= time.Minute, "ttl %v", ttl)

				// CompareAndSwap: "" old means absent
				ok, err = s.CompareAndSwap(ctx, "wecom:a", "", "x", 0)
				require.NoError(t, err)
				require.False(t, ok)
				ok, err = s.CompareAndSwap(ctx, "wecom:a", "other", "x", 0)
				require.NoError(t, err)
				require.False(t, ok)
				ok, err = s.CompareAndSwap(ctx, "wecom:a", "v1", "v3", time.Minute)
				require.NoError(t, err)
				require.True(t, ok)
				v, _, _ = s.Get(ctx, "wecom:a")
				require.Equal(t, "v3", v)
				ttl, _ = s.rdb.PTTL(ctx, s.key("wecom:a")).Result()
				assert.True(t, ttl > 50*time.Second, "ttl %v", ttl)
				ok, err = s.CompareAndSwap(ctx, "wecom:new", "", "n", 0)
				require.NoError(t, err)
				require.True(t, ok)
				// an empty value deletes
				ok, err = s.CompareAndSwap(ctx, "wecom:a", "v3", "", 0)
				require.NoError(t, err)
				require.True(t, ok)
				_, ok, _ = s.Get(ctx, "wecom:a")
				require.False(t, ok)

				require.NoError(t, s.Delete(ctx, "wecom:b"))
				require.NoError(t, s.Delete(ctx, "wecom:b"), "deleting a missing key is fine")
				_, ok, _ = s.Get(ctx, "wecom:b")
				require.False(t, ok)

				if b.mini != nil {
					require.NoError(t, s.Set(ctx, "wecom:short", "s", time.Second))
					b.mini.FastForward(2 * time.Second)
					_, ok, _ = s.Get(ctx, "wecom:short")
					require.False(t, ok, "expired")
				}
			})
		}
	})
}

// Concurrent CompareAndSwap increments lose no update, in plain text (one
// script) and encrypted (WATCH), across instances.
func TestCompareAndSwapIsAtomicAcrossInstances(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, enc := range []bool{false, true} {
			t.Run("encrypted="+strconv.FormatBool(enc), func(t *testing.T) {
				prefix := testPrefix(t, b)
				var opts []Option
				if enc {
					opts = append(opts, WithEncryptionKey(testKey(1)))
				}
				const instances, each = 4, 25
				var wg sync.WaitGroup
				for range instances {
					s := open(t, b, prefix, opts...)
					wg.Add(1)
					go func() {
						defer wg.Done()
						ctx := t.Context()
						for range each {
							for {
								cur, _, err := s.Get(ctx, "wecom:counter")
								if !assert.NoError(t, err) {
									return
								}
								n, _ := strconv.Atoi(cur)
								ok, err := s.CompareAndSwap(ctx, "wecom:counter", cur, strconv.Itoa(n+1), 0)
								if !assert.NoError(t, err) {
									return
								}
								if ok {
									break
								}
							}
						}
					}()
				}
				wg.Wait()
				s := open(t, b, prefix, opts...)
				v, _, err := s.Get(t.Context(), "wecom:counter")
				require.NoError(t, err)
				require.Equal(t, strconv.Itoa(instances*each), v)
			})
		}
	})
}

func TestEncryptionAtRest(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		prefix := testPrefix(t, b)
		s := open(t, b, prefix, WithEncryptionKey(testKey(1)))
		const code = "PERMANENT-CODE-secret-123"
		require.NoError(t, s.Set(ctx, "wecom:suite:ww1:corp:wc1:permanent_code", code, 0))
		raw, err := s.rdb.Get(ctx, prefix+"wecom:suite:ww1:corp:wc1:permanent_code").Result()
		require.NoError(t, err)
		assert.NotContains(t, raw, code)
		assert.True(t, isSealed(raw))
		v, _, err := s.Get(ctx, "wecom:suite:ww1:corp:wc1:permanent_code")
		require.NoError(t, err)
		assert.Equal(t, code, v)

		// de-dup markers stay plain (compared by a script)
		require.NoError(t, s.Set(ctx, "scrm:callback:seen:abc", "done", time.Minute))
		raw, _ = s.rdb.Get(ctx, prefix+"scrm:callback:seen:abc").Result()
		assert.Equal(t, "done", raw)

		// a value moved to another key fails authentication
		require.NoError(t, s.rdb.Set(ctx, prefix+"wecom:moved", mustGet(t, s, prefix+"wecom:suite:ww1:corp:wc1:permanent_code"), 0).Err())
		_, _, err = s.Get(ctx, "wecom:moved")
		require.ErrorIs(t, err, ErrTampered)
		// a changed value too
		sealed := mustGet(t, s, prefix+"wecom:suite:ww1:corp:wc1:permanent_code")
		require.NoError(t, s.rdb.Set(ctx, prefix+"wecom:suite:ww1:corp:wc1:permanent_code", sealed[:len(sealed)-2]+"AA", 0).Err())
		_, _, err = s.Get(ctx, "wecom:suite:ww1:corp:wc1:permanent_code")
		require.ErrorIs(t, err, ErrTampered)
		assert.NotContains(t, err.Error(), code)

		// a plain-text value where an encrypted one belongs
		require.NoError(t, s.rdb.Set(ctx, prefix+"wecom:plain", "legacy", 0).Err())
		_, _, err = s.Get(ctx, "wecom:plain")
		require.ErrorIs(t, err, ErrNotEncrypted)
		lax := open(t, b, prefix, WithEncryptionKey(testKey(1)), WithoutEncryption())
		v, _, err = lax.Get(ctx, "wecom:plain")
		require.NoError(t, err)
		assert.Equal(t, "legacy", v)
		ok, err := lax.CompareAndSwap(ctx, "wecom:plain", "legacy", "migrated", 0)
		require.NoError(t, err)
		require.True(t, ok)
		raw, _ = s.rdb.Get(ctx, prefix+"wecom:plain").Result()
		assert.True(t, isSealed(raw), "re-written encrypted")

		// WithEncryptedKeys narrows what is encrypted
		narrow := open(t, b, prefix, WithEncryptionKey(testKey(1)),
			WithEncryptedKeys(func(k string) bool { return strings.HasSuffix(k, ":permanent_code") }))
		require.NoError(t, narrow.Set(ctx, "wecom:token:x", "tok", 0))
		raw, _ = s.rdb.Get(ctx, prefix+"wecom:token:x").Result()
		assert.Equal(t, "tok", raw)
	})
}

func mustGet(t *testing.T, s *Store, redisKey string) string {
	t.Helper()
	v, err := s.rdb.Get(context.Background(), redisKey).Result()
	require.NoError(t, err)
	return v
}

func TestWrongKeyIsReported(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		prefix := testPrefix(t, b)
		s := open(t, b, prefix, WithEncryptionKey(testKey(1)))
		require.NoError(t, s.Set(ctx, "wecom:secret", "s3cret", 0))

		_, err := New(ctx, b.client(t), WithPrefix(prefix), WithEncryptionKey(testKey(2)))
		require.ErrorIs(t, err, ErrWrongKey)
		_, err = New(ctx, b.client(t), WithPrefix(prefix))
		require.ErrorIs(t, err, ErrNoKey)

		// rotation: the new key with the old one as previous reads old values
		// and rewrites the key check; then the old key alone is refused
		rot := open(t, b, prefix, WithEncryptionKey(testKey(2), testKey(1)))
		v, _, err := rot.Get(ctx, "wecom:secret")
		require.NoError(t, err)
		require.Equal(t, "s3cret", v)
		_, err = New(ctx, b.client(t), WithPrefix(prefix), WithEncryptionKey(testKey(1)))
		require.ErrorIs(t, err, ErrWrongKey)
		// a value sealed under a key the store was not given
		only2 := open(t, b, prefix, WithEncryptionKey(testKey(2)))
		_, _, err = only2.Get(ctx, "wecom:secret")
		require.ErrorIs(t, err, ErrWrongKey)
		_, err = only2.CompareAndSwap(ctx, "wecom:secret", "s3cret", "x", 0)
		require.ErrorIs(t, err, ErrWrongKey)

		// another prefix is another store
		other := open(t, b, testPrefix(t, b))
		_, ok, err := other.Get(ctx, "wecom:secret")
		require.NoError(t, err)
		require.False(t, ok)

		_, err = New(ctx, b.client(t), WithEncryptionKey([]byte("short")))
		require.Error(t, err)
		_, err = New(ctx, nil)
		require.Error(t, err)
		// Invalid options are reported by New, nil ones ignored.
		_, err = New(ctx, b.client(t), WithEncryptedKeys(nil))
		require.ErrorContains(t, err, "WithEncryptedKeys")
		_, err = New(ctx, b.client(t), WithPrefix(testPrefix(t, b)), nil, WithLogger(nil))
		require.NoError(t, err)
	})
}

// A Suite on an encrypted store keeps its permanent codes and tickets
// encrypted, and a second instance reads them.
func TestSuiteStateEncryptedAndShared(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		prefix := testPrefix(t, b)
		srv := wecomtest.NewServer(t)
		s1 := open(t, b, prefix, WithEncryptionKey(testKey(7)))
		suite1 := wecom.NewSuite("wwsuite1", "suite-secret", srv.SuiteOptions(wecom.WithStore(s1))...)
		require.NoError(t, suite1.SetTicket(ctx, "TICKET-1"))
		require.NoError(t, suite1.SetPermanentCode(ctx, "wwcorpA", "PCODE-A"))

		iter := s1.rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		n := 0
		for iter.Next(ctx) {
			raw, _ := s1.rdb.Get(ctx, iter.Val()).Result()
			assert.NotContains(t, raw, "PCODE-A")
			assert.NotContains(t, raw, "TICKET-1")
			n++
		}
		require.NoError(t, iter.Err())
		assert.GreaterOrEqual(t, n, 3)

		s2 := open(t, b, prefix, WithEncryptionKey(testKey(7)))
		suite2 := wecom.NewSuite("wwsuite1", "suite-secret", srv.SuiteOptions(wecom.WithStore(s2))...)
		ok, err := suite2.IsAuthorized(ctx, "wwcorpA")
		require.NoError(t, err)
		assert.True(t, ok)
		tk, _, err := s2.Get(ctx, "wecom:suite:wwsuite1:ticket")
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(tk, ":TICKET-1"), tk)
	})
}

// Callback de-dup claims shared through the store: a push answered by one
// instance is a duplicate on the other.
func TestDedupAcrossInstances(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var calls sync.Map
		count := func() int {
			n := 0
			calls.Range(func(_, v any) bool { n += v.(int); return true })
			return n
		}
		var mu sync.Mutex
		var pushers []*wecomtest.Pusher
		for i := range 2 {
			s := open(t, b, prefix, WithEncryptionKey(testKey(3)))
			h := newTestHandler(t, callback.WithDedupStore(s, time.Minute))
			h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
				mu.Lock()
				defer mu.Unlock()
				v, _ := calls.LoadOrStore(i, 0)
				calls.Store(i, v.(int)+1)
				return nil
			})
			pushers = append(pushers, servePusher(t, h))
		}
		ev := addEvent("wmDedup")
		for _, p := range pushers {
			res, err := p.Push(t.Context(), ev)
			require.NoError(t, err)
			require.Equal(t, "success", res.Body())
		}
		require.Equal(t, 1, count())
	})
}
