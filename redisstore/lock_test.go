package redisstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestLockIsExclusiveAcrossInstances(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		s1, s2 := open(t, b, prefix), open(t, b, prefix)
		ctx := context.Background()
		unlock, err := s1.Lock(ctx, "wecom:token:x:lock", time.Minute)
		require.NoError(t, err)

		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err = s2.Lock(short, "wecom:token:x:lock", time.Minute)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)

		// another key is free
		u2, err := s2.Lock(ctx, "wecom:token:y:lock", time.Minute)
		require.NoError(t, err)
		u2()

		got := make(chan struct{})
		go func() {
			u, err := s2.Lock(ctx, "wecom:token:x:lock", time.Minute)
			if assert.NoError(t, err) {
				u()
			}
			close(got)
		}()
		unlock()
		unlock() // a second call does nothing
		<-got
	})
}

// A lock that expired and was taken by another instance is not released by
// its first holder's late unlock.
func TestExpiredLockIsNotReleasedByItsFormerHolder(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		s1, s2 := open(t, b, prefix), open(t, b, prefix)
		ctx := t.Context()
		unlock1, err := s1.Lock(ctx, "k:lock", 100*time.Millisecond)
		require.NoError(t, err)
		if b.mini != nil {
			b.mini.FastForward(time.Second)
		} else {
			time.Sleep(150 * time.Millisecond)
		}
		unlock2, err := s2.Lock(ctx, "k:lock", time.Minute)
		require.NoError(t, err)
		unlock1()
		ttl, err := s1.rdb.PTTL(ctx, prefix+"k:lock").Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, 30*time.Second, "the second holder's lock is still there")
		unlock2()
		n, err := s1.rdb.Exists(ctx, prefix+"k:lock").Result()
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

// Four clients (four instances, each with its own Redis connection and
// Store) starting cold fetch the token once between them.
func TestFourClientsShareOneGettoken(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		srv := wecomtest.NewServer(t)
		var clients []*wecom.Client
		for range 4 {
			s := open(t, b, prefix, WithEncryptionKey(testKey(5)))
			clients = append(clients, srv.Client(wecom.WithStore(s)))
		}
		var wg sync.WaitGroup
		var calls atomic.Int32
		start := make(chan struct{})
		for _, c := range clients {
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var out struct {
						IPList []string `json:"ip_list"`
					}
					if assert.NoError(t, c.Get(t.Context(), "/cgi-bin/get_api_domain_ip", nil, &out)) {
						calls.Add(1)
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int32(20), calls.Load())
		assert.Equal(t, 1, srv.Corp(srv.CorpID).TokenFetches())
		assert.Equal(t, 20, srv.Count("/cgi-bin/get_api_domain_ip"))
	})
}
