package contact_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

func TestUserBehaviorData(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	svc := contact.New(c)
	testkit.Seed(t, srv, 6, "a", "b")
	now := wecom.UnixTime(clk.Now().Unix())
	start := now - 2*86400
	data, err := svc.GetUserBehaviorData(t.Context(), &contact.GetUserBehaviorDataRequest{UserID: []string{"a"}, StartTime: start, EndTime: now})
	require.NoError(t, err)
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/get_user_behavior_data")
	assert.Equal(t, float64(start), body["start_time"])
	assert.NotContains(t, body, "partyid")
	require.Len(t, data, 3, "days")
	assert.Zero(t, data[0].NewContactCnt)
	last := data[len(data)-1]
	assert.Equal(t, 3, last.NewContactCnt, "a's customers, added today")
	assert.LessOrEqual(t, last.StatTime, now)
	for i := 1; i < len(data); i++ {
		assert.Equal(t, wecom.UnixTime(86400), data[i].StatTime-data[i-1].StatTime, "days are consecutive")
	}

	bad := []*contact.GetUserBehaviorDataRequest{
		nil,
		{StartTime: start, EndTime: start},
		{UserID: []string{"a"}, StartTime: start, EndTime: start - 1},
		{UserID: []string{"a"}, StartTime: start, EndTime: start + 31*86400},
		{UserID: make([]string, 101), StartTime: start, EndTime: start},
		{PartyID: make([]int, 101), StartTime: start, EndTime: start},
	}
	for _, r := range bad {
		_, err := svc.GetUserBehaviorData(t.Context(), r)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	assert.Equal(t, 1, srv.Count("/cgi-bin/externalcontact/get_user_behavior_data"), "a refused request reached WeCom")
	err = c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/externalcontact/get_user_behavior_data", Op: wecom.OpRead,
		Body: map[string]any{"userid": []string{"a"}, "start_time": start, "end_time": start - 86400}})
	testkit.WantCode(t, err, 600018)
}

// TestUserBehaviorDataWindow refuses a start more than 180 days back, which
// WeCom documents as the data it keeps, counted on the client's clock.
func TestUserBehaviorDataWindow(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	svc := contact.New(c)
	testkit.Seed(t, srv, 1, "a")
	day := 24 * time.Hour
	at := func(d time.Duration) wecom.UnixTime { return wecom.UnixTime(clk.Now().Add(d).Unix()) }
	_, err := svc.GetUserBehaviorData(t.Context(), &contact.GetUserBehaviorDataRequest{UserID: []string{"a"}, StartTime: at(-182 * day), EndTime: at(-170 * day)})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/get_user_behavior_data"), "calls for a refused request")
	_, err = svc.GetUserBehaviorData(t.Context(), &contact.GetUserBehaviorDataRequest{UserID: []string{"a"}, StartTime: at(-179 * day), EndTime: at(-170 * day)})
	require.NoError(t, err, "179 days back")
}
