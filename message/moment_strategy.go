package message

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Limits of Moments rule groups (客户朋友圈规则组), named where each field
// is and in the error that refuses it; groups nest at most 5 levels (WeCom
// checks that).
const (
	maxStrategyAdmins     = 20   // admin_list of one rule group
	maxStrategyRangeNodes = 3000 // members and departments a rule group manages
	maxStrategyListLimit  = 1000 // moment_strategy/list (default 1000)
	maxStrategyRangeLimit = 1000 // moment_strategy/get_range (default 1000)
)

func validateRange(name string, nodes []wecom.RangeNode) error {
	if err := api.MaxItems(check, name, nodes, maxStrategyRangeNodes); err != nil {
		return err
	}
	for i, n := range nodes {
		switch {
		case n.Type == wecom.RangeUser && n.UserID != "" && n.PartyID == 0:
		case n.Type == wecom.RangeParty && n.PartyID > 0 && n.UserID == "":
		default:
			return check.Invalidf("%s[%d] is neither a member (type 1, userid) nor a department (type 2, partyid)", name, i)
		}
	}
	return nil
}

// MomentPrivilege is what a rule group's members may do. In requests a nil
// field keeps WeCom's default (true on create, unchanged on edit).
type MomentPrivilege struct {
	ViewMomentList           *bool `json:"view_moment_list,omitempty"`             // see every member's customer Moments posts
	SendMoment               *bool `json:"send_moment,omitempty"`                  // post to customers' Moments
	ManageMomentCoverAndSign *bool `json:"manage_moment_cover_and_sign,omitempty"` // set the cover and signature
}

// MomentStrategy is a Moments rule group.
type MomentStrategy struct {
	StrategyID   int              `json:"strategy_id"`
	ParentID     int              `json:"parent_id"` // 0 for a top-level group
	StrategyName string           `json:"strategy_name"`
	CreateTime   wecom.UnixTime   `json:"create_time"`
	AdminList    []string         `json:"admin_list"`
	Privilege    *MomentPrivilege `json:"privilege,omitempty"`
}

// ListMomentStrategiesRequest pages through the corp's rule groups.
type ListMomentStrategiesRequest struct {
	Cursor string `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (1000), at most 1000; a
	// larger one is sent as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// StrategyRef names a rule group.
type StrategyRef struct {
	StrategyID int `json:"strategy_id"`
}

// ListMomentStrategiesResponse is one page of rule group ids.
type ListMomentStrategiesResponse struct {
	Strategy   []StrategyRef `json:"strategy"`
	NextCursor string        `json:"next_cursor"`
}

// ListMomentStrategies returns one page of the ids of the corp's Moments
// rule groups.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) ListMomentStrategies(ctx context.Context, req *ListMomentStrategiesRequest) (*ListMomentStrategiesResponse, error) {
	var body ListMomentStrategiesRequest
	if req != nil {
		body = *req
	}
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", body.Limit, maxStrategyListLimit); err != nil {
		return nil, err
	}
	var out ListMomentStrategiesResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/moment_strategy/list", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListMomentStrategiesIter yields the id of every rule group, starting at
// req.Cursor. req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) ListMomentStrategiesIter(ctx context.Context, req *ListMomentStrategiesRequest) iter.Seq2[int, error] {
	refs := api.Iter(ctx, req, s.ListMomentStrategies, func(r *ListMomentStrategiesRequest) *string { return &r.Cursor },
		func(p *ListMomentStrategiesResponse) ([]StrategyRef, string) { return p.Strategy, p.NextCursor })
	return api.IDs(refs, func(r *StrategyRef) int { return r.StrategyID })
}

type strategyIDBody struct {
	StrategyID int `json:"strategy_id"`
}

// GetMomentStrategy returns a rule group.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) GetMomentStrategy(ctx context.Context, strategyID int) (*MomentStrategy, error) {
	if strategyID <= 0 {
		return nil, check.Invalidf("strategyID is required")
	}
	var out struct {
		Strategy MomentStrategy `json:"strategy"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/moment_strategy/get", strategyIDBody{strategyID}, &out); err != nil {
		return nil, err
	}
	return &out.Strategy, nil
}

// GetMomentStrategyRangeRequest pages through a rule group's range.
type GetMomentStrategyRangeRequest struct {
	StrategyID int    `json:"strategy_id"`
	Cursor     string `json:"cursor,omitempty"`
	// Limit is the nodes per page: 0 for WeCom's default (1000), at most
	// 1000; a larger one is sent as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// GetMomentStrategyRangeResponse is one page of range nodes.
type GetMomentStrategyRangeResponse struct {
	Range      []wecom.RangeNode `json:"range"`
	NextCursor string            `json:"next_cursor"`
}

// GetMomentStrategyRange returns one page of the members and departments a
// rule group manages.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) GetMomentStrategyRange(ctx context.Context, req *GetMomentStrategyRangeRequest) (*GetMomentStrategyRangeResponse, error) {
	if req == nil || req.StrategyID <= 0 {
		return nil, check.Invalidf("StrategyID is required")
	}
	body := *req
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", req.Limit, maxStrategyRangeLimit); err != nil {
		return nil, err
	}
	var out GetMomentStrategyRangeResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/moment_strategy/get_range", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetMomentStrategyRangeIter yields every range node of a rule group,
// starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) GetMomentStrategyRangeIter(ctx context.Context, req *GetMomentStrategyRangeRequest) iter.Seq2[*wecom.RangeNode, error] {
	return api.Iter(ctx, req, s.GetMomentStrategyRange, func(r *GetMomentStrategyRangeRequest) *string { return &r.Cursor },
		func(p *GetMomentStrategyRangeResponse) ([]wecom.RangeNode, string) { return p.Range, p.NextCursor })
}

// CreateMomentStrategyRequest creates a rule group. A child group
// (ParentID) manages a subset of its parent's range and inherits its
// privileges (Privilege is ignored); groups nest at most 5 levels.
type CreateMomentStrategyRequest struct {
	ParentID     int               `json:"parent_id,omitempty"`
	StrategyName string            `json:"strategy_name"`
	AdminList    []string          `json:"admin_list"` // 1 to 20 members, not super admins
	Privilege    *MomentPrivilege  `json:"privilege,omitempty"`
	Range        []wecom.RangeNode `json:"range"` // at most 3000 nodes
}

// CreateMomentStrategy creates a Moments rule group and returns its id.
// WeCom documents this call as serial: creates and edits run one at a time
// per corp (wecom.Client.Serial). It is never re-sent once it may have
// reached WeCom; on a *wecom.MaybeCreatedError list the rule groups and look for
// the name.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) CreateMomentStrategy(ctx context.Context, req *CreateMomentStrategyRequest) (int, error) {
	if req == nil {
		return 0, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("StrategyName", req.StrategyName), validateRange("Range", req.Range),
		api.MaxItems(check, "AdminList", req.AdminList, maxStrategyAdmins)); err != nil {
		return 0, err
	}
	if len(req.AdminList) == 0 {
		return 0, check.Invalidf("AdminList is required")
	}
	if len(req.Range) == 0 {
		return 0, check.Invalidf("Range is required")
	}
	var out StrategyRef
	err := s.c.Serial(ctx, "moment_strategy", func(ctx context.Context) error {
		return api.Create(ctx, s.c, "/cgi-bin/externalcontact/moment_strategy/create", req, &out, func(since, until time.Time) string {
			return fmt.Sprintf("list moment_strategy/list (ListMomentStrategiesIter) and look for a rule group named %q created %s",
				req.StrategyName, api.Window(since, until))
		})
	})
	if err != nil {
		return 0, err
	}
	return out.StrategyID, nil
}

// EditMomentStrategyRequest changes a rule group: zero fields are not
// changed; AdminList and Privilege, when set, replace the current ones;
// RangeAdd and RangeDel add and remove range nodes.
type EditMomentStrategyRequest struct {
	StrategyID   int               `json:"strategy_id"`
	StrategyName string            `json:"strategy_name,omitempty"`
	AdminList    []string          `json:"admin_list,omitempty"`
	Privilege    *MomentPrivilege  `json:"privilege,omitempty"`
	RangeAdd     []wecom.RangeNode `json:"range_add,omitempty"`
	RangeDel     []wecom.RangeNode `json:"range_del,omitempty"`
}

// EditMomentStrategy changes a rule group and its range. WeCom documents
// this call as serial: creates and edits run one at a time per corp
// (wecom.Client.Serial).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) EditMomentStrategy(ctx context.Context, req *EditMomentStrategyRequest) error {
	if req == nil || req.StrategyID <= 0 {
		return check.Invalidf("StrategyID is required")
	}
	if req.StrategyName == "" && req.AdminList == nil && req.Privilege == nil && len(req.RangeAdd) == 0 && len(req.RangeDel) == 0 {
		return check.Invalidf("the edit changes nothing")
	}
	if err := api.FirstErr(api.MaxItems(check, "AdminList", req.AdminList, maxStrategyAdmins),
		validateRange("RangeAdd", req.RangeAdd), validateRange("RangeDel", req.RangeDel)); err != nil {
		return err
	}
	return s.c.Serial(ctx, "moment_strategy", func(ctx context.Context) error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/moment_strategy/edit", req, nil)
	})
}

// DelMomentStrategy deletes a rule group.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
func (s *Service) DelMomentStrategy(ctx context.Context, strategyID int) error {
	if strategyID <= 0 {
		return check.Invalidf("strategyID is required")
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/moment_strategy/del", strategyIDBody{strategyID}, nil)
}
