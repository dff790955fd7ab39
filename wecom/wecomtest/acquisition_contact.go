package wecomtest

import (
	"context"
	"errors"
	"fmt"
)

// addWayAcquisitionLink is follow_user.add_way of a customer who came
// through an acquisition link (获客链接).
const addWayAcquisitionLink = 16

// AcquisitionTap is what a tap on an acquisition link did.
type AcquisitionTap struct {
	LinkID         string
	State          string // the customer_channel of the tapped URL
	ExternalUserID string // the customer
	UserID         string // the member the link handed the customer to
	// WelcomeCode is the add_external_contact event's WelcomeCode, valid
	// WelcomeCodeLife, once; "" when the member has a console welcome
	// (Corp.SetConsoleWelcome).
	WelcomeCode string
	Balance     int64 // quota left after the add
	// BalanceLow and BalanceExhausted say the add crossed the balance_low
	// threshold (below 20) or used the last unit.
	BalanceLow, BalanceExhausted bool
}

// TapLink plays a new WeChat user tapping acquisition link linkID with
// customer_channel=channel ("" for the bare URL; longer than 64 bytes is
// cut, as WeCom does) and adding a member: the fake creates the customer,
// makes it follow the next member of the link's user_list (round-robin;
// departments are not modelled) with add_way 16 and the channel as state,
// lists it in customer_acquisition/customer, counts the tap and the add for
// statistic, uses one unit of quota and issues a welcome code. When the
// corp has a callback it pushes, in WeCom's order: open_profile,
// friend_request (only with a channel, as WeCom), add_external_contact with
// the channel as State and the welcome code, then balance_low or
// balance_exhausted when the add crossed them. The tap is returned also
// when a push failed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
func (acq *Acquisition) TapLink(ctx context.Context, linkID, channel string) (*AcquisitionTap, error) {
	return acq.tap(ctx, linkID, channel, "")
}

// tap is TapLink, paid with onceKey when it is not "".
func (acq *Acquisition) tap(ctx context.Context, linkID, channel, onceKey string) (*AcquisitionTap, error) {
	s := acq.c.s
	s.mu.Lock()
	tap, err := acq.tapLocked(linkID, channel, onceKey)
	p, at := acq.c.pusherLocked(), s.now()
	s.mu.Unlock()
	if err != nil || p == nil {
		return tap, err
	}
	xmls := [][]byte{acq.event(ChangeOpenProfile, AcquisitionEventFields{LinkID: linkID, State: tap.State}, at)}
	if tap.State != "" {
		xmls = append(xmls, acq.event(ChangeFriendRequest, AcquisitionEventFields{LinkID: linkID, State: tap.State}, at))
	}
	xmls = append(xmls, AddExternalContactXML(acq.c.id, tap.UserID, tap.ExternalUserID, tap.State, tap.WelcomeCode, at))
	if tap.BalanceLow {
		xmls = append(xmls, acq.event(ChangeBalanceLow, AcquisitionEventFields{}, at))
	}
	if tap.BalanceExhausted {
		xmls = append(xmls, acq.event(ChangeBalanceExhausted, AcquisitionEventFields{}, at))
	}
	return tap, acq.c.push(ctx, p, xmls...)
}

// tapLocked adds the customer, paid by the corp's quota or, with a
// onceKey, by the provider; s.mu is held.
func (acq *Acquisition) tapLocked(linkID, channel, onceKey string) (*AcquisitionTap, error) {
	s, corpID := acq.c.s, acq.c.id
	as, l, err := s.findLinkLocked(corpID, linkID)
	if err != nil {
		return nil, err
	}
	if l.unavailable {
		return nil, ErrLinkUnavailable
	}
	cs := s.corps[corpID].contact
	var st *fakeStaff
	for range l.rng.UserList {
		u := l.rng.UserList[l.next%len(l.rng.UserList)]
		l.next++
		if st = cs.activeStaff(u); st != nil {
			break
		}
	}
	if st == nil {
		return nil, errors.New("wecomtest: the link's user_list has no active member (departments are not modelled)")
	}
	now := s.now()
	day := chinaDay(now.Unix())
	l.clicks[day]++
	before := as.balance(now)
	if len(channel) > 64 {
		channel = channel[:64]
	}
	if onceKey != "" {
		if err := as.payWithOnceKey(onceKey, l, channel, now); err != nil {
			return nil, err
		}
	} else if !as.consume(now) {
		return nil, ErrQuotaExhausted
	}
	ext := cs.newCustomer(s, "Visitor via "+linkID)
	cs.follow(st, ext, &followRec{CreateTime: now.Unix(), OperUserID: ext, AddWay: addWayAcquisitionLink, State: channel})
	l.customers = append(l.customers, &acqCustomer{wireAcqCustomer: wireAcqCustomer{
		ExternalUserID: ext, UserID: st.userID, State: channel}})
	l.adds[day]++
	after := as.balance(now)
	tap := &AcquisitionTap{
		LinkID: linkID, State: channel, ExternalUserID: ext, UserID: st.userID, Balance: after,
		BalanceLow:       before >= acquisitionLowBalance && after < acquisitionLowBalance && after > 0,
		BalanceExhausted: after == 0,
	}
	if !st.consoleWelcome {
		tap.WelcomeCode = s.issueWelcomeCodeLocked(s.corps[corpID], st.userID, ext)
	}
	return tap, nil
}

// AcquisitionMessage is what a customer's message did.
type AcquisitionMessage struct {
	LinkID, State string
	Count         int  // messages the member has received from the customer
	First         bool // the first one: WeCom pushes customer_start_chat
	// ChatKey is set when Count is one of RepeatedMessageCounts(): WeCom
	// pushes message_from_customer with it, valid for ChatKeyLife.
	ChatKey string
}

// CustomerMessage plays a customer who came through an acquisition link
// sending one message to member userID: the customer's chat_status becomes
// 1 (customer_acquisition/customer) and, at the counts of
// RepeatedMessageCounts, a ChatKey is issued for get_chat_info. When the
// corp has a callback it pushes customer_start_chat for the first message
// and message_from_customer, with its ChatKey, at those counts.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
func (acq *Acquisition) CustomerMessage(ctx context.Context, externalUserID, userID string) (*AcquisitionMessage, error) {
	s := acq.c.s
	s.mu.Lock()
	m, err := acq.messageLocked(externalUserID, userID)
	p, at := acq.c.pusherLocked(), s.now()
	s.mu.Unlock()
	if err != nil || p == nil {
		return m, err
	}
	var xmls [][]byte
	if m.First {
		xmls = append(xmls, acq.event(ChangeCustomerStartChat, AcquisitionEventFields{
			UserID: userID, ExternalUserID: externalUserID, LinkID: m.LinkID, State: m.State}, at))
	}
	if m.ChatKey != "" {
		xmls = append(xmls, acq.event(ChangeMessageFromCustomer, AcquisitionEventFields{
			UserID: userID, ExternalUserID: externalUserID, LinkID: m.LinkID, ChatSeq: m.Count, ChatKey: m.ChatKey}, at))
	}
	return m, acq.c.push(ctx, p, xmls...)
}

// messageLocked counts the message; s.mu is held.
func (acq *Acquisition) messageLocked(externalUserID, userID string) (*AcquisitionMessage, error) {
	s, corpID := acq.c.s, acq.c.id
	as, err := s.acquisitionLocked(corpID)
	if err != nil {
		return nil, err
	}
	for _, id := range as.linkOrder {
		l := as.links[id]
		for _, cu := range l.customers {
			if cu.ExternalUserID != externalUserID || cu.UserID != userID {
				continue
			}
			cu.msgs++
			cu.ChatStatus = 1
			m := &AcquisitionMessage{LinkID: l.id, State: cu.State, Count: cu.msgs, First: cu.msgs == 1}
			for _, n := range RepeatedMessageCounts() {
				if cu.msgs == n {
					m.ChatKey = s.newID("chatkey-")
					as.chatKeys[m.ChatKey] = &acqChatKey{userID: userID, externalUserID: externalUserID,
						linkID: l.id, state: cu.State, recv: int64(cu.msgs), expires: s.now().Add(ChatKeyLife)}
				}
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w: no acquisition relation between %q and %q", ErrNotFound, userID, externalUserID)
}
