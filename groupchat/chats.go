package groupchat

import (
	"context"
	"iter"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Status is a group's follow-up state (客户群跟进状态, group_chat_list.status):
// whether its owner is in service or has resigned and where the
// inheritance of the group stands. It is also groupchat/list's status
// filter.
type Status int

// The four states WeCom documents for a group.
const (
	// StatusNormal: the owner is in service (跟进人正常). As
	// ListRequest.StatusFilter, 0 means every group, whatever its status.
	StatusNormal        Status = 0
	StatusOwnerResigned Status = 1 // the owner resigned (跟进人离职); the group waits to be inherited
	StatusInheriting    Status = 2 // the inheritance is in progress (离职继承中)
	StatusInherited     Status = 3 // the inheritance is done (离职继承完成)
)

// MemberType says whether a group member is one of the corp's members or
// an external contact.
type MemberType int

// Member types.
const (
	MemberInternal MemberType = 1 // a member of the corp (企业成员)
	MemberExternal MemberType = 2 // an external contact (外部联系人)
)

// JoinScene is how a member joined a group, as groupchat/get reports it.
// (The change_external_chat event uses another scale: see
// callback.ExternalChatEvent.JoinScene.)
type JoinScene int

// Join scenes.
const (
	JoinInvited    JoinScene = 1 // invited directly by a member of the group
	JoinInviteLink JoinScene = 2 // invited through an invitation link
	JoinQRCode     JoinScene = 3 // scanned the group's QR code (join ways included)
)

// OwnerFilter restricts a call to groups owned by the given members.
type OwnerFilter struct {
	UserIDList []string `json:"userid_list"` // at most 100
}

func (f *OwnerFilter) validate() error {
	if f == nil {
		return nil
	}
	return api.FirstErr(api.MaxItems(check, "OwnerFilter.UserIDList", f.UserIDList, MaxOwnerFilter), noEmpty("OwnerFilter.UserIDList", f.UserIDList))
}

// ListRequest pages through the customer groups.
type ListRequest struct {
	// StatusFilter keeps the groups in one state; 0 keeps all.
	StatusFilter Status `json:"status_filter,omitempty"`
	// OwnerFilter keeps the groups of these owners. Without it WeCom lists
	// the groups of every owner in the app's visible range and fails with
	// 81017 when that range has more than 1000 people. The groups of a
	// resigned owner are listed only when the owner is named here.
	OwnerFilter *OwnerFilter `json:"owner_filter,omitempty"`
	Cursor      string       `json:"cursor,omitempty"`
	// Limit is the page size, which WeCom requires (1 to 1000): 0 and
	// anything above 1000 are sent as 1000 (api.ClampLimit).
	Limit int `json:"limit"`
}

// body checks r and returns what to send: r with its Limit clamped, 0
// sent as the maximum since WeCom has no default.
func (r *ListRequest) body() (*ListRequest, error) {
	if r.StatusFilter < StatusNormal || r.StatusFilter > StatusInherited {
		return nil, check.Invalidf("StatusFilter is %d; want 0 to 3", r.StatusFilter)
	}
	b := *r
	var err error
	if b.Limit, err = api.ClampLimit(check, "Limit", r.Limit, maxListLimit); err != nil {
		return nil, err
	}
	if b.Limit == 0 {
		b.Limit = maxListLimit
	}
	if err := r.OwnerFilter.validate(); err != nil {
		return nil, err
	}
	return &b, nil
}

// ChatRef is a group as groupchat/list names it.
type ChatRef struct {
	ChatID string `json:"chat_id"`
	Status Status `json:"status"`
}

// ListResponse is one page of groups.
type ListResponse struct {
	GroupChatList []ChatRef `json:"group_chat_list"`
	NextCursor    string    `json:"next_cursor"` // "" on the last page
}

// List returns one page of the customer groups req selects; use Get for a
// group's details.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92120
func (s *Service) List(ctx context.Context, req *ListRequest) (*ListResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	body, err := req.body()
	if err != nil {
		return nil, err
	}
	var out ListResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/groupchat/list", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListIter yields every group req selects, starting at req.Cursor, with
// pages of req.Limit (1000 when 0). req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92120
func (s *Service) ListIter(ctx context.Context, req *ListRequest) iter.Seq2[*ChatRef, error] {
	return api.Iter(ctx, req, s.List, func(r *ListRequest) *string { return &r.Cursor },
		func(p *ListResponse) ([]ChatRef, string) { return p.GroupChatList, p.NextCursor })
}

// GroupChat is one customer group with its members.
type GroupChat struct {
	ChatID     string         `json:"chat_id"`
	Name       string         `json:"name"`
	Owner      string         `json:"owner"` // the owner's userid
	CreateTime wecom.UnixTime `json:"create_time"`
	Notice     string         `json:"notice"`
	MemberList []Member       `json:"member_list"`
	AdminList  []Admin        `json:"admin_list"`
	// MemberVersion changes whenever the member list does; compare it with
	// the LastMemVer and CurMemVer of change_external_chat events to spot
	// a missed event (Tracker does).
	MemberVersion string `json:"member_version"`
}

// Member is one member of a group.
type Member struct {
	// UserID is a member's userid (MemberInternal) or an external
	// contact's external_userid (MemberExternal).
	UserID string     `json:"userid"`
	Type   MemberType `json:"type"`
	// UnionID is the WeChat unionid of WeChat users (friends of a member or
	// not), when the corp bound a WeChat developer account. Not given to
	// third-party apps.
	UnionID   string         `json:"unionid,omitempty"`
	JoinTime  wecom.UnixTime `json:"join_time"`
	JoinScene JoinScene      `json:"join_scene"`
	// Invitor is the member who invited this one; set only when a member
	// of the corp did.
	Invitor       *Invitor `json:"invitor,omitempty"`
	GroupNickname string   `json:"group_nickname,omitempty"`
	// Name is the WeChat name, or a WeCom user's external alias or real
	// name; only when Get was asked for names (GetRequest.NeedName).
	Name string `json:"name,omitempty"`
	// State is the State of the join way (加入群聊) the member came
	// through, when that way had one. WeCom documents it in the appendix
	// of the join-way page, not in the groupchat/get field table.
	State string `json:"state,omitempty"`
}

// Invitor is the member who invited someone into a group.
type Invitor struct {
	UserID string `json:"userid"`
}

// Admin is a group administrator.
type Admin struct {
	UserID string `json:"userid"`
}

// GetRequest names the group Get reads.
type GetRequest struct {
	ChatID string `json:"chat_id"` // required
	// NeedName asks for every member's name (Member.Name); sent as
	// need_name 1.
	NeedName bool `json:"-"`
}

// Get returns one group with its members (and their names, with
// req.NeedName). WeCom updates some data asynchronously after a change
// event: an answer right after one may still be the old state. A group that
// does not exist is an error for which IsNotFound is true.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92122
func (s *Service) Get(ctx context.Context, req *GetRequest) (*GroupChat, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("ChatID", req.ChatID); err != nil {
		return nil, err
	}
	body := struct {
		ChatID   string `json:"chat_id"`
		NeedName int    `json:"need_name,omitempty"`
	}{ChatID: req.ChatID}
	if req.NeedName {
		body.NeedName = 1
	}
	var out struct {
		GroupChat GroupChat `json:"group_chat"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/groupchat/get", body, &out); err != nil {
		return nil, err
	}
	return &out.GroupChat, nil
}

// OpenGIDToChatID converts the opengid a mini program gets in a WeChat group
// (wx.getGroupEnterInfo) into the customer group's chat_id. Only groups of
// the caller's corp whose owner is in the app's visible range convert.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94822
func (s *Service) OpenGIDToChatID(ctx context.Context, opengid string) (string, error) {
	if err := check.Required("opengid", opengid); err != nil {
		return "", err
	}
	body := struct {
		OpenGID string `json:"opengid"`
	}{opengid}
	var out struct {
		ChatID string `json:"chat_id"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/opengid_to_chatid", body, &out); err != nil {
		return "", err
	}
	return out.ChatID, nil
}
