package wecomtest

import (
	"net/http"
	"slices"
	"unicode/utf8"
)

// tagGroup is a corp tag group (strategy == 0) or a rule-group tag group.
type tagGroup struct {
	id         string
	name       string
	order      uint32
	createTime int64
	strategy   int
	deleted    bool
	tagOrder   []string
}

type tagItem struct {
	id         string
	group      string
	name       string
	order      uint32
	createTime int64
	deleted    bool
}

type wireTagItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreateTime int64  `json:"create_time"`
	Order      uint32 `json:"order"`
	Deleted    bool   `json:"deleted,omitempty"`
}

type wireTagGroup struct {
	GroupID    string        `json:"group_id"`
	GroupName  string        `json:"group_name"`
	CreateTime int64         `json:"create_time"`
	Order      uint32        `json:"order"`
	Deleted    bool          `json:"deleted,omitempty"`
	StrategyID int           `json:"strategy_id,omitempty"`
	Tag        []wireTagItem `json:"tag"`
}

const maxCorpTags = 3000

func (cs *contactState) liveTagCount() int {
	n := 0
	for _, t := range cs.tags {
		if !t.deleted {
			n++
		}
	}
	return n
}

// wire renders g with the tags keep selects (all live tags when keep is nil).
func (g *tagGroup) wire(cs *contactState, keep func(*tagItem) bool) wireTagGroup {
	w := wireTagGroup{GroupID: g.id, GroupName: g.name, CreateTime: g.createTime, Order: g.order,
		Deleted: g.deleted, StrategyID: g.strategy, Tag: []wireTagItem{}}
	for _, id := range g.tagOrder {
		t := cs.tags[id]
		if (keep == nil && !t.deleted) || (keep != nil && keep(t)) {
			w.Tag = append(w.Tag, wireTagItem{ID: t.id, Name: t.name, CreateTime: t.createTime, Order: t.order, Deleted: t.deleted})
		}
	}
	return w
}

// tagList answers get_corp_tag_list / get_strategy_tag_list. strategy < 0
// selects corp tags, 0 every rule group, > 0 one rule group.
func (cs *contactState) tagList(strategy int, tagIDs, groupIDs []string) []wireTagGroup {
	inScope := func(g *tagGroup) bool {
		switch {
		case strategy < 0:
			return g.strategy == 0
		case strategy == 0:
			return g.strategy > 0
		}
		return g.strategy == strategy
	}
	out := []wireTagGroup{}
	switch {
	case len(groupIDs) > 0:
		for _, id := range groupIDs {
			if g := cs.groups[id]; g != nil && inScope(g) {
				out = append(out, g.wire(cs, func(t *tagItem) bool { return true }))
			}
		}
	case len(tagIDs) > 0:
		for _, gid := range cs.groupOrder {
			g := cs.groups[gid]
			if !inScope(g) {
				continue
			}
			w := g.wire(cs, func(t *tagItem) bool { return slices.Contains(tagIDs, t.id) })
			if len(w.Tag) > 0 {
				out = append(out, w)
			}
		}
	default:
		for _, gid := range cs.groupOrder {
			if g := cs.groups[gid]; !g.deleted && inScope(g) {
				out = append(out, g.wire(cs, nil))
			}
		}
	}
	return out
}

type wireNewTag struct {
	Name  string `json:"name"`
	Order uint32 `json:"order"`
}

// addTags answers add_corp_tag / add_strategy_tag.
func (c *call) addTags(strategy int, groupID, groupName string, order uint32, tags []wireNewTag) (any, *apiError) {
	cs := c.corp.contact
	if len(tags) == 0 {
		return nil, errf(40058, "tag missing")
	}
	if utf8.RuneCountInString(groupName) > 30 {
		return nil, errf(40058, "group_name longer than 30 characters")
	}
	for _, t := range tags {
		if t.Name == "" || utf8.RuneCountInString(t.Name) > 30 {
			return nil, errf(40058, "tag name empty or longer than 30 characters")
		}
	}
	var g *tagGroup
	switch {
	case groupID != "":
		g = cs.groups[groupID]
		if g == nil || g.deleted || g.strategy != strategy {
			return nil, errf(40068, "invalid tag group id")
		}
	case groupName != "":
		for _, id := range cs.groupOrder {
			if x := cs.groups[id]; !x.deleted && x.strategy == strategy && x.name == groupName {
				g = x
			}
		}
	default:
		return nil, errf(40058, "group_id or group_name required")
	}
	now := c.s.now().Unix()
	if g == nil {
		g = &tagGroup{id: c.s.newID("etg"), name: groupName, order: order, createTime: now, strategy: strategy}
		cs.groups[g.id] = g
		cs.groupOrder = append(cs.groupOrder, g.id)
	}
	var created []string
	seen := map[string]bool{}
	for _, t := range tags {
		if seen[t.Name] {
			continue // duplicate names in one call make one tag
		}
		seen[t.Name] = true
		for _, id := range g.tagOrder {
			if x := cs.tags[id]; !x.deleted && x.name == t.Name {
				return nil, errf(40071, "tag name exists: "+t.Name)
			}
		}
	}
	if cs.liveTagCount()+len(seen) > maxCorpTags {
		return nil, errf(40126, "corp tag count exceeds 3000")
	}
	for _, t := range tags {
		if !seen[t.Name] {
			continue
		}
		delete(seen, t.Name)
		prefix := "et"
		if strategy > 0 {
			prefix = "st"
		}
		it := &tagItem{id: c.s.newID(prefix), group: g.id, name: t.Name, order: t.Order, createTime: now}
		cs.tags[it.id] = it
		g.tagOrder = append(g.tagOrder, it.id)
		created = append(created, it.id)
	}
	w := g.wire(cs, func(t *tagItem) bool { return slices.Contains(created, t.id) })
	return struct {
		TagGroup wireTagGroup `json:"tag_group"`
	}{w}, nil
}

// editTag answers edit_corp_tag / edit_strategy_tag.
func (cs *contactState) editTag(strategy bool, id string, name *string, order *uint32) *apiError {
	if id == "" {
		return errf(40068, "id missing")
	}
	if name != nil && (*name == "" || utf8.RuneCountInString(*name) > 30) {
		return errf(40058, "name empty or longer than 30 characters")
	}
	inScope := func(g *tagGroup) bool { return (g.strategy > 0) == strategy && !g.deleted }
	if g := cs.groups[id]; g != nil && inScope(g) {
		if name != nil {
			for _, gid := range cs.groupOrder {
				if x := cs.groups[gid]; x != g && inScope(x) && x.strategy == g.strategy && x.name == *name {
					return errf(40071, "group name exists")
				}
			}
			g.name = *name
		}
		if order != nil {
			g.order = *order
		}
		return nil
	}
	t := cs.tags[id]
	if t == nil || t.deleted || !inScope(cs.groups[t.group]) {
		return errf(40068, "invalid tag id")
	}
	if name != nil {
		for _, sid := range cs.groups[t.group].tagOrder {
			if x := cs.tags[sid]; x != t && !x.deleted && x.name == *name {
				return errf(40071, "tag name exists")
			}
		}
		t.name = *name
	}
	if order != nil {
		t.order = *order
	}
	return nil
}

// delTags answers del_corp_tag / del_strategy_tag.
func (cs *contactState) delTags(strategy bool, tagIDs, groupIDs []string) *apiError {
	if len(tagIDs) == 0 && len(groupIDs) == 0 {
		return errf(40058, "tag_id or group_id required")
	}
	inScope := func(g *tagGroup) bool { return g != nil && (g.strategy > 0) == strategy && !g.deleted }
	for _, id := range tagIDs {
		if t := cs.tags[id]; t == nil || t.deleted || !inScope(cs.groups[t.group]) {
			return errf(40068, "invalid tag id "+id)
		}
	}
	for _, id := range groupIDs {
		if !inScope(cs.groups[id]) {
			return errf(40068, "invalid group id "+id)
		}
	}
	for _, id := range tagIDs {
		cs.tags[id].deleted = true
	}
	for _, id := range groupIDs {
		g := cs.groups[id]
		for _, tid := range g.tagOrder {
			cs.tags[tid].deleted = true
		}
	}
	for _, g := range cs.groups {
		if g.deleted {
			continue
		}
		live := false
		for _, tid := range g.tagOrder {
			live = live || !cs.tags[tid].deleted
		}
		if !live && len(g.tagOrder) > 0 {
			g.deleted = true // deleting every tag of a group deletes the group
		}
	}
	return nil
}

func (s *Server) routeContactTags() {
	type filter struct {
		TagID   []string `json:"tag_id"`
		GroupID []string `json:"group_id"`
	}
	type edit struct {
		ID      string  `json:"id"`
		Name    *string `json:"name"`
		Order   *uint32 `json:"order"`
		AgentID int     `json:"agentid"`
	}
	type del struct {
		TagID   []string `json:"tag_id"`
		GroupID []string `json:"group_id"`
		AgentID int      `json:"agentid"`
	}
	type tagGroupAnswer struct {
		TagGroup []wireTagGroup `json:"tag_group"`
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92117
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_corp_tag_list", func(c *call) (any, *apiError) {
		var req filter
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return tagGroupAnswer{c.corp.contact.tagList(-1, req.TagID, req.GroupID)}, nil
	})
	// add, edit and del_corp_tag: the same page as get_corp_tag_list.
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/add_corp_tag", func(c *call) (any, *apiError) {
		var req struct {
			GroupID   string       `json:"group_id"`
			GroupName string       `json:"group_name"`
			Order     uint32       `json:"order"`
			Tag       []wireNewTag `json:"tag"`
			AgentID   int          `json:"agentid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return c.addTags(0, req.GroupID, req.GroupName, req.Order, req.Tag)
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/edit_corp_tag", func(c *call) (any, *apiError) {
		var req edit
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return nil, c.corp.contact.editTag(false, req.ID, req.Name, req.Order)
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/del_corp_tag", func(c *call) (any, *apiError) {
		var req del
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return nil, c.corp.contact.delTags(false, req.TagID, req.GroupID)
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92118
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/mark_tag", func(c *call) (any, *apiError) {
		var req struct {
			UserID         string   `json:"userid"`
			ExternalUserID string   `json:"external_userid"`
			AddTag         []string `json:"add_tag"`
			RemoveTag      []string `json:"remove_tag"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if len(req.AddTag) == 0 && len(req.RemoveTag) == 0 {
			return nil, errf(40058, "add_tag and remove_tag are both empty")
		}
		cs := c.corp.contact
		f, aerr := cs.relation(req.UserID, req.ExternalUserID)
		if aerr != nil {
			return nil, aerr
		}
		for _, id := range append(append([]string{}, req.AddTag...), req.RemoveTag...) {
			if t := cs.tags[id]; t == nil || t.deleted {
				return nil, errf(40068, "invalid tag id "+id)
			}
		}
		for _, id := range req.AddTag {
			if !slices.Contains(f.TagIDs, id) {
				f.TagIDs = append(f.TagIDs, id)
			}
		}
		f.TagIDs = slices.DeleteFunc(f.TagIDs, func(id string) bool { return slices.Contains(req.RemoveTag, id) })
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94882
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_strategy_tag_list", func(c *call) (any, *apiError) {
		var req struct {
			StrategyID int      `json:"strategy_id"`
			TagID      []string `json:"tag_id"`
			GroupID    []string `json:"group_id"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.StrategyID < 0 {
			return nil, errf(40058, "invalid strategy_id")
		}
		return tagGroupAnswer{c.corp.contact.tagList(req.StrategyID, req.TagID, req.GroupID)}, nil
	})
	// add, edit and del_strategy_tag: the same page as get_strategy_tag_list.
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/add_strategy_tag", func(c *call) (any, *apiError) {
		var req struct {
			StrategyID int          `json:"strategy_id"`
			GroupID    string       `json:"group_id"`
			GroupName  string       `json:"group_name"`
			Order      uint32       `json:"order"`
			Tag        []wireNewTag `json:"tag"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.StrategyID <= 0 {
			return nil, errf(40058, "strategy_id missing")
		}
		return c.addTags(req.StrategyID, req.GroupID, req.GroupName, req.Order, req.Tag)
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/edit_strategy_tag", func(c *call) (any, *apiError) {
		var req struct {
			ID    string  `json:"id"`
			Name  *string `json:"name"`
			Order *uint32 `json:"order"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return nil, c.corp.contact.editTag(true, req.ID, req.Name, req.Order)
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/del_strategy_tag", func(c *call) (any, *apiError) {
		var req struct {
			TagID   []string `json:"tag_id"`
			GroupID []string `json:"group_id"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return nil, c.corp.contact.delTags(true, req.TagID, req.GroupID)
	})
}
