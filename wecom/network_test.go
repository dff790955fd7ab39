package wecom_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const mockBase = "https://qyapi.example.com"

// brokenBody hands out data, then fails with err (io.EOF for a body that
// simply ends).
type brokenBody struct {
	data []byte
	err  error
}

func (b *brokenBody) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	return 0, b.err
}

func (b *brokenBody) Close() error { return nil }

// stallingBody hands out data, then waits for the request's context to end.
type stallingBody struct {
	ctx  context.Context
	data []byte
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func (b *stallingBody) Close() error { return nil }

// endless is an answer that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func answer(status int, contentType string, body io.ReadCloser) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Body: body, ContentLength: -1}
}

func gzipped(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := io.WriteString(zw, s)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// TestBrokenNetworks pins, with httpmock on the resty client the SDK is
// given, what a read (GET, OpRead) and a write (POST, OpWrite) return when
// the network or something in WeCom's place misbehaves: the error's kind
// and words, whether a write may have reached WeCom (ErrOutcomeUnknown),
// and how many times each was sent (reads retried as the retry policy
// says: 3 attempts for what may pass next time; writes never re-sent once
// they may have reached WeCom).
//
// The mock transport goes on the resty client before the wecom client is
// built (as httpmock.ActivateNonDefault(rc.GetClient()) would; one mock per
// case, so that the cases run in parallel): the SDK puts its RoundTripper
// in front of whatever transport the resty client has then.
func TestBrokenNetworks(t *testing.T) {
	t.Parallel()
	okJSON := `{"errcode":0,"errmsg":"ok","ip_list":["1.1.1.1","2.2.2.2"]}`
	cases := []struct {
		name      string
		responder func(t *testing.T, req *http.Request) (*http.Response, error)
		ctxLimit  bool // the call's context has a short deadline
		// What the read and the write get.
		wantOK        bool
		wantIn        string // in the error of both
		wantHTTP      int    // *HTTPError with this status, 0 for none
		wantCtx       error  // the context's error, matched by both
		readAttempts  int
		writeUnknown  bool // the write matches ErrOutcomeUnknown
		readRetryable bool
	}{{
		name: "connection reset mid-body",
		responder: func(*testing.T, *http.Request) (*http.Response, error) {
			return answer(200, "application/json", &brokenBody{data: []byte(okJSON[:30]), err: syscall.ECONNRESET}), nil
		},
		wantIn: "reading the answer: connection reset by peer", readAttempts: 3, writeUnknown: true,
	}, {
		name: "truncated JSON",
		responder: func(*testing.T, *http.Request) (*http.Response, error) {
			return answer(200, "application/json", &brokenBody{data: []byte(okJSON[:40]), err: io.EOF}), nil
		},
		wantIn: "the answer was cut short (40 bytes)", readAttempts: 3, writeUnknown: true,
	}, {
		name: "HTML 502 from a gateway",
		responder: func(*testing.T, *http.Request) (*http.Response, error) {
			return answer(502, "text/html", io.NopCloser(strings.NewReader("<html><body><h1>502 Bad Gateway</h1></body></html>"))), nil
		},
		wantIn: "unexpected HTTP status 502 (text/html): WeCom's API answers 200, so a gateway or proxy in between answered", wantHTTP: 502,
		readAttempts: 3, writeUnknown: true,
	}, {
		name: "gzip-encoded answer",
		responder: func(t *testing.T, _ *http.Request) (*http.Response, error) {
			r := answer(200, "application/json", io.NopCloser(bytes.NewReader(gzipped(t, okJSON))))
			r.Header.Set("Content-Encoding", "gzip")
			return r, nil
		},
		wantOK: true, readAttempts: 1,
	}, {
		name: "200 with a non-JSON body",
		responder: func(*testing.T, *http.Request) (*http.Response, error) {
			return answer(200, "text/html", io.NopCloser(strings.NewReader("<html>Please log in to the proxy</html>"))), nil
		},
		wantIn: "the answer is not JSON (a gateway's or proxy's page in WeCom's place?)", readAttempts: 3, writeUnknown: true,
	}, {
		name: "body over the size limit",
		responder: func(*testing.T, *http.Request) (*http.Response, error) {
			return answer(200, "application/json", io.NopCloser(endless{})), nil
		},
		wantIn: "the answer is larger than 32 MiB", readAttempts: 1, writeUnknown: true,
	}, {
		name: "deadline expires mid-body",
		responder: func(_ *testing.T, req *http.Request) (*http.Response, error) {
			return answer(200, "application/json", &stallingBody{ctx: req.Context(), data: []byte(okJSON[:20])}), nil
		},
		ctxLimit: true, wantCtx: context.DeadlineExceeded, readAttempts: 1, writeUnknown: true,
	}, {
		name: "redirect",
		responder: func(*testing.T, *http.Request) (*http.Response, error) {
			r := answer(302, "text/html", io.NopCloser(strings.NewReader("moved")))
			r.Header.Set("Location", "https://elsewhere.example.net/cgi-bin/get_api_domain_ip?access_token=tok")
			return r, nil
		},
		wantIn:   "unexpected HTTP status 302: a redirect to https://elsewhere.example.net; WeCom's API never redirects, so the SDK does not follow",
		wantHTTP: 302, readAttempts: 1,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, write := range []bool{false, true} {
				mock := httpmock.NewMockTransport()
				mock.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
					assert.Failf(t, "unexpected request", "request to %s, which the SDK must not make", req.URL.Host)
					return nil, errors.New("unexpected request")
				})
				method, path := http.MethodGet, "/cgi-bin/get_api_domain_ip"
				if write {
					method, path = http.MethodPost, "/cgi-bin/externalcontact/add_contact_way"
				}
				mock.RegisterResponder(method, mockBase+path, func(req *http.Request) (*http.Response, error) {
					assert.Equal(t, "access_token=tok", req.URL.RawQuery, "the token is added below resty")
					return tc.responder(t, req)
				})
				rc := resty.New().SetTransport(mock)
				c := wecom.New("wwcorp", "secret", wecom.WithBaseURL(mockBase), wecom.WithRestyClient(rc),
					wecom.WithTokenSource(staticToken("tok")), wecom.WithRetryPolicy(wecomtest.FastRetry()))
				ctx := t.Context()
				if tc.ctxLimit {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
					defer cancel()
				}
				var out struct {
					IPList []string `json:"ip_list"`
				}
				var err error
				if write {
					err = c.Post(ctx, path, struct{}{}, &out)
				} else {
					err = c.Get(ctx, path, nil, &out)
				}
				calls := mock.GetTotalCallCount()
				what := map[bool]string{false: "read", true: "write"}[write]
				if tc.wantOK {
					require.NoError(t, err, what)
					assert.Equal(t, []string{"1.1.1.1", "2.2.2.2"}, out.IPList, what)
					assert.Equal(t, 1, calls, what)
					continue
				}
				require.Error(t, err, what)
				if tc.wantIn != "" {
					assert.Contains(t, err.Error(), tc.wantIn, what)
				}
				if tc.wantHTTP != 0 {
					var he *wecom.HTTPError
					require.ErrorAs(t, err, &he, what)
					assert.Equal(t, tc.wantHTTP, he.StatusCode, what)
				}
				if tc.wantCtx != nil {
					assert.ErrorIs(t, err, tc.wantCtx, what)
				}
				assert.NotContains(t, err.Error(), "tok&", what)
				if write {
					assert.Equal(t, tc.writeUnknown, errors.Is(err, wecom.ErrOutcomeUnknown), "write: %v", err)
					assert.Equal(t, 1, calls, "a write is sent once")
					assert.False(t, wecom.IsRetryable(err), "write: %v", err)
				} else {
					assert.NotErrorIs(t, err, wecom.ErrOutcomeUnknown, "read")
					assert.Equal(t, tc.readAttempts, calls, "read attempts: %v", err)
				}
			}
		})
	}
}
