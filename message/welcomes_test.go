package message_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const pathSendWelcome = "/cgi-bin/externalcontact/send_welcome_msg"

// The channel helpers resolve channels for Welcomes.
var (
	_ message.ChannelResolver = (*contact.Channels)(nil)
	_ message.ChannelResolver = (*acquisition.Channels)(nil)
	_ message.ChannelResolver = (*groupchat.Channels)(nil)
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
		t.Fatal("no welcome result")
		return nil
	}
}

func (r *results) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// serve serves a callback Handler (configured by register) on loopback and
// returns the fake's side of it.
func serve(t testing.TB, srv *wecomtest.Server, register func(h *callback.Handler), opts ...callback.Option) *wecomtest.Corp {
	t.Helper()
	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler("wtoken", key, append([]callback.Option{callback.WithReceiverID(srv.CorpID)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	register(h)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return srv.Corp(srv.CorpID).SetCallback(hs.URL, "wtoken", key)
}

// addWay makes a contact way with state (not a channel's).
func addWay(t testing.TB, c *wecom.Client, state string, users ...string) string {
	t.Helper()
	w, err := contact.New(c).AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWayMulti,
		Scene: contact.SceneQRCode, State: state, User: users})
	require.NoError(t, err)
	return w.ConfigID
}

func TestWelcomesChooseByChannelUserAndDefault(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi"))
	chs, err := contact.NewChannels(contact.New(srv.Client()), wecom.NewMemoryStore(), contact.ChannelTemplate{})
	require.NoError(t, err)
	poster, err := chs.Ensure(bg, contact.Channel{Name: "poster", Users: []string{"zhangsan"}})
	require.NoError(t, err)
	rs := newResults()
	w, err := message.NewWelcomes(svc, message.WelcomeRules{
		Channels: map[string]*message.Welcome{"poster": {Text: "Hi %NICKNAME%, thanks for scanning our poster"}},
		Users:    map[string]*message.Welcome{"lisi": {Text: "Lisi here, happy to help"}},
		Default:  &message.Welcome{Text: "Welcome!"},
	}, message.WithChannelResolver(chs), message.WithWelcomeHook(rs.hook))
	require.NoError(t, err)
	cb := serve(t, srv, w.Register)

	byChannel, err := cb.ScanContactWay(bg, poster.ConfigID, "")
	require.NoError(t, err)
	res := rs.next(t)
	assert.Equal(t, message.WelcomeSent, res.Outcome, "%v", res.Err)
	assert.Equal(t, "poster", res.Channel)
	assert.Equal(t, message.RuleChannel, res.Rule)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, byChannel.ExternalUserID, res.ExternalUserID)
	assert.False(t, res.Done.Before(res.Received))

	byUser, err := cb.ScanContactWay(bg, addWay(t, srv.Client(), "elsewhere", "lisi"), "")
	require.NoError(t, err)
	res = rs.next(t)
	assert.Equal(t, message.RuleUser, res.Rule)
	assert.Empty(t, res.Channel, "a state of no channel")

	byDefault, err := cb.ScanContactWay(bg, addWay(t, srv.Client(), "", "zhangsan"), "")
	require.NoError(t, err)
	res = rs.next(t)
	assert.Equal(t, message.RuleDefault, res.Rule)

	name, err := contact.New(srv.Client()).Get(bg, byChannel.ExternalUserID, "")
	require.NoError(t, err)
	sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
	require.Len(t, sent, 3)
	assert.Equal(t, wecomtest.SentWelcome{WelcomeCode: byChannel.WelcomeCode, UserID: "zhangsan", ExternalUserID: byChannel.ExternalUserID,
		Text: "Hi " + name.ExternalContact.Name + ", thanks for scanning our poster"}, sent[0])
	assert.Equal(t, "Lisi here, happy to help", sent[1].Text)
	assert.Equal(t, byUser.ExternalUserID, sent[1].ExternalUserID)
	assert.Equal(t, "Welcome!", sent[2].Text)
	assert.Equal(t, byDefault.ExternalUserID, sent[2].ExternalUserID)
	require.NoError(t, w.Close(bg))
}

func TestWelcomesSkipWhatHasNoCodeOrRule(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi"))
	require.NoError(t, srv.Corp(srv.CorpID).SetConsoleWelcome("zhangsan", true))
	rs := newResults()
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Users: map[string]*message.Welcome{"zhangsan": {Text: "hi"}}},
		message.WithWelcomeHook(rs.hook))
	require.NoError(t, err)
	cb := serve(t, srv, w.Register)

	scan, err := cb.ScanContactWay(bg, addWay(t, srv.Client(), "s", "zhangsan"), "")
	require.NoError(t, err)
	assert.Empty(t, scan.WelcomeCode)
	res := rs.next(t)
	assert.Equal(t, message.WelcomeNoCode, res.Outcome)
	assert.Equal(t, "no welcome code", res.Outcome.String())

	_, err = cb.ScanContactWay(bg, addWay(t, srv.Client(), "s", "lisi"), "")
	require.NoError(t, err)
	res = rs.next(t)
	assert.Equal(t, message.WelcomeNoRule, res.Outcome)
	assert.Equal(t, message.RuleNone, res.Rule)
	assert.Zero(t, srv.Count(pathSendWelcome))

	// Another corp's event (a shared third-party data URL) is not ours.
	ev := event(t, srv, "lisi")
	ev.ToUserName = "wwanothercorp"
	require.NoError(t, w.HandleEvent(bg, ev))
	require.NoError(t, w.Close(bg))
	assert.Equal(t, 2, rs.count())
}

// event builds the add_external_contact event of a welcome code the fake
// issued for a new customer of userID.
func event(t testing.TB, srv *wecomtest.Server, userID string) *callback.ExternalContactEvent {
	t.Helper()
	exts, err := srv.Corp(srv.CorpID).SeedCustomers(1, []string{userID})
	require.NoError(t, err)
	ev := &callback.ExternalContactEvent{UserID: userID, ExternalUserID: exts[0],
		WelcomeCode: srv.Corp(srv.CorpID).Messages().IssueWelcomeCode(userID, exts[0])}
	ev.ChangeType = callback.ChangeAddExternalContact
	ev.CreateTime = time.Now().Unix()
	return ev
}

func TestWelcomesReportSpentCodes(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	srv, svc := setup(t, wecomtest.WithClock(clock))
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{Text: "hi"}})
	require.NoError(t, err)

	// Delivered by another app: 41051, not retried.
	ev := event(t, srv, "zhangsan")
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, true))
	res := w.Send(bg, ev)
	assert.Equal(t, message.WelcomeUsed, res.Outcome)
	assert.True(t, message.IsWelcomeCodeUsed(res.Err))
	assert.Equal(t, 1, res.Attempts)

	// WeCom says the code expired (its clock passed 20 s): 41050, not retried.
	ev = event(t, srv, "zhangsan")
	clockMu.Lock()
	now = now.Add(wecomtest.WelcomeCodeLife)
	clockMu.Unlock()
	res = w.Send(bg, ev)
	assert.Equal(t, message.WelcomeExpired, res.Outcome)
	assert.True(t, message.IsWelcomeCodeExpired(res.Err))
	assert.Equal(t, 1, res.Attempts)

	// An event handled after its window (late from a queue): no call.
	ev = event(t, srv, "zhangsan")
	ev.CreateTime = time.Now().Add(-time.Minute).Unix()
	calls := srv.Count(pathSendWelcome)
	res = w.Send(bg, ev)
	assert.Equal(t, message.WelcomeExpired, res.Outcome)
	assert.Zero(t, res.Attempts)
	assert.Equal(t, calls, srv.Count(pathSendWelcome))

	// Other errors are failures.
	ev = event(t, srv, "zhangsan")
	srv.Fail(pathSendWelcome, wecomtest.Fault{Errcode: 41053, Times: 1})
	res = w.Send(bg, ev)
	assert.Equal(t, message.WelcomeFailed, res.Outcome)
	assert.Equal(t, 41053, wecom.ErrorCode(res.Err))
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
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))

	// The other app delivers while we wait: the retry is told 41051.
	ev := event(t, srv, "zhangsan")
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, false))
	rt := &deliverAfterFirst{base: srv.HTTPClient().Transport, deliver: func() {
		require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, true))
	}}
	svc := message.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: rt})))
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{Text: "hi"}})
	require.NoError(t, err)
	message.SetWelcomeWaits(w, time.Millisecond, time.Millisecond)
	res := w.Send(bg, ev)
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
	w2, err := message.NewWelcomes(message.New(srv.Client()), message.WelcomeRules{Default: &message.Welcome{Text: "hi"}},
		message.WithWelcomeClock(clock))
	require.NoError(t, err)
	message.SetWelcomeWaits(w2, time.Millisecond, time.Millisecond)
	ev = event(t, srv, "zhangsan")
	ev.CreateTime = start.Unix()
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(ev.WelcomeCode, false))
	res = w2.Send(bg, ev)
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
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	bs := &blockSends{base: srv.HTTPClient().Transport, release: make(chan struct{}), started: make(chan struct{}, 8)}
	svc := message.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: bs})))
	rs := newResults()
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{Text: "hi"}},
		message.WithWelcomeHook(rs.hook), message.WithWelcomeConcurrency(1))
	require.NoError(t, err)
	message.SetWelcomeWaits(w, time.Millisecond, 10*time.Millisecond)

	// The callback is answered while the send is still held.
	cb := serve(t, srv, w.Register)
	scan, err := cb.ScanContactWay(bg, addWay(t, srv.Client(), "", "zhangsan"), "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, scan.Push.Status())
	<-bs.started
	assert.Zero(t, rs.count(), "answered before the welcome went out")

	// The one sender is busy: the next welcome is given up, not queued
	// past the window.
	ev := event(t, srv, "zhangsan")
	require.NoError(t, w.HandleEvent(bg, ev))
	res := rs.next(t)
	assert.Equal(t, message.WelcomeBusy, res.Outcome)
	assert.Equal(t, ev.WelcomeCode, res.WelcomeCode)

	close(bs.release)
	res = rs.next(t)
	assert.Equal(t, message.WelcomeSent, res.Outcome)
	require.NoError(t, w.Close(bg))

	require.NoError(t, w.HandleEvent(bg, event(t, srv, "zhangsan")))
	res = rs.next(t)
	assert.ErrorIs(t, res.Err, message.ErrWelcomesClosed)
}

// An event delivered again (another handler of it failed, so WeCom
// re-sends it) sends nothing more.
func TestWelcomesIgnoreARedeliveredEvent(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	rs := newResults()
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{Text: "hi"}}, message.WithWelcomeHook(rs.hook))
	require.NoError(t, err)
	failing := 1
	cb := serve(t, srv, func(h *callback.Handler) {
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
	_, err = cb.ScanContactWay(bg, addWay(t, srv.Client(), "", "zhangsan"), "")
	require.NoError(t, err)
	assert.Equal(t, message.WelcomeSent, rs.next(t).Outcome)
	require.NoError(t, w.Close(bg))
	assert.Equal(t, 1, srv.Count(pathSendWelcome))
	assert.Equal(t, 1, rs.count(), "the second delivery reports nothing")
}

func TestWelcomesUploadOnceAndFillTheName(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	poster := wecom.MediaFromBytes("poster.png", []byte("\x89PNG fake poster"))
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{
		Text: "%NICKNAME%, %NICKNAME%!", NicknameFallback: "friend",
		Attachments: []message.Attachment{message.LinkAttachment(message.Link{Title: "Shop", URL: "https://shop.invalid"})},
		Uploads:     []message.Upload{{Type: message.MsgImage, Source: poster}},
	}})
	require.NoError(t, err)
	require.NoError(t, w.Prepare(bg))
	require.NoError(t, w.Prepare(bg))
	assert.Equal(t, 1, srv.Count("/cgi-bin/media/upload"), "uploaded once")

	ev := event(t, srv, "zhangsan")
	require.Equal(t, message.WelcomeSent, w.Send(bg, ev).Outcome)
	ev2 := event(t, srv, "zhangsan")
	srv.Fail("/cgi-bin/externalcontact/get", wecomtest.Fault{Errcode: 84061, Times: 5})
	require.Equal(t, message.WelcomeSent, w.Send(bg, ev2).Outcome)
	srv.ClearFaults()
	assert.Equal(t, 1, srv.Count("/cgi-bin/media/upload"), "the media id is reused")

	d, err := contact.New(srv.Client()).Get(bg, ev.ExternalUserID, "")
	require.NoError(t, err)
	sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
	require.Len(t, sent, 2)
	assert.Equal(t, d.ExternalContact.Name+", "+d.ExternalContact.Name+"!", sent[0].Text)
	assert.Equal(t, []string{"link", "image"}, sent[0].Attachments)
	assert.Equal(t, "friend, friend!", sent[1].Text, "the fallback when the name cannot be read")
}

func TestNewWelcomesChecksTheRules(t *testing.T) {
	t.Parallel()
	_, svc := setup(t)
	src := wecom.MediaFromBytes("a.png", []byte("x"))
	for _, m := range []*message.Welcome{
		{},
		{Text: strings.Repeat("x", message.MaxTextBytes+1)},
		{Attachments: []message.Attachment{{MsgType: message.MsgImage}}},
		{Uploads: []message.Upload{{Type: message.MsgLink, Source: src}}},
		{Uploads: []message.Upload{{Type: message.MsgImage}}},
		{Text: "x", Uploads: make([]message.Upload, message.MaxAttachments+1)},
	} {
		for _, rules := range []message.WelcomeRules{{Default: m}, {Channels: map[string]*message.Welcome{"c": m}},
			{Users: map[string]*message.Welcome{"u": m}}} {
			_, err := message.NewWelcomes(svc, rules)
			assert.ErrorIs(t, err, message.ErrInvalidArgument, "%+v", rules)
		}
	}
	_, err := message.NewWelcomes(nil, message.WelcomeRules{})
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Channels: map[string]*message.Welcome{"nil rule": nil}})
	require.NoError(t, err)
	assert.Equal(t, message.WelcomeFailed, w.Send(bg, nil).Outcome)
	for o := message.WelcomeSent; o <= message.WelcomeFailed+1; o++ {
		assert.NotEmpty(t, o.String())
	}
	for k := message.RuleNone; k <= message.RuleDefault; k++ {
		assert.NotEmpty(t, k.String())
	}
}
