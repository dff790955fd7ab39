package wecomtest

// suiteState is the third-party side of the fake: suites, their tickets and
// tokens, authorizations, provider tokens. (Filled in by the suite area.)
type suiteState struct{}

func newSuiteState() *suiteState { return &suiteState{} }

// routeSuite serves the service/* and id-conversion endpoints.
func (s *Server) routeSuite() {}
