package api

import (
	"context"
	"errors"

	"github.com/scrmkit/scrm/wecom"
)

// MediaRef is a media id of a request being sent that comes from a file:
// the field of the request's copy to fill in, and how the file is
// uploaded. Every area whose requests take temporary media ids gives each
// such field a file beside it (Image.Upload, MiniProgram.PicUpload...) and
// sends through SendMedia.
type MediaRef struct {
	ID    *string            // the field to fill, in the copy being sent
	Src   *wecom.MediaSource // the file
	Type  wecom.MediaType
	Scene wecom.AttachmentType // 0: temporary media (media/upload); else upload_attachment's scene
}

// AddMedia appends the ref that fills *id from src as temporary media
// (media/upload) of type typ; nothing when src is nil.
func AddMedia(refs []MediaRef, id *string, src *wecom.MediaSource, typ wecom.MediaType) []MediaRef {
	if src == nil {
		return refs
	}
	return append(refs, MediaRef{ID: id, Src: src, Type: typ})
}

// Own replaces *p, when it is not nil, by a copy of what it points to and
// returns the copy: the object of a request's copy whose media id is
// filled in, so that the caller's object is never written. It returns nil
// for a nil *p.
func Own[T any](p **T) *T {
	if *p == nil {
		return nil
	}
	c := **p
	*p = &c
	return &c
}

// FillMedia writes every ref's media id: the one m holds for its file,
// after uploading the file when m holds none that lives long enough.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90253
func FillMedia(ctx context.Context, m *wecom.MediaCache, refs []MediaRef) error {
	for _, r := range refs {
		var md *wecom.Media
		var err error
		if r.Scene == 0 {
			md, err = m.UploadMedia(ctx, r.Type, r.Src)
		} else {
			md, err = m.UploadAttachment(ctx, r.Type, r.Scene, r.Src)
		}
		if err != nil {
			return err
		}
		*r.ID = md.MediaID
	}
	return nil
}

// SendMedia sends a request whose media ids come (partly) from files: it
// fills them in (FillMedia) and calls send, which sends the copy the refs
// point into. When WeCom answers 40007 (it no longer knows a media id the
// cache still held: its clock and ours disagree, or the id was taken
// back), the files' ids are forgotten, the files uploaded again and send
// called once more. Only that answer, a definite refusal, is followed by
// the second send: a write that may have reached WeCom
// (wecom.ErrOutcomeUnknown) is never sent again, so creates are safe here
// too. With no refs it is send().
func SendMedia(ctx context.Context, c *wecom.Client, m *wecom.MediaCache, refs []MediaRef, send func() error) error {
	if len(refs) == 0 {
		return send()
	}
	if err := FillMedia(ctx, m, refs); err != nil {
		return err
	}
	err := send()
	if !refusedMedia(err) {
		return err
	}
	for _, r := range refs {
		if ferr := m.Forget(ctx, r.Type, r.Scene, r.Src); ferr != nil {
			c.Logger().Warn("forgetting a media id WeCom refused failed", "file", r.Src.Name(), "error", ferr)
		}
	}
	if err := FillMedia(ctx, m, refs); err != nil {
		return err
	}
	return send()
}

// refusedMedia reports whether err is WeCom's definite 40007 answer.
func refusedMedia(err error) bool {
	return wecom.ErrorCode(err) == wecom.CodeInvalidMediaID && !errors.Is(err, wecom.ErrOutcomeUnknown)
}

// RequiredMedia refuses a media id left empty with no file beside it: name
// is the id's field (Image.MediaID), upload the file's (Image.Upload).
func (k Check) RequiredMedia(name, id, upload string, src *wecom.MediaSource) error {
	if id == "" && src == nil {
		return k.Invalidf("%s is required (or its file, %s)", name, upload)
	}
	return nil
}
