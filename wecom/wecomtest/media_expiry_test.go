package wecomtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

// A media id works until three days after its upload on the server's
// clock, and is refused with 40007 from then on: temporary media and
// attachments alike.
func TestMedia_ExpiresThreeDaysAfterTheUpload(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithStaff("zhangsan"))
	ext := testkit.Seed(t, srv, 1, "zhangsan")[0]
	img, err := c.UploadMedia(ctx, wecom.MediaImage, "a.png", strings.NewReader("png of a"))
	require.NoError(t, err)
	att, err := c.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, "b.jpg", strings.NewReader("jpeg of b"))
	require.NoError(t, err)
	assert.Equal(t, clk.Now(), srv.Corp(srv.CorpID).Media()[img.MediaID].Created)

	welcome := func() error {
		code := srv.Corp(srv.CorpID).Messages().IssueWelcomeCode("zhangsan", ext)
		return testkit.Raw(t, c, "/cgi-bin/externalcontact/send_welcome_msg", map[string]any{"welcome_code": code,
			"attachments": []any{map[string]any{"msgtype": "miniprogram", "miniprogram": map[string]any{
				"title": "t", "pic_media_id": img.MediaID, "appid": "wx1", "page": "/p"}}}})
	}
	moment := func() error {
		return testkit.Raw(t, c, "/cgi-bin/externalcontact/add_moment_task", map[string]any{
			"attachments": []any{map[string]any{"msgtype": "image", "image": map[string]any{"media_id": att.MediaID}}}})
	}

	clk.Advance(wecom.MediaLifetime - time.Second)
	require.NoError(t, welcome(), "a second before the three days are up")
	require.NoError(t, moment(), "a second before the three days are up")
	clk.Advance(time.Second)
	testkit.WantCode(t, welcome(), wecom.CodeInvalidMediaID)
	testkit.WantCode(t, moment(), wecom.CodeInvalidMediaID)
	assert.Contains(t, srv.Corp(srv.CorpID).Media(), img.MediaID, "Media lists the expired uploads too")
}
