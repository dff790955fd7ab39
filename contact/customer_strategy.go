package contact

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// MaxStrategyRangeNodes is the most range nodes one create or edit call of
// a rule group may send: CreateCustomerStrategyRequest.Range, and
// EditCustomerStrategyRequest.RangeAdd and RangeDel each. A larger range
// is created with the first MaxStrategyRangeNodes and grown by edits.
const MaxStrategyRangeNodes = 100

// Documented limits of the rule-group endpoints.
const (
	// maxStrategyAdmins is the most admins a rule group may have (and one
	// call may set).
	maxStrategyAdmins = 20
	// maxStrategyPageLimit is the largest page size of customer_strategy/list
	// and get_range (also WeCom's default).
	maxStrategyPageLimit = 1000
)

func validateRangeNode(n wecom.RangeNode, field string, i int) error {
	switch n.Type {
	case wecom.RangeUser:
		if n.UserID == "" || n.PartyID != 0 {
			return check.Invalidf("%s[%d]: a member node needs UserID and no PartyID", field, i)
		}
	case wecom.RangeParty:
		if n.PartyID <= 0 || n.UserID != "" {
			return check.Invalidf("%s[%d]: a department node needs PartyID > 0 and no UserID", field, i)
		}
	default:
		return check.Invalidf("%s[%d]: Type %d is neither wecom.RangeUser nor wecom.RangeParty", field, i, n.Type)
	}
	return nil
}

func validateRanges(field string, nodes []wecom.RangeNode) error {
	if err := api.MaxItems(check, field, nodes, MaxStrategyRangeNodes); err != nil {
		return err
	}
	for i, n := range nodes {
		if err := validateRangeNode(n, field, i); err != nil {
			return err
		}
	}
	return nil
}

// CustomerStrategyPrivilege is what the admins of a rule group may do. It is
// sent whole: every field goes out as it is, true or false. The first five
// are base privileges WeCom keeps on whatever is sent; the others default to
// true when a group is created without a Privilege (see
// AllCustomerStrategyPrivileges).
type CustomerStrategyPrivilege struct {
	ViewCustomerList        bool `json:"view_customer_list"`         // base: view the customer list
	ViewCustomerData        bool `json:"view_customer_data"`         // base: view customer statistics
	ViewRoomList            bool `json:"view_room_list"`             // base: view the group chat list
	ContactMe               bool `json:"contact_me"`                 // base: use contact-me codes
	JoinRoom                bool `json:"join_room"`                  // base: join group chats
	ShareCustomer           bool `json:"share_customer"`             // share customers with other members
	OperResignCustomer      bool `json:"oper_resign_customer"`       // assign resigned members' customers
	OperResignGroup         bool `json:"oper_resign_group"`          // assign resigned members' groups
	SendCustomerMsg         bool `json:"send_customer_msg"`          // send messages to customers
	EditWelcomeMsg          bool `json:"edit_welcome_msg"`           // configure welcome messages
	ViewBehaviorData        bool `json:"view_behavior_data"`         // view members' contact statistics
	ViewRoomData            bool `json:"view_room_data"`             // view group chat statistics
	SendGroupMsg            bool `json:"send_group_msg"`             // send messages to customer groups
	RoomDeduplication       bool `json:"room_deduplication"`         // de-duplicate customer groups
	RapidReply              bool `json:"rapid_reply"`                // configure quick replies
	OnjobCustomerTransfer   bool `json:"onjob_customer_transfer"`    // transfer serving members' customers
	EditAntiSpamRule        bool `json:"edit_anti_spam_rule"`        // edit anti-harassment rules
	ExportCustomerList      bool `json:"export_customer_list"`       // export the customer list
	ExportCustomerData      bool `json:"export_customer_data"`       // export members' customer statistics
	ExportCustomerGroupList bool `json:"export_customer_group_list"` // export the customer group list
	ManageCustomerTag       bool `json:"manage_customer_tag"`        // configure corp customer tags
}

// AllCustomerStrategyPrivileges returns a privilege set with everything
// allowed: what WeCom gives a new group without a Privilege. Clear the
// fields to withhold and send it.
func AllCustomerStrategyPrivileges() *CustomerStrategyPrivilege {
	return &CustomerStrategyPrivilege{
		ViewCustomerList: true, ViewCustomerData: true, ViewRoomList: true, ContactMe: true, JoinRoom: true,
		ShareCustomer: true, OperResignCustomer: true, OperResignGroup: true, SendCustomerMsg: true,
		EditWelcomeMsg: true, ViewBehaviorData: true, ViewRoomData: true, SendGroupMsg: true,
		RoomDeduplication: true, RapidReply: true, OnjobCustomerTransfer: true, EditAntiSpamRule: true,
		ExportCustomerList: true, ExportCustomerData: true, ExportCustomerGroupList: true, ManageCustomerTag: true,
	}
}

// CustomerStrategy is a customer rule group (客户联系规则组) as
// customer_strategy/get returns it: admins with a set of customer-contact
// privileges over a range of members and departments (wecom.RangeNode,
// read with GetCustomerStrategyRange).
//
// Since 2023-12-01 an app sees and manages only the rule groups it created
// itself: list, get, get_range, edit and del ignore (or refuse) groups made
// by another app or in the admin console. A group's rule-group tags are
// managed with ListStrategyTags and friends.
//
// WeCom documents create and edit as calls that must not run concurrently
// (该接口仅支持串行调用). CreateCustomerStrategy and EditCustomerStrategy
// run one at a time per corp, through wecom.Client.Serial: across every
// Service and client of the corp sharing a Store that can lock (the
// default in-memory Store within a process, redisstore across
// instances).
type CustomerStrategy struct {
	StrategyID   int            `json:"strategy_id"`
	ParentID     int            `json:"parent_id"` // 0 for a top-level group
	StrategyName string         `json:"strategy_name"`
	CreateTime   wecom.UnixTime `json:"create_time"`
	AdminList    []string       `json:"admin_list"`
	// Privilege is what the admins may do; nil when WeCom's answer has
	// none. A child group's is its parent's: a child inherits it wholly and
	// what was sent for it is ignored.
	Privilege *CustomerStrategyPrivilege `json:"privilege,omitempty"`
}

// ListCustomerStrategiesRequest pages through the rule groups the app
// created. The zero value asks for the first page of WeCom's default size.
type ListCustomerStrategiesRequest struct {
	Cursor string `json:"cursor,omitempty"`
	// Limit is the page size: 0 for WeCom's default (1000), at most 1000; a
	// larger one is sent as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// CustomerStrategyRef is an entry of customer_strategy/list.
type CustomerStrategyRef struct {
	StrategyID int `json:"strategy_id"`
}

// ListCustomerStrategiesResponse is one page of rule-group ids.
type ListCustomerStrategiesResponse struct {
	Strategy   []CustomerStrategyRef `json:"strategy"`
	NextCursor string                `json:"next_cursor"` // "" on the last page
}

// ListCustomerStrategies returns one page of the ids of the rule groups this
// app created. req may be nil.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) ListCustomerStrategies(ctx context.Context, req *ListCustomerStrategiesRequest) (*ListCustomerStrategiesResponse, error) {
	var body ListCustomerStrategiesRequest
	if req != nil {
		body = *req
	}
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", body.Limit, maxStrategyPageLimit); err != nil {
		return nil, err
	}
	var out ListCustomerStrategiesResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/customer_strategy/list", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCustomerStrategiesIter yields the id of every rule group this app
// created, starting at req.Cursor. req may be nil and is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) ListCustomerStrategiesIter(ctx context.Context, req *ListCustomerStrategiesRequest) iter.Seq2[int, error] {
	refs := api.Iter(ctx, req, s.ListCustomerStrategies, func(r *ListCustomerStrategiesRequest) *string { return &r.Cursor },
		func(p *ListCustomerStrategiesResponse) ([]CustomerStrategyRef, string) {
			return p.Strategy, p.NextCursor
		})
	return api.IDs(refs, func(r *CustomerStrategyRef) int { return r.StrategyID })
}

type strategyIDBody struct {
	StrategyID int `json:"strategy_id"`
}

func checkStrategyID(id int) error {
	if id <= 0 {
		return check.Invalidf("StrategyID is %d; a rule group id is a positive number", id)
	}
	return nil
}

// GetCustomerStrategy returns a rule group this app created.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) GetCustomerStrategy(ctx context.Context, strategyID int) (*CustomerStrategy, error) {
	if err := checkStrategyID(strategyID); err != nil {
		return nil, err
	}
	var out struct {
		Strategy CustomerStrategy `json:"strategy"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/customer_strategy/get", strategyIDBody{strategyID}, &out); err != nil {
		return nil, err
	}
	return &out.Strategy, nil
}

// GetCustomerStrategyRangeRequest pages through a rule group's range.
type GetCustomerStrategyRangeRequest struct {
	StrategyID int    `json:"strategy_id"`
	Cursor     string `json:"cursor,omitempty"`
	// Limit is the nodes per page: 0 for WeCom's default (1000), at most
	// 1000; a larger one is sent as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

// GetCustomerStrategyRangeResponse is one page of a rule group's range.
type GetCustomerStrategyRangeResponse struct {
	Range      []wecom.RangeNode `json:"range"`
	NextCursor string            `json:"next_cursor"` // "" on the last page
}

// body checks r and returns what to send: r with its Limit clamped.
func (r *GetCustomerStrategyRangeRequest) body() (*GetCustomerStrategyRangeRequest, error) {
	if r == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := checkStrategyID(r.StrategyID); err != nil {
		return nil, err
	}
	b := *r
	var err error
	if b.Limit, err = api.ClampLimit(check, "Limit", r.Limit, maxStrategyPageLimit); err != nil {
		return nil, err
	}
	return &b, nil
}

// GetCustomerStrategyRange returns one page of the members and departments a
// rule group manages.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) GetCustomerStrategyRange(ctx context.Context, req *GetCustomerStrategyRangeRequest) (*GetCustomerStrategyRangeResponse, error) {
	body, err := req.body()
	if err != nil {
		return nil, err
	}
	var out GetCustomerStrategyRangeResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/customer_strategy/get_range", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetCustomerStrategyRangeIter yields every node of a rule group's range,
// starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) GetCustomerStrategyRangeIter(ctx context.Context, req *GetCustomerStrategyRangeRequest) iter.Seq2[*wecom.RangeNode, error] {
	return api.Iter(ctx, req, s.GetCustomerStrategyRange, func(r *GetCustomerStrategyRangeRequest) *string { return &r.Cursor },
		func(p *GetCustomerStrategyRangeResponse) ([]wecom.RangeNode, string) { return p.Range, p.NextCursor })
}

// CreateCustomerStrategyRequest creates a rule group. A group with a
// ParentID must manage a subset of its parent's range and inherits the
// parent's privileges (Privilege is ignored); groups nest at most 5 deep
// and hold at most 3000 range nodes in all (WeCom enforces both).
type CreateCustomerStrategyRequest struct {
	ParentID     int    `json:"parent_id,omitempty"` // 0 for a top-level group
	StrategyName string `json:"strategy_name"`       // required
	// AdminList names the group's admins (not the super admin): 1 to 20
	// userids.
	AdminList []string `json:"admin_list"`
	// Privilege nil leaves WeCom's defaults (everything allowed).
	Privilege *CustomerStrategyPrivilege `json:"privilege,omitempty"`
	// Range is at most MaxStrategyRangeNodes nodes (wecom.UserNode,
	// wecom.PartyNode); add more with EditCustomerStrategy's RangeAdd.
	Range []wecom.RangeNode `json:"range,omitempty"`
}

func (r *CreateCustomerStrategyRequest) validate() error {
	if r == nil {
		return check.Invalidf("request is nil")
	}
	if r.ParentID < 0 {
		return check.Invalidf("ParentID is %d; use 0 for a top-level group", r.ParentID)
	}
	if r.StrategyName == "" {
		return check.Invalidf("StrategyName is required")
	}
	if len(r.AdminList) == 0 {
		return check.Invalidf("AdminList is required: name 1 to %d admins", maxStrategyAdmins)
	}
	return api.FirstErr(api.MaxItems(check, "AdminList", r.AdminList, maxStrategyAdmins), validateRanges("Range", r.Range))
}

// CreateCustomerStrategy creates a rule group and returns its id. Calls of
// one Service run one at a time, as WeCom requires (see CustomerStrategy).
// It is never re-sent once it may have reached WeCom: such an error is a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); list the
// rule groups (ListCustomerStrategiesIter, GetCustomerStrategy) and look
// for its name before creating it again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) CreateCustomerStrategy(ctx context.Context, req *CreateCustomerStrategyRequest) (int, error) {
	if err := req.validate(); err != nil {
		return 0, err
	}
	var out strategyIDBody
	err := s.serialStrategy(ctx, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/externalcontact/customer_strategy/create", req, &out, func(since, until time.Time) string {
			return fmt.Sprintf("list customer_strategy/list (ListCustomerStrategiesIter) and read each group (GetCustomerStrategy) for the name %q and a create_time %s",
				req.StrategyName, api.Window(since, until))
		})
	})
	if err != nil {
		return 0, err
	}
	return out.StrategyID, nil
}

// EditCustomerStrategyRequest changes a rule group. Zero fields are not sent
// and leave what is there.
type EditCustomerStrategyRequest struct {
	StrategyID   int    `json:"strategy_id"`
	StrategyName string `json:"strategy_name,omitempty"`
	// AdminList, when not empty, replaces the admins (at most 20).
	AdminList []string `json:"admin_list,omitempty"`
	// Privilege, when set, replaces the privileges whole (ignored for a
	// child group, which keeps its parent's).
	Privilege *CustomerStrategyPrivilege `json:"privilege,omitempty"`
	// RangeAdd and RangeDel add nodes to and remove nodes from the range,
	// at most MaxStrategyRangeNodes each.
	RangeAdd []wecom.RangeNode `json:"range_add,omitempty"`
	RangeDel []wecom.RangeNode `json:"range_del,omitempty"`
}

func (r *EditCustomerStrategyRequest) validate() error {
	if r == nil {
		return check.Invalidf("request is nil")
	}
	return api.FirstErr(checkStrategyID(r.StrategyID), api.MaxItems(check, "AdminList", r.AdminList, maxStrategyAdmins),
		validateRanges("RangeAdd", r.RangeAdd), validateRanges("RangeDel", r.RangeDel))
}

// EditCustomerStrategy changes a rule group this app created. Calls of one
// Service run one at a time, as WeCom requires (see CustomerStrategy). The
// client repeats it after a failure in transit: repeating it leaves the
// same group.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) EditCustomerStrategy(ctx context.Context, req *EditCustomerStrategyRequest) error {
	if err := req.validate(); err != nil {
		return err
	}
	return s.serialStrategy(ctx, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/customer_strategy/edit", req, nil)
	})
}

// DelCustomerStrategy deletes a rule group this app created. The client
// repeats it after a failure in transit; when the first attempt had deleted
// the group, the repetition is told it does not exist.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94883
func (s *Service) DelCustomerStrategy(ctx context.Context, strategyID int) error {
	if err := checkStrategyID(strategyID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/customer_strategy/del", strategyIDBody{strategyID}, nil)
}

// serialStrategy runs fn while holding the corp's rule-group lock, or
// gives up when ctx ends first.
func (s *Service) serialStrategy(ctx context.Context, fn func() error) error {
	return s.c.Serial(ctx, "customer_strategy", func(context.Context) error { return fn() })
}
