package sop_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/sop"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// world is a fake corp on a fake clock: three members with four customers
// each, every other customer tagged VIP, and a group owned by zhangsan.
type world struct {
	srv   *wecomtest.Server
	corp  *wecomtest.Corp
	clk   *testkit.Clock
	c     *wecom.Client
	msg   *message.Service
	vip   string
	chat  string
	staff []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk),
		testkit.WithClientOptions(wecom.WithClock(clk.Now), wecom.WithAgentID(wecomtest.DefaultAgentID)))
	w := &world{srv: srv, corp: srv.Corp(srv.CorpID), clk: clk, c: c, msg: message.New(c),
		staff: []string{"zhangsan", "lisi", "wangwu"}}
	ids := testkit.Seed(t, srv, 12, w.staff...)
	contacts := contact.New(c)
	g, err := contacts.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "layer", Tag: []contact.NewTag{{Name: "VIP"}}})
	require.NoError(t, err)
	w.vip = g.Tag[0].ID
	for i := 0; i < len(ids); i += 2 { // customers 0, 2, 4...: zhangsan, wangwu, lisi, zhangsan...
		require.NoError(t, contacts.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: w.staff[i%3], ExternalUserID: ids[i], AddTag: []string{w.vip}}))
	}
	w.chat = testkit.GroupChat(t, srv, "zhangsan", "VIP club", ids[0], ids[3])
	w.corp.Messages().SetMomentJobDelay(2 * time.Second)
	return w
}

func (w *world) scheduler(t *testing.T, opts ...sop.Option) *sop.Scheduler {
	t.Helper()
	s, err := sop.NewScheduler(w.msg, opts...)
	require.NoError(t, err)
	return s
}

func (w *world) notifier(t *testing.T) *appmsg.Notifier {
	t.Helper()
	n, err := appmsg.NewNotifier(appmsg.New(w.c))
	require.NoError(t, err)
	return n
}

// plan is a VIP plan: a mass send at once, a Moments post on day 2, a
// group send on day 4.
func (w *world) plan() *sop.Plan {
	return &sop.Plan{Name: "layer:vip", Start: w.clk.Now(), Steps: []sop.Step{
		{Name: "day 4: club news", At: 72 * time.Hour, MassSend: &message.MassSendRequest{
			Audience: message.Audience{Groups: map[string][]string{"zhangsan": {w.chat}}}, Text: &message.Text{Content: "Club news"}}},
		{Name: "day 1: thank you", MassSend: &message.MassSendRequest{
			Audience: message.Audience{TagFilter: message.AnyTag(w.vip)}, Text: &message.Text{Content: "Thank you"}}},
		{Name: "day 2: new collection", At: 24 * time.Hour, Moment: &message.AddMomentTaskRequest{
			Text:         &message.Text{Content: "Our new collection"},
			VisibleRange: &message.VisibleRange{ExternalContactList: &message.ExternalContactList{TagList: []string{w.vip}}}}},
	}}
}

// RunDue runs each step when it is due, in the order due, and once: a
// second call, or a second instance sharing the Store, creates nothing.
func TestRunDueRunsEachStepOnceWhenDue(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t)
	plan := w.plan()

	runs, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, "day 1: thank you", runs[0].Step)
	assert.Equal(t, sop.KindCustomers, runs[0].Kind)
	require.Len(t, runs[0].Tasks, 1, "a tag filter alone is one task; WeCom picks the senders")
	assert.NotEmpty(t, runs[0].Tasks[0].MsgID)
	assert.True(t, runs[0].Finished())
	assert.Equal(t, 1, w.srv.Count("externalcontact/add_msg_template"))

	again, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	assert.Empty(t, again)
	other := w.scheduler(t) // another instance: the client's Store is shared
	again, err = other.RunDue(t.Context(), plan)
	require.NoError(t, err)
	assert.Empty(t, again)
	assert.Equal(t, 1, w.srv.Count("externalcontact/add_msg_template"))

	w.clk.Advance(80 * time.Hour) // days 2 and 4 are due: both run, day 2 first
	runs, err = s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, []string{"day 2: new collection", "day 4: club news"}, []string{runs[0].Step, runs[1].Step})
	assert.Equal(t, sop.KindMoments, runs[0].Kind)
	assert.NotEmpty(t, runs[0].Tasks[0].JobID)
	assert.Equal(t, sop.KindGroups, runs[1].Kind)
	assert.Equal(t, "zhangsan", runs[1].Tasks[0].Sender)
	assert.Equal(t, 1, w.srv.Count("externalcontact/add_moment_task"))
	assert.Equal(t, 2, w.srv.Count("externalcontact/add_msg_template"))

	all, err := s.Runs(t.Context(), plan)
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, "day 4: club news", all[0].Step, "in the plan's order")
}

// Instances racing for the same due step create its tasks once.
func TestRunDueCreatesOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	plan := w.plan()
	var wg sync.WaitGroup
	made := make(chan int, 8)
	for range 8 {
		s := w.scheduler(t)
		wg.Go(func() {
			runs, err := s.RunDue(t.Context(), plan)
			assert.NoError(t, err)
			made <- len(runs)
		})
	}
	wg.Wait()
	close(made)
	total := 0
	for n := range made {
		total += n
	}
	assert.Equal(t, 1, total)
	assert.Equal(t, 1, w.srv.Count("externalcontact/add_msg_template"))
}

// The Store is what makes a run once: a Scheduler with its own Store runs
// the step again (and WeCom gets a second task).
func TestRunDueKeepsRunsInTheStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	plan := w.plan()
	_, err := w.scheduler(t).RunDue(t.Context(), plan)
	require.NoError(t, err)
	runs, err := w.scheduler(t, sop.WithStore(wecom.NewMemoryStore())).RunDue(t.Context(), plan)
	require.NoError(t, err)
	assert.Len(t, runs, 1)
	assert.Equal(t, 2, w.srv.Count("externalcontact/add_msg_template"))
}

// WeCom's refusal of one task is recorded in it and does not stop the
// others: here a sender without VIP customers (41048).
func TestRunDueRecordsRefusedTasks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	testkit.Staff(t, w.srv, "newbie")
	plan := &sop.Plan{Name: "per sender", Start: w.clk.Now(), Steps: []sop.Step{{Name: "now", MassSend: &message.MassSendRequest{
		Audience: message.Audience{Senders: []string{"lisi", "newbie"}, TagFilter: message.AnyTag(w.vip)},
		Text:     &message.Text{Content: "hi"}}}}}
	runs, err := w.scheduler(t).RunDue(t.Context(), plan)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	tasks := runs[0].Tasks
	require.Len(t, tasks, 2)
	assert.Equal(t, "lisi", tasks[0].Sender)
	assert.NotEmpty(t, tasks[0].MsgID)
	assert.Empty(t, tasks[0].Failure)
	assert.Equal(t, "newbie", tasks[1].Sender)
	assert.Empty(t, tasks[1].MsgID)
	assert.Contains(t, tasks[1].Failure, "41048")
	assert.False(t, tasks[1].OutcomeUnknown)

	p, err := w.scheduler(t).Progress(t.Context(), plan, "now")
	require.NoError(t, err)
	require.Len(t, p.Members, 1, "a refused task names no member")
	assert.Equal(t, "lisi", p.Members[0].UserID)
}

// A create whose outcome is unknown is recorded as such, never sent again.
func TestRunDueRecordsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.srv.Fail("/cgi-bin/externalcontact/add_msg_template", wecomtest.Fault{Drop: true})
	runs, err := w.scheduler(t).RunDue(t.Context(), w.plan())
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.True(t, runs[0].Tasks[0].OutcomeUnknown, runs[0].Tasks[0].Failure)
	assert.Equal(t, 1, w.srv.Count("externalcontact/add_msg_template"))
}

// failingStore fails the swap that records a run's tasks.
type failingStore struct {
	wecom.Store
	mu    sync.Mutex
	fails int
}

func (f *failingStore) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	fail := old != "" && f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return false, errors.New("store down")
	}
	return f.Store.CompareAndSwap(ctx, key, old, value, ttl)
}

// A run whose tasks were created but not recorded is reported with its
// task ids, shown unfinished, skipped by later calls, and runs again only
// after Forget.
func TestRunDueUnrecordedRunWaitsForForget(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	store := &failingStore{Store: wecom.NewMemoryStore(), fails: 1}
	s := w.scheduler(t, sop.WithStore(store))
	plan := w.plan()
	runs, err := s.RunDue(t.Context(), plan)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "were created but not recorded")
	assert.Contains(t, err.Error(), "store down")
	require.Len(t, runs, 1)
	assert.Contains(t, err.Error(), runs[0].Tasks[0].MsgID)

	all, err := s.Runs(t.Context(), plan)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.False(t, all[0].Finished())
	_, err = s.Progress(t.Context(), plan, "day 1: thank you")
	require.ErrorIs(t, err, sop.ErrNotRun)

	runs, err = s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	assert.Empty(t, runs, "an unfinished run is left alone")
	assert.Equal(t, 1, w.srv.Count("externalcontact/add_msg_template"))

	require.NoError(t, s.Forget(t.Context(), plan, "day 1: thank you"))
	runs, err = s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	assert.Len(t, runs, 1)
	assert.Equal(t, 2, w.srv.Count("externalcontact/add_msg_template"))
}

// Plans and options are checked before anything is claimed or sent.
func TestSchedulerRefusesBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t)
	ctx := t.Context()
	text := &message.Text{Content: "hi"}
	send := &message.MassSendRequest{Audience: message.Audience{TagFilter: message.AnyTag(w.vip)}, Text: text}
	long := string(make([]rune, 101))
	for name, plan := range map[string]*sop.Plan{
		"nil":           nil,
		"no name":       {Start: w.clk.Now()},
		"long name":     {Name: long, Start: w.clk.Now()},
		"no start":      {Name: "p"},
		"unnamed step":  {Name: "p", Start: w.clk.Now(), Steps: []sop.Step{{MassSend: send}}},
		"same names":    {Name: "p", Start: w.clk.Now(), Steps: []sop.Step{{Name: "a", MassSend: send}, {Name: "a", MassSend: send}}},
		"before start":  {Name: "p", Start: w.clk.Now(), Steps: []sop.Step{{Name: "a", At: -time.Hour, MassSend: send}}},
		"no action":     {Name: "p", Start: w.clk.Now(), Steps: []sop.Step{{Name: "a"}}},
		"two actions":   {Name: "p", Start: w.clk.Now(), Steps: []sop.Step{{Name: "a", MassSend: send, Moment: &message.AddMomentTaskRequest{Text: text}}}},
		"bad audience":  {Name: "p", Start: w.clk.Now(), Steps: []sop.Step{{Name: "a", MassSend: &message.MassSendRequest{Text: text}}}},
		"long reminder": {Name: "p", Start: w.clk.Now(), Steps: []sop.Step{{Name: "a", MassSend: send, Reminder: string(make([]byte, 2049))}}},
	} {
		_, err := s.RunDue(ctx, plan)
		assert.ErrorIs(t, err, sop.ErrInvalidArgument, name)
		_, err = s.Runs(ctx, plan)
		assert.ErrorIs(t, err, sop.ErrInvalidArgument, name)
	}
	assert.Zero(t, w.srv.Count("externalcontact/add_msg_template"))
	_, err := s.Progress(ctx, w.plan(), "no such step")
	testkit.WantInvalid(t, err, sop.ErrInvalidArgument)
	testkit.WantInvalid(t, s.Forget(ctx, w.plan(), "no such step"), sop.ErrInvalidArgument)

	_, err = sop.NewScheduler(nil)
	require.Error(t, err)
	for _, o := range []sop.Option{sop.WithNotifier(nil), sop.WithStore(nil), sop.WithClock(nil)} {
		_, err = sop.NewScheduler(w.msg, o)
		require.Error(t, err)
	}
}
