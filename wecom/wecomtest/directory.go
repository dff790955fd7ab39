package wecomtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// directoryState is a corp's address book (通讯录): departments, members
// with names and departments, address-book tags, and which members lack
// the basic API licence. Server.mu guards it.
type directoryState struct {
	depts     map[int]*fakeDept
	deptOrder []int
	users     map[string]*fakeUser // by lower-cased userid
	userOrder []string             // lower-cased userids, in the order added
	tags      map[int][]string     // tag id → lower-cased userids
	names     map[string]bool      // agent-developed suite id → the admin granted names
}

type fakeDept struct {
	ID, ParentID int
	Name, NameEn string
	Order        int64
	Leaders      []string
}

type fakeUser struct {
	UserID      string
	Name        string
	Departments []int
	Position    string
	Mobile      string
	Email       string
	unlicensed  bool // lacks the basic API licence (基础接口许可): app messages skip them
}

// RootDepartmentID is the root department every corp of the fake starts
// with, as WeCom's corps do (its parent is 0).
const RootDepartmentID = 1

func newDirectoryState(corpID string) *directoryState {
	d := &directoryState{depts: map[int]*fakeDept{}, users: map[string]*fakeUser{}, tags: map[int][]string{}, names: map[string]bool{}}
	d.depts[RootDepartmentID] = &fakeDept{ID: RootDepartmentID, Name: "Corp " + corpID, Order: 100000000}
	d.deptOrder = []int{RootDepartmentID}
	return d
}

// user finds a member by userid (case-insensitive, as WeCom's userids are).
func (d *directoryState) user(userID string) *fakeUser { return d.users[strings.ToLower(userID)] }

// Directory is a handle on one corp's address book (通讯录): the
// departments and members that department/simplelist, department/get,
// user/list_id and user/get read, and that application messages reach.
// Members given the customer-contact feature with Corp.AddStaff are
// members too (without a department) for application messages. Get it with
// Corp.Directory.
//
// The reads answer with each app kind's visibility: the corp's self-built
// app sees everything, names included; a third-party app gets no names
// (user/get answers the userid as name, departments come without
// names) and open_userids; an agent-developed app gets names only once
// the corp's admin granted them (GrantNames). The fake keeps one secret
// per corp: its self-built app also reads user/list_id, which WeCom answers
// only the contact-sync secret (通讯录同步secret).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90196
type Directory struct{ c *Corp }

// Directory returns the handle on the corp's address book.
func (c *Corp) Directory() *Directory { return &Directory{c: c} }

// DepartmentSpec describes a department to add.
type DepartmentSpec struct {
	ID       int    // required; 1 is the root, which exists already
	ParentID int    // 0: the root
	Name     string // required
	NameEn   string
	Order    int64
	Leaders  []string // userids
}

// MemberSpec describes a member to add.
type MemberSpec struct {
	UserID      string // required
	Name        string // required
	Departments []int  // empty: the root
	Position    string
	Mobile      string
	Email       string
}

// directoryLocked returns the corp's address book; s.mu is held.
func (c *Corp) directoryLocked() (*directoryState, error) {
	st, err := c.stateLocked()
	if err != nil {
		return nil, err
	}
	return st.directory, nil
}

// AddDepartment adds (or replaces) a department. Its parent must exist.
func (d *Directory) AddDepartment(spec DepartmentSpec) error {
	s := d.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, err := d.c.directoryLocked()
	if err != nil {
		return err
	}
	if spec.ID <= 0 || spec.Name == "" {
		return fmt.Errorf("wecomtest: AddDepartment needs a positive ID and a Name")
	}
	parent := spec.ParentID
	if parent == 0 {
		parent = RootDepartmentID
	}
	if spec.ID == RootDepartmentID {
		parent = 0
	} else if ds.depts[parent] == nil {
		return fmt.Errorf("%w: parent department %d", ErrNotFound, parent)
	}
	if ds.depts[spec.ID] == nil {
		ds.deptOrder = append(ds.deptOrder, spec.ID)
	}
	ds.depts[spec.ID] = &fakeDept{ID: spec.ID, ParentID: parent, Name: spec.Name, NameEn: spec.NameEn, Order: spec.Order,
		Leaders: slices.Clone(spec.Leaders)}
	return nil
}

// AddMember adds (or replaces) a member. Its departments must exist.
func (d *Directory) AddMember(spec MemberSpec) error {
	s := d.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, err := d.c.directoryLocked()
	if err != nil {
		return err
	}
	if spec.UserID == "" || spec.Name == "" {
		return fmt.Errorf("wecomtest: AddMember needs a UserID and a Name")
	}
	depts := slices.Clone(spec.Departments)
	if len(depts) == 0 {
		depts = []int{RootDepartmentID}
	}
	for _, id := range depts {
		if ds.depts[id] == nil {
			return fmt.Errorf("%w: department %d", ErrNotFound, id)
		}
	}
	key := strings.ToLower(spec.UserID)
	if ds.users[key] == nil {
		ds.userOrder = append(ds.userOrder, key)
	}
	ds.users[key] = &fakeUser{UserID: spec.UserID, Name: spec.Name, Departments: depts, Position: spec.Position,
		Mobile: spec.Mobile, Email: spec.Email}
	return nil
}

// TagMembers puts members in an address-book tag (totag of application
// messages), creating the tag.
func (d *Directory) TagMembers(tagID int, userIDs ...string) error {
	s := d.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, err := d.c.directoryLocked()
	if err != nil {
		return err
	}
	if tagID <= 0 {
		return fmt.Errorf("wecomtest: tag ids are positive")
	}
	list := ds.tags[tagID]
	for _, u := range userIDs {
		if k := strings.ToLower(u); !slices.Contains(list, k) {
			list = append(list, k)
		}
	}
	ds.tags[tagID] = list
	return nil
}

// SetUnlicensed marks a member as lacking (true) or having (false) the
// basic API licence (基础接口许可) of the apps: message/send then lists the
// member in unlicenseduser and does not deliver to them.
func (d *Directory) SetUnlicensed(userID string, unlicensed bool) error {
	s := d.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, err := d.c.directoryLocked()
	if err != nil {
		return err
	}
	u := ds.user(userID)
	if u == nil {
		return fmt.Errorf("%w: member %q", ErrNotFound, userID)
	}
	u.unlicensed = unlicensed
	return nil
}

// GrantNames plays the corp's admin granting (or withdrawing) the
// agent-developed app suiteID the names of members and departments
// (代开发自建应用需要管理员授权才返回).
func (d *Directory) GrantNames(suiteID string, granted bool) {
	s := d.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ds, err := d.c.directoryLocked(); err == nil {
		ds.names[suiteID] = granted
	}
}

// appKind is the kind of app behind a call's token.
type appKind int

const (
	appSelfBuilt appKind = iota
	appThirdParty
	appAgentDeveloped
)

// callerApp names the app behind the call: its kind and suite id ("" for
// the corp's self-built app). s.mu is held.
func (c *call) callerApp() (appKind, string) {
	if c.s.appAuthLocked(c) == nil {
		return appSelfBuilt, ""
	}
	id := c.appOf()
	if fs := c.s.suite.suites[id]; fs != nil && fs.agentDev {
		return appAgentDeveloped, id
	}
	return appThirdParty, id
}

// seesNames reports whether the calling app may read names.
func (c *call) seesNames(ds *directoryState) bool {
	switch kind, id := c.callerApp(); kind {
	case appThirdParty:
		return false
	case appAgentDeveloped:
		return ds.names[id]
	}
	return true
}

// openUserID is the open_userid a third-party app sees for userID.
func openUserID(suiteID, corpID, userID string) string {
	return pseudoID("wo", suiteID, corpID, userID)
}

// resolveMember finds the member a call names: a userid, or for a
// third-party app the open_userid it sees. s.mu is held.
func (c *call) resolveMember(ds *directoryState, id string) *fakeUser {
	if u := ds.user(id); u != nil {
		return u
	}
	if kind, suite := c.callerApp(); kind == appThirdParty {
		for _, k := range ds.userOrder {
			if u := ds.users[k]; openUserID(suite, c.corp.ID, u.UserID) == id {
				return u
			}
		}
	}
	return nil
}

type wsDeptRef struct {
	ID       int   `json:"id"`
	ParentID int   `json:"parentid"`
	Order    int64 `json:"order"`
}

type wsDepartment struct {
	ID               int      `json:"id"`
	Name             string   `json:"name,omitempty"`
	NameEn           string   `json:"name_en,omitempty"`
	DepartmentLeader []string `json:"department_leader"`
	ParentID         int      `json:"parentid"`
	Order            int64    `json:"order"`
}

type wsDeptUser struct {
	UserID     string `json:"userid,omitempty"`
	OpenUserID string `json:"open_userid,omitempty"`
	Department int    `json:"department"`
}

type wsUser struct {
	UserID         string  `json:"userid"`
	Name           string  `json:"name,omitempty"`
	Department     []int   `json:"department"`
	Order          []int64 `json:"order"`
	MainDepartment int     `json:"main_department"`
	Position       string  `json:"position,omitempty"`
	Mobile         string  `json:"mobile,omitempty"`
	Email          string  `json:"email,omitempty"`
	IsLeaderInDept []int   `json:"is_leader_in_dept"`
	OpenUserID     string  `json:"open_userid,omitempty"`
	Status         int     `json:"status"`
}

// descendants returns id and its sub-departments, all levels down, in the
// order they were added.
func (ds *directoryState) descendants(id int) []int {
	out := []int{}
	in := map[int]bool{id: true}
	for _, d := range ds.deptOrder {
		if d == id {
			continue
		}
		// a department is in when one of its ancestors is
		for p := ds.depts[d].ParentID; p != 0; p = ds.depts[p].ParentID {
			if in[p] {
				in[d] = true
				break
			}
			if ds.depts[p] == nil {
				break
			}
		}
	}
	for _, d := range ds.deptOrder {
		if in[d] {
			out = append(out, d)
		}
	}
	return out
}

// routeDirectory serves the address-book reads.
func (s *Server) routeDirectory() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95350
	s.handle(http.MethodGet, "/cgi-bin/department/simplelist", authCorp, func(c *call) (any, *apiError) {
		ds := c.corp.directory
		id := RootDepartmentID
		if v := c.r.URL.Query().Get("id"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || ds.depts[n] == nil {
				return nil, errf(60123, "invalid party id")
			}
			id = n
		}
		refs := []wsDeptRef{}
		for _, d := range ds.descendants(id) {
			dp := ds.depts[d]
			refs = append(refs, wsDeptRef{ID: dp.ID, ParentID: dp.ParentID, Order: dp.Order})
		}
		return map[string]any{"department_id": refs}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95351
	s.handle(http.MethodGet, "/cgi-bin/department/get", authCorp, func(c *call) (any, *apiError) {
		ds := c.corp.directory
		id, err := strconv.Atoi(c.r.URL.Query().Get("id"))
		if err != nil {
			return nil, errf(40058, "invalid parameter: id")
		}
		dp := ds.depts[id]
		if dp == nil {
			return nil, errf(60123, "invalid party id")
		}
		out := wsDepartment{ID: dp.ID, DepartmentLeader: slices.Clone(dp.Leaders), ParentID: dp.ParentID, Order: dp.Order}
		if out.DepartmentLeader == nil {
			out.DepartmentLeader = []string{}
		}
		if c.seesNames(ds) {
			out.Name, out.NameEn = dp.Name, dp.NameEn
		}
		if kind, _ := c.callerApp(); kind == appThirdParty {
			out.DepartmentLeader = []string{} // third-party apps need the department-leader permission
		}
		return map[string]any{"department": out}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96067
	s.handle(http.MethodPost, "/cgi-bin/user/list_id", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			Cursor string `json:"cursor"`
			Limit  int    `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.Limit < 0 || req.Limit > 10000 {
			return nil, errf(40058, "invalid parameter: limit must be 1 to 10000")
		}
		limit := req.Limit
		if limit == 0 {
			limit = 10000
		}
		at, aerr := decodeCursor(req.Cursor, 1)
		if aerr != nil {
			return nil, aerr
		}
		ds := c.corp.directory
		kind, suite := c.callerApp()
		var all []wsDeptUser
		for _, k := range ds.userOrder {
			u := ds.users[k]
			for _, d := range u.Departments {
				row := wsDeptUser{UserID: u.UserID, Department: d}
				if kind == appThirdParty {
					row = wsDeptUser{OpenUserID: openUserID(suite, c.corp.ID, u.UserID), Department: d}
				}
				all = append(all, row)
			}
		}
		from := min(at[0], len(all))
		to := min(from+limit, len(all))
		next := ""
		if to < len(all) {
			next = encodeCursor(to)
		}
		page := all[from:to]
		if page == nil {
			page = []wsDeptUser{}
		}
		return map[string]any{"next_cursor": next, "dept_user": page}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90196
	s.handle(http.MethodGet, "/cgi-bin/user/get", authCorp, func(c *call) (any, *apiError) {
		ds := c.corp.directory
		id := c.r.URL.Query().Get("userid")
		if id == "" {
			return nil, errf(40058, "invalid parameter: userid missing")
		}
		u := c.resolveMember(ds, id)
		if u == nil {
			return nil, errf(60111, "userid not found")
		}
		out := wsUser{UserID: u.UserID, Department: slices.Clone(u.Departments), MainDepartment: u.Departments[0], Status: 1}
		for _, d := range u.Departments {
			out.Order = append(out.Order, 0)
			lead := 0
			if dp := ds.depts[d]; dp != nil && slices.Contains(dp.Leaders, u.UserID) {
				lead = 1
			}
			out.IsLeaderInDept = append(out.IsLeaderInDept, lead)
		}
		switch kind, suite := c.callerApp(); {
		case kind == appThirdParty:
			out.Name = u.UserID // third-party apps get the userid in name's place
			out.OpenUserID = openUserID(suite, c.corp.ID, u.UserID)
		case c.seesNames(ds):
			out.Name, out.Position = u.Name, u.Position
			if kind == appSelfBuilt {
				// the fake's self-built app predates 2022-06-20: it still reads these
				out.Mobile, out.Email = u.Mobile, u.Email
			}
		}
		return out, nil
	})
}
