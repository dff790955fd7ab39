package acquisition_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const pathStatistic = "/cgi-bin/externalcontact/customer_acquisition/statistic"

// statSetup is setup with the fake and the client on one clock that the
// test moves: the statistics windows do not depend on when the test runs.
func statSetup(t *testing.T) (*wecomtest.Server, *acquisition.Service, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"), testkit.WithClock(clk),
		testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	testkit.AcquisitionQuota(t, srv, 100, clk.Now().AddDate(0, 6, 0))
	return srv, acquisition.New(c), clk
}

func TestStatisticCountsTapsAndAdds(t *testing.T) {
	t.Parallel()
	srv, svc, clk := statSetup(t)
	ctx := t.Context()
	link := newLink(t, svc, "stats", "zhangsan")
	other := newLink(t, svc, "other", "lisi")
	for range 4 {
		_, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, "a")
		require.NoError(t, err)
	}
	_, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, other.LinkID, "")
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).Acquisition().MakeLinkUnavailable(ctx, other.LinkID))

	now := clk.Now()
	st, err := svc.GetStatistic(ctx, &acquisition.GetStatisticRequest{LinkID: link.LinkID,
		StartTime: wecom.UnixTime(now.Add(-24 * time.Hour).Unix()), EndTime: wecom.UnixTime(now.Unix())})
	require.NoError(t, err)
	assert.EqualValues(t, 4, st.ClickLinkCustomerCnt)
	assert.EqualValues(t, 4, st.NewCustomerCnt)

	// A day without taps counts nothing.
	st, err = svc.GetStatistic(ctx, &acquisition.GetStatisticRequest{LinkID: link.LinkID,
		StartTime: wecom.UnixTime(now.Add(-10 * 24 * time.Hour).Unix()), EndTime: wecom.UnixTime(now.Add(-9 * 24 * time.Hour).Unix())})
	require.NoError(t, err)
	assert.Zero(t, st.NewCustomerCnt)
}

// statistic's documented window is checked before sending.
func TestStatisticWindowIsCheckedBeforeSending(t *testing.T) {
	t.Parallel()
	srv, svc, clk := statSetup(t)
	ctx := t.Context()
	now := clk.Now()
	at := func(d time.Duration) wecom.UnixTime { return wecom.UnixTime(now.Add(d).Unix()) }
	const day = 24 * time.Hour
	// onDay is hh:mm China time on the day n days before today.
	cst := time.FixedZone("CST", 8*3600)
	onDay := func(n, hh, mm int) wecom.UnixTime {
		y, m, d := now.In(cst).Date()
		return wecom.UnixTime(time.Date(y, m, d-n, hh, mm, 0, 0, cst).Unix())
	}
	for _, req := range []*acquisition.GetStatisticRequest{
		nil,
		{StartTime: at(-day), EndTime: at(0)}, // no link
		{LinkID: "ca", EndTime: at(0)},        // no start
		{LinkID: "ca", StartTime: at(0), EndTime: at(-day)},                   // reversed
		{LinkID: "ca", StartTime: at(-31 * day), EndTime: at(0)},              // over 30 days
		{LinkID: "ca", StartTime: onDay(31, 23, 59), EndTime: onDay(0, 0, 0)}, // 31 days apart, 30 days and a minute in seconds
		{LinkID: "ca", StartTime: at(-200 * day), EndTime: at(-190 * day)},    // older than 180 days
	} {
		_, err := svc.GetStatistic(ctx, req)
		assert.ErrorIs(t, err, acquisition.ErrInvalidArgument, "%+v", req)
	}
	assert.Zero(t, srv.Count(pathStatistic))

	link := newLink(t, svc, "w", "zhangsan")
	_, err := svc.GetStatistic(ctx, &acquisition.GetStatisticRequest{LinkID: link.LinkID, StartTime: at(-30 * day), EndTime: at(0)})
	assert.NoError(t, err, "exactly 30 days is allowed")
	// Whole days, both included: day 1 at 00:00 to day 31 at 23:59 is 30
	// days apart, although nearly 31 days of seconds.
	_, err = svc.GetStatistic(ctx, &acquisition.GetStatisticRequest{LinkID: link.LinkID, StartTime: onDay(31, 0, 0), EndTime: onDay(1, 23, 59)})
	assert.NoError(t, err, "day 1 to day 31")
	assert.Zero(t, wecom.ErrorCode(testkit.Raw(t, srv.Client(), pathStatistic,
		map[string]any{"link_id": link.LinkID, "start_time": onDay(31, 0, 0), "end_time": onDay(1, 23, 59)})), "the fake takes day 1 to day 31")
	_, err = svc.GetStatistic(ctx, &acquisition.GetStatisticRequest{LinkID: link.LinkID, StartTime: at(-179 * day), EndTime: at(-170 * day)})
	assert.NoError(t, err, "179 days ago is kept")

	// The fake refuses the same windows with 40058.
	for _, body := range []map[string]any{
		{"link_id": link.LinkID, "start_time": at(-31 * day), "end_time": at(0)},
		{"link_id": link.LinkID, "start_time": onDay(31, 23, 59), "end_time": onDay(0, 0, 0)},
		{"link_id": link.LinkID, "start_time": at(0), "end_time": at(-day)},
		{"link_id": link.LinkID, "start_time": at(-200 * day), "end_time": at(-190 * day)},
		{"link_id": link.LinkID},
	} {
		assert.Equal(t, 40058, wecom.ErrorCode(testkit.Raw(t, srv.Client(), pathStatistic, body)), "%v", body)
	}

	// The window is checked on the client's clock: 181 days on, the window
	// that was accepted is refused before sending.
	clk.Advance(181 * day)
	n := srv.Count(pathStatistic)
	_, err = svc.GetStatistic(ctx, &acquisition.GetStatisticRequest{LinkID: link.LinkID, StartTime: at(-30 * day), EndTime: at(0)})
	testkit.WantInvalid(t, err, acquisition.ErrInvalidArgument)
	assert.Equal(t, n, srv.Count(pathStatistic))
}
