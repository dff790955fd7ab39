package message

import (
	"context"
	"iter"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// MaxMomentListDays is the longest window of get_moment_list: list a
// longer time in windows of this many days.
const MaxMomentListDays = 30

// Page sizes of the Moments record endpoints (named where each Limit is and
// in the error that refuses it).
const (
	maxMomentListLimit       = 20   // get_moment_list (default 20)
	maxMomentTaskLimit       = 1000 // get_moment_task (default 500)
	maxMomentCustomerLimit   = 1000 // get_moment_customer_list (default 500)
	maxMomentSendResultLimit = 5000 // get_moment_send_result (default 3000)
)

// VisibleType says who can see a Moments post.
type VisibleType int

const (
	VisiblePartly VisibleType = 0 // only customers with the chosen tags
	VisiblePublic VisibleType = 1
)

// PublishStatus is whether a member has posted a corp Moments post.
type PublishStatus int

const (
	NotPublished PublishStatus = 0
	Published    PublishStatus = 1
)

// ListMomentsRequest selects Moments posts created strictly between
// StartTime and EndTime (required, at most 30 days apart).
type ListMomentsRequest struct {
	StartTime  wecom.UnixTime `json:"start_time"`
	EndTime    wecom.UnixTime `json:"end_time"`
	Creator    string         `json:"creator,omitempty"`
	FilterType CreatorFilter  `json:"filter_type,omitempty"`
	Cursor     string         `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (20), at most 20.
	// The page says WeCom takes its default for a larger one; it is sent
	// as 20 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// Moment is a Moments post. Media ids can be downloaded with media/get.
type Moment struct {
	MomentID    string         `json:"moment_id"`
	Creator     string         `json:"creator,omitempty"` // absent for posts created through the API
	CreateTime  wecom.UnixTime `json:"create_time"`
	CreateType  CreateType     `json:"create_type"`
	VisibleType VisibleType    `json:"visible_type"`
	Text        *Text          `json:"text,omitempty"`
	Image       []MomentMedia  `json:"image,omitempty"`
	Video       *MomentVideo   `json:"video,omitempty"`
	Link        *MomentURL     `json:"link,omitempty"`
	Location    *Location      `json:"location,omitempty"`
}

// MomentVideo is the video of a post and its cover.
type MomentVideo struct {
	MediaID      string `json:"media_id"`
	ThumbMediaID string `json:"thumb_media_id"`
}

// MomentURL is the link of a post.
type MomentURL struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Location is where a post was made; WeCom sends the numbers as strings.
type Location struct {
	Latitude  string `json:"latitude"`
	Longitude string `json:"longitude"`
	Name      string `json:"name"`
}

// ListMomentsResponse is one page of posts.
type ListMomentsResponse struct {
	NextCursor string   `json:"next_cursor"`
	MomentList []Moment `json:"moment_list"`
}

func (r *ListMomentsRequest) validate() error {
	if r.StartTime <= 0 || r.EndTime <= 0 {
		return check.Invalidf("StartTime and EndTime are required")
	}
	if r.EndTime < r.StartTime {
		return check.Invalidf("EndTime is before StartTime")
	}
	if r.EndTime-r.StartTime > MaxMomentListDays*86400 {
		return check.Invalidf("StartTime and EndTime are more than %d days apart", MaxMomentListDays)
	}
	_, err := api.ClampLimit(check, "Limit", r.Limit, maxMomentListLimit)
	return err
}

// ListMoments returns one page of the corp's Moments posts (获取企业全部的发表
// 列表); deleted posts are not listed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) ListMoments(ctx context.Context, req *ListMomentsRequest) (*ListMomentsResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	body := *req
	body.Limit = min(body.Limit, maxMomentListLimit) // validate refused a negative one
	var out ListMomentsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_moment_list", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListMomentsIter yields every post req selects, starting at req.Cursor.
// req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) ListMomentsIter(ctx context.Context, req *ListMomentsRequest) iter.Seq2[*Moment, error] {
	return api.Iter(ctx, req, s.ListMoments, func(r *ListMomentsRequest) *string { return &r.Cursor },
		func(p *ListMomentsResponse) ([]Moment, string) { return p.MomentList, p.NextCursor })
}

// GetMomentTaskRequest pages through the members asked to post a corp post.
type GetMomentTaskRequest struct {
	MomentID string `json:"moment_id"` // a corp-created post
	Cursor   string `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (500), at most 1000.
	// The page says WeCom takes its default for a larger one; it is sent
	// as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// MomentTask is one member's part of a corp post.
type MomentTask struct {
	UserID        string        `json:"userid"`
	PublishStatus PublishStatus `json:"publish_status"`
}

// GetMomentTaskResponse is one page of members.
type GetMomentTaskResponse struct {
	NextCursor string       `json:"next_cursor"`
	TaskList   []MomentTask `json:"task_list"`
}

// GetMomentTask returns one page of the members asked to post a corp
// Moments post and whether each has.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) GetMomentTask(ctx context.Context, req *GetMomentTaskRequest) (*GetMomentTaskResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("MomentID", req.MomentID); err != nil {
		return nil, err
	}
	body := *req
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", req.Limit, maxMomentTaskLimit); err != nil {
		return nil, err
	}
	var out GetMomentTaskResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_moment_task", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetMomentTaskIter yields every member asked to post a corp post,
// starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) GetMomentTaskIter(ctx context.Context, req *GetMomentTaskRequest) iter.Seq2[*MomentTask, error] {
	return api.Iter(ctx, req, s.GetMomentTask, func(r *GetMomentTaskRequest) *string { return &r.Cursor },
		func(p *GetMomentTaskResponse) ([]MomentTask, string) { return p.TaskList, p.NextCursor })
}

// ListMomentCustomersRequest pages through the customers one member's post
// was meant for.
type ListMomentCustomersRequest struct {
	MomentID string `json:"moment_id"`
	UserID   string `json:"userid"` // the member who posted it
	Cursor   string `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (500), at most 1000.
	// The page says WeCom takes its default for a larger one; it is sent
	// as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// MomentCustomer is a customer of a member's post.
type MomentCustomer struct {
	UserID         string `json:"userid,omitempty"` // the member (ListMomentCustomers only)
	ExternalUserID string `json:"external_userid"`
}

// ListMomentCustomersResponse is one page of the customers a post was
// meant for.
type ListMomentCustomersResponse struct {
	NextCursor   string           `json:"next_cursor"`
	CustomerList []MomentCustomer `json:"customer_list"`
}

// ListMomentCustomers returns one page of the customers a member's post was
// meant for when it was created (获取客户朋友圈发表时选择的可见范围).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) ListMomentCustomers(ctx context.Context, req *ListMomentCustomersRequest) (*ListMomentCustomersResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	body := *req
	var err error
	if body.Limit, err = momentCustomersCheck(req.MomentID, req.UserID, req.Limit, maxMomentCustomerLimit); err != nil {
		return nil, err
	}
	var out ListMomentCustomersResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_moment_customer_list", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListMomentCustomersIter yields every customer ListMomentCustomers pages
// through, starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) ListMomentCustomersIter(ctx context.Context, req *ListMomentCustomersRequest) iter.Seq2[*MomentCustomer, error] {
	return api.Iter(ctx, req, s.ListMomentCustomers, func(r *ListMomentCustomersRequest) *string { return &r.Cursor },
		func(p *ListMomentCustomersResponse) ([]MomentCustomer, string) { return p.CustomerList, p.NextCursor })
}

// GetMomentSendResultRequest pages through the customers who can see one
// member's published post.
type GetMomentSendResultRequest struct {
	MomentID string `json:"moment_id"`
	UserID   string `json:"userid"` // the member who posted it
	Cursor   string `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (3000), at most 5000.
	// The page says WeCom takes its default for a larger one; it is sent
	// as 5000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// GetMomentSendResultResponse is one page of the customers who can see a
// post (MomentCustomer.UserID is not set).
type GetMomentSendResultResponse struct {
	NextCursor   string           `json:"next_cursor"`
	CustomerList []MomentCustomer `json:"customer_list"`
}

// GetMomentSendResult returns one page of the customers who can see a
// member's published post (获取客户朋友圈发表后的可见客户列表).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) GetMomentSendResult(ctx context.Context, req *GetMomentSendResultRequest) (*GetMomentSendResultResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	body := *req
	var err error
	if body.Limit, err = momentCustomersCheck(req.MomentID, req.UserID, req.Limit, maxMomentSendResultLimit); err != nil {
		return nil, err
	}
	var out GetMomentSendResultResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_moment_send_result", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetMomentSendResultIter yields every customer GetMomentSendResult pages
// through, starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) GetMomentSendResultIter(ctx context.Context, req *GetMomentSendResultRequest) iter.Seq2[*MomentCustomer, error] {
	return api.Iter(ctx, req, s.GetMomentSendResult, func(r *GetMomentSendResultRequest) *string { return &r.Cursor },
		func(p *GetMomentSendResultResponse) ([]MomentCustomer, string) { return p.CustomerList, p.NextCursor })
}

// momentCustomersCheck checks the fields both customer lists of a post
// take and returns the limit to send.
func momentCustomersCheck(momentID, userID string, limit, maxLimit int) (int, error) {
	if err := api.FirstErr(check.Required("MomentID", momentID), check.Required("UserID", userID)); err != nil {
		return 0, err
	}
	return api.ClampLimit(check, "Limit", limit, maxLimit)
}

// MomentInteraction is a comment or a like: by a customer (ExternalUserID)
// or by a member (UserID), never both.
type MomentInteraction struct {
	ExternalUserID string         `json:"external_userid,omitempty"`
	UserID         string         `json:"userid,omitempty"`
	CreateTime     wecom.UnixTime `json:"create_time"`
}

// MomentComments are the comments and likes on a member's post.
type MomentComments struct {
	CommentList []MomentInteraction `json:"comment_list"`
	LikeList    []MomentInteraction `json:"like_list"`
}

// GetMomentComments returns the comments and likes on the post momentID as
// userID published it (获取客户朋友圈的互动数据).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (s *Service) GetMomentComments(ctx context.Context, momentID, userID string) (*MomentComments, error) {
	if err := api.FirstErr(check.Required("momentID", momentID), check.Required("userID", userID)); err != nil {
		return nil, err
	}
	body := struct {
		MomentID string `json:"moment_id"`
		UserID   string `json:"userid"`
	}{momentID, userID}
	var out MomentComments
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_moment_comments", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IsNotPostedBy reports whether err is WeCom's answer that the member named
// has not published the post (41061, 41062): ask for a member who has
// (GetMomentTaskIter), or wait until he posts it.
func IsNotPostedBy(err error) bool {
	switch wecom.ErrorCode(err) {
	case wecom.CodeMomentNotPostedByUser, wecom.CodeMomentNotYetPosted:
		return true
	}
	return false
}

// IsInvalidMomentID reports whether WeCom did not know the moment_id (41060).
func IsInvalidMomentID(err error) bool { return wecom.ErrorCode(err) == wecom.CodeInvalidMomentID }
