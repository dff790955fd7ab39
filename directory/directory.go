// Package directory reads the corp's address book (通讯录) as a backend
// needs it: the departments (ids, then details) and the members (ids with
// their departments, then one member's details), to say who and where —
// which store a member works in, whom a report goes to.
//
//	dir := directory.New(client)
//	for m, err := range dir.ListUserIDsIter(ctx, nil) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(m.UserID, m.Department)
//	}
//
// # What each kind of app may see
//
// WeCom hardened the address book in 2022, and what a read answers depends
// on the app whose token makes it:
//
//   - a self-built app (自建应用) reads the departments and members of its
//     visible range, names included; apps created since 2022-06-20 (and the
//     basic apps other than contact sync) no longer get avatars, gender,
//     mobile, email, business email, personal QR code or address, which
//     need the member's own OAuth2 consent;
//   - an agent-developed app (代开发) gets names, department names and
//     positions only when the corp's admin granted them, and the sensitive
//     fields only with the member's consent as well;
//   - a third-party app (第三方) gets no names at all: user/get answers the
//     userid in name's place, department names are left out, and user/list_id
//     answers open_userids. Such an app shows names in its pages with
//     WeCom's address-book display component, and in messages with id
//     translation (appmsg.UserName).
//
// The member id list (user/list_id) answers only a contact-sync secret
// (通讯录同步secret) for self-built and agent-developed apps, and a
// third-party app the corp authorized to edit the address book.
//
// Every method takes a context first and returns typed values; WeCom's
// errcode != 0 comes back as *wecom.Error (IsNotFound for an unknown
// member or department) and input refused before sending matches
// ErrInvalidArgument. All reads are retried by the client.
package directory

import (
	"context"
	"errors"
	"iter"
	"net/url"
	"strconv"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service reads one corp's address book with the token of the app whose
// client it was built from (see the package doc for what each app may
// see). It is safe for concurrent use.
type Service struct {
	c *wecom.Client
}

// New returns a Service that calls WeCom through c.
func New(c *wecom.Client) *Service { return &Service{c: c} }

// Client returns the client the Service calls through.
func (s *Service) Client() *wecom.Client { return s.c }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("directory: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "directory", Sentinel: ErrInvalidArgument}

// IsNotFound reports whether err is WeCom saying the member or department
// does not exist (60111, 60003, 60123).
func IsNotFound(err error) bool {
	switch wecom.ErrorCode(err) {
	case wecom.CodeUserNotFound, wecom.CodeDepartmentNotFound, wecom.CodeInvalidDepartmentID:
		return true
	}
	return false
}

// DepartmentRef is one department of ListDepartmentIDs: its id, its
// parent (1 is the root, whose parent is 0) and its order among its
// siblings (higher first; 0 to 2^32).
type DepartmentRef struct {
	ID       int   `json:"id"`
	ParentID int   `json:"parentid"`
	Order    int64 `json:"order"`
}

// ListDepartmentIDs returns the department id and its sub-departments, all
// levels down (id 0: the whole organization), with their parents and
// order. A self-built app gets the departments of its visible range; a
// third-party or agent-developed app gets every department when the corp
// granted it the organization (组织架构信息) permission, else those of its
// visible range.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95350
func (s *Service) ListDepartmentIDs(ctx context.Context, id int) ([]DepartmentRef, error) {
	if id < 0 {
		return nil, check.Invalidf("department id %d: ids are positive (0 for the whole organization)", id)
	}
	q := url.Values{}
	if id > 0 {
		q.Set("id", strconv.Itoa(id))
	}
	var out struct {
		DepartmentID []DepartmentRef `json:"department_id"`
	}
	if err := api.Get(ctx, s.c, "/cgi-bin/department/simplelist", q, &out); err != nil {
		return nil, err
	}
	return out.DepartmentID, nil
}

// Department is one department's details.
type Department struct {
	ID int `json:"id"`
	// Name and NameEn: a self-built app gets them; an agent-developed app
	// only when the corp's admin granted them; a third-party app never
	// (they are empty; show names with WeCom's display component).
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	// DepartmentLeader are the department's leaders (userids) within the
	// app's visible range; a third-party app gets them only with the
	// organization permission's department-leader part.
	DepartmentLeader []string `json:"department_leader"`
	ParentID         int      `json:"parentid"`
	Order            int64    `json:"order"`
}

// GetDepartment returns one department's details. A self-built app may
// read the departments of its visible range; see Department for the names.
// An unknown department is an error matching IsNotFound.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95351
func (s *Service) GetDepartment(ctx context.Context, id int) (*Department, error) {
	if id <= 0 {
		return nil, check.Invalidf("department id %d: ids are positive (the root is 1)", id)
	}
	var out struct {
		Department Department `json:"department"`
	}
	if err := api.Get(ctx, s.c, "/cgi-bin/department/get", url.Values{"id": {strconv.Itoa(id)}}, &out); err != nil {
		return nil, err
	}
	return &out.Department, nil
}

// maxUserIDsPage is user/list_id's largest page (limit 1 to 10,000).
const maxUserIDsPage = 10_000

// ListUserIDsRequest asks for one page of the corp's members with their
// departments. Cursor is the previous page's NextCursor ("" for the
// first); Limit is 1 to 10,000 (0: WeCom's default).
type ListUserIDsRequest struct {
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// UserDepartment is one member in one department: a member of several
// departments appears once per department.
type UserDepartment struct {
	// UserID is the member's userid (self-built and agent-developed apps).
	UserID string `json:"userid,omitempty"`
	// OpenUserID is the member's open_userid, which third-party apps get
	// instead of the userid.
	OpenUserID string `json:"open_userid,omitempty"`
	Department int    `json:"department"`
}

// ListUserIDsResponse is one page of members; NextCursor is "" on the last.
type ListUserIDsResponse struct {
	NextCursor string           `json:"next_cursor"`
	DeptUser   []UserDepartment `json:"dept_user"`
}

// ListUserIDs returns one page of the corp's members (userid and
// department). Self-built and agent-developed apps call it with the
// contact-sync secret (通讯录同步secret): other secrets are refused by
// WeCom. A third-party app may call it when the corp authorized it to edit
// the address book, and gets open_userids.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96067
func (s *Service) ListUserIDs(ctx context.Context, req *ListUserIDsRequest) (*ListUserIDsResponse, error) {
	var r ListUserIDsRequest
	if req != nil {
		r = *req
	}
	if r.Limit < 0 || r.Limit > maxUserIDsPage {
		return nil, check.Invalidf("Limit is %d; WeCom takes 1 to %d (0: its default)", r.Limit, maxUserIDsPage)
	}
	var out ListUserIDsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/user/list_id", &r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUserIDsIter walks every page of ListUserIDs from req's cursor (req
// may be nil; it is not modified) and yields each member-department pair.
// An error is yielded once and the walk stops.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96067
func (s *Service) ListUserIDsIter(ctx context.Context, req *ListUserIDsRequest) iter.Seq2[*UserDepartment, error] {
	return api.Iter(ctx, req, s.ListUserIDs, func(r *ListUserIDsRequest) *string { return &r.Cursor },
		func(p *ListUserIDsResponse) ([]UserDepartment, string) { return p.DeptUser, p.NextCursor })
}

// User is one member's details as user/get answers them. What is filled
// depends on the app (see the package doc): the sensitive fields (Mobile,
// Gender, Email, BizMail, Avatar, ThumbAvatar, Address, QRCode) are empty
// for apps created since 2022-06-20 without the member's consent; Name is
// the userid for third-party apps and empty for an agent-developed app
// without the admin's grant; OpenUserID is third-party apps' only.
type User struct {
	UserID string `json:"userid"`
	Name   string `json:"name"`
	// Department are the departments the app may see the member in (1 only,
	// in member-authorization mode), with Order the member's order in each.
	Department []int   `json:"department"`
	Order      []int64 `json:"order"`
	// MainDepartment is the member's main department.
	MainDepartment int    `json:"main_department"`
	Position       string `json:"position"`
	Mobile         string `json:"mobile"`
	// Gender is "0" undefined, "1" male, "2" female, as WeCom spells it.
	Gender         string `json:"gender"`
	Email          string `json:"email"`
	BizMail        string `json:"biz_mail"`
	IsLeaderInDept []int  `json:"is_leader_in_dept"` // 1 where the member leads the department of the same index
	// DirectLeader are the member's direct leaders (userids, at most 5).
	DirectLeader []string `json:"direct_leader"`
	Avatar       string   `json:"avatar"`
	ThumbAvatar  string   `json:"thumb_avatar"`
	Telephone    string   `json:"telephone"`
	Alias        string   `json:"alias"`
	Address      string   `json:"address"`
	OpenUserID   string   `json:"open_userid"`
	// Status is 1 active, 2 disabled, 4 not yet activated, 5 left the corp.
	Status int `json:"status"`
	// QRCode is the member's personal QR code URL.
	QRCode           string `json:"qr_code"`
	ExternalPosition string `json:"external_position"`
}

// GetUser returns one member's details: the app must be able to see the
// member (its visible range). An unknown member is an error matching
// IsNotFound. The extattr and external_profile objects are not read here;
// their JSON is WeCom's page's.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90196
func (s *Service) GetUser(ctx context.Context, userID string) (*User, error) {
	if err := check.Required("userID", userID); err != nil {
		return nil, err
	}
	var out User
	if err := api.Get(ctx, s.c, "/cgi-bin/user/get", url.Values{"userid": {userID}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
