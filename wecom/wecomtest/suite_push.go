package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AuthEventDeadline is how fast WeCom wants create_auth, change_auth,
// cancel_auth and reset_permanent_code answered (1000 ms); a SuiteCallback
// treats a slower answer as a failed attempt and re-sends.
const AuthEventDeadline = 1000 * time.Millisecond

// SuiteCallback plays WeCom's side of a suite's command callback URL
// (指令回调): it pushes suite tickets, installations (create_auth),
// authorization changes, uninstallations (cancel_auth) and secret resets
// (reset_permanent_code), each encrypted with the suite's callback Token and
// EncodingAESKey and with the suite id as receiveid, and it changes the
// fake's state to match (a new ticket, an auth code, a cancelled
// authorization). Make one with Server.ConfigureSuiteCallback.
//
//	cb := srv.ConfigureSuiteCallback(suiteID, commandURL, token, aesKey)
//	stop := cb.StartTicketPush(10 * time.Minute)
//	defer stop()
//	authCode, err := cb.InstallAndPush(ctx, "wwcorpA")
//
// A SuiteCallback is safe for concurrent use.
type SuiteCallback struct {
	srv     *Server
	suiteID string
	// Pusher delivers the pushes; change its Attempts, Timeout or Client
	// before pushing if needed. Authorization events are given at most
	// AuthEventDeadline per attempt.
	Pusher *Pusher
}

// ConfigureSuiteCallback returns the command callback of suiteID (added with
// AddSuite) at commandURL, configured with token and encodingAESKey.
func (s *Server) ConfigureSuiteCallback(suiteID, commandURL, token, encodingAESKey string) *SuiteCallback {
	return &SuiteCallback{srv: s, suiteID: suiteID, Pusher: NewPusher(commandURL, token, encodingAESKey, suiteID)}
}

// SuiteID returns the suite the callback belongs to.
func (cb *SuiteCallback) SuiteID() string { return cb.suiteID }

func (cb *SuiteCallback) known() error {
	cb.srv.mu.Lock()
	defer cb.srv.mu.Unlock()
	if cb.srv.suite.suites[cb.suiteID] == nil {
		return fmt.Errorf("wecomtest: unknown suite %q (add it with AddSuite)", cb.suiteID)
	}
	return nil
}

func (cb *SuiteCallback) now() time.Time {
	cb.srv.mu.Lock()
	defer cb.srv.mu.Unlock()
	return cb.srv.now()
}

// push delivers plaintext; authorization events get AuthEventDeadline per
// attempt, as WeCom gives them.
func (cb *SuiteCallback) push(ctx context.Context, plaintext []byte, authEvent bool) (*PushResult, error) {
	p := *cb.Pusher
	if authEvent && (p.Timeout <= 0 || p.Timeout > AuthEventDeadline) {
		p.Timeout = AuthEventDeadline
	}
	res, err := p.Push(ctx, plaintext)
	if err != nil {
		return res, fmt.Errorf("wecomtest: suite %s: %w", cb.suiteID, err)
	}
	return res, nil
}

// PushNewTicket issues a new suite_ticket (as WeCom does every 10 minutes)
// and pushes it with the current time as TimeStamp.
func (cb *SuiteCallback) PushNewTicket(ctx context.Context) (ticket string, err error) {
	ticket = cb.srv.NewSuiteTicket(cb.suiteID)
	if ticket == "" {
		return "", cb.known()
	}
	_, err = cb.PushTicket(ctx, ticket, cb.now())
	return ticket, err
}

// PushTicket pushes a suite_ticket event for ticket with TimeStamp at, e.g.
// an old ticket re-sent late. The ticket is pushed as given, issued or not.
func (cb *SuiteCallback) PushTicket(ctx context.Context, ticket string, at time.Time) (*PushResult, error) {
	return cb.push(ctx, SuiteTicketXML(cb.suiteID, ticket, at), false)
}

// StartTicketPush pushes a new ticket right away and then every period
// until stop is called. stop waits for a push in progress and returns the
// errors of the pushes that were not delivered, joined (nil if none).
func (cb *SuiteCallback) StartTicketPush(period time.Duration) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu   sync.Mutex
		errs []error
	)
	stopTickets := cb.srv.StartSuiteTickets(cb.suiteID, period, func(ticket string) {
		var err error
		if ticket == "" {
			err = cb.known()
		} else {
			_, err = cb.PushTicket(ctx, ticket, cb.now())
		}
		if err != nil && !errors.Is(err, context.Canceled) { // a push cut short by stop is not a failure
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	return func() error {
		cancel()
		stopTickets()
		mu.Lock()
		defer mu.Unlock()
		return errors.Join(errs...)
	}
}

// InstallAndPush simulates an admin of corpID installing the app from the
// marketplace: the fake issues an auth code (see Server.Install) and pushes
// create_auth with it. The auth code is returned also when the push failed.
func (cb *SuiteCallback) InstallAndPush(ctx context.Context, corpID string) (authCode string, err error) {
	return cb.InstallAndPushState(ctx, corpID, "")
}

// InstallAndPushState is InstallAndPush through an install link or QR code
// carrying state.
func (cb *SuiteCallback) InstallAndPushState(ctx context.Context, corpID, state string) (authCode string, err error) {
	if err := cb.known(); err != nil {
		return "", err
	}
	if corpID == "" {
		return "", errors.New("wecomtest: InstallAndPush: empty corp id")
	}
	authCode = cb.srv.Install(cb.suiteID, corpID)
	_, err = cb.push(ctx, CreateAuthXML(cb.suiteID, authCode, state, cb.now()), true)
	return authCode, err
}

// ChangeAuthAndPush pushes change_auth for corpID (an admin changed the
// app's visibility or permissions).
func (cb *SuiteCallback) ChangeAuthAndPush(ctx context.Context, corpID string) error {
	if err := cb.known(); err != nil {
		return err
	}
	_, err := cb.push(ctx, ChangeAuthXML(cb.suiteID, corpID, "", cb.now()), true)
	return err
}

// UninstallAndPush simulates corpID removing the app: the authorization is
// cancelled in the fake (see Server.Uninstall) and cancel_auth is pushed.
func (cb *SuiteCallback) UninstallAndPush(ctx context.Context, corpID string) error {
	if err := cb.known(); err != nil {
		return err
	}
	cb.srv.Uninstall(cb.suiteID, corpID)
	_, err := cb.push(ctx, CancelAuthXML(cb.suiteID, corpID, cb.now()), true)
	return err
}

// ResetPermanentCodeAndPush simulates the provider resetting the secret of
// an agent-developed app (代开发, suite id "dk...") in corpID: the fake
// issues an auth code for the new permanent code (see
// Server.ResetPermanentCode) and pushes reset_permanent_code with it.
// Third-party suites have no such event and get an error.
func (cb *SuiteCallback) ResetPermanentCodeAndPush(ctx context.Context, corpID string) (authCode string, err error) {
	if err := cb.known(); err != nil {
		return "", err
	}
	if !strings.HasPrefix(cb.suiteID, "dk") {
		return "", fmt.Errorf("wecomtest: reset_permanent_code exists for agent-developed templates (dk...) only, not %s", cb.suiteID)
	}
	if cb.srv.PermanentCode(cb.suiteID, corpID) == "" {
		return "", fmt.Errorf("wecomtest: corp %s has not authorized %s", corpID, cb.suiteID)
	}
	authCode = cb.srv.ResetPermanentCode(cb.suiteID, corpID)
	_, err = cb.push(ctx, ResetPermanentCodeXML(cb.suiteID, authCode, cb.now()), true)
	return authCode, err
}

func unix(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }

// ChangeAuthXML returns the decrypted XML of a change_auth command event.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func ChangeAuthXML(suiteID, authCorpID, state string, at time.Time) []byte {
	return []byte("<xml><SuiteId><![CDATA[" + suiteID + "]]></SuiteId><InfoType><![CDATA[change_auth]]></InfoType>" +
		"<TimeStamp>" + unix(at) + "</TimeStamp><AuthCorpId><![CDATA[" + authCorpID + "]]></AuthCorpId>" +
		"<State><![CDATA[" + state + "]]></State><ExtraInfo></ExtraInfo></xml>")
}

// CancelAuthXML returns the decrypted XML of a cancel_auth command event.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func CancelAuthXML(suiteID, authCorpID string, at time.Time) []byte {
	return []byte("<xml><SuiteId><![CDATA[" + suiteID + "]]></SuiteId><InfoType><![CDATA[cancel_auth]]></InfoType>" +
		"<TimeStamp>" + unix(at) + "</TimeStamp><AuthCorpId><![CDATA[" + authCorpID + "]]></AuthCorpId></xml>")
}

// ResetPermanentCodeXML returns the decrypted XML of a reset_permanent_code
// command event (agent-developed templates).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97175
func ResetPermanentCodeXML(suiteID, authCode string, at time.Time) []byte {
	return []byte("<xml><SuiteId><![CDATA[" + suiteID + "]]></SuiteId><AuthCode><![CDATA[" + authCode + "]]></AuthCode>" +
		"<InfoType><![CDATA[reset_permanent_code]]></InfoType><TimeStamp>" + unix(at) + "</TimeStamp></xml>")
}
