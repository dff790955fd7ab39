package message_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const pathSendWelcome = "/cgi-bin/externalcontact/send_welcome_msg"

// The channel helpers resolve channels for Welcomes; contact.Service names
// customers.
var (
	_ message.ChannelResolver = (*contact.Channels)(nil)
	_ message.ChannelResolver = (*acquisition.Channels)(nil)
	_ message.ChannelResolver = (*groupchat.Channels)(nil)
	_ message.NameSource      = (*contact.Service)(nil)
)

// results collects what a Welcomes reports.
type results struct {
	mu  sync.Mutex
	got []*message.WelcomeResult
	ch  chan *message.WelcomeResult
}

func newResults() *results { return &results{ch: make(chan *message.WelcomeResult, 64)} }

func (r *results) hook(_ context.Context, res *message.WelcomeResult) {
	r.mu.Lock()
	r.got = append(r.got, res)
	r.mu.Unlock()
	r.ch <- res
}

// next waits for the next result.
func (r *results) next(t testing.TB) *message.WelcomeResult {
	t.Helper()
	select {
	case res := <-r.ch:
		return res
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no welcome result")
		return nil
	}
}

func (r *results) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// addWay makes a contact way with state (not a channel's).
func addWay(t testing.TB, c *wecom.Client, state string, users ...string) string {
	t.Helper()
	w, err := contact.New(c).AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWayMulti,
		Scene: contact.SceneQRCode, State: state, User: users})
	require.NoError(t, err)
	return w.ConfigID
}

func TestWelcomesChooseByChannelUserAndDefault(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"))
	contacts := contact.New(c)
	chs, err := contact.NewChannels(contacts, wecom.NewMemoryStore(), contact.ChannelTemplate{})
	require.NoError(t, err)
	poster, err := chs.Ensure(ctx, contact.Channel{Name: "poster", Users: []string{"zhangsan"}})
	require.NoError(t, err)
	rs := newResults()
	w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{
		Channels: map[string]*message.Welcome{"poster": {Text: "Hi %NICKNAME%, thanks for scanning our poster"}},
		Users:    map[string]*message.Welcome{"lisi": {Text: "Lisi here, happy to help"}},
		Default:  &message.Welcome{Text: "Welcome!"},
	}, message.WithChannelResolver(chs), message.WithNameSource(contacts), message.WithResultHook(rs.hook))
	require.NoError(t, err)
	cb := testkit.Callback(t, srv, w.Register)

	byChannel, err := cb.ScanContactWay(ctx, poster.ConfigID, "")
	require.NoError(t, err)
	res := rs.next(t)
	assert.Equal(t, message.WelcomeSent, res.Outcome, "%v", res.Err)
	assert.Equal(t, "poster", res.Channel)
	assert.Equal(t, message.RuleChannel, res.Rule)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, byChannel.ExternalUserID, res.ExternalUserID)
	assert.False(t, res.Done.Before(res.Received))

	byUser, err := cb.ScanContactWay(ctx, addWay(t, c, "elsewhere", "lisi"), "")
	require.NoError(t, err)
	res = rs.next(t)
	assert.Equal(t, message.RuleUser, res.Rule)
	assert.Empty(t, res.Channel, "a state of no channel")

	byDefault, err := cb.ScanContactWay(ctx, addWay(t, c, "", "zhangsan"), "")
	require.NoError(t, err)
	res = rs.next(t)
	assert.Equal(t, message.RuleDefault, res.Rule)

	name := customerName(t, c, byChannel.ExternalUserID)
	sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
	require.Len(t, sent, 3)
	assert.Equal(t, wecomtest.SentWelcome{WelcomeCode: byChannel.WelcomeCode, UserID: "zhangsan", ExternalUserID: byChannel.ExternalUserID,
		Text: "Hi " + name + ", thanks for scanning our poster"}, sent[0])
	assert.Equal(t, "Lisi here, happy to help", sent[1].Text)
	assert.Equal(t, byUser.ExternalUserID, sent[1].ExternalUserID)
	assert.Equal(t, "Welcome!", sent[2].Text)
	assert.Equal(t, byDefault.ExternalUserID, sent[2].ExternalUserID)
	require.NoError(t, w.Close(ctx))
}

// customerName reads a customer's name with a Service of its own (nothing
// kept from the Welcomes' reads).
func customerName(t testing.TB, c *wecom.Client, externalUserID string) string {
	t.Helper()
	name, err := contact.New(c).CustomerName(t.Context(), externalUserID)
	require.NoError(t, err)
	require.NotEmpty(t, name)
	return name
}

func TestWelcomesSkipWhatHasNoCodeOrRule(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"))
	require.NoError(t, srv.Corp(srv.CorpID).SetConsoleWelcome("zhangsan", true))
	rs := newResults()
	w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Users: map[string]*message.Welcome{"zhangsan": {Text: "hi"}}},
		message.WithResultHook(rs.hook))
	require.NoError(t, err)
	cb := testkit.Callback(t, srv, w.Register)

	scan, err := cb.ScanContactWay(ctx, addWay(t, c, "s", "zhangsan"), "")
	require.NoError(t, err)
	assert.Empty(t, scan.WelcomeCode)
	res := rs.next(t)
	assert.Equal(t, message.WelcomeNoCode, res.Outcome)
	assert.Equal(t, "no welcome code", res.Outcome.String())

	_, err = cb.ScanContactWay(ctx, addWay(t, c, "s", "lisi"), "")
	require.NoError(t, err)
	res = rs.next(t)
	assert.Equal(t, message.WelcomeNoRule, res.Outcome)
	assert.Equal(t, message.RuleNone, res.Rule)
	assert.Zero(t, srv.Count(pathSendWelcome))

	// Another corp's event (a shared third-party data URL) is not ours.
	ev := event(t, srv, "lisi")
	ev.ToUserName = "wwanothercorp"
	require.NoError(t, w.HandleEvent(ctx, ev))
	require.NoError(t, w.Close(ctx))
	assert.Equal(t, 2, rs.count())
}

// event builds the add_external_contact event of a welcome code the fake
// issued for a new customer of userID.
func event(t testing.TB, srv *wecomtest.Server, userID string) *callback.ExternalContactEvent {
	t.Helper()
	ext := testkit.Seed(t, srv, 1, userID)[0]
	ev := &callback.ExternalContactEvent{UserID: userID, ExternalUserID: ext,
		WelcomeCode: srv.Corp(srv.CorpID).Messages().IssueWelcomeCode(userID, ext)}
	ev.ChangeType = callback.ChangeAddExternalContact
	ev.CreateTime = wecom.UnixTime(time.Now().Unix())
	return ev
}

func TestWelcomesReportSpentCodes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Now())
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithStaff("zhangsan"))
	w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Default: &message.Welcome{Text: "hi"}})
	require.NoError(t, err)

	// Delivered by another app: 41051, not retried.
	ev := event(t, srv, "zhangsan")
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, true))
	res := w.Send(ctx, ev)
	assert.Equal(t, message.WelcomeUsed, res.Outcome)
	assert.True(t, message.IsWelcomeCodeUsed(res.Err))
	assert.Equal(t, 1, res.Attempts)

	// WeCom says the code expired (its clock passed 20 s): 41050, not retried.
	ev = event(t, srv, "zhangsan")
	clk.Advance(wecomtest.WelcomeCodeLife)
	res = w.Send(ctx, ev)
	assert.Equal(t, message.WelcomeExpired, res.Outcome)
	assert.True(t, message.IsWelcomeCodeExpired(res.Err))
	assert.Equal(t, 1, res.Attempts)

	// An event handled after its window (late from a queue): no call.
	ev = event(t, srv, "zhangsan")
	ev.CreateTime = wecom.UnixTime(time.Now().Add(-time.Minute).Unix())
	calls := srv.Count(pathSendWelcome)
	res = w.Send(ctx, ev)
	assert.Equal(t, message.WelcomeExpired, res.Outcome)
	assert.Zero(t, res.Attempts)
	assert.Equal(t, calls, srv.Count(pathSendWelcome))

	// Other errors are failures.
	ev = event(t, srv, "zhangsan")
	srv.Fail(pathSendWelcome, wecomtest.Fault{Errcode: 41053, Times: 1})
	res = w.Send(ctx, ev)
	assert.Equal(t, message.WelcomeFailed, res.Outcome)
	testkit.WantCode(t, res.Err, 41053)
}

// deliverAfterFirst is a transport on which, once the first
// send_welcome_msg answer has come back, the other app delivers its
// welcome.
type deliverAfterFirst struct {
	base    http.RoundTripper
	deliver func()
	once    sync.Once
}

func (d *deliverAfterFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := d.base.RoundTrip(r)
	if r.URL.Path == pathSendWelcome {
		d.once.Do(d.deliver)
	}
	return resp, err
}

func TestWelcomesRetry41096WithinTheWindow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))

	// The other app delivers while we wait: the retry is told 41051.
	ev := event(t, srv, "zhangsan")
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, false))
	rt := &deliverAfterFirst{base: srv.HTTPClient().Transport, deliver: func() {
		assert.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, true))
	}}
	svc := message.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: rt})))
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{Text: "hi"}})
	require.NoError(t, err)
	message.SetWelcomeWaits(w, time.Millisecond, time.Millisecond)
	res := w.Send(ctx, ev)
	assert.Equal(t, message.WelcomeUsed, res.Outcome)
	assert.Equal(t, 2, res.Attempts)

	// The other app keeps sending until the window closes (a clock that
	// runs 3 s per look): WelcomeOtherApp, after a few tries.
	start := time.Now()
	var mu sync.Mutex
	looks := 0
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		looks++
		return start.Add(time.Duration(looks) * 3 * time.Second)
	}
	w2, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Default: &message.Welcome{Text: "hi"}},
		message.WithClock(clock))
	require.NoError(t, err)
	message.SetWelcomeWaits(w2, time.Millisecond, time.Millisecond)
	ev = event(t, srv, "zhangsan")
	ev.CreateTime = wecom.UnixTime(start.Unix())
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, false))
	res = w2.Send(ctx, ev)
	assert.Equal(t, message.WelcomeOtherApp, res.Outcome)
	assert.True(t, message.IsWelcomeBeingSentByOtherApp(res.Err))
	assert.Greater(t, res.Attempts, 1)
	assert.Less(t, res.Attempts, 10)
}

// blockSends holds every send_welcome_msg until released.
type blockSends struct {
	base    http.RoundTripper
	release chan struct{}
	started chan struct{}
}

func (b *blockSends) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == pathSendWelcome {
		b.started <- struct{}{}
		<-b.release
	}
	return b.base.RoundTrip(r)
}

func TestWelcomesDoNotHoldTheCallback(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	bs := &blockSends{base: srv.HTTPClient().Transport, release: make(chan struct{}), started: make(chan struct{}, 8)}
	svc := message.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: bs})))
	rs := newResults()
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{Text: "hi"}},
		message.WithResultHook(rs.hook), message.WithConcurrency(1))
	require.NoError(t, err)
	message.SetWelcomeWaits(w, time.Millisecond, 10*time.Millisecond)

	// The callback is answered while the send is still held.
	cb := testkit.Callback(t, srv, w.Register)
	scan, err := cb.ScanContactWay(ctx, addWay(t, c, "", "zhangsan"), "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, scan.Push.Status())
	<-bs.started
	assert.Zero(t, rs.count(), "answered before the welcome went out")

	// The one sender is busy: the next welcome is given up, not queued
	// past the window.
	ev := event(t, srv, "zhangsan")
	require.NoError(t, w.HandleEvent(ctx, ev))
	res := rs.next(t)
	assert.Equal(t, message.WelcomeBusy, res.Outcome)
	assert.Equal(t, ev.WelcomeCode, res.WelcomeCode)

	close(bs.release)
	res = rs.next(t)
	assert.Equal(t, message.WelcomeSent, res.Outcome)
	require.NoError(t, w.Close(ctx))

	require.NoError(t, w.HandleEvent(ctx, event(t, srv, "zhangsan")))
	res = rs.next(t)
	assert.ErrorIs(t, res.Err, message.ErrWelcomesClosed)
}

// An event delivered again (another handler of it failed, so WeCom
// re-sends it) sends nothing more.
func TestWelcomesIgnoreARedeliveredEvent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	rs := newResults()
	w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Default: &message.Welcome{Text: "hi"}}, message.WithResultHook(rs.hook))
	require.NoError(t, err)
	failing := 1
	cb := testkit.Callback(t, srv, func(h *callback.Handler) {
		w.Register(h)
		h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
			if failing > 0 {
				failing--
				return assert.AnError
			}
			return nil
		})
	})
	cb.Pusher().Attempts = 2
	_, err = cb.ScanContactWay(ctx, addWay(t, c, "", "zhangsan"), "")
	require.NoError(t, err)
	assert.Equal(t, message.WelcomeSent, rs.next(t).Outcome)
	require.NoError(t, w.Close(ctx))
	assert.Equal(t, 1, srv.Count(pathSendWelcome))
	assert.Equal(t, 1, rs.count(), "the second delivery reports nothing")
}

func TestWelcomesUploadOnceAndFillTheName(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	poster := wecom.MediaFromBytes("poster.png", []byte("\x89PNG fake poster"))
	w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Default: &message.Welcome{
		Text: "%NICKNAME%, %NICKNAME%!", NicknameFallback: "friend",
		Attachments: []message.Attachment{message.LinkAttachment(message.LinkCard{Title: "Shop", URL: "https://shop.invalid"}),
			message.ImageUpload(poster)},
	}}, message.WithNameSource(contact.New(c)))
	require.NoError(t, err)
	require.NoError(t, w.Prepare(ctx))
	require.NoError(t, w.Prepare(ctx))
	assert.Equal(t, 1, srv.Count("/cgi-bin/media/upload"), "uploaded once")

	ev := event(t, srv, "zhangsan")
	require.Equal(t, message.WelcomeSent, w.Send(ctx, ev).Outcome)
	ev2 := event(t, srv, "zhangsan")
	srv.Fail(pathGetCustomer, wecomtest.Fault{Errcode: 84061, Times: 5})
	require.Equal(t, message.WelcomeSent, w.Send(ctx, ev2).Outcome)
	srv.ClearFaults()
	assert.Equal(t, 1, srv.Count("/cgi-bin/media/upload"), "the media id is reused")

	name := customerName(t, c, ev.ExternalUserID)
	sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
	require.Len(t, sent, 2)
	assert.Equal(t, name+", "+name+"!", sent[0].Text)
	assert.Equal(t, []string{"link", "image"}, sent[0].Attachments)
	assert.Equal(t, "friend, friend!", sent[1].Text, "the fallback when the name cannot be read")
}

const pathGetCustomer = "/cgi-bin/externalcontact/get"

// A Welcomes given a contact.Service reads the name through it: one
// externalcontact/get, which the Service keeps for the other helpers of
// the same event (a channel's remark {name}).
func TestWelcomesFillTheNameFromTheNameSource(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	contacts := contact.New(c)
	w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Default: &message.Welcome{Text: "Hi %NICKNAME%!", NicknameFallback: "friend"}},
		message.WithNameSource(contacts))
	require.NoError(t, err)
	ev := event(t, srv, "zhangsan")
	srv.ResetRequests()

	res := w.Send(ctx, ev)
	require.Equal(t, message.WelcomeSent, res.Outcome, "%v", res.Err)
	assert.Equal(t, 1, srv.Count(pathGetCustomer))
	name, err := contacts.CustomerName(ctx, ev.ExternalUserID)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathGetCustomer), "read once for the welcome and the next helper")

	sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
	require.Len(t, sent, 1)
	assert.Equal(t, "Hi "+name+"!", sent[0].Text)
	assert.Equal(t, customerName(t, c, ev.ExternalUserID), name)
}

// Without a name source, %NICKNAME% is the fallback and nothing reads the
// customer.
func TestWelcomesWithoutANameSourceSendTheFallback(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	for _, tc := range []struct{ fallback, want string }{{"friend", "Hi friend!"}, {"", "Hi !"}} {
		w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{
			Default: &message.Welcome{Text: "Hi %NICKNAME%!", NicknameFallback: tc.fallback}})
		require.NoError(t, err)
		ev := event(t, srv, "zhangsan")
		require.Equal(t, message.WelcomeSent, w.Send(ctx, ev).Outcome)
		sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
		assert.Equal(t, tc.want, sent[len(sent)-1].Text)
	}
	assert.Zero(t, srv.Count(pathGetCustomer), "no externalcontact/get")
}

// nameSource is a NameSource answering name and err, counting the asks.
type nameSource struct {
	name string
	err  error
	mu   sync.Mutex
	asks []string
}

func (n *nameSource) CustomerName(_ context.Context, externalUserID string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.asks = append(n.asks, externalUserID)
	return n.name, n.err
}

func TestWelcomesAskTheNameSourceOnlyForANickname(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"))
	rules := message.WelcomeRules{
		Users:   map[string]*message.Welcome{"lisi": {Text: "Hello!"}},
		Default: &message.Welcome{Text: "Hi %NICKNAME%!", NicknameFallback: "friend"},
	}
	for _, tc := range []struct {
		name   string
		source *nameSource
		want   string
	}{
		{"a name", &nameSource{name: "韩梅梅"}, "Hi 韩梅梅!"},
		{"no name", &nameSource{}, "Hi friend!"},
		{"an error", &nameSource{err: assert.AnError}, "Hi friend!"},
	} {
		w, err := message.NewWelcomes(message.New(c), rules, message.WithNameSource(tc.source))
		require.NoError(t, err)
		ev := event(t, srv, "zhangsan")
		require.Equal(t, message.WelcomeSent, w.Send(ctx, ev).Outcome, tc.name)
		sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
		assert.Equal(t, tc.want, sent[len(sent)-1].Text, tc.name)
		assert.Equal(t, []string{ev.ExternalUserID}, tc.source.asks, tc.name)

		require.Equal(t, message.WelcomeSent, w.Send(ctx, event(t, srv, "lisi")).Outcome, tc.name)
		assert.Len(t, tc.source.asks, 1, "%s: a text without %%NICKNAME%% asks nothing", tc.name)
	}
}

func TestWelcomesOptions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	clk := testkit.NewClock(time.Now())
	rs := newResults()
	w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Default: &message.Welcome{Text: "hi"}},
		message.WithLogger(logger), message.WithClock(clk.Now), message.WithResultHook(rs.hook),
		message.WithLogger(nil), message.WithClock(nil), message.WithConcurrency(0), message.WithNameSource(nil), nil)
	require.NoError(t, err)

	ev := event(t, srv, "zhangsan")
	ev.CreateTime = wecom.UnixTime(clk.Now().Unix())
	clk.Advance(time.Minute) // the Welcomes' clock says the window has passed
	res := w.Send(ctx, ev)
	assert.Equal(t, message.WelcomeExpired, res.Outcome)
	assert.Equal(t, clk.Now(), res.Done, "WithClock")
	assert.Same(t, res, rs.next(t), "WithResultHook")
	assert.Contains(t, logs.String(), "welcome not sent", "WithLogger")
	assert.Zero(t, srv.Count(pathSendWelcome))
}

func TestNewWelcomesChecksTheRules(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := message.New(c)
	src := wecom.MediaFromBytes("a.png", []byte("x"))
	for _, m := range []*message.Welcome{
		{},
		{Text: strings.Repeat("x", 4001)},
		{Attachments: []message.Attachment{{MsgType: message.MsgImage}}},
		{Attachments: []message.Attachment{message.ImageUpload(nil)}},
		{Attachments: []message.Attachment{{MsgType: message.MsgLink, Image: &message.Image{Upload: src}}}},
		{Text: "x", Attachments: slices.Repeat([]message.Attachment{message.ImageUpload(src)}, message.MaxAttachments+1)},
	} {
		for _, rules := range []message.WelcomeRules{{Default: m}, {Channels: map[string]*message.Welcome{"c": m}},
			{Users: map[string]*message.Welcome{"u": m}}} {
			_, err := message.NewWelcomes(svc, rules)
			testkit.WantInvalid(t, err, message.ErrInvalidArgument)
		}
	}
	_, err := message.NewWelcomes(nil, message.WelcomeRules{})
	testkit.WantInvalid(t, err, message.ErrInvalidArgument)
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Channels: map[string]*message.Welcome{"nil rule": nil}})
	require.NoError(t, err)
	assert.Equal(t, message.WelcomeFailed, w.Send(t.Context(), nil).Outcome)
	for o := message.WelcomeSent; o <= message.WelcomeFailed+1; o++ {
		assert.NotEmpty(t, o.String())
	}
	for k := message.RuleNone; k <= message.RuleDefault; k++ {
		assert.NotEmpty(t, k.String())
	}
}

// channelFlow is the SCRM path of a channel code on the fake: a taxonomy, a
// channel with its tags and remark, welcome rules, and a callback Handler
// with both helpers registered.
type channelFlow struct {
	srv     *wecomtest.Server
	cb      *wecomtest.Corp
	code    *contact.ChannelCode
	tagID   string
	results *results
}

func setupChannelFlow(t testing.TB, copts []wecom.Option, opts ...callback.Option) *channelFlow {
	t.Helper()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"), testkit.WithClientOptions(copts...))
	store := wecom.NewMemoryStore()
	contacts := contact.New(c)
	tags, err := contacts.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "来源", Tags: []string{"海报", "抖音"}}}}})
	require.NoError(t, err)
	poster, _ := tags.TagID("来源", "海报")
	channels, err := contact.NewChannels(contacts, store, contact.ChannelTemplate{})
	require.NoError(t, err)
	code, err := channels.Ensure(t.Context(), contact.Channel{Name: "X", Users: []string{"zhangsan", "lisi"},
		Tags: []string{poster}, Remark: "{channel}·{date}"})
	require.NoError(t, err)
	rs := newResults()
	welcomes, err := message.NewWelcomes(message.New(c), message.WelcomeRules{
		Channels: map[string]*message.Welcome{"X": {Text: "Welcome from channel X, %NICKNAME%!"}},
		Default:  &message.Welcome{Text: "Welcome!"},
	}, message.WithChannelResolver(channels), message.WithNameSource(contacts), message.WithResultHook(rs.hook))
	require.NoError(t, err)
	t.Cleanup(func() { _ = welcomes.Close(context.Background()) })
	cb := testkit.Callback(t, srv, func(h *callback.Handler) {
		channels.Register(h) // in any order: the Handler runs both at once
		welcomes.Register(h)
	}, opts...)
	return &channelFlow{srv: srv, cb: cb, code: code, tagID: poster, results: rs}
}

// The whole path of issue 11: a customer scans channel X's code (one
// wecomtest call); the fake pushes add_external_contact with State and
// WelcomeCode; the helpers resolve channel X, tag the customer, set the
// remark and send channel X's welcome.
func TestChannelCodeToWelcome(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		opts []callback.Option
	}{{"synchronous handler", nil}, {"WithWorkers", []callback.Option{callback.WithWorkers(2, 16)}}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			f := setupChannelFlow(t, nil, mode.opts...)

			scan, err := f.cb.ScanContactWay(t.Context(), f.code.ConfigID, "")
			require.NoError(t, err)
			require.NotEmpty(t, scan.WelcomeCode)
			assert.Equal(t, f.code.State, scan.State)

			res := f.results.next(t)
			assert.Equal(t, message.WelcomeSent, res.Outcome, "%v", res.Err)
			assert.Equal(t, "X", res.Channel)
			assert.Equal(t, message.RuleChannel, res.Rule)

			name := customerName(t, f.srv.Client(), scan.ExternalUserID)
			sent := f.srv.Corp(f.srv.CorpID).Messages().WelcomesSent()
			require.Len(t, sent, 1)
			assert.Equal(t, wecomtest.SentWelcome{WelcomeCode: scan.WelcomeCode, UserID: scan.UserID, ExternalUserID: scan.ExternalUserID,
				Text: "Welcome from channel X, " + name + "!"}, sent[0])
			assert.Equal(t, wecomtest.WelcomeCodeUsed, f.srv.Corp(f.srv.CorpID).Messages().WelcomeCode(scan.WelcomeCode))

			// The tags and remark are applied before the push is answered
			// (synchronously) or by the workers: wait for them.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // a bound for a broken path, not a measure
			defer cancel()
			rel, err := f.cb.WaitRelation(ctx, scan.UserID, scan.ExternalUserID, func(r wecomtest.Relation) bool {
				return slices.Contains(r.TagIDs, f.tagID) && r.Remark != ""
			})
			require.NoError(t, err)
			assert.Equal(t, "X·"+time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102"), rel.Remark)
		})
	}
}

// gate holds the requests for one path until open is closed (or the
// request's context ends).
type gate struct {
	base http.RoundTripper
	path string
	open chan struct{}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == g.path {
		select {
		case <-g.open:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.base.RoundTrip(r)
}

// TestWelcomesBesideAChannelHelperInAnyOrder: registered before or after
// contact.Channels on one Handler, the welcome does not wait for the
// channel's tagging (held here until the welcome is sent, which never
// happens if one waits for the other), and a tagging that fails is run
// again on WeCom's re-send without a second welcome.
func TestWelcomesBesideAChannelHelperInAnyOrder(t *testing.T) {
	t.Parallel()
	const markTag = "/cgi-bin/externalcontact/mark_tag"
	for _, welcomesFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("welcomes first %t", welcomesFirst), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
			g := &gate{base: srv.HTTPClient().Transport, path: markTag, open: make(chan struct{})}
			contacts := contact.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: g})))
			tagID := tag(t, srv, "海报", "zhangsan")
			channels, err := contact.NewChannels(contacts, wecom.NewMemoryStore(), contact.ChannelTemplate{})
			require.NoError(t, err)
			code, err := channels.Ensure(ctx, contact.Channel{Name: "X", Users: []string{"zhangsan"}, Tags: []string{tagID}})
			require.NoError(t, err)
			rs := newResults()
			var opened sync.Once
			w, err := message.NewWelcomes(message.New(c), message.WelcomeRules{Channels: map[string]*message.Welcome{"X": {Text: "hi"}}},
				message.WithChannelResolver(channels), message.WithResultHook(func(ctx context.Context, res *message.WelcomeResult) {
					opened.Do(func() { close(g.open) })
					rs.hook(ctx, res)
				}))
			require.NoError(t, err)
			t.Cleanup(func() { _ = w.Close(context.Background()) })
			cb := testkit.Callback(t, srv, func(h *callback.Handler) {
				if welcomesFirst {
					w.Register(h)
				}
				channels.Register(h)
				if !welcomesFirst {
					w.Register(h)
				}
			})
			srv.Fail(markTag, wecomtest.Fault{Errcode: wecom.CodeAPIForbidden, Times: 1})

			scan, err := cb.ScanContactWay(ctx, code.ConfigID, "")
			require.NoError(t, err)
			res := rs.next(t)
			assert.Equal(t, message.WelcomeSent, res.Outcome, "%v", res.Err)
			assert.Equal(t, "X", res.Channel)
			require.Len(t, scan.Push.Attempts, 2, "the failed tagging made WeCom re-send")
			assert.True(t, scan.Push.OK)
			assert.Equal(t, 2, srv.Count(markTag), "the tagging ran again")
			assert.Equal(t, 1, srv.Count(pathSendWelcome), "the welcome did not")
			assert.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 1)
			rel, ok := srv.Corp(srv.CorpID).Relation(scan.UserID, scan.ExternalUserID)
			require.True(t, ok)
			assert.Contains(t, rel.TagIDs, tagID)
			assert.Equal(t, 1, rs.count())
		})
	}
}
