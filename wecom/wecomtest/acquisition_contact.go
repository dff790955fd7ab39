package wecomtest

import (
	"errors"
	"fmt"
	"time"
)

// addWayAcquisitionLink is follow_user.add_way of a customer who came
// through an acquisition link (获客链接).
const addWayAcquisitionLink = 16

// AcquisitionTap is what a simulated tap on an acquisition link did.
type AcquisitionTap struct {
	LinkID         string
	State          string // the customer_channel of the tapped URL
	ExternalUserID string // the customer
	UserID         string // the member the link handed the customer to
	WelcomeCode    string // of the add_external_contact event
	Balance        int64  // quota left after the add
	// BalanceLow and BalanceExhausted say the add crossed the balance_low
	// threshold (below 20) or used the last unit.
	BalanceLow, BalanceExhausted bool
}

// TapAcquisitionLink simulates a new WeChat user tapping the link linkID
// with customer_channel=channel ("" for the bare URL) and adding a member:
// the fake creates the customer, makes it follow the next member of the
// link's user_list (round-robin; departments are not modelled) with add_way
// 16 and the channel as state, lists it in customer_acquisition/customer,
// counts the tap and the add for statistic and uses one unit of quota. It
// pushes nothing (AcquisitionCallback.TapLink does). A channel longer than
// 64 bytes is cut, as WeCom does.
func (s *Server) TapAcquisitionLink(corpID, linkID, channel string) (*AcquisitionTap, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	if !as.consume(now) {
		return nil, ErrQuotaExhausted
	}
	if len(channel) > 64 {
		channel = channel[:64]
	}
	ext := cs.newCustomer(s, "Visitor via "+linkID)
	cs.follow(st, ext, &followRec{CreateTime: now.Unix(), OperUserID: ext, AddWay: addWayAcquisitionLink, State: channel})
	l.customers = append(l.customers, &acqCustomer{wireAcqCustomer: wireAcqCustomer{
		ExternalUserID: ext, UserID: st.userID, State: channel}})
	l.adds[day]++
	after := as.balance(now)
	return &AcquisitionTap{
		LinkID: linkID, State: channel, ExternalUserID: ext, UserID: st.userID,
		WelcomeCode: s.newID("welcome-"), Balance: after,
		BalanceLow:       before >= acquisitionLowBalance && after < acquisitionLowBalance && after > 0,
		BalanceExhausted: after == 0,
	}, nil
}

// AcquisitionMessage is what a simulated customer message did.
type AcquisitionMessage struct {
	LinkID, State string
	Count         int  // messages the member has received from the customer
	First         bool // the first one: WeCom pushes customer_start_chat
	// ChatKey is set when Count is one of RepeatedMessageCounts: WeCom
	// pushes message_from_customer with it, valid for ChatKeyLife.
	ChatKey string
}

// AcquisitionCustomerMessage simulates a customer who came through an
// acquisition link sending one message to the member userID: the
// customer's chat_status becomes 1 and, at the counts of
// RepeatedMessageCounts, a ChatKey is issued for get_chat_info. It pushes
// nothing (AcquisitionCallback.CustomerMessage does).
func (s *Server) AcquisitionCustomerMessage(corpID, externalUserID, userID string) (*AcquisitionMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
			for _, n := range RepeatedMessageCounts {
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

// acquisitionNow is the server clock, for the push helpers.
func (s *Server) acquisitionNow() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}
