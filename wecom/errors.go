package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Error codes the SDK acts on. The full table lives in WeCom's global error
// code page: https://developer.work.weixin.qq.com/document/path/90313
const (
	CodeSystemBusy           = -1    // system busy; retry with backoff
	CodeInvalidSecret        = 40001 // bad corp secret: a configuration error, never retried
	CodeInvalidCorpID        = 40013
	CodeInvalidAccessToken   = 40014
	CodeInvalidParameter     = 40058
	CodeInvalidSuiteToken    = 40082
	CodeInvalidPermanentCode = 40084
	CodeInvalidSuiteTicket   = 40085
	CodeAccessTokenMissing   = 41001
	CodeAccessTokenExpired   = 42001
	CodeSuiteTokenExpired    = 42009
	CodeFreqOutOfLimit       = 45009 // frequency limit hit
	CodeMinuteQuota          = 45011 // WeChat's minute quota code; treated as a rate limit if WeCom ever sends it
	CodeConcurrencyLimit     = 45033 // too many concurrent calls
	CodeAPIForbidden         = 48002
	CodeIPNotAllowed         = 60020
	CodeNoInteropLicense     = 701008 // the members have no interop licence (互通许可)
)

// Error is returned for every response whose errcode is not 0. Use errors.As
// to get at it:
//
//	var we *wecom.Error
//	if errors.As(err, &we) && we.Code == 84061 { ... }
type Error struct {
	Code int    // errcode
	Msg  string // errmsg, verbatim (WeCom appends a hint useful for support)
	// Path is the endpoint that answered, e.g. "/cgi-bin/externalcontact/list".
	// It never carries a query string, so no access_token can leak through it.
	Path string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("wecom: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "errcode %d: %s", e.Code, e.Msg)
	switch e.Code {
	case CodeInvalidSecret:
		b.WriteString(" (the corp secret is wrong, was reset, or the app is disabled; not retried)")
	case CodeIPNotAllowed:
		b.WriteString(" (the caller's IP is not on the trusted-IP list)")
	case CodeNoInteropLicense:
		b.WriteString(" (the members named have no interop licence (互通许可); buy or assign one in the admin console)")
	}
	return b.String()
}

// Retryable reports whether the same request may succeed if sent again
// unchanged: system busy, frequency and concurrency limits.
func (e *Error) Retryable() bool {
	switch e.Code {
	case CodeSystemBusy, CodeFreqOutOfLimit, CodeMinuteQuota, CodeConcurrencyLimit:
		return true
	}
	return false
}

// HTTPError is returned when WeCom (or a proxy in front of it) answers with a
// non-200 HTTP status instead of a JSON envelope.
type HTTPError struct {
	StatusCode int
	Path       string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("wecom: %s: unexpected HTTP status %d", e.Path, e.StatusCode)
}

// ErrOutcomeUnknown is matched (errors.Is) by the error of a write that failed
// after the request may have reached WeCom: a timeout or reset after sending,
// a 5xx answer. The SDK never re-sends such a write, because WeCom's create
// calls (mass sends, Moments tasks, contact ways) are not idempotent: check
// whether the write took effect before trying again.
var ErrOutcomeUnknown = errors.New("wecom: request may have reached WeCom; outcome unknown, not re-sent")

type outcomeUnknownError struct {
	path string
	err  error
}

func (e *outcomeUnknownError) Error() string {
	return fmt.Sprintf("wecom: %s: request may have reached WeCom; outcome unknown, not re-sent: %v", e.path, e.err)
}
func (e *outcomeUnknownError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.err} }

// ErrorCode returns the WeCom errcode carried by err, or 0 when err is not
// (and does not wrap) an *Error.
func ErrorCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// IsTokenExpired reports whether err says the access token (or suite token)
// is invalid or expired: 40014, 42001, 40082, 42009. The client already
// refreshes and retries once on these; seeing one means the retry failed too.
func IsTokenExpired(err error) bool {
	switch ErrorCode(err) {
	case CodeInvalidAccessToken, CodeAccessTokenExpired, CodeInvalidSuiteToken, CodeSuiteTokenExpired:
		return true
	}
	return false
}

// IsRateLimited reports whether err is one of WeCom's frequency or
// concurrency limits (45009, 45011, 45033).
func IsRateLimited(err error) bool {
	switch ErrorCode(err) {
	case CodeFreqOutOfLimit, CodeMinuteQuota, CodeConcurrencyLimit:
		return true
	}
	return false
}

// IsInvalidSecret reports whether err says the secret given to New is wrong
// (40001). Retrying cannot help.
func IsInvalidSecret(err error) bool { return ErrorCode(err) == CodeInvalidSecret }

// IsRetryable reports whether sending the same request again may succeed:
// system busy (-1), rate limits, HTTP 5xx and transport failures. It is
// false for a write whose outcome is unknown (ErrOutcomeUnknown) and for a
// cancelled context. Whether a particular call is retried also depends on
// its Op: see Backoff.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrOutcomeUnknown) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable()
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500
	}
	var te *transportError
	return errors.As(err, &te)
}

// transportError is a failure below HTTP: dial, TLS, reset, timeout. The
// wrapped error has every URL redacted.
type transportError struct {
	path    string
	written bool // the request was fully written before the failure
	err     error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("wecom: %s: transport: %v", e.path, e.err)
}
func (e *transportError) Unwrap() error { return e.err }

// redactedParams are query parameters whose values never appear in errors or logs.
var redactedParams = [...]string{
	"access_token", "suite_access_token", "provider_access_token",
	"corpsecret", "secret", "suite_secret", "provider_secret", "permanent_code",
}

// redactURL returns raw with every secret query value replaced by REDACTED.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	changed := false
	for _, p := range redactedParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// sanitizeError rewrites the URL inside a *url.Error so that no token or
// secret survives in the message, keeping the inner error for errors.Is/As.
func sanitizeError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
	}
	return err
}
