package wecom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// The HTTP layer is resty v2, kept lean: one resty.Client per Client (a
// Suite's corp clients share the Suite's), every answer read by the client
// itself into a pooled buffer (SetDoNotParseResponse), resty's own retries
// off, and the secrets added below resty by the SDK's RoundTripper, the
// innermost layer the SDK controls:
//
//	Client.Do → resty (the application's middlewares, debug log) → http.Client
//	  → sdkTransport (adds access_token & co., secret bodies) → the application's
//	    RoundTripper, if any → http.Transport
//
// So resty's request, its middlewares, its debug log, its curl command and
// its errors never hold a token, secret, suite_ticket, auth code or
// permanent code: the query and bodies they see are the call's without
// them. A RoundTripper of the application's own (WithHTTPClient, or the
// transport of a WithRestyClient client) sits below and sees the request
// as sent.

// wireKey keys the wire of a call in the request's context.
type wireKey struct{}

// wire is what only sdkTransport adds to one attempt of a call, handed to
// it through the request's context: the secret query parameters (the
// token, gettoken's corpsecret) and a secret-bearing body that replaces the
// one resty built. It is reset for every attempt.
type wire struct {
	host  string // the base URL's host: secrets go nowhere else
	query string // encoded, appended to the query
	body  []byte // nil: resty's body is sent as it is
	// ran is set when sdkTransport took the attempt; a second request of
	// the same attempt (resty re-sending, a redirect) is refused.
	ran bool
}

// sdkTransport adds a call's wire to the requests the SDK makes; any other
// request passes through unchanged, so it may wrap the transport of an
// application's own http.Client or resty client.
type sdkTransport struct {
	next http.RoundTripper // nil: http.DefaultTransport
}

// sharedTransport is the transport of every Client given neither
// WithHTTPClient nor WithRestyClient: one connection pool
// (http.DefaultTransport's) for all of them. It holds no state.
var sharedTransport = &sdkTransport{}

func (t *sdkTransport) base() http.RoundTripper {
	if t.next != nil {
		return t.next
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *sdkTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	w, _ := req.Context().Value(wireKey{}).(*wire)
	if w == nil {
		return t.base().RoundTrip(req)
	}
	if req.Response != nil || req.URL.Host != w.host {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errRedirectFollowed
	}
	if w.ran {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errSentTwice
	}
	w.ran = true
	out := req
	if w.query != "" || w.body != nil {
		cp := *req
		out = &cp
		if w.query != "" {
			u := *req.URL
			if u.RawQuery == "" {
				u.RawQuery = w.query
			} else {
				u.RawQuery = u.RawQuery + "&" + w.query
			}
			out.URL = &u
		}
		if w.body != nil {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			b := w.body
			out.Body = io.NopCloser(bytes.NewReader(b))
			out.ContentLength = int64(len(b))
			out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		}
	}
	resp, err := t.base().RoundTrip(out)
	if err != nil {
		return nil, w.redact(err)
	}
	// Whoever reads the answer (resty's Response, the application's
	// hooks) sees the request resty made, without the secrets.
	resp.Request = req
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// WeCom's API never redirects; following would carry the call
		// (and, with a transport below that re-adds nothing, at least its
		// body) elsewhere. Refused, so that http.Client does not follow.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return nil, &redirectError{status: resp.StatusCode, to: locationHost(resp)}
	}
	return resp, nil
}

// redact keeps the secrets of w out of an error that a RoundTripper below
// may have built from the URL it was given.
func (w *wire) redact(err error) error {
	if w.query == "" {
		return err
	}
	msg := err.Error()
	vals, _ := url.ParseQuery(w.query)
	changed := false
	for _, vs := range vals {
		for _, v := range vs {
			if v == "" {
				continue
			}
			for _, form := range [...]string{url.QueryEscape(v), v} {
				if strings.Contains(msg, form) {
					msg = strings.ReplaceAll(msg, form, "REDACTED")
					changed = true
				}
			}
		}
	}
	if !changed {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// errorURL shows, in the URL of a *url.Error (which is resty's, without
// the secrets), the secret parameters the request carried, as REDACTED: an
// error then says that a token went with the call without saying which.
func (w *wire) errorURL(err error) error {
	var ue *url.Error
	if w.query == "" || !errors.As(err, &ue) {
		return err
	}
	vals, _ := url.ParseQuery(w.query)
	u := ue.URL
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	for name := range vals {
		u += sep + name + "=REDACTED"
		sep = "&"
	}
	return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
}

// CloseIdleConnections closes the idle connections of the transport below.
func (t *sdkTransport) CloseIdleConnections() {
	type closeIdler interface{ CloseIdleConnections() }
	if c, ok := t.base().(closeIdler); ok {
		c.CloseIdleConnections()
	}
}

// redactedError is an error whose message had secrets removed; errors.Is
// and errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

var (
	errRedirectFollowed = errors.New("the request was redirected, and WeCom's API never redirects: not followed")
	errSentTwice        = errors.New("the HTTP client tried to send the request a second time (resty's own retries?); the SDK sends each attempt once and retries itself")
	errBypassed         = errors.New("the SDK's RoundTripper did not see the request, so it went out without its token: the resty client's transport was replaced after the client was built (build the wecom client after SetTransport, or after activating httpmock)")
)

// redirectError is a 3xx answer, refused.
type redirectError struct {
	status int
	to     string // scheme://host of the Location, or ""
}

func (e *redirectError) Error() string {
	if e.to != "" {
		return fmt.Sprintf("HTTP %d redirect to %s", e.status, e.to)
	}
	return fmt.Sprintf("HTTP %d redirect", e.status)
}

// locationHost is the scheme and host of a redirect's Location: its path
// and query may echo the request's, secrets included.
func locationHost(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil || loc.Host == "" {
		return ""
	}
	return loc.Scheme + "://" + loc.Host
}

// wrapTransport puts sdkTransport in front of rt (nil: http.DefaultTransport),
// once.
func wrapTransport(rt http.RoundTripper) http.RoundTripper {
	if t, ok := rt.(*sdkTransport); ok {
		return t
	}
	if rt == nil {
		return sharedTransport
	}
	return &sdkTransport{next: rt}
}

// defaultTimeout bounds a call's attempt on the client's own http.Client.
const defaultTimeout = 30 * time.Second

// restyFor builds (or adopts) the resty client of o: the application's
// (WithRestyClient), with sdkTransport put in front of its transport; one
// over a copy of the application's http.Client (WithHTTPClient); or one
// over the shared transport.
func restyFor(o *options) (*resty.Client, error) {
	if o.restyClient != nil {
		if o.httpClient != nil {
			return nil, errors.New("wecom: WithHTTPClient and WithRestyClient were both given: give one (a resty client carries its http.Client: resty.NewWithClient(hc))")
		}
		rc := o.restyClient
		if rc.RetryCount > 0 {
			return nil, fmt.Errorf("wecom: WithRestyClient: the resty client retries (RetryCount %d): set it to 0 for the SDK's calls; "+
				"the SDK retries itself by what a call does (Op) and never re-sends a write that may have reached WeCom", rc.RetryCount)
		}
		hc := rc.GetClient()
		if _, ok := hc.Transport.(*sdkTransport); !ok {
			rc.SetTransport(wrapTransport(hc.Transport))
		}
		return rc, nil
	}
	var hc *http.Client
	if o.httpClient != nil {
		cp := *o.httpClient // the application's http.Client is not changed
		cp.Transport = wrapTransport(cp.Transport)
		hc = &cp
	} else {
		hc = &http.Client{Timeout: defaultTimeout, Transport: sharedTransport}
	}
	rc := resty.NewWithClient(hc)
	rc.SetLogger(discardLogger{}) // silent by default, like the rest of the SDK
	rc.SetDisableWarn(true)
	return rc, nil
}

// discardLogger is resty's logger for the SDK's own resty clients.
type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}

// wireCtx is a call's context carrying its wire (one allocation for both).
type wireCtx struct {
	context.Context
	w wire
}

// Value implements context.Context.
func (c *wireCtx) Value(key any) any {
	if _, ok := key.(wireKey); ok {
		return &c.w
	}
	return c.Context.Value(key)
}
