package wecomtest

import (
	"net/http"
)

// routeToken serves gettoken.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91039
func (s *Server) routeToken() {
	s.handle(http.MethodGet, "/cgi-bin/gettoken", authNone, func(c *call) (any, *apiError) {
		q := c.r.URL.Query()
		corpID, secret := q.Get("corpid"), q.Get("corpsecret")
		switch {
		case corpID == "":
			return nil, errf(41002, "corpid missing")
		case secret == "":
			return nil, errf(41004, "corpsecret missing")
		}
		corp := c.s.corps[corpID]
		if corp == nil {
			return nil, errf(40013, "invalid corpid")
		}
		if corp.Secret != secret {
			return nil, errf(40001, "invalid credential")
		}
		return c.s.issueTokenLocked(corp.ID), nil
	})
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// issueTokenLocked mints a token for corpID; s.mu is held.
func (s *Server) issueTokenLocked(corpID string) tokenAnswer {
	tok := s.newID("tok-")
	s.tokens[tok] = &tokenRec{corp: corpID, expires: s.now().Add(s.tokenTTL)}
	if c := s.corps[corpID]; c != nil {
		c.tokenFetches++
	}
	return tokenAnswer{AccessToken: tok, ExpiresIn: int(s.tokenTTL.Seconds())}
}

// routeIP serves get_api_domain_ip and getcallbackip with documentation
// addresses (RFC 5737).
func (s *Server) routeIP() {
	for path, ips := range map[string][]string{
		"/cgi-bin/get_api_domain_ip": {"192.0.2.10", "192.0.2.11"},
		"/cgi-bin/getcallbackip":     {"198.51.100.0/25", "198.51.100.200"},
	} {
		s.handle(http.MethodGet, path, authCorp, func(*call) (any, *apiError) {
			return map[string]any{"ip_list": ips}, nil
		})
	}
}
