package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Taxonomy is the tag groups and tags an application wants, as data: the
// corp tags (StrategyID 0) or the tags of one first-level rule group.
// ApplyTaxonomy makes the corp match it.
type Taxonomy struct {
	// StrategyID selects the rule group whose tags (规则组标签) these are;
	// 0 means corp tags (企业标签).
	StrategyID int
	Groups     []TaxonomyGroup
}

// TaxonomyGroup is a tag group by name, with the names of its tags. A group
// has at least one tag (WeCom keeps no empty groups).
type TaxonomyGroup struct {
	Name string // at most 30 characters
	// Order is the group's order when ApplyTaxonomy creates it (larger
	// first); an existing group keeps its own.
	Order uint32
	Tags  []string // tag names, at most 30 characters each
}

// ApplyTaxonomyRequest says which taxonomy to apply and how.
type ApplyTaxonomyRequest struct {
	Taxonomy
	// Prune deletes what the taxonomy does not list: tags of its groups
	// that it does not name, and every other group of the corp (or of the
	// rule group), with its tags. Off by default: tags made elsewhere (by
	// an admin in the console, say) are left alone.
	Prune bool
}

// AppliedTaxonomy is the corp's tags after ApplyTaxonomy.
type AppliedTaxonomy struct {
	// Groups are the taxonomy's groups as WeCom lists them now, in the
	// taxonomy's order, each with the taxonomy's tags in its order.
	Groups []TagGroup
	// Created holds the ids of the tags ApplyTaxonomy created, Deleted those
	// of the tags and groups it deleted (Prune).
	Created []string
	Deleted []string
}

// TagID returns the id of the tag named tag in the group named group; ok is
// false when the taxonomy has no such tag.
func (a *AppliedTaxonomy) TagID(group, tag string) (id string, ok bool) {
	for i := range a.Groups {
		if a.Groups[i].GroupName != group {
			continue
		}
		for _, t := range a.Groups[i].Tag {
			if t.Name == tag {
				return t.ID, true
			}
		}
	}
	return "", false
}

func (t *Taxonomy) validate() error {
	if t.StrategyID < 0 {
		return check.Invalidf("StrategyID is %d; want 0 (corp tags) or a rule group id", t.StrategyID)
	}
	seen := map[string]bool{}
	for i, g := range t.Groups {
		if err := api.FirstErr(check.Required(fmt.Sprintf("Groups[%d].Name", i), g.Name), check.MaxChars("group name", g.Name, maxTagNameLen)); err != nil {
			return err
		}
		if seen[g.Name] {
			return check.Invalidf("group %q is listed twice", g.Name)
		}
		seen[g.Name] = true
		if len(g.Tags) == 0 {
			return check.Invalidf("group %q has no tags: WeCom keeps no empty groups", g.Name)
		}
		for j, name := range g.Tags {
			if err := api.FirstErr(check.Required("tag name", name), check.MaxChars("tag name", name, maxTagNameLen)); err != nil {
				return err
			}
			if slices.Contains(g.Tags[:j], name) {
				return check.Invalidf("group %q lists tag %q twice", g.Name, name)
			}
		}
	}
	return nil
}

// taxonomyAttempts bounds the rounds of creating what is missing and
// reading the tags again.
const taxonomyAttempts = 4

// ApplyTaxonomy makes the corp's tags (or a rule group's) match the
// taxonomy: it creates the groups and tags that are missing, leaves those
// that exist (matched by name, a tag within its group), deletes what the
// taxonomy does not list when req.Prune is set, and returns the ids. Run it
// at every start-up: it creates nothing twice, so a restart never fails
// with 40071 "tag name exists". Two instances running it at once are safe:
// they take turns through the client's Store (wecom.Client.Serial: the
// default in-memory Store within a process, redisstore across
// instances); with a Store that cannot lock, a 40071 or a create whose
// outcome is unknown makes it read the tags again and go on.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92117
// (corp tags), https://developer.work.weixin.qq.com/document/path/94882
// (rule-group tags)
func (s *Service) ApplyTaxonomy(ctx context.Context, req *ApplyTaxonomyRequest) (*AppliedTaxonomy, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	var out *AppliedTaxonomy
	err := s.c.Serial(ctx, "taxonomy:"+strconv.Itoa(req.StrategyID), func(ctx context.Context) error {
		var err error
		out, err = s.applyTaxonomy(ctx, req)
		return err
	})
	return out, err
}

func (s *Service) applyTaxonomy(ctx context.Context, req *ApplyTaxonomyRequest) (*AppliedTaxonomy, error) {
	out := &AppliedTaxonomy{}
	var groups []TagGroup
	for attempt := 0; ; attempt++ {
		var err error
		if groups, err = s.taxonomyTags(ctx, req.StrategyID); err != nil {
			return nil, err
		}
		again, err := s.addMissing(ctx, &req.Taxonomy, groups, out)
		if err != nil {
			return nil, err
		}
		if !again {
			break
		}
		if attempt == taxonomyAttempts-1 {
			return nil, fmt.Errorf("contact: ApplyTaxonomy: tags were still missing after %d rounds", taxonomyAttempts)
		}
	}
	if req.Prune {
		if err := s.prune(ctx, &req.Taxonomy, groups, out); err != nil {
			return nil, err
		}
	}
	for _, want := range req.Groups {
		g := findGroup(groups, want.Name)
		applied := TagGroup{GroupID: g.GroupID, GroupName: g.GroupName, CreateTime: g.CreateTime, Order: g.Order, StrategyID: g.StrategyID}
		for _, name := range want.Tags {
			applied.Tag = append(applied.Tag, *findTag(g, name))
		}
		out.Groups = append(out.Groups, applied)
	}
	return out, nil
}

// taxonomyTags lists the corp tags, or the tags of one rule group.
func (s *Service) taxonomyTags(ctx context.Context, strategyID int) ([]TagGroup, error) {
	if strategyID == 0 {
		return s.ListCorpTags(ctx, nil)
	}
	return s.ListStrategyTags(ctx, &ListStrategyTagsRequest{StrategyID: strategyID})
}

func findGroup(groups []TagGroup, name string) *TagGroup {
	for i := range groups {
		if groups[i].GroupName == name && !groups[i].Deleted {
			return &groups[i]
		}
	}
	return nil
}

func findTag(g *TagGroup, name string) *Tag {
	if g == nil {
		return nil
	}
	for i := range g.Tag {
		if g.Tag[i].Name == name && !g.Tag[i].Deleted {
			return &g.Tag[i]
		}
	}
	return nil
}

// addMissing creates the taxonomy's tags that groups lacks. again is true
// when a create was refused because the tag appeared meanwhile (40071), or
// its outcome is unknown: the tags must be read again.
func (s *Service) addMissing(ctx context.Context, t *Taxonomy, groups []TagGroup, out *AppliedTaxonomy) (again bool, err error) {
	for _, want := range t.Groups {
		g := findGroup(groups, want.Name)
		var missing []NewTag
		for _, name := range want.Tags {
			if findTag(g, name) == nil {
				missing = append(missing, NewTag{Name: name})
			}
		}
		if len(missing) == 0 {
			continue
		}
		var groupID, groupName string
		var order uint32
		if g != nil {
			groupID = g.GroupID
		} else {
			groupName, order = want.Name, want.Order
		}
		var made *TagGroup
		if t.StrategyID == 0 {
			made, err = s.AddCorpTag(ctx, &AddCorpTagRequest{GroupID: groupID, GroupName: groupName, Order: order, Tag: missing})
		} else {
			made, err = s.AddStrategyTag(ctx, &AddStrategyTagRequest{StrategyID: t.StrategyID, GroupID: groupID,
				GroupName: groupName, Order: order, Tag: missing})
		}
		switch {
		case err == nil:
			for _, tag := range made.Tag {
				out.Created = append(out.Created, tag.ID)
			}
			again = true // read the ids back with everything else
		case wecom.ErrorCode(err) == wecom.CodeTagNameExists, errors.Is(err, wecom.ErrOutcomeUnknown),
			g != nil && IsNotFound(err): // the group was deleted meanwhile
			again = true
		default:
			return false, err
		}
	}
	return again, nil
}

// prune deletes the tags of the taxonomy's groups that it does not list,
// and the groups it does not list (the first group of each listed name is
// kept; a second group of that name goes too).
func (s *Service) prune(ctx context.Context, t *Taxonomy, groups []TagGroup, out *AppliedTaxonomy) error {
	var del DelCorpTagRequest
	for i := range groups {
		g := &groups[i]
		if g.Deleted {
			continue
		}
		var want *TaxonomyGroup
		for j := range t.Groups {
			if t.Groups[j].Name == g.GroupName {
				want = &t.Groups[j]
			}
		}
		if want == nil || findGroup(groups, g.GroupName) != g {
			del.GroupID = append(del.GroupID, g.GroupID)
			continue
		}
		for _, tag := range g.Tag {
			if !tag.Deleted && !slices.Contains(want.Tags, tag.Name) {
				del.TagID = append(del.TagID, tag.ID)
			}
		}
	}
	if len(del.TagID) == 0 && len(del.GroupID) == 0 {
		return nil
	}
	var err error
	if t.StrategyID == 0 {
		err = s.DelCorpTag(ctx, &del)
	} else {
		err = s.DelStrategyTag(ctx, &DelStrategyTagRequest{TagID: del.TagID, GroupID: del.GroupID})
	}
	if err != nil && !IsNotFound(err) {
		return err
	}
	out.Deleted = append(append(out.Deleted, del.TagID...), del.GroupID...)
	return nil
}
