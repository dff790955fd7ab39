package wecom_test

import (
	"bytes"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestUploadMedia(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	m, err := c.UploadMedia(t.Context(), wecom.MediaFile, "报价单.txt", strings.NewReader("price list v1"))
	require.NoError(t, err)
	require.Equal(t, wecom.MediaFile, m.Type, "media = %+v", m)
	require.NotEmpty(t, m.MediaID, "media = %+v", m)
	require.LessOrEqual(t, time.Since(m.CreatedAt.Time()), time.Minute, "media = %+v", m)
	got := srv.Corp(srv.CorpID).Media()[m.MediaID]
	require.Equal(t, "报价单.txt", got.Name, "server saw %+v", got)
	require.Equal(t, len("price list v1"), got.Size, "server saw %+v", got)
	require.Equal(t, "file", got.Type, "server saw %+v", got)
	// The multipart part is named "media" and carries filename and filelength.
	reqs := srv.Requests()
	r := reqs[len(reqs)-1]
	require.Equal(t, "file", r.Query.Get("type"), "query %v", r.Query)
	require.Contains(t, string(r.Body), `name="media"; filename="报价单.txt"; filelength=13`, "content disposition")
}

func TestUploadAttachmentAndImage(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	m, err := c.UploadAttachment(t.Context(), wecom.MediaImage, wecom.AttachmentMoment, "a.png", bytes.NewReader(make([]byte, 100)))
	require.NoError(t, err, "attachment: %+v", m)
	require.NotEmpty(t, m.MediaID, "attachment: %+v %v", m, err)
	require.NotEqual(t, wecom.UnixTime(0), m.CreatedAt, "attachment: %+v %v", m, err)
	f := srv.Corp(srv.CorpID).Media()[m.MediaID]
	require.Equal(t, 1, f.AttachmentType, "server saw %+v", f)
	require.Equal(t, "image", f.Type, "server saw %+v", f)
	u, err := c.UploadImage(t.Context(), "logo.jpg", bytes.NewReader(make([]byte, 100)))
	require.NoError(t, err, "uploadimg: %q", u)
	require.True(t, strings.HasPrefix(u, "https://"), "uploadimg: %q %v", u, err)
}

func TestUpload_RejectsBadInputBeforeCallingWeCom(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	ctx := t.Context()
	small := strings.NewReader("12345")
	cases := map[string]error{}
	_, cases["too small"] = c.UploadMedia(ctx, wecom.MediaImage, "a.png", small)
	_, cases["too large"] = c.UploadMedia(ctx, wecom.MediaVoice, "a.amr", bytes.NewReader(make([]byte, 2<<20+1)))
	_, cases["bad type"] = c.UploadMedia(ctx, "gif", "a.gif", strings.NewReader("123456"))
	_, cases["bad name"] = c.UploadMedia(ctx, wecom.MediaFile, "a\"b", strings.NewReader("123456"))
	_, cases["empty name"] = c.UploadMedia(ctx, wecom.MediaFile, "", strings.NewReader("123456"))
	_, cases["nil reader"] = c.UploadMedia(ctx, wecom.MediaFile, "a", nil)
	_, cases["moment file"] = c.UploadAttachment(ctx, wecom.MediaFile, wecom.AttachmentMoment, "a.pdf", strings.NewReader("123456"))
	_, cases["voice attachment"] = c.UploadAttachment(ctx, wecom.MediaVoice, wecom.AttachmentProductAlbum, "a.amr", strings.NewReader("123456"))
	_, cases["bad scene"] = c.UploadAttachment(ctx, wecom.MediaImage, 9, "a.png", strings.NewReader("123456"))
	_, cases["image too big"] = c.UploadImage(ctx, "a.png", bytes.NewReader(make([]byte, 2<<20+1)))
	for name, err := range cases {
		assert.Error(t, err, "%s: accepted", name)
	}
	n := len(srv.Requests())
	require.Equal(t, 0, n, "%d requests reached the server", n)
}

func TestUpload_RetriedBodyIsComplete(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail("/cgi-bin/media/upload", wecomtest.Fault{Errcode: -1})
	m, err := c.UploadMedia(t.Context(), wecom.MediaVideo, "v.mp4", bytes.NewReader(bytes.Repeat([]byte("x"), 4096)))
	require.NoError(t, err)
	f := srv.Corp(srv.CorpID).Media()[m.MediaID]
	require.Equal(t, 4096, f.Size, "retried upload lost data: %+v", f)
	// Both attempts carried a well-formed multipart body.
	for _, r := range srv.Requests() {
		if r.Path != "/cgi-bin/media/upload" {
			continue
		}
		i := bytes.Index(r.Body, []byte("\r\n"))
		boundary := strings.TrimPrefix(string(r.Body[:i]), "--")
		p, err := multipart.NewReader(bytes.NewReader(r.Body), boundary).NextPart()
		require.NoError(t, err, "attempt body")
		require.Equal(t, "media", p.FormName(), "attempt body: %v", err)
		_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		require.Equal(t, "4096", params["filelength"], "filelength")
	}
}

func TestUnixTimeDecoding(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{`1380000000`: 1380000000, `"1380000000"`: 1380000000, `""`: 0, `null`: 0} {
		var u wecom.UnixTime
		if assert.NoError(t, u.UnmarshalJSON([]byte(in)), in) {
			assert.Equal(t, want, int64(u), in)
		}
	}
	var u wecom.UnixTime
	assert.Error(t, u.UnmarshalJSON([]byte(`"x1"`)), "accepted garbage")
	assert.True(t, u.Time().IsZero(), "zero time")
}
