package message

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/api"
)

// Welcomes greets every new customer (发送新客户欢迎语) by rules: the welcome
// of the channel the customer came through, else that of the member they
// added, else a default. Registered on a callback.Handler, it sends with the
// add_external_contact event's WelcomeCode within the code's 20 seconds,
// without delaying the Handler's answer to WeCom:
//
//	w, err := message.NewWelcomes(svc, rules,
//		message.WithChannelResolver(channels), // contact.Channels, acquisition.Channels...
//		message.WithNameSource(contacts))      // the contact.Service the channels use
//	w.Register(h)
//	channels.Register(h)
//	defer w.Close(ctx)
//
// # Other handlers of the same event
//
// The order of registration does not matter. The Handler runs the
// functions registered for one event concurrently, so the welcome does not
// wait for a channel helper's tags and remark, nor they for the welcome;
// when one of them fails the event is delivered again (WeCom's re-send or
// the queue's retry) and only the failed ones run again. HandleEvent never
// fails (its outcome goes to WithResultHook), so a re-run for another
// handler's failure does not reach it; an event that does reach it twice
// in one process (with callback.WithoutDedup, say) is recognised by its
// WelcomeCode and sends nothing more.
//
// # Timing
//
// HandleEvent (what Register installs) returns at once: the send runs on a
// goroutine of the Welcomes' own, at most WithConcurrency at a time.
// When all are busy HandleEvent waits for one, at most 2 s (a synchronous
// Handler must still answer WeCom within its 5 s), and otherwise gives the
// welcome up (WelcomeBusy). Every send is bounded by the code's window: 20
// s from the event's CreateTime (plus 2 s for clocks that disagree), read
// on the client's clock (wecom.WithClock; WithClock to give the Welcomes
// another). An event that arrives after its window (late from a durable
// queue, say) is reported WelcomeExpired without calling WeCom.
//
// With callback.WithWorkers or WithQueue the Handler has answered WeCom
// before HandleEvent runs; HandleEvent still hands the send to its own
// goroutine, so that a worker is free again at once. A durable queue
// (WithQueue) that runs an event again after a crash runs it too late for
// its code: such a run is reported WelcomeExpired.
//
// # Outcomes
//
// Each send ends in one WelcomeOutcome, given to WithResultHook. WeCom's
// answers are not retried blindly: 41050 (the code expired or is unknown,
// WelcomeExpired) and 41051 (delivered already, by this app or another one
// that got the same code, or the member and the customer are chatting:
// WelcomeUsed) end the send. 41096 (another app is sending with the same
// code right now) is the one answer retried, after 1 s, then 2 s, 4 s...,
// while the window lasts: the other app may fail, and a retry after its
// success is answered 41051; still 41096 when the window closes is
// WelcomeOtherApp. Transport failures and WeCom's "system busy" are retried
// by the client's retry policy (send_welcome_msg repeated after a success
// whose answer was lost is answered 41051, so no customer is greeted
// twice); anything else is WelcomeFailed.
//
// # The customer's name
//
// WeCom replaces %NICKNAME% with the customer's name only in group welcome
// templates; send_welcome_msg sends its text as written. Welcomes fills
// %NICKNAME% itself, with the name its NameSource gives (WithNameSource),
// asked only for texts that use it. contact.Service is one: its
// CustomerName reads externalcontact/get and keeps the name for a short
// while, so that a contact.Channels of the same Service filling a remark's
// {name} for the same event reads the customer once with the welcome.
// Without a NameSource, or when it fails or knows no name, %NICKNAME%
// becomes the welcome's NicknameFallback and nothing more is called.
//
// # Attachments
//
// A welcome's images, videos, files and mini-program covers are best given
// as files (ImageUpload, VideoUpload, FileUpload, MiniProgram.PicUpload):
// they are uploaded as temporary media through the Service's
// wecom.MediaCache, once, then reused until shortly before WeCom forgets
// them (three days) and uploaded again, by every instance sharing the
// client's Store; rules set at start-up keep working after the third day.
// A bare media id in a rule stops working three days after its upload.
// Call Prepare at start-up (and after SetRules) so that the first uploads
// do not happen inside a code's window.
//
// # Changing the rules
//
// SetRules replaces the rules while events are handled: each event uses
// the rules in force when its welcome starts, whole (never half of the old
// set and half of the new one).
//
// A Welcomes is safe for concurrent use.
type Welcomes struct {
	svc       *Service
	rules     atomic.Pointer[WelcomeRules] // checked copies; replaced whole by SetRules
	resolvers []ChannelResolver
	names     NameSource
	hook      func(context.Context, *WelcomeResult)
	slots     chan struct{}
	logger    *slog.Logger
	now       func() time.Time
	retryWait time.Duration // first wait after 41096
	busyWait  time.Duration // longest wait for a free sender

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	seen   map[string]time.Time // welcome codes taken, until they expire
	swept  time.Time            // when seen was last swept
}

// ChannelResolver tells the channel a customer came through from the State
// of their add_external_contact event. The three channel helpers satisfy
// it: contact.Channels (contact-way codes), acquisition.Channels
// (acquisition links) and groupchat.Channels (group join ways).
type ChannelResolver interface {
	Resolve(ctx context.Context, state string) (channel string, ok bool, err error)
}

// NameSource gives the name of a customer for %NICKNAME% (WithNameSource).
// contact.Service satisfies it: its CustomerName reads externalcontact/get
// once and keeps the name a short while for the other helpers handling the
// same event.
type NameSource interface {
	CustomerName(ctx context.Context, externalUserID string) (string, error)
}

// Welcome is a welcome message: Text, attachments, or both (Text and
// attachments arrive as separate messages). At most MaxAttachments
// attachments.
type Welcome struct {
	// Text is at most 4000 bytes once filled in; %NICKNAME%
	// (case-sensitive, any number of times) becomes the customer's name.
	Text string
	// NicknameFallback replaces %NICKNAME% when there is no name: the
	// Welcomes has no NameSource, or it failed or knew none ("" by
	// default).
	NicknameFallback string
	// Attachments are links, mini programs, images, videos and files. Give
	// media as files (ImageUpload, MiniProgram.PicUpload...): each welcome
	// uses the media id the MediaCache holds for them, uploaded again
	// before WeCom forgets it. A bare media id stops working after three
	// days.
	Attachments []Attachment
}

// WelcomeRules choose a new customer's welcome: the rule of the channel
// they came through (resolved from the event's State by the
// ChannelResolvers), else the rule of the member they added, else Default.
// No rule (Default nil) sends nothing.
type WelcomeRules struct {
	Channels map[string]*Welcome // by channel name
	Users    map[string]*Welcome // by member userid
	Default  *Welcome
}

// WelcomeRuleKind says which rule chose a welcome.
type WelcomeRuleKind int

// Rule kinds.
const (
	RuleNone    WelcomeRuleKind = iota // no rule matched
	RuleChannel                        // WelcomeRules.Channels
	RuleUser                           // WelcomeRules.Users
	RuleDefault                        // WelcomeRules.Default
)

func (k WelcomeRuleKind) String() string {
	switch k {
	case RuleChannel:
		return "channel"
	case RuleUser:
		return "user"
	case RuleDefault:
		return "default"
	}
	return "none"
}

// WelcomeOutcome is how a welcome ended.
type WelcomeOutcome int

// Welcome outcomes.
const (
	// WelcomeSent: WeCom accepted the welcome.
	WelcomeSent WelcomeOutcome = iota + 1
	// WelcomeNoCode: the event had no WelcomeCode (the member has a
	// welcome set in the admin console, the two have chatted before, ...):
	// nothing to send.
	WelcomeNoCode
	// WelcomeNoRule: no rule matched the customer; nothing was sent.
	WelcomeNoRule
	// WelcomeExpired: WeCom answered 41050, or the code's window had
	// passed before the send could start; the customer cannot be greeted
	// through this code.
	WelcomeExpired
	// WelcomeUsed: WeCom answered 41051: a welcome was delivered with this
	// code already (by another app, or by this one when an answer was
	// lost), or the member and the customer are chatting.
	WelcomeUsed
	// WelcomeOtherApp: another app kept sending with the same code (41096)
	// until the window closed.
	WelcomeOtherApp
	// WelcomeBusy: every sender was busy; the welcome was given up.
	WelcomeBusy
	// WelcomeFailed: any other error (Err says which).
	WelcomeFailed
)

func (o WelcomeOutcome) String() string {
	switch o {
	case WelcomeSent:
		return "sent"
	case WelcomeNoCode:
		return "no welcome code"
	case WelcomeNoRule:
		return "no rule"
	case WelcomeExpired:
		return "code expired"
	case WelcomeUsed:
		return "code used"
	case WelcomeOtherApp:
		return "another app is sending"
	case WelcomeBusy:
		return "busy"
	case WelcomeFailed:
		return "failed"
	}
	return fmt.Sprintf("WelcomeOutcome(%d)", int(o))
}

// WelcomeResult is what became of one new customer's welcome.
type WelcomeResult struct {
	UserID         string
	ExternalUserID string
	State          string
	WelcomeCode    string
	// Channel is the channel the State resolved to ("" for none).
	Channel string
	Rule    WelcomeRuleKind
	Outcome WelcomeOutcome
	// Err is WeCom's or the transport's error for every outcome but
	// WelcomeSent, WelcomeNoCode and WelcomeNoRule.
	Err error
	// Attempts counts the send_welcome_msg calls (the client's own
	// retries of one call not included).
	Attempts int
	// Received is when the Welcomes got the event; Done when the outcome
	// was known.
	Received, Done time.Time
}

// WelcomesOption configures a Welcomes.
type WelcomesOption func(*Welcomes)

// WithChannelResolver sets where channels are resolved from (in order; the
// first that knows a State wins): contact.Channels, acquisition.Channels,
// groupchat.Channels.
func WithChannelResolver(r ...ChannelResolver) WelcomesOption {
	return func(w *Welcomes) {
		for _, x := range r {
			if x != nil {
				w.resolvers = append(w.resolvers, x)
			}
		}
	}
}

// WithNameSource sets where the customer's name for %NICKNAME% comes from:
// a contact.Service, the one the channel helpers use so that they share
// its read of the customer. Without one (or with nil), %NICKNAME% becomes
// the welcome's NicknameFallback.
func WithNameSource(ns NameSource) WelcomesOption {
	return func(w *Welcomes) { w.names = ns }
}

// WithResultHook calls fn with every result, from the Welcomes'
// goroutines (fn must be safe for concurrent use). A panic in fn is
// recovered and logged.
func WithResultHook(fn func(ctx context.Context, res *WelcomeResult)) WelcomesOption {
	return func(w *Welcomes) { w.hook = fn }
}

// DefaultWelcomeConcurrency is how many welcomes are sent at once by
// default.
const DefaultWelcomeConcurrency = 64

// WithConcurrency sets how many welcomes are sent at once (default
// DefaultWelcomeConcurrency; n < 1 keeps it). The client's rate limiter
// still applies.
func WithConcurrency(n int) WelcomesOption {
	return func(w *Welcomes) {
		if n >= 1 {
			w.slots = make(chan struct{}, n)
		}
	}
}

// WithClock sets the clock deciding the codes' windows (default: the
// client's, wecom.Client.Now; nil keeps it).
func WithClock(now func() time.Time) WelcomesOption {
	return func(w *Welcomes) {
		if now != nil {
			w.now = now
		}
	}
}

// WithLogger sets where the Welcomes logs welcomes not sent and names not
// read (default: the client's logger, silent unless set; nil keeps it).
func WithLogger(l *slog.Logger) WelcomesOption {
	return func(w *Welcomes) {
		if l != nil {
			w.logger = l
		}
	}
}

// NewWelcomes returns a Welcomes sending through svc by rules. The rules are
// checked (ErrInvalidArgument) and copied.
func NewWelcomes(svc *Service, rules WelcomeRules, opts ...WelcomesOption) (*Welcomes, error) {
	if svc == nil {
		return nil, check.Invalidf("NewWelcomes needs a Service")
	}
	w := &Welcomes{svc: svc, slots: make(chan struct{}, DefaultWelcomeConcurrency), logger: svc.c.Logger(),
		now: svc.c.Now, retryWait: time.Second, busyWait: 2 * time.Second, seen: map[string]time.Time{}}
	if w.logger == nil {
		w.logger = slog.New(slog.DiscardHandler)
	}
	for _, o := range opts {
		if o != nil {
			o(w)
		}
	}
	r, err := compileRules(rules)
	if err != nil {
		return nil, err
	}
	w.rules.Store(r)
	return w, nil
}

// SetRules replaces the rules, checked (ErrInvalidArgument, and the rules
// in force stay) and copied as NewWelcomes does. A welcome that has started
// keeps the rule it chose; every event handled afterwards uses the new
// rules. It uploads nothing: call Prepare afterwards so that the new rules'
// files are in the MediaCache before the first event needs them.
func (w *Welcomes) SetRules(rules WelcomeRules) error {
	r, err := compileRules(rules)
	if err != nil {
		return err
	}
	w.rules.Store(r)
	return nil
}

// compileRules checks rules and copies them deep enough that the caller
// may change its own afterwards.
func compileRules(rules WelcomeRules) (*WelcomeRules, error) {
	copyRules := func(in map[string]*Welcome, what string) (map[string]*Welcome, error) {
		out := make(map[string]*Welcome, len(in))
		for k, v := range in {
			if v == nil {
				continue
			}
			if err := v.validate(); err != nil {
				return nil, check.Invalidf("%s rule %q: %s", what, k, strings.TrimPrefix(err.Error(), "message: "))
			}
			out[k] = v.clone()
		}
		return out, nil
	}
	var r WelcomeRules
	var err error
	if r.Channels, err = copyRules(rules.Channels, "channel"); err != nil {
		return nil, err
	}
	if r.Users, err = copyRules(rules.Users, "user"); err != nil {
		return nil, err
	}
	if rules.Default != nil {
		if err := rules.Default.validate(); err != nil {
			return nil, check.Invalidf("default rule: %s", strings.TrimPrefix(err.Error(), "message: "))
		}
		r.Default = rules.Default.clone()
	}
	return &r, nil
}

func (m *Welcome) validate() error {
	if m.Text == "" && len(m.Attachments) == 0 {
		return check.Invalidf("a welcome needs Text or Attachments")
	}
	return api.FirstErr(check.MaxBytes("Text", m.Text, maxTextBytes), validateAttachments(m.Attachments, false))
}

// clone copies m and the objects its attachments point to.
func (m *Welcome) clone() *Welcome {
	c := *m
	c.Attachments = make([]Attachment, len(m.Attachments))
	for i, a := range m.Attachments {
		c.Attachments[i] = a.clone()
	}
	return &c
}

// Register makes h deliver add_external_contact and
// add_half_external_contact events (both carry a WelcomeCode) to
// HandleEvent. It may come before or after the other handlers of those
// events (contact.Channels.Register...): the Handler runs them
// concurrently and re-runs only the ones that failed.
func (w *Welcomes) Register(h *callback.Handler) {
	h.OnExternalContact(w.HandleEvent, callback.ChangeAddExternalContact, callback.ChangeAddHalfExternalContact)
}

// ErrWelcomesClosed is the Err of the results of events that arrive after
// Close.
var ErrWelcomesClosed = errors.New("message: Welcomes is closed")

// HandleEvent starts the welcome of an add_external_contact (or
// add_half_external_contact) event on a goroutine of its own and returns
// (see Welcomes: Timing). Other events, and events of another corp than
// the Service's, are ignored. It returns nil: the
// outcome goes to WithResultHook, never back to the Handler (answering
// WeCom 500 would make it re-send an event whose code is spent).
func (w *Welcomes) HandleEvent(ctx context.Context, ev *callback.ExternalContactEvent) error {
	if !welcomeEvent(ev) || !w.ours(ev) {
		return nil
	}
	res := w.newResult(ev)
	if ev.WelcomeCode == "" {
		w.finish(ctx, res, WelcomeNoCode, nil)
		return nil
	}
	deadline := w.deadline(ev, res.Received)
	if !w.acquire(ctx, min(w.busyWait, deadline.Sub(res.Received))) {
		w.finish(ctx, res, WelcomeBusy, fmt.Errorf("message: all %d welcome senders were busy", cap(w.slots)))
		return nil
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.slots
		w.finish(ctx, res, WelcomeFailed, ErrWelcomesClosed)
		return nil
	}
	w.wg.Add(1)
	w.mu.Unlock()
	bg := context.WithoutCancel(ctx)
	go func() {
		defer func() { <-w.slots; w.wg.Done() }()
		w.send(bg, ev, res, deadline)
	}()
	return nil
}

// acquire takes a sender slot, waiting at most d (or until ctx ends).
func (w *Welcomes) acquire(ctx context.Context, d time.Duration) bool {
	select {
	case w.slots <- struct{}{}:
		return true
	default:
	}
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case w.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// Send greets the customer of ev now and returns the outcome (it is given
// to WithResultHook too): HandleEvent without the goroutine, for callers
// that run their own.
func (w *Welcomes) Send(ctx context.Context, ev *callback.ExternalContactEvent) *WelcomeResult {
	if ev == nil {
		return &WelcomeResult{Outcome: WelcomeFailed, Err: check.Invalidf("nil event")}
	}
	res := w.newResult(ev)
	if ev.WelcomeCode == "" {
		w.finish(ctx, res, WelcomeNoCode, nil)
		return res
	}
	w.send(ctx, ev, res, w.deadline(ev, res.Received))
	return res
}

// ours reports whether ev is of the Service's corp (a third-party data URL
// serves many corps; another corp's code cannot be used through this
// client).
func (w *Welcomes) ours(ev *callback.ExternalContactEvent) bool {
	corp := ev.CorpID()
	return corp == "" || corp == w.svc.c.CorpID()
}

func welcomeEvent(ev *callback.ExternalContactEvent) bool {
	return ev != nil && (ev.ChangeType == callback.ChangeAddExternalContact || ev.ChangeType == callback.ChangeAddHalfExternalContact)
}

func (w *Welcomes) newResult(ev *callback.ExternalContactEvent) *WelcomeResult {
	return &WelcomeResult{UserID: ev.UserID, ExternalUserID: ev.ExternalUserID, State: ev.State,
		WelcomeCode: ev.WelcomeCode, Received: w.now()}
}

// clockSkew is how much later than 20 s after the event's CreateTime a
// send is still tried: WeCom's clock and ours may disagree a little.
const clockSkew = 2 * time.Second

// deadline is the end of ev's code's window, by our clock.
func (w *Welcomes) deadline(ev *callback.ExternalContactEvent, received time.Time) time.Time {
	at := received
	switch {
	case ev.CreateTime != 0:
		at = ev.CreateTime.Time()
	case ev.TimeStamp != 0:
		at = ev.TimeStamp.Time()
	}
	return at.Add(WelcomeCodeLifetime + clockSkew)
}

// take records code as handled; false when it was already.
func (w *Welcomes) take(code string, until time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if exp, ok := w.seen[code]; ok && now.Before(exp) {
		return false
	}
	if len(w.seen) >= 1024 && now.Sub(w.swept) >= time.Second {
		w.swept = now
		for k, exp := range w.seen {
			if !now.Before(exp) {
				delete(w.seen, k)
			}
		}
	}
	w.seen[code] = until
	return true
}

// send runs one welcome to its outcome.
func (w *Welcomes) send(ctx context.Context, ev *callback.ExternalContactEvent, res *WelcomeResult, deadline time.Time) {
	if !w.now().Before(deadline) {
		w.finish(ctx, res, WelcomeExpired, fmt.Errorf("message: the welcome code's 20 s had passed when the event was handled"))
		return
	}
	if !w.take(ev.WelcomeCode, deadline) {
		w.logger.Debug("message: welcome code handled already; the event was delivered again", "external_userid", ev.ExternalUserID)
		return
	}
	rule := w.choose(ctx, ev, res)
	if rule == nil {
		w.finish(ctx, res, WelcomeNoRule, nil)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, deadline.Sub(w.now()))
	defer cancel()
	req, err := w.request(ctx, ev, rule)
	if err != nil {
		w.finish(ctx, res, WelcomeFailed, err)
		return
	}
	wait := w.retryWait
	for {
		res.Attempts++
		err := w.svc.SendWelcomeMsg(ctx, req)
		switch {
		case err == nil:
			w.finish(ctx, res, WelcomeSent, nil)
			return
		case IsWelcomeCodeExpired(err):
			w.finish(ctx, res, WelcomeExpired, err)
			return
		case IsWelcomeCodeUsed(err):
			w.finish(ctx, res, WelcomeUsed, err)
			return
		case IsWelcomeBeingSentByOtherApp(err):
			if w.sleep(ctx, wait, deadline) != nil {
				w.finish(ctx, res, WelcomeOtherApp, err)
				return
			}
			wait *= 2
		default:
			w.finish(ctx, res, WelcomeFailed, err)
			return
		}
	}
}

// sleep waits d, unless the wait would end after deadline (the retry would
// come after the window) or ctx ends first.
func (w *Welcomes) sleep(ctx context.Context, d time.Duration, deadline time.Time) error {
	if !w.now().Add(d).Before(deadline) {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// choose picks the rule for ev and notes which in res.
func (w *Welcomes) choose(ctx context.Context, ev *callback.ExternalContactEvent, res *WelcomeResult) *Welcome {
	if ev.State != "" && len(w.resolvers) > 0 {
		for _, r := range w.resolvers {
			ch, ok, err := r.Resolve(ctx, ev.State)
			if err != nil {
				w.logger.Warn("message: resolving the channel of a new customer failed; trying the other rules", "state", ev.State, "err", err)
				continue
			}
			if ok {
				res.Channel = ch
				break
			}
		}
	}
	rules := w.rules.Load()
	if m := rules.Channels[res.Channel]; res.Channel != "" && m != nil {
		res.Rule = RuleChannel
		return m
	}
	if m := rules.Users[ev.UserID]; m != nil {
		res.Rule = RuleUser
		return m
	}
	if rules.Default != nil {
		res.Rule = RuleDefault
		return rules.Default
	}
	return nil
}

// nicknameTag is what Welcome.Text writes for the customer's name.
const nicknameTag = "%NICKNAME%"

// request builds the send_welcome_msg request of rule for ev, the name
// filled in (SendWelcomeMsg fills in the media ids of the files).
func (w *Welcomes) request(ctx context.Context, ev *callback.ExternalContactEvent, rule *Welcome) (*SendWelcomeMsgRequest, error) {
	req := &SendWelcomeMsgRequest{WelcomeCode: ev.WelcomeCode, Attachments: rule.Attachments}
	if rule.Text != "" {
		text := rule.Text
		if strings.Contains(text, nicknameTag) {
			text = strings.ReplaceAll(text, nicknameTag, w.nickname(ctx, ev.ExternalUserID, rule.NicknameFallback))
		}
		req.Text = &Text{Content: text}
	}
	return req, nil
}

// nickname is the customer's name from the NameSource, or fallback.
func (w *Welcomes) nickname(ctx context.Context, externalUserID, fallback string) string {
	if w.names == nil {
		return fallback
	}
	name, err := w.names.CustomerName(ctx, externalUserID)
	if err != nil {
		w.logger.Warn("message: reading a new customer's name failed; using the fallback", "err", err)
	}
	if err != nil || name == "" {
		return fallback
	}
	return name
}

// finish records the outcome and hands res to the hook.
func (w *Welcomes) finish(ctx context.Context, res *WelcomeResult, o WelcomeOutcome, err error) {
	res.Outcome, res.Err, res.Done = o, err, w.now()
	if o != WelcomeSent && o != WelcomeNoCode && o != WelcomeNoRule {
		w.logger.Info("message: welcome not sent", "outcome", o.String(), "external_userid", res.ExternalUserID, "err", err)
	}
	if w.hook == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			w.logger.Error("message: welcome hook panicked", "panic", fmt.Sprint(p))
		}
	}()
	w.hook(context.WithoutCancel(ctx), res)
}

// Prepare uploads the files of every rule in force now (or finds them in
// the MediaCache), so that the first welcomes need no upload inside a
// code's window. The cache uploads them again before WeCom forgets them,
// on the first welcome that needs them then.
func (w *Welcomes) Prepare(ctx context.Context) error {
	rules := w.rules.Load()
	var all []*Welcome
	for _, m := range rules.Channels {
		all = append(all, m)
	}
	for _, m := range rules.Users {
		all = append(all, m)
	}
	if rules.Default != nil {
		all = append(all, rules.Default)
	}
	for _, m := range all {
		if _, refs := attachmentsToSend(m.Attachments); refs != nil {
			if err := api.FillMedia(ctx, w.svc.media, refs); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close stops taking events (those arriving later are reported
// WelcomeFailed with ErrWelcomesClosed) and waits for the welcomes in
// flight, or for ctx to end.
func (w *Welcomes) Close(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
