package wecomtest_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	if err := xml.Unmarshal([]byte(msg), &p.event); err != nil {
		r.t.Errorf("pushed XML does not parse: %v: %s", err, msg)
	}
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
	if len(all) == 0 {
		t.Fatal("nothing was pushed")
	}
	return all[len(all)-1]
}

func TestSuiteTicketInstallUninstall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	const suiteID = "wwpushsuite01"
	srv.AddSuite(suiteID, "sec")
	rec, hs := newCommandRecorder(t)
	fake := srv.Suite(suiteID).SetCallback(hs.URL, rec.token, rec.key)

	ticket, err := fake.PushNewTicket(ctx)
	if err != nil || ticket == "" {
		t.Fatalf("PushNewTicket = %q, %v", ticket, err)
	}
	p := rec.last(t)
	if p.rid != suiteID || p.event.InfoType != "suite_ticket" || p.event.SuiteID != suiteID || p.event.SuiteTicket != ticket {
		t.Fatalf("ticket push = %+v", p)
	}
	if d := time.Since(time.Unix(p.event.TimeStamp, 0)); d < -time.Second || d > 5*time.Second {
		t.Fatalf("TimeStamp is %v away from now", d)
	}
	// The pushed ticket is one get_suite_token accepts.
	suite := wecom.NewSuite(suiteID, "sec", srv.SuiteOptions()...)
	if err := suite.SetTicket(ctx, p.event.SuiteTicket); err != nil {
		t.Fatal(err)
	}

	authCode, err := fake.Install(ctx, "wwpushcorpA", "from-qr")
	if err != nil {
		t.Fatal(err)
	}
	p = rec.last(t)
	if p.rid != suiteID || p.event.InfoType != "create_auth" || p.event.AuthCode != authCode || p.event.State != "from-qr" {
		t.Fatalf("create_auth push = %+v (auth code %q)", p, authCode)
	}
	info, err := suite.HandleCreateAuth(ctx, p.event.AuthCode)
	if err != nil || info.AuthCorpInfo.CorpID != "wwpushcorpA" {
		t.Fatalf("exchanging the pushed auth code: %v, %v", info, err)
	}
	if _, err := suite.Corp("wwpushcorpA").AccessToken(ctx); err != nil {
		t.Fatal(err)
	}

	if err := fake.ChangeAuth(ctx, "wwpushcorpA"); err != nil {
		t.Fatal(err)
	}
	if p = rec.last(t); p.event.InfoType != "change_auth" || p.event.AuthCorpID != "wwpushcorpA" {
		t.Fatalf("change_auth push = %+v", p)
	}

	if err := fake.Uninstall(ctx, "wwpushcorpA"); err != nil {
		t.Fatal(err)
	}
	if p = rec.last(t); p.rid != suiteID || p.event.InfoType != "cancel_auth" || p.event.AuthCorpID != "wwpushcorpA" {
		t.Fatalf("cancel_auth push = %+v", p)
	}
	// The fake cancelled the authorization: the code no longer gives tokens.
	if srv.Suite(suiteID).PermanentCode("wwpushcorpA") != "" {
		t.Fatal("the permanent code survived the uninstall")
	}
	_, err = wecom.NewSuite(suiteID, "sec", srv.SuiteOptions(wecom.WithStore(wecom.NewMemoryStore()))...).GetAuthInfo(ctx, "wwpushcorpA")
	if !errors.Is(err, wecom.ErrCorpNotAuthorized) {
		t.Fatalf("GetAuthInfo on a fresh store: %v", err)
	}
	if n := len(rec.pushes()); n != 4 {
		t.Fatalf("%d pushes, want 4 (each delivered once)", n)
	}
}

func TestSuiteAuthEventsMustBeAnsweredWithin1000ms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
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
	if _, err := fake.Install(ctx, "wwpushcorpB", ""); err != nil {
		t.Fatal(err)
	}
	// The late first answer counts as a failure: WeCom sends it again.
	if n := len(rec.pushes()); n != 2 {
		t.Fatalf("create_auth delivered %d times, want 2 (the first answer was late)", n)
	}
	// A suite_ticket gets the ordinary 5 s.
	rec.mu.Lock()
	rec.n = 0
	rec.mu.Unlock()
	before := len(rec.pushes())
	if _, err := fake.PushNewTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.pushes()) - before; n != 1 {
		t.Fatalf("suite_ticket delivered %d times, want 1", n)
	}
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
			t.Fatal("no periodic push")
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n := len(rec.pushes())
	time.Sleep(20 * time.Millisecond)
	if m := len(rec.pushes()); m != n {
		t.Fatalf("%d pushes after stop", m-n)
	}
	seen := map[string]bool{}
	for _, p := range rec.pushes() {
		if p.event.InfoType != "suite_ticket" || seen[p.event.SuiteTicket] {
			t.Fatalf("push %+v: not a new ticket", p)
		}
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
	if err == nil || code == "" {
		t.Fatalf("Install pushing to a refusing URL = %q, %v; want the auth code and an error", code, err)
	}
	before := refused.Load()
	stop := fake.StartTicketPush(time.Hour)
	// The first push happens at once; wait until all its attempts were
	// refused (3 deliveries), however busy the machine.
	for deadline := time.Now().Add(10 * time.Second); refused.Load() < before+3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if err := stop(); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("stop() = %v, want the refused push", err)
	}

	unknown := srv.Suite("wwnosuch").SetCallback(refuse.URL, "tok", wecomtest.NewEncodingAESKey())
	if _, err := unknown.PushNewTicket(ctx); err == nil || !strings.Contains(err.Error(), "unknown suite") {
		t.Fatalf("PushNewTicket for an unknown suite: %v", err)
	}
	if _, err := unknown.Install(ctx, "wwx", ""); err == nil {
		t.Fatal("Install for an unknown suite succeeded")
	}
	if _, err := fake.ResetPermanentCode(ctx, "wwpushcorpC"); err == nil || !strings.Contains(err.Error(), "agent-developed") {
		t.Fatalf("reset_permanent_code for a third-party suite: %v", err)
	}
	// The Push methods need a callback; the acts do not.
	quiet := srv.AddSuite("wwpushsuite05", "sec")
	if _, err := quiet.PushNewTicket(ctx); err == nil || !strings.Contains(err.Error(), "no callback") {
		t.Fatalf("PushNewTicket without a callback: %v", err)
	}
	if _, err := quiet.PushTicket(ctx, quiet.IssueTicket(), time.Now()); err == nil {
		t.Fatal("PushTicket without a callback succeeded")
	}
	if code, err := quiet.Install(ctx, "wwquietcorp", ""); err != nil || code == "" {
		t.Fatalf("Install without a callback = %q, %v", code, err)
	}
	if err := quiet.ChangeAuth(ctx, "wwquietcorp"); err != nil {
		t.Fatal(err)
	}
	if err := quiet.Uninstall(ctx, "wwquietcorp"); err != nil {
		t.Fatal(err)
	}
	if n := refused.Load(); n != before+3 {
		t.Fatalf("%d refused pushes, want %d: a suite without a callback pushed", n, before+3)
	}
}

func TestSuiteResetPermanentCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	const tmpl = "dkpushtemplate1"
	srv.AddSuite(tmpl, "sec")
	rec, hs := newCommandRecorder(t)
	fake := srv.Suite(tmpl).SetCallback(hs.URL, rec.token, rec.key)
	if _, err := fake.ResetPermanentCode(ctx, "wwdkcorp"); err == nil {
		t.Fatal("reset for a corp that never installed succeeded")
	}
	suite := wecom.NewSuite(tmpl, "sec", srv.SuiteOptions()...)
	if _, err := fake.PushNewTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := suite.SetTicket(ctx, rec.last(t).event.SuiteTicket); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Install(ctx, "wwdkcorp", ""); err != nil {
		t.Fatal(err)
	}
	first, err := suite.HandleCreateAuth(ctx, rec.last(t).event.AuthCode)
	if err != nil {
		t.Fatal(err)
	}
	authCode, err := fake.ResetPermanentCode(ctx, "wwdkcorp")
	if err != nil {
		t.Fatal(err)
	}
	p := rec.last(t)
	if p.rid != tmpl || p.event.InfoType != "reset_permanent_code" || p.event.SuiteID != tmpl || p.event.AuthCode != authCode {
		t.Fatalf("reset push = %+v", p)
	}
	second, err := suite.HandleResetPermanentCode(ctx, p.event.AuthCode)
	if err != nil {
		t.Fatal(err)
	}
	if second.PermanentCode == first.PermanentCode || srv.Suite(tmpl).PermanentCode("wwdkcorp") != second.PermanentCode {
		t.Fatal("the reset did not give a new permanent code")
	}
	if _, err := suite.Corp("wwdkcorp").AccessToken(ctx); err != nil {
		t.Fatalf("token with the new secret: %v", err)
	}
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
		if err := xml.Unmarshal(c.got, &anyXML); err != nil {
			t.Errorf("%s: %v", c.got, err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(c.got), w) {
				t.Errorf("%s lacks %s", c.got, w)
			}
		}
	}
}
