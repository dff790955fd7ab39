package contact

import (
	"context"
	"strings"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// TagGroup is a group of corp or rule-group tags.
type TagGroup struct {
	GroupID    string         `json:"group_id"`
	GroupName  string         `json:"group_name"`
	CreateTime wecom.UnixTime `json:"create_time"`
	Order      uint32         `json:"order"`
	// Deleted is reported only when tags are queried by id.
	Deleted bool `json:"deleted,omitempty"`
	// StrategyID is the rule group of a rule-group tag group (0 for corp tags).
	StrategyID int   `json:"strategy_id,omitempty"`
	Tag        []Tag `json:"tag"`
}

// Tag is one corp or rule-group tag.
type Tag struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	CreateTime wecom.UnixTime `json:"create_time"`
	Order      uint32         `json:"order"`
	Deleted    bool           `json:"deleted,omitempty"`
}

// ListCorpTagsRequest selects the corp tags ListCorpTags returns. Both
// empty means every tag; when GroupID is set, WeCom ignores TagID.
type ListCorpTagsRequest struct {
	TagID   []string `json:"tag_id,omitempty"`
	GroupID []string `json:"group_id,omitempty"`
}

// ListCorpTags returns the corp's customer tags, grouped. req may be nil
// (every tag).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92117
func (s *Service) ListCorpTags(ctx context.Context, req *ListCorpTagsRequest) ([]TagGroup, error) {
	if req == nil {
		req = &ListCorpTagsRequest{}
	}
	var out struct {
		TagGroup []TagGroup `json:"tag_group"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_corp_tag_list", req, &out); err != nil {
		return nil, err
	}
	return out.TagGroup, nil
}

// NewTag is a tag to create.
type NewTag struct {
	Name  string `json:"name"` // at most 30 characters
	Order uint32 `json:"order,omitempty"`
}

// AddCorpTagRequest creates tags, in an existing group (GroupID) or in a
// group named GroupName (created unless one of that name exists).
type AddCorpTagRequest struct {
	GroupID   string   `json:"group_id,omitempty"`
	GroupName string   `json:"group_name,omitempty"` // at most 30 characters
	Order     uint32   `json:"order,omitempty"`      // the group's order
	Tag       []NewTag `json:"tag"`
	// AgentID is for legacy multi-app third-party suites only.
	AgentID int `json:"agentid,omitempty"`
}

func validateNewTags(groupID, groupName string, tags []NewTag) error {
	if groupID == "" && groupName == "" {
		return check.Invalidf("GroupID or GroupName is required")
	}
	if len(tags) == 0 {
		return check.Invalidf("Tag is required: WeCom does not allow empty groups")
	}
	if err := check.MaxChars("GroupName", groupName, maxTagNameLen); err != nil {
		return err
	}
	for _, t := range tags {
		if err := api.FirstErr(check.Required("Tag.Name", t.Name), check.MaxChars("Tag.Name", t.Name, maxTagNameLen)); err != nil {
			return err
		}
	}
	return nil
}

// AddCorpTag creates corp tags and returns their group with the new ids.
// It is never re-sent once it may have reached WeCom: such an error is a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); look for the
// names in ListCorpTags before adding them again (WeCom refuses a name that
// exists with 40071, CodeTagNameExists).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92117
func (s *Service) AddCorpTag(ctx context.Context, req *AddCorpTagRequest) (*TagGroup, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := validateNewTags(req.GroupID, req.GroupName, req.Tag); err != nil {
		return nil, err
	}
	var out struct {
		TagGroup TagGroup `json:"tag_group"`
	}
	err := api.Create(ctx, s.c, "/cgi-bin/externalcontact/add_corp_tag", req, &out, func(since, until time.Time) string {
		return "list get_corp_tag_list (ListCorpTags) and look for the group and tag names with a create_time " + api.Window(since, until)
	})
	if err != nil {
		return nil, err
	}
	return &out.TagGroup, nil
}

// EditCorpTagRequest renames or reorders a tag or a tag group (ID is either).
// At least one of Name and Order must be set.
type EditCorpTagRequest struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"` // at most 30 characters; "" keeps the name
	// Order is the new order (larger first; wecom.Ptr(uint32(0)) sends 0);
	// nil keeps it.
	Order   *uint32 `json:"order,omitempty"`
	AgentID int     `json:"agentid,omitempty"` // legacy multi-app suites only
}

func validateEditTag(id, name string, order *uint32) error {
	if err := api.FirstErr(check.Required("ID", id), check.MaxChars("Name", name, maxTagNameLen)); err != nil {
		return err
	}
	if name == "" && order == nil {
		return check.Invalidf("the edit changes nothing: set Name or Order")
	}
	return nil
}

// EditCorpTag renames or reorders a corp tag or tag group.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92117
func (s *Service) EditCorpTag(ctx context.Context, req *EditCorpTagRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := validateEditTag(req.ID, req.Name, req.Order); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/edit_corp_tag", req, nil)
}

// DelCorpTagRequest deletes tags and whole groups. Deleting every tag of a
// group deletes the group.
type DelCorpTagRequest struct {
	TagID   []string `json:"tag_id,omitempty"`
	GroupID []string `json:"group_id,omitempty"`
	AgentID int      `json:"agentid,omitempty"` // legacy multi-app suites only
}

// DelCorpTag deletes corp tags or tag groups. The client repeats it after a
// failure in transit; when the first attempt had already deleted them, the
// repetition fails with errcode 40068: an error for which IsNotFound is true
// means they are gone.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92117
func (s *Service) DelCorpTag(ctx context.Context, req *DelCorpTagRequest) error {
	if req == nil || (len(req.TagID) == 0 && len(req.GroupID) == 0) {
		return check.Invalidf("TagID or GroupID is required")
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/del_corp_tag", req, nil)
}

// MarkTagRequest adds and removes tags on the relation between a member and
// one of their customers.
type MarkTagRequest struct {
	UserID         string   `json:"userid"`
	ExternalUserID string   `json:"external_userid"`
	AddTag         []string `json:"add_tag,omitempty"`
	RemoveTag      []string `json:"remove_tag,omitempty"`
}

func (r *MarkTagRequest) validate() error {
	if err := api.FirstErr(check.Required("UserID", r.UserID), check.Required("ExternalUserID", r.ExternalUserID)); err != nil {
		return err
	}
	if len(r.AddTag) == 0 && len(r.RemoveTag) == 0 {
		return check.Invalidf("AddTag or RemoveTag is required")
	}
	return nil
}

// MarkTag adds and removes corp (or rule-group) tags on a member's customer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92118
func (s *Service) MarkTag(ctx context.Context, req *MarkTagRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/mark_tag", req, nil)
}

// MarkTagMany runs MarkTag for each request, at most concurrency at a time
// (wecom.DefaultBatchConcurrency when <= 0), under the client's rate limiter.
// WeCom tags one relation per call, so each request is its own item; the
// result has one entry per request, in order, with its own error. Every
// request is checked before anything is sent: the error is for a list
// refused as a whole (a nil request, or one MarkTag would refuse: it
// matches ErrInvalidArgument and names the index, "contact: reqs[3]: AddTag
// or RemoveTag is required"), and then nothing was sent.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92118
func (s *Service) MarkTagMany(ctx context.Context, reqs []*MarkTagRequest, concurrency int) ([]wecom.BatchResult[*MarkTagRequest, struct{}], error) {
	for i, r := range reqs {
		if r == nil {
			return nil, check.Invalidf("reqs[%d] is nil", i)
		}
		if err := r.validate(); err != nil {
			return nil, check.Invalidf("reqs[%d]: %s", i, strings.TrimPrefix(err.Error(), check.Pkg+": "))
		}
	}
	return wecom.Batch(ctx, reqs, 1, concurrency,
		func(ctx context.Context, chunk []*MarkTagRequest, out []wecom.BatchResult[*MarkTagRequest, struct{}]) error {
			return s.MarkTag(ctx, chunk[0])
		}), nil
}
