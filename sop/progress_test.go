package sop_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/sop"
)

// Progress of a mass send: each member's part, whether they sent it and
// whom they reached.
func TestProgressOfAMassSendPerMember(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t)
	plan := w.plan()
	_, err := s.Progress(t.Context(), plan, "day 1: thank you")
	require.ErrorIs(t, err, sop.ErrNotRun)

	runs, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	w.clk.Advance(time.Hour)
	require.NoError(t, w.corp.Messages().ConfirmMassSend(runs[0].Tasks[0].MsgID, "zhangsan"))
	sentAt := w.clk.Now()

	p, err := s.Progress(t.Context(), plan, "day 1: thank you")
	require.NoError(t, err)
	assert.Equal(t, 1, p.Done)
	assert.Equal(t, 2, p.Pending)
	assert.Empty(t, p.Unresolved)
	require.Len(t, p.Members, 3)
	z := p.Members[2]
	assert.Equal(t, "zhangsan", z.UserID)
	assert.True(t, z.Done())
	assert.Equal(t, 1, z.Parts)
	assert.Equal(t, sentAt.Unix(), z.DoneAt.Unix())
	assert.Equal(t, 2, z.Reach.Sent, "zhangsan's two VIPs")
	l := p.Members[0]
	assert.Equal(t, "lisi", l.UserID)
	assert.False(t, l.Done())
	assert.Equal(t, 2, l.Reach.NotSent)
	assert.True(t, l.DoneAt.IsZero())
}

// A send WeCom is still dispatching is reported unresolved, without waiting.
func TestProgressDoesNotWaitForDispatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.corp.Messages().SetMassSendDispatchDelay(time.Minute)
	s := w.scheduler(t)
	plan := w.plan()
	runs, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	p, err := s.Progress(t.Context(), plan, "day 1: thank you")
	require.NoError(t, err)
	assert.Empty(t, p.Members)
	require.Len(t, p.Unresolved, 1)
	assert.Equal(t, runs[0].Tasks[0].MsgID, p.Unresolved[0].MsgID)
	assert.Empty(t, w.clk.Sleeps(), "nothing slept")

	w.clk.Advance(2 * time.Minute)
	p, err = s.Progress(t.Context(), plan, "day 1: thank you")
	require.NoError(t, err)
	assert.Empty(t, p.Unresolved)
	assert.Len(t, p.Members, 3)
}

// A Moments post: unresolved while its job runs; once it has finished the
// post's id is recorded (the job is not asked about again) and each
// member's publishing is followed.
func TestProgressOfAMomentsPost(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t)
	plan := w.plan()
	w.clk.Advance(24 * time.Hour)
	_, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)

	p, err := s.Progress(t.Context(), plan, "day 2: new collection")
	require.NoError(t, err)
	require.Len(t, p.Unresolved, 1, "the job takes 2 s")
	assert.Empty(t, p.Members)

	w.clk.Advance(3 * time.Second)
	p, err = s.Progress(t.Context(), plan, "day 2: new collection")
	require.NoError(t, err)
	assert.Empty(t, p.Unresolved)
	require.Len(t, p.Members, 3, "the followers of the VIPs post it")
	assert.Equal(t, 3, p.Pending)
	momentID := p.Run.Tasks[0].MomentID
	require.NotEmpty(t, momentID)

	runs, err := s.Runs(t.Context(), plan)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, momentID, runs[1].Tasks[0].MomentID, "recorded in the Store")

	require.NoError(t, w.corp.Messages().PublishMoment(momentID, "wangwu"))
	asked := w.srv.Count("externalcontact/get_moment_task_result")
	p, err = s.Progress(t.Context(), plan, "day 2: new collection")
	require.NoError(t, err)
	assert.Equal(t, asked, w.srv.Count("externalcontact/get_moment_task_result"))
	assert.Equal(t, 1, p.Done)
	assert.Equal(t, "wangwu", p.Members[1].UserID)
	assert.True(t, p.Members[1].Done())
	assert.True(t, p.Members[1].DoneAt.IsZero(), "WeCom gives no time")
}

// A group send's reach counts groups.
func TestProgressOfAGroupSend(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.scheduler(t)
	plan := w.plan()
	w.clk.Advance(72 * time.Hour)
	runs, err := s.RunDue(t.Context(), plan)
	require.NoError(t, err)
	require.NoError(t, w.corp.Messages().ConfirmMassSend(runs[2].Tasks[0].MsgID, "zhangsan"))
	p, err := s.Progress(t.Context(), plan, "day 4: club news")
	require.NoError(t, err)
	require.Len(t, p.Members, 1)
	assert.Equal(t, sop.KindGroups, p.Run.Kind)
	assert.True(t, p.Members[0].Done())
	assert.Equal(t, 1, p.Members[0].Reach.Sent)
	assert.Equal(t, 1, w.corp.Messages().MassSendsReceived(w.chat))
}
