package wecom_test

import (
	"bytes"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestUploadMedia(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	m, err := c.UploadMedia(t.Context(), wecom.MediaFile, "报价单.txt", strings.NewReader("price list v1"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != wecom.MediaFile || m.MediaID == "" || time.Since(m.CreatedAt.Time()) > time.Minute {
		t.Fatalf("media = %+v", m)
	}
	got := srv.Corp(srv.CorpID).Media()[m.MediaID]
	if got.Name != "报价单.txt" || got.Size != len("price list v1") || got.Type != "file" {
		t.Fatalf("server saw %+v", got)
	}
	// The multipart part is named "media" and carries filename and filelength.
	reqs := srv.Requests()
	r := reqs[len(reqs)-1]
	if r.Query.Get("type") != "file" {
		t.Fatalf("query %v", r.Query)
	}
	if !bytes.Contains(r.Body, []byte(`name="media"; filename="报价单.txt"; filelength=13`)) {
		t.Fatalf("content disposition missing in %q", r.Body)
	}
}

func TestUploadAttachmentAndImage(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	m, err := c.UploadAttachment(t.Context(), wecom.MediaImage, wecom.AttachmentMoment, "a.png", bytes.NewReader(make([]byte, 100)))
	if err != nil || m.MediaID == "" || m.CreatedAt == 0 {
		t.Fatalf("attachment: %+v %v", m, err)
	}
	if f := srv.Corp(srv.CorpID).Media()[m.MediaID]; f.AttachmentType != 1 || f.Type != "image" {
		t.Fatalf("server saw %+v", f)
	}
	u, err := c.UploadImage(t.Context(), "logo.jpg", bytes.NewReader(make([]byte, 100)))
	if err != nil || !strings.HasPrefix(u, "https://") {
		t.Fatalf("uploadimg: %q %v", u, err)
	}
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
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
}

func TestUpload_RetriedBodyIsComplete(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	srv.Fail("/cgi-bin/media/upload", wecomtest.Fault{Errcode: -1})
	m, err := c.UploadMedia(t.Context(), wecom.MediaVideo, "v.mp4", bytes.NewReader(bytes.Repeat([]byte("x"), 4096)))
	if err != nil {
		t.Fatal(err)
	}
	if f := srv.Corp(srv.CorpID).Media()[m.MediaID]; f.Size != 4096 {
		t.Fatalf("retried upload lost data: %+v", f)
	}
	// Both attempts carried a well-formed multipart body.
	for _, r := range srv.Requests() {
		if r.Path != "/cgi-bin/media/upload" {
			continue
		}
		i := bytes.Index(r.Body, []byte("\r\n"))
		boundary := strings.TrimPrefix(string(r.Body[:i]), "--")
		p, err := multipart.NewReader(bytes.NewReader(r.Body), boundary).NextPart()
		if err != nil || p.FormName() != "media" {
			t.Fatalf("attempt body: %v", err)
		}
		_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if params["filelength"] != "4096" {
			t.Fatalf("filelength %q", params["filelength"])
		}
	}
}

func TestUnixTimeDecoding(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{`1380000000`: 1380000000, `"1380000000"`: 1380000000, `""`: 0, `null`: 0} {
		var u wecom.UnixTime
		if err := u.UnmarshalJSON([]byte(in)); err != nil || int64(u) != want {
			t.Errorf("%s: %v %v", in, u, err)
		}
	}
	var u wecom.UnixTime
	if err := u.UnmarshalJSON([]byte(`"x1"`)); err == nil {
		t.Error("accepted garbage")
	}
	if !u.Time().IsZero() {
		t.Error("zero time")
	}
}
