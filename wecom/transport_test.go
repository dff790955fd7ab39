package wecom_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-resty/resty/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// captureLog collects everything resty and the application's hooks write.
type captureLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *captureLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.buf, format+"\n", args...)
}

func (l *captureLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// resty.Logger
func (l *captureLog) Errorf(format string, v ...any) { l.printf("ERROR "+format, v...) }
func (l *captureLog) Warnf(format string, v ...any)  { l.printf("WARN "+format, v...) }
func (l *captureLog) Debugf(format string, v ...any) { l.printf("DEBUG "+format, v...) }

func bodyString(b any) string {
	switch b := b.(type) {
	case []byte:
		return string(b)
	case string:
		return b
	case nil:
		return ""
	}
	return fmt.Sprintf("%T", b)
}

// loggingResty is a resty client as an application might configure one to
// see everything: the debug log with curl commands, and every middleware
// and hook logging all it is given.
func loggingResty(t *testing.T, transport http.RoundTripper, log *captureLog) *resty.Client {
	t.Helper()
	rc := resty.New().SetTransport(transport).SetDebug(true).SetLogger(log).EnableGenerateCurlOnDebug()
	rc.OnBeforeRequest(func(_ *resty.Client, r *resty.Request) error {
		log.printf("before: %s %s query=%v header=%v form=%v body=%s", r.Method, r.URL, r.QueryParam, r.Header, r.FormData, bodyString(r.Body))
		return nil
	})
	rc.SetPreRequestHook(func(_ *resty.Client, hr *http.Request) error {
		body := ""
		if hr.GetBody != nil {
			rd, err := hr.GetBody()
			require.NoError(t, err)
			b, _ := io.ReadAll(rd)
			body = string(b)
		}
		log.printf("pre-request: %s %s header=%v body=%s", hr.Method, hr.URL, hr.Header, body)
		return nil
	})
	rc.OnRequestLog(func(l *resty.RequestLog) error {
		log.printf("request log: header=%v body=%s", l.Header, l.Body)
		return nil
	})
	rc.OnResponseLog(func(l *resty.ResponseLog) error {
		log.printf("response log: header=%v body=%s", l.Header, l.Body)
		return nil
	})
	rc.OnAfterResponse(func(_ *resty.Client, r *resty.Response) error {
		log.printf("after: %s %s body=%s", r.Request.URL, r.RawResponse.Request.URL, r.String())
		return nil
	})
	rc.OnSuccess(func(_ *resty.Client, r *resty.Response) {
		log.printf("success: %s raw=%s status=%d header=%v", r.Request.URL, r.RawResponse.Request.URL, r.StatusCode(), r.Header())
	})
	rc.OnError(func(r *resty.Request, err error) {
		log.printf("error: %s %v", r.URL, err)
	})
	return rc
}

// TestRestyNeverSeesSecrets makes a call of every kind through a resty
// client with the debug log on and logging middlewares and hooks: a corp's
// gettoken and an API call, a media upload, a suite's ticket, suite token,
// permanent-code exchange, auth info and corp token (third-party and
// agent-developed), and a provider token. None of the secret parameters,
// nor any token, secret, ticket, auth code or permanent code, appears in
// what resty logged or the hooks saw.
func TestRestyNeverSeesSecrets(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	log := &captureLog{}
	rc := loggingResty(t, srv.HTTPClient().Transport, log)
	opts := []wecom.Option{wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(rc), wecom.WithRetryPolicy(wecomtest.FastRetry())}
	suiteOpts := func() []wecom.SuiteOption {
		var so []wecom.SuiteOption
		for _, o := range opts {
			so = append(so, o)
		}
		return so
	}
	var secrets []string // values that must not appear

	// A self-built app: gettoken, a read, a media upload.
	c := wecom.New(srv.CorpID, srv.Secret, opts...)
	var ips struct {
		IPList []string `json:"ip_list"`
	}
	require.NoError(t, c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &ips))
	_, err := c.UploadMedia(ctx, wecom.MediaFile, "price.txt", strings.NewReader("price list v1"))
	require.NoError(t, err)
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)
	secrets = append(secrets, srv.Secret, tok)

	// A third-party suite: ticket, suite token, install (auth code →
	// permanent code), auth info, the corp's token and a call as the corp.
	const suiteID, suiteSecret, corpID = "wwsuiteredact001", "suite-secret-redact-0001", "wwcorpredact001"
	srv.AddSuite(suiteID, suiteSecret)
	s := wecom.NewSuite(suiteID, suiteSecret, suiteOpts()...)
	ticket := srv.Suite(suiteID).IssueTicket()
	require.NoError(t, s.SetTicket(ctx, ticket))
	suiteTok, err := s.AccessToken(ctx)
	require.NoError(t, err)
	authCode, err := srv.Suite(suiteID).Install(ctx, corpID, "")
	require.NoError(t, err)
	info, err := s.HandleCreateAuth(ctx, authCode)
	require.NoError(t, err)
	_, err = s.GetAuthInfo(ctx, corpID)
	require.NoError(t, err)
	require.NoError(t, s.Corp(corpID).Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &ips))
	corpTok, err := s.Corp(corpID).AccessToken(ctx)
	require.NoError(t, err)
	secrets = append(secrets, suiteSecret, ticket, suiteTok, authCode, info.PermanentCode, corpTok)

	// An agent-developed template: its corp's token comes from gettoken
	// with the permanent code as the corpsecret.
	const dkID, dkSecret, dkCorp = "dktemplateredact", "dk-secret-redact-0001", "wwdkcorpredact01"
	srv.AddSuite(dkID, dkSecret)
	dk := wecom.NewSuite(dkID, dkSecret, suiteOpts()...)
	dkTicket := srv.Suite(dkID).IssueTicket()
	require.NoError(t, dk.SetTicket(ctx, dkTicket))
	dkAuth, err := srv.Suite(dkID).Install(ctx, dkCorp, "")
	require.NoError(t, err)
	dkInfo, err := dk.HandleCreateAuth(ctx, dkAuth)
	require.NoError(t, err)
	require.NoError(t, dk.Corp(dkCorp).Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &ips))
	dkTok, err := dk.Corp(dkCorp).AccessToken(ctx)
	require.NoError(t, err)
	dkSuiteTok, err := dk.AccessToken(ctx)
	require.NoError(t, err)
	secrets = append(secrets, dkSecret, dkTicket, dkAuth, dkInfo.PermanentCode, dkTok, dkSuiteTok)

	// A provider.
	const providerCorp, providerSecret = "wwproviderredact", "provider-secret-redact-01"
	srv.AddProvider(providerCorp, providerSecret)
	p := wecom.NewProvider(providerCorp, providerSecret, opts...)
	providerTok, err := p.AccessToken(ctx)
	require.NoError(t, err)
	secrets = append(secrets, providerSecret, providerTok)

	out := log.String()
	// The log is not empty: resty logged every call, and the hooks ran.
	for _, want := range []string{"~~~ REQUEST ~~~", "REQUEST(CURL)", "/cgi-bin/gettoken", "/cgi-bin/service/get_suite_token",
		"/cgi-bin/service/get_corp_token", "/cgi-bin/service/v2/get_permanent_code", "/cgi-bin/service/get_provider_token",
		"/cgi-bin/media/upload", "before:", "pre-request:", "request log:", "response log:", "success:", "DO NOT PARSE RESPONSE"} {
		assert.Contains(t, out, want)
	}
	for _, name := range []string{"access_token", "corpsecret", "suite_secret", "provider_secret", "suite_ticket",
		`"permanent_code"`, "permanent_code=", "auth_code"} {
		assert.NotContains(t, out, name, "a secret parameter's name reached resty")
	}
	for _, v := range secrets {
		require.NotEmpty(t, v)
		assert.NotContains(t, out, v, "a secret value reached resty")
	}
	if t.Failed() {
		t.Logf("resty saw:\n%s", out)
	}
}

// TestWithRestyClientOwnRoundTripperSeesTheRequestAsSent shows the one
// place a token is visible: a RoundTripper of the application's below the
// SDK's, which gets the request as sent.
func TestWithRestyClientOwnRoundTripperSeesTheRequestAsSent(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	var seen []string
	var mu sync.Mutex
	below := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		seen = append(seen, r.URL.RawQuery)
		mu.Unlock()
		return srv.HTTPClient().Transport.RoundTrip(r)
	})
	rc := resty.New().SetTransport(below)
	c := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(rc))
	require.NoError(t, c.Get(t.Context(), "/cgi-bin/get_api_domain_ip", nil, nil))
	tok, err := c.AccessToken(t.Context())
	require.NoError(t, err)
	require.Len(t, seen, 2)
	assert.Contains(t, seen[0], "corpsecret=")
	assert.Contains(t, seen[1], "access_token="+tok)
	// The resty client's other requests pass the SDK's RoundTripper untouched.
	other := httpServerAnswering(t, "plain")
	resp, err := rc.R().SetQueryParam("q", "1").Get(other + "/x")
	require.NoError(t, err)
	assert.Equal(t, "plain", resp.String())
	assert.Equal(t, "q=1", seen[2])
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// httpServerAnswering is a loopback server answering body to anything.
func httpServerAnswering(t *testing.T, body string) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) }))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestWithRestyClientSettings pins what WithRestyClient accepts.
func TestWithRestyClientSettings(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	ctx := t.Context()

	// A resty client that retries by itself is refused: it would re-send
	// writes the SDK must not.
	retrying := resty.New().SetTransport(srv.HTTPClient().Transport).SetRetryCount(2)
	c := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(retrying))
	err := c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil)
	require.ErrorContains(t, err, "RetryCount 2")
	assert.Zero(t, srv.Count("/cgi-bin/gettoken"), "nothing is sent")

	// WithHTTPClient and WithRestyClient exclude each other.
	both := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithHTTPClient(srv.HTTPClient()),
		wecom.WithRestyClient(resty.New()))
	require.ErrorContains(t, both.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil), "both given")

	nilClient := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(nil))
	require.ErrorContains(t, nilClient.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil), "WithRestyClient(nil)")

	// One resty client shared by several clients gets the SDK's
	// RoundTripper once, and the calls of each carry their own token.
	rc := resty.New().SetTransport(srv.HTTPClient().Transport)
	c1 := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(rc))
	wrapped := rc.GetClient().Transport
	c2 := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(rc))
	assert.Same(t, wrapped, rc.GetClient().Transport)
	require.NoError(t, c1.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil))
	require.NoError(t, c2.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil))

	// WithHTTPClient leaves the given http.Client as it was.
	hc := srv.HTTPClient()
	before := hc.Transport
	c3 := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithHTTPClient(hc))
	require.NoError(t, c3.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil))
	assert.Same(t, before, hc.Transport)

	// A transport set after the client was built leaves the SDK's
	// RoundTripper out: the call fails saying so (its token was not sent).
	late := resty.New().SetTransport(srv.HTTPClient().Transport)
	c4 := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(late),
		wecom.WithRetryPolicy(wecom.NoRetry()))
	late.SetTransport(srv.HTTPClient().Transport)
	err = c4.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil)
	require.ErrorContains(t, err, "did not see the request")
	assert.False(t, wecom.IsRetryable(err))

	// A middleware that refuses a request: not sent, not retried.
	refusing := resty.New().SetTransport(srv.HTTPClient().Transport)
	refusing.OnBeforeRequest(func(*resty.Client, *resty.Request) error { return fmt.Errorf("refused by policy") })
	c5 := wecom.New(srv.CorpID, srv.Secret, wecom.WithBaseURL(srv.URL), wecom.WithRestyClient(refusing),
		wecom.WithTokenSource(staticToken("tok")))
	srv.ResetRequests()
	err = c5.Post(ctx, "/cgi-bin/externalcontact/add_contact_way", struct{}{}, nil)
	require.ErrorContains(t, err, "refused by policy")
	assert.NotErrorIs(t, err, wecom.ErrOutcomeUnknown)
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/add_contact_way"))
}
