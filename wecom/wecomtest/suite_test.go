package wecomtest

import (
	"encoding/json"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	err = json.Unmarshal(b, &out)
	require.NoError(t, err, "%s: %v: %s", path, err, b)
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
	require.NotEmpty(t, tok, "no suite token: %v", out)
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
		got := code(post(t, s, "/cgi-bin/service/get_suite_token", "", c.body))
		assert.Equal(t, c.want, got, "%s: errcode %d, want %d", c.body, got, c.want)
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
	require.Equal(t, 40085, code(post(t, s, "/cgi-bin/service/get_suite_token", "", body)), "30-minute-old ticket: errcode")
}

func TestFakeInstallExchangeAndCorpToken(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddSuite("wwfs3", "sec")
	tok := suiteToken(t, s, "wwfs3")
	q := "suite_access_token=" + tok

	auth, err := s.Suite("wwfs3").Install(t.Context(), "wwcorpX", "")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(auth), 64, "auth code %d bytes, WeCom's are at least 64", len(auth))
	out := post(t, s, "/cgi-bin/service/v2/get_permanent_code", q, `{"auth_code":"`+auth+`"}`)
	pc, _ := out["permanent_code"].(string)
	require.NotEmpty(t, pc, "exchange: %v", out)
	require.Equal(t, s.Suite("wwfs3").PermanentCode("wwcorpX"), pc, "exchange: %v", out)
	require.Equal(t, 40058, code(post(t, s, "/cgi-bin/service/v2/get_permanent_code", q, `{"auth_code":"`+auth+`"}`)), "reused auth code: errcode")
	require.Equal(t, 40084, code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"nope"}`)), "bad permanent code: errcode")
	ct := post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"`+pc+`"}`)
	corpTok, _ := ct["access_token"].(string)
	require.NotEmpty(t, corpTok, "get_corp_token: %v", ct)
	// The corp token works on the corp endpoints of the other areas.
	resp, err := s.HTTPClient().Get(s.URL + "/cgi-bin/getcallbackip?access_token=" + corpTok)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(b), `"errcode":0`, "corp endpoint with a suite-issued token")
	require.Equal(t, 1, s.Suite("wwfs3").CorpTokenFetches("wwcorpX"), "corp token not counted")

	s.Suite("wwfs3").ExpireTokens()
	require.Equal(t, 42009, code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"`+pc+`"}`)), "expired suite token: errcode")
	q = "suite_access_token=" + suiteToken(t, s, "wwfs3")
	require.NoError(t, s.Suite("wwfs3").Uninstall(t.Context(), "wwcorpX"))
	require.Equal(t, 40084, code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwcorpX","permanent_code":"`+pc+`"}`)), "after uninstall: errcode")
	resp, err = s.HTTPClient().Get(s.URL + "/cgi-bin/getcallbackip?access_token=" + corpTok)
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(b), `"errcode":40014`, "suite-issued token still works after uninstall")
}

func TestFakeAgentDevelopedTemplate(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddSuite("dkfs4", "sec")
	q := "suite_access_token=" + suiteToken(t, s, "dkfs4")
	auth, err := s.Suite("dkfs4").Install(t.Context(), "wwdk", "")
	require.NoError(t, err)
	out := post(t, s, "/cgi-bin/service/get_permanent_code", q, `{"auth_code":"`+auth+`"}`)
	pc, _ := out["permanent_code"].(string)
	require.NotEmpty(t, pc, "exchange: %v", out)
	_, ok := out["access_token"]
	require.False(t, ok, "v1 exchange of an agent-developed install returned a token")
	require.Equal(t, 48002, code(post(t, s, "/cgi-bin/service/get_corp_token", q, `{"auth_corpid":"wwdk","permanent_code":"`+pc+`"}`)), "get_corp_token for a dk template: errcode")
	resp, err := s.HTTPClient().Get(s.URL + "/cgi-bin/gettoken?corpid=wwdk&corpsecret=" + pc)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(b), `"access_token"`, "gettoken with the permanent code")
}

func TestFakeSuiteTokenRequired(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	for _, path := range []string{"/cgi-bin/service/get_corp_token", "/cgi-bin/service/v2/get_auth_info",
		"/cgi-bin/service/get_admin_list", "/cgi-bin/service/set_session_info"} {
		got := code(post(t, s, path, "suite_access_token=forged", `{}`))
		assert.Equal(t, 40082, got, "%s with a forged suite token: errcode %d, want 40082", path, got)
	}
	assert.Equal(t, 40082, code(post(t, s, "/cgi-bin/service/corpid_to_opencorpid", "provider_access_token=forged", `{"corpid":"x"}`)), "forged provider token: errcode")
	// A suite that was never added: its acts answer ErrNotFound, its reads
	// zero values.
	ghost := s.Suite("wwghost")
	assert.ErrorIs(t, ghost.Uninstall(t.Context(), "wwc"), ErrNotFound, "Uninstall")
	authCode, err := ghost.Install(t.Context(), "wwc", "")
	assert.ErrorIs(t, err, ErrNotFound, "Install")
	assert.Empty(t, authCode, "Install")
	_, err = ghost.ResetPermanentCode(t.Context(), "wwc")
	assert.ErrorIs(t, err, ErrNotFound, "ResetPermanentCode")
	assert.ErrorIs(t, ghost.ChangeAuth(t.Context(), "wwc"), ErrNotFound, "ChangeAuth")
	ghost.SetAppAdmins("wwc")
	ghost.ExpireTokens()
	assert.Nil(t, ghost.SetCallback("http://127.0.0.1:1/", "t", NewEncodingAESKey()).Pusher(), "an unknown suite kept a callback")
	assert.Empty(t, ghost.IssueTicket(), "unknown suite: IssueTicket")
	assert.Empty(t, ghost.PermanentCode("wwc"), "unknown suite: PermanentCode")
	assert.Empty(t, ghost.Authorize("wwc"), "unknown suite: Authorize")
	assert.Zero(t, ghost.AgentID("wwc"), "unknown suite: AgentID")
	assert.Zero(t, ghost.TokenFetches(), "unknown suite: TokenFetches")
	assert.Zero(t, ghost.CorpTokenFetches("wwc"), "unknown suite: CorpTokenFetches")
}
