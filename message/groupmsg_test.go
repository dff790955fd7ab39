package message_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func window(from, to time.Time) *message.ListGroupMsgsRequest {
	return &message.ListGroupMsgsRequest{StartTime: wecom.UnixTime(from.Unix()), EndTime: wecom.UnixTime(to.Unix())}
}

func TestListGroupMsgs_PagesAndFilters(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	testkit.Seed(t, srv, 2, "alice")
	md, err := srv.Client().UploadMedia(t.Context(), wecom.MediaFile, "terms.pdf", strings.NewReader("terms and conditions"))
	require.NoError(t, err)
	var sent []string
	for i := range 5 {
		resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Text: text("news " + string(rune('A'+i))),
			Attachments: []message.Attachment{message.FileAttachment(md.MediaID)}})
		require.NoError(t, err)
		sent = append(sent, resp.MsgID)
	}
	now := time.Now()
	req := window(now.Add(-time.Hour), now.Add(time.Hour))
	req.Limit = 2
	var got []string
	for m, err := range svc.ListGroupMsgsIter(t.Context(), req) {
		require.NoError(t, err)
		got = append(got, m.MsgID)
		assert.Empty(t, m.Creator, "API tasks have no creator")
		assert.Equal(t, message.CreateTypeCorp, m.CreateType)
		assert.InDelta(t, now.Unix(), int64(m.CreateTime), 60, "create_time (a string on the wire) decodes")
		require.Len(t, m.Attachments, 1)
		assert.Equal(t, md.MediaID, m.Attachments[0].File.MediaID)
	}
	assert.Equal(t, sent, got)
	assert.Equal(t, 2, req.Limit, "request not modified")
	assert.Empty(t, req.Cursor)
	assert.Equal(t, 3, srv.Count("/cgi-bin/externalcontact/get_groupmsg_list_v2"), "pages of 2, 2 and 1")

	// Member-created records, or those of a creator: the API made none.
	req = window(now.Add(-time.Hour), now.Add(time.Hour))
	req.FilterType = message.CreatedByMember
	page, err := svc.ListGroupMsgs(t.Context(), req)
	require.NoError(t, err)
	assert.Empty(t, page.GroupMsgList)
	req.FilterType, req.Creator = message.CreatedByCorp, "alice"
	page, err = svc.ListGroupMsgs(t.Context(), req)
	require.NoError(t, err)
	assert.Empty(t, page.GroupMsgList)
	req.Creator = ""
	page, err = svc.ListGroupMsgs(t.Context(), req)
	require.NoError(t, err)
	assert.Len(t, page.GroupMsgList, 5)
	// Outside the window.
	page, err = svc.ListGroupMsgs(t.Context(), window(now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
	require.NoError(t, err)
	assert.Empty(t, page.GroupMsgList)

	// One month at most (a calendar month, China time).
	jan31 := time.Date(2026, 1, 31, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, bad := range []*message.ListGroupMsgsRequest{
		nil,
		{},
		window(now, now.Add(-time.Second)),
		window(jan31, jan31.AddDate(0, 1, 1)), // Jan 31 + 1 month = Mar 3
		{ChatType: "all", StartTime: 1, EndTime: 2},
		{StartTime: 1, EndTime: 2, Limit: -1},
	} {
		_, err := svc.ListGroupMsgs(t.Context(), bad)
		assert.ErrorIs(t, err, message.ErrInvalidArgument, "%+v", bad)
	}
	_, err = svc.ListGroupMsgs(t.Context(), window(jan31, jan31.AddDate(0, 1, 0)))
	assert.NoError(t, err)
	// The fake answers a longer window as WeCom does.
	err = srv.Client().Post(t.Context(), "/cgi-bin/externalcontact/get_groupmsg_list_v2", map[string]any{
		"chat_type": "single", "start_time": now.Unix(), "end_time": now.AddDate(0, 2, 0).Unix()}, nil)
	testkit.WantCode(t, err, 40058)
}

func TestGroupMsgTaskAndResults_Page(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	staff := []string{"s1", "s2", "s3", "s4", "s5"}
	ids := testkit.Seed(t, srv, 20, staff...)
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ExternalUserID: ids, Text: text("hi")})
	require.NoError(t, err)
	srv.Corp(srv.CorpID).SetContactPageLimit(2) // pages of 2 whatever the limit asked
	var senders []string
	for task, err := range svc.GetGroupMsgTaskIter(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: resp.MsgID, Limit: 1000}) {
		require.NoError(t, err)
		senders = append(senders, task.UserID)
		assert.Zero(t, task.SendTime)
	}
	assert.Equal(t, staff, senders)
	assert.Equal(t, 3, srv.Count("/cgi-bin/externalcontact/get_groupmsg_task"))
	assert.Len(t, recipients(t, svc, resp.MsgID, "s1"), 4)
	assert.Empty(t, recipients(t, svc, resp.MsgID, "nobody"))

	// A break stops paging.
	n := 0
	for range svc.GetGroupMsgSendResultIter(t.Context(), &message.GetGroupMsgSendResultRequest{MsgID: resp.MsgID, UserID: "s2"}) {
		n++
		break
	}
	assert.Equal(t, 1, n)

	_, err = svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: "msgUnknown"})
	testkit.WantCode(t, err, 41047)
	for _, bad := range []error{
		first(svc.GetGroupMsgTask(t.Context(), nil)),
		first(svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{})),
		first(svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: "m", Limit: -1})),
		first(svc.GetGroupMsgSendResult(t.Context(), nil)),
		first(svc.GetGroupMsgSendResult(t.Context(), &message.GetGroupMsgSendResultRequest{MsgID: "m"})),
		first(svc.GetGroupMsgSendResult(t.Context(), &message.GetGroupMsgSendResultRequest{MsgID: "m", UserID: "u", Limit: -1})),
	} {
		assert.ErrorIs(t, bad, message.ErrInvalidArgument)
	}
	// A nil request is a zero one: the page method's check is the one
	// error, and nothing is sent.
	srv.ResetRequests()
	var errs []error
	for task, err := range svc.GetGroupMsgTaskIter(t.Context(), nil) {
		assert.Nil(t, task)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], message.ErrInvalidArgument)
	assert.EqualError(t, errs[0], "message: MsgID is required")
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/get_groupmsg_task"))
}

func first[T any](_ T, err error) error { return err }

func TestGroupMsg_DispatchingAnswer(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	testkit.Seed(t, srv, 1, "alice")
	srv.Corp(srv.CorpID).Messages().SetMassSendDispatchDelay(3 * time.Second)
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Text: text("hi")})
	require.NoError(t, err)
	_, err = svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: resp.MsgID})
	assert.True(t, message.IsDispatching(err), "err = %v", err)
	clock.Advance(3 * time.Second)
	_, err = svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: resp.MsgID})
	assert.NoError(t, err)
	assert.False(t, message.IsDispatching(err))

	// A delay below a second applies every time, whatever the fraction of
	// the second the task is created in.
	for _, frac := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, 999 * time.Millisecond} {
		clock.Set(clock.Now().Truncate(time.Second).Add(time.Second + frac))
		srv.Corp(srv.CorpID).Messages().SetMassSendDispatchDelay(500 * time.Millisecond)
		resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Text: text("hi")})
		require.NoError(t, err)
		_, err = svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: resp.MsgID})
		assert.True(t, message.IsDispatching(err), "created at +%v: err = %v", frac, err)
		clock.Advance(500 * time.Millisecond)
		_, err = svc.GetGroupMsgTask(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: resp.MsgID})
		assert.NoError(t, err, "created at +%v", frac)
	}
}

func TestCancelAndRemind(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	testkit.Seed(t, srv, 2, "alice", "bob")
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Text: text("hi")})
	require.NoError(t, err)

	const remindPath = "/cgi-bin/externalcontact/remind_groupmsg_send"
	for range 3 {
		require.NoError(t, svc.RemindGroupMsgSend(t.Context(), resp.MsgID))
	}
	err = svc.RemindGroupMsgSend(t.Context(), resp.MsgID)
	assert.ErrorIs(t, err, message.ErrRemindLimit)
	assert.Equal(t, 3, srv.Count(remindPath), "the fourth was not sent")
	// Another Service (another instance) does not know; WeCom refuses it.
	err = message.New(srv.Client()).RemindGroupMsgSend(t.Context(), resp.MsgID)
	testkit.WantCode(t, err, 45009)
	// A reminder WeCom refuses is not counted.
	other, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "bob", Text: text("hi")})
	require.NoError(t, err)
	srv.Fail(remindPath, wecomtest.Fault{Errcode: 48002, Times: 3})
	for range 3 {
		testkit.WantCode(t, svc.RemindGroupMsgSend(t.Context(), other.MsgID), 48002)
	}
	assert.NoError(t, svc.RemindGroupMsgSend(t.Context(), other.MsgID))

	require.NoError(t, svc.CancelGroupMsgSend(t.Context(), resp.MsgID))
	require.NoError(t, svc.CancelGroupMsgSend(t.Context(), resp.MsgID), "cancelling twice is fine")
	assert.True(t, errors.Is(srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, "alice"), wecomtest.ErrMassSendCanceled))
	testkit.WantCode(t, svc.CancelGroupMsgSend(t.Context(), "msgUnknown"), 41047)
	testkit.WantCode(t, svc.RemindGroupMsgSend(t.Context(), "msgUnknown"), 41047)
	assert.ErrorIs(t, svc.CancelGroupMsgSend(t.Context(), ""), message.ErrInvalidArgument)
	assert.ErrorIs(t, svc.RemindGroupMsgSend(t.Context(), ""), message.ErrInvalidArgument)
}
