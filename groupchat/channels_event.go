package groupchat

import (
	"context"
	"errors"
	"fmt"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// ChannelJoin is a member who joined a group through a channel's code, and
// what Channels did about it.
type ChannelJoin struct {
	Code   *ChannelCode // the channel; only Name and State for a retired one
	ChatID string
	Owner  string // the group's owner
	Member Member // as the Tracker stored it
	// Tagged lists the tag ids marked on the member (the channel's Tags),
	// empty when the member is no customer of the group's owner.
	Tagged []string
	// Err is the failure of marking the tags, if any; HandleEvent returns
	// it too.
	Err error
}

// OnJoin sets fn to be called for every member who joined a group through
// a channel's code, after the channel's tags were marked (see
// ChannelJoin.Err). A join may be reported again when an event is
// delivered again after a failure. Set it before serving; fn must be safe
// for concurrent use. nil removes it.
func (c *Channels) OnJoin(fn func(ctx context.Context, j *ChannelJoin)) {
	if fn == nil {
		c.hook.Store(nil)
		return
	}
	c.hook.Store(&fn)
}

// Register makes h deliver every change_external_chat event to
// HandleEvent. It replaces Tracker.Register: do not register the Tracker
// on the same Handler too.
func (c *Channels) Register(h *callback.Handler) {
	h.OnExternalChat(c.HandleEvent)
}

// HandleEvent applies a change_external_chat event to the Tracker
// (Tracker.HandleEvent); then, for an add_member event, it looks up each
// new member in the tracked group and, when the member's State belongs to
// one of the channels, marks the channel's Tags on them (as a customer of
// the group's owner) and reports the join (OnJoin). Members that
// groupchat/get did not show yet (TrackedChat.Pending) are not reported:
// their State is unknown until the group is read again. The error is the
// Tracker's, or mark_tag's.
func (c *Channels) HandleEvent(ctx context.Context, ev *callback.ExternalChatEvent) error {
	if err := c.tracker.HandleEvent(ctx, ev); err != nil {
		return err
	}
	if ev == nil || ev.ChangeType != callback.ChangeChatUpdate || ev.UpdateDetail != callback.UpdateAddMember || len(ev.MemChangeList) == 0 {
		return nil
	}
	chat, err := c.tracker.Chat(ctx, ev.ChatID)
	if err != nil || chat == nil {
		return err
	}
	var errs []error
	for _, id := range ev.MemChangeList {
		i := memberIndex(chat.Members, id)
		if i < 0 || chat.Members[i].State == "" {
			continue
		}
		m := chat.Members[i]
		code, ok, err := c.LookupState(ctx, m.State)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		j := &ChannelJoin{Code: code, ChatID: chat.ChatID, Owner: chat.Owner, Member: m}
		if len(code.Tags) > 0 && m.Type == MemberExternal && chat.Owner != "" {
			switch err := c.svc.markTag(ctx, chat.Owner, m.UserID, code.Tags); {
			case err == nil:
				j.Tagged = code.Tags
			case wecom.ErrorCode(err) != wecom.CodeNotExternalContact:
				j.Err = err
				errs = append(errs, err)
			}
		}
		if fn := c.hook.Load(); fn != nil {
			(*fn)(ctx, j)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("groupchat: channels: %s of %s: %w", ev.UpdateDetail, ev.ChatID, err)
	}
	return nil
}

func memberIndex(ms []Member, id string) int {
	for i := range ms {
		if ms[i].UserID == id {
			return i
		}
	}
	return -1
}

// markTag marks tagIDs on customer externalUserID as member userID's
// customer (the contact package's mark_tag, here so that groupchat needs
// no contact.Service).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92118
func (s *Service) markTag(ctx context.Context, userID, externalUserID string, tagIDs []string) error {
	body := struct {
		UserID         string   `json:"userid"`
		ExternalUserID string   `json:"external_userid"`
		AddTag         []string `json:"add_tag"`
	}{userID, externalUserID, tagIDs}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/mark_tag", body, nil)
}
