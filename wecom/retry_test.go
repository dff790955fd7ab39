package wecom

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoff_Decisions(t *testing.T) {
	t.Parallel()
	b := &Backoff{MaxAttempts: 3, Initial: 100 * time.Millisecond, Max: time.Second,
		RateLimitAttempts: 2, RateLimitInitial: 2 * time.Second, RateLimitMax: 10 * time.Second}
	busy := &Error{Code: CodeSystemBusy}
	freq := &Error{Code: CodeFreqOutOfLimit}
	conc := &Error{Code: CodeConcurrencyLimit}
	bad := &Error{Code: 40058}
	h502 := &HTTPError{StatusCode: http.StatusBadGateway}
	h404 := &HTTPError{StatusCode: http.StatusNotFound}
	dial := &transportError{written: false, err: errors.New("connection refused")}
	reset := &transportError{written: true, err: errors.New("connection reset")}

	cases := []struct {
		name    string
		attempt int
		op      Op
		err     error
		retry   bool
		lo, hi  time.Duration
	}{
		{"busy read", 1, OpRead, busy, true, 50 * time.Millisecond, 100 * time.Millisecond},
		{"busy read 2nd", 2, OpRead, busy, true, 100 * time.Millisecond, 200 * time.Millisecond},
		{"busy read bounded", 3, OpRead, busy, false, 0, 0},
		{"busy write reached WeCom", 1, OpWrite, busy, false, 0, 0},
		{"busy idempotent", 1, OpIdempotent, busy, true, 50 * time.Millisecond, 100 * time.Millisecond},
		{"5xx read", 1, OpRead, h502, true, 50 * time.Millisecond, 100 * time.Millisecond},
		{"5xx write", 1, OpWrite, h502, false, 0, 0},
		{"4xx", 1, OpRead, h404, false, 0, 0},
		{"dial write", 1, OpWrite, dial, true, 50 * time.Millisecond, 100 * time.Millisecond},
		{"reset write", 1, OpWrite, reset, false, 0, 0},
		{"reset read", 1, OpRead, reset, true, 50 * time.Millisecond, 100 * time.Millisecond},
		{"45009 read", 1, OpRead, freq, true, time.Second, 2 * time.Second},
		{"45033 read bounded", 2, OpRead, conc, false, 0, 0},
		{"45009 write", 1, OpWrite, freq, false, 0, 0},
		{"bad param", 1, OpRead, bad, false, 0, 0},
		{"outcome unknown", 1, OpRead, &outcomeUnknownError{err: busy}, false, 0, 0},
	}
	for _, tc := range cases {
		for range 50 { // jitter: every draw in bounds
			d, ok := b.Retry(tc.attempt, tc.op, tc.err)
			require.Equal(t, tc.retry, ok, "%s: retry", tc.name)
			require.False(t, ok && (d < tc.lo || d > tc.hi), "%s: wait %v outside [%v, %v]", tc.name, d, tc.lo, tc.hi)
		}
	}
}

func TestExpDelayCaps(t *testing.T) {
	t.Parallel()
	require.Equal(t, 5*time.Second, expDelay(time.Second, 5*time.Second, 10), "expDelay")
	require.Equal(t, 4*time.Second, expDelay(time.Second, 5*time.Second, 3), "expDelay")
}

func TestNoRetry(t *testing.T) {
	t.Parallel()
	_, ok := NoRetry().Retry(1, OpRead, &Error{Code: CodeSystemBusy})
	require.False(t, ok, "NoRetry retried")
}
