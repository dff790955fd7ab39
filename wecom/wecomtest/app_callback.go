package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WelcomeCodeLife is how long a welcome code works after the
// add_external_contact push that carries it (20 seconds), once. Codes are
// issued by IssueWelcomeCode (message_welcome.go) and spent by
// send_welcome_msg.
const WelcomeCodeLife = 20 * time.Second

// SetConsoleWelcome says whether member userID has a welcome message set in
// the admin console (配置了欢迎语). WeCom then sends that message itself and
// the add_external_contact push carries no WelcomeCode; ScanContactWay does
// the same.
func (s *Server) SetConsoleWelcome(corpID, userID string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
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

// AppCallback plays WeCom's side of a self-built (or agent-developed) app's
// callback URL (接收事件服务器) for one corp: each method changes the fake's
// state as a user's action would and pushes the event WeCom sends for it,
// encrypted with the callback's Token and EncodingAESKey and with the corp
// id as receiveid. It is the self-built counterpart of SuiteCallback. Make
// one with Server.ConfigureCallback.
//
//	cb := srv.ConfigureCallback(srv.CorpID, callbackURL, token, aesKey)
//	scan, err := cb.ScanContactWay(ctx, way.ConfigID)
//	// scan.ExternalUserID added scan.UserID; the handler got
//	// add_external_contact with scan.State and scan.WelcomeCode
//
// An AppCallback is safe for concurrent use.
type AppCallback struct {
	srv    *Server
	corpID string
	// Pusher delivers the pushes; change its Attempts, Timeout or Client
	// before pushing if needed.
	Pusher *Pusher
}

// ConfigureCallback returns the callback of corpID's app at callbackURL,
// configured with token and encodingAESKey.
func (s *Server) ConfigureCallback(corpID, callbackURL, token, encodingAESKey string) *AppCallback {
	return &AppCallback{srv: s, corpID: corpID, Pusher: NewPusher(callbackURL, token, encodingAESKey, corpID)}
}

// CorpID returns the corp the callback belongs to.
func (cb *AppCallback) CorpID() string { return cb.corpID }

// Scan is what a simulated scan of a contact way did.
type Scan struct {
	ExternalUserID string // the customer (new unless ScanContactWayAs named one)
	UserID         string // the member the customer added
	State          string // the contact way's state, as the push carries it
	// WelcomeCode is the push's WelcomeCode: valid WelcomeCodeLife, once.
	// It is "" when the member has a welcome message set in the admin
	// console (SetConsoleWelcome), as WeCom leaves it out then.
	WelcomeCode string
	// Push tells how the push went; set also when Scan returns a push error.
	Push *PushResult
}

// ScanContactWay simulates a WeChat user scanning the QR code of contact
// way configID (联系我) and adding its member: a new customer is created and
// follows the member (chosen round-robin among the way's members, add_way
// 1, the way's state), a welcome code is issued, and add_external_contact is
// pushed with State and WelcomeCode. The customer is added also when the
// push fails.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (cb *AppCallback) ScanContactWay(ctx context.Context, configID string) (*Scan, error) {
	return cb.ScanContactWayAs(ctx, configID, "")
}

// ScanContactWayAs is ScanContactWay by an existing customer, who adds one
// more member; externalUserID "" creates a new customer.
func (cb *AppCallback) ScanContactWayAs(ctx context.Context, configID, externalUserID string) (*Scan, error) {
	if configID == "" {
		return nil, errors.New("wecomtest: ScanContactWay: empty config_id")
	}
	s := cb.srv
	s.mu.Lock()
	add, err := s.addViaContactWayLocked(cb.corpID, configID, externalUserID)
	var scan *Scan
	var at time.Time
	if err == nil {
		scan = &Scan{ExternalUserID: add.ExternalUserID, UserID: add.UserID, State: add.State}
		if !add.consoleWelcome {
			scan.WelcomeCode = s.issueWelcomeCodeLocked(s.corps[cb.corpID], add.UserID, add.ExternalUserID)
		}
		at = s.now()
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	res, err := cb.Pusher.Push(ctx, AddExternalContactXML(cb.corpID, scan.UserID, scan.ExternalUserID, scan.State, scan.WelcomeCode, at))
	scan.Push = res
	if err != nil {
		return scan, fmt.Errorf("wecomtest: corp %s: %w", cb.corpID, err)
	}
	return scan, nil
}

// WelcomeCodeStatus tells what became of a welcome code.
type WelcomeCodeStatus int

const (
	WelcomeCodeUnknown WelcomeCodeStatus = iota // not issued by this server
	WelcomeCodeValid                            // issued, unused, not expired
	WelcomeCodeUsed                             // a welcome message was sent with it
	WelcomeCodeExpired                          // WelcomeCodeLife passed unused
)

// WelcomeCode returns the state of a welcome code issued for corpID.
func (s *Server) WelcomeCode(corpID, code string) WelcomeCodeStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.corps[corpID]
	if c == nil {
		return WelcomeCodeUnknown
	}
	w := c.message.welcomeCodes[code]
	switch {
	case w == nil:
		return WelcomeCodeUnknown
	case w.used:
		return WelcomeCodeUsed
	case !s.now().Before(w.issued.Add(WelcomeCodeLife)):
		return WelcomeCodeExpired
	}
	return WelcomeCodeValid
}
