package wecomtest

// Authorize installs the suite's app in corpID and exchanges the auth code
// at once, pushing nothing, and returns the permanent code: for tests that
// need many authorized corps (a 10,000-corp process, say) and give the code
// to wecom.Suite with SetPermanentCode. Installs that go through the
// callback and get_permanent_code use Install. An unknown suite gets "".
func (su *Suite) Authorize(corpID string) (permanentCode string) {
	s, suiteID := su.s, su.id
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
