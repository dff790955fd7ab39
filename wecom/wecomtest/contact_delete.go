package wecomtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The two ways a customer relation ends (客户流失), each pushed as a
// change_external_contact event: a member deletes a customer
// (del_external_contact, 删除企业客户事件) or a customer deletes a member
// (del_follow_user, 删除跟进成员事件).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130

// MemberDeletesCustomer plays member userID deleting customer
// externalUserID in the WeCom client (删除客户). The relation goes away:
// externalcontact/get and list no longer show it, the customer's other
// members keep theirs, and a mass send that names the customer afterwards
// (or that was created before and is confirmed after) reports it for this
// member with status 2, 「因客户不是好友导致发送失败」 (93338). When the corp
// has a callback (Corp.SetCallback) the event del_external_contact is
// pushed with UserID and ExternalUserID. The relation is gone also when
// the push fails, as WeCom does not undo what it could not report.
func (c *Corp) MemberDeletesCustomer(ctx context.Context, userID, externalUserID string) error {
	return c.endRelation(ctx, userID, externalUserID, func(at time.Time) []byte {
		return DelExternalContactXML(c.id, userID, externalUserID, "", at)
	})
}

// CustomerDeletesMember plays customer externalUserID deleting member
// userID in WeChat (被客户删除), the loss a churn alert (流失提醒) reports. The
// relation goes away as with MemberDeletesCustomer, a later mass send
// reports the customer with status 2 (not a friend), and the event
// del_follow_user is pushed with UserID and ExternalUserID when the corp
// has a callback.
func (c *Corp) CustomerDeletesMember(ctx context.Context, externalUserID, userID string) error {
	return c.endRelation(ctx, userID, externalUserID, func(at time.Time) []byte {
		return DelFollowUserXML(c.id, userID, externalUserID, at)
	})
}

// endRelation removes the relation between member userID and customer
// externalUserID, remembers it for mass sends and pushes event.
func (c *Corp) endRelation(ctx context.Context, userID, externalUserID string, event func(time.Time) []byte) error {
	s := c.s
	s.mu.Lock()
	cs, err := s.contactLocked(c.id)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	cs.settle(s.now())
	st := cs.staff[userID]
	if st == nil || st.follows[externalUserID] == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q does not have customer %q", ErrNotFound, userID, externalUserID)
	}
	cs.unfollow(st, externalUserID)
	if st.former == nil {
		st.former = map[string]bool{}
	}
	st.former[externalUserID] = true
	p, at := c.pusherLocked(), s.now()
	s.mu.Unlock()
	return c.push(ctx, p, event(at))
}

// formerFollower returns the member whose relation with customer ext ended
// by a deletion: sender if given and one of them, else the last such
// member; "" if none.
func (cs *contactState) formerFollower(ext, sender string) string {
	if sender != "" {
		if st := cs.staff[sender]; st != nil && st.former[ext] {
			return sender
		}
		return ""
	}
	for i := len(cs.staffOrder) - 1; i >= 0; i-- {
		if st := cs.activeStaff(cs.staffOrder[i]); st != nil && st.former[ext] {
			return st.userID
		}
	}
	return ""
}

// DelExternalContactXML returns the decrypted XML of a del_external_contact
// event (member userID deleted customer externalUserID), in the self-built
// app form. source is the Source element, left out when empty (WeCom sends
// DELETE_BY_TRANSFER when an in-service transfer removed the customer from
// the handover member).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func DelExternalContactXML(corpID, userID, externalUserID, source string, at time.Time) []byte {
	extra := ""
	if source != "" {
		extra = "<Source><![CDATA[" + source + "]]></Source>"
	}
	return externalContactXML(corpID, "del_external_contact", userID, externalUserID, extra, at)
}

// DelFollowUserXML returns the decrypted XML of a del_follow_user event
// (customer externalUserID deleted member userID), in the self-built app
// form.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func DelFollowUserXML(corpID, userID, externalUserID string, at time.Time) []byte {
	return externalContactXML(corpID, "del_follow_user", userID, externalUserID, "", at)
}

func externalContactXML(corpID, change, userID, externalUserID, extra string, at time.Time) []byte {
	var b strings.Builder
	b.WriteString("<xml><ToUserName><![CDATA[" + corpID + "]]></ToUserName>")
	b.WriteString("<FromUserName><![CDATA[sys]]></FromUserName>")
	b.WriteString("<CreateTime>" + strconv.FormatInt(at.Unix(), 10) + "</CreateTime>")
	b.WriteString("<MsgType><![CDATA[event]]></MsgType>")
	b.WriteString("<Event><![CDATA[change_external_contact]]></Event>")
	b.WriteString("<ChangeType><![CDATA[" + change + "]]></ChangeType>")
	b.WriteString("<UserID><![CDATA[" + userID + "]]></UserID>")
	b.WriteString("<ExternalUserID><![CDATA[" + externalUserID + "]]></ExternalUserID>")
	b.WriteString(extra + "</xml>")
	return []byte(b.String())
}
