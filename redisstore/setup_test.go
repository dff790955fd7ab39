package redisstore

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Test backends: every unit test runs on miniredis; the same tests run
// against the real redis-server named by REDIS_ADDR (which .ci/run starts)
// when it answers. Without one they are skipped with a message, except
// under CI=true, where a missing Redis fails the run.

var (
	realOnce sync.Once
	realAddr string
	realErr  string
)

func probeReal() {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		realErr = "REDIS_ADDR is not set"
		return
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		realErr = "Redis at REDIS_ADDR=" + addr + " does not answer: " + err.Error()
		return
	}
	realAddr = addr
}

// realRedis returns the address of the real Redis, or skips the test (fails
// it under CI=true).
func realRedis(t testing.TB) string {
	t.Helper()
	realOnce.Do(probeReal)
	if realAddr == "" {
		msg := "integration test needs a real Redis: " + realErr + " (bash .ci/run starts one; or run redis-server and set REDIS_ADDR=127.0.0.1:6379)"
		require.NotEqual(t, "true", os.Getenv("CI"), msg)
		t.Skip(msg)
	}
	return realAddr
}

// backend is one Redis a test runs against.
type backend struct {
	name string
	addr string
	mini *miniredis.Miniredis // nil for the real Redis
}

// forEachBackend runs f as a subtest on miniredis and on the real Redis.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	t.Run("miniredis", func(t *testing.T) {
		t.Parallel()
		m := miniredis.RunT(t)
		f(t, backend{name: "miniredis", addr: m.Addr(), mini: m})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		f(t, backend{name: "redis", addr: realRedis(t)})
	})
}

// client returns a new client of b (one per simulated instance), closed at
// the end of the test.
func (b backend) client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: b.addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix is a key prefix of the test's own, so that tests sharing the
// real Redis never see each other's keys; its keys are deleted afterwards.
func testPrefix(t testing.TB, b backend) string {
	t.Helper()
	var r [4]byte
	_, _ = crand.Read(r[:])
	p := "test:" + strings.ReplaceAll(t.Name(), "/", ".") + ":" + hex.EncodeToString(r[:]) + ":"
	if b.mini == nil {
		t.Cleanup(func() {
			c := redis.NewClient(&redis.Options{Addr: b.addr})
			defer c.Close()
			ctx := context.Background()
			iter := c.Scan(ctx, 0, p+"*", 100).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
		})
	}
	return p
}

// open opens a Store of its own (new client) on b with prefix.
func open(t testing.TB, b backend, prefix string, opts ...Option) *Store {
	t.Helper()
	s, err := New(context.Background(), b.client(t), append([]Option{WithPrefix(prefix)}, opts...)...)
	require.NoError(t, err)
	return s
}

func testKey(n byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = n + byte(i)
	}
	return k
}
