package contact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// ListFollowUsers returns the userids of the members that have the
// customer-contact feature, within the app's visible range.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92571
func (s *Service) ListFollowUsers(ctx context.Context) ([]string, error) {
	var out struct {
		FollowUser []string `json:"follow_user"`
	}
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/get_follow_user_list", nil, &out); err != nil {
		return nil, err
	}
	return out.FollowUser, nil
}

// CheckFollowUserRequest names the members and departments to check; at
// least one of either.
type CheckFollowUserRequest struct {
	UserID  []string `json:"userid,omitempty"`
	PartyID []int    `json:"partyid,omitempty"`
}

// FollowUserScope is a set of members and departments.
type FollowUserScope struct {
	UserID  []string `json:"userid,omitempty"`
	PartyID []int    `json:"partyid,omitempty"`
}

// CheckFollowUserResponse splits the members and departments of the
// request by whether they have the customer-contact feature (客户联系使用权限).
type CheckFollowUserResponse struct {
	Authorized   FollowUserScope `json:"authorized"`
	Unauthorized FollowUserScope `json:"unauthorized"`
}

// CheckFollowUser tells which of some members and departments have the
// customer-contact feature (检查用户是否配置了客户联系功能使用权限): the check to
// make before giving a member a contact way or a customer, which fail for
// one without it. ListFollowUsers lists every member that has it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96312
func (s *Service) CheckFollowUser(ctx context.Context, req *CheckFollowUserRequest) (*CheckFollowUserResponse, error) {
	if req == nil || len(req.UserID) == 0 && len(req.PartyID) == 0 {
		return nil, check.Invalidf("CheckFollowUser needs UserID or PartyID")
	}
	var out CheckFollowUserResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/check_follow_user", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns the external_userids of every customer of one member.
// WeCom does not page this list.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92113
func (s *Service) List(ctx context.Context, userID string) ([]string, error) {
	if err := check.Required("userID", userID); err != nil {
		return nil, err
	}
	var out struct {
		ExternalUserID []string `json:"external_userid"`
	}
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/list", url.Values{"userid": {userID}}, &out); err != nil {
		return nil, err
	}
	return out.ExternalUserID, nil
}

// GetRequest names the customer Get reads and the page of its follow users.
type GetRequest struct {
	// ExternalUserID is the customer (required).
	ExternalUserID string
	// Cursor is "" for the first page of follow users, or a
	// CustomerDetail.NextCursor for the next one.
	Cursor string
}

// CustomerDetail is the answer of Get: the customer and one page of the
// members that follow it.
type CustomerDetail struct {
	ExternalContact ExternalContact `json:"external_contact"`
	FollowUser      []FollowUser    `json:"follow_user"`
	// NextCursor is set when the customer has more than 500 follow users;
	// pass it in GetRequest.Cursor for the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Get returns a customer with one page (500) of its follow users, from
// req.Cursor ("" for the first page). Use GetIter to read every follow
// user, and CustomerName when only the name is needed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (s *Service) Get(ctx context.Context, req *GetRequest) (*CustomerDetail, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("ExternalUserID", req.ExternalUserID); err != nil {
		return nil, err
	}
	q := url.Values{"external_userid": {req.ExternalUserID}}
	if req.Cursor != "" {
		q.Set("cursor", req.Cursor)
	}
	var out CustomerDetail
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/get", q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetIter yields every follow user of req's customer, page after page of
// Get, starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (s *Service) GetIter(ctx context.Context, req *GetRequest) iter.Seq2[*FollowUser, error] {
	return api.Iter(ctx, req, s.Get, func(r *GetRequest) *string { return &r.Cursor },
		func(d *CustomerDetail) ([]FollowUser, string) { return d.FollowUser, d.NextCursor })
}

// BatchGetByUserRequest asks batch/get_by_user for the customers of some
// members.
type BatchGetByUserRequest struct {
	// UserIDList names 1 to MaxBatchUsers members (any number for
	// BatchGetByUserMany, which splits them).
	UserIDList []string `json:"userid_list"`
	Cursor     string   `json:"cursor,omitempty"` // "" for the first page
	// Limit is the page size: 0 for WeCom's default (50), at most 100; a
	// larger one is sent as 100 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// BatchGetByUserResponse is one page of batch/get_by_user.
type BatchGetByUserResponse struct {
	ExternalContactList []CustomerRecord `json:"external_contact_list"`
	NextCursor          string           `json:"next_cursor"` // "" on the last page
	// FailInfo lists the members whose customers WeCom left out: those
	// without an interop licence (互通许可). When every member of the
	// request lacks one, WeCom answers errcode 701008 instead (IsUnlicensed).
	FailInfo *BatchFailInfo `json:"fail_info,omitempty"`
}

// BatchFailInfo is batch/get_by_user's fail_info.
type BatchFailInfo struct {
	// UnlicensedUserIDList are the members of the request that have no
	// interop licence; their customers are not in the answer.
	UnlicensedUserIDList []string `json:"unlicensed_userid_list,omitempty"`
}

// Unlicensed returns the members of the request that WeCom reported
// without an interop licence, or nil.
func (r *BatchGetByUserResponse) Unlicensed() []string {
	if r == nil || r.FailInfo == nil {
		return nil
	}
	return r.FailInfo.UnlicensedUserIDList
}

// ErrUnlicensed is matched (errors.Is) by the per-member error
// BatchGetByUserMany reports for a member WeCom listed without an interop
// licence (互通许可); IsUnlicensed is true for it and for errcode 701008.
var ErrUnlicensed = errors.New("contact: the member has no interop licence (互通许可); WeCom leaves its customers out")

// IsUnlicensed reports whether err says members have no interop licence:
// WeCom's errcode 701008 (every member of a batch/get_by_user request lacks
// one) or ErrUnlicensed.
func IsUnlicensed(err error) bool {
	return errors.Is(err, ErrUnlicensed) || wecom.ErrorCode(err) == wecom.CodeNoInteropLicense
}

// body checks r and returns what to send: r with its Limit clamped.
func (r *BatchGetByUserRequest) body() (*BatchGetByUserRequest, error) {
	if len(r.UserIDList) == 0 {
		return nil, check.Invalidf("UserIDList is required")
	}
	b := *r
	var err error
	if b.Limit, err = api.ClampLimit(check, "Limit", r.Limit, maxBatchLimit); err != nil {
		return nil, err
	}
	if err := api.MaxItems(check, "UserIDList", r.UserIDList, MaxBatchUsers); err != nil {
		return nil, err
	}
	return &b, nil
}

// BatchGetByUser returns one page of the customers of up to 100 members,
// one record per (customer, member) pair. Members without an interop
// licence are left out and listed in the answer's FailInfo; when all of
// them lack one the error is WeCom's 701008 (IsUnlicensed).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (s *Service) BatchGetByUser(ctx context.Context, req *BatchGetByUserRequest) (*BatchGetByUserResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	body, err := req.body()
	if err != nil {
		return nil, err
	}
	var out BatchGetByUserResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/batch/get_by_user", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchGetByUserIter yields every record of batch/get_by_user for req's
// members, starting at req.Cursor. req is not modified. It yields records
// only: members WeCom leaves out for want of an interop licence are not
// reported here (use BatchGetByUserMany or Sync, which report them).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (s *Service) BatchGetByUserIter(ctx context.Context, req *BatchGetByUserRequest) iter.Seq2[*CustomerRecord, error] {
	return api.Iter(ctx, req, s.BatchGetByUser, func(r *BatchGetByUserRequest) *string { return &r.Cursor },
		func(p *BatchGetByUserResponse) ([]CustomerRecord, string) { return p.ExternalContactList, p.NextCursor })
}

// BatchGetByUserMany reads every customer record of any number of members:
// req.UserIDList is split into calls of MaxBatchUsers, each chunk is read to
// its end (pages of req.Limit records, 0 for 100), at most concurrency
// chunks at a time (wecom.DefaultBatchConcurrency when <= 0), all under the
// client's rate limiter. req is not modified.
//
// The result has one entry per userid in order, with the records that
// member follows; a chunk that fails marks each of its userids with the
// error; a member WeCom reports without an interop licence gets an error
// matching ErrUnlicensed (IsUnlicensed), and a chunk of such members
// WeCom's 701008. The error is for a request refused before anything is
// sent (ErrInvalidArgument): nil, without userids, with a Cursor (each
// chunk is read from its first page) or with a negative Limit.
// It holds every record in memory: use Sync to stream a whole corp.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (s *Service) BatchGetByUserMany(ctx context.Context, req *BatchGetByUserRequest, concurrency int) ([]wecom.BatchResult[string, []CustomerRecord], error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if len(req.UserIDList) == 0 {
		return nil, check.Invalidf("UserIDList is required")
	}
	if req.Cursor != "" {
		return nil, check.Invalidf("Cursor is set; BatchGetByUserMany reads each chunk of members from its first page (use BatchGetByUserIter to go on from a cursor)")
	}
	limit, err := api.ClampLimit(check, "Limit", req.Limit, maxBatchLimit)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = maxBatchLimit
	}
	return wecom.Batch(ctx, req.UserIDList, MaxBatchUsers, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, []CustomerRecord]) error {
			index := make(map[string][]int, len(chunk))
			for i, u := range chunk {
				index[u] = append(index[u], i)
			}
			page := BatchGetByUserRequest{UserIDList: chunk, Limit: limit}
			for {
				resp, err := s.BatchGetByUser(ctx, &page)
				if err != nil {
					return err
				}
				for _, rec := range resp.ExternalContactList {
					for _, i := range index[rec.FollowInfo.UserID] {
						out[i].Value = append(out[i].Value, rec)
					}
				}
				for _, u := range resp.Unlicensed() {
					for _, i := range index[u] {
						if out[i].Err == nil {
							out[i].Err = fmt.Errorf("%w: %s", ErrUnlicensed, u)
						}
					}
				}
				if resp.NextCursor == "" || resp.NextCursor == page.Cursor {
					return nil
				}
				page.Cursor = resp.NextCursor
			}
		}), nil
}

// Lengths of a member's remark on a customer, in characters (the remark
// itself is maxCustomerRemarkLen, remark_template.go).
const (
	maxRemarkDescriptionLen = 150
	maxRemarkCompanyLen     = 20
)

// RemarkRequest edits a member's remark on a customer. At least one of
// Remark, Description, RemarkCompany, RemarkMobiles and RemarkPicMediaID
// (or its file, RemarkPicUpload) must be set.
type RemarkRequest struct {
	UserID         string `json:"userid"`
	ExternalUserID string `json:"external_userid"`
	Remark         string `json:"remark,omitempty"`         // at most 20 characters
	Description    string `json:"description,omitempty"`    // at most 150 characters
	RemarkCompany  string `json:"remark_company,omitempty"` // at most 20 characters; WeChat customers only
	// RemarkMobiles replaces every remark phone number. nil leaves them; an
	// empty, non-nil slice clears them (sent as [""], which is how WeCom
	// documents clearing; []string{""} does the same).
	RemarkMobiles []string `json:"remark_mobiles,omitempty"`
	// RemarkPicMediaID is the remark's picture: a temporary media id
	// (media/upload, type image).
	RemarkPicMediaID string `json:"remark_pic_mediaid,omitempty"`
	// RemarkPicUpload is the picture's image file; Remark fills
	// RemarkPicMediaID from the Service's MediaCache (see
	// Service.MediaCache).
	RemarkPicUpload *wecom.MediaSource `json:"-"`
}

// MarshalJSON encodes the request as WeCom expects it: an empty, non-nil
// RemarkMobiles becomes [""] (clear every remark phone number) instead of
// being left out.
func (r RemarkRequest) MarshalJSON() ([]byte, error) {
	type plain RemarkRequest
	p := plain(r)
	if p.RemarkMobiles != nil && len(p.RemarkMobiles) == 0 {
		p.RemarkMobiles = []string{""}
	}
	return json.Marshal(p)
}

func (r *RemarkRequest) validate() error {
	if err := api.FirstErr(check.Required("UserID", r.UserID), check.Required("ExternalUserID", r.ExternalUserID),
		check.MaxChars("Remark", r.Remark, maxCustomerRemarkLen), check.MaxChars("Description", r.Description, maxRemarkDescriptionLen),
		check.MaxChars("RemarkCompany", r.RemarkCompany, maxRemarkCompanyLen)); err != nil {
		return err
	}
	if r.Remark == "" && r.Description == "" && r.RemarkCompany == "" && r.RemarkMobiles == nil && r.RemarkPicMediaID == "" && r.RemarkPicUpload == nil {
		return check.Invalidf("RemarkRequest changes nothing: set Remark, Description, RemarkCompany, RemarkMobiles or RemarkPicMediaID (or RemarkPicUpload)")
	}
	return nil
}

// Remark edits a member's remark, description, remark company, remark
// phone numbers or remark picture for one customer. A picture given as a
// file (RemarkPicUpload) is sent with the media id the MediaCache holds
// for it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92115
func (s *Service) Remark(ctx context.Context, req *RemarkRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return err
	}
	body := *req
	refs := api.AddMedia(nil, &body.RemarkPicMediaID, req.RemarkPicUpload, wecom.MediaImage)
	return api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/remark", &body, nil)
	})
}
