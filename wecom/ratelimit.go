package wecom

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter keeps a client under WeCom's frequency limits before WeCom has to
// enforce them with 45009. WeCom counts calls per corp and per API across all
// of the caller's servers, so a Limiter is keyed the same way. Wait blocks
// until one call to path for corpID may go out, or ctx ends.
//
// The default (NewMemoryLimiter) is process-local; a Redis-backed Limiter
// shares the budget between instances.
type Limiter interface {
	Wait(ctx context.Context, corpID, path string) error
}

// Limit is a frequency limit for one API of one corp. A zero field is no limit.
type Limit struct {
	PerMinute int
	PerHour   int
}

// DefaultLimit is WeCom's documented limit for every API of a corp
// (https://developer.work.weixin.qq.com/document/path/90454).
var DefaultLimit = Limit{PerMinute: 10_000, PerHour: 150_000}

// MemoryLimiter is a Limiter with two token buckets (per minute and per hour)
// for every corp and API path, held in memory. Buckets idle for more than an
// hour are full and are dropped to bound memory.
type MemoryLimiter struct {
	def       Limit
	overrides map[string]Limit
	now       func() time.Time

	mu        sync.Mutex
	buckets   map[limiterKey]*bucketPair
	lastSweep time.Time
}

type limiterKey struct{ corp, path string }

type bucketPair struct {
	minute, hour *rate.Limiter
	lastUsed     time.Time
}

// NewMemoryLimiter returns a Limiter with def as the limit of every path,
// except those named in overrides (keys are paths like
// /cgi-bin/externalcontact/add_moment_task, where WeCom allows 10 a minute).
func NewMemoryLimiter(def Limit, overrides map[string]Limit) *MemoryLimiter {
	o := make(map[string]Limit, len(overrides))
	for p, l := range overrides {
		o[normalizePath(p)] = l
	}
	return &MemoryLimiter{def: def, overrides: o, now: time.Now, buckets: map[limiterKey]*bucketPair{}}
}

// bucket builds a token bucket that never lets more than n calls through in
// any window of length w: a burst of n/10 and a steady refill of the other
// 9/10 over the window. (A limit of 1 is approximated by one call per window.)
func bucket(n int, w time.Duration) *rate.Limiter {
	if n <= 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	burst := n / 10
	if burst < 1 {
		burst = 1
	}
	per := float64(n-burst) / w.Seconds()
	if per <= 0 {
		per = 1 / w.Seconds()
	}
	return rate.NewLimiter(rate.Limit(per), burst)
}

func (m *MemoryLimiter) pair(corpID, path string) *bucketPair {
	now := m.now()
	k := limiterKey{corpID, path}
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) > time.Minute {
		for key, b := range m.buckets {
			if now.Sub(b.lastUsed) > time.Hour {
				delete(m.buckets, key)
			}
		}
		m.lastSweep = now
	}
	b := m.buckets[k]
	if b == nil {
		l, ok := m.overrides[path]
		if !ok {
			l = m.def
		}
		b = &bucketPair{minute: bucket(l.PerMinute, time.Minute), hour: bucket(l.PerHour, time.Hour)}
		m.buckets[k] = b
	}
	b.lastUsed = now
	return b
}

// Wait implements Limiter.
func (m *MemoryLimiter) Wait(ctx context.Context, corpID, path string) error {
	b := m.pair(corpID, path)
	if err := b.minute.Wait(ctx); err != nil {
		return limitWaitErr(ctx, err)
	}
	if err := b.hour.Wait(ctx); err != nil {
		return limitWaitErr(ctx, err)
	}
	return nil
}

// limitWaitErr turns x/time/rate's "would exceed context deadline" into the
// context's own error once the deadline is what stands in the way.
func limitWaitErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, ok := ctx.Deadline(); ok {
		return context.DeadlineExceeded
	}
	return err
}
