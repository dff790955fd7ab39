package wecom

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter keeps a client under WeCom's frequency limits before WeCom has to
// enforce them with 45009. WeCom counts calls per corp and per API across all
// of the caller's servers, so a Limiter is keyed the same way. Wait blocks
// until one call to path for corpID may go out, or ctx ends. A Wait that
// refuses a call because its turn would come after ctx's deadline returns a
// *RateLimitError at once (the Client gives one the same way to a Limiter's
// bare context.DeadlineExceeded); a cancelled ctx gives ctx.Err().
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

// DefaultLimit returns WeCom's documented limit for every API of a corp:
// 10,000 calls a minute and 150,000 an hour
// (https://developer.work.weixin.qq.com/document/path/90454).
func DefaultLimit() Limit { return Limit{PerMinute: 10_000, PerHour: 150_000} }

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

// Wait implements Limiter. It takes the call's turn in both buckets at once
// and waits for it. When the turn would come after ctx's deadline it
// returns a *RateLimitError at once, without waiting and without using up
// the turn; a deadline that passes while waiting gives one too, and a
// cancelled ctx gives ctx.Err(). Waits run on real timers.
func (m *MemoryLimiter) Wait(ctx context.Context, corpID, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := m.pair(corpID, path)
	now := time.Now()
	rm, rh := b.minute.ReserveN(now, 1), b.hour.ReserveN(now, 1)
	wait := max(rm.DelayFrom(now), rh.DelayFrom(now))
	if wait <= 0 {
		return nil
	}
	if !rm.OK() || !rh.OK() {
		rm.Cancel()
		rh.Cancel()
		return &RateLimitError{Path: path}
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(wait).After(dl) {
		rm.Cancel()
		rh.Cancel()
		return &RateLimitError{Path: path, Wait: wait}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		rm.Cancel()
		rh.Cancel()
		return waitEnded(ctx, path, wait)
	}
}

// waitEnded is the error of a limiter wait that ctx ended: ctx.Err() when
// it was cancelled, a *RateLimitError when its deadline passed.
func waitEnded(ctx context.Context, path string, wait time.Duration) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return &RateLimitError{Path: path, Wait: wait, err: err}
	}
	return err
}

// limitRefusal shapes what a Limiter's Wait returned for the caller of Do:
// a *RateLimitError (with its path) when the limiter refused the call for
// ctx's deadline, ctx.Err() when ctx was cancelled, and any other failure
// of the limiter as it is.
func limitRefusal(ctx context.Context, path string, err error) error {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		if rl.Path == "" {
			cp := *rl
			cp.Path = path
			return &cp
		}
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// A Limiter of another kind that answers like x/time/rate.
		return &RateLimitError{Path: path, err: err}
	}
	return err
}
