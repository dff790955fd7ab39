package message_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const welcomePath = "/cgi-bin/externalcontact/send_welcome_msg"

func TestSendWelcomeMsg_OncePerCode(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 1, "alice")
	code := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	img, err := svc.Attachment(bg, message.MsgImage, wecom.MediaFromBytes("hello.png", []byte("a welcome picture")))
	require.NoError(t, err)
	req := &message.SendWelcomeMsgRequest{WelcomeCode: code, Text: text("Hi %NICKNAME%, welcome!"), Attachments: []message.Attachment{img,
		message.MiniProgramAttachment(message.MiniProgram{Title: "Shop", PicMediaID: img.Image.MediaID, AppID: "wx0001", Page: "/index"})}}
	require.NoError(t, svc.SendWelcomeMsg(bg, req))
	sent := srv.Corp(srv.CorpID).Messages().WelcomesSent()
	require.Len(t, sent, 1)
	assert.Equal(t, wecomtest.SentWelcome{WelcomeCode: code, UserID: "alice", ExternalUserID: ids[0],
		Text: "Hi %NICKNAME%, welcome!", Attachments: []string{"image", "miniprogram"}}, sent[0])

	// The code works once: the second call is told the welcome was delivered.
	err = svc.SendWelcomeMsg(bg, req)
	assert.True(t, message.IsWelcomeCodeUsed(err), "err = %v", err)
	assert.False(t, message.IsWelcomeCodeExpired(err))
	assert.False(t, message.IsWelcomeBeingSentByOtherApp(err))
	assert.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 1)

	// A dropped connection is repeated; the customer is greeted once.
	code2 := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("alice", ids[0])
	srv.Fail(welcomePath, wecomtest.Fault{Drop: true})
	require.NoError(t, svc.SendWelcomeMsg(bg, &message.SendWelcomeMsgRequest{WelcomeCode: code2, Text: text("hi")}))
	assert.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 2)
}

func TestSendWelcomeMsg_Predicates(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv, svc := setup(t, wecomtest.WithClock(clock.Now))
	ids := seed(t, srv, 1, "alice")
	send := func(code string) error {
		return svc.SendWelcomeMsg(bg, &message.SendWelcomeMsgRequest{WelcomeCode: code, Text: text("hello")})
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
		assert.ErrorIs(t, svc.SendWelcomeMsg(bg, r), message.ErrInvalidArgument, "request %d", i)
	}
	assert.Zero(t, srv.Count(welcomePath))
	wantCode(t, srv.Client().Post(bg, welcomePath, map[string]any{"text": map[string]any{"content": "x"}}, nil), 41049)
}

func TestGroupWelcomeTemplates(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	cover, err := svc.MediaCache().UploadMedia(bg, wecom.MediaImage, wecom.MediaFromBytes("cover.png", []byte("group cover png")))
	require.NoError(t, err)
	notify := false
	id, err := svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("Welcome %NICKNAME%!"), Image: &message.Image{MediaID: cover.MediaID}},
		Notify:               &notify,
	})
	require.NoError(t, err)
	got, err := svc.GetGroupWelcomeTemplate(bg, id)
	require.NoError(t, err)
	assert.Equal(t, "Welcome %NICKNAME%!", got.Text.Content)
	require.NotNil(t, got.Image)
	assert.Empty(t, got.Image.MediaID, "get answers the image's URL only")
	assert.NotEmpty(t, got.Image.PicURL)

	// Edit allows 4000 bytes of text where add allows 3000.
	long := strings.Repeat("a", 3001)
	_, err = svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text(long)}})
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	require.NoError(t, svc.EditGroupWelcomeTemplate(bg, &message.EditGroupWelcomeTemplateRequest{TemplateID: id,
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text(long), Link: &message.Link{Title: "Rules", URL: "https://example.invalid/rules"}}}))
	got, err = svc.GetGroupWelcomeTemplate(bg, id)
	require.NoError(t, err)
	assert.Equal(t, long, got.Text.Content)
	assert.Equal(t, "Rules", got.Link.Title)
	assert.NotNil(t, got.Image, "fields not given stay")

	require.NoError(t, svc.DelGroupWelcomeTemplate(bg, id, 0))
	_, err = svc.GetGroupWelcomeTemplate(bg, id)
	wantCode(t, err, 40058)

	// The library holds 100.
	for i := range message.MaxGroupWelcomeTemplates {
		_, err := svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("t")}})
		require.NoError(t, err, "template %d", i+1)
	}
	_, err = svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("t")}})
	wantCode(t, err, 41055)

	for i, bad := range []error{
		first(svc.AddGroupWelcomeTemplate(bg, nil)),
		first(svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{})),
		first(svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Image: &message.Image{}}})),
		first(svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Link: &message.Link{Title: "t"}}})),
		first(svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{MiniProgram: &message.MiniProgram{Title: "t"}}})),
		first(svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{File: &message.File{}}})),
		first(svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Video: &message.Video{}}})),
		svc.EditGroupWelcomeTemplate(bg, nil),
		svc.EditGroupWelcomeTemplate(bg, &message.EditGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("x")}}),
		svc.EditGroupWelcomeTemplate(bg, &message.EditGroupWelcomeTemplateRequest{TemplateID: "t"}),
		first(svc.GetGroupWelcomeTemplate(bg, "")),
		svc.DelGroupWelcomeTemplate(bg, "", 0),
	} {
		assert.ErrorIs(t, bad, message.ErrInvalidArgument, "case %d", i)
	}

	// A create whose answer was lost is not re-sent, and says where to look.
	srv.Fail("/cgi-bin/externalcontact/group_welcome_template/add", wecomtest.Fault{HTTPStatus: 504})
	_, err = svc.AddGroupWelcomeTemplate(bg, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("t")}})
	var mc *wecom.MaybeCreatedError
	require.True(t, errors.As(err, &mc), "err = %v", err)
	assert.ErrorIs(t, err, wecom.ErrOutcomeUnknown)
	assert.Contains(t, mc.Hint, "admin console")
}
