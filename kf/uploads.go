package kf

import (
	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// ownUploads replaces each body of r (a copy of the caller's request)
// whose media comes from a file by a copy, and returns the refs that fill
// the copies' media ids; the caller's bodies are never written.
func (r *SendMsgRequest) ownUploads() []api.MediaRef {
	var refs []api.MediaRef
	if r.Image != nil && r.Image.Upload != nil {
		c := api.Own(&r.Image)
		refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaImage)
	}
	if r.Voice != nil && r.Voice.Upload != nil {
		c := api.Own(&r.Voice)
		refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaVoice)
	}
	if r.Video != nil && r.Video.Upload != nil {
		c := api.Own(&r.Video)
		refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaVideo)
	}
	if r.File != nil && r.File.Upload != nil {
		c := api.Own(&r.File)
		refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaFile)
	}
	if r.Link != nil && r.Link.ThumbUpload != nil {
		c := api.Own(&r.Link)
		refs = api.AddMedia(refs, &c.ThumbMediaID, c.ThumbUpload, wecom.MediaImage)
	}
	return ownMiniProgram(refs, &r.MiniProgram)
}

// ownMiniProgram replaces *mp by a copy when its cover comes from a file,
// and adds the ref that fills the copy's ThumbMediaID.
func ownMiniProgram(refs []api.MediaRef, mp **MiniProgram) []api.MediaRef {
	if *mp == nil || (*mp).ThumbUpload == nil {
		return refs
	}
	c := api.Own(mp)
	return api.AddMedia(refs, &c.ThumbMediaID, c.ThumbUpload, wecom.MediaImage)
}

// answersToSend returns the answers to send: as itself when no attachment
// comes from a file, else a copy whose media ids refs fill in.
func answersToSend(as []Answer) ([]Answer, []api.MediaRef) {
	var out []Answer
	var refs []api.MediaRef
	for i := range as {
		copied := false
		for j := range as[i].Attachments {
			if !as[i].Attachments[j].hasUpload() {
				continue
			}
			if out == nil {
				out = append([]Answer(nil), as...)
			}
			if !copied {
				out[i].Attachments = append([]Attachment(nil), as[i].Attachments...)
				copied = true
			}
			b := &out[i].Attachments[j]
			if b.Image != nil && b.Image.Upload != nil {
				c := api.Own(&b.Image)
				refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaImage)
			}
			if b.Video != nil && b.Video.Upload != nil {
				c := api.Own(&b.Video)
				refs = api.AddMedia(refs, &c.MediaID, c.Upload, wecom.MediaVideo)
			}
			refs = ownMiniProgram(refs, &b.MiniProgram)
		}
	}
	if out == nil {
		return as, nil
	}
	return out, refs
}

// hasUpload reports whether the attachment's media comes from a file.
func (a *Attachment) hasUpload() bool {
	return (a.Image != nil && a.Image.Upload != nil) || (a.Video != nil && a.Video.Upload != nil) ||
		(a.MiniProgram != nil && a.MiniProgram.ThumbUpload != nil)
}
