package message_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// inFlight is a transport that counts the requests it matches that are in
// flight at once.
type inFlight struct {
	base  http.RoundTripper
	match func(path string) bool

	mu       sync.Mutex
	now, max int
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	if !f.match(r.URL.Path) {
		return f.base.RoundTrip(r)
	}
	f.mu.Lock()
	f.now++
	f.max = max(f.max, f.now)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	}()
	return f.base.RoundTrip(r)
}

func (f *inFlight) Max() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.max
}

// resultsFixture is a mass send to 16 customers of 4 members where alice
// sent to all 4 of hers, bob to 3 (his first customer had reached the
// quota), carol left before sending (4 not friends) and dave has not sent.
func resultsFixture(t *testing.T, srv *wecomtest.Server, svc *message.Service) (msgID string, ids []string) {
	t.Helper()
	ids = testkit.Seed(t, srv, 16, "alice", "bob", "carol", "dave")
	srv.Corp(srv.CorpID).Messages().SetMassSendQuota(1)
	pre, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ExternalUserID: ids[1:2], Text: text("earlier")})
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(pre.MsgID, ""))

	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ExternalUserID: ids, Text: text("sale")})
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, "alice"))
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, "bob"))
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("carol"))
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, "carol"))
	return resp.MsgID, ids
}

func TestMassSendResults_Aggregates(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	flight := &inFlight{base: srv.HTTPClient().Transport, match: func(p string) bool { return strings.HasSuffix(p, "get_groupmsg_send_result") }}
	svc := message.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: flight})))
	msgID, ids := resultsFixture(t, srv, svc)
	srv.Corp(srv.CorpID).SetContactPageLimit(3) // several pages per sender
	srv.Fail("/cgi-bin/externalcontact/get_groupmsg_send_result", wecomtest.Fault{Latency: 5 * time.Millisecond, Times: -1})
	srv.ResetRequests()

	seen := map[string]message.SendStatus{}
	now := time.Now()
	rep, err := svc.MassSendResults(t.Context(), &message.MassSendResultsRequest{MsgID: msgID, Concurrency: 2,
		StartTime: now.Add(-time.Hour), EndTime: now.Add(time.Hour)}, func(r *message.SendResult) error {
		_, dup := seen[r.ExternalUserID]
		assert.False(t, dup, "each recipient once")
		seen[r.ExternalUserID] = r.Status
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, msgID, rep.MsgID)
	require.NotNil(t, rep.Record)
	assert.Equal(t, "sale", rep.Record.Text.Content)
	assert.Equal(t, message.SendTotals{NotSent: 4, Sent: 7, Failed: message.SendFailures{NotFriend: 4, Quota: 1}}, rep.Totals)
	assert.Equal(t, 5, rep.Totals.Failed.Total())
	assert.Equal(t, 16, rep.Totals.Total())
	assert.Len(t, seen, 16)
	assert.Equal(t, message.SendQuotaReached, seen[ids[1]])
	assert.Equal(t, 3, rep.SendersSent)
	got := map[string]message.SendTotals{}
	for _, sr := range rep.Senders {
		got[sr.Task.UserID] = sr.Totals
		assert.Equal(t, sr.Task.UserID != "dave", sr.Task.Status == message.TaskSent)
	}
	assert.Equal(t, map[string]message.SendTotals{
		"alice": {Sent: 4}, "bob": {Sent: 3, Failed: message.SendFailures{Quota: 1}},
		"carol": {Failed: message.SendFailures{NotFriend: 4}}, "dave": {NotSent: 4},
	}, got)
	// Every page of every sender was read, never more than 2 senders at once.
	assert.Equal(t, 8, srv.Count("/cgi-bin/externalcontact/get_groupmsg_send_result"), "4 senders × 2 pages")
	assert.LessOrEqual(t, flight.Max(), 2)
	assert.GreaterOrEqual(t, flight.Max(), 1)

	// Totals of several tasks add up.
	var sum message.SendTotals
	sum.Add(rep.Totals)
	sum.Add(message.SendTotals{NotSent: 1, Sent: 2, Failed: message.SendFailures{NotFriend: 3, Quota: 4, Other: 5}})
	assert.Equal(t, message.SendTotals{NotSent: 5, Sent: 9, Failed: message.SendFailures{NotFriend: 7, Quota: 5, Other: 5}}, sum)

	// Without a window the record is not looked up; each may be nil.
	srv.ResetRequests()
	rep, err = svc.MassSendResults(t.Context(), &message.MassSendResultsRequest{MsgID: msgID}, nil)
	require.NoError(t, err)
	assert.Nil(t, rep.Record)
	assert.Equal(t, 16, rep.Totals.Total())
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/get_groupmsg_list_v2"))
}

func TestMassSendResults_Stops(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	msgID, _ := resultsFixture(t, srv, svc)
	srv.Corp(srv.CorpID).SetContactPageLimit(1)

	// each's error stops the reading and is returned.
	stop := errors.New("enough")
	calls := 0
	_, err := svc.MassSendResults(t.Context(), &message.MassSendResultsRequest{MsgID: msgID, Concurrency: 1}, func(*message.SendResult) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 2, calls, "each is not called after it failed")

	// A failing page is returned. (Every answer fails: a request the
	// stopped reading had under way may still reach the server.)
	srv.Fail("/cgi-bin/externalcontact/get_groupmsg_send_result", wecomtest.Fault{Errcode: 48002, Times: -1})
	_, err = svc.MassSendResults(t.Context(), &message.MassSendResultsRequest{MsgID: msgID}, nil)
	testkit.WantCode(t, err, 48002)
	srv.ClearFaults()

	_, err = svc.MassSendResults(t.Context(), &message.MassSendResultsRequest{}, nil)
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	_, err = svc.MassSendResults(t.Context(), nil, nil)
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	now := time.Now()
	_, err = svc.MassSendResults(t.Context(), &message.MassSendResultsRequest{MsgID: msgID, StartTime: now.AddDate(0, -2, 0), EndTime: now}, nil)
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
}

// Right after AddMsgTemplate WeCom answers 41063 while it dispatches the
// send; MassSendResults waits for it, with growing pauses, as
// MomentJob.Wait does, so the report can be read straight after sending.
func TestMassSendResults_WaitsWhileDispatching(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	ids := testkit.Seed(t, srv, 3, "alice")
	srv.Corp(srv.CorpID).Messages().SetMassSendDispatchDelay(10 * time.Second)
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ExternalUserID: ids, Text: text("sale")})
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, ""))
	now := clock.Now()
	rep, err := svc.MassSendResults(t.Context(), &message.MassSendResultsRequest{MsgID: resp.MsgID, Sleep: clock.Sleep,
		StartTime: now.Add(-time.Hour), EndTime: now.Add(time.Hour)}, nil)
	require.NoError(t, err)
	assert.Equal(t, message.SendTotals{Sent: 3}, rep.Totals)
	require.NotNil(t, rep.Record, "listed once dispatched")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}, clock.Sleeps())
	assert.Equal(t, 5, srv.Count("/cgi-bin/externalcontact/get_groupmsg_task"), "4 answers 41063, then the tasks")

	// The context ends the wait.
	resp, err = svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ExternalUserID: ids, Text: text("later")})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	pauses := 0
	_, err = svc.MassSendResults(ctx, &message.MassSendResultsRequest{MsgID: resp.MsgID, Interval: time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if pauses++; pauses == 2 {
				cancel()
			}
			return clock.Sleep(ctx, d)
		}}, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, pauses)
}
