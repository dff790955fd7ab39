package wecomtest

import (
	"net/http"
	"slices"
)

// momentStrategy is a Moments rule group.
type momentStrategy struct {
	ID         int             `json:"strategy_id"`
	ParentID   int             `json:"parent_id"`
	Name       string          `json:"strategy_name"`
	CreateTime int64           `json:"create_time"`
	AdminList  []string        `json:"admin_list"`
	Privilege  wirePrivilege   `json:"privilege"`
	rangeNodes []wireRangeNode // in the order added
}

type wirePrivilege struct {
	ViewMomentList           *bool `json:"view_moment_list,omitempty"`
	SendMoment               *bool `json:"send_moment,omitempty"`
	ManageMomentCoverAndSign *bool `json:"manage_moment_cover_and_sign,omitempty"`
}

type wireRangeNode struct {
	Type    int    `json:"type"`
	UserID  string `json:"userid,omitempty"`
	PartyID int    `json:"partyid,omitempty"`
}

func (n wireRangeNode) valid() bool {
	return (n.Type == 1 && n.UserID != "" && n.PartyID == 0) || (n.Type == 2 && n.PartyID > 0 && n.UserID == "")
}

// The limits WeCom documents for Moments rule groups are those of customer
// rule groups (maxStrategyAdmins, maxStrategyNodes, maxStrategyDepth in
// contact_strategy.go).

// depth is how many levels st is below the top (a top group is 1).
func (ms *messageState) depth(st *momentStrategy) int {
	d := 1
	for p := ms.strategies[st.ParentID]; p != nil; p = ms.strategies[p.ParentID] {
		d++
	}
	return d
}

// subsetOfParent reports whether nodes all lie in the range of parent (a
// top group has no such limit).
func (ms *messageState) subsetOfParent(parentID int, nodes []wireRangeNode) bool {
	p := ms.strategies[parentID]
	if p == nil {
		return true
	}
	for _, n := range nodes {
		if !slices.Contains(p.rangeNodes, n) {
			return false
		}
	}
	return true
}

func (s *Server) routeMomentStrategy() {
	type strategyRef struct {
		StrategyID int    `json:"strategy_id"`
		Cursor     string `json:"cursor"`
		Limit      int    `json:"limit"`
	}
	strategy := func(c *call, id int) (*momentStrategy, *apiError) {
		st := c.corp.message.strategies[id]
		if st == nil {
			return nil, errf(40058, "invalid strategy_id")
		}
		return st, nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94890
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/moment_strategy/list", func(c *call) (any, *apiError) {
		var req struct {
			Cursor string `json:"cursor"`
			Limit  int    `json:"limit"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		ms := c.corp.message
		ids := make([]int, 0, len(ms.strategies))
		for id := range ms.strategies {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		type ref struct {
			StrategyID int `json:"strategy_id"`
		}
		all := make([]ref, len(ids))
		for i, id := range ids {
			all[i] = ref{id}
		}
		return pagedStrategyAnswer(all, req.Cursor, clampPageLimit(req.Limit, 1000, 1000, c.corp.contact), "strategy")
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/moment_strategy/get", func(c *call) (any, *apiError) {
		var req struct {
			StrategyID int `json:"strategy_id"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		st, aerr := strategy(c, req.StrategyID)
		if aerr != nil {
			return nil, aerr
		}
		return map[string]any{"strategy": st}, nil
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/moment_strategy/get_range", func(c *call) (any, *apiError) {
		var req strategyRef
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		st, aerr := strategy(c, req.StrategyID)
		if aerr != nil {
			return nil, aerr
		}
		return pagedStrategyAnswer(st.rangeNodes, req.Cursor, clampPageLimit(req.Limit, 1000, 1000, c.corp.contact), "range")
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/moment_strategy/create", func(c *call) (any, *apiError) {
		var req struct {
			ParentID     int             `json:"parent_id"`
			StrategyName string          `json:"strategy_name"`
			AdminList    []string        `json:"admin_list"`
			Privilege    *wirePrivilege  `json:"privilege"`
			Range        []wireRangeNode `json:"range"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		ms := c.corp.message
		switch {
		case req.StrategyName == "":
			return nil, errf(40058, "strategy_name missing")
		case len(req.AdminList) == 0 || len(req.AdminList) > maxStrategyAdmins:
			return nil, errf(40058, "admin_list holds 1 to 20 members")
		case len(req.Range) == 0 || len(req.Range) > maxStrategyNodes:
			return nil, errf(40058, "range holds 1 to 3000 nodes")
		case req.ParentID != 0 && ms.strategies[req.ParentID] == nil:
			return nil, errf(40058, "invalid parent_id")
		}
		for _, n := range req.Range {
			if !n.valid() {
				return nil, errf(40058, "invalid range node")
			}
		}
		if !ms.subsetOfParent(req.ParentID, req.Range) {
			return nil, errf(40058, "the range must be a subset of the parent rule group's")
		}
		t := true
		st := &momentStrategy{ParentID: req.ParentID, Name: req.StrategyName, CreateTime: c.s.now().Unix(),
			AdminList: req.AdminList, rangeNodes: dedupNodes(req.Range),
			Privilege: wirePrivilege{ViewMomentList: &t, SendMoment: &t, ManageMomentCoverAndSign: &t}}
		if p := ms.strategies[req.ParentID]; p != nil {
			st.Privilege = p.Privilege // a child inherits its parent's privileges
		} else if req.Privilege != nil {
			st.Privilege.merge(req.Privilege)
		}
		if ms.depth(st) > maxStrategyDepth {
			return nil, errf(40058, "rule groups nest at most 5 levels")
		}
		ms.strategySeq++
		st.ID = ms.strategySeq
		ms.strategies[st.ID] = st
		return map[string]any{"strategy_id": st.ID}, nil
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/moment_strategy/edit", func(c *call) (any, *apiError) {
		var req struct {
			StrategyID   int             `json:"strategy_id"`
			StrategyName string          `json:"strategy_name"`
			AdminList    []string        `json:"admin_list"`
			Privilege    *wirePrivilege  `json:"privilege"`
			RangeAdd     []wireRangeNode `json:"range_add"`
			RangeDel     []wireRangeNode `json:"range_del"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		ms := c.corp.message
		st, aerr := strategy(c, req.StrategyID)
		if aerr != nil {
			return nil, aerr
		}
		if len(req.AdminList) > maxStrategyAdmins {
			return nil, errf(40058, "admin_list holds at most 20 members")
		}
		for _, n := range append(slices.Clone(req.RangeAdd), req.RangeDel...) {
			if !n.valid() {
				return nil, errf(40058, "invalid range node")
			}
		}
		if !ms.subsetOfParent(st.ParentID, req.RangeAdd) {
			return nil, errf(40058, "the range must be a subset of the parent rule group's")
		}
		nodes := dedupNodes(append(slices.Clone(st.rangeNodes), req.RangeAdd...))
		nodes = slices.DeleteFunc(nodes, func(n wireRangeNode) bool { return slices.Contains(req.RangeDel, n) })
		if len(nodes) > maxStrategyNodes {
			return nil, errf(40058, "range holds at most 3000 nodes")
		}
		if req.StrategyName != "" {
			st.Name = req.StrategyName
		}
		if len(req.AdminList) > 0 {
			st.AdminList = req.AdminList
		}
		if req.Privilege != nil && ms.strategies[st.ParentID] == nil {
			st.Privilege.merge(req.Privilege)
		}
		st.rangeNodes = nodes
		return nil, nil
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/moment_strategy/del", func(c *call) (any, *apiError) {
		var req struct {
			StrategyID int `json:"strategy_id"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		ms := c.corp.message
		if _, aerr := strategy(c, req.StrategyID); aerr != nil {
			return nil, aerr
		}
		for _, other := range ms.strategies {
			if other.ParentID == req.StrategyID {
				return nil, errf(40058, "the rule group has child rule groups")
			}
		}
		delete(ms.strategies, req.StrategyID)
		return nil, nil
	})
}

func (p *wirePrivilege) merge(n *wirePrivilege) {
	if n.ViewMomentList != nil {
		p.ViewMomentList = n.ViewMomentList
	}
	if n.SendMoment != nil {
		p.SendMoment = n.SendMoment
	}
	if n.ManageMomentCoverAndSign != nil {
		p.ManageMomentCoverAndSign = n.ManageMomentCoverAndSign
	}
}

func dedupNodes(nodes []wireRangeNode) []wireRangeNode {
	var out []wireRangeNode
	for _, n := range nodes {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// pagedStrategyAnswer pages like pagedAnswer, but leaves next_cursor out on
// the last page ("无更多数据时不返回").
func pagedStrategyAnswer[T any](all []T, cursor string, limit int, key string) (any, *apiError) {
	pos, aerr := decodeCursor(cursor, 1)
	if aerr != nil {
		return nil, aerr
	}
	page, next := pageOf(all, pos[0], limit)
	out := map[string]any{key: nonNil(page)}
	if next != "" {
		out["next_cursor"] = next
	}
	return out, nil
}
