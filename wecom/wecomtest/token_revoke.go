package wecomtest

// RevokeTokens makes every suite_access_token issued so far for the suite
// invalid: calls with them answer 40082, as after WeCom invalidates a
// suite's token before its expiry. The corps' access tokens are the
// corps' (Corp.RevokeTokens).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90600
func (su *Suite) RevokeTokens() {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, t := range s.suite.suiteTokens {
		if t.suite == su.id {
			delete(s.suite.suiteTokens, tok)
		}
	}
}

// RevokeProviderTokens makes every provider_access_token issued so far for
// the provider providerCorpID (AddProvider) invalid: calls with them answer
// 40082. Tests count get_provider_token calls with Count.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96237
func (s *Server) RevokeProviderTokens(providerCorpID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, corp := range s.suite.providerTokens {
		if corp == providerCorpID {
			delete(s.suite.providerTokens, tok)
		}
	}
}
