package contact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"

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
	if err := s.get(ctx, "/cgi-bin/externalcontact/get_follow_user_list", nil, &out); err != nil {
		return nil, err
	}
	return out.FollowUser, nil
}

// List returns the external_userids of every customer of one member.
// WeCom does not page this list.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92113
func (s *Service) List(ctx context.Context, userID string) ([]string, error) {
	if err := required("userID", userID); err != nil {
		return nil, err
	}
	var out struct {
		ExternalUserID []string `json:"external_userid"`
	}
	if err := s.get(ctx, "/cgi-bin/externalcontact/list", url.Values{"userid": {userID}}, &out); err != nil {
		return nil, err
	}
	return out.ExternalUserID, nil
}

// CustomerDetail is the answer of Get: the customer and one page of the
// members that follow it.
type CustomerDetail struct {
	ExternalContact ExternalContact `json:"external_contact"`
	FollowUser      []FollowUser    `json:"follow_user"`
	// NextCursor is set when the customer has more than 500 follow users;
	// pass it to Get for the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Get returns a customer with one page (500) of its follow users; cursor is
// "" for the first page. Use GetIter to read every follow user.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (s *Service) Get(ctx context.Context, externalUserID, cursor string) (*CustomerDetail, error) {
	if err := required("externalUserID", externalUserID); err != nil {
		return nil, err
	}
	q := url.Values{"external_userid": {externalUserID}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out CustomerDetail
	if err := s.get(ctx, "/cgi-bin/externalcontact/get", q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetIter yields every follow user of a customer, page after page
// of Get.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (s *Service) GetIter(ctx context.Context, externalUserID string) iter.Seq2[*FollowUser, error] {
	return wecom.Paginate(ctx, "", func(ctx context.Context, cursor string) ([]*FollowUser, string, error) {
		d, err := s.Get(ctx, externalUserID, cursor)
		if err != nil {
			return nil, "", err
		}
		items := make([]*FollowUser, len(d.FollowUser))
		for i := range d.FollowUser {
			items[i] = &d.FollowUser[i]
		}
		return items, d.NextCursor, nil
	})
}

// BatchGetRequest asks batch/get_by_user for the customers of some members.
type BatchGetRequest struct {
	UserIDList []string `json:"userid_list"`      // 1 to 100 member userids
	Cursor     string   `json:"cursor,omitempty"` // "" for the first page
	Limit      int      `json:"limit,omitempty"`  // page size, 0 for WeCom's default (50), at most 100
}

// BatchGetResponse is one page of batch/get_by_user.
type BatchGetResponse struct {
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
func (r *BatchGetResponse) Unlicensed() []string {
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

func (r *BatchGetRequest) validate() error {
	if len(r.UserIDList) == 0 {
		return invalidf("UserIDList is required")
	}
	if r.Limit < 0 || r.Limit > MaxBatchLimit {
		return invalidf("Limit is %d; WeCom allows 1 to %d (0 for its default)", r.Limit, MaxBatchLimit)
	}
	return maxItems("UserIDList", r.UserIDList, MaxBatchUsers)
}

// BatchGetByUser returns one page of the customers of up to 100 members,
// one record per (customer, member) pair. Members without an interop
// licence are left out and listed in the answer's FailInfo; when all of
// them lack one the error is WeCom's 701008 (IsUnlicensed).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (s *Service) BatchGetByUser(ctx context.Context, req *BatchGetRequest) (*BatchGetResponse, error) {
	if req == nil {
		return nil, invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	var out BatchGetResponse
	if err := s.read(ctx, "/cgi-bin/externalcontact/batch/get_by_user", req, &out); err != nil {
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
func (s *Service) BatchGetByUserIter(ctx context.Context, req *BatchGetRequest) iter.Seq2[*CustomerRecord, error] {
	if req == nil {
		return errSeq[*CustomerRecord](invalidf("request is nil"))
	}
	r := *req
	return wecom.Paginate(ctx, r.Cursor, func(ctx context.Context, cursor string) ([]*CustomerRecord, string, error) {
		page := r
		page.Cursor = cursor
		resp, err := s.BatchGetByUser(ctx, &page)
		if err != nil {
			return nil, "", err
		}
		return recordPtrs(resp.ExternalContactList), resp.NextCursor, nil
	})
}

// BatchGetByUserMany reads every customer record of any number of members:
// the userids are split into chunks of 100, each chunk is read to its end
// (pages of limit records, 0 for 100), at most concurrency chunks at a time
// (wecom.DefaultBatchConcurrency when <= 0), all under the client's rate
// limiter. The result has one entry per userid in order; a chunk that fails
// marks each of its userids with the error; a member WeCom reports without an
// interop licence gets an error matching ErrUnlicensed (IsUnlicensed), and a
// chunk of such members WeCom's 701008. It holds every record in memory: use
// Sync to stream a whole corp.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (s *Service) BatchGetByUserMany(ctx context.Context, userIDs []string, limit, concurrency int) []wecom.BatchResult[string, []CustomerRecord] {
	if limit == 0 {
		limit = MaxBatchLimit
	}
	return wecom.Batch(ctx, userIDs, MaxBatchUsers, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, []CustomerRecord]) error {
			index := make(map[string][]int, len(chunk))
			for i, u := range chunk {
				index[u] = append(index[u], i)
			}
			req := BatchGetRequest{UserIDList: chunk, Limit: limit}
			for {
				resp, err := s.BatchGetByUser(ctx, &req)
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
				if resp.NextCursor == "" || resp.NextCursor == req.Cursor {
					return nil
				}
				req.Cursor = resp.NextCursor
			}
		})
}

// RemarkRequest edits a member's remark on a customer. At least one of
// Remark, Description, RemarkCompany, RemarkMobiles and RemarkPicMediaID
// must be set.
type RemarkRequest struct {
	UserID         string `json:"userid"`
	ExternalUserID string `json:"external_userid"`
	Remark         string `json:"remark,omitempty"`         // at most 20 characters
	Description    string `json:"description,omitempty"`    // at most 150 characters
	RemarkCompany  string `json:"remark_company,omitempty"` // at most 20 characters; WeChat customers only
	// RemarkMobiles replaces every remark phone number. nil leaves them; an
	// empty, non-nil slice clears them (sent as [""], which is how WeCom
	// documents clearing; []string{""} does the same).
	RemarkMobiles    []string `json:"remark_mobiles,omitempty"`
	RemarkPicMediaID string   `json:"remark_pic_mediaid,omitempty"` // a media_id from media upload
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
	if err := firstErr(required("UserID", r.UserID), required("ExternalUserID", r.ExternalUserID),
		maxChars("Remark", r.Remark, 20), maxChars("Description", r.Description, 150),
		maxChars("RemarkCompany", r.RemarkCompany, 20)); err != nil {
		return err
	}
	if r.Remark == "" && r.Description == "" && r.RemarkCompany == "" && r.RemarkMobiles == nil && r.RemarkPicMediaID == "" {
		return invalidf("RemarkRequest changes nothing: set Remark, Description, RemarkCompany, RemarkMobiles or RemarkPicMediaID")
	}
	return nil
}

// Remark edits a member's remark, description, remark company, remark
// phone numbers or remark picture for one customer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92115
func (s *Service) Remark(ctx context.Context, req *RemarkRequest) error {
	if req == nil {
		return invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return err
	}
	return s.idempotent(ctx, "/cgi-bin/externalcontact/remark", req, nil)
}

func recordPtrs(recs []CustomerRecord) []*CustomerRecord {
	out := make([]*CustomerRecord, len(recs))
	for i := range recs {
		out[i] = &recs[i]
	}
	return out
}

// errSeq is an iterator that yields err once.
func errSeq[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
