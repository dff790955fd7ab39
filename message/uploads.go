package message

import (
	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// hasUpload reports whether the attachment's media comes from a file.
func (a *Attachment) hasUpload() bool {
	return (a.Image != nil && a.Image.Upload != nil) || (a.MiniProgram != nil && a.MiniProgram.PicUpload != nil) ||
		(a.Video != nil && a.Video.Upload != nil) || (a.File != nil && a.File.Upload != nil)
}

// attachmentsToSend returns the attachments to send: as itself when none
// comes from a file, else a copy whose media ids refs fill in (as is never
// changed, so that it can be sent again later with fresh ids).
func attachmentsToSend(as []Attachment) ([]Attachment, []api.MediaRef) {
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
	refs := make([]api.MediaRef, 0, n)
	for i := range out {
		refs = mediaRefs(refs, &out[i].Image, &out[i].MiniProgram, &out[i].Video, &out[i].File)
	}
	return out, refs
}

// mediaRefs replaces each media object that comes from a file by a copy,
// and adds the ref that fills the copy's id.
func mediaRefs(refs []api.MediaRef, im **Image, mp **MiniProgram, v **Video, f **File) []api.MediaRef {
	if *im != nil && (*im).Upload != nil {
		c := api.Own(im)
		refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaImage)
	}
	if *mp != nil && (*mp).PicUpload != nil {
		c := api.Own(mp)
		refs = api.AddMedia(refs, &c.PicMediaID, c.PicUpload, wecom.MediaImage)
	}
	if *v != nil && (*v).Upload != nil {
		c := api.Own(v)
		refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaVideo)
	}
	if *f != nil && (*f).Upload != nil {
		c := api.Own(f)
		refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaFile)
	}
	return refs
}

// templateToSend is attachmentsToSend for a group welcome template.
func templateToSend(t GroupWelcomeTemplate) (GroupWelcomeTemplate, []api.MediaRef) {
	refs := mediaRefs(nil, &t.Image, &t.MiniProgram, &t.Video, &t.File)
	return t, refs
}

// momentToSend is attachmentsToSend for a Moments post: its files are
// uploaded as Moments attachments (upload_attachment).
func momentToSend(as []MomentAttachment) ([]MomentAttachment, []api.MediaRef) {
	var out []MomentAttachment
	var refs []api.MediaRef
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
			refs = append(refs, api.MediaRef{ID: &c.MediaID, Src: c.Upload, Type: wecom.MediaImage, Scene: wecom.AttachmentMoment})
		case b.Video != nil && b.Video.Upload != nil:
			c := *b.Video
			b.Video = &c
			refs = append(refs, api.MediaRef{ID: &c.MediaID, Src: c.Upload, Type: wecom.MediaVideo, Scene: wecom.AttachmentMoment})
		default:
			c := *b.Link
			b.Link = &c
			refs = append(refs, api.MediaRef{ID: &c.MediaID, Src: c.Upload, Type: wecom.MediaImage, Scene: wecom.AttachmentMoment})
		}
	}
	if out == nil {
		return as, nil
	}
	return out, refs
}
