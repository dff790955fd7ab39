package message

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/wecom"
)

// Page sizes of the mass-send record endpoints (named where each Limit is
// and in the error that refuses it), and the reminders WeCom allows.
const (
	maxGroupMsgListLimit   = 100  // get_groupmsg_list_v2 (default 50)
	maxGroupMsgTaskLimit   = 1000 // get_groupmsg_task (default 500)
	maxGroupMsgResultLimit = 1000 // get_groupmsg_send_result (default 500)
	// maxReminders is how many times one task may be reminded in 24 hours.
	maxReminders = 3
)

// CreatorFilter selects records by who created them. The zero value
// selects all (WeCom's default).
type CreatorFilter int

const (
	CreatedByAny    CreatorFilter = iota // filter_type 2 (sent as nothing: WeCom's default)
	CreatedByCorp                        // filter_type 0: created by the corp (企业发表), including through the API
	CreatedByMember                      // filter_type 1: created by a member (个人发表)
)

// MarshalJSON writes WeCom's filter_type: 0 corp, 1 member, 2 all.
func (f CreatorFilter) MarshalJSON() ([]byte, error) {
	switch f {
	case CreatedByCorp:
		return []byte("0"), nil
	case CreatedByMember:
		return []byte("1"), nil
	}
	return []byte("2"), nil
}

// CreateType says who created a mass send or Moments post.
type CreateType int

const (
	CreateTypeCorp   CreateType = 0 // the corp (an admin, or the API)
	CreateTypeMember CreateType = 1 // a member
)

// TaskStatus is whether a sender has sent its part of a mass send.
type TaskStatus int

const (
	TaskUnsent TaskStatus = 0
	TaskSent   TaskStatus = 2
)

// SendStatus is what happened to one recipient of a mass send.
type SendStatus int

const (
	SendUnsent       SendStatus = 0 // not sent (yet)
	SendSent         SendStatus = 1
	SendNotFriend    SendStatus = 2 // failed: the customer is no longer the sender's customer
	SendQuotaReached SendStatus = 3 // failed: the recipient has had all the mass sends it may receive
)

// ListGroupMsgsRequest selects mass-send records (get_groupmsg_list_v2).
// StartTime and EndTime are required and at most one month apart.
type ListGroupMsgsRequest struct {
	ChatType   ChatType       `json:"chat_type"` // "" is sent as ChatSingle
	StartTime  wecom.UnixTime `json:"start_time"`
	EndTime    wecom.UnixTime `json:"end_time"`
	Creator    string         `json:"creator,omitempty"`
	FilterType CreatorFilter  `json:"filter_type,omitempty"`
	// Limit is the page size: 0 for WeCom's default (50), at most 100. The
	// page says WeCom takes its default for a larger one; it is sent as
	// 100 (api.ClampLimit).
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// GroupMsg is one mass-send record.
type GroupMsg struct {
	MsgID      string         `json:"msgid"`
	Creator    string         `json:"creator,omitempty"` // absent for tasks created through the API
	CreateTime wecom.UnixTime `json:"create_time"`
	CreateType CreateType     `json:"create_type"`
	Text       *Text          `json:"text,omitempty"`
	// Attachments: an image carries MediaID when WeCom can give it, else
	// PicURL.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// ListGroupMsgsResponse is one page of records.
type ListGroupMsgsResponse struct {
	NextCursor   string     `json:"next_cursor"`
	GroupMsgList []GroupMsg `json:"group_msg_list"`
}

// china is WeCom's time zone, which decides what "one month" is.
var china = time.FixedZone("CST", 8*3600)

func (r *ListGroupMsgsRequest) validate() error {
	if r.ChatType != "" && r.ChatType != ChatSingle && r.ChatType != ChatGroup {
		return check.Invalidf("ChatType is %q; want ChatSingle or ChatGroup", r.ChatType)
	}
	if r.StartTime <= 0 || r.EndTime <= 0 {
		return check.Invalidf("StartTime and EndTime are required")
	}
	if r.EndTime < r.StartTime {
		return check.Invalidf("EndTime is before StartTime")
	}
	if r.StartTime.Time().In(china).AddDate(0, 1, 0).Before(r.EndTime.Time()) {
		return check.Invalidf("StartTime and EndTime are more than a month apart; WeCom allows one month")
	}
	_, err := api.ClampLimit(check, "Limit", r.Limit, maxGroupMsgListLimit)
	return err
}

// ListGroupMsgs returns one page of mass-send records, to customers or to
// groups, created in a window of at most a month. Records of a task just
// created may take a moment to appear: IsDispatching tells that answer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (s *Service) ListGroupMsgs(ctx context.Context, req *ListGroupMsgsRequest) (*ListGroupMsgsResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	body := *req
	if body.ChatType == "" {
		body.ChatType = ChatSingle
	}
	body.Limit = min(body.Limit, maxGroupMsgListLimit) // validate refused a negative one
	var out ListGroupMsgsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_groupmsg_list_v2", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListGroupMsgsIter yields every record req selects, starting at
// req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (s *Service) ListGroupMsgsIter(ctx context.Context, req *ListGroupMsgsRequest) iter.Seq2[*GroupMsg, error] {
	return api.Iter(ctx, req, s.ListGroupMsgs, func(r *ListGroupMsgsRequest) *string { return &r.Cursor },
		func(p *ListGroupMsgsResponse) ([]GroupMsg, string) { return p.GroupMsgList, p.NextCursor })
}

// GetGroupMsgTaskRequest pages through the senders of one mass send.
type GetGroupMsgTaskRequest struct {
	MsgID string `json:"msgid"`
	// Limit is the page size: 0 for WeCom's default (500), at most 1000.
	// The page says WeCom takes its default for a larger one; it is sent
	// as 1000 (api.ClampLimit).
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// GroupMsgTask is one sender's part of a mass send.
type GroupMsgTask struct {
	UserID   string         `json:"userid"`
	Status   TaskStatus     `json:"status"`
	SendTime wecom.UnixTime `json:"send_time,omitempty"` // when sent
}

// GetGroupMsgTaskResponse is one page of senders.
type GetGroupMsgTaskResponse struct {
	NextCursor string         `json:"next_cursor"`
	TaskList   []GroupMsgTask `json:"task_list"`
}

// GetGroupMsgTask returns one page of the senders of a mass send and
// whether each has sent. Tasks created before 2020-11-17 have none.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (s *Service) GetGroupMsgTask(ctx context.Context, req *GetGroupMsgTaskRequest) (*GetGroupMsgTaskResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("MsgID", req.MsgID); err != nil {
		return nil, err
	}
	body := *req
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", req.Limit, maxGroupMsgTaskLimit); err != nil {
		return nil, err
	}
	var out GetGroupMsgTaskResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_groupmsg_task", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetGroupMsgTaskIter yields every sender of a mass send, starting at
// req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (s *Service) GetGroupMsgTaskIter(ctx context.Context, req *GetGroupMsgTaskRequest) iter.Seq2[*GroupMsgTask, error] {
	return api.Iter(ctx, req, s.GetGroupMsgTask, func(r *GetGroupMsgTaskRequest) *string { return &r.Cursor },
		func(p *GetGroupMsgTaskResponse) ([]GroupMsgTask, string) { return p.TaskList, p.NextCursor })
}

// GetGroupMsgSendResultRequest pages through the recipients of one sender
// of a mass send.
type GetGroupMsgSendResultRequest struct {
	MsgID  string `json:"msgid"`
	UserID string `json:"userid"` // the sender, from GetGroupMsgTask
	// Limit is the page size: 0 for WeCom's default (500), at most 1000.
	// The page says WeCom takes its default for a larger one; it is sent
	// as 1000 (api.ClampLimit).
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// SendResult is what happened to one recipient of a mass send.
type SendResult struct {
	ExternalUserID string         `json:"external_userid,omitempty"` // customer sends
	ChatID         string         `json:"chat_id,omitempty"`         // group sends
	UserID         string         `json:"userid"`                    // the sender
	Status         SendStatus     `json:"status"`
	SendTime       wecom.UnixTime `json:"send_time,omitempty"` // when sent
}

// GetGroupMsgSendResultResponse is one page of recipients.
type GetGroupMsgSendResultResponse struct {
	NextCursor string       `json:"next_cursor"`
	SendList   []SendResult `json:"send_list"`
}

// GetGroupMsgSendResult returns one page of what happened to the recipients
// of one sender of a mass send. Group sends list only the groups sent to
// (senders pick groups when they send).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (s *Service) GetGroupMsgSendResult(ctx context.Context, req *GetGroupMsgSendResultRequest) (*GetGroupMsgSendResultResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("MsgID", req.MsgID), check.Required("UserID", req.UserID)); err != nil {
		return nil, err
	}
	body := *req
	var err error
	if body.Limit, err = api.ClampLimit(check, "Limit", req.Limit, maxGroupMsgResultLimit); err != nil {
		return nil, err
	}
	var out GetGroupMsgSendResultResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_groupmsg_send_result", &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetGroupMsgSendResultIter yields every recipient of one sender of a mass
// send, starting at req.Cursor. req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (s *Service) GetGroupMsgSendResultIter(ctx context.Context, req *GetGroupMsgSendResultRequest) iter.Seq2[*SendResult, error] {
	return api.Iter(ctx, req, s.GetGroupMsgSendResult, func(r *GetGroupMsgSendResultRequest) *string { return &r.Cursor },
		func(p *GetGroupMsgSendResultResponse) ([]SendResult, string) { return p.SendList, p.NextCursor })
}

type msgIDBody struct {
	MsgID string `json:"msgid"`
}

// CancelGroupMsgSend stops a mass send (停止企业群发): senders who have not
// sent yet no longer can. What was delivered is not recalled.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97611
func (s *Service) CancelGroupMsgSend(ctx context.Context, msgID string) error {
	if err := check.Required("msgID", msgID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/cancel_groupmsg_send", msgIDBody{msgID}, nil)
}

// ErrRemindLimit is returned by RemindGroupMsgSend, before anything is
// sent, for a task reminded 3 times in the last 24 hours through the SDK
// (by any instance sharing the client's Store).
var ErrRemindLimit = errors.New("message: a mass send may be reminded at most 3 times in 24 hours")

// RemindGroupMsgSend notifies the senders of a mass send again (提醒成员群发).
// WeCom allows 3 reminders per task in 24 hours; the reminders sent through
// the SDK are counted in the client's Store (so every Service and instance
// sharing it agrees), and a fourth is refused with ErrRemindLimit without
// calling WeCom (reminders sent elsewhere are counted by WeCom only). A
// reminder that may have reached WeCom is counted and not re-sent.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97610
func (s *Service) RemindGroupMsgSend(ctx context.Context, msgID string) error {
	if err := check.Required("msgID", msgID); err != nil {
		return err
	}
	ok, err := s.reminders(ctx, msgID, true)
	if err != nil {
		return err
	}
	if !ok {
		return ErrRemindLimit
	}
	err = api.Write(ctx, s.c, "/cgi-bin/externalcontact/remind_groupmsg_send", msgIDBody{msgID}, nil)
	var we *wecom.Error
	if err != nil && errors.As(err, &we) && !errors.Is(err, wecom.ErrOutcomeUnknown) {
		_, _ = s.reminders(ctx, msgID, false) // WeCom refused it: it did not count
	}
	return err
}

// reminders takes (take true) or gives back one reminder of msgID in the
// Store: a space-separated list of the unix seconds of the reminders sent
// in the last 24 hours (on the client's clock), changed with kv.Update.
// Taking fails (false) when maxReminders are already there.
func (s *Service) reminders(ctx context.Context, msgID string, take bool) (bool, error) {
	key := "scrm:message:remind:" + s.c.CorpID() + ":" + msgID
	var full bool
	err := kv.Update(ctx, s.c.Store(), key, 24*time.Hour, func(cur string, _ bool) (string, error) {
		now := s.c.Now()
		var kept []string
		for _, f := range strings.Fields(cur) {
			if sec, err := strconv.ParseInt(f, 10, 64); err == nil && now.Sub(time.Unix(sec, 0)) < 24*time.Hour {
				kept = append(kept, f)
			}
		}
		full = take && len(kept) >= maxReminders
		switch {
		case full:
			return cur, nil
		case take:
			kept = append(kept, strconv.FormatInt(now.Unix(), 10))
		case len(kept) > 0:
			kept = kept[:len(kept)-1]
		}
		return strings.Join(kept, " "), nil
	})
	if err != nil {
		return false, fmt.Errorf("message: remind_groupmsg_send: reminder count: %w", err)
	}
	return !full, nil
}

// IsDispatching reports whether err is WeCom's answer that a mass send
// created a moment ago is still being dispatched (41063): ask again later.
func IsDispatching(err error) bool { return wecom.ErrorCode(err) == wecom.CodeMsgDispatching }
