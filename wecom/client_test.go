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

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const ipPath = "/cgi-bin/get_api_domain_ip"

func TestClient_Contracts(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL),
		wecom.WithHTTPClient(srv.HTTPClient()), wecom.WithStore(wecom.NewMemoryStore()))
	if c.CorpID() != srv.CorpID {
		t.Fatalf("CorpID = %q", c.CorpID())
	}
	tok, err := c.AccessToken(t.Context())
	if err != nil || tok == "" {
		t.Fatalf("AccessToken: %q, %v", tok, err)
	}
	var out struct {
		IPList []string `json:"ip_list"`
	}
	if err := c.Get(t.Context(), ipPath, nil, &out); err != nil || len(out.IPList) == 0 {
		t.Fatalf("Get: %v %v", out, err)
	}
	// The path may be given without /cgi-bin/.
	if ips, err := c.GetAPIDomainIPs(t.Context()); err != nil || len(ips) != 2 {
		t.Fatalf("GetAPIDomainIPs: %v %v", ips, err)
	}
	if ips, err := c.GetCallbackIPs(t.Context()); err != nil || len(ips) != 2 {
		t.Fatalf("GetCallbackIPs: %v %v", ips, err)
	}
	if err := c.Get(t.Context(), "get_api_domain_ip", nil, &out); err != nil {
		t.Fatalf("short path: %v", err)
	}
	req := srv.Requests()
	last := req[len(req)-1]
	if last.Path != ipPath || last.Query.Get("access_token") != tok {
		t.Fatalf("last request %+v", last)
	}
	if srv.Corp(srv.CorpID).TokenFetches() != 1 {
		t.Fatalf("token fetched %d times", srv.Corp(srv.CorpID).TokenFetches())
	}
}

func TestClient_ErrcodeBecomesError(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(ipPath, wecomtest.Fault{Errcode: 84061, Errmsg: "not external contact"})
	err := c.Get(t.Context(), ipPath, nil, nil)
	var we *wecom.Error
	if !errors.As(err, &we) || we.Code != 84061 || we.Msg != "not external contact" || we.Path != ipPath {
		t.Fatalf("err = %#v", err)
	}
	if wecom.IsRetryable(err) || wecom.IsRateLimited(err) || wecom.IsTokenExpired(err) {
		t.Fatal("84061 misclassified")
	}
	// An unknown path is an HTTP 404, not an errcode, and is not retried.
	err = c.Get(t.Context(), "/cgi-bin/nope", nil, nil)
	var he *wecom.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusNotFound || wecom.ErrorCode(err) != 0 || wecom.IsRetryable(err) {
		t.Fatalf("unknown path: %v", err)
	}
	if n := srv.Count("/cgi-bin/nope"); n != 1 {
		t.Fatalf("unknown path requested %d times, want 1", n)
	}
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
			if _, err := c.GetAPIDomainIPs(context.Background()); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 || srv.Corp(srv.CorpID).TokenFetches() != 1 {
		t.Fatalf("failed %d, token fetches %d", failed.Load(), srv.Corp(srv.CorpID).TokenFetches())
	}
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
			if _, err := c.GetAPIDomainIPs(t.Context()); err != nil {
				t.Fatal(err)
			}
			tc.stale(srv)
			// Many callers hit the stale token at once: one new token.
			var wg sync.WaitGroup
			var failed atomic.Int32
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := c.GetAPIDomainIPs(context.Background()); err != nil {
						failed.Add(1)
					}
				}()
			}
			wg.Wait()
			if failed.Load() != 0 {
				t.Fatalf("%d calls failed", failed.Load())
			}
			if n := srv.Corp(srv.CorpID).TokenFetches(); n != 2 {
				t.Fatalf("token fetches = %d, want 2", n)
			}
		})
	}
}

func TestClient_StaleTokenRetriedOnlyOnce(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(ipPath, wecomtest.Fault{Errcode: 42001, Times: 5})
	err := c.Get(t.Context(), ipPath, nil, nil)
	if !wecom.IsTokenExpired(err) {
		t.Fatalf("err = %v", err)
	}
	if n := srv.Count(ipPath); n != 2 {
		t.Fatalf("calls = %d, want 2 (one retry after refresh)", n)
	}
}

func TestClient_BadSecretIsReportedAndNotRetried(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := wecom.New(srv.CorpID, "wrong-secret-123", srv.ClientOptions()...)
	err := c.Get(t.Context(), ipPath, nil, nil)
	if !wecom.IsInvalidSecret(err) || wecom.IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "wrong-secret-123") {
		t.Fatalf("message %q", err)
	}
	if n := srv.Count("/cgi-bin/gettoken"); n != 1 {
		t.Fatalf("gettoken called %d times", n)
	}
	if n := srv.Count(ipPath); n != 0 {
		t.Fatalf("API called %d times without a token", n)
	}
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
		if _, err := c.GetAPIDomainIPs(t.Context()); err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		if n := srv.Count(ipPath); n != f.Times+1 {
			t.Fatalf("%+v: %d calls", f, n)
		}
	}
}

func TestClient_RetriesAreBounded(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1, Times: -1})
	err := c.Get(t.Context(), ipPath, nil, nil)
	if wecom.ErrorCode(err) != -1 || !wecom.IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	if n := srv.Count(ipPath); n != 3 {
		t.Fatalf("calls = %d, want 3", n)
	}
	srv.ClearFaults()
	c = srv.Client(wecom.WithRetryPolicy(wecom.NoRetry()))
	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1})
	srv.ResetRequests()
	if err := c.Get(t.Context(), ipPath, nil, nil); wecom.ErrorCode(err) != -1 || srv.Count(ipPath) != 1 {
		t.Fatalf("NoRetry: %v, %d calls", err, srv.Count(ipPath))
	}
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
		if !errors.Is(err, wecom.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "outcome unknown") {
			t.Fatalf("%+v: err = %v", f, err)
		}
		if wecom.IsRetryable(err) {
			t.Fatalf("%+v: outcome-unknown write reported retryable", f)
		}
		if n := srv.Count(path); n != 1 {
			t.Fatalf("%+v: write sent %d times", f, n)
		}
	}
	// A definite rejection is not "unknown", and a rate limit is not retried for writes.
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail(path, wecomtest.Fault{Errcode: 45009})
	err := c.Post(t.Context(), path, struct{}{}, nil)
	if errors.Is(err, wecom.ErrOutcomeUnknown) || !wecom.IsRateLimited(err) || srv.Count(path) != 1 {
		t.Fatalf("45009 write: %v, %d calls", err, srv.Count(path))
	}
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
	if err != nil {
		t.Fatal(err)
	}
	// The first dial is refused, so the write never left: it is retried once
	// and reaches the server exactly once.
	c := wecom.New(srv.CorpID, srv.Secret, srv.ClientOptions(
		wecom.WithHTTPClient(flakyDialer(1)), wecom.WithTokenSource(staticToken(tok)))...)
	if err := c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/media/uploadimg", Body: struct{}{}, Op: wecom.OpWrite}); wecom.ErrorCode(err) != 40058 {
		t.Fatalf("write after a refused dial: %v (want the fake's 40058 for a non-multipart body)", err)
	}
	if n := srv.Count("/cgi-bin/media/uploadimg"); n != 1 {
		t.Fatalf("write reached the server %d times", n)
	}
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
	if err != context.DeadlineExceeded {
		t.Fatalf("err = %#v, want context.DeadlineExceeded itself", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("cancel did not interrupt the call")
	}
	// A wait between retries is interrupted too.
	slow := srv.Client(wecom.WithRetryPolicy(&wecom.Backoff{MaxAttempts: 3, Initial: time.Minute, Max: time.Minute}))
	_, _ = slow.AccessToken(t.Context())
	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1})
	ctx2, cancel2 := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel2)
	start = time.Now()
	if err := slow.Get(ctx2, ipPath, nil, nil); err != context.Canceled || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestClient_TransportErrorsAreWrappedAndRedacted(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	c := wecom.New("wwcorp", "s3cr3t-value", wecom.WithBaseURL("http://"+addr),
		wecom.WithRetryPolicy(wecom.NoRetry()), wecom.WithTokenSource(staticToken("TOKEN-VALUE-XYZ")))
	err = c.Get(t.Context(), ipPath, nil, nil)
	var ue *url.Error
	var oe *net.OpError
	if !errors.As(err, &ue) || !errors.As(err, &oe) {
		t.Fatalf("transport error not wrapped: %#v", err)
	}
	if strings.Contains(err.Error(), "TOKEN-VALUE-XYZ") || !strings.Contains(err.Error(), "REDACTED") {
		t.Fatalf("token not redacted: %v", err)
	}
	if !wecom.IsRetryable(err) {
		t.Fatal("refused connection should be retryable")
	}
}

func TestClient_InvalidBaseURL(t *testing.T) {
	t.Parallel()
	c := wecom.New("wwcorp", "s", wecom.WithBaseURL("ftp://x"))
	if err := c.Get(t.Context(), ipPath, nil, nil); err == nil || !strings.Contains(err.Error(), "base URL") {
		t.Fatalf("err = %v", err)
	}
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
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := c.Get(ctx, ipPath, nil, nil); err == nil {
				ok.Add(1)
			} else if wecom.IsRateLimited(err) {
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 3 || limited.Load() != 3 || srv.Count(ipPath) != 3 {
		t.Fatalf("ok %d, limited %d, reached server %d", ok.Load(), limited.Load(), srv.Count(ipPath))
	}
}

func TestClient_ServerRateLimitAnswers45009(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.SetRateLimit(ipPath, 2, time.Minute)
	c := srv.Client(wecom.WithRetryPolicy(wecom.NoRetry()))
	for i := range 2 {
		if err := c.Get(t.Context(), ipPath, nil, nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if err := c.Get(t.Context(), ipPath, nil, nil); !wecom.IsRateLimited(err) {
		t.Fatalf("third call: %v", err)
	}
	other := srv.AddCorp("wwother", "other-secret")
	if err := srv.ClientFor(other.ID()).Get(t.Context(), ipPath, nil, nil); err != nil {
		t.Fatalf("other corp limited too: %v", err)
	}
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
	if len(errs) < 5 {
		t.Fatalf("expected failures to scan, got %d", len(errs))
	}
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
	if !strings.Contains(logText, "retrying") {
		t.Fatalf("expected debug logs, got %q", logText)
	}
	for _, s := range secrets {
		if strings.Contains(logText, s) {
			t.Errorf("log contains secret or token %q", s)
		}
		for _, e := range errs {
			if strings.Contains(e, s) {
				t.Errorf("error %q contains secret or token", e)
			}
		}
		for _, k := range store.keys {
			if strings.Contains(k, s) {
				t.Errorf("store key %q contains a secret", k)
			}
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
	if c.Logger().Enabled(t.Context(), slog.LevelError) {
		t.Fatal("default logger is not silent")
	}
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
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := zero.AccessToken(t.Context()); err == nil {
		t.Error("zero client AccessToken: no error")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for bad input", n)
	}
	for _, err := range wecom.Paginate[int](t.Context(), "", nil) {
		if err == nil {
			t.Fatal("nil page function: no error")
		}
	}
	res := wecom.Batch[int, int](t.Context(), []int{1, 2}, 1, 1, nil)
	if res[0].Err == nil || res[1].Err == nil {
		t.Fatal("nil chunk function: no per-item error")
	}
}
