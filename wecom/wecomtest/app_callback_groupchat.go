package wecomtest

import (
	"context"
	"errors"
)

// GroupJoin is what a simulated scan of a join way did.
type GroupJoin struct {
	ChatID         string // the group the customer joined (perhaps one the way opened)
	ExternalUserID string // the customer (new unless JoinViaJoinWayAs named one)
	State          string // the join way's state, as groupchat/get shows it on the member
}

// JoinViaJoinWay simulates a WeChat user scanning the group QR code of join
// way configID (加入群聊, 群活码): a new customer joins the way's first group
// that is not full (or a group the way opens, with auto_create_room), as
// Server.JoinViaJoinWay does, and the change_external_chat events it raises
// (create for an opened group, then update/add_member) are pushed to this
// callback. From then on the corp's change_external_chat events go to this
// callback (SetGroupChatPusher with the callback's Pusher).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (cb *AppCallback) JoinViaJoinWay(ctx context.Context, configID string) (*GroupJoin, error) {
	return cb.JoinViaJoinWayAs(ctx, configID, "")
}

// JoinViaJoinWayAs is JoinViaJoinWay by an existing customer (one who
// added a member through a contact way first, say); externalUserID ""
// creates a new customer.
func (cb *AppCallback) JoinViaJoinWayAs(ctx context.Context, configID, externalUserID string) (*GroupJoin, error) {
	if configID == "" {
		return nil, errors.New("wecomtest: JoinViaJoinWay: empty config_id")
	}
	s := cb.srv
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(cb.corpID)
	if err == nil {
		gs.pusher = cb.Pusher
	}
	var state string
	if err == nil && gs.ways[configID] != nil {
		state = gs.ways[configID].State
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	chatID, ext, err := s.JoinViaJoinWay(ctx, cb.corpID, configID, externalUserID)
	if chatID == "" {
		return nil, err
	}
	return &GroupJoin{ChatID: chatID, ExternalUserID: ext, State: state}, err
}
