package callback

import "context"

// WeChat customer service (微信客服) events.

// KindKFMsgOrEvent is kf_msg_or_event: a customer-service account has new
// messages or events to read with sync_msg.
const KindKFMsgOrEvent EventKind = "kf_msg_or_event"

// KFMsgOrEventEvent is kf_msg_or_event (接收消息和事件): an account has new
// messages or events (a customer wrote or entered a session, a servicer
// wrote from the WeCom client, a message failed, a menu was tapped). The
// push carries no content: read it with sync_msg (package kf; kf.Inbox
// does it for each push), passing Token.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
type KFMsgOrEventEvent struct {
	Envelope
	// Token is the push's token for sync_msg, valid 10 minutes: a pull
	// with it escapes the strict limit on pulls without one. Treat it as a
	// credential: do not log it.
	Token string
	// OpenKfID is the account with new messages (OpenKfId); pushes made
	// before WeCom added it (2021) have none.
	OpenKfID string
}

// OnKFMsgOrEvent registers fn for kf_msg_or_event: WeChat customer
// service has new messages for an account. kf.Inbox registers itself with
// it (Inbox.Register).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
func (h *Handler) OnKFMsgOrEvent(fn func(context.Context, *KFMsgOrEventEvent) error) {
	on(h, KindKFMsgOrEvent, nil, fn)
}
