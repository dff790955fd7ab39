package message_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	momentAddPath    = "/cgi-bin/externalcontact/add_moment_task"
	momentResultPath = "/cgi-bin/externalcontact/get_moment_task_result"
)

func momentWindow(clock *testkit.Clock) *message.ListMomentsRequest {
	return &message.ListMomentsRequest{StartTime: wecom.UnixTime(clock.Now().Add(-time.Hour).Unix()),
		EndTime: wecom.UnixTime(clock.Now().Add(time.Hour).Unix())}
}

func TestMoments_TaskPollingAndRecords(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	ids := testkit.Seed(t, srv, 6, "alice", "bob") // alice: 0,2,4; bob: 1,3,5
	vip := tag(t, srv, "VIP", "alice", ids[0], ids[2])
	tag(t, srv, "VIP too", "bob", ids[1]) // another tag: bob's customers are not VIP
	srv.Corp(srv.CorpID).Messages().SetMomentJobDelay(5 * time.Second)

	var atts []message.MomentAttachment
	for _, name := range []string{"a.jpg", "b.jpg"} {
		a, err := svc.MomentAttachment(t.Context(), message.MsgImage, wecom.MediaFromBytes(name, []byte("jpeg bytes of "+name)))
		require.NoError(t, err)
		atts = append(atts, a)
	}
	jobID, err := svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{
		Text: text("New collection"), Attachments: atts,
		VisibleRange: &message.VisibleRange{
			SenderList:          &message.SenderList{UserList: []string{"alice", "bob", "ghost"}, DepartmentList: []int{7}},
			ExternalContactList: &message.ExternalContactList{TagList: []string{vip, "etUnknown"}},
		},
	})
	require.NoError(t, err)

	// Polled with growing pauses on the fake clock; no real sleeping.
	job := svc.MomentJob(jobID)
	job.Interval, job.MaxInterval, job.Sleep = time.Second, 2*time.Second, clock.Sleep
	out, err := job.Wait(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 2 * time.Second}, clock.Sleeps())
	assert.Equal(t, 4, srv.Count(momentResultPath))
	require.NotEmpty(t, out.MomentID)
	assert.Equal(t, []string{"ghost"}, out.InvalidSenderList.UserList)
	assert.Equal(t, []int{7}, out.InvalidSenderList.DepartmentList)
	assert.Equal(t, []string{"etUnknown"}, out.InvalidExternalContactList.TagList)

	// The post is listed; it is partly visible (tags were given).
	var moments []*message.Moment
	for m, err := range svc.ListMomentsIter(t.Context(), momentWindow(clock)) {
		require.NoError(t, err)
		moments = append(moments, m)
	}
	require.Len(t, moments, 1)
	m := moments[0]
	assert.Equal(t, out.MomentID, m.MomentID)
	assert.Equal(t, message.VisiblePartly, m.VisibleType)
	assert.Equal(t, message.CreateTypeCorp, m.CreateType)
	assert.Equal(t, "New collection", m.Text.Content)
	require.Len(t, m.Image, 2) // the files, as the post's media ids name them
	media := srv.Corp(srv.CorpID).Media()
	assert.Equal(t, "a.jpg", media[m.Image[0].MediaID].Name)
	assert.Equal(t, "b.jpg", media[m.Image[1].MediaID].Name)

	// Who was asked, who posted, who it was for, who sees it.
	publishStatus := func() map[string]message.PublishStatus {
		got := map[string]message.PublishStatus{}
		for task, err := range svc.GetMomentTaskIter(t.Context(), &message.GetMomentTaskRequest{MomentID: m.MomentID}) {
			require.NoError(t, err)
			got[task.UserID] = task.PublishStatus
		}
		return got
	}
	assert.Equal(t, map[string]message.PublishStatus{"alice": 0, "bob": 0}, publishStatus())
	_, err = svc.GetMomentSendResult(t.Context(), &message.GetMomentSendResultRequest{MomentID: m.MomentID, UserID: "alice"})
	assert.True(t, message.IsNotPostedBy(err), "err = %v", err)
	require.NoError(t, srv.Corp(srv.CorpID).Messages().PublishMoment(m.MomentID, "alice"))
	assert.Equal(t, map[string]message.PublishStatus{"alice": 1, "bob": 0}, publishStatus())

	customers := func(seq func(yield func(*message.MomentCustomer, error) bool)) []string {
		var out []string
		for c, err := range seq {
			require.NoError(t, err)
			out = append(out, c.ExternalUserID)
		}
		return out
	}
	assert.Equal(t, []string{ids[0], ids[2]}, customers(svc.ListMomentCustomersIter(t.Context(),
		&message.ListMomentCustomersRequest{MomentID: m.MomentID, UserID: "alice"})), "VIPs only")
	assert.Equal(t, []string{ids[0], ids[2]}, customers(svc.GetMomentSendResultIter(t.Context(),
		&message.GetMomentSendResultRequest{MomentID: m.MomentID, UserID: "alice"})))
	assert.Empty(t, customers(svc.ListMomentCustomersIter(t.Context(), &message.ListMomentCustomersRequest{MomentID: m.MomentID, UserID: "bob"})))
	_, err = svc.ListMomentCustomers(t.Context(), &message.ListMomentCustomersRequest{MomentID: m.MomentID, UserID: "carol"})
	assert.True(t, message.IsNotPostedBy(err))

	require.NoError(t, srv.Corp(srv.CorpID).Messages().AddMomentReaction(m.MomentID, "alice", ids[0], false))
	require.NoError(t, srv.Corp(srv.CorpID).Messages().AddMomentReaction(m.MomentID, "alice", ids[2], true))
	comments, err := svc.GetMomentComments(t.Context(), m.MomentID, "alice")
	require.NoError(t, err)
	require.Len(t, comments.CommentList, 1)
	assert.Equal(t, ids[0], comments.CommentList[0].ExternalUserID)
	assert.Equal(t, clock.Now().Unix(), int64(comments.CommentList[0].CreateTime))
	require.Len(t, comments.LikeList, 1)
	assert.Equal(t, ids[2], comments.LikeList[0].ExternalUserID)

	// Cancelled: bob can no longer post it.
	require.NoError(t, svc.CancelMomentTask(t.Context(), m.MomentID))
	assert.Error(t, srv.Corp(srv.CorpID).Messages().PublishMoment(m.MomentID, "bob"))
	assert.True(t, message.IsInvalidMomentID(svc.CancelMomentTask(t.Context(), "momUnknown")))
	_, err = svc.GetMomentTask(t.Context(), &message.GetMomentTaskRequest{MomentID: "momUnknown"})
	assert.True(t, message.IsInvalidMomentID(err))
}

func TestMoments_VisibleRanges(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	ids := testkit.Seed(t, srv, 4, "alice", "bob", "carol") // carol: 2
	vip := tag(t, srv, "VIP", "carol", ids[2])
	img, err := svc.MomentAttachment(t.Context(), message.MsgImage, wecom.MediaFromBytes("p.jpg", []byte("jpeg jpeg")))
	require.NoError(t, err)
	senders := func(vr *message.VisibleRange) []string {
		t.Helper()
		jobID, err := svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Attachments: []message.MomentAttachment{img}, VisibleRange: vr})
		require.NoError(t, err)
		job := svc.MomentJob(jobID)
		job.Sleep = clock.Sleep
		out, err := job.Wait(t.Context())
		require.NoError(t, err)
		var got []string
		for task, err := range svc.GetMomentTaskIter(t.Context(), &message.GetMomentTaskRequest{MomentID: out.MomentID}) {
			require.NoError(t, err)
			got = append(got, task.UserID)
		}
		return got
	}
	assert.Equal(t, []string{"alice", "bob", "carol"}, senders(nil), "everyone in the app's visibility")
	assert.Equal(t, []string{"carol"}, senders(&message.VisibleRange{ExternalContactList: &message.ExternalContactList{TagList: []string{vip}}}),
		"the followers of the tagged customers")
	assert.Equal(t, []string{"alice", "bob", "carol"}, senders(&message.VisibleRange{SenderList: &message.SenderList{DepartmentList: []int{1}}}),
		"the fake's root department holds every member")
}

func TestMomentJob_FailsAndStops(t *testing.T) {
	t.Parallel()
	// A job that finished with an error returns its outcome and the error.
	c, mock := shapetest.New(t)
	mock.Expect(shapetest.Call{Method: "GET", Path: momentResultPath, Query: map[string][]string{"jobid": {"job1"}}},
		`{"errcode":0,"errmsg":"ok","status":3,"type":"add_moment_task","result":{"errcode":41072,"errmsg":"media type mismatch","moment_id":""}}`)
	out, err := message.New(c).MomentJob("job1").Wait(t.Context())
	testkit.WantCode(t, err, 41072)
	require.NotNil(t, out)
	assert.Equal(t, "media type mismatch", out.ErrMsg)

	// The context ends the wait.
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	testkit.Seed(t, srv, 1, "alice")
	srv.Corp(srv.CorpID).Messages().SetMomentJobDelay(time.Hour)
	jobID, err := svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("later")})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	job := svc.MomentJob(jobID)
	polls := 0
	job.Sleep = func(ctx context.Context, d time.Duration) error {
		if polls++; polls == 3 {
			cancel()
		}
		return clock.Sleep(ctx, d)
	}
	_, err = job.Wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, srv.Count(momentResultPath))

	// The job's 24-hour life bounds the wait.
	srv.Corp(srv.CorpID).Messages().SetMomentJobDelay(48 * time.Hour)
	jobID, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("much later")})
	require.NoError(t, err)
	job = svc.MomentJob(jobID)
	job.Sleep, job.MaxInterval = clock.Sleep, 2*time.Hour
	_, err = job.Wait(t.Context())
	assert.ErrorIs(t, err, message.ErrMomentJobUnfinished)
	assert.ErrorContains(t, err, "still not finished")
	assert.Equal(t, 24*time.Hour, sum(clock.Sleeps()[2:]), "waited out the job's lifetime")
	// Past its 24 hours WeCom (and the fake) no longer knows the job id.
	clock.Advance(time.Second)
	_, err = svc.GetMomentTaskResult(t.Context(), jobID)
	testkit.WantCode(t, err, 40088)
	// A wait started late gives up at the job's life too, not 24 hours
	// after it started: the job id's expiry is WeCom's answer.
	jobID, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("even later")})
	require.NoError(t, err)
	clock.Advance(23 * time.Hour)
	job = svc.MomentJob(jobID)
	job.Sleep, job.MaxInterval = clock.Sleep, 2*time.Hour
	_, err = job.Wait(t.Context())
	assert.ErrorIs(t, err, message.ErrMomentJobUnfinished)
	testkit.WantCode(t, err, 40088)

	_, err = svc.GetMomentTaskResult(t.Context(), "jobUnknown")
	testkit.WantCode(t, err, 40088)
	_, err = svc.GetMomentTaskResult(t.Context(), "")
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	_, err = svc.GetMomentTaskResult(t.Context(), strings.Repeat("j", 65))
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func TestAddMomentTask_Limits(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	testkit.Seed(t, srv, 1, "alice")
	img := message.MomentAttachment{MsgType: message.MsgImage, Image: &message.MomentMedia{MediaID: "m"}}
	video := message.MomentAttachment{MsgType: message.MsgVideo, Video: &message.MomentMedia{MediaID: "m"}}
	link := message.MomentAttachment{MsgType: message.MsgLink, Link: &message.MomentLink{Title: "t", URL: "https://e.invalid", MediaID: "m"}}
	repeat := func(a message.MomentAttachment, n int) []message.MomentAttachment {
		out := make([]message.MomentAttachment, n)
		for i := range out {
			out[i] = a
		}
		return out
	}
	for i, bad := range []*message.AddMomentTaskRequest{
		nil,
		{},
		{Text: text("")},
		{Text: text(strings.Repeat("字", 2001))},
		{Attachments: repeat(img, 10)},
		{Attachments: repeat(video, 2)},
		{Attachments: repeat(link, 2)},
		{Attachments: []message.MomentAttachment{img, video}},
		{Attachments: []message.MomentAttachment{{MsgType: message.MsgFile}}},
		{Attachments: []message.MomentAttachment{{MsgType: message.MsgImage}}},
		{Attachments: []message.MomentAttachment{{MsgType: message.MsgVideo, Video: &message.MomentMedia{}}}},
		{Attachments: []message.MomentAttachment{{MsgType: message.MsgLink, Link: &message.MomentLink{URL: "https://e.invalid"}}}},
		{Attachments: []message.MomentAttachment{{MsgType: message.MsgLink, Link: &message.MomentLink{Title: strings.Repeat("t", 65), URL: "u", MediaID: "m"}}}},
		{Text: text("x"), VisibleRange: &message.VisibleRange{SenderList: &message.SenderList{UserList: make([]string, 100_001)}}},
	} {
		_, err := svc.AddMomentTask(t.Context(), bad)
		assert.ErrorIs(t, err, message.ErrInvalidArgument, "request %d", i)
	}
	assert.Zero(t, srv.Count(momentAddPath))
	_, err := svc.MomentAttachment(t.Context(), message.MsgFile, wecom.MediaFromBytes("f", []byte("file data")))
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	_, err = svc.MomentLinkAttachment(t.Context(), &message.MomentLinkAttachmentRequest{Title: "t",
		Cover: wecom.MediaFromBytes("c.jpg", []byte("cover jpeg"))})
	assert.ErrorIs(t, err, message.ErrInvalidArgument)

	// The fake answers what the SDK cannot know: media from media/upload,
	// a video given as an image.
	tmp, err := srv.Client().UploadMedia(t.Context(), wecom.MediaImage, "t.jpg", strings.NewReader("temporary jpeg"))
	require.NoError(t, err)
	vid, err := svc.MomentAttachment(t.Context(), message.MsgVideo, wecom.MediaFromBytes("v.mp4", []byte("mp4 video bytes")))
	require.NoError(t, err)
	_, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Attachments: []message.MomentAttachment{
		{MsgType: message.MsgImage, Image: &message.MomentMedia{MediaID: tmp.MediaID}}}})
	testkit.WantCode(t, err, 40007)
	_, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Attachments: []message.MomentAttachment{
		{MsgType: message.MsgImage, Image: &message.MomentMedia{MediaID: vid.Video.MediaID}}}})
	testkit.WantCode(t, err, 41072)
	linkAtt, err := svc.MomentLinkAttachment(t.Context(), &message.MomentLinkAttachmentRequest{Title: "Our shop",
		URL: "https://example.invalid/shop", Cover: wecom.MediaFromBytes("c.jpg", []byte("cover jpeg"))})
	require.NoError(t, err)
	_, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Attachments: []message.MomentAttachment{linkAtt}})
	require.NoError(t, err)

	// 10 tasks a minute per corp (WeCom's limit, enforced by the fake).
	srv.ResetRequests()
	clock.Advance(time.Minute)
	for i := range message.MomentTasksPerMinute {
		_, err := svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("post")})
		require.NoError(t, err, "task %d", i+1)
	}
	_, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("post")})
	assert.True(t, wecom.IsRateLimited(err), "err = %v", err)
	assert.False(t, errors.Is(err, wecom.ErrOutcomeUnknown), "refused, so nothing was created")
	assert.Equal(t, 11, srv.Count(momentAddPath), "a create is not retried after 45009")
	clock.Advance(time.Minute)
	_, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("post")})
	require.NoError(t, err)

	// Lost answers are not re-sent.
	srv.Fail(momentAddPath, wecomtest.Fault{Drop: true})
	_, err = svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("post")})
	var mc *wecom.MaybeCreatedError
	require.True(t, errors.As(err, &mc), "err = %v", err)
	assert.Contains(t, mc.Hint, "get_moment_list")
}
