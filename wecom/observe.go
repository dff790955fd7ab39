package wecom

import (
	"context"
	"time"
)

// Observer sees what a Client does: every call and each of its attempts,
// every token fetch, every wait at the frequency limiter. Give one to a
// Client, Suite or Provider with WithObserver; package scrmotel turns the
// observations into OpenTelemetry spans and metrics.
//
// The methods are called synchronously, on the goroutine making the call,
// so they must be quick and safe for concurrent use; a slow Observer slows
// every call. The values they get carry no token, secret or query string:
// paths are bare endpoint paths such as "/cgi-bin/externalcontact/list".
// Errors are the ones the caller gets (or, for an attempt that is retried,
// the one that made it retry).
//
// Without an Observer the client makes none of these observations and
// allocates nothing for them. Embed NopObserver to implement only some of
// the methods (and to keep compiling when methods are added).
type Observer interface {
	// CallStart is called once when a call (Client.Do, and every method
	// built on it) starts, before the limiter and the token. The context
	// it returns is the one the call runs under, and the one CallAttempt
	// and CallEnd receive: a tracer starts its span here and keeps it in
	// the context. Return ctx when there is nothing to keep.
	CallStart(ctx context.Context, call CallInfo) context.Context
	// CallAttempt is called after each HTTP attempt of a call, with what
	// WeCom (or the network) answered and whether another attempt follows.
	CallAttempt(ctx context.Context, a AttemptInfo)
	// CallEnd is called once when the call returns.
	CallEnd(ctx context.Context, end CallEndInfo)
	// TokenFetch is called after each token the client obtained other
	// than from its own memory: from WeCom, or from the Store where
	// another instance (or an earlier client) left one.
	TokenFetch(ctx context.Context, f TokenFetchInfo)
	// LimiterWait is called after each turn the client-side limiter gave
	// (or refused) an attempt, with how long it waited.
	LimiterWait(ctx context.Context, w LimiterWaitInfo)
}

// NopObserver is an Observer that does nothing. Embed it in an Observer
// that implements only some of the methods.
type NopObserver struct{}

// CallStart implements Observer; it returns ctx.
func (NopObserver) CallStart(ctx context.Context, _ CallInfo) context.Context { return ctx }

// CallAttempt implements Observer.
func (NopObserver) CallAttempt(context.Context, AttemptInfo) {}

// CallEnd implements Observer.
func (NopObserver) CallEnd(context.Context, CallEndInfo) {}

// TokenFetch implements Observer.
func (NopObserver) TokenFetch(context.Context, TokenFetchInfo) {}

// LimiterWait implements Observer.
func (NopObserver) LimiterWait(context.Context, LimiterWaitInfo) {}

// CallInfo names a call: who makes it and to which endpoint.
type CallInfo struct {
	// CorpID is the corp the client acts for: the corp id of a corp's
	// client (Suite.Corp included), the suite id for a Suite's own calls,
	// the provider's corp id for a Provider.
	CorpID string
	// Path is the endpoint, e.g. "/cgi-bin/externalcontact/list", never
	// with a query string.
	Path string
	// Method is GET or POST.
	Method string
	// Op says what the call does to WeCom's state (and so what may be
	// retried).
	Op Op
}

// RetryReason says why a failed attempt is followed by another.
type RetryReason string

// The reasons for another attempt.
const (
	// RetryNone: no attempt follows.
	RetryNone RetryReason = ""
	// RetryTokenRejected: WeCom rejected the token (40014, 42001, 40082,
	// 42009); a new one was fetched and the call is made once more.
	RetryTokenRejected RetryReason = "token_rejected"
	// RetrySystemBusy: WeCom answered -1 (system busy).
	RetrySystemBusy RetryReason = "system_busy"
	// RetryRateLimited: WeCom answered a frequency limit (45009, 45011,
	// 45033); reads and idempotent writes only.
	RetryRateLimited RetryReason = "rate_limited"
	// RetryHTTPStatus: an HTTP 5xx answer (WeCom's or a gateway's).
	RetryHTTPStatus RetryReason = "http_status"
	// RetryTransport: a failure below HTTP (refused connection, reset,
	// timeout, an answer cut short or not JSON).
	RetryTransport RetryReason = "transport"
	// RetryOther: the RetryPolicy retried another kind of failure.
	RetryOther RetryReason = "other"
)

// retryReason classifies the failure a RetryPolicy chose to retry.
func retryReason(err error) RetryReason {
	if IsRateLimited(err) {
		return RetryRateLimited
	}
	switch {
	case ErrorCode(err) == CodeSystemBusy:
		return RetrySystemBusy
	case isHTTPError(err):
		return RetryHTTPStatus
	case isTransportError(err):
		return RetryTransport
	}
	return RetryOther
}

// AttemptInfo is one HTTP attempt of a call.
type AttemptInfo struct {
	CallInfo
	// Attempt numbers the attempts of the call from 1 (the repeat after a
	// rejected token counts).
	Attempt int
	// StatusCode is the HTTP status of the answer; 0 when none arrived.
	StatusCode int
	// ErrCode is WeCom's errcode; 0 on success or when no WeCom answer
	// was read.
	ErrCode int
	// Err is the attempt's failure, nil on success.
	Err error
	// Duration is the time from sending the request to the decoded answer
	// (the limiter's wait and the token are not in it).
	Duration time.Duration
	// Retry says why another attempt follows (RetryNone when none does),
	// after RetryWait.
	Retry     RetryReason
	RetryWait time.Duration
}

// CallEndInfo is the end of a call.
type CallEndInfo struct {
	CallInfo
	// Attempts is how many HTTP attempts were made (0 when the call ended
	// before one, e.g. refused by the limiter or without a token).
	Attempts int
	// StatusCode is the HTTP status of the last answer; 0 when none
	// arrived.
	StatusCode int
	// ErrCode is WeCom's errcode of the last answer (0 on success or when
	// the failure was not an errcode).
	ErrCode int
	// Err is what the caller gets.
	Err error
	// Duration is the whole call: limiter waits, token, attempts and the
	// waits between them.
	Duration time.Duration
}

// TokenKind says whose token was fetched.
type TokenKind string

// The kinds of token.
const (
	// TokenCorp is a corp's access_token: from gettoken (self-built and
	// agent-developed apps) or service/get_corp_token (third-party apps,
	// TokenFetchInfo.SuiteID set).
	TokenCorp TokenKind = "corp"
	// TokenSuite is a suite_access_token (service/get_suite_token).
	TokenSuite TokenKind = "suite"
	// TokenProvider is a provider_access_token
	// (service/get_provider_token).
	TokenProvider TokenKind = "provider"
)

// FetchReason says why a token was fetched.
type FetchReason string

// The reasons for a token fetch.
const (
	// FetchCold: the client had no token in memory yet.
	FetchCold FetchReason = "cold"
	// FetchExpired: the token in memory was (about to be) expired.
	FetchExpired FetchReason = "expired"
	// FetchRejected: WeCom rejected the token in memory (40014, 42001...)
	// and it was dropped.
	FetchRejected FetchReason = "rejected"
	// FetchRefreshAhead: the token in memory had less than five minutes
	// left; it was replaced in the background while calls kept using it.
	FetchRefreshAhead FetchReason = "refresh_ahead"
)

// TokenFetchInfo is one token obtained other than from the client's memory.
type TokenFetchInfo struct {
	// Kind says whose token it is.
	Kind TokenKind
	// ID is the corp id (TokenCorp), the suite id (TokenSuite) or the
	// provider's corp id (TokenProvider).
	ID string
	// SuiteID is the suite whose permanent code obtained a corp token;
	// empty otherwise.
	SuiteID string
	// Reason says why it was fetched.
	Reason FetchReason
	// FromStore is true when a fresh token was found in the Store (left
	// there by another instance or an earlier client), so WeCom was not
	// called.
	FromStore bool
	// Err is the failure, nil on success.
	Err error
	// Duration is how long obtaining it took (the Store's lock included).
	Duration time.Duration
}

// LimiterWaitInfo is one turn of the client-side limiter.
type LimiterWaitInfo struct {
	CorpID string
	Path   string
	// Waited is how long the attempt waited for its turn.
	Waited time.Duration
	// Err is the limiter's refusal (a *RateLimitError, or the context's
	// error), nil when the attempt went ahead.
	Err error
}
