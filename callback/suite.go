package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// Defaults of the worker pool NewSuiteCommandHandler starts unless a
// WithWorkers option is given: authorization events must be answered within
// 1000 ms, so they are answered when queued and handled afterwards.
const (
	SuiteCommandWorkers = 4
	SuiteCommandQueue   = 256
)

// suiteExchangeTimeout bounds a permanent-code exchange whose context has
// no deadline (the auth code itself lives 10 minutes).
const suiteExchangeTimeout = 30 * time.Second

// suiteTicketMaxLen is the longest suite_ticket the docs allow (512 bytes).
const suiteTicketMaxLen = 512

// suiteReceiverTimeout bounds the Store lookup of a data URL's receiver check.
const suiteReceiverTimeout = 2 * time.Second

// SuiteHooks are called by the handlers NewSuiteCommandHandler registers,
// after the Suite's state was updated, so that an application (a UI, a
// test) learns of each outcome without polling; give them with
// WithSuiteHooks. Each may be nil. An error returned is reported like any
// handler failure (WithErrorHook, the logger). A failed exchange reaches
// the error hook as a *SuiteAuthCodeError.
type SuiteHooks struct {
	// Authorized is called when a create_auth's auth code was exchanged
	// and the corp's permanent code stored. info.PermanentCode is a secret.
	Authorized func(ctx context.Context, ev *CreateAuthEvent, info *wecom.PermanentCodeInfo) error
	// AuthChanged is called on change_auth with the corp's refreshed
	// authorization (service/v2/get_auth_info).
	AuthChanged func(ctx context.Context, ev *ChangeAuthEvent, info *wecom.AuthInfo) error
	// Cancelled is called on cancel_auth after the Suite forgot the corp;
	// delete the corp's data here, as WeCom asks.
	Cancelled func(ctx context.Context, ev *CancelAuthEvent) error
	// PermanentCodeReset is called when a reset_permanent_code's auth code
	// (agent-developed apps) was exchanged and the new code stored.
	PermanentCodeReset func(ctx context.Context, ev *ResetPermanentCodeEvent, info *wecom.PermanentCodeInfo) error
	// ExchangeDeferred is called when an auth-code exchange (ev is a
	// *CreateAuthEvent or *ResetPermanentCodeEvent) failed without spending
	// the code, e.g. because no suite_ticket has arrived yet, and was kept
	// to be tried again. Authorized or PermanentCodeReset follows when it
	// succeeds; the error hook hears of it when it fails for good (the code
	// expired: ErrAuthCodeExpired, or WeCom refused it).
	ExchangeDeferred func(ctx context.Context, ev Event, err error)
}

// SuiteAuthCodeError reports a create_auth or reset_permanent_code whose
// auth code could not be turned into a stored permanent code. WeCom has
// already been answered (it wants an answer within 1000 ms) and will not
// re-send, so the error carries what is needed to finish by hand: AuthCode
// (valid once, for 10 minutes from the push) or, when only the Store
// failed, Info with the permanent code. Retry does either. Error, String,
// GoString (%#v) and LogValue leave both out; pick the value up with
// errors.As in the WithErrorHook function.
type SuiteAuthCodeError struct {
	SuiteID string
	Kind    EventKind // KindCreateAuth or KindResetPermanentCode
	// AuthCode is the temporary auth code of the push; it is not part of
	// Error. Exchanging it again fails if the first exchange reached WeCom.
	AuthCode string
	// State is the State of a create_auth.
	State string
	// Info is set when WeCom answered but storing the permanent code
	// failed; Info.PermanentCode is a secret (Info's String and LogValue
	// leave it out).
	Info *wecom.PermanentCodeInfo
	Err  error

	suite *wecom.Suite
}

// Error describes the failure without the auth code or permanent code.
func (e *SuiteAuthCodeError) Error() string {
	if e.Info != nil {
		return fmt.Sprintf("callback: suite %s: %s: corp %s authorized but its permanent code was not stored (SuiteAuthCodeError.Retry stores it): %v",
			e.SuiteID, e.Kind, e.Info.AuthCorpInfo.CorpID, e.Err)
	}
	return fmt.Sprintf("callback: suite %s: %s: exchanging the auth code failed (SuiteAuthCodeError.AuthCode holds it for 10 minutes): %v",
		e.SuiteID, e.Kind, e.Err)
}

// Unwrap returns the underlying failure.
func (e *SuiteAuthCodeError) Unwrap() error { return e.Err }

// String is Error: neither the auth code nor the permanent code.
func (e *SuiteAuthCodeError) String() string { return e.Error() }

// GoString describes the error for %#v without the auth code or the
// permanent code.
func (e *SuiteAuthCodeError) GoString() string {
	info := "nil"
	if e.Info != nil {
		info = e.Info.String()
	}
	return fmt.Sprintf("&callback.SuiteAuthCodeError{SuiteID: %q, Kind: %q, AuthCode: REDACTED, State: %q, Info: %s, Err: %v}",
		e.SuiteID, e.Kind, e.State, info, e.Err)
}

// LogValue keeps the auth code and the permanent code out of logs.
func (e *SuiteAuthCodeError) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("suite", e.SuiteID), slog.String("kind", string(e.Kind)), slog.String("state", e.State)}
	if e.Info != nil {
		attrs = append(attrs, slog.String("corp", e.Info.AuthCorpInfo.CorpID), slog.Bool("exchanged_not_stored", true))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("err", e.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

// Retry finishes the authorization: it stores Info's permanent code when
// WeCom had answered, or else exchanges AuthCode again. It returns the
// stored authorization.
func (e *SuiteAuthCodeError) Retry(ctx context.Context) (*wecom.PermanentCodeInfo, error) {
	if e.suite == nil {
		return nil, errors.New("callback: SuiteAuthCodeError.Retry: no suite")
	}
	if e.Info != nil {
		if err := e.suite.SetPermanentCode(ctx, e.Info.AuthCorpInfo.CorpID, e.Info.PermanentCode); err != nil {
			return nil, err
		}
		return e.Info, nil
	}
	if e.Kind == KindResetPermanentCode {
		return e.suite.HandleResetPermanentCode(ctx, e.AuthCode)
	}
	return e.suite.HandleCreateAuth(ctx, e.AuthCode)
}

// NewSuiteCommandHandler returns a Handler for the command callback URL
// (指令回调) of a third-party app or agent-developed template, wired to
// suite: it accepts pushes whose receiveid is the suite id and
//
//   - suite_ticket: stores the ticket with Suite.SetTicketAt at the push's
//     TimeStamp, so an older ticket delivered late never replaces a newer
//     one, before answering the push (one Store write);
//   - create_auth: exchanges the auth code for the corp's permanent code and
//     stores it (Suite.HandleCreateAuth); an exchange that fails without
//     spending the code (no ticket yet, a transient failure) is kept in the
//     Store and tried again, by any instance sharing it, when a ticket lands
//     or after a backoff, until the code expires (SuiteHooks.ExchangeDeferred);
//   - change_auth: fetches the corp's authorization (Suite.RefreshAuthInfo);
//   - cancel_auth: forgets the corp (Suite.ForgetCorp);
//   - reset_permanent_code: exchanges the auth code for the new permanent
//     code (Suite.HandleResetPermanentCode), kept and retried like create_auth.
//
// Events naming another suite (SuiteId) are logged and ignored. The Handler
// runs on a worker pool (SuiteCommandWorkers, SuiteCommandQueue; a
// WithWorkers option overrides it), so WeCom is answered within its 1000 ms
// before the exchange with WeCom starts. An exchange that failed for good is
// logged and reported to the WithErrorHook function as a *SuiteAuthCodeError
// that keeps the auth code. The outcomes reach the SuiteHooks
// (WithSuiteHooks). Register more handlers (e.g. OnExternalContact, which
// third-party apps also receive here) on the returned Handler.
//
// GET URL checks are accepted for the suite id and for the provider's own
// corp id, for which WeCom encrypts them: give it to the Suite with
// wecom.WithProviderCorpID, or the console cannot save the URL. Pushes are
// accepted for the suite id only. Close the Handler when done.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func NewSuiteCommandHandler(suite *wecom.Suite, token, encodingAESKey string, opts ...Option) (*Handler, error) {
	if suite == nil {
		return nil, errors.New("callback: NewSuiteCommandHandler: nil suite")
	}
	if suite.ID() == "" {
		return nil, errors.New("callback: NewSuiteCommandHandler: the suite has an empty id")
	}
	all := make([]Option, 0, len(opts)+4)
	all = append(all, WithWorkers(SuiteCommandWorkers, SuiteCommandQueue), WithReceiverID(suite.ID()))
	all = append(all, suiteURLCheckOptions(suite, false)...)
	all = append(all, func(c *config) {
		// A ticket is stored before its push is answered: an install
		// handled right after must find it.
		c.syncKinds = map[EventKind]bool{KindSuiteTicket: true}
	})
	all = append(all, opts...)
	h, err := NewHandler(token, encodingAESKey, all...)
	if err != nil {
		return nil, err
	}
	sh := &suiteCommands{h: h, suite: suite, hooks: h.cfg.suiteHooks}
	sh.ex = newExchanger(sh)
	h.startBackground(sh.ex.run)
	h.OnSuiteTicket(sh.ticket)
	h.OnCreateAuth(sh.createAuth)
	h.OnChangeAuth(sh.changeAuth)
	h.OnCancelAuth(sh.cancelAuth)
	h.OnResetPermanentCode(sh.resetPermanentCode)
	return h, nil
}

type suiteCommands struct {
	h     *Handler
	suite *wecom.Suite
	hooks SuiteHooks
	ex    *exchanger
}

// ours reports whether ev is for this suite; others are logged and ignored.
func (sc *suiteCommands) ours(ctx context.Context, ev *Envelope) bool {
	if ev.SuiteID == "" || ev.SuiteID == sc.suite.ID() {
		return true
	}
	sc.h.cfg.logger.WarnContext(ctx, "callback: command event for another suite ignored",
		"suite", sc.suite.ID(), "event_suite", ev.SuiteID, "kind", ev.Kind())
	return false
}

func withExchangeTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, suiteExchangeTimeout)
}

func (sc *suiteCommands) ticket(ctx context.Context, ev *SuiteTicketEvent) error {
	if !sc.ours(ctx, &ev.Envelope) {
		return nil
	}
	if n := len(ev.SuiteTicket); n == 0 || n > suiteTicketMaxLen {
		return fmt.Errorf("callback: suite %s: suite_ticket of %d bytes (want 1 to %d)", sc.suite.ID(), n, suiteTicketMaxLen)
	}
	at := ev.TimeStamp.Time()
	if ev.TimeStamp <= 0 {
		at = sc.h.cfg.now()
		sc.h.cfg.logger.WarnContext(ctx, "callback: suite_ticket without TimeStamp; stored as received now", "suite", sc.suite.ID())
	}
	if err := sc.suite.SetTicketAt(ctx, ev.SuiteTicket, at); err != nil {
		return err
	}
	sc.ex.kick(true) // exchanges waiting for a ticket can go now
	return nil
}

func (sc *suiteCommands) exchangeFailed(ctx context.Context, kind EventKind, ev *Envelope, authCode, state string, info *wecom.PermanentCodeInfo, err error) error {
	e := &SuiteAuthCodeError{SuiteID: sc.suite.ID(), Kind: kind, AuthCode: authCode, State: state, Info: info, Err: err, suite: sc.suite}
	sc.h.log(ctx, slog.LevelError, "callback: authorization not completed; the error hook receives a SuiteAuthCodeError to retry it",
		"suite", sc.suite.ID(), "kind", kind, "exchanged_not_stored", info != nil, "pushed_at", int64(ev.TimeStamp), "err", err)
	return e
}

func (sc *suiteCommands) createAuth(ctx context.Context, ev *CreateAuthEvent) error {
	if !sc.ours(ctx, &ev.Envelope) {
		return nil
	}
	return sc.handleExchange(ctx, ev)
}

func (sc *suiteCommands) resetPermanentCode(ctx context.Context, ev *ResetPermanentCodeEvent) error {
	if !sc.ours(ctx, &ev.Envelope) {
		return nil
	}
	return sc.handleExchange(ctx, ev)
}

// handleExchange exchanges the auth code of a create_auth or
// reset_permanent_code push. A failure that left the code unspent (no
// ticket yet, say) keeps the exchange in the Store to be tried again (see
// exchanger); anything else is reported.
func (sc *suiteCommands) handleExchange(ctx context.Context, ev Event) error {
	xctx, cancel := withExchangeTimeout(ctx)
	defer cancel()
	info, err := sc.exchange(xctx, ev)
	if err != nil && info == nil && !exchangeSpent(err) {
		_, env, code, _ := exchangeFields(ev)
		kerr := sc.ex.keep(ctx, env.Kind(), env, code, err)
		if kerr == nil {
			sc.h.log(ctx, slog.LevelInfo, "callback: auth-code exchange deferred; it is tried again when a suite_ticket lands or after a backoff",
				"suite", sc.suite.ID(), "kind", env.Kind(), "err", err)
			if sc.hooks.ExchangeDeferred != nil {
				if herr := safeCall(ctx, func(ctx context.Context, ev Event) error { sc.hooks.ExchangeDeferred(ctx, ev, err); return nil }, ev); herr != nil {
					sc.h.log(ctx, slog.LevelWarn, "callback: ExchangeDeferred hook failed", "err", herr)
				}
			}
			return nil
		}
		err = fmt.Errorf("%w; keeping it for a later attempt failed too: %v", err, kerr)
	}
	return sc.result(ctx, ev, info, err)
}

// exchange calls the Suite for ev's auth code.
func (sc *suiteCommands) exchange(ctx context.Context, ev Event) (*wecom.PermanentCodeInfo, error) {
	switch e := ev.(type) {
	case *CreateAuthEvent:
		return sc.suite.HandleCreateAuth(ctx, e.AuthCode)
	case *ResetPermanentCodeEvent:
		return sc.suite.HandleResetPermanentCode(ctx, e.AuthCode)
	}
	return nil, fmt.Errorf("callback: %s is not an authorization with an auth code", ev.Header().Kind())
}

// exchangeFields returns what a SuiteAuthCodeError needs from ev.
func exchangeFields(ev Event) (kind EventKind, env *Envelope, authCode, state string) {
	switch e := ev.(type) {
	case *CreateAuthEvent:
		return KindCreateAuth, &e.Envelope, e.AuthCode, e.State
	case *ResetPermanentCodeEvent:
		return KindResetPermanentCode, &e.Envelope, e.AuthCode, ""
	}
	return ev.Header().Kind(), ev.Header(), "", ""
}

// result calls the outcome's hook, or returns the failure to report.
func (sc *suiteCommands) result(ctx context.Context, ev Event, info *wecom.PermanentCodeInfo, err error) error {
	kind, env, code, state := exchangeFields(ev)
	if err != nil {
		return sc.exchangeFailed(ctx, kind, env, code, state, info, err)
	}
	corp := info.AuthCorpInfo.CorpID
	switch e := ev.(type) {
	case *CreateAuthEvent:
		sc.h.log(ctx, slog.LevelInfo, "callback: corp authorized the suite", "suite", sc.suite.ID(), "corp", corp)
		if sc.hooks.Authorized != nil {
			return sc.hooks.Authorized(ctx, e, info)
		}
	case *ResetPermanentCodeEvent:
		sc.h.log(ctx, slog.LevelInfo, "callback: permanent code reset", "suite", sc.suite.ID(), "corp", corp)
		if sc.hooks.PermanentCodeReset != nil {
			return sc.hooks.PermanentCodeReset(ctx, e, info)
		}
	}
	return nil
}

// outcome is result for exchanges finished by the exchanger, outside any
// delivery: it reports a failure itself.
func (sc *suiteCommands) outcome(ctx context.Context, ev Event, info *wecom.PermanentCodeInfo, err error) {
	if rerr := safeCall(ctx, func(ctx context.Context, ev Event) error { return sc.result(ctx, ev, info, err) }, ev); rerr != nil {
		if err == nil {
			sc.h.log(ctx, slog.LevelError, "callback: suite hook failed", "kind", ev.Header().Kind(), "err", rerr)
		}
		sc.h.callErrorHook(ctx, ev, rerr)
	}
}

func (sc *suiteCommands) changeAuth(ctx context.Context, ev *ChangeAuthEvent) error {
	if !sc.ours(ctx, &ev.Envelope) {
		return nil
	}
	if ev.AuthCorpID == "" {
		return fmt.Errorf("callback: suite %s: change_auth without AuthCorpId", sc.suite.ID())
	}
	xctx, cancel := withExchangeTimeout(ctx)
	defer cancel()
	info, err := sc.suite.RefreshAuthInfo(xctx, ev.AuthCorpID)
	if err != nil {
		return fmt.Errorf("callback: suite %s: change_auth of corp %s: %w", sc.suite.ID(), ev.AuthCorpID, err)
	}
	if sc.hooks.AuthChanged != nil {
		return sc.hooks.AuthChanged(ctx, ev, info)
	}
	return nil
}

func (sc *suiteCommands) cancelAuth(ctx context.Context, ev *CancelAuthEvent) error {
	if !sc.ours(ctx, &ev.Envelope) {
		return nil
	}
	if ev.AuthCorpID == "" {
		return fmt.Errorf("callback: suite %s: cancel_auth without AuthCorpId", sc.suite.ID())
	}
	if err := sc.suite.ForgetCorp(ctx, ev.AuthCorpID); err != nil {
		return err
	}
	sc.h.cfg.logger.InfoContext(ctx, "callback: corp cancelled its authorization", "suite", sc.suite.ID(), "corp", ev.AuthCorpID)
	if sc.hooks.Cancelled != nil {
		return sc.hooks.Cancelled(ctx, ev)
	}
	return nil
}

// suiteURLCheckOptions accepts, on GET URL checks only, the provider's corp
// id (wecom.WithProviderCorpID), for which WeCom encrypts the URL checks of
// both suite URLs, and on the data URL the suite id as well. Without a
// provider corp id, a refused URL check says what to configure.
func suiteURLCheckOptions(suite *wecom.Suite, dataURL bool) []Option {
	var ids []string
	if p := suite.ProviderCorpID(); p != "" {
		ids = append(ids, p)
	}
	if dataURL {
		ids = append(ids, suite.ID())
	}
	opts := []Option{}
	if len(ids) > 0 {
		opts = append(opts, WithURLCheckReceiverIDs(ids...))
	}
	if suite.ProviderCorpID() == "" {
		opts = append(opts, func(c *config) {
			c.receiverHint = "WeCom encrypts the URL checks of a third-party app for the provider's own corp id: give the Suite wecom.WithProviderCorpID"
		})
	}
	return opts
}

// NewSuiteDataHandler returns a Handler for the data callback URL (数据回调)
// of a third-party app or agent-developed app: one URL for every corp, where
// the receiveid is the corp the push comes from. It accepts exactly the
// corps that authorized suite, as the Store says (Suite.IsAuthorized), so
// that every instance sharing the Store agrees and a corp that cancelled is
// refused (403) from then on. A Store failure refuses the push (WeCom
// re-sends) and is logged. GET URL checks are accepted for the provider's
// own corp id (wecom.WithProviderCorpID), for which WeCom encrypts them, and
// for the suite id; pushes with either are refused. Register event handlers
// on the returned Handler; further receiver options (WithReceiverIDs, a
// WithReceiverFunc) accept ids in addition.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91116
func NewSuiteDataHandler(suite *wecom.Suite, token, encodingAESKey string, opts ...Option) (*Handler, error) {
	if suite == nil {
		return nil, errors.New("callback: NewSuiteDataHandler: nil suite")
	}
	var h *Handler
	allowed := func(rid string) bool {
		if rid == "" || rid == suite.ID() {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), suiteReceiverTimeout)
		defer cancel()
		ok, err := suite.IsAuthorized(ctx, rid)
		if err != nil {
			h.cfg.logger.WarnContext(ctx, "callback: receiver check failed; push refused", "suite", suite.ID(), "corp", rid, "err", err)
			return false
		}
		if !ok {
			h.cfg.logger.DebugContext(ctx, "callback: push from a corp that has not authorized the suite", "suite", suite.ID(), "corp", rid)
		}
		return ok
	}
	// A receiver func among opts would replace ours: combine the two.
	var probe config
	if err := probe.apply(opts); err != nil {
		return nil, err
	}
	check := allowed
	if theirs := probe.idFunc; theirs != nil {
		check = func(rid string) bool { return theirs(rid) || allowed(rid) }
	}
	all := make([]Option, 0, len(opts)+3)
	all = append(all, suiteURLCheckOptions(suite, true)...)
	all = append(all, opts...)
	all = append(all, WithReceiverFunc(check))
	var err error
	h, err = NewHandler(token, encodingAESKey, all...)
	if err != nil {
		return nil, err
	}
	return h, nil
}
