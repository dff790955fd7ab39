package message_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
)

func TestShape_SendWelcomeMsg(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("send_welcome_msg", `{"welcome_code":"CODE","text":{"content":"hi"},"attachments":[{"msgtype":"file","file":{"media_id":"M"}}]}`), "")
	require.NoError(t, svc.SendWelcomeMsg(t.Context(), &message.SendWelcomeMsgRequest{WelcomeCode: "CODE", Text: text("hi"),
		Attachments: []message.Attachment{message.FileAttachment("M")}}))
}
