package contact

import (
	"context"
	"errors"
	"time"

	"github.com/scrmkit/scrm/callback"
)

// ChannelCustomer is a customer who came through a channel's code, and
// what Channels did about it.
type ChannelCustomer struct {
	Code           *ChannelCode // the channel; only Name and State for a retired one
	UserID         string       // the member the customer added
	ExternalUserID string       // the customer
	// Tagged lists the tag ids marked on the customer (the channel's Tags).
	Tagged []string
	// Remark is the remark set on the customer, "" when none.
	Remark string
	// Err is the failure of marking the tags or setting the remark, if
	// any; HandleEvent returns it too.
	Err error
}

// OnCustomer sets fn to be called for every customer who came through a
// channel's code, after the tags and remark were applied (or failed: see
// ChannelCustomer.Err). Set it before serving; fn must be safe for
// concurrent use. nil removes it.
func (c *Channels) OnCustomer(fn func(ctx context.Context, cu *ChannelCustomer)) {
	if fn == nil {
		c.hook.Store(nil)
		return
	}
	c.hook.Store(&fn)
}

// Register makes h deliver add_external_contact events to HandleEvent. The
// order of registration does not matter: the functions registered for one
// event (a message.Welcomes beside it, say) run concurrently, and when one
// fails a redelivery runs only those that have not succeeded (see package
// callback), so the tags are not marked again because a welcome failed.
func (c *Channels) Register(h *callback.Handler) {
	h.OnAddExternalContact(c.HandleEvent)
}

// HandleEvent applies a channel to the customer of an add_external_contact
// event: when the event's State belongs to one of the channels, the
// channel's Tags are marked on the customer (mark_tag) and its Remark
// template, filled in, is set as the member's remark (remark; {name} reads
// the customer's name with Service.CustomerName, which a message.Welcomes
// given the same Service as its name source shares). Events of other kinds, of another corp, and States
// of no channel pass through untouched. The State is resolved with one
// Store read when this Channels has seen it before (Ensure, List, an
// earlier event). The error is that of mark_tag or remark (both are safe to
// repeat, so a Handler answering 500 to have WeCom re-send is fine).
func (c *Channels) HandleEvent(ctx context.Context, ev *callback.ExternalContactEvent) error {
	if ev == nil || ev.ChangeType != callback.ChangeAddExternalContact || ev.State == "" {
		return nil
	}
	if corp := ev.CorpID(); corp != "" && corp != c.svc.c.CorpID() {
		return nil // another corp's event on a shared callback URL
	}
	code, ok, err := c.LookupState(ctx, ev.State)
	if err != nil || !ok {
		return err
	}
	cu := &ChannelCustomer{Code: code, UserID: ev.UserID, ExternalUserID: ev.ExternalUserID}
	cu.Err = c.apply(ctx, ev, cu)
	if fn := c.hook.Load(); fn != nil {
		(*fn)(ctx, cu)
	}
	return cu.Err
}

// apply marks the channel's tags and sets its remark.
func (c *Channels) apply(ctx context.Context, ev *callback.ExternalContactEvent, cu *ChannelCustomer) error {
	code := cu.Code
	var errs []error
	if len(code.Tags) > 0 {
		err := c.svc.MarkTag(ctx, &MarkTagRequest{UserID: ev.UserID, ExternalUserID: ev.ExternalUserID, AddTag: code.Tags})
		if err == nil {
			cu.Tagged = code.Tags
		}
		errs = append(errs, err)
	}
	if code.Remark != "" {
		remark, err := c.remark(ctx, ev, code)
		if err == nil && remark != "" {
			err = c.svc.Remark(ctx, &RemarkRequest{UserID: ev.UserID, ExternalUserID: ev.ExternalUserID, Remark: remark})
			if err == nil {
				cu.Remark = remark
			}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// remark fills the channel's remark template for the event's customer.
func (c *Channels) remark(ctx context.Context, ev *callback.ExternalContactEvent, code *ChannelCode) (string, error) {
	t, err := parseRemarkTemplate(code.Remark)
	if err != nil {
		return "", err
	}
	v := remarkValues{channel: code.Name, added: eventTime(ev, c.svc.c.Now)}
	if t.needsName() {
		name, err := c.svc.CustomerName(ctx, ev.ExternalUserID)
		if err != nil {
			return "", err
		}
		v.name = name
	}
	return t.render(v), nil
}

// eventTime is when WeCom sent ev (CreateTime, or TimeStamp in the
// third-party form), or now when it has neither.
func eventTime(ev *callback.ExternalContactEvent, now func() time.Time) time.Time {
	switch {
	case ev.CreateTime != 0:
		return ev.CreateTime.Time()
	case ev.TimeStamp != 0:
		return ev.TimeStamp.Time()
	}
	return now()
}
