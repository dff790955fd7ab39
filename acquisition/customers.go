package acquisition

import (
	"context"
	"iter"

	"github.com/scrmkit/scrm/wecom"
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
	// the bare URL); WeCom cuts it at MaxChannelBytes.
	State string `json:"state"`
}

// ListCustomersRequest pages through the customers one link added.
type ListCustomersRequest struct {
	LinkID string `json:"link_id"`         // required; a link this app created
	Limit  int    `json:"limit,omitempty"` // at most MaxCustomersLimit; 0 for WeCom's default
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
		return nil, invalidf("request is nil")
	}
	if err := required("LinkID", req.LinkID); err != nil {
		return nil, err
	}
	if req.Limit < 0 || req.Limit > MaxCustomersLimit {
		return nil, invalidf("Limit is %d; WeCom allows 1 to %d (0 for its default)", req.Limit, MaxCustomersLimit)
	}
	var out ListCustomersResponse
	if err := s.read(ctx, "/cgi-bin/externalcontact/customer_acquisition/customer", req, &out); err != nil {
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
	var r ListCustomersRequest
	if req != nil {
		r = *req
	}
	return wecom.Paginate(ctx, r.Cursor, func(ctx context.Context, cursor string) ([]*Customer, string, error) {
		page := r
		page.Cursor = cursor
		resp, err := s.ListCustomers(ctx, &page)
		if err != nil {
			return nil, "", err
		}
		items := make([]*Customer, len(resp.CustomerList))
		for i := range resp.CustomerList {
			items[i] = &resp.CustomerList[i]
		}
		return items, resp.NextCursor, nil
	})
}
