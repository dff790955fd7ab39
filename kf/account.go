package kf

import (
	"context"
	"iter"
	"net/url"
	"strings"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Account is a customer-service account (客服账号) as account/list answers
// it.
type Account struct {
	OpenKfID string `json:"open_kfid"`
	Name     string `json:"name"`
	Avatar   string `json:"avatar"` // the avatar's URL
	// ManagePrivilege reports whether the calling app may manage the
	// account through the API (通过API管理微信客服账号). WeCom does not
	// return it to 微信客服组件 apps.
	ManagePrivilege bool `json:"manage_privilege"`
}

// AddAccountRequest describes a new customer-service account.
type AddAccountRequest struct {
	// Name is required, at most 16 characters.
	Name string `json:"name"`
	// MediaID is the avatar: a temporary image (wecom.Client.UploadMedia,
	// type image), at most 128 bytes. Required unless Upload is set.
	MediaID string `json:"media_id"`
	// Upload is the avatar's image file; AddAccount fills MediaID from the
	// Service's MediaCache (see Service.MediaCache).
	Upload *wecom.MediaSource `json:"-"`
}

// AddAccount creates a customer-service account and returns its
// open_kfid. An avatar given as a file (Upload) is sent with the media id
// the MediaCache holds for it. An account created through the API is managed through the API
// from the start. A corp may have at most 5,000 accounts (95005), a corp
// that has not verified its subject 10 (95027); WeCom may refuse a corp
// whose accounts are little used (95026). A self-built app must also be
// given at least one account to manage in the admin console (微信客服 →
// 通过API管理会话消息 → 可管理的客服账号) before it may call this.
//
// A failure that may have reached WeCom is a *wecom.MaybeCreatedError:
// list the accounts (ListAccountsIter) and look for Name before trying
// again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94662
func (s *Service) AddAccount(ctx context.Context, req *AddAccountRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := api.FirstErr(
		check.Required("Name", req.Name), check.MaxChars("Name", req.Name, maxAccountName),
		check.RequiredMedia("MediaID", req.MediaID, "Upload", req.Upload), check.MaxBytes("MediaID", req.MediaID, maxMediaID),
	); err != nil {
		return "", err
	}
	var out struct {
		OpenKfID string `json:"open_kfid"`
	}
	hint := func(_, _ time.Time) string {
		return "list the accounts (ListAccountsIter) and look for one named " + req.Name
	}
	body := *req
	refs := api.AddMedia(nil, &body.MediaID, req.Upload, wecom.MediaImage)
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/kf/account/add", &body, &out, hint)
	})
	if err != nil {
		return "", err
	}
	return out.OpenKfID, nil
}

// DelAccount deletes a customer-service account. Deleting one that no
// longer exists answers 95004 (IsNotFound).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94663
func (s *Service) DelAccount(ctx context.Context, openKfID string) error {
	if err := checkOpenKfID(openKfID); err != nil {
		return err
	}
	body := struct {
		OpenKfID string `json:"open_kfid"`
	}{openKfID}
	return api.Idempotent(ctx, s.c, "/cgi-bin/kf/account/del", body, nil)
}

// UpdateAccountRequest changes an account's name or avatar; an empty field
// is left as it is (如不需要修改可不填).
type UpdateAccountRequest struct {
	OpenKfID string `json:"open_kfid"`      // required
	Name     string `json:"name,omitempty"` // at most 16 characters
	// MediaID is a new avatar: a temporary image, at most 128 bytes.
	MediaID string `json:"media_id,omitempty"`
	// Upload is a new avatar's image file; UpdateAccount fills MediaID
	// from the Service's MediaCache (see Service.MediaCache).
	Upload *wecom.MediaSource `json:"-"`
}

// UpdateAccount changes an account's name or avatar.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94664
func (s *Service) UpdateAccount(ctx context.Context, req *UpdateAccountRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID),
		check.MaxChars("Name", req.Name, maxAccountName), check.MaxBytes("MediaID", req.MediaID, maxMediaID)); err != nil {
		return err
	}
	if req.Name == "" && req.MediaID == "" && req.Upload == nil {
		return check.Invalidf("nothing to update: give Name, MediaID (or its file, Upload) or both")
	}
	body := *req
	refs := api.AddMedia(nil, &body.MediaID, req.Upload, wecom.MediaImage)
	return api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/kf/account/update", &body, nil)
	})
}

// ListAccountsRequest pages through the accounts.
type ListAccountsRequest struct {
	Offset int `json:"offset"`
	// Limit is 1 to 100 accounts per page; 0 leaves WeCom's default, 100.
	Limit int `json:"limit,omitempty"`
}

// ListAccountsResponse is one page of accounts. A page with fewer than the
// limit is the last.
type ListAccountsResponse struct {
	AccountList []Account `json:"account_list"`
}

// ListAccounts reads one page of the corp's customer-service accounts
// (account/list is a POST since 2023; the 2021 docs had a GET).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94661
func (s *Service) ListAccounts(ctx context.Context, req *ListAccountsRequest) (*ListAccountsResponse, error) {
	if req == nil {
		req = &ListAccountsRequest{}
	}
	if req.Offset < 0 {
		return nil, check.Invalidf("Offset %d is negative", req.Offset)
	}
	if req.Limit < 0 || req.Limit > maxAccountPage {
		return nil, check.Invalidf("Limit %d: WeCom takes 1 to %d accounts per page (0 for its default, %d)", req.Limit, maxAccountPage, maxAccountPage)
	}
	var out ListAccountsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/account/list", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAccountsIter walks every account from req.Offset on, a page at a
// time, until a page holds fewer than the limit.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94661
func (s *Service) ListAccountsIter(ctx context.Context, req *ListAccountsRequest) iter.Seq2[*Account, error] {
	limit := maxAccountPage
	if req != nil && req.Limit > 0 {
		limit = req.Limit
	}
	// accountPage is a page with the offset it was read at, for the next.
	type accountPage struct {
		list   []Account
		offset int
	}
	return api.Iter(ctx, req, func(ctx context.Context, r *ListAccountsRequest) (*accountPage, error) {
		resp, err := s.ListAccounts(ctx, r)
		if err != nil {
			return nil, err
		}
		return &accountPage{resp.AccountList, r.Offset}, nil
	}, func(r *ListAccountsRequest) *int { return &r.Offset },
		func(p *accountPage) ([]Account, int) {
			if len(p.list) < limit {
				return p.list, 0
			}
			return p.list, p.offset + len(p.list)
		})
}

// AddContactWayRequest asks for an account's link (客服账号链接).
type AddContactWayRequest struct {
	OpenKfID string `json:"open_kfid"` // required
	// Scene is a value of the application's own, echoed in the
	// enter_session event of a customer who opens the link: at most 32
	// bytes of [0-9a-zA-Z_-]. With a Scene, the link also takes a
	// scene_param (SceneURL).
	Scene string `json:"scene,omitempty"`
}

// AddContactWay returns a link (客服链接) to the account: a customer who
// opens it in WeChat starts a conversation with it, and the app receives
// enter_session with req.Scene. Put it in a web page, or make a QR code of
// it. The link must be used as it is: changing it or copying its
// parameters into another link breaks the enter_session check, and no
// event arrives.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94665
func (s *Service) AddContactWay(ctx context.Context, req *AddContactWayRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID), token("Scene", req.Scene, maxScene)); err != nil {
		return "", err
	}
	var out struct {
		URL string `json:"url"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/add_contact_way", req, &out); err != nil {
		return "", err
	}
	return out.URL, nil
}

// SceneURL appends sceneParam to a link AddContactWay returned for a
// non-empty Scene, as WeCom asks: "&scene_param=" and the value
// URL-encoded. The customer's enter_session event then carries sceneParam
// as it was given (MsgEvent.SceneParam). sceneParam is at most 128 bytes
// before encoding; links of the older kind (with encScene=) take none.
func SceneURL(link, sceneParam string) (string, error) {
	if link == "" {
		return "", check.Invalidf("link is required")
	}
	if err := check.MaxBytes("sceneParam", sceneParam, maxSceneParam); err != nil {
		return "", err
	}
	if strings.Contains(link, "encScene=") {
		return "", check.Invalidf("link has encScene=: links of that older kind take no scene_param")
	}
	if !strings.Contains(link, "enc_scene=") {
		return "", check.Invalidf("link has no enc_scene=: only a link made with a Scene takes a scene_param")
	}
	return link + "&scene_param=" + url.QueryEscape(sceneParam), nil
}
