package redisstore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// benchLimit never makes a call wait: the benchmarks measure the cost of
// the check itself (both buckets, per minute and per hour).
var benchLimit = wecom.Limit{PerMinute: 1 << 40, PerHour: 1 << 44}

// BenchmarkLimiterWait: the cost of one Wait, the in-memory limiter next to
// the shared one on miniredis and on the real Redis (REDIS_ADDR).
func BenchmarkLimiterWait(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, l wecom.Limiter) {
		b.ReportAllocs()
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := l.Wait(ctx, "wwbench", "/cgi-bin/externalcontact/get"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := l.Wait(ctx, "wwbench", "/cgi-bin/externalcontact/get"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	b.Run("memory", func(b *testing.B) { run(b, wecom.NewMemoryLimiter(benchLimit, nil)) })
	b.Run("redis", func(b *testing.B) {
		bk := backend{addr: realRedis(b)}
		run(b, open(b, bk, testPrefix(b, bk)).NewLimiter(benchLimit, nil))
	})
	// the floor under any shared limiter: one round trip to the same Redis
	b.Run("redis-ping", func(b *testing.B) {
		bk := backend{addr: realRedis(b)}
		run(b, pinger{open(b, bk, testPrefix(b, bk))})
	})
}

// BenchmarkQueueThroughput: pushes through Handler.ServeHTTP (verify,
// decrypt, de-dup claim and store, answer) and then through the workers
// (read in batches, decrypt again, run, mark done and acknowledge), until
// every handler ran. events/s is b.N over the whole time. The in-process
// queue (WithWorkers) runs next to the Redis stream, each with the pushes
// served one after the other (serial) and by 16 goroutines at once, as an
// HTTP server serves WeCom's concurrent requests (concurrent).
func BenchmarkQueueThroughput(b *testing.B) {
	bench := func(b *testing.B, conc int, opts func(b *testing.B) []callback.Option) {
		reqs := make([]*http.Request, 0, b.N)
		p := wecomtest.NewPusher("http://bench.invalid/cb", cbToken, cbAESKey, cbCorpID)
		ts := fmt.Sprint(time.Now().Unix())
		for i := range b.N {
			body, q, err := p.Envelope(addEvent(fmt.Sprint("wmBench", i)), ts, fmt.Sprint("n", i))
			require.NoError(b, err)
			r := httptest.NewRequest(http.MethodPost, "/cb?"+q.Encode(), strings.NewReader(string(body)))
			reqs = append(reqs, r)
		}
		var done atomic.Int64
		all := make(chan struct{})
		n := int64(b.N)
		h := newTestHandler(b, opts(b)...)
		h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
			if done.Add(1) == n {
				close(all)
			}
			return nil
		})
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(len(reqs)) {
						return
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, reqs[i])
					if w.Code != http.StatusOK {
						b.Errorf("answered %d %s", w.Code, w.Body)
						return
					}
				}
			}()
		}
		wg.Wait()
		<-all
		el := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	}
	memory := func(b *testing.B) []callback.Option { return []callback.Option{callback.WithWorkers(8, b.N)} }
	redisQueue := func(b *testing.B) []callback.Option {
		bk := backend{addr: realRedis(b)}
		s := open(b, bk, testPrefix(b, bk))
		q, err := s.NewQueue(WithName("bench"), WithWorkers(8), WithMaxLen(1<<30), WithPollInterval(10*time.Millisecond))
		require.NoError(b, err)
		return []callback.Option{callback.WithDedupStore(s, time.Minute), callback.WithQueue(q)}
	}
	for _, c := range []struct {
		name string
		conc int
	}{{"serial", 1}, {"concurrent", 16}} {
		b.Run("memory/"+c.name, func(b *testing.B) { bench(b, c.conc, memory) })
		b.Run("redis/"+c.name, func(b *testing.B) { bench(b, c.conc, redisQueue) })
	}
}

// pinger is a "limiter" that only makes one round trip to Redis.
type pinger struct{ s *Store }

func (p pinger) Wait(ctx context.Context, _, _ string) error { return p.s.rdb.Ping(ctx).Err() }
