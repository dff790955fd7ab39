package wecomtest_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// pushed is one push a commandRecorder received, decrypted.
type pushed struct {
	rid   string
	event struct {
		SuiteID     string `xml:"SuiteId"`
		InfoType    string `xml:"InfoType"`
		TimeStamp   int64  `xml:"TimeStamp"`
		SuiteTicket string `xml:"SuiteTicket"`
		AuthCode    string `xml:"AuthCode"`
		AuthCorpID  string `xml:"AuthCorpId"`
		State       string `xml:"State"`
	}
}

// commandRecorder is a command URL that checks the signature, decrypts
// (independently of package callback) and records every push.
type commandRecorder struct {
	t     *testing.T
	token string
	key   string
	delay func(n int) time.Duration // wait before answering the n-th push (from 1)

	mu    sync.Mutex
	n     int
	seen  []pushed
	calls chan struct{}
}

func newCommandRecorder(t *testing.T) (*commandRecorder, *httptest.Server) {
	r := &commandRecorder{t: t, token: "cmdtoken", key: wecomtest.NewEncodingAESKey(), calls: make(chan struct{}, 100)}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *commandRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.n++
	n := r.n
	r.mu.Unlock()
	body, _ := io.ReadAll(req.Body)
	var env struct {
		Encrypt string `xml:"Encrypt"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad xml", http.StatusBadRequest)
		return
	}
	q := req.URL.Query()
	if q.Get("msg_signature") != wecomtest.CallbackSignature(r.token, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	msg, rid := open(r.t, r.key, env.Encrypt)
	p := pushed{rid: rid}
	err := xml.Unmarshal([]byte(msg), &p.event)
	assert.NoError(r.t, err, "pushed XML does not parse: %v: %s", err, msg)
	r.mu.Lock()
	r.seen = append(r.seen, p)
	r.mu.Unlock()
	select {
	case r.calls <- struct{}{}:
	default:
	}
	if r.delay != nil {
		time.Sleep(r.delay(n))
	}
	_, _ = io.WriteString(w, "success")
}

func (r *commandRecorder) pushes() []pushed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pushed(nil), r.seen...)
}

func (r *commandRecorder) last(t *testing.T) pushed {
	t.Helper()
	all := r.pushes()
	require.NotEmpty(t, all, "nothing was pushed")
	return all[len(all)-1]
}

func TestSuiteTicketInstallUninstall(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwpushsuite01"
	srv.AddSuite(suiteID, "sec")
	rec, hs := newCommandRecorder(t)
	fake := srv.Suite(suiteID).SetCallback(hs.URL, rec.token, rec.key)

	ticket, err := fake.PushNewTicket(ctx)
	require.NoError(t, err, "PushNewTicket = %q", ticket)
	require.NotEmpty(t, ticket, "PushNewTicket = %q, %v", ticket, err)
	p := rec.last(t)
	require.Equal(t, suiteID, p.rid, "ticket push = %+v", p)
	require.Equal(t, "suite_ticket", p.event.InfoType, "ticket push = %+v", p)
	require.Equal(t, suiteID, p.event.SuiteID, "ticket push = %+v", p)
	require.Equal(t, ticket, p.event.SuiteTicket, "ticket push = %+v", p)
	d := time.Since(time.Unix(p.event.TimeStamp, 0))
	require.GreaterOrEqual(t, d, -time.Second, "TimeStamp is %v away from now", d)
	require.LessOrEqual(t, d, 5*time.Second, "TimeStamp is %v away from now", d)
	// The pushed ticket is one get_suite_token accepts.
	suite := wecom.NewSuite(suiteID, "sec", srv.SuiteOptions()...)
	require.NoError(t, suite.SetTicket(ctx, p.event.SuiteTicket))

	authCode, err := fake.Install(ctx, "wwpushcorpA", "from-qr")
	require.NoError(t, err)
	p = rec.last(t)
	require.Equal(t, suiteID, p.rid, "create_auth push = %+v (auth code %q)", p, authCode)
	require.Equal(t, "create_auth", p.event.InfoType, "create_auth push = %+v (auth code %q)", p, authCode)
	require.Equal(t, authCode, p.event.AuthCode, "create_auth push = %+v (auth code %q)", p, authCode)
	require.Equal(t, "from-qr", p.event.State, "create_auth push = %+v (auth code %q)", p, authCode)
	info, err := suite.HandleCreateAuth(ctx, p.event.AuthCode)
	require.NoError(t, err, "exchanging the pushed auth code: %v", info)
	require.Equal(t, "wwpushcorpA", info.AuthCorpInfo.CorpID, "exchanging the pushed auth code: %v, %v", info, err)
	_, err = suite.Corp("wwpushcorpA").AccessToken(ctx)
	require.NoError(t, err)

	require.NoError(t, fake.ChangeAuth(ctx, "wwpushcorpA"))
	p = rec.last(t)
	require.Equal(t, "change_auth", p.event.InfoType, "change_auth push = %+v", p)
	require.Equal(t, "wwpushcorpA", p.event.AuthCorpID, "change_auth push = %+v", p)

	require.NoError(t, fake.Uninstall(ctx, "wwpushcorpA"))
	p = rec.last(t)
	require.Equal(t, suiteID, p.rid, "cancel_auth push = %+v", p)
	require.Equal(t, "cancel_auth", p.event.InfoType, "cancel_auth push = %+v", p)
	require.Equal(t, "wwpushcorpA", p.event.AuthCorpID, "cancel_auth push = %+v", p)
	// The fake cancelled the authorization: the code no longer gives tokens.
	require.Empty(t, srv.Suite(suiteID).PermanentCode("wwpushcorpA"), "the permanent code survived the uninstall")
	_, err = wecom.NewSuite(suiteID, "sec", srv.SuiteOptions(wecom.WithStore(wecom.NewMemoryStore()))...).GetAuthInfo(ctx, "wwpushcorpA")
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized, "GetAuthInfo on a fresh store")
	n := len(rec.pushes())
	require.Equal(t, 4, n, "%d pushes, want 4 (each delivered once)", n)
}

func TestSuiteAuthEventsMustBeAnsweredWithin1000ms(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwpushsuite02", "sec")
	rec, hs := newCommandRecorder(t)
	rec.delay = func(n int) time.Duration {
		if n == 1 {
			return wecomtest.AuthEventDeadline + 200*time.Millisecond
		}
		return 0
	}
	fake := srv.Suite("wwpushsuite02").SetCallback(hs.URL, rec.token, rec.key)
	_, err := fake.Install(ctx, "wwpushcorpB", "")
	require.NoError(t, err)
	// The late first answer counts as a failure: WeCom sends it again.
	n := len(rec.pushes())
	require.Equal(t, 2, n, "create_auth delivered %d times, want 2 (the first answer was late)", n)
	// A suite_ticket gets the ordinary 5 s.
	rec.mu.Lock()
	rec.n = 0
	rec.mu.Unlock()
	before := len(rec.pushes())
	_, err = fake.PushNewTicket(ctx)
	require.NoError(t, err)
	n = len(rec.pushes()) - before
	require.Equal(t, 1, n, "suite_ticket delivered %d times, want 1", n)
}

func TestSuitePeriodicTickets(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwpushsuite03", "sec")
	rec, hs := newCommandRecorder(t)
	fake := srv.Suite("wwpushsuite03").SetCallback(hs.URL, rec.token, rec.key)
	stop := fake.StartTicketPush(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		select {
		case <-rec.calls:
		case <-time.After(5 * time.Second):
			require.Fail(t, "no periodic push")
		}
	}
	require.NoError(t, stop())
	n := len(rec.pushes())
	time.Sleep(20 * time.Millisecond)
	m := len(rec.pushes())
	require.Equal(t, n, m, "%d pushes after stop", m-n)
	seen := map[string]bool{}
	for _, p := range rec.pushes() {
		require.Equal(t, "suite_ticket", p.event.InfoType, "push %+v: not a new ticket", p)
		require.False(t, seen[p.event.SuiteTicket], "push %+v: not a new ticket", p)
		seen[p.event.SuiteTicket] = true
	}
}

func TestSuitePushFailuresAreReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwpushsuite04", "sec")
	var refused atomic.Int32
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refused.Add(1)
		http.Error(w, "no", http.StatusForbidden)
	}))
	t.Cleanup(refuse.Close)
	fake := srv.Suite("wwpushsuite04").SetCallback(refuse.URL, "tok", wecomtest.NewEncodingAESKey())
	code, err := fake.Install(ctx, "wwpushcorpC", "")
	require.Error(t, err, "Install pushing to a refusing URL = %q, %v; want the auth code and an error", code, err)
	require.NotEmpty(t, code, "Install pushing to a refusing URL = %q, %v; want the auth code and an error", code, err)
	before := refused.Load()
	stop := fake.StartTicketPush(time.Hour)
	// The first push happens at once; wait until all its attempts were
	// refused (3 deliveries), however busy the machine.
	for deadline := time.Now().Add(10 * time.Second); refused.Load() < before+3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	err = stop()
	require.Error(t, err, "stop()")
	require.Contains(t, err.Error(), "403", "stop() = %v, want the refused push", err)

	unknown := srv.Suite("wwnosuch").SetCallback(refuse.URL, "tok", wecomtest.NewEncodingAESKey())
	_, err = unknown.PushNewTicket(ctx)
	require.Error(t, err, "PushNewTicket for an unknown suite")
	require.Contains(t, err.Error(), "unknown suite", "PushNewTicket for an unknown suite: %v", err)
	_, err = unknown.Install(ctx, "wwx", "")
	require.Error(t, err, "Install for an unknown suite succeeded")
	_, err = fake.ResetPermanentCode(ctx, "wwpushcorpC")
	require.Error(t, err, "reset_permanent_code for a third-party suite")
	require.Contains(t, err.Error(), "agent-developed", "reset_permanent_code for a third-party suite: %v", err)
	// The Push methods need a callback; the acts do not.
	quiet := srv.AddSuite("wwpushsuite05", "sec")
	_, err = quiet.PushNewTicket(ctx)
	require.Error(t, err, "PushNewTicket without a callback")
	require.Contains(t, err.Error(), "no callback", "PushNewTicket without a callback: %v", err)
	_, err = quiet.PushTicket(ctx, quiet.IssueTicket(), time.Now())
	require.Error(t, err, "PushTicket without a callback succeeded")
	code, err = quiet.Install(ctx, "wwquietcorp", "")
	require.NoError(t, err, "Install without a callback = %q", code)
	require.NotEmpty(t, code, "Install without a callback = %q, %v", code, err)
	require.NoError(t, quiet.ChangeAuth(ctx, "wwquietcorp"))
	require.NoError(t, quiet.Uninstall(ctx, "wwquietcorp"))
	n := refused.Load()
	require.Equal(t, before+3, n, "%d refused pushes, want %d: a suite without a callback pushed", n, before+3)
}

func TestSuiteResetPermanentCode(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	const tmpl = "dkpushtemplate1"
	srv.AddSuite(tmpl, "sec")
	rec, hs := newCommandRecorder(t)
	fake := srv.Suite(tmpl).SetCallback(hs.URL, rec.token, rec.key)
	_, err := fake.ResetPermanentCode(ctx, "wwdkcorp")
	require.Error(t, err, "reset for a corp that never installed succeeded")
	suite := wecom.NewSuite(tmpl, "sec", srv.SuiteOptions()...)
	_, err = fake.PushNewTicket(ctx)
	require.NoError(t, err)
	require.NoError(t, suite.SetTicket(ctx, rec.last(t).event.SuiteTicket))
	_, err = fake.Install(ctx, "wwdkcorp", "")
	require.NoError(t, err)
	first, err := suite.HandleCreateAuth(ctx, rec.last(t).event.AuthCode)
	require.NoError(t, err)
	authCode, err := fake.ResetPermanentCode(ctx, "wwdkcorp")
	require.NoError(t, err)
	p := rec.last(t)
	require.Equal(t, tmpl, p.rid, "reset push = %+v", p)
	require.Equal(t, "reset_permanent_code", p.event.InfoType, "reset push = %+v", p)
	require.Equal(t, tmpl, p.event.SuiteID, "reset push = %+v", p)
	require.Equal(t, authCode, p.event.AuthCode, "reset push = %+v", p)
	second, err := suite.HandleResetPermanentCode(ctx, p.event.AuthCode)
	require.NoError(t, err)
	require.NotEqual(t, first.PermanentCode, second.PermanentCode, "the reset did not give a new permanent code")
	require.Equal(t, second.PermanentCode, srv.Suite(tmpl).PermanentCode("wwdkcorp"), "the reset did not give a new permanent code")
	_, err = suite.Corp("wwdkcorp").AccessToken(ctx)
	require.NoError(t, err, "token with the new secret")
}

func TestSuiteEventXMLBuilders(t *testing.T) {
	t.Parallel()
	at := time.Unix(1403610513, 0)
	for _, c := range []struct {
		got  []byte
		want []string
	}{
		{wecomtest.ChangeAuthXML("ww1", "wxc", "st", at), []string{"<InfoType><![CDATA[change_auth]]></InfoType>", "<AuthCorpId><![CDATA[wxc]]></AuthCorpId>", "<TimeStamp>1403610513</TimeStamp>", "<State><![CDATA[st]]></State>"}},
		{wecomtest.CancelAuthXML("ww1", "wxc", at), []string{"<SuiteId><![CDATA[ww1]]></SuiteId>", "<InfoType><![CDATA[cancel_auth]]></InfoType>", "<AuthCorpId><![CDATA[wxc]]></AuthCorpId>"}},
		{wecomtest.ResetPermanentCodeXML("dk1", "CODE", at), []string{"<SuiteId><![CDATA[dk1]]></SuiteId>", "<AuthCode><![CDATA[CODE]]></AuthCode>", "<InfoType><![CDATA[reset_permanent_code]]></InfoType>"}},
	} {
		var anyXML struct{}
		assert.NoError(t, xml.Unmarshal(c.got, &anyXML), "%s", c.got)
		for _, w := range c.want {
			assert.Contains(t, string(c.got), w, "%s lacks %s", c.got, w)
		}
	}
}
