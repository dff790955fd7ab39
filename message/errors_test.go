package message_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

// TestRefusalsNameTheLimit: input refused before sending says which field
// and what WeCom allows, so that the limits the package does not export
// are still told to the caller (and nothing is sent).
func TestRefusalsNameTheLimit(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	long := func(n int) string { return strings.Repeat("x", n) }
	nodes := make([]wecom.RangeNode, 3001)
	for i := range nodes {
		nodes[i] = wecom.UserNode("u")
	}
	for _, tc := range []struct {
		err  error
		want string
	}{{
		first(svc.GetGroupMsgTask(ctx, &message.GetGroupMsgTaskRequest{MsgID: "m", Limit: -1})),
		"message: Limit is -1; want 0 (WeCom's default) or more",
	}, {
		first(svc.ListMoments(ctx, &message.ListMomentsRequest{StartTime: 1, EndTime: 2, Limit: -21})),
		"message: Limit is -21; want 0 (WeCom's default) or more",
	}, {
		first(svc.GetMomentSendResult(ctx, &message.GetMomentSendResultRequest{MomentID: "m", UserID: "u", Limit: -5})),
		"message: Limit is -5; want 0 (WeCom's default) or more",
	}, {
		first(svc.AddMsgTemplate(ctx, &message.AddMsgTemplateRequest{Sender: "u", Text: text(long(4001))})),
		"message: Text.Content is 4001 bytes long; WeCom allows at most 4000",
	}, {
		first(svc.AddMsgTemplate(ctx, &message.AddMsgTemplateRequest{Sender: "u", Attachments: []message.Attachment{
			message.LinkAttachment(message.LinkCard{Title: long(129), URL: "https://e.invalid"})}})),
		"message: Attachments[0]: Link.Title is 129 bytes long; WeCom allows at most 128",
	}, {
		first(svc.AddMsgTemplate(ctx, &message.AddMsgTemplateRequest{Sender: "u", Text: text("x"),
			TagFilter: message.AnyTag(make([]string, 101)...)})),
		"message: TagFilter.GroupList[0] has 101 tags; WeCom allows at most 100",
	}, {
		first(svc.AddGroupWelcomeTemplate(ctx, &message.AddGroupWelcomeTemplateRequest{
			GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text(long(3001))}})),
		"message: Text.Content is 3001 bytes long; WeCom allows at most 3000",
	}, {
		first(svc.AddMomentTask(ctx, &message.AddMomentTaskRequest{Text: text(strings.Repeat("字", 2001))})),
		"message: Text.Content is 2001 characters long; WeCom allows at most 2000",
	}, {
		first(svc.AddMomentTask(ctx, &message.AddMomentTaskRequest{Text: text(strings.Repeat("字", 1000) + strings.Repeat("😀", 300))})),
		"message: Text.Content is 4200 bytes long; WeCom allows at most 4000",
	}, {
		first(svc.MomentLinkAttachment(ctx, &message.MomentLinkAttachmentRequest{Title: long(65), URL: "https://e.invalid",
			Cover: wecom.MediaFromBytes("c.jpg", []byte("jpeg"))})),
		"message: Title is 65 bytes long; WeCom allows at most 64",
	}, {
		first(svc.CreateMomentStrategy(ctx, &message.CreateMomentStrategyRequest{StrategyName: "n",
			AdminList: make([]string, 21), Range: nodes[:1]})),
		"message: AdminList has 21 items; WeCom allows at most 20 per call",
	}, {
		first(svc.CreateMomentStrategy(ctx, &message.CreateMomentStrategyRequest{StrategyName: "n",
			AdminList: []string{"a"}, Range: nodes})),
		"message: Range has 3001 items; WeCom allows at most 3000 per call",
	}} {
		testkit.WantInvalid(t, tc.err, message.ErrInvalidArgument)
		assert.EqualError(t, tc.err, tc.want)
	}
	assert.Empty(t, srv.Requests(), "nothing was sent")
	assert.EqualError(t, message.ErrRemindLimit, "message: a mass send may be reminded at most 3 times in 24 hours")
}
