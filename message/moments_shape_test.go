package message_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/message"
)

func TestShape_AddMomentTask(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("add_moment_task", `{"text":{"content":"hi"},"attachments":[{"msgtype":"link","link":{"title":"T","url":"https://l.invalid","media_id":"M"}}],
		"visible_range":{"sender_list":{"user_list":["zhangsan"],"department_list":[2,3]},"external_contact_list":{"tag_list":["et1"]}}}`),
		`{"errcode":0,"errmsg":"ok","jobid":"job1"}`)
	jobID, err := svc.AddMomentTask(t.Context(), &message.AddMomentTaskRequest{Text: text("hi"),
		Attachments: []message.MomentAttachment{{MsgType: message.MsgLink, Link: &message.MomentLink{Title: "T", URL: "https://l.invalid", MediaID: "M"}}},
		VisibleRange: &message.VisibleRange{SenderList: &message.SenderList{UserList: []string{"zhangsan"}, DepartmentList: []int{2, 3}},
			ExternalContactList: &message.ExternalContactList{TagList: []string{"et1"}}}})
	require.NoError(t, err)
	assert.Equal(t, "job1", jobID)
}

func TestShape_GetMomentTaskResult(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: momentResultPath, Query: url.Values{"jobid": {"job1"}}},
		`{"errcode":0,"errmsg":"ok","status":3,"type":"add_moment_task","result":{"errcode":0,"errmsg":"ok","moment_id":"mom1",
		"invalid_sender_list":{"user_list":["lisi"],"department_list":[3]},"invalid_external_contact_list":{"tag_list":["et9"]}}}`)
	res, err := svc.GetMomentTaskResult(t.Context(), "job1")
	require.NoError(t, err)
	assert.Equal(t, &message.MomentTaskResult{Status: message.MomentTaskFinished, Type: "add_moment_task", Result: &message.MomentTaskOutcome{
		ErrMsg: "ok", MomentID: "mom1", InvalidSenderList: &message.SenderList{UserList: []string{"lisi"}, DepartmentList: []int{3}},
		InvalidExternalContactList: &message.ExternalContactList{TagList: []string{"et9"}}}}, res)
}

func TestShape_CancelMomentTask(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("cancel_moment_task", `{"moment_id":"mom1"}`), "")
	require.NoError(t, svc.CancelMomentTask(t.Context(), "mom1"))
}
