package contact_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

func TestUserBehaviorData(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 6, "a", "b")
	now := time.Now()
	start := wecom.UnixTime(now.Add(-48 * time.Hour).Unix())
	data, err := svc.GetUserBehaviorData(t.Context(), &contact.GetUserBehaviorDataRequest{UserID: []string{"a"}, StartTime: start, EndTime: wecom.UnixTime(now.Unix())})
	require.NoError(t, err)
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/get_user_behavior_data")
	if body["start_time"] != float64(start) || body["partyid"] != nil {
		t.Fatalf("body = %v", body)
	}
	if len(data) != 3 {
		t.Fatalf("%d days: %+v", len(data), data)
	}
	last := data[len(data)-1]
	if last.NewContactCnt != 3 || last.StatTime > wecom.UnixTime(now.Unix()) || data[0].NewContactCnt != 0 {
		t.Fatalf("data = %+v", data)
	}
	for i := 1; i < len(data); i++ {
		if data[i].StatTime-data[i-1].StatTime != 86400 {
			t.Fatalf("days not consecutive: %+v", data)
		}
	}

	bad := []*contact.GetUserBehaviorDataRequest{
		nil,
		{StartTime: start, EndTime: start},
		{UserID: []string{"a"}, StartTime: start, EndTime: start - 1},
		{UserID: []string{"a"}, StartTime: start, EndTime: start + 31*86400},
		{UserID: make([]string, 101), StartTime: start, EndTime: start},
	}
	for _, r := range bad {
		_, err := svc.GetUserBehaviorData(t.Context(), r)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	err = svc.Client().Do(t.Context(), &wecom.Request{Path: "/cgi-bin/externalcontact/get_user_behavior_data", Op: wecom.OpRead,
		Body: map[string]any{"userid": []string{"a"}, "start_time": start, "end_time": start - 86400}})
	testkit.WantCode(t, err, 600018)
}
