package kf

import (
	"context"
	"encoding/json"

	"github.com/scrmkit/scrm/internal/api"
)

// VoiceFormat is the format sync_msg gives voice messages in.
type VoiceFormat int

const (
	VoiceAMR  VoiceFormat = 0 // the default
	VoiceSilk VoiceFormat = 1
)

// SyncMsgRequest reads the next messages of one account.
type SyncMsgRequest struct {
	// Cursor is the previous page's NextCursor, at most 64 bytes; empty
	// starts at the oldest message WeCom keeps (three days back). Store it
	// and send it on the next call (the Inbox does).
	Cursor string `json:"cursor,omitempty"`
	// Token is the token of the kf_msg_or_event push
	// (callback.KFMsgOrEventEvent.Token), at most 128 bytes, valid 10
	// minutes. Without one WeCom applies a strict frequency limit it does
	// not quantify.
	Token string `json:"token,omitempty"`
	// Limit is 1 to 1,000 messages (0 for WeCom's default, 1,000); fewer may
	// come back even when there are more.
	Limit       int         `json:"limit,omitempty"`
	VoiceFormat VoiceFormat `json:"voice_format,omitempty"`
	// OpenKfID is the account to read. Required: the page has made it so
	// (the 2021 page read every account without it).
	OpenKfID string `json:"open_kfid"`
}

// SyncMsgResponse is one page of messages.
type SyncMsgResponse struct {
	// NextCursor is the cursor of the next call: store it once the page's
	// messages are safely handled.
	NextCursor string
	// HasMore reports that more messages wait: call again with NextCursor.
	// A page may be empty while HasMore is true; only HasMore says when to
	// stop.
	HasMore bool
	MsgList []Message
}

// UnmarshalJSON reads WeCom's has_more (0 or 1).
func (r *SyncMsgResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		NextCursor string    `json:"next_cursor"`
		HasMore    int       `json:"has_more"`
		MsgList    []Message `json:"msg_list"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = SyncMsgResponse{NextCursor: w.NextCursor, HasMore: w.HasMore != 0, MsgList: w.MsgList}
	return nil
}

// SyncMsg reads one page of an account's messages and events
// (读取消息): customers' messages, messages servicers sent from the WeCom
// client, send failures and menu replies of the past three days; messages
// sent through send_msg are not returned. Media over their limits (image
// and voice 2 MB, video 10 MB, file 20 MB) come as a text notice.
//
// SyncMsg is the one call; the Inbox drives it for an application: the
// token of each push, the has_more loop, the cursor stored per account and
// advanced only once the messages are handled, each message delivered
// once.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
func (s *Service) SyncMsg(ctx context.Context, req *SyncMsgRequest) (*SyncMsgResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID),
		check.MaxBytes("Cursor", req.Cursor, maxSyncCursor), check.MaxBytes("Token", req.Token, maxSyncToken)); err != nil {
		return nil, err
	}
	if req.Limit < 0 || req.Limit > maxSyncLimit {
		return nil, check.Invalidf("Limit %d: WeCom returns 1 to %d messages per call (0 for %d)", req.Limit, maxSyncLimit, maxSyncLimit)
	}
	if req.VoiceFormat != VoiceAMR && req.VoiceFormat != VoiceSilk {
		return nil, check.Invalidf("VoiceFormat %d is neither VoiceAMR (0) nor VoiceSilk (1)", req.VoiceFormat)
	}
	var out SyncMsgResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/sync_msg", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
