package wecomtest

import (
	"strings"
	"sync"
	"time"
)

// suiteState is the third-party side of the fake: suites, their tickets and
// tokens, authorizations, provider tokens. The server's lock guards it.
type suiteState struct {
	suites         map[string]*fakeSuite
	suiteTokens    map[string]*suiteTokenRec // suite_access_token → record
	preAuthCodes   map[string]*preAuthRec
	authCodes      map[string]*authCodeRec
	corpTokens     map[string]corpAuthRef // corp tokens issued by get_corp_token / v1 get_permanent_code
	providers      map[string]string      // provider corp id → provider secret
	providerTokens map[string]string      // provider_access_token → provider corp id
	unionIDs       map[string]string      // corp id + "\x00" + unionid → external_userid
}

func newSuiteState() *suiteState {
	return &suiteState{
		suites:         map[string]*fakeSuite{},
		suiteTokens:    map[string]*suiteTokenRec{},
		preAuthCodes:   map[string]*preAuthRec{},
		authCodes:      map[string]*authCodeRec{},
		corpTokens:     map[string]corpAuthRef{},
		providers:      map[string]string{},
		providerTokens: map[string]string{},
		unionIDs:       map[string]string{},
	}
}

// SuiteTicketLife is how long the fake (like WeCom) accepts a suite_ticket.
const SuiteTicketLife = 30 * time.Minute

type fakeSuite struct {
	id, secret  string
	agentDev    bool                 // 代开发 template (id "dk...")
	tickets     map[string]time.Time // ticket → issued
	auths       map[string]*authorization
	tokenCount  int            // suite tokens issued
	corpTokenN  map[string]int // corp id → get_corp_token answers
	exchangeN   int            // permanent codes issued
	nextAgentID int
}

type authorization struct {
	corp          string
	permanentCode string
	agentID       int
	cancelled     bool
	admins        []AppAdmin
	authType      int // 0 formal, 1 test
}

type suiteTokenRec struct {
	suite   string
	expires time.Time
}

type preAuthRec struct {
	suite    string
	expires  time.Time
	authType int
}

type authCodeRec struct {
	suite, corp string
	used        bool
	expires     time.Time
}

type corpAuthRef struct{ suite, corp string }

// AppAdmin is an app admin the fake reports from the admin-list endpoints.
type AppAdmin struct {
	UserID   string
	AuthType int // 0 may send messages, 1 may manage
}

// AddSuite registers a third-party app (or, for an id starting with "dk",
// an agent-developed app template) with its secret. Adding an existing
// suite changes nothing.
func (s *Server) AddSuite(suiteID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.suite.suites[suiteID]; ok {
		return
	}
	s.suite.suites[suiteID] = &fakeSuite{
		id: suiteID, secret: secret, agentDev: strings.HasPrefix(suiteID, "dk"),
		tickets: map[string]time.Time{}, auths: map[string]*authorization{},
		corpTokenN: map[string]int{}, nextAgentID: 1000001,
	}
}

// suiteLocked returns the suite, or an empty stand-in for an id never
// added (so that helpers given a wrong id answer zero values instead of
// panicking); s.mu is held.
func (s *Server) suiteLocked(suiteID string) *fakeSuite {
	if fs := s.suite.suites[suiteID]; fs != nil {
		return fs
	}
	return &fakeSuite{id: suiteID, tickets: map[string]time.Time{}, auths: map[string]*authorization{}, corpTokenN: map[string]int{}}
}

// NewSuiteTicket issues a new suite_ticket for suiteID, as WeCom does every
// 10 minutes, and returns it; hand it to Suite.SetTicket (or push it to the
// command callback URL). Tickets are accepted for SuiteTicketLife. An
// unknown suite id gets "".
func (s *Server) NewSuiteTicket(suiteID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.suite.suites[suiteID]
	if fs == nil {
		return ""
	}
	t := s.newID("ticket-")
	fs.tickets[t] = s.now()
	return t
}

// StartSuiteTickets issues a ticket for suiteID right away and then every
// period, handing each to push (from a goroutine of its own) until stop is
// called. stop waits for a push in progress.
func (s *Server) StartSuiteTickets(suiteID string, period time.Duration, push func(ticket string)) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			push(s.NewSuiteTicket(suiteID))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// Install simulates an admin of corpID installing the suite's app: it adds
// the corp if needed and returns the temporary auth code (valid once, for
// 10 minutes) that get_permanent_code exchanges for a permanent code. For an
// agent-developed template the permanent code also becomes the corp's app
// secret for gettoken (the fake keeps one app secret per corp, so use a corp
// of its own for such an install). An unknown suite id gets "".
func (s *Server) Install(suiteID, corpID string) (authCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.suite.suites[suiteID] == nil || corpID == "" {
		return ""
	}
	s.addCorpLocked(corpID, "")
	return s.newAuthCodeLocked(suiteID, corpID)
}

func (s *Server) newAuthCodeLocked(suiteID, corpID string) string {
	// WeCom's auth codes are 64 to 512 bytes.
	code := s.newID("authcode-") + strings.Repeat("x", 64)
	s.suite.authCodes[code] = &authCodeRec{suite: suiteID, corp: corpID, expires: s.now().Add(10 * time.Minute)}
	return code
}

// ResetPermanentCode simulates the provider resetting an agent-developed
// app's secret (重新获取secret): it returns the auth code the
// reset_permanent_code callback carries. Exchanging it gives a new permanent
// code; the old one stops working.
func (s *Server) ResetPermanentCode(suiteID, corpID string) (authCode string) {
	return s.Install(suiteID, corpID)
}

// Uninstall simulates the corp cancelling its authorization: the permanent
// code answers 40084 from then on and the corp tokens issued through the
// suite stop working (40014).
func (s *Server) Uninstall(suiteID, corpID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.suiteLocked(suiteID)
	if a := fs.auths[corpID]; a != nil {
		a.cancelled = true
		if fs.agentDev {
			if c := s.corps[corpID]; c != nil && c.Secret == a.permanentCode {
				c.Secret = ""
			}
		}
	}
	for tok, ref := range s.suite.corpTokens {
		if ref.suite == suiteID && ref.corp == corpID {
			if t := s.tokens[tok]; t != nil {
				t.revoked = true
			}
		}
	}
}

// PermanentCode returns the current permanent code of corpID's
// authorization of suiteID ("" if none), for tests that check it never
// leaks.
func (s *Server) PermanentCode(suiteID, corpID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.suiteLocked(suiteID).auths[corpID]; a != nil && !a.cancelled {
		return a.permanentCode
	}
	return ""
}

// AgentID returns the agentid of the suite's app in corpID (0 if not installed).
func (s *Server) AgentID(suiteID, corpID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.suiteLocked(suiteID).auths[corpID]; a != nil {
		return a.agentID
	}
	return 0
}

// SetAppAdmins sets the admins of the suite's app in corpID (an install
// starts with one, "installer", who may manage).
func (s *Server) SetAppAdmins(suiteID, corpID string, admins ...AppAdmin) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.suiteLocked(suiteID).auths[corpID]; a != nil {
		a.admins = append([]AppAdmin(nil), admins...)
	}
}

// ExpireSuiteTokens makes every suite_access_token issued so far for
// suiteID expired: calls with them answer 42009.
func (s *Server) ExpireSuiteTokens(suiteID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, t := range s.suite.suiteTokens {
		if t.suite == suiteID {
			t.expires = past
		}
	}
}

// SuiteTokenFetches returns how many suite_access_tokens were issued for suiteID.
func (s *Server) SuiteTokenFetches(suiteID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suiteLocked(suiteID).tokenCount
}

// CorpTokenFetches returns how many corp tokens get_corp_token issued for
// corpID through suiteID.
func (s *Server) CorpTokenFetches(suiteID, corpID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suiteLocked(suiteID).corpTokenN[corpID]
}

// AddProvider registers a service provider's corp id and provider secret
// for get_provider_token.
func (s *Server) AddProvider(corpID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suite.providers[corpID] = secret
}

// LinkUnionID makes unionid_to_external_userid answer externalUserID for
// unionID in corpID (other unionids get a pending_id).
func (s *Server) LinkUnionID(corpID, unionID, externalUserID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suite.unionIDs[corpID+"\x00"+unionID] = externalUserID
}
