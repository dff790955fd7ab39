package contact

import (
	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// The requests of this package whose media ids come from files: each
// helper returns what to send, the caller's value itself when no id comes
// from a file, else a copy whose ids the refs fill in (api.SendMedia), so
// that the caller's request is never written and can be sent again later
// with fresh ids.

// toSend returns the closing message to send: c itself when no media
// comes from a file, else a copy whose media ids refs fill in. c may be
// nil.
func (c *Conclusions) toSend() (*Conclusions, []api.MediaRef) {
	if c == nil || (c.Image == nil || c.Image.Upload == nil) && (c.MiniProgram == nil || c.MiniProgram.PicUpload == nil) {
		return c, nil
	}
	out := *c
	var refs []api.MediaRef
	if out.Image != nil && out.Image.Upload != nil {
		im := api.Own(&out.Image)
		refs = api.AddMedia(refs, &im.MediaID, im.Upload, wecom.MediaImage)
	}
	if out.MiniProgram != nil && out.MiniProgram.PicUpload != nil {
		mp := api.Own(&out.MiniProgram)
		refs = api.AddMedia(refs, &mp.PicMediaID, mp.PicUpload, wecom.MediaImage)
	}
	return &out, refs
}

// productAttachmentsToSend returns the attachments to send: as itself when
// no image comes from a file, else a copy whose media ids refs fill in
// (uploaded as product album attachments).
func productAttachmentsToSend(as []ProductAttachment) ([]ProductAttachment, []api.MediaRef) {
	var out []ProductAttachment
	var refs []api.MediaRef
	for i := range as {
		if as[i].Image == nil || as[i].Image.Upload == nil {
			continue
		}
		if out == nil {
			out = append([]ProductAttachment(nil), as...)
		}
		c := api.Own(&out[i].Image)
		refs = append(refs, api.MediaRef{ID: &c.MediaID, Src: c.Upload, Type: wecom.MediaImage, Scene: wecom.AttachmentProductAlbum})
	}
	if out == nil {
		return as, nil
	}
	return out, refs
}
