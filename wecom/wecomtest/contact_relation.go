package wecomtest

import (
	"context"
	"fmt"
	"slices"
)

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
	return relationLocked(cs, userID, externalUserID)
}

// relationLocked is Relation for code that holds s.mu.
func relationLocked(cs *contactState, userID, externalUserID string) (Relation, bool) {
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

// WaitRelation waits until member userID's relation with customer
// externalUserID satisfies ok (a tag marked, a remark set, the relation
// present at all when ok is nil) and returns it, or until ctx ends (then
// the error is ctx's, with what the relation was). It wakes on every
// customer-contact call the fake serves and every relation added or
// removed, so a test of an asynchronous path (a callback handler tagging a
// customer from a worker, say) needs no polling of its own:
//
//	rel, err := corp.WaitRelation(ctx, scan.UserID, scan.ExternalUserID, func(r wecomtest.Relation) bool {
//		return slices.Contains(r.TagIDs, tagID) && r.Remark != ""
//	})
func (c *Corp) WaitRelation(ctx context.Context, userID, externalUserID string, ok func(Relation) bool) (Relation, error) {
	s := c.s
	for {
		s.mu.Lock()
		cs, err := s.contactLocked(c.id)
		if err != nil {
			s.mu.Unlock()
			return Relation{}, err
		}
		cs.settle(s.now())
		r, found := relationLocked(cs, userID, externalUserID)
		changed := cs.watch()
		s.mu.Unlock()
		if found && (ok == nil || ok(r)) {
			return r, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if !found {
				return r, fmt.Errorf("wecomtest: %q has no relation with %q: %w", userID, externalUserID, ctx.Err())
			}
			return r, fmt.Errorf("wecomtest: the relation of %q with %q is %+v: %w", userID, externalUserID, r, ctx.Err())
		}
	}
}
