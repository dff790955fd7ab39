package acquisition

import (
	"context"
	"iter"
	"net/http"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// The acquisition component (获客助手组件) lets a third-party provider run a
// corp's acquisition links in the provider's own scenes. The corp authorizes
// the component like an app; the provider then calls, with the corp's token
// of the component (a Service on wecom.Suite.Corp), GetCompAuthInfo and
// CreateOnceKey, and, with the component's own suite_access_token (a
// Component), ListBills. The link calls (ListLinks, Get, ListCustomers,
// GetStatistic) work for the component too, on the links authorized to it.

// PayMode is who pays for the customers a component's links add.
type PayMode int

const (
	PayByCorp     PayMode = 0 // the corp's quota (扣企业的)
	PayByProvider PayMode = 1 // the provider (扣服务商的, 服务商代付): CreateOnceKey
)

// LinkAuthMode is which links a corp authorized to a component.
type LinkAuthMode int

const (
	LinksChosenByCorp LinkAuthMode = 0 // links the corp chose
	LinksOfAuthApps   LinkAuthMode = 1 // the links the associated apps (AuthApps) create
)

// CompAuthInfo is how a corp authorized the component (get_comp_auth_info).
type CompAuthInfo struct {
	PayMode PayMode `json:"pay_mode"`
	// Price is what the provider pays per customer with PayByProvider, in
	// fen.
	Price        int64        `json:"price"`
	LinkAuthMode LinkAuthMode `json:"link_auth_mode"`
	// AuthApps are the associated apps with LinksOfAuthApps.
	AuthApps []CompAuthApp `json:"auth_apps"`
}

// CompAuthApp is an app associated with a component.
type CompAuthApp struct {
	AgentID int `json:"agentid"`
}

// GetCompAuthInfo returns how the corp authorized the provider's
// acquisition component: who pays for the customers (and at what price) and
// which links it has. It is called through the corp's token of the
// component (a Service on wecom.Suite.Corp); no other app may call it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99610
func (s *Service) GetCompAuthInfo(ctx context.Context) (*CompAuthInfo, error) {
	var out CompAuthInfo
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition/get_comp_auth_info", struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MaxOnceKeys is the most keys one CreateOnceKey call makes.
const MaxOnceKeys = 1000

// CreateOnceKeyRequest asks for keys that make the provider pay for the
// customers of one link.
type CreateOnceKeyRequest struct {
	LinkID string `json:"link_id"` // required
	// KeyNum is how many keys: 0 for WeCom's default (100), at most
	// MaxOnceKeys.
	KeyNum int `json:"key_num,omitempty"`
}

// CreateOnceKey makes keys for paying for a link's customers on the
// provider's account (生成代支付key): appended to the component's link URL
// as once_key=KEY, a key makes the customer who adds a member through it
// use the provider's quota instead of the corp's. Each key works once and
// within 14 days. It needs the corp to have authorized the component with
// PayByProvider (GetCompAuthInfo), and is called through the corp's token
// of the component.
//
// It is never re-sent once it may have reached WeCom; keys of a call whose
// answer was lost are simply never used, and expire.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99603
func (s *Service) CreateOnceKey(ctx context.Context, req *CreateOnceKeyRequest) ([]string, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("LinkID", req.LinkID); err != nil {
		return nil, err
	}
	if req.KeyNum < 0 || req.KeyNum > MaxOnceKeys {
		return nil, check.Invalidf("KeyNum is %d; WeCom makes 1 to %d keys a call (0 for its default, 100)", req.KeyNum, MaxOnceKeys)
	}
	var out struct {
		Keys []string `json:"keys"`
	}
	if err := api.Write(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition/create_once_key", req, &out); err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// Component makes the acquisition component's calls that take its own
// suite_access_token rather than a corp's: ListBills. It is safe for
// concurrent use.
type Component struct {
	s *wecom.Suite
}

// NewComponent returns a Component that calls WeCom through the
// component's suite s (its suite id and secret, with its suite_ticket set).
func NewComponent(s *wecom.Suite) *Component { return &Component{s: s} }

// maxBillSpan is the widest window of get_bill_list, in seconds: 「流水的起止
// 间隔不能超过31天」.
const maxBillSpan = 31 * 24 * 3600

// maxBillsLimit is get_bill_list's largest page.
const maxBillsLimit = 1000

// ListBillsRequest selects what the provider paid for in one corp.
type ListBillsRequest struct {
	// BeginTime and EndTime (required) are at most 31 days apart. A use
	// shows the next day; to match the corp's daily counts, ask from 00:00:01
	// of a day to 00:00:00 of the next (China time).
	BeginTime  wecom.UnixTime `json:"begin_time"`
	EndTime    wecom.UnixTime `json:"end_time"`
	AuthCorpID string         `json:"auth_corpid"` // the authorizing corp; required
	Cursor     string         `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (100), at most 1000; a
	// larger one is sent as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// Bill is one customer the provider paid for.
type Bill struct {
	Timestamp wecom.UnixTime `json:"timestamp"` // when the use was made
	LinkID    string         `json:"link_id"`   // absent when the link was deleted since
	State     string         `json:"state"`     // the customer_channel of the add, when it had one
	Price     int64          `json:"price"`     // what the provider paid, in fen
}

// ListBillsResponse is one page of bills.
type ListBillsResponse struct {
	NextCursor string `json:"next_cursor"` // "" after the last page
	BillList   []Bill `json:"bill_list"`
}

// ListBills returns one page of the uses the provider paid for in one
// authorizing corp (获取代支付流水, endpoint service/customer_acquisition/
// get_bill_list, with the component's suite_access_token).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99602
func (c *Component) ListBills(ctx context.Context, req *ListBillsRequest) (*ListBillsResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("AuthCorpID", req.AuthCorpID); err != nil {
		return nil, err
	}
	switch {
	case req.BeginTime <= 0 || req.EndTime <= 0:
		return nil, check.Invalidf("BeginTime and EndTime are required")
	case req.EndTime < req.BeginTime:
		return nil, check.Invalidf("EndTime is before BeginTime")
	case req.EndTime-req.BeginTime > maxBillSpan:
		return nil, check.Invalidf("BeginTime and EndTime are more than 31 days apart; WeCom allows 31 days: split the window")
	}
	body := *req
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", req.Limit, maxBillsLimit); err != nil {
		return nil, err
	}
	var out ListBillsResponse
	err = c.s.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/service/customer_acquisition/get_bill_list",
		Body: &body, Out: &out, Op: wecom.OpRead})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListBillsIter yields every bill req selects, starting at req.Cursor. req
// is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99602
func (c *Component) ListBillsIter(ctx context.Context, req *ListBillsRequest) iter.Seq2[*Bill, error] {
	return api.Iter(ctx, req, c.ListBills, func(r *ListBillsRequest) *string { return &r.Cursor },
		func(p *ListBillsResponse) ([]Bill, string) { return p.BillList, p.NextCursor })
}
