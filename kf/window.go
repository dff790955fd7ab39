package kf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/wecom"
)

// The send window (94677): a customer who wrote to an account may be sent
// at most five messages through send_msg within 48 hours of their last
// message; their next message opens a new window.
const (
	sendWindowDuration = 48 * time.Hour
	sendWindowMessages = 5
)

// windowSlack keeps a window's record a little past its end, so that a
// send just after it is refused for the right reason.
const windowSlack = time.Hour

// SendWindow is what the Inbox knows of a customer's send window.
type SendWindow struct {
	OpenKfID       string
	ExternalUserID string
	// LastMessage is the send time of the customer's last message the
	// Inbox delivered.
	LastMessage time.Time
	// Sent counts the messages sent through Inbox.SendMsg since then.
	Sent int
}

// Closes is when the window ends: 48 hours after LastMessage.
func (w *SendWindow) Closes() time.Time { return w.LastMessage.Add(sendWindowDuration) }

// Remaining is how many messages may still be sent at now: 0 once the
// window has closed.
func (w *SendWindow) Remaining(now time.Time) int {
	if !now.Before(w.Closes()) {
		return 0
	}
	return max(0, sendWindowMessages-w.Sent)
}

// windowRecord is a window as the Store keeps it.
type windowRecord struct {
	Last  int64  `json:"last"`            // unix seconds of the customer's last message
	MsgID string `json:"msgid,omitempty"` // that message's msgid
	Sent  int    `json:"sent"`
	// Closed is set when WeCom answered 95002 within what the Inbox took
	// for the window (the clocks disagree): the window is over.
	Closed bool `json:"closed,omitempty"`
}

// updateWindow changes the window record under key with a read and a
// compare-and-swap, again when another writer got there first; the record
// is kept until its window has closed. change returns the next record, or
// an error that ends the update.
func (in *Inbox) updateWindow(ctx context.Context, key string, change func(cur windowRecord, ok bool) (*windowRecord, error)) error {
	for range kv.MaxAttempts {
		raw, ok, err := in.store.Get(ctx, key)
		if err != nil {
			return err
		}
		var cur windowRecord
		if ok && raw != "" {
			if err := json.Unmarshal([]byte(raw), &cur); err != nil {
				return fmt.Errorf("kf: the send window under %s is corrupt in the Store: %w", key, err)
			}
		} else {
			raw, ok = "", false
		}
		next, err := change(cur, ok)
		if err != nil {
			return err
		}
		if next == nil || (ok && *next == cur) {
			return nil
		}
		b, err := json.Marshal(next)
		if err != nil {
			return err
		}
		swapped, err := in.store.CompareAndSwap(ctx, key, raw, string(b), in.windowTTL(next.Last))
		if err != nil || swapped {
			return err
		}
	}
	return kv.ErrContention
}

func (in *Inbox) windowKey(openKfID, externalUserID string) string {
	return "scrm:kf:window:" + in.corpID + ":" + openKfID + ":" + externalUserID
}

// openWindow records a customer's message: a newer one opens a new window.
func (in *Inbox) openWindow(ctx context.Context, m *Message) error {
	if m.OpenKfID == "" || m.ExternalUserID == "" {
		return nil
	}
	at := int64(m.SendTime)
	return in.updateWindow(ctx, in.windowKey(m.OpenKfID, m.ExternalUserID), func(cur windowRecord, ok bool) (*windowRecord, error) {
		// Messages arrive in order: one of the same second but another
		// msgid is a newer one.
		if ok && (cur.Last > at || cur.Last == at && cur.MsgID == m.MsgID) {
			return &cur, nil
		}
		return &windowRecord{Last: at, MsgID: m.MsgID}, nil
	})
}

// windowTTL keeps a record until its window has closed, and a little more.
func (in *Inbox) windowTTL(last int64) time.Duration {
	d := time.Unix(last, 0).Add(sendWindowDuration + windowSlack).Sub(in.now())
	if d <= 0 {
		return time.Minute
	}
	return d
}

// SendWindow returns what the Inbox knows of a customer's send window, and
// false when it has delivered no message of theirs that is still on
// record (the record lasts until the window has closed).
func (in *Inbox) SendWindow(ctx context.Context, openKfID, externalUserID string) (*SendWindow, bool, error) {
	if err := api.FirstErr(checkOpenKfID(openKfID), check.Required("externalUserID", externalUserID)); err != nil {
		return nil, false, err
	}
	v, ok, err := in.store.Get(ctx, in.windowKey(openKfID, externalUserID))
	if err != nil || !ok {
		return nil, false, err
	}
	var rec windowRecord
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		return nil, false, fmt.Errorf("kf: the send window of %s is corrupt in the Store: %w", externalUserID, err)
	}
	return &SendWindow{OpenKfID: openKfID, ExternalUserID: externalUserID, LastMessage: time.Unix(rec.Last, 0), Sent: rec.Sent}, true, nil
}

// ErrOutsideSendWindow is matched (errors.Is) by the *SendWindowError of a
// send the Inbox refused before calling WeCom.
var ErrOutsideSendWindow = errors.New("kf: outside the customer's send window")

// WindowReason says why a send is outside the window.
type WindowReason int

const (
	// WindowNoMessage: the Inbox has no message of the customer's on
	// record (none delivered, or the last one's window closed long ago).
	WindowNoMessage WindowReason = iota + 1
	// WindowExpired: more than 48 hours have passed since the customer's
	// last message.
	WindowExpired
	// WindowFull: five messages were sent since the customer's last one.
	WindowFull
)

// SendWindowError is a send the Inbox refused before calling WeCom because
// the customer's window does not allow it.
type SendWindowError struct {
	OpenKfID       string
	ExternalUserID string
	Reason         WindowReason
	LastMessage    time.Time // zero with WindowNoMessage
	Sent           int
}

// Error says why, and what would open the window again.
func (e *SendWindowError) Error() string {
	switch e.Reason {
	case WindowExpired:
		return fmt.Sprintf("kf: not sent to %s: the window of their last message (at %s) has closed; WeCom lets the account write only within 48 hours of the customer's last message (95002): wait for them to write again",
			e.ExternalUserID, e.LastMessage.UTC().Format(time.RFC3339))
	case WindowFull:
		return fmt.Sprintf("kf: not sent to %s: %d messages were sent since their last message (at %s); WeCom allows %d until the customer writes again (95001)",
			e.ExternalUserID, e.Sent, e.LastMessage.UTC().Format(time.RFC3339), sendWindowMessages)
	}
	return fmt.Sprintf("kf: not sent to %s of %s: no message of theirs within the past 48 hours is on record; WeCom lets the account write only after the customer has written (deliver their messages through the Inbox first)",
		e.ExternalUserID, e.OpenKfID)
}

// Is matches ErrOutsideSendWindow.
func (e *SendWindowError) Is(target error) bool { return target == ErrOutsideSendWindow }

// SendMsg sends a message as Service.SendMsg does, inside the customer's
// send window: within 48 hours of their last message the Inbox delivered,
// at most five messages until they write again. A send outside the window
// is refused before calling WeCom with a *SendWindowError (matching
// ErrOutsideSendWindow). The send takes its place in the window (shared
// through the Store by every Inbox on it) before the call and gives it
// back when WeCom refused the message; a send that may have reached WeCom
// keeps it. WeCom's own 95001 or 95002 fills or closes the window.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94677
func (in *Inbox) SendMsg(ctx context.Context, req *SendMsgRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if _, err := sendInput(req); err != nil {
		return "", err
	}
	key := in.windowKey(req.OpenKfID, req.ToUser)
	now := in.now()
	var taken windowRecord
	err := in.updateWindow(ctx, key, func(cur windowRecord, ok bool) (*windowRecord, error) {
		werr := &SendWindowError{OpenKfID: req.OpenKfID, ExternalUserID: req.ToUser, Sent: cur.Sent}
		if ok {
			werr.LastMessage = time.Unix(cur.Last, 0)
		}
		switch {
		case !ok:
			werr.Reason = WindowNoMessage
			return nil, werr
		case cur.Closed || !now.Before(werr.LastMessage.Add(sendWindowDuration)):
			werr.Reason = WindowExpired
			return nil, werr
		case cur.Sent >= sendWindowMessages:
			werr.Reason = WindowFull
			return nil, werr
		}
		cur.Sent++
		taken = cur
		return &cur, nil
	})
	if err != nil {
		if errors.Is(err, ErrOutsideSendWindow) {
			in.stats.refused.Add(1)
		}
		return "", err
	}
	msgID, err := in.svc.SendMsg(ctx, req)
	if err == nil || errors.Is(err, wecom.ErrOutcomeUnknown) {
		return msgID, err
	}
	in.settle(ctx, key, taken, wecom.ErrorCode(err))
	return "", err
}

// settle corrects the window after WeCom refused a send: 95001 fills it,
// 95002 closes it, anything else gives the place back.
func (in *Inbox) settle(ctx context.Context, key string, taken windowRecord, code int) {
	_ = in.updateWindow(ctx, key, func(cur windowRecord, ok bool) (*windowRecord, error) {
		if !ok || cur.Last != taken.Last || cur.MsgID != taken.MsgID {
			return &cur, nil // a newer customer message opened a new window meanwhile
		}
		switch code {
		case wecom.CodeKFSendCountLimit:
			cur.Sent = sendWindowMessages
		case wecom.CodeKFSendTimeLimit:
			cur.Closed = true
		default:
			if cur.Sent > 0 {
				cur.Sent--
			}
		}
		return &cur, nil
	})
}
