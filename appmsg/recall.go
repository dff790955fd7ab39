package appmsg

import (
	"context"

	"github.com/scrmkit/scrm/internal/api"
)

// Recall withdraws an application message (MsgID of Receipt) from
// every recipient's WeCom client. WeCom recalls only messages sent within
// the last 24 hours, and only in WeCom itself: a copy the WeChat plugin
// (微信插件) shows stays. Recalling is safe to repeat: the message is
// withdrawn either way (a second recall may be answered with an errcode).
// The page of this endpoint (94867) could not be read here; its body
// (msgid) is the third-party version's (94947).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94867
func (s *Service) Recall(ctx context.Context, msgID string) error {
	if err := check.Required("msgID", msgID); err != nil {
		return err
	}
	body := struct {
		MsgID string `json:"msgid"`
	}{msgID}
	return api.Idempotent(ctx, s.c, "/cgi-bin/message/recall", body, nil)
}
