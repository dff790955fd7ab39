package acquisition

import (
	"context"
	"iter"

	"github.com/scrmkit/scrm/internal/api"
)

// ChatStatus says whether a customer who came through a link has written to
// the member (customer_list.chat_status).
type ChatStatus int

// Chat statuses.
const (
	ChatNotStarted ChatStatus = 0 // the customer has sent no message
	ChatStarted    ChatStatus = 1 // the customer has sent a message
	ChatUnknown    ChatStatus = 2 // WeCom does not know
)

// String returns the status in words.
func (c ChatStatus) String() string {
	switch c {
	case ChatNotStarted:
		return "not started"
	case ChatStarted:
		return "started"
	case ChatUnknown:
		return "unknown"
	}
	return "invalid"
}

// Customer is one relation a link created: a customer and the member who
// took them.
type Customer struct {
	ExternalUserID string     `json:"external_userid"`
	UserID         string     `json:"userid"` // the member the link handed the customer to
	ChatStatus     ChatStatus `json:"chat_status"`
	// State is the customer_channel of the URL the customer tapped ("" for
	// the bare URL); WeCom cuts it at 64 bytes.
	State string `json:"state"`
}

// ListCustomersRequest pages through the customers one link added.
type ListCustomersRequest struct {
	LinkID string `json:"link_id"` // required; a link this app created
	// Limit is the page size: 0 for WeCom's default, at most 1000; a
	// larger one is sent as 1000 (api.ClampLimit).
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// ListCustomersResponse is one page of customers.
type ListCustomersResponse struct {
	CustomerList []Customer `json:"customer_list"`
	NextCursor   string     `json:"next_cursor"`
}

// ListCustomers returns one page of the customers a link added (endpoint
// customer_acquisition/customer). A customer who added two members through
// the link appears once per member.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97298
func (s *Service) ListCustomers(ctx context.Context, req *ListCustomersRequest) (*ListCustomersResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("LinkID", req.LinkID); err != nil {
		return nil, err
	}
	body := *req
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", req.Limit, maxCustomersLimit); err != nil {
		return nil, err
	}
	var out ListCustomersResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition/customer", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCustomersIter yields every customer a link added, starting at
// req.Cursor. req is not modified; a nil req or one without LinkID yields
// one error matching ErrInvalidArgument.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97298
func (s *Service) ListCustomersIter(ctx context.Context, req *ListCustomersRequest) iter.Seq2[*Customer, error] {
	return api.Iter(ctx, req, s.ListCustomers, func(r *ListCustomersRequest) *string { return &r.Cursor },
		func(p *ListCustomersResponse) ([]Customer, string) { return p.CustomerList, p.NextCursor })
}
