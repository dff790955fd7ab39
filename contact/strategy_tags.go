package contact

import (
	"context"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/internal/api"
)

// ListStrategyTagsRequest selects the rule-group tags ListStrategyTags
// returns. Zero values mean every tag the app created.
type ListStrategyTagsRequest struct {
	StrategyID int      `json:"strategy_id,omitempty"`
	TagID      []string `json:"tag_id,omitempty"`
	GroupID    []string `json:"group_id,omitempty"`
}

// ListStrategyTags returns rule-group (规则组) tags, grouped. req may be nil
// (every tag the app created).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94882
func (s *Service) ListStrategyTags(ctx context.Context, req *ListStrategyTagsRequest) ([]TagGroup, error) {
	if req == nil {
		req = &ListStrategyTagsRequest{}
	}
	var out struct {
		TagGroup []TagGroup `json:"tag_group"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_strategy_tag_list", req, &out); err != nil {
		return nil, err
	}
	return out.TagGroup, nil
}

// AddStrategyTagRequest creates tags in a rule group (first-level rule
// groups only), in an existing group (GroupID) or a group named GroupName.
type AddStrategyTagRequest struct {
	StrategyID int      `json:"strategy_id"`
	GroupID    string   `json:"group_id,omitempty"`
	GroupName  string   `json:"group_name,omitempty"`
	Order      uint32   `json:"order,omitempty"`
	Tag        []NewTag `json:"tag"`
}

// AddStrategyTag creates rule-group tags and returns their group with the
// new ids. It is never re-sent once it may have reached WeCom: such an error
// is a *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); look for
// the names in ListStrategyTags before adding them again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94882
func (s *Service) AddStrategyTag(ctx context.Context, req *AddStrategyTagRequest) (*TagGroup, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if req.StrategyID <= 0 {
		return nil, check.Invalidf("StrategyID is required")
	}
	if err := validateNewTags(req.GroupID, req.GroupName, req.Tag); err != nil {
		return nil, err
	}
	var out struct {
		TagGroup TagGroup `json:"tag_group"`
	}
	err := api.Create(ctx, s.c, "/cgi-bin/externalcontact/add_strategy_tag", req, &out, func(since, until time.Time) string {
		return fmt.Sprintf("list get_strategy_tag_list (ListStrategyTags) for rule group %d and look for the group and tag names with a create_time %s",
			req.StrategyID, api.Window(since, until))
	})
	if err != nil {
		return nil, err
	}
	return &out.TagGroup, nil
}

// EditStrategyTagRequest renames or reorders a rule-group tag or tag group.
// A tag cannot be moved to another rule group. At least one of Name and
// Order must be set.
type EditStrategyTagRequest struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"` // at most 30 characters; "" keeps the name
	// Order is the new order (larger first; wecom.Ptr(uint32(0)) sends 0);
	// nil keeps it.
	Order *uint32 `json:"order,omitempty"`
}

// EditStrategyTag renames or reorders a rule-group tag or tag group.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94882
func (s *Service) EditStrategyTag(ctx context.Context, req *EditStrategyTagRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := validateEditTag(req.ID, req.Name, req.Order); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/edit_strategy_tag", req, nil)
}

// DelStrategyTagRequest deletes rule-group tags and groups.
type DelStrategyTagRequest struct {
	TagID   []string `json:"tag_id,omitempty"`
	GroupID []string `json:"group_id,omitempty"`
}

// DelStrategyTag deletes rule-group tags or tag groups. The client repeats
// it after a failure in transit; when the first attempt had already deleted
// them, the repetition fails with errcode 40068: an error for which
// IsNotFound is true means they are gone.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94882
func (s *Service) DelStrategyTag(ctx context.Context, req *DelStrategyTagRequest) error {
	if req == nil || (len(req.TagID) == 0 && len(req.GroupID) == 0) {
		return check.Invalidf("TagID or GroupID is required")
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/del_strategy_tag", req, nil)
}
