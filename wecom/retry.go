package wecom

import (
	"errors"
	"math/rand/v2"
	"time"
)

// Op says what a call does to WeCom's state, which decides what may be
// retried. WeCom has no idempotency keys, so this is the SDK's only guard
// against creating a mass-send task or a contact way twice.
type Op int

const (
	// OpWrite is a call that creates or changes something and must not be
	// repeated once it may have reached WeCom (add_msg_template,
	// add_contact_way, add_moment_task...). It is retried only after
	// failures that prove the request was never written. Post uses it.
	OpWrite Op = iota
	// OpRead changes nothing and may be repeated freely. Get uses it.
	OpRead
	// OpIdempotent changes something but repeating it leaves the same state
	// (remark, mark_tag, edit_corp_tag...). It is retried like a read.
	OpIdempotent
)

func (op Op) String() string {
	switch op {
	case OpRead:
		return "read"
	case OpIdempotent:
		return "idempotent write"
	}
	return "write"
}

// RetryPolicy decides whether a failed attempt is tried again. It is asked
// once per failed attempt, with the 1-based number of the attempt that
// failed; it returns the wait before the next attempt and whether to make it.
// Implementations must be safe for concurrent use.
type RetryPolicy interface {
	Retry(attempt int, op Op, err error) (wait time.Duration, retry bool)
}

// Backoff is the standard RetryPolicy: exponential backoff with jitter.
//
//   - -1 (system busy), HTTP 5xx and transport failures are retried up to
//     MaxAttempts attempts in all, waiting Initial, 2×Initial, ... up to Max.
//   - 45009/45011/45033 (frequency and concurrency limits) are retried for
//     reads and idempotent writes only, up to RateLimitAttempts attempts,
//     waiting RateLimitInitial, doubling up to RateLimitMax.
//   - For OpWrite only failures that happened before the request was written
//     (dial errors, refused connections) are retried: anything that may have
//     reached WeCom is final and reported with ErrOutcomeUnknown.
//
// Each wait is drawn uniformly from [d/2, d] so that many callers do not
// retry in step.
type Backoff struct {
	MaxAttempts       int
	Initial, Max      time.Duration
	RateLimitAttempts int
	RateLimitInitial  time.Duration
	RateLimitMax      time.Duration
}

// DefaultRetryPolicy returns the Backoff the client uses unless told
// otherwise: 3 attempts from 200ms up to 5s for transient failures (WeCom's
// docs advise at most 3 for -1), and 3 attempts from 2s up to 30s after a
// frequency limit.
func DefaultRetryPolicy() *Backoff {
	return &Backoff{
		MaxAttempts: 3, Initial: 200 * time.Millisecond, Max: 5 * time.Second,
		RateLimitAttempts: 3, RateLimitInitial: 2 * time.Second, RateLimitMax: 30 * time.Second,
	}
}

// NoRetry returns a RetryPolicy that never retries.
func NoRetry() RetryPolicy { return noRetry{} }

type noRetry struct{}

func (noRetry) Retry(int, Op, error) (time.Duration, bool) { return 0, false }

// Retry implements RetryPolicy.
func (b *Backoff) Retry(attempt int, op Op, err error) (time.Duration, bool) {
	if !IsRetryable(err) {
		return 0, false
	}
	if IsRateLimited(err) {
		if op == OpWrite || attempt >= b.RateLimitAttempts {
			return 0, false
		}
		return jitter(expDelay(b.RateLimitInitial, b.RateLimitMax, attempt)), true
	}
	if op == OpWrite && mayHaveReached(err) {
		return 0, false
	}
	if attempt >= b.MaxAttempts {
		return 0, false
	}
	return jitter(expDelay(b.Initial, b.Max, attempt)), true
}

// mayHaveReached reports whether a failed request may have been processed by
// WeCom: anything except a transport failure before the request was written.
func mayHaveReached(err error) bool {
	var re *refusedError
	if errors.As(err, &re) {
		return false // not sent (or sent without its token, which WeCom refuses)
	}
	var te *transportError
	if errors.As(err, &te) {
		return te.written
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500 // a 4xx from a proxy was refused, not processed
	}
	return true
}

func expDelay(initial, max time.Duration, attempt int) time.Duration {
	d := initial
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
