package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"
)

// joinWay is a group join way 「加入群聊」 in WeCom's shape.
type joinWay struct {
	ConfigID       string   `json:"config_id"`
	Scene          int      `json:"scene"`
	Remark         string   `json:"remark"`
	AutoCreateRoom int      `json:"auto_create_room"`
	RoomBaseName   string   `json:"room_base_name"`
	RoomBaseID     int      `json:"room_base_id"`
	ChatIDList     []string `json:"chat_id_list"`
	QRCode         string   `json:"qr_code,omitempty"`
	State          string   `json:"state"`
	MarkSource     bool     `json:"mark_source"`

	autoRooms []string // groups the way opened when its groups were full
}

// joinWayBody is add_join_way's and update_join_way's request.
type joinWayBody struct {
	ConfigID       string   `json:"config_id"` // update only
	Scene          int      `json:"scene"`
	Remark         string   `json:"remark"`
	AutoCreateRoom *int     `json:"auto_create_room"`
	RoomBaseName   string   `json:"room_base_name"`
	RoomBaseID     int      `json:"room_base_id"`
	ChatIDList     []string `json:"chat_id_list"`
	State          string   `json:"state"`
	MarkSource     *bool    `json:"mark_source"`
}

// check validates the body against WeCom's documented limits and turns it
// into a way; s.mu is held.
func (b *joinWayBody) check(gs *groupChatState) (*joinWay, *apiError) {
	switch {
	case b.Scene != 1 && b.Scene != 2:
		return nil, errf(40058, "invalid scene")
	case len(b.ChatIDList) == 0:
		return nil, errf(40058, "chat_id_list is empty")
	case len(b.ChatIDList) > 5:
		return nil, errf(41091, "chat_id_list exceeds 5")
	case b.AutoCreateRoom != nil && *b.AutoCreateRoom != 0 && *b.AutoCreateRoom != 1:
		return nil, errf(40058, "invalid auto_create_room")
	case utf8.RuneCountInString(b.RoomBaseName) > 40:
		return nil, errf(40058, "room_base_name exceeds 40 characters")
	case utf8.RuneCountInString(b.State) > 30:
		return nil, errf(40058, "state exceeds 30 characters")
	case b.RoomBaseID < 0:
		return nil, errf(40058, "invalid room_base_id")
	}
	for _, id := range b.ChatIDList {
		if c := gs.chats[id]; c == nil || c.dismissed {
			return nil, errf(40050, "chat_id not exist: "+id)
		}
	}
	w := &joinWay{Scene: b.Scene, Remark: b.Remark, AutoCreateRoom: 1, RoomBaseName: b.RoomBaseName, RoomBaseID: b.RoomBaseID,
		ChatIDList: slices.Clone(b.ChatIDList), State: b.State, MarkSource: true}
	if r := []rune(w.Remark); len(r) > 30 {
		w.Remark = string(r[:30]) // WeCom cuts a long remark
	}
	if b.AutoCreateRoom != nil {
		w.AutoCreateRoom = *b.AutoCreateRoom
	}
	if b.MarkSource != nil {
		w.MarkSource = *b.MarkSource
	}
	return w, nil
}

func (gs *groupChatState) way(configID string) (*joinWay, *apiError) {
	if configID == "" {
		return nil, errf(41043, "config_id missing")
	}
	w := gs.ways[configID]
	if w == nil {
		return nil, errf(41044, "invalid config_id")
	}
	return w, nil
}

// GroupJoin is what a scan of a join way did.
type GroupJoin struct {
	ChatID         string // the group the customer joined (perhaps one the way opened)
	ExternalUserID string // the customer: new, unless JoinViaJoinWay was given one
	State          string // the join way's state, as groupchat/get shows it on the member
}

// JoinViaJoinWay plays a WeChat user scanning the group QR code of join way
// configID (加入群聊, 群活码): they join the way's first group that is not
// full, in the order of its chat_id_list (join_scene 3, the way's state on
// the member). When every group is full and the way has auto_create_room,
// WeCom opens a new group first, named room_base_name + the next number
// from room_base_id and owned by the owner of the way's first group
// (raising create). A customer already in one of the way's groups stays
// there. With externalUserID "" a new customer joins (one with no member
// relation); otherwise that customer does (one who added a member through
// a contact way first, say). The change_external_chat events raised are
// pushed to the corp's callback, when it has one, before JoinViaJoinWay
// returns; the join is returned also when a push failed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92229
func (g *GroupChats) JoinViaJoinWay(ctx context.Context, configID, externalUserID string) (*GroupJoin, error) {
	if configID == "" {
		return nil, errors.New("wecomtest: JoinViaJoinWay: empty config_id")
	}
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	chatID, ext, state, err := s.joinViaWayLocked(corpID, configID, externalUserID)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &GroupJoin{ChatID: chatID, ExternalUserID: ext, State: state}, s.deliver(ctx, corpID)
}

// ErrGroupsFull is returned by GroupChats.JoinViaJoinWay when every group
// of a join way without auto_create_room is full.
var ErrGroupsFull = errors.New("wecomtest: every group of the join way is full")

// joinViaWayLocked adds the customer to the way's group and answers the
// group, the customer and the way's state; s.mu is held.
func (s *Server) joinViaWayLocked(corpID, configID, ext string) (chatID, extID, state string, err error) {
	gs, cs, err := s.groupChatLocked(corpID)
	if err != nil {
		return "", "", "", err
	}
	w := gs.ways[configID]
	if w == nil {
		return "", "", "", fmt.Errorf("%w: join way %q", ErrNotFound, configID)
	}
	if ext == "" {
		ext = cs.newCustomer(s, "Joiner via "+configID[:min(8, len(configID))])
	} else if cs.customers[ext] == nil {
		return "", "", "", fmt.Errorf("%w: customer %q", ErrNotFound, ext)
	}
	var target, first *fakeChat
	for _, id := range append(slices.Clone(w.ChatIDList), w.autoRooms...) {
		c := gs.chats[id]
		if c == nil || c.dismissed {
			continue
		}
		if first == nil {
			first = c
		}
		if c.member(ext) >= 0 {
			return c.id, ext, w.State, nil // already in one of the way's groups
		}
		if target == nil && len(c.members) < gs.capacity {
			target = c
		}
	}
	if target == nil {
		if w.AutoCreateRoom != 1 || first == nil {
			return "", "", "", ErrGroupsFull
		}
		name := w.RoomBaseName
		if name != "" || w.RoomBaseID != 0 {
			name += itoa(w.RoomBaseID + len(w.autoRooms))
		}
		c, err := s.newChatLocked(gs, cs, first.owner, name, s.now().Unix())
		if err != nil {
			return "", "", "", err
		}
		s.addChatLocked(gs, c, s.now())
		w.autoRooms = append(w.autoRooms, c.id)
		target = c
	}
	if err := s.addMembersLocked(gs, cs, target, []string{ext}, 3, 3, "", w.State); err != nil {
		return "", "", "", err
	}
	return target.id, ext, w.State, nil
}

// routeGroupChatJoinWays serves add/get/update/del_join_way.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92229
func (s *Server) routeGroupChatJoinWays() {
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/add_join_way", authCorp, func(c *call) (any, *apiError) {
		var b joinWayBody
		if e := c.decode(&b); e != nil {
			return nil, e
		}
		gs := c.corp.groupchat
		if b.ConfigID != "" {
			return nil, errf(40058, "unknown field config_id")
		}
		w, e := b.check(gs)
		if e != nil {
			return nil, e
		}
		if len(gs.ways)+len(c.corp.contact.ways) >= gs.wayQuota {
			return nil, errf(41045, "contact way and join way quota reached")
		}
		w.ConfigID = c.s.newID("jw")
		if w.Scene == 2 {
			w.QRCode = "https://wecomtest.invalid/joinway/" + w.ConfigID
		}
		gs.ways[w.ConfigID] = w
		gs.wayOrder = append(gs.wayOrder, w.ConfigID)
		return struct {
			ConfigID string `json:"config_id"`
		}{w.ConfigID}, nil
	})
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/get_join_way", authCorp, func(c *call) (any, *apiError) {
		var b struct {
			ConfigID string `json:"config_id"`
		}
		if e := c.decode(&b); e != nil {
			return nil, e
		}
		w, e := c.corp.groupchat.way(b.ConfigID)
		if e != nil {
			return nil, e
		}
		return struct {
			JoinWay *joinWay `json:"join_way"`
		}{w}, nil
	})
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/update_join_way", authCorp, func(c *call) (any, *apiError) {
		var b joinWayBody
		if e := c.decode(&b); e != nil {
			return nil, e
		}
		gs := c.corp.groupchat
		old, e := gs.way(b.ConfigID)
		if e != nil {
			return nil, e
		}
		w, e := b.check(gs)
		if e != nil {
			return nil, e
		}
		// a full overwrite: what the body leaves out returns to its default
		w.ConfigID, w.autoRooms = old.ConfigID, old.autoRooms
		if w.Scene == 2 {
			w.QRCode = "https://wecomtest.invalid/joinway/" + w.ConfigID
		}
		gs.ways[w.ConfigID] = w
		return nil, nil
	})
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/del_join_way", authCorp, func(c *call) (any, *apiError) {
		var b struct {
			ConfigID string `json:"config_id"`
		}
		if e := c.decode(&b); e != nil {
			return nil, e
		}
		gs := c.corp.groupchat
		if _, e := gs.way(b.ConfigID); e != nil {
			return nil, e
		}
		delete(gs.ways, b.ConfigID)
		gs.wayOrder = removeString(gs.wayOrder, b.ConfigID)
		return nil, nil
	})
}
