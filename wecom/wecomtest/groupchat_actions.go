package wecomtest

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// GroupChatSpec describes a group for GroupChats.Create.
type GroupChatSpec struct {
	Owner   string   // a member with customer contact (Corp.AddStaff), in service
	Name    string   // may be empty, as in WeCom
	Notice  string   // the group notice
	Members []string // besides the owner: members or customers, invited by the owner
	Admins  []string
	// CreatedAt is the creation and join time (default: the server's
	// clock), e.g. days back for the statistics.
	CreatedAt time.Time
}

// Create plays spec.Owner creating a customer group in the WeCom client (no
// API creates one), raises change_external_chat create and returns the
// chat id. The members join invited by the owner (join_scene 1).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (g *GroupChats) Create(ctx context.Context, spec GroupChatSpec) (string, error) {
	s, corpID := g.c.s, g.c.id
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

// Join plays members or customers joining a group invited directly by
// invitor (a member of the group; "" for the owner; join_scene 1) and
// raises update/add_member. Customers who join by the group's QR code come
// through JoinViaJoinWay.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (g *GroupChats) Join(ctx context.Context, chatID string, userIDs []string, invitor string) error {
	s, corpID := g.c.s, g.c.id
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

// Leave plays members or customers leaving a group (removed: taken out by
// the owner or an admin, quit_scene 1; else they left, 0) and raises
// update/del_member. The owner cannot leave: WeCom makes them hand the
// group over first (SetOwner).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (g *GroupChats) Leave(ctx context.Context, chatID string, userIDs []string, removed bool) error {
	s, corpID := g.c.s, g.c.id
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

// SetOwner plays the owner handing a group to another member in the WeCom
// client (who joins it if not in it yet) and raises update/change_owner.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (g *GroupChats) SetOwner(ctx context.Context, chatID, newOwner string) error {
	s, corpID := g.c.s, g.c.id
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

// Rename plays a member renaming a group and raises update/change_name.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (g *GroupChats) Rename(ctx context.Context, chatID, name string) error {
	return g.c.s.editChat(ctx, g.c.id, chatID, "change_name", func(c *fakeChat) { c.name = name })
}

// SetNotice plays the owner changing a group's notice and raises
// update/change_notice.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (g *GroupChats) SetNotice(ctx context.Context, chatID, notice string) error {
	return g.c.s.editChat(ctx, g.c.id, chatID, "change_notice", func(c *fakeChat) { c.notice = notice })
}

// Dismiss plays the owner dismissing a group and raises dismiss:
// groupchat/get answers 40050 for it from then on.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (g *GroupChats) Dismiss(ctx context.Context, chatID string) error {
	s, corpID := g.c.s, g.c.id
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

// Members returns the ids of a group's members (userids and
// external_userids) in join order; nil for an unknown or dismissed group.
func (g *GroupChats) Members(chatID string) []string {
	s, corpID := g.c.s, g.c.id
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

// Owner returns a group's owner ("" for an unknown group).
func (g *GroupChats) Owner(chatID string) string {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		if c := gs.chats[chatID]; c != nil {
			return c.owner
		}
	}
	return ""
}

// OpenGID returns the opengid a mini program sees for a group, which
// opengid_to_chatid turns back into the chat id ("" for an unknown group).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94822
func (g *GroupChats) OpenGID(chatID string) string {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		if c := gs.chats[chatID]; c != nil {
			return c.opengid
		}
	}
	return ""
}
