package wecomtest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// raw calls the fake directly and decodes errcode and the rest.
func raw(t *testing.T, srv *wecomtest.Server, method, pathAndQuery string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+pathAndQuery, nil)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	code, _ := m["errcode"].(float64)
	return int(code), m
}

func TestGettoken(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t, wecomtest.WithTokenTTL(time.Hour))
	q := func(corp, secret string) string {
		return "/cgi-bin/gettoken?" + url.Values{"corpid": {corp}, "corpsecret": {secret}}.Encode()
	}
	for _, tc := range []struct {
		corp, secret string
		code         int
	}{
		{srv.CorpID, srv.Secret, 0},
		{srv.CorpID, "nope", 40001},
		{"wwunknown", "x", 40013},
		{"", "x", 41002},
		{srv.CorpID, "", 41004},
	} {
		code, m := raw(t, srv, http.MethodGet, q(tc.corp, tc.secret))
		require.Equal(t, tc.code, code, "%+v: errcode %d", tc, code)
		require.False(t, code == 0 && (m["access_token"] == "" || m["expires_in"].(float64) != 3600), "answer %v", m)
	}
	code, _ := raw(t, srv, http.MethodPost, q(srv.CorpID, srv.Secret))
	require.Equal(t, 40058, code, "POST gettoken: errcode")
	require.Equal(t, 1, srv.Corp(srv.CorpID).TokenFetches(), "fetches")
	srv.Corp(srv.CorpID).SetSecret("rotated")
	code, _ = raw(t, srv, http.MethodGet, q(srv.CorpID, srv.Secret))
	require.Equal(t, 40001, code, "old secret after rotation")
}

func TestTokenChecks(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t, wecomtest.WithTokenTTL(time.Hour))
	code, _ := raw(t, srv, http.MethodGet, "/cgi-bin/get_api_domain_ip")
	require.Equal(t, 41001, code, "no token")
	code, _ = raw(t, srv, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token=forged")
	require.Equal(t, 40014, code, "forged token")
	now := time.Now()
	clock := wecomtest.WithClock(func() time.Time { return now })
	srv2 := wecomtest.NewServer(t, clock, wecomtest.WithTokenTTL(time.Minute))
	tok, err := srv2.Client().AccessToken(t.Context())
	require.NoError(t, err)
	code, _ = raw(t, srv2, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token="+tok)
	require.Equal(t, 0, code, "fresh token")
	now = now.Add(61 * time.Second)
	code, _ = raw(t, srv2, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token="+tok)
	require.Equal(t, 42001, code, "token past its TTL")
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client(wecom.WithRetryPolicy(wecom.NoRetry()))
	const p = "/cgi-bin/get_api_domain_ip"
	srv.Fail(p, wecomtest.Fault{Errcode: 45009, Times: 2})
	srv.Fail(p, wecomtest.Fault{HTTPStatus: 503})
	srv.Fail(p, wecomtest.Fault{Drop: true})
	srv.Fail(p, wecomtest.Fault{Latency: 30 * time.Millisecond})
	check := func(want func(error) bool, what string) {
		t.Helper()
		err := c.Get(t.Context(), p, nil, nil)
		require.True(t, want(err), "%s: got %v", what, err)
	}
	check(wecom.IsRateLimited, "first 45009")
	check(wecom.IsRateLimited, "second 45009")
	check(func(err error) bool {
		var he *wecom.HTTPError
		return errors.As(err, &he) && he.StatusCode == 503
	}, "503")
	// net/http itself replays an idempotent GET once on a dropped reused
	// connection, so the drop is shown with a POST.
	require.ErrorIs(t, c.Post(t.Context(), p, struct{}{}, nil), wecom.ErrOutcomeUnknown, "drop")
	start := time.Now()
	check(func(err error) bool { return err == nil && time.Since(start) >= 30*time.Millisecond }, "latency")
	check(func(err error) bool { return err == nil }, "faults used up")
	srv.Fail(p, wecomtest.Fault{Errcode: -1, Times: -1})
	for range 3 {
		check(func(err error) bool { return wecom.ErrorCode(err) == -1 }, "persistent")
	}
	srv.ClearFaults()
	check(func(err error) bool { return err == nil }, "cleared")
	n := srv.Count(p)
	require.Equal(t, 10, n, "recorded %d calls", n)
	for _, r := range srv.Requests() {
		require.False(t, r.Path == p && r.CorpID != srv.CorpID, "request not attributed to the corp: %+v", r)
	}
}

func TestCorpsAreSeparate(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	b := srv.AddCorp("wwcorpb", "secret-b")
	ca, cb := srv.Client(), srv.ClientFor(b.ID())
	ta, _ := ca.AccessToken(t.Context())
	tb, _ := cb.AccessToken(t.Context())
	require.NotEqual(t, tb, ta, "corps share a token")
	srv.Corp(b.ID()).ExpireTokens()
	code, _ := raw(t, srv, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token="+ta)
	require.Equal(t, 0, code, "expiring corp B expired corp A")
}
