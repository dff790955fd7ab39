package contact

import (
	"context"
	"errors"
	"slices"
)

// SelectRequest picks customers by the tags on their relations, with what
// WeCom's tag_filter (message.TagFilter) cannot say: leaving out customers
// who carry a tag (NoneOf).
type SelectRequest struct {
	// AllOf selects a customer when, for every entry, it carries at least
	// one of the entry's tag ids (OR inside an entry, AND across entries,
	// as message.TagFilter). Empty: every customer.
	AllOf [][]string
	// NoneOf leaves out a customer carrying any of these tag ids.
	NoneOf []string
	// Users limits the relations read to these members' (batch/get_by_user);
	// empty reads every member's (Sync).
	Users []string
}

// Select returns the external_userids, sorted, of the customers req picks.
// A customer's tags are those of every relation read (a tag one member put
// on them counts for all), so a customer another member tagged "lost" is
// left out of every member's send. It reads every relation of the corp (or
// of req.Users) once, in pages: as many calls as Sync makes. Personal tags
// (TagPersonal) are not seen: WeCom's bulk read gives corp and rule-group
// tag ids only.
//
//	ids, err := svc.Select(ctx, &contact.SelectRequest{
//		AllOf:  [][]string{{joinedGroup}, {poster, douyin}}, // joined ∧ (poster ∨ douyin)
//		NoneOf: []string{leftGroup, lost},
//	})
//	tasks, err := msgs.MassSend(ctx, &message.MassSendRequest{Audience: message.Audience{ExternalUserIDs: ids}, ...})
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (s *Service) Select(ctx context.Context, req *SelectRequest) ([]string, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	for i, anyOf := range req.AllOf {
		if len(anyOf) == 0 {
			return nil, check.Invalidf("AllOf[%d] is empty: no customer could carry one of its tags", i)
		}
	}
	tags := map[string][]string{} // customer → tag ids over their relations
	add := func(records []CustomerRecord) {
		for i := range records {
			ext := records[i].ExternalContact.ExternalUserID
			tags[ext] = append(tags[ext], records[i].FollowInfo.TagID...)
		}
	}
	if len(req.Users) == 0 {
		for page, err := range s.Sync(ctx, nil) {
			if err != nil {
				return nil, err
			}
			add(page.Records)
		}
	} else {
		res, err := s.BatchGetByUserMany(ctx, &BatchGetByUserRequest{UserIDList: req.Users}, 0)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, r := range res {
			if r.Err != nil && !IsUnlicensed(r.Err) {
				errs = append(errs, r.Err)
			}
			add(r.Value)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(tags))
	for ext, have := range tags {
		if slices.ContainsFunc(req.NoneOf, func(t string) bool { return slices.Contains(have, t) }) {
			continue
		}
		ok := true
		for _, anyOf := range req.AllOf {
			if !slices.ContainsFunc(anyOf, func(t string) bool { return slices.Contains(have, t) }) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, ext)
		}
	}
	slices.Sort(out)
	return out, nil
}
