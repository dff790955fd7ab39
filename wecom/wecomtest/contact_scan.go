package wecomtest

import (
	"context"
	"errors"
	"fmt"
)

// addWayQRCode is follow_user.add_way of a customer who scanned a QR code
// (扫描二维码), the way a contact way's code is scanned.
const addWayQRCode = 1

// Scan is what a scan of a contact way did.
type Scan struct {
	ExternalUserID string // the customer: new, unless ScanContactWay was given one
	UserID         string // the member the customer added
	State          string // the contact way's state, as the push and follow_user carry it
	// WelcomeCode is the add_external_contact event's WelcomeCode: it works
	// once, for WelcomeCodeLife (send_welcome_msg). It is "" when the
	// member has a welcome message set in the admin console
	// (SetConsoleWelcome): WeCom leaves it out of the event then.
	WelcomeCode string
	// Push tells how the push went: nil without a callback (SetCallback);
	// set also when ScanContactWay returns a push error.
	Push *PushResult
}

// ScanContactWay plays a WeChat user scanning the QR code of contact way
// configID (联系我) and adding one of its members, and WeCom telling the
// app. The member is the next of the way's user list, round-robin
// (departments are not modelled); a member who resigned answers
// ErrNotFound. With externalUserID "" a new customer scans; otherwise that
// customer adds one more member. The relation carries the way's state,
// add_way 1 and the customer as oper_userid (externalcontact/get shows
// them); a welcome code is issued unless the member has a console welcome;
// and, when the corp has a callback (SetCallback), the change_external_contact
// event add_external_contact is pushed with State and WelcomeCode. The
// customer is added also when the push fails: WeCom does not undo an add it
// could not report.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (c *Corp) ScanContactWay(ctx context.Context, configID, externalUserID string) (*Scan, error) {
	if configID == "" {
		return nil, errors.New("wecomtest: ScanContactWay: empty config_id")
	}
	s := c.s
	s.mu.Lock()
	scan, err := c.scanLocked(configID, externalUserID)
	p := c.pusherLocked()
	at := s.now()
	s.mu.Unlock()
	if err != nil || p == nil {
		return scan, err
	}
	res, err := p.Push(ctx, AddExternalContactXML(c.id, scan.UserID, scan.ExternalUserID, scan.State, scan.WelcomeCode, at))
	scan.Push = res
	if err != nil {
		return scan, fmt.Errorf("wecomtest: corp %s: %w", c.id, err)
	}
	return scan, nil
}

// scanLocked adds the customer; s.mu is held.
func (c *Corp) scanLocked(configID, externalUserID string) (*Scan, error) {
	s := c.s
	corp, err := c.stateLocked()
	if err != nil {
		return nil, err
	}
	cs := corp.contact
	w := cs.ways[configID]
	if w == nil {
		return nil, fmt.Errorf("%w: contact way %q", ErrNotFound, configID)
	}
	if len(w.User) == 0 {
		return nil, errors.New("wecomtest: contact way has no members (departments are not modelled)")
	}
	userID := w.User[w.next%len(w.User)]
	w.next++
	st := cs.activeStaff(userID)
	if st == nil {
		return nil, fmt.Errorf("%w: member %q", ErrNotFound, userID)
	}
	ext := externalUserID
	if ext == "" {
		ext = cs.newCustomer(s, "Visitor via "+configID[:min(8, len(configID))])
	} else if cs.customers[ext] == nil {
		return nil, fmt.Errorf("%w: customer %q", ErrNotFound, ext)
	}
	cs.follow(st, ext, &followRec{CreateTime: s.now().Unix(), OperUserID: ext, AddWay: addWayQRCode, State: w.State, tempWay: w.IsTemp})
	scan := &Scan{ExternalUserID: ext, UserID: userID, State: w.State}
	if !st.consoleWelcome {
		scan.WelcomeCode = s.issueWelcomeCodeLocked(corp, userID, ext)
	}
	return scan, nil
}

// SetConsoleWelcome says whether member userID has a welcome message set in
// the admin console (配置了欢迎语). WeCom then sends that message itself and
// the add_external_contact event carries no WelcomeCode; ScanContactWay and
// Acquisition.TapLink do the same.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92137
func (c *Corp) SetConsoleWelcome(userID string, on bool) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(c.id)
	if err != nil {
		return err
	}
	st := cs.staff[userID]
	if st == nil {
		return fmt.Errorf("%w: member %q", ErrNotFound, userID)
	}
	st.consoleWelcome = on
	return nil
}
