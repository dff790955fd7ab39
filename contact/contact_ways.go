package contact

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Conclusions is the closing message of a temporary-session contact way.
// Text may come with one of Image, Link and MiniProgram (WeCom uses the first
// set of image > link > miniprogram); they cannot all be nil.
type Conclusions struct {
	Text        *ConclusionText        `json:"text,omitempty"`
	Image       *ConclusionImage       `json:"image,omitempty"`
	Link        *ConclusionLink        `json:"link,omitempty"`
	MiniProgram *ConclusionMiniProgram `json:"miniprogram,omitempty"`
}

// validate checks the documented limits; c may be nil.
func (c *Conclusions) validate() error {
	if c == nil {
		return nil
	}
	if c.Text == nil && c.Image == nil && c.Link == nil && c.MiniProgram == nil {
		return check.Invalidf("Conclusions needs Text, Image, Link or MiniProgram")
	}
	var errs []error
	if c.Text != nil {
		errs = append(errs, check.MaxBytes("Conclusions.Text.Content", c.Text.Content, maxConclusionTextBytes))
	}
	if c.Link != nil {
		errs = append(errs, check.MaxBytes("Conclusions.Link.Title", c.Link.Title, maxConclusionLinkTitleBytes),
			check.MaxBytes("Conclusions.Link.Desc", c.Link.Desc, maxConclusionLinkDescBytes))
	}
	if c.MiniProgram != nil {
		errs = append(errs, check.MaxBytes("Conclusions.MiniProgram.Title", c.MiniProgram.Title, maxConclusionMiniTitleBytes))
	}
	return api.FirstErr(errs...)
}

// ConclusionText is a text closing message (at most 4000 bytes).
type ConclusionText struct {
	Content string `json:"content"`
}

// ConclusionImage is an image closing message: MediaID (a temporary media
// id, media/upload) or its file (Upload) in requests, PicURL in answers.
type ConclusionImage struct {
	MediaID string `json:"media_id,omitempty"`
	PicURL  string `json:"pic_url,omitempty"`
	// Upload is the image file; AddContactWay and UpdateContactWay fill
	// MediaID from the Service's MediaCache (see Service.MediaCache).
	Upload *wecom.MediaSource `json:"-"`
}

// ConclusionLink is a link closing message.
type ConclusionLink struct {
	Title  string `json:"title"` // at most 128 bytes
	PicURL string `json:"picurl,omitempty"`
	Desc   string `json:"desc,omitempty"` // at most 512 bytes
	URL    string `json:"url"`
}

// ConclusionMiniProgram is a mini-program closing message.
type ConclusionMiniProgram struct {
	Title string `json:"title"` // at most 64 bytes
	// PicMediaID is the cover: a temporary media id (media/upload, type
	// image).
	PicMediaID string `json:"pic_media_id"`
	AppID      string `json:"appid"`
	Page       string `json:"page"`
	// PicUpload is the cover's image file; AddContactWay and
	// UpdateContactWay fill PicMediaID from the Service's MediaCache.
	PicUpload *wecom.MediaSource `json:"-"`
}

// AddContactWayRequest configures a 「联系我」 QR code or mini-program button.
type AddContactWayRequest struct {
	Type   ContactWayType  `json:"type"`
	Scene  ContactWayScene `json:"scene"`
	Style  int             `json:"style,omitempty"`  // button style for SceneMiniProgram
	Remark string          `json:"remark,omitempty"` // at most 30 characters
	// SkipVerify: nil leaves WeCom's default, true (customers are added
	// without the member's approval); wecom.Ptr(false) asks for approval.
	SkipVerify *bool `json:"skip_verify,omitempty"`
	// State is echoed in FollowUser.State of customers who come through this
	// way: at most 30 characters.
	State string `json:"state,omitempty"`
	// User is exactly one member for ContactWaySingle, at most 100 for
	// ContactWayMulti.
	User  []string `json:"user,omitempty"`
	Party []int    `json:"party,omitempty"` // departments, ContactWayMulti only
	// Temporary-session mode (medical corps only, single member).
	// ExpiresIn, ChatExpiresIn, UnionID and Conclusions apply to it only
	// and are refused when IsTemp is false.
	IsTemp        bool   `json:"is_temp,omitempty"`
	ExpiresIn     int    `json:"expires_in,omitempty"`      // QR validity in seconds (default 7 days, at most 14)
	ChatExpiresIn int    `json:"chat_expires_in,omitempty"` // session validity in seconds (default 24 h, at most 14 days)
	UnionID       string `json:"unionid,omitempty"`         // restrict to this WeChat user
	// IsExclusive routes customers of one external company to the same member.
	IsExclusive bool `json:"is_exclusive,omitempty"`
	// MarkSource: nil leaves WeCom's default, true; effective for
	// marketing (营销获客) apps only.
	MarkSource *bool `json:"mark_source,omitempty"`
	// Conclusions is sent to the customer when a temporary session ends.
	// Its image and mini-program cover may be files (ConclusionImage.Upload,
	// ConclusionMiniProgram.PicUpload; see Service.MediaCache).
	Conclusions *Conclusions `json:"conclusions,omitempty"`
}

const (
	maxTempSeconds         = 14 * 24 * 3600 // ExpiresIn and ChatExpiresIn
	maxContactWayRemarkLen = 30             // Remark, in characters
)

func validateWayCommon(remark, state string, users []string, expiresIn, chatExpiresIn int, concl *Conclusions) error {
	if err := api.FirstErr(check.MaxChars("Remark", remark, maxContactWayRemarkLen), check.MaxChars("State", state, maxStateLen),
		api.MaxItems(check, "User", users, maxContactWayUsers), concl.validate()); err != nil {
		return err
	}
	if expiresIn < 0 || expiresIn > maxTempSeconds {
		return check.Invalidf("ExpiresIn is %d s; WeCom allows at most 14 days", expiresIn)
	}
	if chatExpiresIn < 0 || chatExpiresIn > maxTempSeconds {
		return check.Invalidf("ChatExpiresIn is %d s; WeCom allows at most 14 days", chatExpiresIn)
	}
	return nil
}

func (r *AddContactWayRequest) validate() error {
	switch r.Type {
	case ContactWaySingle:
		if len(r.User) != 1 || len(r.Party) != 0 {
			return check.Invalidf("a single-member contact way needs exactly one User and no Party")
		}
	case ContactWayMulti:
		if len(r.User) == 0 && len(r.Party) == 0 {
			return check.Invalidf("a multi-member contact way needs User or Party")
		}
		if r.IsTemp {
			return check.Invalidf("temporary-session contact ways are single-member only")
		}
	default:
		return check.Invalidf("Type is %d; want ContactWaySingle or ContactWayMulti", r.Type)
	}
	if r.Scene != SceneMiniProgram && r.Scene != SceneQRCode {
		return check.Invalidf("Scene is %d; want SceneMiniProgram or SceneQRCode", r.Scene)
	}
	if !r.IsTemp && (r.ExpiresIn != 0 || r.ChatExpiresIn != 0 || r.UnionID != "" || r.Conclusions != nil) {
		return check.Invalidf("ExpiresIn, ChatExpiresIn, UnionID and Conclusions apply to temporary sessions only (IsTemp)")
	}
	return validateWayCommon(r.Remark, r.State, r.User, r.ExpiresIn, r.ChatExpiresIn, r.Conclusions)
}

// AddContactWayResponse is the answer of AddContactWay.
type AddContactWayResponse struct {
	// ConfigID is the only handle to edit or delete the way: store it.
	ConfigID string `json:"config_id"`
	QRCode   string `json:"qr_code,omitempty"` // SceneQRCode only
}

// AddContactWay creates a 「联系我」 contact way. It is never re-sent once it
// may have reached WeCom: such an error is a *wecom.MaybeCreatedError
// (matching wecom.ErrOutcomeUnknown); list the window it names with
// ListContactWaysIter and look for the way (GetContactWay: its state and
// remark) before creating it again. A closing message's image or cover
// given as a file is sent with the media id the MediaCache holds for it
// (see Service.MediaCache).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
func (s *Service) AddContactWay(ctx context.Context, req *AddContactWayRequest) (*AddContactWayResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	var out AddContactWayResponse
	body := req
	concl, refs := req.Conclusions.toSend()
	if refs != nil {
		c := *req
		c.Conclusions = concl
		body = &c
	}
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/externalcontact/add_contact_way", body, &out, func(since, until time.Time) string {
			return fmt.Sprintf("list list_contact_way (ListContactWaysIter) with %s and read each way (GetContactWay) for state %q, remark %q",
				api.Window(since, until), req.State, req.Remark)
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ContactWay is a configured contact way as get_contact_way returns it.
type ContactWay struct {
	ConfigID      string          `json:"config_id"`
	Type          ContactWayType  `json:"type"`
	Scene         ContactWayScene `json:"scene"`
	Style         int             `json:"style,omitempty"`
	Remark        string          `json:"remark"`
	SkipVerify    bool            `json:"skip_verify"`
	State         string          `json:"state"`
	QRCode        string          `json:"qr_code,omitempty"`
	User          []string        `json:"user"`
	Party         []int           `json:"party"`
	IsTemp        bool            `json:"is_temp"`
	ExpiresIn     int             `json:"expires_in,omitempty"`
	ChatExpiresIn int             `json:"chat_expires_in,omitempty"`
	UnionID       string          `json:"unionid,omitempty"`
	// IsExclusive and MarkSource are decoded if WeCom echoes them (not
	// confirmed by the docs).
	IsExclusive bool         `json:"is_exclusive,omitempty"`
	MarkSource  *bool        `json:"mark_source,omitempty"`
	Conclusions *Conclusions `json:"conclusions,omitempty"`
}

// GetContactWay returns one contact way.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
func (s *Service) GetContactWay(ctx context.Context, configID string) (*ContactWay, error) {
	if err := check.Required("configID", configID); err != nil {
		return nil, err
	}
	var out struct {
		ContactWay ContactWay `json:"contact_way"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_contact_way", configIDBody{configID}, &out); err != nil {
		return nil, err
	}
	return &out.ContactWay, nil
}

type configIDBody struct {
	ConfigID string `json:"config_id"`
}

// ListContactWaysRequest pages through the contact ways created through the
// API (after 2021-07-10, temporary sessions excluded).
type ListContactWaysRequest struct {
	StartTime wecom.UnixTime `json:"start_time,omitempty"` // default: 90 days ago
	EndTime   wecom.UnixTime `json:"end_time,omitempty"`   // default: now
	Cursor    string         `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (100), at most 1000; a
	// larger one is sent as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// maxContactWaysPageLimit is the largest page of list_contact_way.
const maxContactWaysPageLimit = 1000

// ContactWayRef is a contact way as list_contact_way names it: by its
// config id only.
type ContactWayRef struct {
	ConfigID string `json:"config_id"`
}

// ListContactWaysResponse is one page of config ids.
type ListContactWaysResponse struct {
	ContactWay []ContactWayRef `json:"contact_way"`
	NextCursor string          `json:"next_cursor"`
}

// ListContactWays returns one page of contact way config ids; use
// GetContactWay for the details.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
func (s *Service) ListContactWays(ctx context.Context, req *ListContactWaysRequest) (*ListContactWaysResponse, error) {
	var body ListContactWaysRequest
	if req != nil {
		body = *req
	}
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", body.Limit, maxContactWaysPageLimit); err != nil {
		return nil, err
	}
	if body.EndTime != 0 && body.StartTime > body.EndTime {
		return nil, check.Invalidf("StartTime is after EndTime")
	}
	var out ListContactWaysResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/list_contact_way", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListContactWaysIter yields the config id of every contact way req selects,
// starting at req.Cursor. req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
func (s *Service) ListContactWaysIter(ctx context.Context, req *ListContactWaysRequest) iter.Seq2[string, error] {
	ways := api.Iter(ctx, req, s.ListContactWays, func(r *ListContactWaysRequest) *string { return &r.Cursor },
		func(p *ListContactWaysResponse) ([]ContactWayRef, string) { return p.ContactWay, p.NextCursor })
	return api.IDs(ways, func(w *ContactWayRef) string { return w.ConfigID })
}

// UpdateContactWayRequest changes a contact way. User and Party replace the
// lists wholesale: send the full lists you want. Type, Scene and IsTemp
// cannot be changed. Zero fields are not sent and leave the current value.
type UpdateContactWayRequest struct {
	ConfigID string `json:"config_id"`
	// Remark and State overwrite the current ones (at most 30 characters
	// each). An empty one is not sent: WeCom documents no way to clear
	// them, so they can be replaced but not removed.
	Remark     string   `json:"remark,omitempty"`
	SkipVerify *bool    `json:"skip_verify,omitempty"`
	Style      int      `json:"style,omitempty"` // SceneMiniProgram only
	State      string   `json:"state,omitempty"`
	User       []string `json:"user,omitempty"`
	Party      []int    `json:"party,omitempty"` // ContactWayMulti only
	// ExpiresIn, ChatExpiresIn, UnionID and Conclusions apply to
	// temporary-session ways only; WeCom refuses them for others.
	ExpiresIn     int          `json:"expires_in,omitempty"`
	ChatExpiresIn int          `json:"chat_expires_in,omitempty"`
	UnionID       string       `json:"unionid,omitempty"`
	Conclusions   *Conclusions `json:"conclusions,omitempty"`
}

// UpdateContactWay changes a contact way. A closing message's files are
// sent as AddContactWay sends them.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
func (s *Service) UpdateContactWay(ctx context.Context, req *UpdateContactWayRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("ConfigID", req.ConfigID),
		validateWayCommon(req.Remark, req.State, req.User, req.ExpiresIn, req.ChatExpiresIn, req.Conclusions)); err != nil {
		return err
	}
	body := *req
	var refs []api.MediaRef
	body.Conclusions, refs = req.Conclusions.toSend()
	return api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/update_contact_way", &body, nil)
	})
}

// DelContactWay deletes a contact way. The client repeats it after a
// failure in transit; when the first attempt had already deleted it, the
// repetition fails with errcode 41044: an error for which IsNotFound is true
// means it is gone.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
func (s *Service) DelContactWay(ctx context.Context, configID string) error {
	if err := check.Required("configID", configID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/del_contact_way", configIDBody{configID}, nil)
}

// CloseTempChat ends a temporary session between a member and a customer
// that came through a temporary-session contact way; the way's closing
// message is sent first.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
func (s *Service) CloseTempChat(ctx context.Context, userID, externalUserID string) error {
	if err := api.FirstErr(check.Required("userID", userID), check.Required("externalUserID", externalUserID)); err != nil {
		return err
	}
	body := struct {
		UserID         string `json:"userid"`
		ExternalUserID string `json:"external_userid"`
	}{userID, externalUserID}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/close_temp_chat", body, nil)
}
