package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/kv"
)

// recentTTL is how long this process remembers a deletion an event made,
// to keep a reconcile page read before it from putting the row back.
const recentTTL = time.Hour

// Register makes h deliver the customer-contact and customer-group events
// to the Mirror (HandleEvent, HandleChatEvent).
func (m *Mirror) Register(h *callback.Handler) {
	h.OnExternalContact(m.HandleEvent, callback.ChangeAddExternalContact, callback.ChangeAddHalfExternalContact,
		callback.ChangeEditExternalContact, callback.ChangeDelExternalContact, callback.ChangeDelFollowUser, callback.ChangeTransferFail)
	h.OnExternalChat(m.HandleChatEvent)
}

// HandleEvent applies one change_external_contact event to the sink (see
// the package doc). Events of another corp pass through. The error is the
// sink's, the Store's or WeCom's: a Handler answering 500 makes WeCom send
// the event again, which is safe.
func (m *Mirror) HandleEvent(ctx context.Context, ev *callback.ExternalContactEvent) error {
	if ev == nil || ev.ExternalUserID == "" {
		return nil
	}
	if corp := ev.CorpID(); corp != "" && corp != m.corpID {
		return nil
	}
	var err error
	switch ev.ChangeType {
	case callback.ChangeAddExternalContact, callback.ChangeAddHalfExternalContact:
		if err = m.oneWay(ctx, ev.UserID, ev.ExternalUserID, time.Time{}); err == nil {
			err = m.RefreshRelation(ctx, ev.UserID, ev.ExternalUserID)
		}
	case callback.ChangeEditExternalContact:
		err = m.RefreshRelation(ctx, ev.UserID, ev.ExternalUserID)
	case callback.ChangeDelExternalContact:
		reason := ReasonMemberDeleted
		if ev.Source == callback.DeleteByTransfer {
			reason = ReasonTransferred
		}
		err = m.deleteRelation(ctx, ev.UserID, ev.ExternalUserID, reason)
	case callback.ChangeDelFollowUser:
		if err = m.oneWay(ctx, ev.UserID, ev.ExternalUserID, m.eventTime(ev)); err == nil {
			err = m.deleteRelation(ctx, ev.UserID, ev.ExternalUserID, ReasonCustomerDeleted)
		}
	case callback.ChangeTransferFail:
		err = m.RefreshCustomer(ctx, ev.ExternalUserID)
	}
	if err != nil {
		return fmt.Errorf("mirror: %s of %s/%s: %w", ev.ChangeType, ev.UserID, ev.ExternalUserID, err)
	}
	return nil
}

// HandleChatEvent applies one change_external_chat event: create and
// update read the group and upsert it, dismiss deletes it.
func (m *Mirror) HandleChatEvent(ctx context.Context, ev *callback.ExternalChatEvent) error {
	if ev == nil || ev.ChatID == "" {
		return nil
	}
	if corp := ev.CorpID(); corp != "" && corp != m.corpID {
		return nil
	}
	var err error
	switch ev.ChangeType {
	case callback.ChangeChatCreate, callback.ChangeChatUpdate:
		err = m.RefreshGroup(ctx, ev.ChatID)
	case callback.ChangeChatDismiss:
		err = m.sink.DeleteGroup(ctx, ev.ChatID)
	}
	if err != nil {
		return fmt.Errorf("mirror: group %s %s: %w", ev.ChatID, ev.ChangeType, err)
	}
	return nil
}

// RefreshRelation reads the relation between member userID and customer
// externalUserID with externalcontact/get and upserts it; a relation WeCom
// does not list is left as the sink has it (an event or the next
// reconcile says what became of it).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (m *Mirror) RefreshRelation(ctx context.Context, userID, externalUserID string) error {
	return m.refresh(ctx, externalUserID, func(fu *contact.FollowUser) bool { return fu.UserID == userID })
}

// RefreshCustomer reads customer externalUserID with externalcontact/get
// and upserts every relation WeCom lists for it: after a transfer's outcome,
// say. Relations the sink holds that WeCom no longer lists are left for an
// event or the next reconcile.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (m *Mirror) RefreshCustomer(ctx context.Context, externalUserID string) error {
	return m.refresh(ctx, externalUserID, func(*contact.FollowUser) bool { return true })
}

// Transferred applies the final outcome of a customer transfer
// (contact.Transfers.Check): taken over (TransferDone), the handover
// member's relation is deleted (ReasonTransferred) and the customer's
// relations read again, the takeover member's among them; otherwise
// (refused, the takeover member's limit, no record) the customer's
// relations are read again: they stay with the handover member. A waiting
// transfer changes nothing. WeCom raises no event when a takeover
// completes.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (m *Mirror) Transferred(ctx context.Context, o *contact.TransferOutcome) error {
	if o == nil || o.ExternalUserID == "" || o.HandoverUserID == "" {
		return errors.New("mirror: Transferred needs a transfer outcome with its handover member and customer")
	}
	switch o.Status {
	case contact.TransferWaiting:
		return nil
	case contact.TransferDone:
		if err := m.deleteRelation(ctx, o.HandoverUserID, o.ExternalUserID, ReasonTransferred); err != nil {
			return err
		}
	}
	return m.RefreshCustomer(ctx, o.ExternalUserID)
}

func (m *Mirror) refresh(ctx context.Context, externalUserID string, want func(*contact.FollowUser) bool) error {
	at := m.now()
	var ec *contact.ExternalContact
	req := &contact.GetRequest{ExternalUserID: externalUserID}
	for {
		d, err := m.contacts.Get(ctx, req)
		if err != nil {
			return err
		}
		ec = &d.ExternalContact
		for i := range d.FollowUser {
			fu := &d.FollowUser[i]
			if !want(fu) {
				continue
			}
			if skip, err := m.isOneWay(ctx, fu.UserID, externalUserID, fu.CreateTime.Time()); err != nil || skip {
				if err != nil {
					return err
				}
				continue
			}
			if err := m.sink.UpsertRelation(ctx, relationFrom(ec, fu, at)); err != nil {
				return err
			}
		}
		if d.NextCursor == "" || d.NextCursor == req.Cursor {
			return nil
		}
		req.Cursor = d.NextCursor
	}
}

// RefreshGroup reads group chatID with groupchat/get and upserts it; a
// group WeCom no longer has is deleted.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92122
func (m *Mirror) RefreshGroup(ctx context.Context, chatID string) error {
	return m.refreshGroup(ctx, chatID, 0)
}

func (m *Mirror) refreshGroup(ctx context.Context, chatID string, gen int64) error {
	at := m.now()
	g, err := m.groups.Get(ctx, &groupchat.GetRequest{ChatID: chatID})
	if groupchat.IsNotFound(err) {
		return m.sink.DeleteGroup(ctx, chatID)
	}
	if err != nil {
		return err
	}
	return m.sink.UpsertGroup(ctx, groupFrom(g, at, gen))
}

func (m *Mirror) deleteRelation(ctx context.Context, userID, externalUserID string, reason DeleteReason) error {
	m.mu.Lock()
	now := m.now()
	for k, t := range m.recent {
		if now.Sub(t) > recentTTL {
			delete(m.recent, k)
		}
	}
	m.recent[userID+"\x00"+externalUserID] = now
	m.mu.Unlock()
	return m.sink.DeleteRelation(ctx, userID, externalUserID, reason)
}

// deletedSince reports whether an event of this process deleted the pair
// at or after t.
func (m *Mirror) deletedSince(userID, externalUserID string, t time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.recent[userID+"\x00"+externalUserID]
	return ok && !d.Before(t)
}

// oneWayMembers is what the Store keeps per member: the customers who
// deleted the member, with when (unix seconds).
type oneWayMembers struct {
	Customers map[string]int64 `json:"customers"`
}

func (m *Mirror) oneWayKey(userID string) string {
	return "scrm:mirror:" + m.corpID + ":oneway:" + userID
}

// oneWay records (at non-zero) or clears (at zero) that the customer
// deleted the member.
func (m *Mirror) oneWay(ctx context.Context, userID, externalUserID string, at time.Time) error {
	if userID == "" {
		return nil
	}
	return kv.UpdateJSON(ctx, m.store, m.oneWayKey(userID), 0, func(cur oneWayMembers, ok bool) (*oneWayMembers, error) {
		if at.IsZero() {
			if _, found := cur.Customers[externalUserID]; !found {
				return &cur, nil
			}
			delete(cur.Customers, externalUserID)
			if len(cur.Customers) == 0 {
				return nil, nil
			}
			return &cur, nil
		}
		if cur.Customers == nil {
			cur.Customers = map[string]int64{}
		}
		cur.Customers[externalUserID] = at.Unix()
		return &cur, nil
	})
}

// oneWaySet reads the customers who deleted the member.
func (m *Mirror) oneWaySet(ctx context.Context, userID string) (map[string]int64, error) {
	raw, ok, err := m.store.Get(ctx, m.oneWayKey(userID))
	if err != nil || !ok || raw == "" {
		return nil, err
	}
	var cur oneWayMembers
	if err := json.Unmarshal([]byte(raw), &cur); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", kv.ErrCorrupt, m.oneWayKey(userID), err)
	}
	return cur.Customers, nil
}

// isOneWay reports whether WeCom lists a relation the customer ended: the
// customer deleted the member at or after the relation's createtime.
func (m *Mirror) isOneWay(ctx context.Context, userID, externalUserID string, added time.Time) (bool, error) {
	set, err := m.oneWaySet(ctx, userID)
	if err != nil {
		return false, err
	}
	at, ok := set[externalUserID]
	return ok && at >= added.Unix(), nil
}

func (m *Mirror) eventTime(ev *callback.ExternalContactEvent) time.Time {
	switch {
	case ev.CreateTime != 0:
		return ev.CreateTime.Time()
	case ev.TimeStamp != 0:
		return ev.TimeStamp.Time()
	}
	return m.now()
}
