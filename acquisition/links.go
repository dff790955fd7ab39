package acquisition

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Range is who a link hands customers to: members and departments. Both
// together may cover at most 500 members (departments count with their head
// count) and they cannot both be empty.
type Range struct {
	UserList       []string `json:"user_list,omitempty"`
	DepartmentList []int    `json:"department_list,omitempty"`
}

func (r *Range) validate() error {
	if len(r.UserList) == 0 && len(r.DepartmentList) == 0 {
		return check.Invalidf("Range needs UserList or DepartmentList")
	}
	return api.MaxItems(check, "Range.UserList", r.UserList, maxRangeUsers)
}

// PriorityType says which members a link prefers for a customer who is
// already a friend of one of them (priority_option.priority_type). Only some
// business categories have it.
type PriorityType int

// Priority types.
const (
	// PriorityCorpWide prefers a member of the whole corp who already has
	// the customer as a friend.
	PriorityCorpWide PriorityType = 1
	// PriorityListed prefers, among PriorityUserIDList, a member who already
	// has the customer as a friend.
	PriorityListed PriorityType = 2
)

// PriorityOption is a link's priority assignment (优先分配). The docs list it
// only for some business categories.
type PriorityOption struct {
	PriorityType PriorityType `json:"priority_type"`
	// PriorityUserIDList is required for PriorityListed: at most 1000
	// members.
	PriorityUserIDList []string `json:"priority_userid_list,omitempty"`
}

func (p *PriorityOption) validate() error {
	if p == nil {
		return nil
	}
	switch p.PriorityType {
	case PriorityCorpWide:
		if len(p.PriorityUserIDList) > 0 {
			return check.Invalidf("PriorityOption.PriorityUserIDList applies to PriorityListed only")
		}
	case PriorityListed:
		if len(p.PriorityUserIDList) == 0 {
			return check.Invalidf("PriorityListed needs PriorityOption.PriorityUserIDList")
		}
	default:
		return check.Invalidf("PriorityOption.PriorityType is %d; want PriorityCorpWide or PriorityListed", p.PriorityType)
	}
	return api.MaxItems(check, "PriorityOption.PriorityUserIDList", p.PriorityUserIDList, maxPriorityUsers)
}

// Link is an acquisition link (获客链接).
type Link struct {
	// LinkID is the handle for every other call. get does not echo it; Get
	// fills it in from the request.
	LinkID   string `json:"link_id,omitempty"`
	LinkName string `json:"link_name"`
	// URL is what customers tap. Append customer_channel=<state> (at most
	// 64 bytes) to learn where a customer came from: the value comes back as
	// State of the add_external_contact event and of Customer. See
	// ChannelURL.
	URL        string         `json:"url"`
	CreateTime wecom.UnixTime `json:"create_time"`
	// SkipVerify: customers are added without the member's approval
	// (WeCom's default, true). create_link does not echo it.
	SkipVerify bool `json:"skip_verify"`
	// MarkSource is decoded when WeCom sends it (marketing-acquisition apps;
	// not confirmed in the docs for get's answer).
	MarkSource *bool `json:"mark_source,omitempty"`
}

// ChannelURL returns the link's URL with customer_channel=channel added,
// the form that makes customers carry channel as their state. channel is at
// most 64 bytes: WeCom would cut a longer one, so it is refused.
func (l *Link) ChannelURL(channel string) (string, error) {
	return withChannel(l.URL, channel)
}

func withChannel(raw, channel string) (string, error) {
	if len(channel) > maxChannelBytes {
		return "", check.Invalidf("customer_channel is %d bytes long; WeCom keeps at most %d", len(channel), maxChannelBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", check.Invalidf("link URL %q is not an absolute URL", raw)
	}
	q := u.Query()
	q.Set("customer_channel", channel)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// LinkDetail is a link with its range and priority option, as get answers.
type LinkDetail struct {
	Link           Link            `json:"link"`
	Range          Range           `json:"range"`
	PriorityOption *PriorityOption `json:"priority_option,omitempty"`
}

// ListLinksRequest pages through the links the calling app created and that
// are still valid.
type ListLinksRequest struct {
	// Limit is the page size: 0 for WeCom's default, at most 100; a larger
	// one is sent as 100 (api.ClampLimit).
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// ListLinksResponse is one page of link ids.
type ListLinksResponse struct {
	LinkIDList []string `json:"link_id_list"`
	NextCursor string   `json:"next_cursor"`
}

// ListLinks returns one page of the ids of the links this app created (since
// 2023-12 the links of other apps are not listed). Use Get for the details.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
func (s *Service) ListLinks(ctx context.Context, req *ListLinksRequest) (*ListLinksResponse, error) {
	var body ListLinksRequest
	if req != nil {
		body = *req
	}
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", body.Limit, maxListLinksLimit); err != nil {
		return nil, err
	}
	var out ListLinksResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition/list_link", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListLinksIter yields the id of every link this app created, starting at
// req.Cursor. req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
func (s *Service) ListLinksIter(ctx context.Context, req *ListLinksRequest) iter.Seq2[string, error] {
	return api.IDs(api.Iter(ctx, req, s.ListLinks, func(r *ListLinksRequest) *string { return &r.Cursor },
		func(p *ListLinksResponse) ([]string, string) { return p.LinkIDList, p.NextCursor }),
		func(id *string) string { return *id })
}

type linkIDBody struct {
	LinkID string `json:"link_id"`
}

// Get returns a link this app created, with its range and priority option.
// A link that does not exist (any more) is an error for which IsNotFound is
// true.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
func (s *Service) Get(ctx context.Context, linkID string) (*LinkDetail, error) {
	if err := check.Required("linkID", linkID); err != nil {
		return nil, err
	}
	var out LinkDetail
	if err := api.Read(ctx, s.c, getPath, linkIDBody{linkID}, &out); err != nil {
		return nil, err
	}
	if out.Link.LinkID == "" {
		out.Link.LinkID = linkID
	}
	return &out, nil
}

// CreateLinkRequest configures a new link.
type CreateLinkRequest struct {
	LinkName string `json:"link_name"` // required; at most 30 characters
	Range    Range  `json:"range"`
	// SkipVerify: nil leaves WeCom's default, true (no approval needed).
	SkipVerify     *bool           `json:"skip_verify,omitempty"`
	PriorityOption *PriorityOption `json:"priority_option,omitempty"`
	// MarkSource: nil leaves WeCom's default, true (customers are marked as
	// added through this app's link); effective for marketing-acquisition
	// (营销获客) apps only.
	MarkSource *bool `json:"mark_source,omitempty"`
}

func (r *CreateLinkRequest) validate() error {
	return api.FirstErr(check.Required("LinkName", r.LinkName), check.MaxChars("LinkName", r.LinkName, maxLinkNameLen),
		r.Range.validate(), r.PriorityOption.validate())
}

// CreateLink creates a link and returns it (id, name, URL, creation time).
// It is never re-sent once it may have reached WeCom: such an error is a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); look for the
// link (ListLinksIter, then Get: its name and create_time) before creating
// it again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
func (s *Service) CreateLink(ctx context.Context, req *CreateLinkRequest) (*Link, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	var out struct {
		Link Link `json:"link"`
	}
	err := api.Create(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition/create_link", req, &out, func(since, until time.Time) string {
		return fmt.Sprintf("list customer_acquisition/list_link (ListLinksIter) and read each link (Get) for the name %q and a create_time %s",
			req.LinkName, api.Window(since, until))
	})
	if err != nil {
		return nil, err
	}
	if out.Link.LinkName == "" {
		out.Link.LinkName = req.LinkName
	}
	return &out.Link, nil
}

// UpdateLinkRequest changes a link this app created. Zero fields are not
// sent and leave the current value; Range and PriorityOption, when set,
// replace the current ones wholesale.
type UpdateLinkRequest struct {
	LinkID         string          `json:"link_id"`
	LinkName       string          `json:"link_name,omitempty"` // at most 30 characters
	Range          *Range          `json:"range,omitempty"`
	SkipVerify     *bool           `json:"skip_verify,omitempty"`
	PriorityOption *PriorityOption `json:"priority_option,omitempty"`
	MarkSource     *bool           `json:"mark_source,omitempty"` // marketing-acquisition apps only
}

func (r *UpdateLinkRequest) validate() error {
	var rng error
	if r.Range != nil {
		rng = r.Range.validate()
	}
	return api.FirstErr(check.Required("LinkID", r.LinkID), check.MaxChars("LinkName", r.LinkName, maxLinkNameLen),
		rng, r.PriorityOption.validate())
}

// UpdateLink changes a link's name, range, verification, priority option or
// source marking. Repeating it leaves the same link, so the client repeats
// it after a failure in transit.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
func (s *Service) UpdateLink(ctx context.Context, req *UpdateLinkRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition/update_link", req, nil)
}

// DeleteLink deletes a link this app created; the link stops working. The
// client repeats it after a failure in transit; when the first attempt had
// already deleted the link, the repetition is refused as for an unknown
// link: after a delete, an error for which IsNotFound is true means the
// link is gone.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
func (s *Service) DeleteLink(ctx context.Context, linkID string) error {
	if err := check.Required("linkID", linkID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, deleteLinkPath, linkIDBody{linkID}, nil)
}
