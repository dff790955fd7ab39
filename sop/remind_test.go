package sop_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/sop"
)

func users(rs []sop.Reminder, via sop.Via) []string {
	var out []string
	for _, r := range rs {
		if r.Via == via && r.Err == nil {
			out = append(out, r.UserID)
		}
	}
	return out
}

// The members who have not sent a mass send are reminded by WeCom, 3 times
// in 24 hours; then by an application message; after 24 hours by WeCom
// again. Who has sent is left alone.
func TestRemindMassSendUsesWeComThenAppMessages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t, sop.WithNotifier(w.notifier(t)))
	plan := w.plan()
	runs, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	msgID := runs[0].Tasks[0].MsgID
	require.NoError(t, w.corp.Messages().ConfirmMassSend(msgID, "zhangsan"))

	for i := range 3 {
		rs, err := s.Remind(t.Context(), plan, "day 1: thank you")
		require.NoError(t, err)
		assert.Equal(t, []string{"lisi", "wangwu"}, users(rs, sop.ViaWeCom), i)
		assert.Equal(t, msgID, rs[0].MsgID)
		w.clk.Advance(time.Hour)
	}
	assert.Equal(t, 3, w.srv.Count("externalcontact/remind_groupmsg_send"), "one call per task reminds all its senders")

	rs, err := s.Remind(t.Context(), plan, "day 1: thank you")
	require.NoError(t, err)
	assert.Equal(t, []string{"lisi", "wangwu"}, users(rs, sop.ViaAppMessage))
	assert.Empty(t, users(rs, sop.ViaWeCom))
	assert.Equal(t, 3, w.srv.Count("externalcontact/remind_groupmsg_send"), "WeCom's limit kept")
	got := w.corp.AppMessages().Received("lisi")
	require.Len(t, got, 1)
	assert.Equal(t, "layer:vip · day 1: thank you: please send the message to your customers (客户群发) in the WeCom client.", got[0].Content)
	assert.Empty(t, w.corp.AppMessages().Received("zhangsan"))

	w.clk.Advance(22 * time.Hour)
	rs, err = s.Remind(t.Context(), plan, "day 1: thank you")
	require.NoError(t, err)
	assert.Equal(t, []string{"lisi", "wangwu"}, users(rs, sop.ViaWeCom), "a day after the first reminder")
}

// WeCom has no reminder for Moments posts: members get the step's
// Reminder as an application message, once per call.
func TestRemindMomentsByAppMessage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t, sop.WithNotifier(w.notifier(t)))
	plan := w.plan()
	plan.Steps[2].Reminder = "Please post the new collection today"
	w.clk.Advance(24 * time.Hour)
	_, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	w.clk.Advance(time.Minute)
	p, err := s.Progress(t.Context(), plan, "day 2: new collection")
	require.NoError(t, err)
	require.NoError(t, w.corp.Messages().PublishMoment(p.Run.Tasks[0].MomentID, "lisi"))

	rs, err := s.Remind(t.Context(), plan, "day 2: new collection")
	require.NoError(t, err)
	assert.Equal(t, []string{"wangwu", "zhangsan"}, users(rs, sop.ViaAppMessage))
	assert.Len(t, rs, 2)
	got := w.corp.AppMessages().Received("zhangsan")
	require.Len(t, got, 1)
	assert.Equal(t, "Please post the new collection today", got[0].Content)
	assert.Zero(t, w.srv.Count("externalcontact/remind_groupmsg_send"))
}

// Without a Notifier the members who need an application message are
// reported, not dropped silently.
func TestRemindWithoutNotifier(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t)
	plan := w.plan()
	w.clk.Advance(24 * time.Hour)
	_, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	w.clk.Advance(time.Minute)
	rs, err := s.Remind(t.Context(), plan, "day 2: new collection")
	require.NoError(t, err)
	require.Len(t, rs, 3)
	for _, r := range rs {
		assert.ErrorIs(t, r.Err, sop.ErrNoNotifier)
		assert.Equal(t, sop.ViaAppMessage, r.Via)
	}
	assert.Empty(t, w.corp.AppMessages().Received("zhangsan"))
}

// The frequency limits of application messages are the Notifier's: a
// member past them is reported with the limit, to be reminded later.
func TestRemindReportsNotifierLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t, sop.WithNotifier(w.notifier(t)))
	plan := w.plan()
	w.clk.Advance(24 * time.Hour)
	_, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	w.clk.Advance(time.Minute)
	for range 30 {
		_, err := s.Remind(t.Context(), plan, "day 2: new collection")
		require.NoError(t, err)
	}
	rs, err := s.Remind(t.Context(), plan, "day 2: new collection")
	require.NoError(t, err)
	require.Len(t, rs, 3)
	testkit.WantRateLimited(t, rs[0].Err)
	var le *appmsg.NotifyLimitError
	require.ErrorAs(t, rs[0].Err, &le)
	assert.Equal(t, "30 a minute per member", le.Limit)
	assert.Len(t, w.corp.AppMessages().Received("lisi"), 30)
}

func TestViaString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "wecom", sop.ViaWeCom.String())
	assert.Equal(t, "app message", sop.ViaAppMessage.String())
	assert.Equal(t, "Via(9)", sop.Via(9).String())
}
