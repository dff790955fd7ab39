package wecomtest

import (
	"encoding/json"
	"net/http"
	"slices"
)

// Customer rule groups (客户联系规则组). Since 2023-12 an app sees and
// manages only the groups it created: the fake keeps each group's creating
// app (the corp's self-built app, or a suite) and answers any other app as
// if the group did not exist. WeCom's pages name no errcode for an unknown
// group; the fake answers 40058 (invalid parameter), as for the documented
// limits.

// strategyState holds a corp's rule groups; Server.mu guards it.
type strategyState struct {
	groups map[int]*fakeStrategy
	order  []int
	next   int
}

func newStrategyState() *strategyState {
	return &strategyState{groups: map[int]*fakeStrategy{}, next: 1}
}

type fakeStrategy struct {
	id, parent int
	app        string // creating app: "" self-built, else the suite id
	name       string
	created    int64
	admins     []string
	privilege  wireStrategyPrivilege
	nodes      []wireStrategyRange
}

// --- wire types, written here independently of the SDK ---

type wireStrategyPrivilege struct {
	ViewCustomerList        bool `json:"view_customer_list"`
	ViewCustomerData        bool `json:"view_customer_data"`
	ViewRoomList            bool `json:"view_room_list"`
	ContactMe               bool `json:"contact_me"`
	JoinRoom                bool `json:"join_room"`
	ShareCustomer           bool `json:"share_customer"`
	OperResignCustomer      bool `json:"oper_resign_customer"`
	OperResignGroup         bool `json:"oper_resign_group"`
	SendCustomerMsg         bool `json:"send_customer_msg"`
	EditWelcomeMsg          bool `json:"edit_welcome_msg"`
	ViewBehaviorData        bool `json:"view_behavior_data"`
	ViewRoomData            bool `json:"view_room_data"`
	SendGroupMsg            bool `json:"send_group_msg"`
	RoomDeduplication       bool `json:"room_deduplication"`
	RapidReply              bool `json:"rapid_reply"`
	OnjobCustomerTransfer   bool `json:"onjob_customer_transfer"`
	EditAntiSpamRule        bool `json:"edit_anti_spam_rule"`
	ExportCustomerList      bool `json:"export_customer_list"`
	ExportCustomerData      bool `json:"export_customer_data"`
	ExportCustomerGroupList bool `json:"export_customer_group_list"`
	ManageCustomerTag       bool `json:"manage_customer_tag"`
}

// defaultStrategyPrivilege is every privilege allowed, WeCom's default.
func defaultStrategyPrivilege() wireStrategyPrivilege {
	return wireStrategyPrivilege{true, true, true, true, true, true, true, true, true, true, true,
		true, true, true, true, true, true, true, true, true, true}
}

// keepBase restores the base privileges, which cannot be withdrawn.
func (p *wireStrategyPrivilege) keepBase() {
	p.ViewCustomerList, p.ViewCustomerData, p.ViewRoomList, p.ContactMe, p.JoinRoom = true, true, true, true, true
}

type wireStrategyRange struct {
	Type    int    `json:"type"`
	UserID  string `json:"userid,omitempty"`
	PartyID int    `json:"partyid,omitempty"`
}

type wireStrategy struct {
	StrategyID   int                   `json:"strategy_id"`
	ParentID     int                   `json:"parent_id"`
	StrategyName string                `json:"strategy_name"`
	CreateTime   int64                 `json:"create_time"`
	AdminList    []string              `json:"admin_list"`
	Privilege    wireStrategyPrivilege `json:"privilege"`
}

// Documented limits of customer_strategy/*.
const (
	maxStrategyAdmins    = 20
	maxStrategyCallNodes = 100
	maxStrategyNodes     = 3000
	maxStrategyDepth     = 5
	maxStrategyPage      = 1000
)

// appOf names the app behind the call's token: "" for the corp's
// self-built app, else the id of the suite (third-party or
// agent-developed) it belongs to. s.mu is held.
func (c *call) appOf() string {
	a := c.s.appAuthLocked(c)
	if a == nil {
		return ""
	}
	for id, fs := range c.s.suite.suites {
		if fs.auths[c.corp.ID] == a {
			return id
		}
	}
	return ""
}

// visible returns group id if app created it (else nil).
func (st *strategyState) visible(id int, app string) *fakeStrategy {
	if g := st.groups[id]; g != nil && g.app == app {
		return g
	}
	return nil
}

func (st *strategyState) depth(g *fakeStrategy) int {
	d := 1
	for g.parent != 0 {
		p := st.groups[g.parent]
		if p == nil {
			break
		}
		g, d = p, d+1
	}
	return d
}

// privilegeOf is the group's own privileges, or its top ancestor's for a
// child group (children inherit them wholly).
func (st *strategyState) privilegeOf(g *fakeStrategy) wireStrategyPrivilege {
	for g.parent != 0 {
		p := st.groups[g.parent]
		if p == nil {
			break
		}
		g = p
	}
	return g.privilege
}

func checkStrategyNodes(nodes []wireStrategyRange) *apiError {
	if len(nodes) > maxStrategyCallNodes {
		return errf(40058, "at most 100 range nodes per call")
	}
	for _, n := range nodes {
		switch {
		case n.Type == 1 && n.UserID != "" && n.PartyID == 0:
		case n.Type == 2 && n.PartyID > 0 && n.UserID == "":
		default:
			return errf(40058, "invalid range node: type 1 needs userid, type 2 needs partyid")
		}
	}
	return nil
}

// withinParent reports whether every node is in the parent's range (a
// child group manages a subset of its parent's range). Department
// membership is not modelled: a child may name only nodes its parent names.
func withinParent(parent *fakeStrategy, nodes []wireStrategyRange) bool {
	for _, n := range nodes {
		if !slices.Contains(parent.nodes, n) {
			return false
		}
	}
	return true
}

// decodePrivilege reads a (possibly partial) privilege object over base.
func decodePrivilege(raw json.RawMessage, base wireStrategyPrivilege) (wireStrategyPrivilege, *apiError) {
	p := base
	if len(raw) == 0 {
		return p, nil
	}
	c := call{body: raw}
	if e := c.decode(&p); e != nil {
		return p, e
	}
	p.keepBase()
	return p, nil
}

func (s *Server) routeContactStrategy() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/customer_strategy/list", func(c *call) (any, *apiError) {
		var req struct {
			Cursor string `json:"cursor"`
			Limit  int    `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		limit, e := pageLimit(req.Limit, maxStrategyPage, maxStrategyPage)
		if e != nil {
			return nil, e
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		st, app := c.corp.contact.strategies, c.appOf()
		var mine []int
		for _, id := range st.order {
			if st.visible(id, app) != nil {
				mine = append(mine, id)
			}
		}
		type ref struct {
			StrategyID int `json:"strategy_id"`
		}
		out := []ref{}
		from := min(pos[0], len(mine))
		to := min(from+limit, len(mine))
		for _, id := range mine[from:to] {
			out = append(out, ref{id})
		}
		ans := map[string]any{"strategy": out}
		if to < len(mine) {
			ans["next_cursor"] = encodeCursor(to)
		}
		return ans, nil
	})

	getGroup := func(c *call) (*fakeStrategy, *apiError) {
		var req struct {
			StrategyID int `json:"strategy_id"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		g := c.corp.contact.strategies.visible(req.StrategyID, c.appOf())
		if g == nil {
			return nil, errf(40058, "invalid strategy_id")
		}
		return g, nil
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/customer_strategy/get", func(c *call) (any, *apiError) {
		g, e := getGroup(c)
		if e != nil {
			return nil, e
		}
		st := c.corp.contact.strategies
		return map[string]any{"strategy": wireStrategy{StrategyID: g.id, ParentID: g.parent, StrategyName: g.name,
			CreateTime: g.created, AdminList: append([]string{}, g.admins...), Privilege: st.privilegeOf(g)}}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/customer_strategy/get_range", func(c *call) (any, *apiError) {
		var req struct {
			StrategyID int    `json:"strategy_id"`
			Cursor     string `json:"cursor"`
			Limit      int    `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		g := c.corp.contact.strategies.visible(req.StrategyID, c.appOf())
		if g == nil {
			return nil, errf(40058, "invalid strategy_id")
		}
		limit, e := pageLimit(req.Limit, maxStrategyPage, maxStrategyPage)
		if e != nil {
			return nil, e
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		from := min(pos[0], len(g.nodes))
		to := min(from+limit, len(g.nodes))
		ans := map[string]any{"range": append([]wireStrategyRange{}, g.nodes[from:to]...)}
		if to < len(g.nodes) {
			ans["next_cursor"] = encodeCursor(to)
		}
		return ans, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/customer_strategy/create", func(c *call) (any, *apiError) {
		var req struct {
			ParentID     int                 `json:"parent_id"`
			StrategyName string              `json:"strategy_name"`
			AdminList    []string            `json:"admin_list"`
			Privilege    json.RawMessage     `json:"privilege"`
			Range        []wireStrategyRange `json:"range"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		st, app := c.corp.contact.strategies, c.appOf()
		switch {
		case req.StrategyName == "":
			return nil, errf(40058, "strategy_name missing")
		case len(req.AdminList) == 0 || len(req.AdminList) > maxStrategyAdmins:
			return nil, errf(40058, "admin_list must name 1 to 20 admins")
		}
		if e := checkStrategyNodes(req.Range); e != nil {
			return nil, e
		}
		priv, e := decodePrivilege(req.Privilege, defaultStrategyPrivilege())
		if e != nil {
			return nil, e
		}
		g := &fakeStrategy{parent: req.ParentID, app: app, name: req.StrategyName, created: c.s.now().Unix(),
			admins: append([]string{}, req.AdminList...), privilege: priv}
		if req.ParentID != 0 {
			parent := st.visible(req.ParentID, app)
			switch {
			case parent == nil:
				return nil, errf(40058, "invalid parent_id")
			case st.depth(parent) >= maxStrategyDepth:
				return nil, errf(40058, "rule groups nest at most 5 levels")
			case !withinParent(parent, req.Range):
				return nil, errf(40058, "a child group's range must be a subset of its parent's")
			}
		}
		for _, n := range req.Range {
			if !slices.Contains(g.nodes, n) {
				g.nodes = append(g.nodes, n)
			}
		}
		g.id = st.next
		st.next++
		st.groups[g.id] = g
		st.order = append(st.order, g.id)
		return map[string]any{"strategy_id": g.id}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/customer_strategy/edit", func(c *call) (any, *apiError) {
		var req struct {
			StrategyID   int                 `json:"strategy_id"`
			StrategyName string              `json:"strategy_name"`
			AdminList    []string            `json:"admin_list"`
			Privilege    json.RawMessage     `json:"privilege"`
			RangeAdd     []wireStrategyRange `json:"range_add"`
			RangeDel     []wireStrategyRange `json:"range_del"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		st := c.corp.contact.strategies
		g := st.visible(req.StrategyID, c.appOf())
		if g == nil {
			return nil, errf(40058, "invalid strategy_id")
		}
		if len(req.AdminList) > maxStrategyAdmins {
			return nil, errf(40058, "admin_list names more than 20 admins")
		}
		for _, nodes := range [][]wireStrategyRange{req.RangeAdd, req.RangeDel} {
			if e := checkStrategyNodes(nodes); e != nil {
				return nil, e
			}
		}
		if parent := st.groups[g.parent]; parent != nil && !withinParent(parent, req.RangeAdd) {
			return nil, errf(40058, "a child group's range must be a subset of its parent's")
		}
		nodes := slices.Clone(g.nodes)
		for _, n := range req.RangeDel {
			nodes = slices.DeleteFunc(nodes, func(x wireStrategyRange) bool { return x == n })
		}
		for _, n := range req.RangeAdd {
			if !slices.Contains(nodes, n) {
				nodes = append(nodes, n)
			}
		}
		if len(nodes) > maxStrategyNodes {
			return nil, errf(40058, "a rule group's range holds at most 3000 nodes")
		}
		priv := g.privilege
		if len(req.Privilege) > 0 {
			// The whole object replaces the old one; privileges left out
			// of it are WeCom's defaults.
			p, e := decodePrivilege(req.Privilege, defaultStrategyPrivilege())
			if e != nil {
				return nil, e
			}
			priv = p
		}
		g.nodes, g.privilege = nodes, priv
		if req.StrategyName != "" {
			g.name = req.StrategyName
		}
		if len(req.AdminList) > 0 {
			g.admins = append([]string{}, req.AdminList...)
		}
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/customer_strategy/del", func(c *call) (any, *apiError) {
		g, e := getGroup(c)
		if e != nil {
			return nil, e
		}
		st := c.corp.contact.strategies
		// The fake deletes the group's descendants with it (WeCom's pages
		// do not say).
		gone := map[int]bool{g.id: true}
		for changed := true; changed; {
			changed = false
			for _, id := range st.order {
				if x := st.groups[id]; !gone[id] && gone[x.parent] {
					gone[id], changed = true, true
				}
			}
		}
		for id := range gone {
			delete(st.groups, id)
		}
		st.order = slices.DeleteFunc(st.order, func(id int) bool { return gone[id] })
		return nil, nil
	})
}

// pageLimit applies a page size: 0 is def, above max is refused with 40058.
func pageLimit(limit, def, max int) (int, *apiError) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 0 || limit > max:
		return 0, errf(40058, "invalid limit")
	}
	return limit, nil
}

// StrategyCount returns how many customer rule groups (客户规则组) the corp
// has, whichever app created them.
func (c *Corp) StrategyCount() int {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return 0
	}
	return len(cs.strategies.groups)
}
