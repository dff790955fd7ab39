package contact

import (
	"context"
	"iter"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// ServedContact is an external contact the corp has served (已服务的外部联系人):
// someone a member added, or who joined a member's customer group. A
// customer (IsCustomer) has an ExternalUserID; every entry has TmpOpenID, a
// temporary id valid for 4 hours that is the same on every entry of one
// person, to drop duplicates by.
//
// WeCom's field table beyond is_customer could not be read on the official
// page; the fields below follow its example answer.
type ServedContact struct {
	IsCustomer     bool           `json:"is_customer"`
	TmpOpenID      string         `json:"tmp_openid"`
	ExternalUserID string         `json:"external_userid,omitempty"` // customers only
	Name           string         `json:"name,omitempty"`            // masked, e.g. "***开"; the examples give it for non-customers
	FollowUserID   string         `json:"follow_userid,omitempty"`   // the member who added the contact
	ChatID         string         `json:"chat_id,omitempty"`         // the customer group the contact joined
	ChatName       string         `json:"chat_name,omitempty"`
	AddTime        wecom.UnixTime `json:"add_time"`
}

// ListContactsRequest pages through the served contacts. The cursor expires:
// do not keep it to resume later.
type ListContactsRequest struct {
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"` // 0 for WeCom's default (1000); WeCom documents no maximum
}

// ListContactsResponse is one page of served contacts.
type ListContactsResponse struct {
	InfoList   []ServedContact `json:"info_list"`
	NextCursor string          `json:"next_cursor"` // "" on the last page
}

// ListContacts returns one page of the external contacts the corp has
// served, customers or not, with the member who added each or the group it
// joined. Self-built apps only: third-party and agent-developed apps are
// refused. req may be nil.
//
// The name follows the rules with one change: contact_list would be List,
// which externalcontact/list already is.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99434
func (s *Service) ListContacts(ctx context.Context, req *ListContactsRequest) (*ListContactsResponse, error) {
	if req == nil {
		req = &ListContactsRequest{}
	}
	if req.Limit < 0 {
		return nil, check.Invalidf("Limit is %d; use a positive page size or 0 for WeCom's default", req.Limit)
	}
	var out ListContactsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/contact_list", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListContactsIter yields every served contact, starting at req.Cursor. req
// may be nil and is not modified. A contact may appear several times (once
// per member and group); entries of one person share a TmpOpenID.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99434
func (s *Service) ListContactsIter(ctx context.Context, req *ListContactsRequest) iter.Seq2[*ServedContact, error] {
	return api.Iter(ctx, req, s.ListContacts, func(r *ListContactsRequest) *string { return &r.Cursor },
		func(p *ListContactsResponse) ([]ServedContact, string) { return p.InfoList, p.NextCursor })
}
