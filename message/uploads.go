package message

import (
	"context"

	"github.com/scrmkit/scrm/wecom"
)

// mediaRef is a media id of a request being sent that comes from a file:
// the field of the request's copy to fill in, and how the file is
// uploaded.
type mediaRef struct {
	id    *string
	src   *wecom.MediaSource
	typ   wecom.MediaType
	scene wecom.AttachmentType // 0: temporary media (media/upload); else upload_attachment's
}

// fill writes every ref's media id: the MediaCache's, after uploading the
// file when it holds none that lives long enough.
func (s *Service) fill(ctx context.Context, refs []mediaRef) error {
	for _, r := range refs {
		var md *wecom.Media
		var err error
		if r.scene == 0 {
			md, err = s.media.UploadMedia(ctx, r.typ, r.src)
		} else {
			md, err = s.media.UploadAttachment(ctx, r.typ, r.scene, r.src)
		}
		if err != nil {
			return err
		}
		*r.id = md.MediaID
	}
	return nil
}

// withMedia sends a request whose media ids come (partly) from files: it
// fills them in and calls send. When WeCom answers 40007 (it no longer
// knows a media id the cache still held: its clock and ours disagree, or
// the id was taken back), the files' ids are forgotten, the files uploaded
// again and send called once more; WeCom refused the first call, so
// repeating it is safe for creates too.
func (s *Service) withMedia(ctx context.Context, refs []mediaRef, send func() error) error {
	if len(refs) == 0 {
		return send()
	}
	if err := s.fill(ctx, refs); err != nil {
		return err
	}
	err := send()
	if wecom.ErrorCode(err) != wecom.CodeInvalidMediaID {
		return err
	}
	for _, r := range refs {
		if ferr := s.media.Forget(ctx, r.typ, r.scene, r.src); ferr != nil {
			s.c.Logger().Warn("message: forgetting a refused media id failed", "file", r.src.Name(), "error", ferr)
		}
	}
	if err := s.fill(ctx, refs); err != nil {
		return err
	}
	return send()
}

// hasUpload reports whether the attachment's media comes from a file.
func (a *Attachment) hasUpload() bool {
	return (a.Image != nil && a.Image.Upload != nil) || (a.MiniProgram != nil && a.MiniProgram.PicUpload != nil) ||
		(a.Video != nil && a.Video.Upload != nil) || (a.File != nil && a.File.Upload != nil)
}

// attachmentsToSend returns the attachments to send: as itself when none
// comes from a file, else a copy whose media ids refs fill in (as is never
// changed, so that it can be sent again later with fresh ids).
func attachmentsToSend(as []Attachment) ([]Attachment, []mediaRef) {
	n := 0
	for i := range as {
		if as[i].hasUpload() {
			n++
		}
	}
	if n == 0 {
		return as, nil
	}
	out := append([]Attachment(nil), as...)
	refs := make([]mediaRef, 0, n)
	for i := range out {
		refs = mediaRefs(refs, &out[i].Image, &out[i].MiniProgram, &out[i].Video, &out[i].File)
	}
	return out, refs
}

// mediaRefs replaces each media object that comes from a file by a copy,
// and adds the ref that fills the copy's id.
func mediaRefs(refs []mediaRef, im **Image, mp **MiniProgram, v **Video, f **File) []mediaRef {
	if *im != nil && (*im).Upload != nil {
		c := **im
		*im = &c
		refs = append(refs, mediaRef{id: &c.MediaID, src: c.Upload, typ: wecom.MediaImage})
	}
	if *mp != nil && (*mp).PicUpload != nil {
		c := **mp
		*mp = &c
		refs = append(refs, mediaRef{id: &c.PicMediaID, src: c.PicUpload, typ: wecom.MediaImage})
	}
	if *v != nil && (*v).Upload != nil {
		c := **v
		*v = &c
		refs = append(refs, mediaRef{id: &c.MediaID, src: c.Upload, typ: wecom.MediaVideo})
	}
	if *f != nil && (*f).Upload != nil {
		c := **f
		*f = &c
		refs = append(refs, mediaRef{id: &c.MediaID, src: c.Upload, typ: wecom.MediaFile})
	}
	return refs
}

// templateToSend is attachmentsToSend for a group welcome template.
func templateToSend(t GroupWelcomeTemplate) (GroupWelcomeTemplate, []mediaRef) {
	refs := mediaRefs(nil, &t.Image, &t.MiniProgram, &t.Video, &t.File)
	return t, refs
}

// momentToSend is attachmentsToSend for a Moments post: its files are
// uploaded as Moments attachments (upload_attachment).
func momentToSend(as []MomentAttachment) ([]MomentAttachment, []mediaRef) {
	var out []MomentAttachment
	var refs []mediaRef
	for i := range as {
		a := &as[i]
		if (a.Image == nil || a.Image.Upload == nil) && (a.Video == nil || a.Video.Upload == nil) && (a.Link == nil || a.Link.Upload == nil) {
			continue
		}
		if out == nil {
			out = append([]MomentAttachment(nil), as...)
		}
		b := &out[i]
		switch {
		case b.Image != nil && b.Image.Upload != nil:
			c := *b.Image
			b.Image = &c
			refs = append(refs, mediaRef{id: &c.MediaID, src: c.Upload, typ: wecom.MediaImage, scene: wecom.AttachmentMoment})
		case b.Video != nil && b.Video.Upload != nil:
			c := *b.Video
			b.Video = &c
			refs = append(refs, mediaRef{id: &c.MediaID, src: c.Upload, typ: wecom.MediaVideo, scene: wecom.AttachmentMoment})
		default:
			c := *b.Link
			b.Link = &c
			refs = append(refs, mediaRef{id: &c.MediaID, src: c.Upload, typ: wecom.MediaImage, scene: wecom.AttachmentMoment})
		}
	}
	if out == nil {
		return as, nil
	}
	return out, refs
}
