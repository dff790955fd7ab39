package acquisition

import (
	"context"

	"github.com/scrmkit/scrm/internal/api"
)

// ChatInfo is what a member's repeated-messages chat is about.
type ChatInfo struct {
	RecvMsgCnt int64  `json:"recv_msg_cnt"` // messages the member received from the customer
	LinkID     string `json:"link_id"`      // the link the customer came through
	State      string `json:"state"`        // the customer_channel the customer came with
}

// GetChatInfoResponse is the answer of GetChatInfo.
type GetChatInfoResponse struct {
	UserID         string   `json:"userid"`
	ExternalUserID string   `json:"external_userid"`
	ChatInfo       ChatInfo `json:"chat_info"`
}

// GetChatInfo exchanges the ChatKey of a "member received repeated messages"
// event (customer_acquisition, message_from_customer) for the member, the
// customer and the chat's counts. The key is valid for ChatKeyValidity (30
// minutes) after the event: call it from the event's handler or soon after.
// An unknown or expired key is an error for which IsNotFound is true.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/101361
func (s *Service) GetChatInfo(ctx context.Context, chatKey string) (*GetChatInfoResponse, error) {
	if err := check.Required("chatKey", chatKey); err != nil {
		return nil, err
	}
	body := struct {
		ChatKey string `json:"chat_key"`
	}{chatKey}
	var out GetChatInfoResponse
	if err := api.Read(ctx, s.c, getChatInfoPath, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
