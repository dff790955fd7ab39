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

const welcomePath = "/cgi-bin/externalcontact/send_welcome_msg"

func TestSendWelcomeMsg_OncePerCode(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := testkit.Seed(t, srv, 1, "alice")
	code := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	img, err := svc.Attachment(t.Context(), message.MsgImage, wecom.MediaFromBytes("hello.png", []byte("a welcome picture")))
	require.NoError(t, err)
	req := &message.SendWelcomeMsgRequest{WelcomeCode: code, Text: text("Hi %NICKNAME%, welcome!"), Attachments: []message.Attachment{img,
		message.MiniProgramAttachment(message.MiniProgram{Title: "Shop", PicMediaID: img.Image.MediaID, AppID: "wx0001", Page: "/index"})}}
	require.NoError(t, svc.SendWelcomeMsg(t.Context(), req))
	sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
	require.Len(t, sent, 1)
	assert.Equal(t, wecomtest.SentWelcome{WelcomeCode: code, UserID: "alice", ExternalUserID: ids[0],
		Text: "Hi %NICKNAME%, welcome!", Attachments: []string{"image", "miniprogram"}}, sent[0])

	// The code works once: the second call is told the welcome was delivered.
	err = svc.SendWelcomeMsg(t.Context(), req)
	assert.True(t, message.IsWelcomeCodeUsed(err), "err = %v", err)
	assert.False(t, message.IsWelcomeCodeExpired(err))
	assert.False(t, message.IsWelcomeBeingSentByOtherApp(err))
	assert.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 1)

	// A dropped connection is repeated; the customer is greeted once.
	code2 := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	srv.Fail(welcomePath, wecomtest.Fault{Drop: true})
	require.NoError(t, svc.SendWelcomeMsg(t.Context(), &message.SendWelcomeMsgRequest{WelcomeCode: code2, Text: text("hi")}))
	assert.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 2)
}

func TestSendWelcomeMsg_Predicates(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, svc := setup(t, testkit.WithClock(clock))
	ids := testkit.Seed(t, srv, 1, "alice")
	send := func(code string) error {
		return svc.SendWelcomeMsg(t.Context(), &message.SendWelcomeMsgRequest{WelcomeCode: code, Text: text("hello")})
	}

	// 20 seconds, then the code is invalid.
	early := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	late := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	clock.Advance(message.WelcomeCodeLifetime - time.Second)
	require.NoError(t, send(early))
	clock.Advance(time.Second)
	err := send(late)
	assert.True(t, message.IsWelcomeCodeExpired(err), "err = %v", err)
	assert.False(t, message.IsWelcomeCodeUsed(err))
	assert.True(t, message.IsWelcomeCodeExpired(send("wcNeverIssued")))

	// Another app got the same code: while it sends, 41096; then 41051.
	shared := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(shared, false))
	err = send(shared)
	assert.True(t, message.IsWelcomeBeingSentByOtherApp(err), "err = %v", err)
	assert.False(t, message.IsWelcomeCodeUsed(err))
	assert.False(t, message.IsWelcomeCodeExpired(err))
	require.NoError(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp(shared, true))
	assert.True(t, message.IsWelcomeCodeUsed(send(shared)))
	assert.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 1, "only the early one was ours")
	assert.Error(t, srv.Corp(srv.CorpID).Messages().WelcomeByOtherApp("wcUnknown", true))

	for _, p := range []func(error) bool{message.IsWelcomeCodeExpired, message.IsWelcomeCodeUsed, message.IsWelcomeBeingSentByOtherApp} {
		assert.False(t, p(nil))
		assert.False(t, p(errors.New("41051")))
	}
}

func TestSendWelcomeMsg_RefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ten := make([]message.Attachment, 10)
	for i := range ten {
		ten[i] = message.ImageAttachment("m")
	}
	for i, r := range []*message.SendWelcomeMsgRequest{
		nil,
		{Text: text("hi")},
		{WelcomeCode: "c"},
		{WelcomeCode: "c", Text: text(strings.Repeat("a", 4001))},
		{WelcomeCode: "c", Attachments: ten},
		{WelcomeCode: "c", Attachments: []message.Attachment{{MsgType: message.MsgFile}}},
	} {
		assert.ErrorIs(t, svc.SendWelcomeMsg(t.Context(), r), message.ErrInvalidArgument, "request %d", i)
	}
	assert.Zero(t, srv.Count(welcomePath))
	testkit.WantCode(t, srv.Client().Post(t.Context(), welcomePath, map[string]any{"text": map[string]any{"content": "x"}}, nil), 41049)
}

// TestSendWelcomeMsg_LinkURLsHaveNoLengthLimit: send_welcome_msg's page
// (92137) gives no length for link.url and link.picurl; the 2048 bytes of
// add_msg_template (92135) apply to mass sends only, in the SDK and the fake.
func TestSendWelcomeMsg_LinkURLsHaveNoLengthLimit(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := testkit.Seed(t, srv, 1, "alice")
	long := "https://e.invalid/" + strings.Repeat("p", 3000)
	card := message.LinkAttachment(message.LinkCard{Title: "Catalogue", URL: long, PicURL: long})
	code := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	require.NoError(t, svc.SendWelcomeMsg(t.Context(), &message.SendWelcomeMsgRequest{WelcomeCode: code,
		Attachments: []message.Attachment{card}}))
	require.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 1)

	// A mass send still refuses it, before sending and at the fake.
	_, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Attachments: []message.Attachment{card}})
	testkit.WantInvalid(t, err, message.ErrInvalidArgument)
	testkit.WantCode(t, testkit.Raw(t, srv.Client(), "/cgi-bin/externalcontact/add_msg_template", map[string]any{"sender": "alice",
		"attachments": []any{map[string]any{"msgtype": "link", "link": map[string]any{"title": "t", "url": long}}}}), 40058)
}
