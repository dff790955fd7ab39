package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// AuthEventDeadline is how fast WeCom wants create_auth, change_auth,
// cancel_auth and reset_permanent_code answered (1000 ms); the fake treats
// a slower answer as a failed attempt and re-sends, as WeCom does.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
const AuthEventDeadline = 1000 * time.Millisecond

// SetCallback sets the suite's command callback URL (指令回调URL) with its
// Token and EncodingAESKey: from then on the suite's acts (Install,
// ChangeAuth, Uninstall, ResetPermanentCode) push their events there,
// encrypted, with the suite id as receiveid, and the Push methods can push
// tickets. Without a callback the acts change the fake's state and push
// nothing. An empty url removes the callback.
//
// It returns su, so that setting it up and acting read as one line;
// Pusher returns the Pusher, to tune its Attempts, Timeout or Client.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func (su *Suite) SetCallback(url, token, encodingAESKey string) *Suite {
	var p *Pusher
	if url != "" {
		p = NewPusher(url, token, encodingAESKey, su.id)
	}
	su.s.mu.Lock()
	defer su.s.mu.Unlock()
	if fs := su.s.suite.suites[su.id]; fs != nil {
		fs.pusher = p
	}
	return su
}

// Pusher returns the Pusher that delivers the suite's pushes (nil before
// SetCallback). Change its Attempts, Timeout or Client before acting, not
// during a push; authorization events are given at most AuthEventDeadline
// per attempt whatever its Timeout.
func (su *Suite) Pusher() *Pusher {
	su.s.mu.Lock()
	defer su.s.mu.Unlock()
	if fs := su.s.suite.suites[su.id]; fs != nil {
		return fs.pusher
	}
	return nil
}

// push delivers plaintext through p; authorization events get
// AuthEventDeadline per attempt, as WeCom gives them. s.mu is not held.
func (su *Suite) push(ctx context.Context, p *Pusher, plaintext []byte, authEvent bool) (*PushResult, error) {
	cp := *p
	if authEvent && (cp.Timeout <= 0 || cp.Timeout > AuthEventDeadline) {
		cp.Timeout = AuthEventDeadline
	}
	res, err := cp.Push(ctx, plaintext)
	if err != nil {
		return res, fmt.Errorf("wecomtest: suite %s: %w", su.id, err)
	}
	return res, nil
}

// pusherFor returns the suite's Pusher and the server time, or an error for
// an unknown suite or, when required, a suite without a callback.
func (su *Suite) pusherFor(required bool) (*Pusher, time.Time, error) {
	s := su.s
	s.mu.Lock()
	defer s.mu.Unlock()
	fs, err := su.knownLocked()
	if err != nil {
		return nil, time.Time{}, err
	}
	if required && fs.pusher == nil {
		return nil, time.Time{}, fmt.Errorf("wecomtest: suite %s has no callback (Suite.SetCallback)", su.id)
	}
	return fs.pusher, s.now(), nil
}

// PushTicket pushes a suite_ticket event for ticket with TimeStamp at to
// the command callback, e.g. an old ticket re-sent late. The ticket is
// pushed as given, issued or not. The suite must have a callback.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
func (su *Suite) PushTicket(ctx context.Context, ticket string, at time.Time) (*PushResult, error) {
	p, _, err := su.pusherFor(true)
	if err != nil {
		return nil, err
	}
	return su.push(ctx, p, SuiteTicketXML(su.id, ticket, at), false)
}

// PushNewTicket plays WeCom's ticket push, every 10 minutes: it issues a
// new suite_ticket (IssueTicket) and pushes it with the current time as
// TimeStamp. The suite must have a callback.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
func (su *Suite) PushNewTicket(ctx context.Context) (ticket string, err error) {
	p, at, err := su.pusherFor(true)
	if err != nil {
		return "", err
	}
	ticket = su.IssueTicket()
	_, err = su.push(ctx, p, SuiteTicketXML(su.id, ticket, at), false)
	return ticket, err
}

// StartTicketPush plays WeCom's ticket pushes over time: PushNewTicket
// right away and then every period, from a goroutine of its own, until
// stop is called. stop lets a push in progress finish (its attempts are
// bounded by the Pusher's Attempts and Timeout) and returns the errors of
// the pushes that were not delivered, joined (nil if none).
func (su *Suite) StartTicketPush(period time.Duration) (stop func() error) {
	done := make(chan struct{})
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			if _, err := su.PushNewTicket(context.Background()); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() error {
		once.Do(func() { close(done) })
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return errors.Join(errs...)
	}
}

// Install plays an admin of corpID installing the app (from the
// marketplace, an install link or a QR code carrying state; "" for none):
// the fake adds the corp if needed and issues a temporary auth code, valid
// once for 10 minutes, which get_permanent_code exchanges for the permanent
// code. When the suite has a callback, create_auth is pushed with it. The
// auth code is returned also when the push failed.
//
// For an agent-developed template the permanent code also becomes the
// corp's app secret for gettoken once exchanged (the fake keeps one app
// secret per corp, so give such an install a corp of its own).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func (su *Suite) Install(ctx context.Context, corpID, state string) (authCode string, err error) {
	if corpID == "" {
		return "", errors.New("wecomtest: Install: empty corp id")
	}
	s := su.s
	s.mu.Lock()
	fs, err := su.knownLocked()
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	s.addCorpLocked(corpID, "")
	authCode = s.newAuthCodeLocked(su.id, corpID)
	p, at := fs.pusher, s.now()
	s.mu.Unlock()
	if p != nil {
		_, err = su.push(ctx, p, CreateAuthXML(su.id, authCode, state, at), true)
	}
	return authCode, err
}

// ChangeAuth plays an admin of corpID changing the app's visible range or
// permissions: change_auth is pushed when the suite has a callback (the
// change itself is not modelled).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func (su *Suite) ChangeAuth(ctx context.Context, corpID string) error {
	p, at, err := su.pusherFor(false)
	if err != nil || p == nil {
		return err
	}
	_, err = su.push(ctx, p, ChangeAuthXML(su.id, corpID, "", at), true)
	return err
}

// Uninstall plays corpID removing the app (取消授权): the permanent code
// answers 40084 from then on, the corp tokens issued through the suite stop
// working (40014), and cancel_auth is pushed when the suite has a callback.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func (su *Suite) Uninstall(ctx context.Context, corpID string) error {
	s := su.s
	s.mu.Lock()
	fs, err := su.knownLocked()
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if a := fs.auths[corpID]; a != nil {
		a.cancelled = true
		if fs.agentDev {
			if c := s.corps[corpID]; c != nil && c.Secret == a.permanentCode {
				c.Secret = ""
			}
		}
	}
	for tok, ref := range s.suite.corpTokens {
		if ref.suite == su.id && ref.corp == corpID {
			if t := s.tokens[tok]; t != nil {
				t.revoked = true
			}
		}
	}
	p, at := fs.pusher, s.now()
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	_, err = su.push(ctx, p, CancelAuthXML(su.id, corpID, at), true)
	return err
}

// ResetPermanentCode plays the provider resetting the secret of an
// agent-developed app (代开发, suite id "dk...") in corpID (重新获取secret):
// the fake issues an auth code for a new permanent code, pushed in
// reset_permanent_code when the suite has a callback, and returns it.
// Exchanging it gives the new permanent code; the old one stops working.
// Third-party suites have no such event and get an error, as does a corp
// that has not authorized the app.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97175
func (su *Suite) ResetPermanentCode(ctx context.Context, corpID string) (authCode string, err error) {
	s := su.s
	s.mu.Lock()
	fs, err := su.knownLocked()
	switch {
	case err != nil:
	case !fs.agentDev:
		err = fmt.Errorf("wecomtest: reset_permanent_code exists for agent-developed templates (dk...) only, not %s", su.id)
	case fs.auths[corpID] == nil || fs.auths[corpID].cancelled:
		err = fmt.Errorf("wecomtest: corp %s has not authorized %s", corpID, su.id)
	}
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	authCode = s.newAuthCodeLocked(su.id, corpID)
	p, at := fs.pusher, s.now()
	s.mu.Unlock()
	if p != nil {
		_, err = su.push(ctx, p, ResetPermanentCodeXML(su.id, authCode, at), true)
	}
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
