package message

import (
	"context"
	"encoding/json"
	"time"

	"github.com/scrmkit/scrm/internal/api"
)

// maxGroupWelcomeAddTextBytes is the longest text of a new group welcome
// template; the edit call documents 4000 bytes (maxTextBytes) instead.
const maxGroupWelcomeAddTextBytes = 3000

// GroupWelcomeTemplate is the content of a group welcome template (入群欢迎语
// 素材). Text may contain %NICKNAME% (case-sensitive, any number of times),
// replaced by the customer's nickname. Text comes with at most one other
// item: when several are set WeCom uses the first of image, link,
// miniprogram, file, video. They cannot all be nil. Get answers an image
// with PicURL only. A corp's library holds at most 100 templates.
//
// The image, the mini-program's cover, the file and the video are media
// ids (three days) or files (Image.Upload, MiniProgram.PicUpload,
// File.Upload, Video.Upload), which Add and Edit upload through the
// Service's MediaCache, so that a template kept in code can be added or
// edited again on any day: see Attachment.
type GroupWelcomeTemplate struct {
	Text        *Text        `json:"text,omitempty"` // at most 3000 bytes when added, 4000 when edited
	Image       *Image       `json:"image,omitempty"`
	Link        *LinkCard    `json:"link,omitempty"`
	MiniProgram *MiniProgram `json:"miniprogram,omitempty"`
	File        *File        `json:"file,omitempty"`
	Video       *Video       `json:"video,omitempty"`
}

func (t *GroupWelcomeTemplate) validate(maxText int) error {
	if t.Text == nil && t.Image == nil && t.Link == nil && t.MiniProgram == nil && t.File == nil && t.Video == nil {
		return check.Invalidf("a group welcome template needs Text, Image, Link, MiniProgram, File or Video")
	}
	var errs []error
	errs = append(errs, validateText(t.Text, maxText))
	if t.Image != nil {
		errs = append(errs, t.Image.validate())
	}
	if t.Link != nil {
		errs = append(errs, t.Link.validate(false))
	}
	if t.MiniProgram != nil {
		errs = append(errs, t.MiniProgram.validate())
	}
	if t.File != nil {
		errs = append(errs, t.File.validate())
	}
	if t.Video != nil {
		errs = append(errs, t.Video.validate())
	}
	return api.FirstErr(errs...)
}

// AddGroupWelcomeTemplateRequest adds a template to the corp's library.
type AddGroupWelcomeTemplateRequest struct {
	GroupWelcomeTemplate
	// AgentID is needed by legacy third-party multi-app suites only.
	AgentID int
	// Notify: nil leaves WeCom's default (members are told to apply the
	// template to their groups); false does not tell them.
	Notify *bool
}

// MarshalJSON writes the template with agentid and notify (0 or 1).
func (r AddGroupWelcomeTemplateRequest) MarshalJSON() ([]byte, error) {
	type wire struct {
		GroupWelcomeTemplate
		AgentID int  `json:"agentid,omitempty"`
		Notify  *int `json:"notify,omitempty"`
	}
	w := wire{GroupWelcomeTemplate: r.GroupWelcomeTemplate, AgentID: r.AgentID}
	if r.Notify != nil {
		n := 0
		if *r.Notify {
			n = 1
		}
		w.Notify = &n
	}
	return json.Marshal(w)
}

// AddGroupWelcomeTemplate adds a group welcome template and returns its
// template_id. It is never re-sent once it may have reached WeCom: WeCom
// has no call that lists templates, so on a *wecom.MaybeCreatedError check the
// admin console (客户联系 → 入群欢迎语) before adding it again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92366
func (s *Service) AddGroupWelcomeTemplate(ctx context.Context, req *AddGroupWelcomeTemplateRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := req.validate(maxGroupWelcomeAddTextBytes); err != nil {
		return "", err
	}
	var out struct {
		TemplateID string `json:"template_id"`
	}
	body := *req
	tmpl, refs := templateToSend(req.GroupWelcomeTemplate)
	body.GroupWelcomeTemplate = tmpl
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/externalcontact/group_welcome_template/add", body, &out, func(since, until time.Time) string {
			return "WeCom has no call listing group welcome templates: look in the admin console (客户联系 → 入群欢迎语) for one added " + api.Window(since, until)
		})
	})
	if err != nil {
		return "", err
	}
	return out.TemplateID, nil
}

// EditGroupWelcomeTemplateRequest replaces the content of a template the
// calling app created (others answer 41058).
type EditGroupWelcomeTemplateRequest struct {
	TemplateID string `json:"template_id"`
	GroupWelcomeTemplate
	AgentID int `json:"agentid,omitempty"`
}

// EditGroupWelcomeTemplate changes a group welcome template.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92366
func (s *Service) EditGroupWelcomeTemplate(ctx context.Context, req *EditGroupWelcomeTemplateRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("TemplateID", req.TemplateID), req.validate(maxTextBytes)); err != nil {
		return err
	}
	body := *req
	tmpl, refs := templateToSend(req.GroupWelcomeTemplate)
	body.GroupWelcomeTemplate = tmpl
	return api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/group_welcome_template/edit", &body, nil)
	})
}

type templateIDBody struct {
	TemplateID string `json:"template_id"`
	AgentID    int    `json:"agentid,omitempty"`
}

// GetGroupWelcomeTemplate returns a group welcome template's content.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92366
func (s *Service) GetGroupWelcomeTemplate(ctx context.Context, templateID string) (*GroupWelcomeTemplate, error) {
	if err := check.Required("templateID", templateID); err != nil {
		return nil, err
	}
	var out GroupWelcomeTemplate
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/group_welcome_template/get", templateIDBody{TemplateID: templateID}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DelGroupWelcomeTemplate deletes a template the calling app created.
// agentID is for legacy third-party multi-app suites only (0 otherwise).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92366
func (s *Service) DelGroupWelcomeTemplate(ctx context.Context, templateID string, agentID int) error {
	if err := check.Required("templateID", templateID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/group_welcome_template/del", templateIDBody{templateID, agentID}, nil)
}
