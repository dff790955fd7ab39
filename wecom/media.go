package wecom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// MediaType is the kind of a media file.
type MediaType string

const (
	MediaImage MediaType = "image"
	MediaVoice MediaType = "voice"
	MediaVideo MediaType = "video"
	MediaFile  MediaType = "file"
)

// AttachmentType is the scene an attachment is uploaded for.
type AttachmentType int

const (
	AttachmentMoment       AttachmentType = 1 // 朋友圈 (Moments): images and videos only
	AttachmentProductAlbum AttachmentType = 2 // 商品图册 (product album)
)

// Size limits from WeCom's docs; every file must also be larger than 5 bytes.
const (
	maxImageBytes    = 10 << 20
	maxVoiceBytes    = 2 << 20
	maxVideoBytes    = 10 << 20
	maxFileBytes     = 20 << 20
	maxUploadImg     = 2 << 20
	minMediaBytes    = 6
	maxFilenameBytes = 256
)

// Media is an uploaded temporary media file. MediaID is valid for three days.
type Media struct {
	Type      MediaType `json:"type"`
	MediaID   string    `json:"media_id"`
	CreatedAt UnixTime  `json:"created_at"`
}

// UploadMedia uploads a temporary media file (上传临时素材) and returns its
// media_id, valid for three days and shared by the corp's apps. name is the
// file name shown to recipients. Limits: image 10 MB (JPG, PNG), voice 2 MB
// (AMR), video 10 MB (MP4), file 20 MB; more than 5 bytes.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90253
func (c *Client) UploadMedia(ctx context.Context, typ MediaType, name string, r io.Reader) (*Media, error) {
	max, err := mediaLimit(typ)
	if err != nil {
		return nil, err
	}
	up, err := newUpload(name, r, max)
	if err != nil {
		return nil, err
	}
	var out Media
	err = c.Do(ctx, &Request{Path: "/cgi-bin/media/upload", Query: url.Values{"type": {string(typ)}},
		Out: &out, Op: OpIdempotent, upload: up})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UploadAttachment uploads an attachment (上传附件资源) for Moments or the
// product album and returns its media_id, valid for three days. Moments take
// images and videos only.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95098
func (c *Client) UploadAttachment(ctx context.Context, typ MediaType, scene AttachmentType, name string, r io.Reader) (*Media, error) {
	if typ == MediaVoice {
		return nil, fmt.Errorf("wecom: upload_attachment: media type %q is not accepted (image, video or file)", typ)
	}
	if scene == AttachmentMoment && typ == MediaFile {
		return nil, fmt.Errorf("wecom: upload_attachment: Moments attachments are images or videos")
	}
	if scene != AttachmentMoment && scene != AttachmentProductAlbum {
		return nil, fmt.Errorf("wecom: upload_attachment: unknown attachment type %d", scene)
	}
	max, err := mediaLimit(typ)
	if err != nil {
		return nil, err
	}
	up, err := newUpload(name, r, max)
	if err != nil {
		return nil, err
	}
	var out Media
	q := url.Values{"media_type": {string(typ)}, "attachment_type": {strconv.Itoa(int(scene))}}
	err = c.Do(ctx, &Request{Path: "/cgi-bin/media/upload_attachment", Query: q, Out: &out, Op: OpIdempotent, upload: up})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UploadImage uploads an image (上传图片) and returns a permanent URL for it,
// for use in message bodies. JPG or PNG, at most 2 MB; WeCom allows 3,000
// uploads a month and 1,000 a day per corp.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90256
func (c *Client) UploadImage(ctx context.Context, name string, r io.Reader) (string, error) {
	up, err := newUpload(name, r, maxUploadImg)
	if err != nil {
		return "", err
	}
	var out struct {
		URL string `json:"url"`
	}
	if err := c.Do(ctx, &Request{Path: "/cgi-bin/media/uploadimg", Out: &out, Op: OpIdempotent, upload: up}); err != nil {
		return "", err
	}
	return out.URL, nil
}

func mediaLimit(t MediaType) (int64, error) {
	switch t {
	case MediaImage:
		return maxImageBytes, nil
	case MediaVoice:
		return maxVoiceBytes, nil
	case MediaVideo:
		return maxVideoBytes, nil
	case MediaFile:
		return maxFileBytes, nil
	}
	return 0, fmt.Errorf("wecom: unknown media type %q (image, voice, video or file)", t)
}

// upload is a file read into memory, so that a retry can send it again.
type upload struct {
	name string
	data []byte
}

func newUpload(name string, r io.Reader, max int64) (*upload, error) {
	if name == "" || len(name) > maxFilenameBytes || strings.ContainsAny(name, "\"\r\n\\/") {
		return nil, fmt.Errorf("wecom: bad upload file name %q", name)
	}
	if r == nil {
		return nil, fmt.Errorf("wecom: upload %q: nil reader", name)
	}
	data, err := readAllLimit(r, max)
	if err != nil {
		return nil, fmt.Errorf("wecom: upload %q: %w", name, err)
	}
	if len(data) < minMediaBytes {
		return nil, fmt.Errorf("wecom: upload %q: WeCom needs more than 5 bytes, got %d", name, len(data))
	}
	return &upload{name: name, data: data}, nil
}

// encode builds the multipart body WeCom expects: one part named "media"
// with filename and filelength in its Content-Disposition.
func (u *upload) encode() (contentType string, body []byte) {
	var buf bytes.Buffer
	buf.Grow(len(u.data) + 512)
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename=%s; filelength=%d`,
		quoteName(u.name), len(u.data)))
	h.Set("Content-Type", "application/octet-stream")
	part, _ := w.CreatePart(h) // writes to a bytes.Buffer cannot fail
	_, _ = part.Write(u.data)
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// quoteName quotes a name newUpload has checked: no quotes, backslashes or
// line breaks can occur in it.
func quoteName(s string) string { return `"` + s + `"` }
