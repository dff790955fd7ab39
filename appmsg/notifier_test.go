package appmsg_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func notifier(t *testing.T, opts ...appmsg.NotifierOption) (*wecomtest.Server, *appmsg.Notifier, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, svc := fakeCorp(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	n, err := appmsg.NewNotifier(svc, opts...)
	require.NoError(t, err)
	return srv, n, clk
}

// A member gets at most 30 messages a minute from the app: the 31st is
// refused before sending, with how long to wait; a minute later it goes.
func TestNotifierKeepsThirtyAMinute(t *testing.T) {
	t.Parallel()
	srv, n, clk := notifier(t)
	for i := range 30 {
		_, err := n.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "reminder"})
		require.NoError(t, err, i)
		clk.Advance(time.Second)
	}
	_, err := n.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "one too many"})
	testkit.WantRateLimited(t, err)
	var le *appmsg.NotifyLimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "zhangsan", le.UserID)
	assert.Equal(t, "30 a minute per member", le.Limit)
	assert.Equal(t, 30*time.Second, le.Wait, "the oldest of the minute leaves it 30 s from now")
	assert.Equal(t, 30, srv.Count("message/send"), "the refused message was not sent")

	// another member is not held back
	_, err = n.Notify(t.Context(), "lisi", appmsg.Markdown{Content: "**hi**"})
	require.NoError(t, err)

	clk.Advance(le.Wait)
	_, err = n.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "now it goes"})
	require.NoError(t, err)
	assert.Len(t, srv.Corp(srv.CorpID).AppMessages().Received("zhangsan"), 31)
}

// And at most 1000 an hour.
func TestNotifierKeepsAThousandAnHour(t *testing.T) {
	t.Parallel()
	srv, n, clk := notifier(t)
	for i := range 1000 {
		_, err := n.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "tick"})
		require.NoError(t, err, i)
		clk.Advance(2100 * time.Millisecond) // 28 a minute
	}
	_, err := n.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "tock"})
	var le *appmsg.NotifyLimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "1000 an hour per member", le.Limit)
	assert.Equal(t, 1000, srv.Count("message/send"))
	clk.Advance(le.Wait)
	_, err = n.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "tock"})
	require.NoError(t, err)
}

// WithDailyQuota caps the app's person-times a day (China time).
func TestNotifierKeepsTheDailyQuota(t *testing.T) {
	t.Parallel()
	srv, n, clk := notifier(t, appmsg.WithDailyQuota(2))
	for _, u := range []string{"zhangsan", "lisi"} {
		_, err := n.Notify(t.Context(), u, appmsg.Text{Content: "daily report"})
		require.NoError(t, err)
	}
	_, err := n.Notify(t.Context(), "wangwu", appmsg.Text{Content: "daily report"})
	var le *appmsg.NotifyLimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "2 a day per app", le.Limit)
	assert.Empty(t, le.UserID)
	assert.Equal(t, 2, srv.Count("message/send"))

	clk.Advance(le.Wait) // midnight in China
	_, err = n.Notify(t.Context(), "wangwu", appmsg.Text{Content: "daily report"})
	require.NoError(t, err)

	_, err = appmsg.NewNotifier(appmsg.New(srv.Client()), appmsg.WithDailyQuota(0))
	require.Error(t, err)
}

// Two notifiers on one Store (two instances of a service) count together.
func TestNotifiersShareTheirCountThroughTheStore(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	store := wecom.NewMemoryStore()
	srv, _ := fakeCorp(t, testkit.WithClock(clk))
	mk := func() *appmsg.Notifier {
		c := srv.Client(wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithClock(clk.Now), wecom.WithStore(store))
		n, err := appmsg.NewNotifier(appmsg.New(c))
		require.NoError(t, err)
		return n
	}
	a, b := mk(), mk()
	for i := range 30 {
		n := a
		if i%2 == 1 {
			n = b
		}
		_, err := n.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "x"})
		require.NoError(t, err)
	}
	_, err := b.Notify(t.Context(), "zhangsan", appmsg.Text{Content: "x"})
	testkit.WantRateLimited(t, err)
}

// A message the Notifier refuses as bad input is refused before it is
// counted or sent.
func TestNotifierRefusesBadInputFirst(t *testing.T) {
	t.Parallel()
	srv, n, _ := notifier(t)
	_, err := n.Notify(t.Context(), "", appmsg.Text{Content: "x"})
	testkit.WantInvalid(t, err, appmsg.ErrInvalidArgument)
	_, err = n.Notify(t.Context(), "zhangsan", (*appmsg.Text)(nil))
	testkit.WantInvalid(t, err, appmsg.ErrInvalidArgument)
	assert.Zero(t, srv.Count("message/send"))
}
