package wecomtest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// WeCom's request and response shapes for the suite area, written from the
// official pages; never shared with the SDK.

type wsCorpRef struct {
	CorpID   string `json:"corpid"`
	CorpName string `json:"corp_name"`
}

type wsAuthUser struct {
	UserID     string `json:"userid"`
	OpenUserID string `json:"open_userid"`
	Name       string `json:"name"`
	Avatar     string `json:"avatar"`
}

type wsAuthCorpInfo struct {
	CorpID            string `json:"corpid"`
	CorpName          string `json:"corp_name"`
	CorpType          string `json:"corp_type"`
	CorpSquareLogoURL string `json:"corp_square_logo_url"`
	CorpUserMax       int    `json:"corp_user_max"`
	CorpFullName      string `json:"corp_full_name"`
	VerifiedEndTime   int64  `json:"verified_end_time"`
	SubjectType       int    `json:"subject_type"`
	CorpWxQRCode      string `json:"corp_wxqrcode,omitempty"`
	CorpScale         string `json:"corp_scale"`
	CorpIndustry      string `json:"corp_industry"`
	CorpSubIndustry   string `json:"corp_sub_industry"`
	CorpExName        *struct {
		NameList string `json:"name_list"`
	} `json:"corp_ex_name,omitempty"`
}

type wsPrivilege struct {
	Level      int      `json:"level"`
	AllowParty []int    `json:"allow_party"`
	AllowUser  []string `json:"allow_user"`
	AllowTag   []int    `json:"allow_tag"`
	ExtraParty []int    `json:"extra_party"`
	ExtraUser  []string `json:"extra_user"`
	ExtraTag   []int    `json:"extra_tag"`
}

type wsAgent struct {
	AgentID          int          `json:"agentid"`
	Name             string       `json:"name"`
	RoundLogoURL     string       `json:"round_logo_url"`
	SquareLogoURL    string       `json:"square_logo_url"`
	AuthMode         int          `json:"auth_mode"`
	IsCustomizedApp  bool         `json:"is_customized_app"`
	AuthFromThirdApp bool         `json:"auth_from_thirdapp"`
	Privilege        *wsPrivilege `json:"privilege,omitempty"`
}

type wsAuthInfo struct {
	Agent []wsAgent `json:"agent"`
}

type wsAdmin struct {
	UserID     string `json:"userid"`
	OpenUserID string `json:"open_userid,omitempty"`
	AuthType   int    `json:"auth_type"`
}

// suiteCall authenticates a ?suite_access_token= call; s.mu is held.
func (c *call) suiteCall() (*fakeSuite, *apiError) {
	tok := c.r.URL.Query().Get("suite_access_token")
	rec := c.s.suite.suiteTokens[tok]
	switch {
	case tok == "" || rec == nil:
		return nil, errf(40082, "invalid suite_access_token")
	case !c.s.now().Before(rec.expires):
		return nil, errf(42009, "suite_access_token expired")
	}
	return c.s.suite.suites[rec.suite], nil
}

// authFor finds a live authorization of fs by corp and permanent code.
func (fs *fakeSuite) authFor(corpID, code string) (*authorization, *apiError) {
	a := fs.auths[corpID]
	if corpID == "" || code == "" {
		return nil, errf(40058, "auth_corpid and permanent_code are required")
	}
	if a == nil || a.cancelled || a.permanentCode != code {
		return nil, errf(40084, "invalid permanent_code")
	}
	return a, nil
}

func (s *Server) authCorpInfoLocked(corpID string, v2 bool) wsAuthCorpInfo {
	info := wsAuthCorpInfo{
		CorpID: corpID, CorpName: "Corp " + corpID, CorpType: "verified",
		CorpSquareLogoURL: "https://example.com/logo.png", CorpUserMax: 200,
		CorpFullName: "Corp " + corpID, VerifiedEndTime: 1893456000, SubjectType: 1,
		CorpScale: "1-50人", CorpIndustry: "IT服务", CorpSubIndustry: "计算机软件/硬件/信息服务",
	}
	if v2 {
		info.CorpExName = &struct {
			NameList string `json:"name_list"`
		}{NameList: "Corp " + corpID}
	} else {
		info.CorpWxQRCode = "https://example.com/qr.png"
	}
	return info
}

func agentOf(fs *fakeSuite, a *authorization) wsAgent {
	return wsAgent{
		AgentID: a.agentID, Name: "App of " + fs.id, RoundLogoURL: "https://example.com/r.png",
		SquareLogoURL: "https://example.com/s.png", IsCustomizedApp: fs.agentDev,
		Privilege: &wsPrivilege{Level: 1, AllowParty: []int{1}, AllowUser: []string{}, AllowTag: []int{},
			ExtraParty: []int{}, ExtraUser: []string{}, ExtraTag: []int{}},
	}
}

// exchangeLocked turns an auth code into a (new) permanent code.
func (s *Server) exchangeLocked(fs *fakeSuite, authCode string) (*authorization, *apiError) {
	if n := len(authCode); n < 64 || n > 512 {
		return nil, errf(40058, "invalid auth_code: length must be 64 to 512 bytes")
	}
	rec := s.suite.authCodes[authCode]
	switch {
	case rec == nil || rec.suite != fs.id:
		return nil, errf(40058, "invalid auth_code")
	case rec.used:
		return nil, errf(40058, "invalid auth_code: already used")
	case !s.now().Before(rec.expires):
		return nil, errf(40058, "invalid auth_code: expired")
	}
	rec.used = true
	a := fs.auths[rec.corp]
	if a == nil || a.cancelled {
		a = &authorization{corp: rec.corp, agentID: fs.nextAgentID,
			admins: []AppAdmin{{UserID: "installer", AuthType: 1}}}
		fs.nextAgentID++
		fs.auths[rec.corp] = a
	}
	old := a.permanentCode
	a.permanentCode = s.newID("pcode-")
	fs.exchangeN++
	if fs.agentDev {
		// The permanent code of an agent-developed app is its secret.
		if c := s.corps[rec.corp]; c != nil && (c.Secret == "" || c.Secret == old) {
			c.Secret = a.permanentCode
		}
	}
	return a, nil
}

func (s *Server) issueCorpTokenLocked(fs *fakeSuite, corpID string) tokenAnswer {
	t := s.issueTokenLocked(corpID)
	s.suite.corpTokens[t.AccessToken] = corpAuthRef{suite: fs.id, corp: corpID}
	fs.corpTokenN[corpID]++
	return t
}

func pseudoID(prefix string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(h[:9])
}

// routeSuite serves the service/* and id-conversion endpoints.
func (s *Server) routeSuite() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90600
	s.handle(http.MethodPost, "/cgi-bin/service/get_suite_token", authNone, func(c *call) (any, *apiError) {
		var req struct {
			SuiteID     string `json:"suite_id"`
			SuiteSecret string `json:"suite_secret"`
			SuiteTicket string `json:"suite_ticket"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		fs := c.s.suite.suites[req.SuiteID]
		switch {
		case fs == nil:
			return nil, errf(40083, "invalid suite_id")
		case req.SuiteSecret != fs.secret:
			return nil, errf(40001, "invalid suite_secret")
		}
		issued, ok := fs.tickets[req.SuiteTicket]
		if !ok || c.s.now().Sub(issued) >= SuiteTicketLife {
			return nil, errf(40085, "invalid suite_ticket")
		}
		tok := c.s.newID("stok-")
		c.s.suite.suiteTokens[tok] = &suiteTokenRec{suite: fs.id, expires: c.s.now().Add(c.s.tokenTTL)}
		fs.tokenCount++
		return map[string]any{"suite_access_token": tok, "expires_in": int(c.s.tokenTTL.Seconds())}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90601
	s.handle(http.MethodGet, "/cgi-bin/service/get_pre_auth_code", authNone, func(c *call) (any, *apiError) {
		fs, e := c.suiteCall()
		if e != nil {
			return nil, e
		}
		code := c.s.newID("preauth-")
		c.s.suite.preAuthCodes[code] = &preAuthRec{suite: fs.id, expires: c.s.now().Add(1200 * time.Second)}
		return map[string]any{"pre_auth_code": code, "expires_in": 1200}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90602
	s.handle(http.MethodPost, "/cgi-bin/service/set_session_info", authNone, func(c *call) (any, *apiError) {
		fs, e := c.suiteCall()
		if e != nil {
			return nil, e
		}
		var req struct {
			PreAuthCode string `json:"pre_auth_code"`
			SessionInfo *struct {
				AppID    []int `json:"appid"`
				AuthType *int  `json:"auth_type"`
			} `json:"session_info"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		rec := c.s.suite.preAuthCodes[req.PreAuthCode]
		switch {
		case req.SessionInfo == nil:
			return nil, errf(40058, "session_info missing")
		case rec == nil || rec.suite != fs.id:
			return nil, errf(40058, "invalid pre_auth_code")
		case !c.s.now().Before(rec.expires):
			return nil, errf(42007, "pre_auth_code expired")
		}
		if t := req.SessionInfo.AuthType; t != nil {
			if *t != 0 && *t != 1 {
				return nil, errf(40058, "invalid auth_type")
			}
			rec.authType = *t
		}
		return nil, nil
	})

	permanentCode := func(v2 bool) handlerFunc {
		return func(c *call) (any, *apiError) {
			fs, e := c.suiteCall()
			if e != nil {
				return nil, e
			}
			var req struct {
				AuthCode string `json:"auth_code"`
			}
			if e := c.decode(&req); e != nil {
				return nil, e
			}
			a, e := c.s.exchangeLocked(fs, req.AuthCode)
			if e != nil {
				return nil, e
			}
			user := &wsAuthUser{UserID: "installer", OpenUserID: pseudoID("wo", fs.id, a.corp, "installer"), Name: "Installer", Avatar: "https://example.com/a.png"}
			if v2 {
				return struct {
					PermanentCode string      `json:"permanent_code"`
					AuthCorpInfo  wsCorpRef   `json:"auth_corp_info"`
					AuthUserInfo  *wsAuthUser `json:"auth_user_info"`
					State         string      `json:"state"`
				}{a.permanentCode, wsCorpRef{a.corp, "Corp " + a.corp}, user, ""}, nil
			}
			out := struct {
				AccessToken   string         `json:"access_token,omitempty"`
				ExpiresIn     int            `json:"expires_in,omitempty"`
				PermanentCode string         `json:"permanent_code"`
				AuthCorpInfo  wsAuthCorpInfo `json:"auth_corp_info"`
				AuthInfo      wsAuthInfo     `json:"auth_info"`
				AuthUserInfo  *wsAuthUser    `json:"auth_user_info"`
				State         string         `json:"state"`
			}{PermanentCode: a.permanentCode, AuthCorpInfo: c.s.authCorpInfoLocked(a.corp, false),
				AuthInfo: wsAuthInfo{Agent: []wsAgent{agentOf(fs, a)}}, AuthUserInfo: user}
			if !fs.agentDev { // 代开发 installs get no token here
				t := c.s.issueCorpTokenLocked(fs, a.corp)
				out.AccessToken, out.ExpiresIn = t.AccessToken, t.ExpiresIn
			}
			return out, nil
		}
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90603
	s.handle(http.MethodPost, "/cgi-bin/service/get_permanent_code", authNone, permanentCode(false))
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100776
	s.handle(http.MethodPost, "/cgi-bin/service/v2/get_permanent_code", authNone, permanentCode(true))

	authInfo := func(v2 bool) handlerFunc {
		return func(c *call) (any, *apiError) {
			fs, e := c.suiteCall()
			if e != nil {
				return nil, e
			}
			var req struct {
				AuthCorpID    string `json:"auth_corpid"`
				PermanentCode string `json:"permanent_code"`
			}
			if e := c.decode(&req); e != nil {
				return nil, e
			}
			a, e := fs.authFor(req.AuthCorpID, req.PermanentCode)
			if e != nil {
				return nil, e
			}
			return struct {
				AuthCorpInfo wsAuthCorpInfo `json:"auth_corp_info"`
				AuthInfo     wsAuthInfo     `json:"auth_info"`
			}{c.s.authCorpInfoLocked(a.corp, v2), wsAuthInfo{Agent: []wsAgent{agentOf(fs, a)}}}, nil
		}
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90604
	s.handle(http.MethodPost, "/cgi-bin/service/get_auth_info", authNone, authInfo(false))
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100795
	s.handle(http.MethodPost, "/cgi-bin/service/v2/get_auth_info", authNone, authInfo(true))

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90605
	s.handle(http.MethodPost, "/cgi-bin/service/get_corp_token", authNone, func(c *call) (any, *apiError) {
		fs, e := c.suiteCall()
		if e != nil {
			return nil, e
		}
		var req struct {
			AuthCorpID    string `json:"auth_corpid"`
			PermanentCode string `json:"permanent_code"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if fs.agentDev {
			return nil, errf(48002, "api forbidden: an agent-developed app gets its token from gettoken")
		}
		a, e := fs.authFor(req.AuthCorpID, req.PermanentCode)
		if e != nil {
			return nil, e
		}
		return c.s.issueCorpTokenLocked(fs, a.corp), nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90606
	s.handle(http.MethodPost, "/cgi-bin/service/get_admin_list", authNone, func(c *call) (any, *apiError) {
		fs, e := c.suiteCall()
		if e != nil {
			return nil, e
		}
		var req struct {
			AuthCorpID string `json:"auth_corpid"`
			AgentID    int    `json:"agentid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		a := fs.auths[req.AuthCorpID]
		if a == nil || a.cancelled {
			return nil, errf(40084, "corp has not authorized the suite")
		}
		if req.AgentID != a.agentID {
			return nil, errf(40056, "invalid agentid")
		}
		admins := []wsAdmin{}
		for _, ad := range a.admins {
			admins = append(admins, wsAdmin{UserID: ad.UserID, OpenUserID: pseudoID("wo", fs.id, a.corp, ad.UserID), AuthType: ad.AuthType})
		}
		return map[string]any{"admin": admins}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100072
	s.handle(http.MethodPost, "/cgi-bin/agent/get_admin_list", authCorp, func(c *call) (any, *apiError) {
		a := c.s.appAuthLocked(c)
		if a == nil {
			return nil, errf(48002, "api forbidden: not a third-party or agent-developed app token")
		}
		admins := []wsAdmin{}
		for _, ad := range a.admins {
			admins = append(admins, wsAdmin{UserID: ad.UserID, AuthType: ad.AuthType})
		}
		return map[string]any{"admin": admins}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96237
	s.handle(http.MethodPost, "/cgi-bin/service/get_provider_token", authNone, func(c *call) (any, *apiError) {
		var req struct {
			CorpID         string `json:"corpid"`
			ProviderSecret string `json:"provider_secret"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		secret, ok := c.s.suite.providers[req.CorpID]
		switch {
		case !ok:
			return nil, errf(40013, "invalid corpid")
		case secret != req.ProviderSecret:
			return nil, errf(40001, "invalid provider_secret")
		}
		tok := c.s.newID("ptok-")
		c.s.suite.providerTokens[tok] = req.CorpID
		return map[string]any{"provider_access_token": tok, "expires_in": int(c.s.tokenTTL.Seconds())}, nil
	})

	// A provider-level endpoint, so that provider tokens can be exercised.
	s.handle(http.MethodPost, "/cgi-bin/service/corpid_to_opencorpid", authNone, func(c *call) (any, *apiError) {
		if _, ok := c.s.suite.providerTokens[c.r.URL.Query().Get("provider_access_token")]; !ok {
			return nil, errf(40082, "invalid provider_access_token")
		}
		var req struct {
			CorpID string `json:"corpid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.CorpID == "" {
			return nil, errf(40058, "corpid missing")
		}
		return map[string]any{"open_corpid": pseudoID("wp", req.CorpID)}, nil
	})

	s.routeIDConvert()
}

// appAuthLocked returns the authorization behind a corp token issued to a
// third-party app (get_corp_token) or, failing that, the corp's
// authorization of an agent-developed template (its tokens come from
// gettoken). nil means a self-built app's token.
func (s *Server) appAuthLocked(c *call) *authorization {
	tok := c.r.URL.Query().Get("access_token")
	if ref, ok := s.suite.corpTokens[tok]; ok {
		if fs := s.suite.suites[ref.suite]; fs != nil {
			if a := fs.auths[ref.corp]; a != nil && !a.cancelled {
				return a
			}
		}
		return nil
	}
	for _, fs := range s.suite.suites {
		if !fs.agentDev {
			continue
		}
		if a := fs.auths[c.corp.ID]; a != nil && !a.cancelled && c.corp.Secret == a.permanentCode {
			return a
		}
	}
	return nil
}
