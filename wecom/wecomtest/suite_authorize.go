package wecomtest

// Authorize installs the suite's app in corpID without the auth-code
// exchange and returns the permanent code, for tests that need many
// authorized corps at once (a 10,000-corp process, say) and give the code
// to the Suite with SetPermanentCode. Installs that should go through the
// callback and get_permanent_code use Install or SuiteCallback.InstallAndPush.
// An unknown suite gets "".
func (s *Server) Authorize(suiteID, corpID string) (permanentCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.suite.suites[suiteID]
	if fs == nil || corpID == "" {
		return ""
	}
	s.addCorpLocked(corpID, "")
	a, aerr := s.exchangeLocked(fs, s.newAuthCodeLocked(suiteID, corpID))
	if aerr != nil {
		return ""
	}
	return a.permanentCode
}
