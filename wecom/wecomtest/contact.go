package wecomtest

// contactState is a corp's customer-contact data: customers, follow users,
// tags, contact ways. (Filled in by the contact area.)
type contactState struct{}

func newContactState() *contactState { return &contactState{} }

// routeContact serves the externalcontact endpoints.
func (s *Server) routeContact() {}
