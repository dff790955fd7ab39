package wecomtest

import (
	"fmt"
	"strings"
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

// SuiteTicketLife is how long the fake (like WeCom) accepts a suite_ticket
// in get_suite_token after issuing it. WeCom pushes a new one every 10
// minutes.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
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
	pusher      *Pusher // the command callback URL (Suite.SetCallback); nil: nothing is pushed
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

// Suite is a handle on one app template of the fake: a third-party app
// (第三方应用, suite id "ww..." or "tj...") or, for an id starting with "dk",
// an agent-developed app template (代开发应用模板). It plays what WeCom does
// for the template: issuing suite tickets, corps installing, changing,
// removing and re-authorizing the app, pushing each to the template's
// command callback URL (指令回调, SetCallback) with the suite id as
// receiveid. Get one with Server.Suite or Server.AddSuite.
//
// A handle only names the suite: for an id never added, the acts answer an
// error and the reads zero values.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
type Suite struct {
	s  *Server
	id string
}

// Suite returns the handle of suiteID.
func (s *Server) Suite(suiteID string) *Suite { return &Suite{s: s, id: suiteID} }

// AddSuite registers an app template with its secret (suite_secret) and
// returns its handle. Adding an existing suite changes nothing.
func (s *Server) AddSuite(suiteID, secret string) *Suite {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.suite.suites[suiteID]; !ok {
		s.suite.suites[suiteID] = &fakeSuite{
			id: suiteID, secret: secret, agentDev: strings.HasPrefix(suiteID, "dk"),
			tickets: map[string]time.Time{}, auths: map[string]*authorization{},
			corpTokenN: map[string]int{}, nextAgentID: 1000001,
		}
	}
	return s.Suite(suiteID)
}

// ID returns the suite id.
func (su *Suite) ID() string { return su.id }

// knownLocked returns the suite, or an error for an id never added; s.mu
// is held.
func (su *Suite) knownLocked() (*fakeSuite, error) {
	fs := su.s.suite.suites[su.id]
	if fs == nil {
		return nil, fmt.Errorf("%w: unknown suite %q (add it with Server.AddSuite)", ErrNotFound, su.id)
	}
	return fs, nil
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

// IssueTicket plays WeCom issuing a new suite_ticket, as it does every 10
// minutes, and returns it without pushing it: the test hands it to
// wecom.Suite.SetTicket itself, or pushes it with PushTicket. Tickets are
// accepted for SuiteTicketLife. An unknown suite gets "".
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
func (su *Suite) IssueTicket() string {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.suite.suites[su.id]
	if fs == nil {
		return ""
	}
	t := s.newID("ticket-")
	fs.tickets[t] = s.now()
	return t
}

func (s *Server) newAuthCodeLocked(suiteID, corpID string) string {
	// WeCom's auth codes are 64 to 512 bytes.
	code := s.newID("authcode-") + strings.Repeat("x", 64)
	s.suite.authCodes[code] = &authCodeRec{suite: suiteID, corp: corpID, expires: s.now().Add(10 * time.Minute)}
	return code
}

// PermanentCode returns the current permanent code of corpID's
// authorization ("" if none), for tests that check it never leaks.
func (su *Suite) PermanentCode(corpID string) string {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.suiteLocked(su.id).auths[corpID]; a != nil && !a.cancelled {
		return a.permanentCode
	}
	return ""
}

// AgentID returns the agentid of the suite's app in corpID (0 if not
// installed).
func (su *Suite) AgentID(corpID string) int {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.suiteLocked(su.id).auths[corpID]; a != nil {
		return a.agentID
	}
	return 0
}

// SetAppAdmins sets the admins of the suite's app in corpID, as
// get_admin_list answers them (an install starts with one, "installer", who
// may manage).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90606
func (su *Suite) SetAppAdmins(corpID string, admins ...AppAdmin) {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.suiteLocked(su.id).auths[corpID]; a != nil {
		a.admins = append([]AppAdmin(nil), admins...)
	}
}

// ExpireTokens makes every suite_access_token issued so far for the suite
// expired: calls with them answer 42009, as WeCom does after expires_in.
// The corps' access tokens are the corps' (Corp.ExpireTokens).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90600
func (su *Suite) ExpireTokens() {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, t := range s.suite.suiteTokens {
		if t.suite == su.id {
			t.expires = past
		}
	}
}

// TokenFetches returns how many suite_access_tokens get_suite_token issued
// for the suite.
func (su *Suite) TokenFetches() int {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suiteLocked(su.id).tokenCount
}

// CorpTokenFetches returns how many corp access tokens get_corp_token
// issued for corpID through the suite.
func (su *Suite) CorpTokenFetches(corpID string) int {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suiteLocked(su.id).corpTokenN[corpID]
}

// AddProvider registers a service provider (服务商) with its corp id and
// provider secret, for get_provider_token.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90593
func (s *Server) AddProvider(corpID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suite.providers[corpID] = secret
}

// LinkUnionID makes idconvert/unionid_to_external_userid answer
// externalUserID for unionID in the corp (other unionids get a pending_id).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97108
func (c *Corp) LinkUnionID(unionID, externalUserID string) {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suite.unionIDs[corpID+"\x00"+unionID] = externalUserID
}
