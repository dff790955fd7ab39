package message

import (
	"context"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// WelcomeCodeLifetime is how long after the add_external_contact event a
// welcome code can be used.
const WelcomeCodeLifetime = 20 * time.Second

// SendWelcomeMsgRequest greets a new customer. Text and Attachments cannot
// both be empty; they arrive as separate messages.
type SendWelcomeMsgRequest struct {
	// WelcomeCode is the WelcomeCode of the add_external_contact (or
	// add_half_external_contact) event: valid 20 s, usable once.
	WelcomeCode string `json:"welcome_code"`
	// Text is sent as written (WeCom documents %NICKNAME% only for group
	// welcome templates); at most 4000 bytes.
	Text        *Text        `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"` // at most 9
}

// SendWelcomeMsg sends a welcome message to a customer who just added a
// member (发送新客户欢迎语), through that member. It must be called within
// 20 s of the event and succeeds once per code. The errors that matter are
// told apart by IsWelcomeCodeExpired, IsWelcomeCodeUsed and
// IsWelcomeBeingSentByOtherApp.
//
// The client repeats it after a failure in transit: a repetition after a
// success that was lost is answered 41051 (IsWelcomeCodeUsed), so the
// customer is never greeted twice. Attachments of files are uploaded (or
// found in the MediaCache) first: see Attachment.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92137
func (s *Service) SendWelcomeMsg(ctx context.Context, req *SendWelcomeMsgRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if req.Text == nil && len(req.Attachments) == 0 {
		return check.Invalidf("a welcome message needs Text or Attachments")
	}
	if err := api.FirstErr(check.Required("WelcomeCode", req.WelcomeCode), validateText(req.Text, maxTextBytes),
		validateAttachments(req.Attachments, false)); err != nil {
		return err
	}
	atts, refs := attachmentsToSend(req.Attachments)
	if refs == nil {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/send_welcome_msg", req, nil)
	}
	body := *req
	body.Attachments = atts
	return api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/send_welcome_msg", &body, nil)
	})
}

// IsWelcomeCodeExpired reports whether WeCom refused the welcome code as
// invalid (41050): it expired (20 s after the event) or was never issued.
// Nothing was sent; the customer cannot be greeted through this code.
func IsWelcomeCodeExpired(err error) bool {
	return wecom.ErrorCode(err) == wecom.CodeInvalidWelcomeCode
}

// IsWelcomeCodeUsed reports whether WeCom answered 41051 ("externaluser has
// started chatting"): the welcome message for this code was already
// delivered, by this app or another app that received the same code, or the
// member and the customer have started chatting. Do not retry: the customer
// has been greeted (or is talking with the member).
func IsWelcomeCodeUsed(err error) bool { return wecom.ErrorCode(err) == wecom.CodeWelcomeCodeUsed }

// IsWelcomeBeingSentByOtherApp reports whether WeCom answered 41096
// ("welcome msg is being distributed"): another app that received the same
// code is sending its welcome message right now. It is not a success and
// that delivery may still fail: retrying within the 20 s is allowed, and
// ends in 41051 (IsWelcomeCodeUsed) once the other app's message is
// delivered.
func IsWelcomeBeingSentByOtherApp(err error) bool {
	return wecom.ErrorCode(err) == wecom.CodeWelcomeInProgress
}
