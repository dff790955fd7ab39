// Package shapetest is the SDK's second test harness: it pins the exact
// HTTP request one typed call sends, with httpmock plugged into the client's
// transport.
//
// The first harness is wecom/wecomtest, a stateful fake WeCom: a test there
// plays a scenario (a customer scans a code, joins a group, a member
// resigns) and checks what the SDK makes of WeCom's answers. The fake
// decodes requests with its own wire types, so it catches a field the SDK
// spells wrong, but it accepts what WeCom would ignore (an extra field, a
// zero value sent instead of left out). A shape test closes that gap for
// one call at a time: it registers the one request it expects and the
// answer to give, makes the call, and the Mock checks method, path, query
// (besides the token) and JSON body, and that the request was made exactly
// once. A request nobody registered fails the call ("no responder found").
//
//	c, m := shapetest.New(t)
//	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/del_contact_way",
//		Body: `{"config_id":"cfg1"}`}, "")
//	require.NoError(t, contact.New(c).DelContactWay(t.Context(), "cfg1"))
//
// Shape tests live in <file>_shape_test.go beside the file whose calls they
// pin. Nothing leaves the process: the client's base URL is BaseURL and its
// transport is the Mock's.
package shapetest

import (
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// BaseURL is the base URL of clients built here; nothing listens on it.
const BaseURL = "http://wecom.shapetest"

// Token is the access token the mocked gettoken issues.
const Token = "shapetest-token"

// Mock is an httpmock transport answering gettoken, plus the expectations
// registered with Expect.
type Mock struct {
	t  testing.TB
	mt *httpmock.MockTransport
}

// New returns a client for corp "wwshape" wired to a fresh Mock. Retries are
// off, so one call is one request.
func New(t testing.TB, opts ...wecom.Option) (*wecom.Client, *Mock) {
	t.Helper()
	m := &Mock{t: t, mt: httpmock.NewMockTransport()}
	m.mt.RegisterResponder(http.MethodGet, BaseURL+"/cgi-bin/gettoken",
		httpmock.NewStringResponder(200, `{"errcode":0,"errmsg":"ok","access_token":"`+Token+`","expires_in":7200}`))
	base := []wecom.Option{
		wecom.WithBaseURL(BaseURL),
		wecom.WithHTTPClient(&http.Client{Transport: m.mt}),
		wecom.WithRetryPolicy(wecom.NoRetry()),
	}
	return wecom.New("wwshape", "shape-secret", append(base, opts...)...), m
}

// NewSuite returns a Suite wired to a fresh Mock, with a suite_ticket stored
// and get_suite_token answered, so that one suite call is one request with
// ?suite_access_token=Token.
func NewSuite(t testing.TB, suiteID string, opts ...wecom.SuiteOption) (*wecom.Suite, *Mock) {
	t.Helper()
	m := &Mock{t: t, mt: httpmock.NewMockTransport()}
	m.mt.RegisterResponder(http.MethodPost, BaseURL+"/cgi-bin/service/get_suite_token",
		httpmock.NewStringResponder(200, `{"errcode":0,"errmsg":"ok","suite_access_token":"`+Token+`","expires_in":7200}`))
	base := []wecom.SuiteOption{
		wecom.WithBaseURL(BaseURL),
		wecom.WithHTTPClient(&http.Client{Transport: m.mt}),
		wecom.WithRetryPolicy(wecom.NoRetry()),
	}
	s := wecom.NewSuite(suiteID, "shape-suite-secret", append(base, opts...)...)
	require.NoError(t, s.SetTicket(t.Context(), "shape-ticket"))
	return s, m
}

// Transport returns the underlying httpmock transport: to register a
// responder Expect cannot express (an answer that depends on the request, a
// call made several times) or to count requests (GetTotalCallCount).
func (m *Mock) Transport() *httpmock.MockTransport { return m.mt }

// Call is the request a typed method must send.
type Call struct {
	Method string     // http.MethodGet or http.MethodPost
	Path   string     // "/cgi-bin/..."
	Query  url.Values // besides access_token; nil for none
	Body   string     // the JSON body, compared with JSONEq; "" for no body
}

// Expect registers want: the request must match it exactly (the token in
// access_token, or suite_access_token for suite calls), and it must be
// made exactly once before the test ends. answer is the JSON WeCom answers
// ("" for a plain success). A mismatch is reported with assert (the call
// still gets its answer, so one test shows every difference); the count is
// checked when the test ends. Expect each method and path once per Mock;
// for a path called several times, register a responder on Transport.
func (m *Mock) Expect(want Call, answer string) {
	t := m.t
	t.Helper()
	if answer == "" {
		answer = `{"errcode":0,"errmsg":"ok"}`
	}
	var calls atomic.Int32
	m.mt.RegisterResponder(want.Method, BaseURL+want.Path, func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		q := r.URL.Query()
		param := "access_token"
		if q.Has("suite_access_token") {
			param = "suite_access_token"
		}
		assert.Equal(t, Token, q.Get(param), "%s: %s", want.Path, param)
		q.Del(param)
		wantQ := want.Query
		if wantQ == nil {
			wantQ = url.Values{}
		}
		assert.Equal(t, wantQ, q, "%s: query", want.Path)
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		if want.Body == "" {
			assert.Empty(t, string(body), "%s: body", want.Path)
		} else {
			assert.JSONEq(t, want.Body, string(body), "%s: body", want.Path)
		}
		resp := httpmock.NewStringResponse(200, answer)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	t.Cleanup(func() {
		require.Equal(t, int32(1), calls.Load(), "%s %s: requests made", want.Method, want.Path)
	})
}
