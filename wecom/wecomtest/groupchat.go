package wecomtest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
)

// GroupChats is a handle on one corp's customer groups (客户群): members and
// customers creating, joining and leaving groups, join ways, and the
// change_external_chat events all of it raises, pushed to the corp's
// callback (Corp.SetCallback) in the order they happen. Get it with
// Corp.GroupChats.
type GroupChats struct{ c *Corp }

// groupChatState is a corp's customer groups, group join ways and the
// change_external_chat events they raise. It is guarded by Server.mu, but
// for deliverMu, which orders deliveries and is held without Server.mu.
type groupChatState struct {
	chats     map[string]*fakeChat
	order     []string // chat ids in creation order
	byOpenGID map[string]string

	ways     map[string]*joinWay
	wayOrder []string
	wayQuota int // join ways + contact ways a corp may have

	capacity int // members per group
	lag      int // groupchat/get answers still to serve from before the last member change

	onjob map[string][]int64     // chat id → times of its in-service transfers
	daily map[transferDayKey]int // transfers per old owner per day

	corp     *corpState // the corp the groups belong to, for its callback
	drop     int
	log      []ExternalChatEvent
	outbox   []ExternalChatEvent
	pushErrs []error

	deliverMu sync.Mutex
	seq       int
}

type transferDayKey struct {
	owner string
	day   int64
}

// Default limits of the fake's groups, as WeCom's: a customer group holds
// 200 members, and a corp has up to 500,000 contact ways and join ways
// together (add_join_way answers 41045 beyond, 92229).
const (
	DefaultGroupChatCapacity = 200    // members per customer group
	DefaultWayQuota          = 500000 // join ways and contact ways per corp, together
)

func newGroupChatState() *groupChatState {
	return &groupChatState{
		chats: map[string]*fakeChat{}, byOpenGID: map[string]string{}, ways: map[string]*joinWay{},
		wayQuota: DefaultWayQuota, capacity: DefaultGroupChatCapacity,
		onjob: map[string][]int64{}, daily: map[transferDayKey]int{},
	}
}

type fakeChat struct {
	id, name, owner, notice string
	createTime              int64
	members                 []wireGroupMember
	admins                  []string
	version                 string
	verSeq                  int
	opengid                 string
	inherited               bool // handed over after its owner resigned
	dismissed               bool

	// the member list before the last change, for GroupChats.SetLag
	prevMembers []wireGroupMember
	prevVersion string
}

// --- wire types: WeCom's JSON, written here independently of the SDK ---

type wireGroupMember struct {
	UserID        string       `json:"userid"`
	Type          int          `json:"type"`
	UnionID       string       `json:"unionid,omitempty"`
	JoinTime      int64        `json:"join_time"`
	JoinScene     int          `json:"join_scene"`
	Invitor       *wireInvitor `json:"invitor,omitempty"`
	GroupNickname string       `json:"group_nickname,omitempty"`
	Name          string       `json:"name,omitempty"`
	State         string       `json:"state,omitempty"`
}

type wireInvitor struct {
	UserID string `json:"userid"`
}

func (s *Server) groupChatLocked(corpID string) (*groupChatState, *contactState, error) {
	c := s.corps[corpID]
	if c == nil {
		return nil, nil, fmt.Errorf("%w: corp %q", ErrNotFound, corpID)
	}
	return c.groupchat, c.contact, nil
}

// SetCapacity sets how many members a group of the corp holds (default
// DefaultGroupChatCapacity) before join ways move on to the next group.
// Tests set a few to see groups fill and new ones open.
func (g *GroupChats) SetCapacity(n int) {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil && n > 0 {
		gs.capacity = n
	}
}

// SetJoinWayQuota sets how many join ways and contact ways the corp may
// have together (default DefaultWayQuota); add_join_way beyond it answers
// 41045.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92229
func (g *GroupChats) SetJoinWayQuota(n int) {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		gs.wayQuota = n
	}
}

// SetLag makes the corp's next n groupchat/get answers show a group as it
// was before its last member change, as WeCom's asynchronously updated
// data sometimes does right after an add_member event.
func (g *GroupChats) SetLag(n int) {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		gs.lag = max(n, 0)
	}
}

// bump gives c a new member version, keeping the old list for SetLag; call
// it before changing c.members.
func (c *fakeChat) bump() (last string) {
	last = c.version
	c.prevMembers = slices.Clone(c.members)
	c.prevVersion = c.version
	c.verSeq++
	sum := md5.Sum([]byte(c.id + ":" + itoa(c.verSeq)))
	c.version = hex.EncodeToString(sum[:])
	return last
}

func (c *fakeChat) member(id string) int {
	for i := range c.members {
		if c.members[i].UserID == id {
			return i
		}
	}
	return -1
}

// status is the chat's groupchat/list status.
func (c *fakeChat) status(cs *contactState) int {
	st := cs.staff[c.owner]
	switch {
	case st != nil && st.resigned:
		return 1
	case c.inherited:
		return 3
	}
	return 0
}

// newMember describes id as a member of a group: a member of the corp
// (customer contact enabled) or a known customer.
func (cs *contactState) newMember(id string, at int64, scene int, invitor, state string) (wireGroupMember, error) {
	m := wireGroupMember{UserID: id, JoinTime: at, JoinScene: scene, State: state}
	if invitor != "" {
		m.Invitor = &wireInvitor{UserID: invitor}
	}
	if st := cs.staff[id]; st != nil {
		m.Type, m.Name = 1, id
		return m, nil
	}
	c := cs.customers[id]
	if c == nil {
		return m, fmt.Errorf("%w: %q is neither a member with customer contact (Corp.AddStaff) nor a customer", ErrNotFound, id)
	}
	m.Type, m.Name = 2, c.contact.Name
	if c.contact.Type == 1 {
		m.UnionID = c.contact.UnionID
	}
	return m, nil
}

func (s *Server) activeOwner(cs *contactState, userID string) error {
	st := cs.staff[userID]
	if st == nil || st.resigned {
		return fmt.Errorf("%w: member %q with customer contact (Corp.AddStaff), in service", ErrNotFound, userID)
	}
	return nil
}
