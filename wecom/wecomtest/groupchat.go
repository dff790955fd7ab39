package wecomtest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

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

	pusher   *Pusher
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

// Default limits of the fake's groups.
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

	// the member list before the last change, for SetGroupChatLag
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

// ExternalChatEvent is a change_external_chat event the fake raised.
type ExternalChatEvent struct {
	ChatID        string
	ChangeType    string // create, update, dismiss
	UpdateDetail  string // update: add_member, del_member, change_owner, change_name, change_notice
	JoinScene     int    // add_member: 0 invited by a member, 3 by the group QR code
	QuitScene     int    // del_member: 0 left, 1 removed
	MemChangeList []string
	LastMemVer    string // update: the member version before (== CurMemVer when members did not change)
	CurMemVer     string
	At            time.Time
}

// ExternalChatXML returns the decrypted XML of ev as WeCom pushes it to a
// self-built app of corpID.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func ExternalChatXML(corpID string, ev ExternalChatEvent) []byte {
	b := []byte("<xml><ToUserName><![CDATA[" + corpID + "]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>" +
		"<CreateTime>" + unix(ev.At) + "</CreateTime><MsgType><![CDATA[event]]></MsgType>" +
		"<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[" + ev.ChatID + "]]></ChatId>" +
		"<ChangeType><![CDATA[" + ev.ChangeType + "]]></ChangeType>")
	if ev.ChangeType == "update" {
		b = append(b, "<UpdateDetail><![CDATA["+ev.UpdateDetail+"]]></UpdateDetail>"...)
		switch ev.UpdateDetail {
		case "add_member":
			b = append(b, "<JoinScene>"+itoa(ev.JoinScene)+"</JoinScene>"...)
		case "del_member":
			b = append(b, "<QuitScene>"+itoa(ev.QuitScene)+"</QuitScene>"...)
		}
		if len(ev.MemChangeList) > 0 {
			b = append(b, "<MemChangeCnt>"+itoa(len(ev.MemChangeList))+"</MemChangeCnt><MemChangeList>"...)
			for _, id := range ev.MemChangeList {
				b = append(b, "<Item><![CDATA["+id+"]]></Item>"...)
			}
			b = append(b, "</MemChangeList>"...)
		}
		b = append(b, "<LastMemVer><![CDATA["+ev.LastMemVer+"]]></LastMemVer><CurMemVer><![CDATA["+ev.CurMemVer+"]]></CurMemVer>"...)
	}
	return append(b, "</xml>"...)
}

func (s *Server) groupChatLocked(corpID string) (*groupChatState, *contactState, error) {
	c := s.corps[corpID]
	if c == nil {
		return nil, nil, fmt.Errorf("%w: corp %q", ErrNotFound, corpID)
	}
	return c.groupchat, c.contact, nil
}

// SetGroupChatPusher makes the fake push corpID's change_external_chat
// events through p (made with NewPusher for the callback URL, with corpID
// as its ReceiveID); nil stops the pushes. Events are pushed in the order
// they happen.
func (s *Server) SetGroupChatPusher(corpID string, p *Pusher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		gs.pusher = p
	}
}

// SetGroupChatCapacity sets how many members a group of corpID holds
// (default 200) before join ways move on to the next group.
func (s *Server) SetGroupChatCapacity(corpID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil && n > 0 {
		gs.capacity = n
	}
}

// SetJoinWayQuota sets how many join ways and contact ways corpID may have
// together (default 500,000); add_join_way beyond it answers 41045.
func (s *Server) SetJoinWayQuota(corpID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		gs.wayQuota = n
	}
}

// SetGroupChatLag makes the next n groupchat/get answers of corpID show a
// group as it was before its last member change, as WeCom's asynchronously
// updated data sometimes does right after an event.
func (s *Server) SetGroupChatLag(corpID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		gs.lag = max(n, 0)
	}
}

// DropGroupChatEvents makes the fake raise but not push corpID's next n
// change_external_chat events: the callback misses them.
func (s *Server) DropGroupChatEvents(corpID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		gs.drop = max(n, 0)
	}
}

// GroupChatEvents returns every change_external_chat event corpID raised,
// pushed or dropped, oldest first. Push one again with ExternalChatXML to
// play WeCom re-sending it.
func (s *Server) GroupChatEvents(corpID string) []ExternalChatEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, _, err := s.groupChatLocked(corpID)
	if err != nil {
		return nil
	}
	out := make([]ExternalChatEvent, len(gs.log))
	for i, ev := range gs.log {
		ev.MemChangeList = slices.Clone(ev.MemChangeList)
		out[i] = ev
	}
	return out
}

// DeliverGroupChatEvents waits until every event corpID raised so far has
// been pushed (API calls such as groupchat/transfer push in the
// background) and returns the errors of the pushes that failed since the
// last call.
func (s *Server) DeliverGroupChatEvents(ctx context.Context, corpID string) error {
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(corpID)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	gs.deliverMu.Lock()
	defer gs.deliverMu.Unlock()
	errs := s.deliverLocked(ctx, corpID, gs)
	s.mu.Lock()
	errs = append(gs.pushErrs, errs...)
	gs.pushErrs = nil
	s.mu.Unlock()
	return errors.Join(errs...)
}

// deliverLocked pushes the outbox in order; gs.deliverMu is held, s.mu not.
func (s *Server) deliverLocked(ctx context.Context, corpID string, gs *groupChatState) []error {
	var errs []error
	for {
		s.mu.Lock()
		if len(gs.outbox) == 0 {
			s.mu.Unlock()
			return errs
		}
		ev := gs.outbox[0]
		gs.outbox = gs.outbox[1:]
		p := gs.pusher
		s.mu.Unlock()
		if p == nil {
			continue
		}
		if _, err := p.Push(ctx, ExternalChatXML(corpID, ev)); err != nil {
			errs = append(errs, fmt.Errorf("wecomtest: change_external_chat %s %s of %s: %w", ev.ChangeType, ev.UpdateDetail, ev.ChatID, err))
		}
	}
}

// deliverAsync pushes the outbox in the background (from API handlers,
// which run under s.mu); failures are kept for DeliverGroupChatEvents.
func (s *Server) deliverAsync(corpID string, gs *groupChatState) {
	go func() {
		gs.deliverMu.Lock()
		defer gs.deliverMu.Unlock()
		errs := s.deliverLocked(context.Background(), corpID, gs)
		if len(errs) > 0 {
			s.mu.Lock()
			gs.pushErrs = append(gs.pushErrs, errs...)
			s.mu.Unlock()
		}
	}()
}

// deliver pushes the outbox now, from a helper called without s.mu.
func (s *Server) deliver(ctx context.Context, corpID string) error {
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(corpID)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	gs.deliverMu.Lock()
	defer gs.deliverMu.Unlock()
	return errors.Join(s.deliverLocked(ctx, corpID, gs)...)
}

// raise records ev and queues it for the pusher; s.mu is held.
func (gs *groupChatState) raise(ev ExternalChatEvent) {
	gs.log = append(gs.log, ev)
	if gs.drop > 0 {
		gs.drop--
		return
	}
	if gs.pusher != nil {
		gs.outbox = append(gs.outbox, ev)
	}
}

// bump gives c a new member version, keeping the old list for
// SetGroupChatLag; call it before changing c.members.
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
		return m, fmt.Errorf("%w: %q is neither a member with customer contact (AddStaff) nor a customer", ErrNotFound, id)
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
		return fmt.Errorf("%w: member %q with customer contact (AddStaff), in service", ErrNotFound, userID)
	}
	return nil
}

// GroupChatSpec describes a group for CreateGroupChat.
type GroupChatSpec struct {
	Owner   string   // a member with customer contact (AddStaff), in service
	Name    string   // may be empty, as in WeCom
	Notice  string   // the group notice
	Members []string // besides the owner: members or customers, invited by the owner
	Admins  []string
	// CreatedAt is the creation and join time (default: the server's
	// clock), e.g. days back for the statistics.
	CreatedAt time.Time
}

// CreateGroupChat creates a customer group as its owner would in the WeCom
// client, pushes create, and returns the chat id.
func (s *Server) CreateGroupChat(ctx context.Context, corpID string, spec GroupChatSpec) (string, error) {
	s.mu.Lock()
	gs, cs, err := s.groupChatLocked(corpID)
	if err == nil {
		err = s.activeOwner(cs, spec.Owner)
	}
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	at := spec.CreatedAt
	if at.IsZero() {
		at = s.now()
	}
	c, err := s.newChatLocked(gs, cs, spec.Owner, spec.Name, at.Unix())
	if err == nil {
		for _, id := range spec.Members {
			if id == spec.Owner || c.member(id) >= 0 {
				continue
			}
			var m wireGroupMember
			if m, err = cs.newMember(id, at.Unix(), 1, spec.Owner, ""); err != nil {
				break
			}
			c.members = append(c.members, m)
		}
	}
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	if len(c.members) > gs.capacity {
		s.mu.Unlock()
		return "", fmt.Errorf("wecomtest: %d members exceed the group capacity %d", len(c.members), gs.capacity)
	}
	c.notice, c.admins = spec.Notice, slices.Clone(spec.Admins)
	s.addChatLocked(gs, c, at)
	s.mu.Unlock()
	return c.id, s.deliver(ctx, corpID)
}

// newChatLocked makes a chat with its owner as first member; s.mu is held.
func (s *Server) newChatLocked(gs *groupChatState, cs *contactState, owner, name string, at int64) (*fakeChat, error) {
	gs.seq++
	c := &fakeChat{id: "wr" + s.newID("")[:10] + "x" + itoa(gs.seq), name: name, owner: owner, createTime: at}
	m, err := cs.newMember(owner, at, 1, "", "")
	if err != nil {
		return nil, err
	}
	c.members = []wireGroupMember{m}
	c.bump()
	c.prevMembers, c.prevVersion = nil, ""
	c.opengid = "og" + s.newID("")[:12]
	return c, nil
}

// addChatLocked stores c and raises create; s.mu is held.
func (s *Server) addChatLocked(gs *groupChatState, c *fakeChat, at time.Time) {
	gs.chats[c.id] = c
	gs.order = append(gs.order, c.id)
	gs.byOpenGID[c.opengid] = c.id
	gs.raise(ExternalChatEvent{ChatID: c.id, ChangeType: "create", At: at})
}

// liveChatLocked returns a chat that exists and is not dismissed.
func liveChatLocked(gs *groupChatState, chatID string) (*fakeChat, error) {
	c := gs.chats[chatID]
	if c == nil || c.dismissed {
		return nil, fmt.Errorf("%w: group %q", ErrNotFound, chatID)
	}
	return c, nil
}

// addMembersLocked adds members to c and raises add_member; s.mu is held.
func (s *Server) addMembersLocked(gs *groupChatState, cs *contactState, c *fakeChat, ids []string, memberScene, eventScene int, invitor, state string) error {
	var add []wireGroupMember
	now := s.now().Unix()
	for _, id := range ids {
		if c.member(id) >= 0 || slices.ContainsFunc(add, func(m wireGroupMember) bool { return m.UserID == id }) {
			continue
		}
		m, err := cs.newMember(id, now, memberScene, invitor, state)
		if err != nil {
			return err
		}
		add = append(add, m)
	}
	if len(add) == 0 {
		return nil
	}
	if len(c.members)+len(add) > gs.capacity {
		return fmt.Errorf("wecomtest: group %s is full (%d members)", c.id, gs.capacity)
	}
	last := c.bump()
	c.members = append(c.members, add...)
	ev := ExternalChatEvent{ChatID: c.id, ChangeType: "update", UpdateDetail: "add_member", JoinScene: eventScene,
		LastMemVer: last, CurMemVer: c.version, At: s.now()}
	for _, m := range add {
		ev.MemChangeList = append(ev.MemChangeList, m.UserID)
	}
	gs.raise(ev)
	return nil
}

// JoinGroupChat adds members or customers to a group, invited directly by
// invitor (a member of the group; "" for the owner), and pushes
// add_member.
func (s *Server) JoinGroupChat(ctx context.Context, corpID, chatID string, userIDs []string, invitor string) error {
	s.mu.Lock()
	gs, cs, err := s.groupChatLocked(corpID)
	var c *fakeChat
	if err == nil {
		c, err = liveChatLocked(gs, chatID)
	}
	if err == nil {
		if invitor == "" {
			invitor = c.owner
		}
		inv := invitor
		if cs.staff[inv] == nil {
			inv = "" // invitor is given only for members of the corp
		}
		err = s.addMembersLocked(gs, cs, c, userIDs, 1, 0, inv, "")
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.deliver(ctx, corpID)
}

// LeaveGroupChat takes members out of a group (removed: by the owner or an
// admin; else they left) and pushes del_member. The owner cannot leave.
func (s *Server) LeaveGroupChat(ctx context.Context, corpID, chatID string, userIDs []string, removed bool) error {
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(corpID)
	var c *fakeChat
	if err == nil {
		c, err = liveChatLocked(gs, chatID)
	}
	if err == nil {
		err = s.removeMembersLocked(gs, c, userIDs, removed)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.deliver(ctx, corpID)
}

func (s *Server) removeMembersLocked(gs *groupChatState, c *fakeChat, ids []string, removed bool) error {
	var gone []string
	for _, id := range ids {
		if id == c.owner {
			return fmt.Errorf("wecomtest: the owner %q cannot leave group %s", id, c.id)
		}
		if c.member(id) < 0 {
			return fmt.Errorf("%w: %q in group %s", ErrNotFound, id, c.id)
		}
		if !slices.Contains(gone, id) {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	last := c.bump()
	c.members = slices.DeleteFunc(c.members, func(m wireGroupMember) bool { return slices.Contains(gone, m.UserID) })
	c.admins = slices.DeleteFunc(c.admins, func(a string) bool { return slices.Contains(gone, a) })
	quit := 0
	if removed {
		quit = 1
	}
	gs.raise(ExternalChatEvent{ChatID: c.id, ChangeType: "update", UpdateDetail: "del_member", QuitScene: quit,
		MemChangeList: gone, LastMemVer: last, CurMemVer: c.version, At: s.now()})
	return nil
}

// setOwnerLocked makes newOwner the owner of c (joining it first if not a
// member) and raises change_owner; s.mu is held.
func (s *Server) setOwnerLocked(gs *groupChatState, cs *contactState, c *fakeChat, newOwner string) error {
	last := c.version
	if c.member(newOwner) < 0 {
		m, err := cs.newMember(newOwner, s.now().Unix(), 1, "", "")
		if err != nil {
			return err
		}
		last = c.bump()
		c.members = append(c.members, m)
	}
	c.owner = newOwner
	gs.raise(ExternalChatEvent{ChatID: c.id, ChangeType: "update", UpdateDetail: "change_owner",
		LastMemVer: last, CurMemVer: c.version, At: s.now()})
	return nil
}

// SetGroupChatOwner hands a group to another member as its owner would in
// the WeCom client, and pushes change_owner.
func (s *Server) SetGroupChatOwner(ctx context.Context, corpID, chatID, newOwner string) error {
	s.mu.Lock()
	gs, cs, err := s.groupChatLocked(corpID)
	var c *fakeChat
	if err == nil {
		c, err = liveChatLocked(gs, chatID)
	}
	if err == nil {
		err = s.activeOwner(cs, newOwner)
	}
	if err == nil {
		err = s.setOwnerLocked(gs, cs, c, newOwner)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.deliver(ctx, corpID)
}

func (s *Server) editChat(ctx context.Context, corpID, chatID, detail string, edit func(*fakeChat)) error {
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(corpID)
	var c *fakeChat
	if err == nil {
		c, err = liveChatLocked(gs, chatID)
	}
	if err == nil {
		edit(c)
		gs.raise(ExternalChatEvent{ChatID: c.id, ChangeType: "update", UpdateDetail: detail,
			LastMemVer: c.version, CurMemVer: c.version, At: s.now()})
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.deliver(ctx, corpID)
}

// RenameGroupChat renames a group and pushes change_name.
func (s *Server) RenameGroupChat(ctx context.Context, corpID, chatID, name string) error {
	return s.editChat(ctx, corpID, chatID, "change_name", func(c *fakeChat) { c.name = name })
}

// SetGroupChatNotice changes a group's notice and pushes change_notice.
func (s *Server) SetGroupChatNotice(ctx context.Context, corpID, chatID, notice string) error {
	return s.editChat(ctx, corpID, chatID, "change_notice", func(c *fakeChat) { c.notice = notice })
}

// DismissGroupChat dismisses a group and pushes dismiss: groupchat/get
// answers 40050 for it from then on.
func (s *Server) DismissGroupChat(ctx context.Context, corpID, chatID string) error {
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(corpID)
	var c *fakeChat
	if err == nil {
		c, err = liveChatLocked(gs, chatID)
	}
	if err == nil {
		c.dismissed = true
		gs.raise(ExternalChatEvent{ChatID: c.id, ChangeType: "dismiss", At: s.now()})
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.deliver(ctx, corpID)
}

// GroupChatMembers returns the ids of a group's members in join order (nil
// for an unknown or dismissed group).
func (s *Server) GroupChatMembers(corpID, chatID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, _, err := s.groupChatLocked(corpID)
	if err != nil {
		return nil
	}
	c, err := liveChatLocked(gs, chatID)
	if err != nil {
		return nil
	}
	ids := make([]string, len(c.members))
	for i, m := range c.members {
		ids[i] = m.UserID
	}
	return ids
}

// GroupChatOwner returns a group's owner ("" for an unknown group).
func (s *Server) GroupChatOwner(corpID, chatID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		if c := gs.chats[chatID]; c != nil {
			return c.owner
		}
	}
	return ""
}

// GroupChatOpenGID returns the opengid a mini program would see for a
// group, for opengid_to_chatid.
func (s *Server) GroupChatOpenGID(corpID, chatID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		if c := gs.chats[chatID]; c != nil {
			return c.opengid
		}
	}
	return ""
}
