package groupchat_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

var cst = time.FixedZone("CST", 8*3600)

// statNow is the time of the statistics tests, on the fake's and the
// client's clock alike (statSetup): 18:00 China time, a fixed day, so
// that "yesterday" does not depend on when the tests run.
var statNow = testkit.NewClock(time.Time{}).Now()

// daysAgo is 01:00 China time n days before statNow's day.
func daysAgo(n int) time.Time {
	y, m, d := statNow.In(cst).Date()
	return time.Date(y, m, d-n, 1, 0, 0, 0, cst)
}

// statSetup is setup with the fake and the client on a clock reading
// statNow.
func statSetup(t testing.TB, staff ...string) (*wecomtest.Server, *groupchat.Service, *testkit.Clock) {
	t.Helper()
	if len(staff) == 0 {
		staff = []string{"owner1", "owner2"}
	}
	clk := testkit.NewClock(statNow)
	srv, c := testkit.Setup(t, testkit.WithStaff(staff...), testkit.WithClock(clk),
		testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	return srv, groupchat.New(c), clk
}

func unix(t time.Time) wecom.UnixTime { return wecom.UnixTime(t.Unix()) }

func TestStatisticByOwnerPages(t *testing.T) {
	t.Parallel()
	owners := []string{"o1", "o2", "o3", "o4", "o5"}
	srv, svc, _ := statSetup(t, owners...)
	cust := testkit.Seed(t, srv, 10, "o1")
	// owner i has i+1 groups made 3 days ago, each with i members besides the owner
	for i, o := range owners {
		for range i + 1 {
			_, err := srv.Corp(srv.CorpID).GroupChats().Create(t.Context(), wecomtest.GroupChatSpec{Owner: o, Members: cust[:i], CreatedAt: daysAgo(3)})
			require.NoError(t, err)
		}
	}
	// and one made today, outside the window
	testkit.GroupChat(t, srv, "o1", "today")

	req := &groupchat.GetStatisticRequest{StatWindow: groupchat.StatWindow{DayBeginTime: unix(daysAgo(5)), DayEndTime: unix(daysAgo(1))},
		OrderBy: groupchat.OrderByChatTotal, Limit: 2}
	page, err := svc.GetStatistic(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, 5, page.Total)
	assert.Equal(t, 2, page.NextOffset)
	require.Len(t, page.Items, 2)
	assert.Equal(t, "o5", page.Items[0].Owner, "descending by default")
	assert.Equal(t, groupchat.GroupStat{NewChatCnt: 5, ChatTotal: 5, NewMemberCnt: 25, MemberTotal: 25}, page.Items[0].Data)

	var got []string
	for it, err := range svc.GetStatisticIter(t.Context(), req) {
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%s:%d", it.Owner, it.Data.ChatTotal))
	}
	assert.Equal(t, []string{"o5:5", "o4:4", "o3:3", "o2:2", "o1:1"}, got)
	assert.Equal(t, 0, req.Offset, "the request is not modified")

	asc := *req
	asc.OrderAsc, asc.Offset, asc.OwnerFilter = true, 1, &groupchat.OwnerFilter{UserIDList: []string{"o1", "o2", "o3"}}
	got = nil
	for it, err := range svc.GetStatisticIter(t.Context(), &asc) {
		require.NoError(t, err)
		got = append(got, it.Owner)
	}
	assert.Equal(t, []string{"o2", "o3"}, got, "ascending, from offset 1")
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/groupchat/statistic")
	assert.EqualValues(t, 1, body["order_asc"])
	assert.EqualValues(t, 2, body["order_by"])
}

func TestStatisticGroupByDay(t *testing.T) {
	t.Parallel()
	srv, svc, _ := statSetup(t)
	cust := testkit.Seed(t, srv, 3, "owner1")
	_, err := srv.Corp(srv.CorpID).GroupChats().Create(t.Context(), wecomtest.GroupChatSpec{Owner: "owner1", Members: cust, CreatedAt: daysAgo(2)})
	require.NoError(t, err)
	_, err = srv.Corp(srv.CorpID).GroupChats().Create(t.Context(), wecomtest.GroupChatSpec{Owner: "owner2", Members: cust[:1], CreatedAt: daysAgo(1)})
	require.NoError(t, err)

	days, err := svc.GetStatisticGroupByDay(t.Context(), &groupchat.GetStatisticGroupByDayRequest{StatWindow: groupchat.StatWindow{
		DayBeginTime: unix(daysAgo(3)), DayEndTime: unix(daysAgo(1))}})
	require.NoError(t, err)
	require.Len(t, days, 3)
	for i, d := range days {
		y, m, dd := daysAgo(3 - i).Date()
		assert.Equal(t, time.Date(y, m, dd, 0, 0, 0, 0, cst).Unix(), int64(d.StatTime), "stat_time is 00:00 of the day")
	}
	assert.Equal(t, groupchat.GroupStat{}, days[0].Data)
	assert.Equal(t, groupchat.GroupStat{NewChatCnt: 1, ChatTotal: 1, NewMemberCnt: 4, MemberTotal: 4}, days[1].Data)
	assert.Equal(t, groupchat.GroupStat{NewChatCnt: 1, ChatTotal: 2, NewMemberCnt: 2, MemberTotal: 6}, days[2].Data)

	one, err := svc.GetStatisticGroupByDay(t.Context(), &groupchat.GetStatisticGroupByDayRequest{StatWindow: groupchat.StatWindow{
		DayBeginTime: unix(daysAgo(1)), OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"owner2"}}}})
	require.NoError(t, err)
	require.Len(t, one, 1, "no DayEndTime: one day")
	assert.Equal(t, 1, one[0].Data.ChatTotal)
}

func TestStatisticWindowIsCheckedBeforeSending(t *testing.T) {
	t.Parallel()
	srv, svc, _ := statSetup(t)
	for name, w := range map[string]groupchat.StatWindow{
		"no begin":           {},
		"today":              {DayBeginTime: unix(daysAgo(0))},
		"ends today":         {DayBeginTime: unix(daysAgo(3)), DayEndTime: unix(daysAgo(0))},
		"181 days ago":       {DayBeginTime: unix(daysAgo(181))},
		"31-day span":        {DayBeginTime: unix(daysAgo(40)), DayEndTime: unix(daysAgo(9))},
		"end before begin":   {DayBeginTime: unix(daysAgo(3)), DayEndTime: unix(daysAgo(4))},
		"101 owners":         {DayBeginTime: unix(daysAgo(3)), OwnerFilter: &groupchat.OwnerFilter{UserIDList: make([]string, 101)}},
		"empty owner userid": {DayBeginTime: unix(daysAgo(3)), OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{""}}},
	} {
		_, err := svc.GetStatistic(t.Context(), &groupchat.GetStatisticRequest{StatWindow: w})
		require.ErrorIs(t, err, groupchat.ErrInvalidArgument, name)
		for _, err := range svc.GetStatisticIter(t.Context(), &groupchat.GetStatisticRequest{StatWindow: w}) {
			require.ErrorIs(t, err, groupchat.ErrInvalidArgument, name)
		}
		_, err = svc.GetStatisticGroupByDay(t.Context(), &groupchat.GetStatisticGroupByDayRequest{StatWindow: w})
		require.ErrorIs(t, err, groupchat.ErrInvalidArgument, name)
	}
	ok := groupchat.StatWindow{DayBeginTime: unix(daysAgo(30)), DayEndTime: unix(daysAgo(1))}
	for name, r := range map[string]groupchat.GetStatisticRequest{
		"limit -1":  {StatWindow: ok, Limit: -1},
		"order 5":   {StatWindow: ok, OrderBy: 5},
		"offset -1": {StatWindow: ok, Offset: -1},
	} {
		_, err := svc.GetStatistic(t.Context(), &r)
		require.ErrorIs(t, err, groupchat.ErrInvalidArgument, name)
	}
	_, err := svc.GetStatistic(t.Context(), nil)
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	_, err = svc.GetStatisticGroupByDay(t.Context(), nil)
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/groupchat/statistic")+srv.Count("/cgi-bin/externalcontact/groupchat/statistic_group_by_day"))

	// the widest accepted windows pass, and the fake checks the same rules
	_, err = svc.GetStatistic(t.Context(), &groupchat.GetStatisticRequest{StatWindow: ok})
	require.NoError(t, err)
	_, err = svc.GetStatisticGroupByDay(t.Context(), &groupchat.GetStatisticGroupByDayRequest{StatWindow: groupchat.StatWindow{DayBeginTime: unix(daysAgo(180))}})
	require.NoError(t, err)
	err = testkit.Raw(t, srv.Client(), "/cgi-bin/externalcontact/groupchat/statistic_group_by_day",
		struct {
			DayBeginTime int64 `json:"day_begin_time"`
		}{daysAgo(0).Unix()})
	testkit.WantCode(t, err, 600018)
}

func TestStatisticWindowIsOnTheClientsClock(t *testing.T) {
	t.Parallel()
	srv, svc, clk := statSetup(t)
	today := &groupchat.GetStatisticGroupByDayRequest{StatWindow: groupchat.StatWindow{DayBeginTime: unix(daysAgo(0))}}
	_, err := svc.GetStatisticGroupByDay(t.Context(), today)
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/groupchat/statistic_group_by_day"), "today has no statistics yet")

	clk.Advance(24 * time.Hour) // the next day: the window is yesterday
	_, err = svc.GetStatisticGroupByDay(t.Context(), today)
	require.NoError(t, err)
	_, err = svc.GetStatistic(t.Context(), &groupchat.GetStatisticRequest{StatWindow: today.StatWindow})
	require.NoError(t, err)

	clk.Advance(180 * 24 * time.Hour) // 181 days later: too old
	_, err = svc.GetStatisticGroupByDay(t.Context(), today)
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	assert.Equal(t, 1, srv.Count("/cgi-bin/externalcontact/groupchat/statistic_group_by_day"))
}

// Both statistics endpoints answer 81017 without owner_filter when the
// app's visible range holds more than 1000 people (96359), as
// groupchat/list does; with owner_filter they answer.
func TestStatisticWithoutOwnerFilterInALargeCorpIs81017(t *testing.T) {
	t.Parallel()
	srv, svc, _ := statSetup(t)
	staff := make([]string, 1001)
	for i := range staff {
		staff[i] = fmt.Sprintf("m%04d", i)
	}
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff(staff...))
	w := groupchat.StatWindow{DayBeginTime: unix(daysAgo(3))}
	_, err := svc.GetStatistic(t.Context(), &groupchat.GetStatisticRequest{StatWindow: w})
	testkit.WantCode(t, err, wecom.CodeStatisticRangeTooLarge)
	_, err = svc.GetStatisticGroupByDay(t.Context(), &groupchat.GetStatisticGroupByDayRequest{StatWindow: w})
	testkit.WantCode(t, err, wecom.CodeStatisticRangeTooLarge)

	w.OwnerFilter = &groupchat.OwnerFilter{UserIDList: []string{"owner1"}}
	_, err = svc.GetStatistic(t.Context(), &groupchat.GetStatisticRequest{StatWindow: w})
	require.NoError(t, err)
	_, err = svc.GetStatisticGroupByDay(t.Context(), &groupchat.GetStatisticGroupByDayRequest{StatWindow: w})
	require.NoError(t, err)
}
