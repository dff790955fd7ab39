package wecomtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// post sends body to path with query and decodes the answer (tests speak
// WeCom's JSON directly here, not through the SDK).
func post(t *testing.T, s *Server, path, query, body string) map[string]any {
	t.Helper()
	u := s.URL + path
	if query != "" {
		u += "?" + query
	}
	resp, err := s.HTTPClient().Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v: %s", path, err, b)
	}
	return out
}

func code(m map[string]any) int {
	if v, ok := m["errcode"].(float64); ok {
		return int(v)
	}
	return 0
}

func suiteToken(t *testing.T, s *Server, suiteID string) string {
	t.Helper()
	ticket := s.Suite(suiteID).IssueTicket()
	out := post(t, s, "/cgi-bin/service/get_suite_token", "",
		`{"suite_id":"`+suiteID+`","suite_secret":"sec","suite_ticket":"`+ticket+`"}`)
	tok, _ := out["suite_access_token"].(string)
	if tok == "" {
		t.Fatalf("no suite token: %v", out)
	}
	return tok
}

func TestFakeSuiteTokenChecks(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddSuite("wwfs1", "sec")
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"suite_id":"wwnone","suite_secret":"sec","suite_ticket":"x"}`, 40083},
		{`{"suite_id":"wwfs1","suite_secret":"bad","suite_ticket":"x"}`, 40001},
		{`{"suite_id":"wwfs1","suite_secret":"sec","suite_ticket":"never-issued"}`, 40085},
		{`{"suite_id":"wwfs1","suite_secret":"sec","suite_ticket":"x","suite_tickt":"typo"}`, 40058},
	} {
		if got := code(post(t, s, "/cgi-bin/service/get_suite_token", "", c.body)); got != c.want {
			t.Errorf("%s: errcode %d, want %d", c.body, got, c.want)
		}
	}
}

func TestFakeSuiteTicketExpires(t *testing.T) {
	t.Parallel()
	start := time.Now()
	var skew atomic.Int64
	s := NewServer(t, WithClock(func() time.Time { return start.Add(time.Duration(skew.Load())) }))
	s.AddSuite("wwfs2", "sec")
	ticket := s.Suite("wwfs2").IssueTicket()
	skew.Store(int64(SuiteTicketLife))
	body := `{"suite_id":"wwfs2","suite_secret":"sec","suite_ticket":"` + ticket + `"}`
	if got := code(post(t, s, "/cgi-bin/service/get_suite_token", "", body)); got != 40085 {
		t.Fatalf("30-minute-old ticket: errcode %d, want 40085", got)
	}
}

func TestFakeInstallExchangeAndCorpToken(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddSuite("wwfs3", "sec")
	tok := suiteToken(t, s, "wwfs3")
	q := "suite_access_token=" + tok

	auth, err := s.Suite("wwfs3").Install(t.Context(), "wwcorpX", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(auth) < 64 {
		t.Fatalf("auth code %d bytes, WeCom's are at least 64", len(auth))
	}
	out := post(t, s, "/cgi-bin/service/v2/get_permanent_code", q, `{"auth_code":"`+auth+`"}`)
	pc, _ := out["permanent_code"].(string)
	if pc == "" || pc != s.Suite("wwfs3").PermanentCode("wwcorpX") {
		t.Fatalf("exchange: %v", out)
	}
	if got := code(post(t, s, "/cgi-bin/service/v2/get_permanent_code", q, `{"auth_code":"`+auth+`"}`)); got != 40058 {
		t.Fatalf("reused auth code: errcode %d, want 40058", got)
	}
	if got := code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"nope"}`)); got != 40084 {
		t.Fatalf("bad permanent code: errcode %d, want 40084", got)
	}
	ct := post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"`+pc+`"}`)
	corpTok, _ := ct["access_token"].(string)
	if corpTok == "" {
		t.Fatalf("get_corp_token: %v", ct)
	}
	// The corp token works on the corp endpoints of the other areas.
	resp, err := s.HTTPClient().Get(s.URL + "/cgi-bin/getcallbackip?access_token=" + corpTok)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte(`"errcode":0`)) {
		t.Fatalf("corp endpoint with a suite-issued token: %s", b)
	}
	if s.Suite("wwfs3").CorpTokenFetches("wwcorpX") != 1 {
		t.Fatal("corp token not counted")
	}

	s.Suite("wwfs3").ExpireTokens()
	if got := code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"`+pc+`"}`)); got != 42009 {
		t.Fatalf("expired suite token: errcode %d, want 42009", got)
	}
	q = "suite_access_token=" + suiteToken(t, s, "wwfs3")
	if err := s.Suite("wwfs3").Uninstall(t.Context(), "wwcorpX"); err != nil {
		t.Fatal(err)
	}
	if got := code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"`+pc+`"}`)); got != 40084 {
		t.Fatalf("after uninstall: errcode %d, want 40084", got)
	}
	resp, err = s.HTTPClient().Get(s.URL + "/cgi-bin/getcallbackip?access_token=" + corpTok)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte(`"errcode":40014`)) {
		t.Fatalf("suite-issued token still works after uninstall: %s", b)
	}
}

func TestFakeAgentDevelopedTemplate(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddSuite("dkfs4", "sec")
	q := "suite_access_token=" + suiteToken(t, s, "dkfs4")
	auth, err := s.Suite("dkfs4").Install(t.Context(), "wwdk", "")
	if err != nil {
		t.Fatal(err)
	}
	out := post(t, s, "/cgi-bin/service/get_permanent_code", q, `{"auth_code":"`+auth+`"}`)
	pc, _ := out["permanent_code"].(string)
	if pc == "" {
		t.Fatalf("exchange: %v", out)
	}
	if _, ok := out["access_token"]; ok {
		t.Fatal("v1 exchange of an agent-developed install returned a token")
	}
	if got := code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwdk","permanent_code":"`+pc+`"}`)); got != 48002 {
		t.Fatalf("get_corp_token for a dk template: errcode %d, want 48002", got)
	}
	resp, err := s.HTTPClient().Get(s.URL + "/cgi-bin/gettoken?corpid=wwdk&corpsecret=" + pc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte(`"access_token"`)) {
		t.Fatalf("gettoken with the permanent code: %s", b)
	}
}

func TestFakeSuiteTokenRequired(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	for _, path := range []string{"/cgi-bin/service/get_corp_token", "/cgi-bin/service/v2/get_auth_info",
		"/cgi-bin/service/get_admin_list", "/cgi-bin/service/set_session_info"} {
		if got := code(post(t, s, path, "suite_access_token=forged", `{}`)); got != 40082 {
			t.Errorf("%s with a forged suite token: errcode %d, want 40082", path, got)
		}
	}
	if got := code(post(t, s, "/cgi-bin/service/corpid_to_opencorpid", "provider_access_token=forged", `{"corpid":"x"}`)); got != 40082 {
		t.Errorf("forged provider token: errcode %d", got)
	}
	// A suite that was never added: its acts answer ErrNotFound, its reads
	// zero values.
	ghost := s.Suite("wwghost")
	if err := ghost.Uninstall(t.Context(), "wwc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Uninstall: %v", err)
	}
	if authCode, err := ghost.Install(t.Context(), "wwc", ""); !errors.Is(err, ErrNotFound) || authCode != "" {
		t.Errorf("Install: %q, %v", authCode, err)
	}
	if _, err := ghost.ResetPermanentCode(t.Context(), "wwc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ResetPermanentCode: %v", err)
	}
	if err := ghost.ChangeAuth(t.Context(), "wwc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ChangeAuth: %v", err)
	}
	ghost.SetAppAdmins("wwc")
	ghost.ExpireTokens()
	if ghost.SetCallback("http://127.0.0.1:1/", "t", NewEncodingAESKey()).Pusher() != nil {
		t.Error("an unknown suite kept a callback")
	}
	if ghost.IssueTicket() != "" || ghost.PermanentCode("wwc") != "" || ghost.Authorize("wwc") != "" ||
		ghost.AgentID("wwc") != 0 || ghost.TokenFetches() != 0 || ghost.CorpTokenFetches("wwc") != 0 {
		t.Error("unknown suite: non-zero answer")
	}
}
