package message_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestGroupWelcomeTemplates(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	cover, err := svc.MediaCache().UploadMedia(t.Context(), wecom.MediaImage, wecom.MediaFromBytes("cover.png", []byte("group cover png")))
	require.NoError(t, err)
	notify := false
	id, err := svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("Welcome %NICKNAME%!"), Image: &message.Image{MediaID: cover.MediaID}},
		Notify:               &notify,
	})
	require.NoError(t, err)
	got, err := svc.GetGroupWelcomeTemplate(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "Welcome %NICKNAME%!", got.Text.Content)
	require.NotNil(t, got.Image)
	assert.Empty(t, got.Image.MediaID, "get answers the image's URL only")
	assert.NotEmpty(t, got.Image.PicURL)

	// Edit allows 4000 bytes of text where add allows 3000.
	long := strings.Repeat("a", 3001)
	_, err = svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text(long)}})
	assert.ErrorIs(t, err, message.ErrInvalidArgument)
	require.NoError(t, svc.EditGroupWelcomeTemplate(t.Context(), &message.EditGroupWelcomeTemplateRequest{TemplateID: id,
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text(long), Link: &message.LinkCard{Title: "Rules", URL: "https://example.invalid/rules"}}}))
	got, err = svc.GetGroupWelcomeTemplate(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, long, got.Text.Content)
	assert.Equal(t, "Rules", got.Link.Title)
	assert.NotNil(t, got.Image, "fields not given stay")

	require.NoError(t, svc.DelGroupWelcomeTemplate(t.Context(), id, 0))
	_, err = svc.GetGroupWelcomeTemplate(t.Context(), id)
	testkit.WantCode(t, err, 40058)

	// The library holds 100.
	for i := range 100 {
		_, err := svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("t")}})
		require.NoError(t, err, "template %d", i+1)
	}
	_, err = svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("t")}})
	testkit.WantCode(t, err, 41055)

	for i, bad := range []error{
		first(svc.AddGroupWelcomeTemplate(t.Context(), nil)),
		first(svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{})),
		first(svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Image: &message.Image{}}})),
		first(svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Link: &message.LinkCard{Title: "t"}}})),
		first(svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{MiniProgram: &message.MiniProgram{Title: "t"}}})),
		first(svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{File: &message.File{}}})),
		first(svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Video: &message.Video{}}})),
		svc.EditGroupWelcomeTemplate(t.Context(), nil),
		svc.EditGroupWelcomeTemplate(t.Context(), &message.EditGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("x")}}),
		svc.EditGroupWelcomeTemplate(t.Context(), &message.EditGroupWelcomeTemplateRequest{TemplateID: "t"}),
		first(svc.GetGroupWelcomeTemplate(t.Context(), "")),
		svc.DelGroupWelcomeTemplate(t.Context(), "", 0),
	} {
		assert.ErrorIs(t, bad, message.ErrInvalidArgument, "case %d", i)
	}

	// A create whose answer was lost is not re-sent, and says where to look.
	srv.Fail("/cgi-bin/externalcontact/group_welcome_template/add", wecomtest.Fault{HTTPStatus: 504})
	_, err = svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("t")}})
	var mc *wecom.MaybeCreatedError
	require.True(t, errors.As(err, &mc), "err = %v", err)
	assert.ErrorIs(t, err, wecom.ErrOutcomeUnknown)
	assert.Contains(t, mc.Hint, "admin console")
}
