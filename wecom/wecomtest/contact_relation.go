package wecomtest

import "slices"

// Relation is one member's relation with a customer as the fake holds it:
// what externalcontact/get shows in that member's follow_user entry.
type Relation struct {
	UserID         string
	ExternalUserID string
	Remark         string
	Description    string
	TagIDs         []string // corp and rule-group tags marked on the customer (mark_tag)
	State          string   // the state of the contact way the customer came through
	AddWay         int
}

// Relation returns member userID's relation with customer externalUserID;
// ok is false when the member does not follow the customer (or either is
// unknown). Tests use it to see the tags and remark a helper set.
func (c *Corp) Relation(userID, externalUserID string) (r Relation, ok bool) {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return Relation{}, false
	}
	cs.settle(s.now())
	st := cs.staff[userID]
	if st == nil {
		return Relation{}, false
	}
	f := st.follows[externalUserID]
	if f == nil {
		return Relation{}, false
	}
	return Relation{UserID: userID, ExternalUserID: externalUserID, Remark: f.Remark, Description: f.Description,
		TagIDs: slices.Clone(f.TagIDs), State: f.State, AddWay: f.AddWay}, true
}
