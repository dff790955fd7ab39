package wecomtest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// raw calls the fake directly and decodes errcode and the rest.
func raw(t *testing.T, srv *wecomtest.Server, method, pathAndQuery string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+pathAndQuery, nil)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
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
		if code != tc.code {
			t.Fatalf("%+v: errcode %d", tc, code)
		}
		if code == 0 && (m["access_token"] == "" || m["expires_in"].(float64) != 3600) {
			t.Fatalf("answer %v", m)
		}
	}
	if code, _ := raw(t, srv, http.MethodPost, q(srv.CorpID, srv.Secret)); code != 40058 {
		t.Fatalf("POST gettoken: errcode %d", code)
	}
	if n := srv.Corp(srv.CorpID).TokenFetches(); n != 1 {
		t.Fatalf("fetches %d", n)
	}
	srv.Corp(srv.CorpID).SetSecret("rotated")
	if code, _ := raw(t, srv, http.MethodGet, q(srv.CorpID, srv.Secret)); code != 40001 {
		t.Fatalf("old secret after rotation: %d", code)
	}
}

func TestTokenChecks(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t, wecomtest.WithTokenTTL(time.Hour))
	if code, _ := raw(t, srv, http.MethodGet, "/cgi-bin/get_api_domain_ip"); code != 41001 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := raw(t, srv, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token=forged"); code != 40014 {
		t.Fatalf("forged token: %d", code)
	}
	now := time.Now()
	clock := wecomtest.WithClock(func() time.Time { return now })
	srv2 := wecomtest.NewServer(t, clock, wecomtest.WithTokenTTL(time.Minute))
	tok, err := srv2.Client().AccessToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := raw(t, srv2, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token="+tok); code != 0 {
		t.Fatalf("fresh token: %d", code)
	}
	now = now.Add(61 * time.Second)
	if code, _ := raw(t, srv2, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token="+tok); code != 42001 {
		t.Fatalf("token past its TTL: %d", code)
	}
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
		if err := c.Get(t.Context(), p, nil, nil); !want(err) {
			t.Fatalf("%s: got %v", what, err)
		}
	}
	check(wecom.IsRateLimited, "first 45009")
	check(wecom.IsRateLimited, "second 45009")
	check(func(err error) bool {
		var he *wecom.HTTPError
		return errors.As(err, &he) && he.StatusCode == 503
	}, "503")
	// net/http itself replays an idempotent GET once on a dropped reused
	// connection, so the drop is shown with a POST.
	if err := c.Post(t.Context(), p, struct{}{}, nil); !errors.Is(err, wecom.ErrOutcomeUnknown) {
		t.Fatalf("drop: got %v", err)
	}
	start := time.Now()
	check(func(err error) bool { return err == nil && time.Since(start) >= 30*time.Millisecond }, "latency")
	check(func(err error) bool { return err == nil }, "faults used up")
	srv.Fail(p, wecomtest.Fault{Errcode: -1, Times: -1})
	for range 3 {
		check(func(err error) bool { return wecom.ErrorCode(err) == -1 }, "persistent")
	}
	srv.ClearFaults()
	check(func(err error) bool { return err == nil }, "cleared")
	if n := srv.Count(p); n != 10 {
		t.Fatalf("recorded %d calls", n)
	}
	for _, r := range srv.Requests() {
		if r.Path == p && r.CorpID != srv.CorpID {
			t.Fatalf("request not attributed to the corp: %+v", r)
		}
	}
}

func TestCorpsAreSeparate(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	b := srv.AddCorp("wwcorpb", "secret-b")
	ca, cb := srv.Client(), srv.ClientFor(b.ID())
	ta, _ := ca.AccessToken(t.Context())
	tb, _ := cb.AccessToken(t.Context())
	if ta == tb {
		t.Fatal("corps share a token")
	}
	srv.Corp(b.ID()).ExpireTokens()
	if code, _ := raw(t, srv, http.MethodGet, "/cgi-bin/get_api_domain_ip?access_token="+ta); code != 0 {
		t.Fatalf("expiring corp B expired corp A: %d", code)
	}
}
