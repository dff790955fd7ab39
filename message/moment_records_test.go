package message_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

func TestListMoments_Window(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	testkit.Seed(t, srv, 1, "alice")
	srv.Corp(srv.CorpID).Messages().SetMomentJobDelay(0)
	created := clock.Now()
	jobID, err := svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("hi")})
	require.NoError(t, err)
	_, err = svc.MomentJob(jobID).Wait(t.Context())
	require.NoError(t, err)
	list := func(from, to time.Time) int {
		resp, err := svc.ListMoments(t.Context(), &message.ListMomentsRequest{StartTime: wecom.UnixTime(from.Unix()), EndTime: wecom.UnixTime(to.Unix())})
		require.NoError(t, err)
		return len(resp.MomentList)
	}
	assert.Equal(t, 1, list(created.Add(-time.Second), created.Add(time.Second)))
	assert.Equal(t, 0, list(created, created.Add(time.Hour)), "strictly after start_time")
	assert.Equal(t, 0, list(created.Add(-time.Hour), created), "strictly before end_time")
	assert.Equal(t, 1, list(created.Add(-15*24*time.Hour), created.Add(15*24*time.Hour)), "30 days is allowed")
	for _, bad := range []*message.ListMomentsRequest{
		nil,
		{},
		{StartTime: 1, EndTime: 1 + 30*86400 + 1},
		{StartTime: 2, EndTime: 1},
		{StartTime: 1, EndTime: 2, Limit: -1},
	} {
		_, err := svc.ListMoments(t.Context(), bad)
		assert.ErrorIs(t, err, message.ErrInvalidArgument)
	}
	err = srv.Client().Post(t.Context(), "/cgi-bin/externalcontact/get_moment_list", map[string]any{"start_time": 1, "end_time": 1 + 31*86400}, nil)
	testkit.WantCode(t, err, 40058)
	for _, err := range []error{
		first(svc.GetMomentTask(t.Context(), nil)),
		first(svc.GetMomentTask(t.Context(), &message.GetMomentTaskRequest{MomentID: "m", Limit: -1})),
		first(svc.ListMomentCustomers(t.Context(), &message.ListMomentCustomersRequest{MomentID: "m", UserID: "u", Limit: -1})),
		first(svc.GetMomentSendResult(t.Context(), &message.GetMomentSendResultRequest{MomentID: "m", UserID: "u", Limit: -1})),
		first(svc.GetMomentSendResult(t.Context(), &message.GetMomentSendResultRequest{MomentID: "m"})),
		first(svc.GetMomentComments(t.Context(), "m", "")),
		svc.CancelMomentTask(t.Context(), ""),
	} {
		assert.ErrorIs(t, err, message.ErrInvalidArgument)
	}
	_, err = svc.GetMomentSendResult(t.Context(), &message.GetMomentSendResultRequest{MomentID: "m", UserID: "u", Limit: 5000})
	assert.True(t, message.IsInvalidMomentID(err), "5000 is allowed")
}
