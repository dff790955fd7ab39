package wecomtest

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Acts of members and customers on a relation that WeCom reports as
// change_external_contact events: a member editing a customer's tags in the
// WeCom client (edit_external_contact) and a customer refusing to be taken
// over by a new member (transfer_fail).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130

// MemberTagsCustomer plays member userID adding and removing corp tags on
// customer externalUserID in the WeCom client (编辑客户标签). The relation's
// tags change as with mark_tag, and, when the corp has a callback
// (SetCallback), edit_external_contact is pushed with UserID and
// ExternalUserID: unlike mark_tag through the API, which WeCom reports to
// no one, a member's edit in the client is pushed. An unknown tag, member
// or relation answers an error wrapping ErrNotFound and changes nothing.
func (c *Corp) MemberTagsCustomer(ctx context.Context, userID, externalUserID string, add, remove []string) error {
	s := c.s
	s.mu.Lock()
	cs, err := s.contactLocked(c.id)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	cs.settle(s.now())
	f, aerr := cs.relation(userID, externalUserID)
	if aerr != nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q does not have customer %q (%s)", ErrNotFound, userID, externalUserID, aerr.msg)
	}
	for _, id := range slices.Concat(add, remove) {
		if t := cs.tags[id]; t == nil || t.deleted {
			s.mu.Unlock()
			return fmt.Errorf("%w: tag %q", ErrNotFound, id)
		}
	}
	for _, id := range add {
		if !slices.Contains(f.TagIDs, id) {
			f.TagIDs = append(f.TagIDs, id)
		}
	}
	f.TagIDs = slices.DeleteFunc(f.TagIDs, func(id string) bool { return slices.Contains(remove, id) })
	cs.notify()
	p, at := c.pusherLocked(), s.now()
	s.mu.Unlock()
	return c.push(ctx, p, EditExternalContactXML(c.id, userID, externalUserID, at))
}

// RefuseTakeover plays customer externalUserID refusing the transfer that
// waits to move them to a new member (客户拒绝接替), in-service or resigned:
// the customer stays with the handover member, transfer_result (or
// resigned/transfer_result) reports status 3 with the time of the refusal,
// and, when the corp has a callback, transfer_fail is pushed with the
// takeover member as UserID and FailReason customer_refused. A customer with
// no waiting transfer answers an error wrapping ErrNotFound.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (c *Corp) RefuseTakeover(ctx context.Context, externalUserID string) error {
	s := c.s
	s.mu.Lock()
	cs, err := s.contactLocked(c.id)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	cs.settle(s.now())
	var t *transferRec
	for _, r := range cs.transfers {
		if r.ext == externalUserID && r.status == 2 {
			t = r
		}
	}
	if t == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: customer %q has no waiting transfer", ErrNotFound, externalUserID)
	}
	t.status = 3
	t.takeoverAt = s.now().Unix()
	cs.pending--
	cs.notify()
	p, at := c.pusherLocked(), s.now()
	s.mu.Unlock()
	return c.push(ctx, p, TransferFailXML(c.id, t.takeover, externalUserID, "customer_refused", at))
}

// EditExternalContactXML returns the decrypted XML of an
// edit_external_contact event (member userID edited customer
// externalUserID's remark, description or tags in the client), in the
// self-built app form.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func EditExternalContactXML(corpID, userID, externalUserID string, at time.Time) []byte {
	return externalContactXML(corpID, "edit_external_contact", userID, externalUserID, "", at)
}

// TransferFailXML returns the decrypted XML of a transfer_fail event (the
// customer could not be taken over by member userID: failReason
// "customer_refused" or "customer_limit_exceed"), in the self-built app
// form.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func TransferFailXML(corpID, userID, externalUserID, failReason string, at time.Time) []byte {
	return externalContactXML(corpID, "transfer_fail", userID, externalUserID,
		"<FailReason><![CDATA["+failReason+"]]></FailReason>", at)
}
