package appmsg

import (
	"context"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// uploader is a message with media ids that may come from files: it
// returns the message to send, itself when no id comes from a file, else
// a copy whose ids refs fill in (the caller's message is never written,
// so that it can be sent again later with fresh ids).
type uploader interface {
	withUploads() (Message, []api.MediaRef)
}

// toSend is the message to send for m and the refs that fill its media ids.
func toSend(m Message) (Message, []api.MediaRef) {
	if u, ok := m.(uploader); ok && !isNil(m) {
		if out, refs := u.withUploads(); len(refs) > 0 {
			return out, refs
		}
	}
	return m, nil
}

func (m Image) withUploads() (Message, []api.MediaRef) {
	return &m, api.AddMedia(nil, &m.MediaID, m.Upload, wecom.MediaImage)
}

func (m Voice) withUploads() (Message, []api.MediaRef) {
	return &m, api.AddMedia(nil, &m.MediaID, m.Upload, wecom.MediaVoice)
}

func (m Video) withUploads() (Message, []api.MediaRef) {
	return &m, api.AddMedia(nil, &m.MediaID, m.Upload, wecom.MediaVideo)
}

func (m File) withUploads() (Message, []api.MediaRef) {
	return &m, api.AddMedia(nil, &m.MediaID, m.Upload, wecom.MediaFile)
}

func (m MpNews) withUploads() (Message, []api.MediaRef) {
	var refs []api.MediaRef
	for i := range m.Articles {
		if m.Articles[i].ThumbUpload == nil {
			continue
		}
		if refs == nil {
			m.Articles = append([]MpArticle(nil), m.Articles...)
		}
		a := &m.Articles[i]
		refs = api.AddMedia(refs, &a.ThumbMediaID, a.ThumbUpload, wecom.MediaImage)
	}
	return &m, refs
}

func (c TemplateCard) withUploads() (Message, []api.MediaRef) {
	out, refs := c.toSend()
	return out, refs
}

// toSend is the card to send (itself when no attachment comes from a
// file, else a copy) and the refs that fill its attachments' media ids.
func (c *TemplateCard) toSend() (*TemplateCard, []api.MediaRef) {
	var refs []api.MediaRef
	cp := *c
	for i := range cp.HorizontalContentList {
		if h := &cp.HorizontalContentList[i]; h.Type != 2 || h.Upload == nil {
			continue
		}
		if refs == nil {
			cp.HorizontalContentList = append([]CardHorizontalContent(nil), cp.HorizontalContentList...)
		}
		h := &cp.HorizontalContentList[i]
		refs = api.AddMedia(refs, &h.MediaID, h.Upload, wecom.MediaFile)
	}
	if refs == nil {
		return c, nil
	}
	return &cp, refs
}

// sendWithMedia makes one checked call, with the media ids of the
// message's files filled in from the MediaCache (uploaded when needed,
// and again after WeCom refused an id with 40007: api.SendMedia).
func (s *Service) sendWithMedia(ctx context.Context, body sendBody) (*Receipt, error) {
	msg, refs := toSend(body.msg)
	body.msg = msg
	var resp *Receipt
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		var err error
		resp, err = s.send(ctx, body)
		return err
	})
	return resp, err
}
