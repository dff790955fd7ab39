package sop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

// Via is how a member was reminded.
type Via int

// The ways of reminding a member.
const (
	// ViaWeCom is WeCom's own reminder of a mass send
	// (remind_groupmsg_send): WeCom notifies every sender who has not sent.
	ViaWeCom Via = iota + 1
	// ViaAppMessage is an application message to the member
	// (appmsg.Notifier).
	ViaAppMessage
)

func (v Via) String() string {
	switch v {
	case ViaWeCom:
		return "wecom"
	case ViaAppMessage:
		return "app message"
	}
	return fmt.Sprintf("Via(%d)", int(v))
}

// Reminder is one member chased by Remind.
type Reminder struct {
	UserID string
	Via    Via
	// MsgID is the mass send WeCom reminded the member of (ViaWeCom).
	MsgID string
	// Err is why the member was not reminded: WeCom's answer, a frequency
	// limit of application messages (appmsg.NotifyLimitError, matching
	// wecom.ErrRateLimited: try later), ErrNoNotifier, or the member being
	// unknown to the app. nil when the reminder went out.
	Err error
}

// Remind chases the members who have not done their part of the step's
// run (see Progress). For each mass-send task with such members it asks
// WeCom to remind them (remind_groupmsg_send, one call per task for all
// its senders); when WeCom's 3 reminders in 24 hours are used up
// (message.ErrRemindLimit, or WeCom's 45009), and for a Moments post, which
// WeCom has no reminder for, each member gets one application message
// (Step.Reminder) through the Notifier, however many parts they lack. It
// returns one Reminder per member and way, sorted by userid; the error is
// Progress's.
//
// Call it when the members should be chased (a few hours after the step,
// then daily, say): every call reminds again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97610 and
// https://developer.work.weixin.qq.com/document/path/90236
func (s *Scheduler) Remind(ctx context.Context, plan *Plan, step string) ([]Reminder, error) {
	_, pend, err := s.progress(ctx, plan, step)
	if err != nil {
		return nil, err
	}
	st, _ := plan.step(step) // progress checked it
	var out []Reminder
	byApp := append([]string(nil), pend.moments...)
	msgIDs := make([]string, 0, len(pend.byMsg))
	for id := range pend.byMsg {
		msgIDs = append(msgIDs, id)
	}
	slices.Sort(msgIDs)
	for _, id := range msgIDs {
		err := s.msg.RemindGroupMsgSend(ctx, id)
		if errors.Is(err, message.ErrRemindLimit) || wecom.ErrorCode(err) == wecom.CodeFreqOutOfLimit {
			byApp = append(byApp, pend.byMsg[id]...)
			continue
		}
		for _, u := range pend.byMsg[id] {
			out = append(out, Reminder{UserID: u, Via: ViaWeCom, MsgID: id, Err: err})
		}
	}
	slices.Sort(byApp)
	text := reminderText(plan, st)
	for _, u := range slices.Compact(byApp) {
		r := Reminder{UserID: u, Via: ViaAppMessage, Err: ErrNoNotifier}
		if s.notifier != nil {
			r.Err = s.notify(ctx, u, text)
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Reminder) int { return strings.Compare(a.UserID, b.UserID) })
	return out, nil
}

// notify sends one member the reminder text.
func (s *Scheduler) notify(ctx context.Context, userID, text string) error {
	rec, err := s.notifier.Notify(ctx, userID, appmsg.Text{Content: text})
	if err != nil {
		return err
	}
	if !rec.Complete() {
		return fmt.Errorf("sop: WeCom did not deliver the reminder to %s: unknown to the app, outside its visible range or without a licence", userID)
	}
	return nil
}
