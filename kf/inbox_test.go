package kf_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// recorder is an application function that records what it is given and
// can be told to fail.
type recorder struct {
	mu   sync.Mutex
	msgs []*kf.Message
	fail func(m *kf.Message) error
}

func (r *recorder) handle(_ context.Context, m *kf.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = m.MsgID
	}
	return out
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = string(m.MsgType)
		if m.Event != nil {
			out[i] += ":" + string(m.Event.EventType)
		}
	}
	return out
}

// kfWorld is a fake with one customer-service account and its link.
type kfWorld struct {
	srv     *wecomtest.Server
	c       *wecom.Client
	kf      *wecomtest.KF
	clk     *testkit.Clock
	account string
	link    string
}

func newKFWorld(t *testing.T) *kfWorld {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	w := &kfWorld{srv: srv, c: c, kf: srv.Corp(srv.CorpID).KF(), clk: clk}
	var err error
	w.account, err = w.kf.AddAccountInAdmin("售后客服")
	require.NoError(t, err)
	w.link, err = kf.New(c).AddContactWay(t.Context(), &kf.AddContactWayRequest{OpenKfID: w.account, Scene: "spring_sale"})
	require.NoError(t, err)
	return w
}

// serve registers the Inbox on a callback of the fake's corp, so that the
// customers' acts reach it as WeCom's pushes.
func (w *kfWorld) serve(t *testing.T, in *kf.Inbox) {
	t.Helper()
	testkit.Callback(t, w.srv, in.Register)
}

// A customer enters from a link with a scene parameter, writes messages of
// several kinds and recalls one: each push is pulled with its token and
// each message and event reaches the function once, in order.
func TestInboxDeliversEachMessageOnceInOrder(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	rec := &recorder{}
	in, err := kf.NewInbox(kf.New(w.c), rec.handle)
	require.NoError(t, err)
	w.serve(t, in)
	ctx := t.Context()

	link, err := kf.SceneURL(w.link, "ad=7&from=douyin")
	require.NoError(t, err)
	entry, err := w.kf.OpenLink(ctx, link, "")
	require.NoError(t, err)
	ext := entry.ExternalUserID
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("你好，我想退货"))
	require.NoError(t, err)
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFLocation(23.1, 113.3, "广州塔", "广州市海珠区"))
	require.NoError(t, err)
	imgID, err := w.kf.Write(ctx, w.account, ext, wecomtest.KFImage("media-receipt"))
	require.NoError(t, err)
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFMenuReply("refund", "退款"))
	require.NoError(t, err)
	require.NoError(t, w.kf.Recall(ctx, w.account, ext, imgID))

	assert.Equal(t, []string{"event:enter_session", "text", "location", "image", "text", "event:user_recall_msg"}, rec.types())
	enter := rec.msgs[0].Event
	assert.Equal(t, "spring_sale", enter.Scene)
	assert.Equal(t, "ad=7&from=douyin", enter.SceneParam)
	assert.NotEmpty(t, enter.WelcomeCode)
	assert.Equal(t, "广州塔", rec.msgs[2].Location.Name)
	assert.Equal(t, "refund", rec.msgs[4].Text.MenuID)
	assert.Equal(t, imgID, rec.msgs[5].Event.RecallMsgID)

	// Six pushes, six pulls, each with its push's token; nothing twice.
	st := in.Stats()
	assert.Equal(t, int64(6), st.Delivered)
	assert.Equal(t, int64(0), st.Duplicates)
	assert.Equal(t, 6, w.srv.Count("kf/sync_msg"))
	for _, r := range w.srv.Requests() {
		if r.Path == "/cgi-bin/kf/sync_msg" {
			assert.Contains(t, string(r.Body), `"token":"ENC`)
		}
	}
}

// When the function fails for a message, the callback answers 500, WeCom
// pushes again, and the next pull starts at the stored cursor: the
// messages before the failed one are not delivered twice, the failed one
// is delivered once it succeeds.
func TestInboxUnderReSends(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	failures := 1
	rec := &recorder{}
	rec.fail = func(m *kf.Message) error {
		if m.Text != nil && m.Text.Content == "second" && failures > 0 {
			failures--
			return errors.New("database briefly down")
		}
		return nil
	}
	in, err := kf.NewInbox(kf.New(w.c), rec.handle, kf.WithPageSize(10))
	require.NoError(t, err)
	ctx := t.Context()
	// Two messages arrive while no callback is set (a push lost), then a
	// push for both is delivered and re-sent as WeCom does after a 500.
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	ext := entry.ExternalUserID
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("first"))
	require.NoError(t, err)
	w.serve(t, in)
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("second"))
	require.NoError(t, err, "the re-send after the 500 succeeded")

	assert.Equal(t, []string{"event:enter_session", "text", "text"}, rec.types())
	assert.Equal(t, "second", rec.msgs[2].Text.Content)
	st := in.Stats()
	assert.Equal(t, int64(3), st.Delivered)
	assert.Equal(t, int64(2), st.Duplicates, "the page was read again: the two messages before the failed one were skipped by msgid")
	assert.Equal(t, 2, w.srv.Count("kf/sync_msg"), "one pull per delivery of the push")

	// WeCom re-sending a push already handled pulls nothing new.
	before := len(rec.ids())
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("third"))
	require.NoError(t, err)
	require.NoError(t, in.HandleEvent(ctx, lastPush(t, w)))
	assert.Len(t, rec.ids(), before+1)
}

// lastPush is a kf_msg_or_event for the world's account with no token, as
// a re-sent or replayed push may be.
func lastPush(t *testing.T, w *kfWorld) *callback.KFMsgOrEventEvent {
	t.Helper()
	ev, err := callback.ParseEvent(wecomtest.KFMsgOrEventXML(w.srv.CorpID, "", w.account, w.clk.Now()))
	require.NoError(t, err)
	return ev.(*callback.KFMsgOrEventEvent)
}

// failingStore fails the first write of a key with the given suffix, as a
// process dying after handling messages and before saving the cursor.
type failingStore struct {
	*wecom.MemoryStore
	mu     sync.Mutex
	suffix string
	fails  int
}

func (s *failingStore) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	if strings.HasSuffix(key, s.suffix) && s.fails > 0 {
		s.fails--
		s.mu.Unlock()
		return false, errors.New("store: connection lost")
	}
	s.mu.Unlock()
	return s.MemoryStore.CompareAndSwap(ctx, key, old, value, ttl)
}

// A process that handled a page and died before storing the cursor: the
// next one reads the page again from the old cursor and skips every
// message by its msgid.
func TestInboxCrashBetweenHandlingAndCursorSave(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	ctx := t.Context()
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	for _, s := range []string{"a", "b", "c"} {
		_, err := w.kf.Write(ctx, w.account, entry.ExternalUserID, wecomtest.KFText(s))
		require.NoError(t, err)
	}
	store := &failingStore{MemoryStore: wecom.NewMemoryStore(), suffix: ":cursor", fails: 1}
	rec := &recorder{}

	first, err := kf.NewInbox(kf.New(w.c), rec.handle, kf.WithStore(store), kf.WithAccounts(w.account))
	require.NoError(t, err)
	err = first.Poll(ctx)
	require.Error(t, err, "the cursor could not be saved")
	assert.ErrorContains(t, err, "connection lost")
	assert.Len(t, rec.ids(), 4)

	// The next process, on the same Store.
	second, err := kf.NewInbox(kf.New(w.srv.Client(wecom.WithClock(w.clk.Now))), rec.handle, kf.WithStore(store), kf.WithAccounts(w.account))
	require.NoError(t, err)
	w.clk.Advance(3 * time.Minute) // the poll slot of the first is over
	require.NoError(t, second.Poll(ctx))
	assert.Len(t, rec.ids(), 4, "nothing delivered twice")
	assert.Equal(t, int64(4), second.Stats().Duplicates)
	assert.Equal(t, int64(0), second.Stats().Delivered)

	// And it goes on from there.
	_, err = w.kf.Write(ctx, w.account, entry.ExternalUserID, wecomtest.KFText("d"))
	require.NoError(t, err)
	w.clk.Advance(3 * time.Minute)
	require.NoError(t, second.Poll(ctx))
	assert.Len(t, rec.ids(), 5)
	assert.Equal(t, int64(4), second.Stats().Duplicates, "the new page starts after the stored cursor")
}

// Two instances with their own clients share a Store: a push reaching
// both several times at once delivers each message once in all.
func TestInboxTwoInstancesShareTheStore(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	rec := &recorder{}
	var ins []*kf.Inbox
	for range 2 {
		in, err := kf.NewInbox(kf.New(w.srv.Client(wecom.WithClock(w.clk.Now))), rec.handle, kf.WithStore(store), kf.WithPageSize(2))
		require.NoError(t, err)
		ins = append(ins, in)
	}
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	for i := range 6 {
		_, err := w.kf.Write(ctx, w.account, entry.ExternalUserID, wecomtest.KFText(string(rune('a'+i))))
		require.NoError(t, err)
	}
	// Catch the next push (with its token) instead of pulling.
	var mu sync.Mutex
	var ev *callback.KFMsgOrEventEvent
	testkit.Callback(t, w.srv, func(h *callback.Handler) {
		h.OnKFMsgOrEvent(func(_ context.Context, e *callback.KFMsgOrEventEvent) error {
			mu.Lock()
			ev = e
			mu.Unlock()
			return nil
		})
	})
	_, err = w.kf.Write(ctx, w.account, entry.ExternalUserID, wecomtest.KFText("g"))
	require.NoError(t, err)
	require.NotNil(t, ev)

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ins[i%2].HandleEvent(ctx, ev)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	ids := rec.ids()
	assert.Len(t, ids, 8)
	seen := map[string]bool{}
	for _, id := range ids {
		assert.False(t, seen[id], "delivered twice: %s", id)
		seen[id] = true
	}
	assert.Equal(t, int64(8), ins[0].Stats().Delivered+ins[1].Stats().Delivered)
	assert.Equal(t, int64(0), ins[0].Stats().Duplicates+ins[1].Stats().Duplicates, "one reader at a time: later pulls start at the stored cursor")
}

// A cursor stored more than three days ago: the Inbox reports it, and
// when WeCom refuses it (messages after it are gone), drops it and reads
// from the oldest message WeCom keeps.
func TestInboxCursorOlderThanTheRetention(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	ctx := t.Context()
	rec := &recorder{}
	var reported []error
	var mu sync.Mutex
	in, err := kf.NewInbox(kf.New(w.c), rec.handle, kf.WithAccounts(w.account),
		kf.WithErrorHook(func(_ context.Context, err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
	require.NoError(t, err)
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	require.NoError(t, in.Poll(ctx))
	require.Len(t, rec.ids(), 1)

	// A message the Inbox never reads, then four days without a pull.
	lost, err := w.kf.Write(ctx, w.account, entry.ExternalUserID, wecomtest.KFText("lost"))
	require.NoError(t, err)
	w.clk.Advance(4 * 24 * time.Hour)
	kept, err := w.kf.Write(ctx, w.account, entry.ExternalUserID, wecomtest.KFText("kept"))
	require.NoError(t, err)
	require.NoError(t, in.Poll(ctx))

	assert.Equal(t, []string{entry.MsgID, kept}, rec.ids(), "%s is beyond WeCom's three days", lost)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reported, 2)
	var stale *kf.CursorExpiredError
	require.ErrorAs(t, reported[0], &stale)
	assert.NoError(t, stale.Err, "reported before pulling: the cursor is older than three days")
	require.ErrorAs(t, reported[1], &stale)
	testkit.WantCode(t, stale.Err, wecom.CodeInvalidParameter)
	assert.ErrorContains(t, reported[1], "dropped")
	assert.Equal(t, int64(1), in.Stats().CursorResets)
}

// Poll pulls without a token at most once per interval per account, across
// the Inboxes on one Store.
func TestInboxPollRespectsTheTokenlessLimit(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	ctx := t.Context()
	store := wecom.NewMemoryStore()
	rec := &recorder{}
	a, err := kf.NewInbox(kf.New(w.c), rec.handle, kf.WithStore(store), kf.WithAccounts(w.account), kf.WithPollInterval(time.Minute))
	require.NoError(t, err)
	b, err := kf.NewInbox(kf.New(w.c), rec.handle, kf.WithStore(store), kf.WithAccounts(w.account), kf.WithPollInterval(time.Minute))
	require.NoError(t, err)
	require.NoError(t, a.Poll(ctx))
	require.NoError(t, a.Poll(ctx))
	require.NoError(t, b.Poll(ctx))
	assert.Equal(t, 1, w.srv.Count("kf/sync_msg"))
	w.clk.Advance(61 * time.Second)
	require.NoError(t, b.Poll(ctx))
	assert.Equal(t, 2, w.srv.Count("kf/sync_msg"))

	_, err = kf.NewInbox(kf.New(w.c), rec.handle, kf.WithPollInterval(time.Second))
	testkit.WantInvalid(t, err, kf.ErrInvalidArgument)
	assert.ErrorContains(t, err, "at least 30s")
}

// A push whose token expired (queued more than 10 minutes) is pulled once
// without it.
func TestInboxPullsWithoutAnExpiredToken(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	ctx := t.Context()
	rec := &recorder{}
	in, err := kf.NewInbox(kf.New(w.c), rec.handle)
	require.NoError(t, err)
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	ev := lastPush(t, w)
	ev.Token = "ENCexpired"
	require.NoError(t, in.HandleEvent(ctx, ev))
	assert.Equal(t, []string{entry.MsgID}, rec.ids())
	assert.Equal(t, 2, w.srv.Count("kf/sync_msg"), "refused with the token (95007), then pulled without")
}

// A customer entering is welcomed with the application's menu within the
// code's 20 seconds, once, even when the event's delivery fails and it is
// read again; the fake refuses the spent code.
func TestInboxWelcomesOnceWithinTwentySeconds(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	failed := false
	rec := &recorder{fail: func(m *kf.Message) error {
		if m.Event != nil && !failed {
			failed = true
			return errors.New("first delivery fails")
		}
		return nil
	}}
	var scenes []string
	welcome := func(_ context.Context, m *kf.Message) (*kf.EventReply, error) {
		scenes = append(scenes, m.Event.Scene)
		return &kf.EventReply{Menu: &kf.Menu{HeadContent: "您好，请选择：", List: []kf.MenuItem{kf.ClickItem("order", "查订单"), kf.ClickItem("human", "转人工")}}}, nil
	}
	in, err := kf.NewInbox(kf.New(w.c), rec.handle, kf.WithWelcome(welcome))
	require.NoError(t, err)
	w.serve(t, in)
	entry, err := w.kf.OpenLink(t.Context(), w.link, "")
	require.NoError(t, err)
	require.NotEmpty(t, entry.WelcomeCode)

	sent := w.kf.Sent(w.account, entry.ExternalUserID)
	require.Len(t, sent, 1)
	assert.Equal(t, "welcome", sent[0].Code)
	assert.Equal(t, "msgmenu", sent[0].MsgType)
	assert.Equal(t, []string{"spring_sale"}, scenes, "the welcome function ran once")
	assert.Equal(t, 1, w.srv.Count("kf/send_msg_on_event"))
	assert.Equal(t, []string{entry.MsgID}, rec.ids(), "delivered once, on the re-send")
	assert.Equal(t, int64(1), in.Stats().Welcomes)

	_, err = kf.New(w.c).SendMsgOnEvent(t.Context(), &kf.SendMsgOnEventRequest{Code: entry.WelcomeCode,
		EventReply: kf.EventReply{Text: &kf.Text{Content: "again"}}})
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
}

// An enter_session event read after its code's 20 seconds gets no
// welcome: the Inbox reports it and does not call WeCom.
func TestInboxDoesNotWelcomeLate(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	rec := &recorder{}
	var reported []error
	in, err := kf.NewInbox(kf.New(w.c), rec.handle, kf.WithAccounts(w.account),
		kf.WithWelcome(func(context.Context, *kf.Message) (*kf.EventReply, error) {
			return &kf.EventReply{Text: &kf.Text{Content: "欢迎"}}, nil
		}),
		kf.WithErrorHook(func(_ context.Context, err error) { reported = append(reported, err) }))
	require.NoError(t, err)
	entry, err := w.kf.OpenLink(t.Context(), w.link, "")
	require.NoError(t, err)
	w.clk.Advance(21 * time.Second)
	require.NoError(t, in.Poll(t.Context()))
	assert.Equal(t, []string{entry.MsgID}, rec.ids())
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], kf.ErrWelcomeTooLate)
	var werr *kf.WelcomeError
	require.ErrorAs(t, reported[0], &werr)
	assert.Equal(t, entry.ExternalUserID, werr.ExternalUserID)
	assert.Equal(t, 0, w.srv.Count("kf/send_msg_on_event"))
	assert.Equal(t, int64(1), in.Stats().WelcomesMissed)
}

// Pushes of another corp are ignored; options are checked by NewInbox.
func TestNewInboxAndForeignPushes(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	rec := &recorder{}
	_, err := kf.NewInbox(kf.New(w.c), nil)
	testkit.WantInvalid(t, err, kf.ErrInvalidArgument)
	_, err = kf.NewInbox(kf.New(w.c), rec.handle, kf.WithPageSize(1001), kf.WithWelcome(nil))
	testkit.WantInvalid(t, err, kf.ErrInvalidArgument)
	assert.ErrorContains(t, err, "WithPageSize(1001)")
	assert.ErrorContains(t, err, "WithWelcome(nil)")
	in, err := kf.NewInbox(kf.New(w.c), rec.handle)
	require.NoError(t, err)
	ev, err := callback.ParseEvent(wecomtest.KFMsgOrEventXML("wwanothercorp", "ENC", w.account, w.clk.Now()))
	require.NoError(t, err)
	require.NoError(t, in.HandleEvent(t.Context(), ev.(*callback.KFMsgOrEventEvent)))
	assert.Equal(t, 0, w.srv.Count("kf/sync_msg"))
}
