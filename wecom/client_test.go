package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const ipPath = "/cgi-bin/get_api_domain_ip"

func TestClient_Contracts(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL),
		wecom.WithHTTPClient(srv.HTTPClient()), wecom.WithStore(wecom.NewMemoryStore()))
	require.Equal(t, srv.CorpID, c.CorpID(), "CorpID")
	tok, err := c.AccessToken(t.Context())
	require.NoError(t, err, "AccessToken: %q", tok)
	require.NotEmpty(t, tok, "AccessToken: %q, %v", tok, err)
	var out struct {
		IPList []string `json:"ip_list"`
	}
	err = c.Get(t.Context(), ipPath, nil, &out)
	require.NoError(t, err, "Get: %v", out)
	require.NotEmpty(t, out.IPList, "Get: %v %v", out, err)
	// The path may be given without /cgi-bin/.
	ips, err := c.GetAPIDomainIPs(t.Context())
	require.NoError(t, err, "GetAPIDomainIPs: %v", ips)
	require.Len(t, ips, 2, "GetAPIDomainIPs: %v %v", ips, err)
	ips, err = c.GetCallbackIPs(t.Context())
	require.NoError(t, err, "GetCallbackIPs: %v", ips)
	require.Len(t, ips, 2, "GetCallbackIPs: %v %v", ips, err)
	require.NoError(t, c.Get(t.Context(), "get_api_domain_ip", nil, &out), "short path")
	req := srv.Requests()
	last := req[len(req)-1]
	require.Equal(t, ipPath, last.Path, "last request %+v", last)
	require.Equal(t, tok, last.Query.Get("access_token"), "last request %+v", last)
	require.Equal(t, 1, srv.Corp(srv.CorpID).TokenFetches(), "token fetched %d times", srv.Corp(srv.CorpID).TokenFetches())
}

func TestClient_ErrcodeBecomesError(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(ipPath, wecomtest.Fault{Errcode: 84061, Errmsg: "not external contact"})
	err := c.Get(t.Context(), ipPath, nil, nil)
	var we *wecom.Error
	require.ErrorAs(t, err, &we)
	require.Equal(t, 84061, we.Code, "err = %#v", err)
	require.Equal(t, "not external contact", we.Msg, "err = %#v", err)
	require.Equal(t, ipPath, we.Path, "err = %#v", err)
	require.False(t, wecom.IsRetryable(err), "84061 misclassified")
	require.False(t, wecom.IsRateLimited(err), "84061 misclassified")
	require.False(t, wecom.IsTokenExpired(err), "84061 misclassified")
	// An unknown path is an HTTP 404, not an errcode, and is not retried.
	err = c.Get(t.Context(), "/cgi-bin/nope", nil, nil)
	var he *wecom.HTTPError
	require.ErrorAs(t, err, &he, "unknown path")
	require.Equal(t, http.StatusNotFound, he.StatusCode, "unknown path: %v", err)
	require.Equal(t, 0, wecom.ErrorCode(err), "unknown path: %v", err)
	require.False(t, wecom.IsRetryable(err), "unknown path: %v", err)
	n := srv.Count("/cgi-bin/nope")
	require.Equal(t, 1, n, "unknown path requested %d times, want 1", n)
}

func TestClient_ConcurrentColdCallsFetchOneToken(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetAPIDomainIPs(t.Context()); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int32(0), failed.Load(), "failed %d, token fetches %d", failed.Load(), srv.Corp(srv.CorpID).TokenFetches())
	require.Equal(t, 1, srv.Corp(srv.CorpID).TokenFetches(), "failed %d, token fetches %d", failed.Load(), srv.Corp(srv.CorpID).TokenFetches())
}

func TestClient_StaleTokenRefreshedOnceAndCallRetriedOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		stale func(*wecomtest.Server)
	}{
		{"42001 expired", func(s *wecomtest.Server) { s.Corp(s.CorpID).ExpireTokens() }},
		{"40014 invalid", func(s *wecomtest.Server) { s.Corp(s.CorpID).RevokeTokens() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := wecomtest.NewServer(t)
			c := srv.Client(wecom.WithRetryPolicy(wecom.NoRetry()))
			_, err := c.GetAPIDomainIPs(t.Context())
			require.NoError(t, err)
			tc.stale(srv)
			// Many callers hit the stale token at once: one new token.
			var wg sync.WaitGroup
			var failed atomic.Int32
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := c.GetAPIDomainIPs(t.Context()); err != nil {
						failed.Add(1)
					}
				}()
			}
			wg.Wait()
			require.Equal(t, int32(0), failed.Load(), "%d calls failed", failed.Load())
			require.Equal(t, 2, srv.Corp(srv.CorpID).TokenFetches(), "token fetches")
		})
	}
}

func TestClient_StaleTokenRetriedOnlyOnce(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(ipPath, wecomtest.Fault{Errcode: 42001, Times: 5})
	err := c.Get(t.Context(), ipPath, nil, nil)
	require.True(t, wecom.IsTokenExpired(err), "err = %v", err)
	n := srv.Count(ipPath)
	require.Equal(t, 2, n, "calls = %d, want 2 (one retry after refresh)", n)
}

func TestClient_BadSecretIsReportedAndNotRetried(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := wecom.New(srv.CorpID, "wrong-secret-123", srv.ClientOptions()...)
	err := c.Get(t.Context(), ipPath, nil, nil)
	require.True(t, wecom.IsInvalidSecret(err), "err = %v", err)
	require.False(t, wecom.IsRetryable(err), "err = %v", err)
	require.Contains(t, err.Error(), "secret", "message %q", err)
	require.NotContains(t, err.Error(), "wrong-secret-123", "message %q", err)
	n := srv.Count("/cgi-bin/gettoken")
	require.Equal(t, 1, n, "gettoken called %d times", n)
	n = srv.Count(ipPath)
	require.Equal(t, 0, n, "API called %d times without a token", n)
}

func TestClient_RetriesTransientFailuresOfReads(t *testing.T) {
	t.Parallel()
	for _, f := range []wecomtest.Fault{
		{Errcode: -1, Times: 2},
		{HTTPStatus: http.StatusBadGateway, Times: 2},
		{Drop: true, Times: 2},
		{Errcode: 45009, Times: 2},
		{Errcode: 45033, Times: 1},
	} {
		srv := wecomtest.NewServer(t)
		c := srv.Client()
		srv.Fail(ipPath, f)
		_, err := c.GetAPIDomainIPs(t.Context())
		require.NoError(t, err, "%+v", f)
		n := srv.Count(ipPath)
		require.Equal(t, f.Times+1, n, "%+v: %d calls", f, n)
	}
}

func TestClient_RetriesAreBounded(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1, Times: -1})
	err := c.Get(t.Context(), ipPath, nil, nil)
	require.Equal(t, -1, wecom.ErrorCode(err), "err = %v", err)
	require.True(t, wecom.IsRetryable(err), "err = %v", err)
	require.Equal(t, 3, srv.Count(ipPath), "calls")
	srv.ClearFaults()
	c = srv.Client(wecom.WithRetryPolicy(wecom.NoRetry()))
	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1})
	srv.ResetRequests()
	err = c.Get(t.Context(), ipPath, nil, nil)
	require.Equal(t, -1, wecom.ErrorCode(err), "NoRetry: %v, %d calls", err, srv.Count(ipPath))
	require.Equal(t, 1, srv.Count(ipPath), "NoRetry: %v, %d calls", err, srv.Count(ipPath))
}

func TestClient_WritesThatMayHaveLandedAreNotResent(t *testing.T) {
	t.Parallel()
	const path = "/cgi-bin/media/uploadimg"
	for _, f := range []wecomtest.Fault{
		{Drop: true},
		{HTTPStatus: http.StatusInternalServerError},
		{Errcode: -1},
	} {
		srv := wecomtest.NewServer(t)
		c := srv.Client()
		srv.Fail(path, f)
		err := c.Post(t.Context(), path, struct{}{}, nil)
		require.ErrorIs(t, err, wecom.ErrOutcomeUnknown, "%+v: err", f)
		require.Contains(t, err.Error(), "outcome unknown", "%+v: err = %v", f, err)
		require.False(t, wecom.IsRetryable(err), "%+v: outcome-unknown write reported retryable", f)
		n := srv.Count(path)
		require.Equal(t, 1, n, "%+v: write sent %d times", f, n)
	}
	// A definite rejection is not "unknown", and a rate limit is not retried for writes.
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(path, wecomtest.Fault{Errcode: 45009})
	err := c.Post(t.Context(), path, struct{}{}, nil)
	require.NotErrorIs(t, err, wecom.ErrOutcomeUnknown, "45009 write: %v, %d calls", err, srv.Count(path))
	require.True(t, wecom.IsRateLimited(err), "45009 write: %v, %d calls", err, srv.Count(path))
	require.Equal(t, 1, srv.Count(path), "45009 write: %v, %d calls", err, srv.Count(path))
}

// flakyDialer refuses the first n dials, as an unreachable host would:
// the request was never written, so even a write may be retried.
func flakyDialer(n int32) *http.Client {
	var left atomic.Int32
	left.Store(n)
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if left.Add(-1) >= 0 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestClient_WriteRetriedWhenNeverSent(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	tok, err := srv.Client().AccessToken(t.Context())
	require.NoError(t, err)
	// The first dial is refused, so the write never left: it is retried once
	// and reaches the server exactly once.
	c := wecom.New(srv.CorpID, srv.Secret, srv.ClientOptions(
		wecom.WithHTTPClient(flakyDialer(1)), wecom.WithTokenSource(staticToken(tok)))...)
	err = c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/media/uploadimg", Body: struct{}{}, Op: wecom.OpWrite})
	require.Equal(t, 40058, wecom.ErrorCode(err), "write after a refused dial: %v (want the fake's 40058 for a non-multipart body)", err)
	n := srv.Count("/cgi-bin/media/uploadimg")
	require.Equal(t, 1, n, "write reached the server %d times", n)
}

type staticToken string

func (s staticToken) Token(context.Context) (string, error)  { return string(s), nil }
func (staticToken) Invalidate(context.Context, string) error { return nil }

func TestClient_ContextCancelSurfacesAsCtxErr(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	_, _ = c.AccessToken(t.Context())
	srv.Fail(ipPath, wecomtest.Fault{Latency: 2 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Get(ctx, ipPath, nil, nil)
	require.True(t, err == context.DeadlineExceeded)
	require.LessOrEqual(t, time.Since(start), time.Second, "cancel did not interrupt the call")
	// A wait between retries is interrupted too.
	slow := srv.Client(wecom.WithRetryPolicy(&wecom.Backoff{MaxAttempts: 3, Initial: time.Minute, Max: time.Minute}))
	_, _ = slow.AccessToken(t.Context())
	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1})
	ctx2, cancel2 := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel2)
	start = time.Now()
	err = slow.Get(ctx2, ipPath, nil, nil)
	require.True(t, err == context.Canceled, "err = %v after %v", err, time.Since(start))
	require.LessOrEqual(t, time.Since(start), 5*time.Second, "err = %v after", err)
}

func TestClient_TransportErrorsAreWrappedAndRedacted(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	c := wecom.New("wwcorp", "s3cr3t-value", wecom.WithBaseURL("http://"+addr),
		wecom.WithRetryPolicy(wecom.NoRetry()), wecom.WithTokenSource(staticToken("TOKEN-VALUE-XYZ")))
	err = c.Get(t.Context(), ipPath, nil, nil)
	var ue *url.Error
	var oe *net.OpError
	require.ErrorAs(t, err, &ue, "transport error not wrapped")
	require.ErrorAs(t, err, &oe, "transport error not wrapped")
	require.NotContains(t, err.Error(), "TOKEN-VALUE-XYZ", "token not redacted: %v", err)
	require.Contains(t, err.Error(), "REDACTED", "token not redacted: %v", err)
	require.True(t, wecom.IsRetryable(err), "refused connection should be retryable")
}

func TestClient_InvalidBaseURL(t *testing.T) {
	t.Parallel()
	c := wecom.New("wwcorp", "s", wecom.WithBaseURL("ftp://x"))
	err := c.Get(t.Context(), ipPath, nil, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "base URL", "err = %v", err)
}

func TestClient_RateLimitOverrideIsSharedByCallers(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client(wecom.WithRateLimit(ipPath, wecom.Limit{PerMinute: 30})) // burst 3
	_, _ = c.AccessToken(t.Context())
	var ok, limited atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			if err := c.Get(ctx, ipPath, nil, nil); err == nil {
				ok.Add(1)
			} else if wecom.IsRateLimited(err) {
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int32(3), ok.Load(), "ok %d, limited %d, reached server %d", ok.Load(), limited.Load(), srv.Count(ipPath))
	require.Equal(t, int32(3), limited.Load(), "ok %d, limited %d, reached server %d", ok.Load(), limited.Load(), srv.Count(ipPath))
	require.Equal(t, 3, srv.Count(ipPath), "ok %d, limited %d, reached server %d", ok.Load(), limited.Load(), srv.Count(ipPath))
}

func TestClient_ServerRateLimitAnswers45009(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.SetRateLimit(ipPath, 2, time.Minute)
	c := srv.Client(wecom.WithRetryPolicy(wecom.NoRetry()))
	for i := range 2 {
		require.NoError(t, c.Get(t.Context(), ipPath, nil, nil), "call %d", i)
	}
	err := c.Get(t.Context(), ipPath, nil, nil)
	require.True(t, wecom.IsRateLimited(err), "third call: %v", err)
	other := srv.AddCorp("wwother", "other-secret")
	require.NoError(t, srv.ClientFor(other.ID()).Get(t.Context(), ipPath, nil, nil), "other corp limited too")
}

// recordingStore remembers every key it was asked to write.
type recordingStore struct {
	*wecom.MemoryStore
	mu   sync.Mutex
	keys []string
}

func (s *recordingStore) Set(ctx context.Context, k, v string, ttl time.Duration) error {
	s.mu.Lock()
	s.keys = append(s.keys, k)
	s.mu.Unlock()
	return s.MemoryStore.Set(ctx, k, v, ttl)
}

func TestClient_NoSecretOrTokenInLogsErrorsOrKeys(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	secret := srv.Secret
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := &recordingStore{MemoryStore: wecom.NewMemoryStore()}
	c := srv.Client(wecom.WithLogger(logger), wecom.WithStore(store))
	var errs []string
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), strings.ReplaceAll(err.Error(), "%", ""))
		}
	}
	collect(c.Get(t.Context(), ipPath, nil, nil))
	srv.Corp(srv.CorpID).ExpireTokens()
	collect(c.Get(t.Context(), ipPath, nil, nil))
	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1, Times: 5})
	collect(c.Get(t.Context(), ipPath, nil, nil))
	srv.Fail("/cgi-bin/media/uploadimg", wecomtest.Fault{Drop: true})
	collect(c.Post(t.Context(), "/cgi-bin/media/uploadimg", struct{}{}, nil))
	srv.Fail(ipPath, wecomtest.Fault{HTTPStatus: 503, Times: 5})
	collect(c.Get(t.Context(), ipPath, nil, nil))
	bad := wecom.New(srv.CorpID, "wrong-secret-abcdef", srv.ClientOptions(wecom.WithLogger(logger))...)
	collect(bad.Get(t.Context(), ipPath, nil, nil))
	require.GreaterOrEqual(t, len(errs), 5, "expected failures to scan")
	var tokens []string
	for _, r := range srv.Requests() {
		if tok := r.Query.Get("access_token"); tok != "" {
			tokens = append(tokens, tok)
		}
	}
	secrets := append([]string{secret, "wrong-secret-abcdef"}, tokens...)
	logMu.Lock()
	logText := logs.String()
	logMu.Unlock()
	require.Contains(t, logText, "retrying", "expected debug logs")
	for _, s := range secrets {
		assert.NotContains(t, logText, s, "log contains secret or token")
		for _, e := range errs {
			assert.NotContains(t, e, s, "error %q contains secret or token", e)
		}
		for _, k := range store.keys {
			assert.NotContains(t, k, s, "store key %q contains a secret", k)
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestClient_SilentByDefault(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	require.False(t, c.Logger().Enabled(t.Context(), slog.LevelError), "default logger is not silent")
}

func TestClient_BadInputIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	var zero wecom.Client
	var nilClient *wecom.Client
	for name, err := range map[string]error{
		"nil request":   c.Do(t.Context(), nil),
		"empty path":    c.Get(t.Context(), "", nil, nil),
		"slash path":    c.Post(t.Context(), "/", struct{}{}, nil),
		"zero client":   zero.Get(t.Context(), ipPath, nil, nil),
		"nil client":    nilClient.Get(t.Context(), ipPath, nil, nil),
		"unmarshalable": c.Post(t.Context(), ipPath, func() {}, nil),
	} {
		assert.Error(t, err, "%s: no error", name)
	}
	_, err := zero.AccessToken(t.Context())
	assert.Error(t, err, "zero client AccessToken: no error")
	n := len(srv.Requests())
	require.Equal(t, 0, n, "%d requests sent for bad input", n)
	for _, err := range wecom.Paginate[int](t.Context(), "", nil) {
		require.Error(t, err, "nil page function: no error")
	}
	res := wecom.Batch[int, int](t.Context(), []int{1, 2}, 1, 1, nil)
	require.Error(t, res[0].Err, "nil chunk function: no per-item error")
	require.Error(t, res[1].Err, "nil chunk function: no per-item error")
}
