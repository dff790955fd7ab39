package message_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%06d", prefix, i)
	}
	return out
}

func TestMassSendRequest_TasksAreTheFewest(t *testing.T) {
	t.Parallel()
	hi := text("hi")
	sizes := func(tasks []*message.AddMsgTemplateRequest) []int {
		var out []int
		for _, tk := range tasks {
			out = append(out, len(tk.ExternalUserID)+len(tk.ChatIDList))
		}
		return out
	}

	// 25,001 customers given with repeats and blanks: 3 tasks of at most 10,000.
	ids := numbered("wm", 25_001)
	withRepeats := append(append(append([]string{}, ids...), ids[:500]...), "", "")
	tasks, err := (&message.MassSendRequest{Audience: message.Audience{ExternalUserIDs: withRepeats, Senders: []string{"alice"}}, Text: hi}).Tasks()
	require.NoError(t, err)
	assert.Equal(t, []int{10_000, 10_000, 5_001}, sizes(tasks))
	for _, tk := range tasks {
		assert.Equal(t, "alice", tk.Sender)
		assert.Equal(t, message.ChatSingle, tk.ChatType)
		assert.Same(t, hi, tk.Text)
	}
	assert.Equal(t, ids[20_000:], tasks[2].ExternalUserID, "order kept")

	// Exactly 10,000: one task.
	tasks, err = (&message.MassSendRequest{Audience: message.Audience{ExternalUserIDs: ids[:10_000]}, Text: hi}).Tasks()
	require.NoError(t, err)
	assert.Equal(t, []int{10_000}, sizes(tasks))
	assert.Empty(t, tasks[0].Sender)

	// Groups: each sender's in tasks of 2,000; a sender without ids picks in the client.
	tasks, err = (&message.MassSendRequest{Audience: message.Audience{Groups: map[string][]string{
		"zed": nil, "amy": numbered("wr", 4_500)}}, Text: hi}).Tasks()
	require.NoError(t, err)
	assert.Equal(t, []int{2_000, 2_000, 500, 0}, sizes(tasks))
	assert.Equal(t, []string{"amy", "amy", "amy", "zed"}, []string{tasks[0].Sender, tasks[1].Sender, tasks[2].Sender, tasks[3].Sender})
	assert.Equal(t, message.ChatGroup, tasks[3].ChatType)

	// Senders: one task each (repeats dropped), the filter on each.
	vip := message.AnyTag("etVIP")
	tasks, err = (&message.MassSendRequest{Audience: message.Audience{Senders: []string{"a", "b", "a"}, TagFilter: vip}, Text: hi, AllowSelect: true}).Tasks()
	require.NoError(t, err)
	require.Len(t, tasks, 2)
	assert.Same(t, vip, tasks[1].TagFilter)
	assert.True(t, tasks[1].AllowSelect)

	// A tag filter alone: one task.
	tasks, err = (&message.MassSendRequest{Audience: message.Audience{TagFilter: vip}, Text: hi}).Tasks()
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	assert.Empty(t, tasks[0].Sender)

	for i, bad := range []message.MassSendRequest{
		{Text: hi},
		{Audience: message.Audience{Senders: []string{"a"}}},
		{Audience: message.Audience{Groups: map[string][]string{"a": nil}, Senders: []string{"a"}}, Text: hi},
		{Audience: message.Audience{Groups: map[string][]string{"": {"wr1"}}}, Text: hi},
		{Audience: message.Audience{Groups: map[string][]string{"a": {"wr1"}}}, Text: hi, AllowSelect: true},
		{Audience: message.Audience{ExternalUserIDs: ids[:2], Senders: []string{"a", "b"}}, Text: hi},
		{Audience: message.Audience{ExternalUserIDs: ids[:2], TagFilter: vip}, Text: hi},
		{Audience: message.Audience{TagFilter: message.AnyTag(numbered("et", 101)...)}, Text: hi},
	} {
		_, err := bad.Tasks()
		assert.ErrorIs(t, err, message.ErrInvalidArgument, "request %d", i)
	}
}

func TestMassSend_CreatesEveryTask(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := testkit.Seed(t, srv, 25_001, "alice", "bob", "carol")
	atts := []message.Attachment{}
	att, err := svc.Attachment(t.Context(), message.MsgImage, wecom.MediaFromBytes("sale.png", []byte("png of the sale")))
	require.NoError(t, err)
	atts = append(atts, att)

	tasks, err := svc.MassSend(t.Context(), &message.MassSendRequest{
		Audience: message.Audience{ExternalUserIDs: append(ids, "wmGone")}, Text: text("sale"), Attachments: atts, Concurrency: 2})
	require.NoError(t, err)
	require.Len(t, tasks, 3)
	assert.Equal(t, 3, srv.Count(addPath), "one call per task, the fewest")
	var fails []string
	chunked := 0
	for _, tk := range tasks {
		require.NoError(t, tk.Err)
		require.NotEmpty(t, tk.MsgID)
		fails = append(fails, tk.FailList...)
		chunked += len(tk.Request.ExternalUserID)
	}
	assert.Equal(t, []string{"wmGone"}, fails)
	assert.Equal(t, 25_002, chunked)
	// The last task holds 5,002 ids: 5,001 customers and wmGone.
	last := 0
	for task, err := range svc.GetGroupMsgTaskIter(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: tasks[2].MsgID}) {
		require.NoError(t, err)
		last += len(recipients(t, svc, tasks[2].MsgID, task.UserID))
	}
	assert.Equal(t, 5_001, last)

	// A second send with the same file uploads nothing.
	again, err := svc.Attachment(t.Context(), message.MsgImage, wecom.MediaFromBytes("sale.png", []byte("png of the sale")))
	require.NoError(t, err)
	assert.Equal(t, att.Image.MediaID, again.Image.MediaID)
	assert.Equal(t, 1, srv.Count("/cgi-bin/media/upload"))

	// One failing task does not stop the others; each is created once.
	srv.ResetRequests()
	srv.Fail(addPath, wecomtest.Fault{Errcode: 48002})
	tasks, err = svc.MassSend(t.Context(), &message.MassSendRequest{Audience: message.Audience{Senders: []string{"alice", "bob", "carol"}}, Text: text("hi")})
	require.NoError(t, err)
	failed := 0
	for _, tk := range tasks {
		if tk.Err != nil {
			failed++
			testkit.WantCode(t, tk.Err, 48002)
			assert.Empty(t, tk.MsgID)
		}
	}
	assert.Equal(t, 1, failed)
	assert.Equal(t, 3, srv.Count(addPath))

	_, err = svc.MassSend(t.Context(), nil)
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	_, err = svc.Attachment(t.Context(), message.MsgLink, wecom.MediaFromBytes("x", []byte("xxxxxxx")))
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
}
