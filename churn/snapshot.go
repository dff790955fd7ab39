package churn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/kv"
)

// Register makes h deliver to the Alerts the customer-contact events it
// needs (add, half add, edit, del_external_contact, del_follow_user:
// HandleEvent) and the corp-tag events (HandleTagEvent). The order of
// registration does not matter: functions registered for one event run
// concurrently, and a redelivery runs only those that failed.
func (a *Alerts) Register(h *callback.Handler) {
	h.OnExternalContact(a.HandleEvent, callback.ChangeAddExternalContact, callback.ChangeAddHalfExternalContact,
		callback.ChangeEditExternalContact, callback.ChangeDelExternalContact, callback.ChangeDelFollowUser)
	h.OnExternalTag(a.HandleTagEvent)
}

// HandleEvent applies one change_external_contact event: adds and edits
// update the relation's snapshot (see the package doc), the two deletions
// make a Record (see Alerts). Other change types, and events of another
// corp, pass through. The error is the Store's, or that of the read an
// add or an edit needs (the name, the follow_user entry): a Handler
// answering 500 makes WeCom send the event again, which is safe.
func (a *Alerts) HandleEvent(ctx context.Context, ev *callback.ExternalContactEvent) error {
	if ev == nil || ev.UserID == "" || ev.ExternalUserID == "" {
		return nil
	}
	if corp := ev.CorpID(); corp != "" && corp != a.corpID {
		return nil // another corp's event on a shared callback URL
	}
	switch ev.ChangeType {
	case callback.ChangeAddExternalContact, callback.ChangeAddHalfExternalContact:
		return a.added(ctx, ev)
	case callback.ChangeEditExternalContact:
		return a.Refresh(ctx, ev.UserID, ev.ExternalUserID)
	case callback.ChangeDelFollowUser:
		return a.churned(ctx, ev, ByCustomer)
	case callback.ChangeDelExternalContact:
		if ev.Source == callback.DeleteByTransfer {
			return a.forget(ctx, ev.UserID, ev.ExternalUserID)
		}
		return a.churned(ctx, ev, ByMember)
	}
	return nil
}

// HandleTagEvent applies one change_external_tag event: a corp tag or group
// created, renamed, deleted or re-ordered makes the Alerts read the corp's
// tag list again when it next needs a tag's name.
func (a *Alerts) HandleTagEvent(ctx context.Context, ev *callback.ExternalTagEvent) error {
	if ev == nil {
		return nil
	}
	if corp := ev.CorpID(); corp != "" && corp != a.corpID {
		return nil
	}
	a.tags.invalidate()
	return nil
}

// Snapshot returns what the Alerts knows of the relation between member
// userID and customer externalUserID, and false when it knows nothing.
func (a *Alerts) Snapshot(ctx context.Context, userID, externalUserID string) (*Snapshot, bool, error) {
	raw, ok, err := a.store.Get(ctx, a.relKey(userID, externalUserID))
	if err != nil || !ok || raw == "" {
		return nil, false, err
	}
	var s Snapshot
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, false, fmt.Errorf("churn: snapshot of %s/%s: %w: %v", userID, externalUserID, kv.ErrCorrupt, err)
	}
	return &s, true, nil
}

// Refresh reads the relation between member userID and customer
// externalUserID with externalcontact/get and keeps its name, state, tags
// and start as the snapshot. A relation WeCom does not list (any more) is
// forgotten.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (a *Alerts) Refresh(ctx context.Context, userID, externalUserID string) error {
	if userID == "" || externalUserID == "" {
		return errors.New("churn: Refresh needs a member and a customer")
	}
	d, fu, err := a.read(ctx, userID, externalUserID)
	if err != nil {
		return err
	}
	if fu == nil {
		return a.forget(ctx, userID, externalUserID)
	}
	now := a.now()
	return a.update(ctx, userID, externalUserID, func(s *Snapshot) {
		s.Name = d.ExternalContact.Name
		s.State = fu.State
		s.AddedAt = fu.CreateTime.Time()
		s.Tags = slices.Clone(fu.Tags)
		s.TagsAt = now
	})
}

// Marked records in the snapshot the tags req added and removed: call it
// after contact.Service.MarkTag(ctx, req) succeeded, since tags an app marks
// raise no event. It calls no endpoint.
func (a *Alerts) Marked(ctx context.Context, req *contact.MarkTagRequest) error {
	if req == nil || req.UserID == "" || req.ExternalUserID == "" {
		return errors.New("churn: Marked needs the MarkTagRequest that was sent")
	}
	if len(req.AddTag) == 0 && len(req.RemoveTag) == 0 {
		return nil
	}
	now := a.now()
	return a.update(ctx, req.UserID, req.ExternalUserID, func(s *Snapshot) {
		s.Tags = slices.DeleteFunc(s.Tags, func(t contact.FollowUserTag) bool {
			return t.TagID != "" && (slices.Contains(req.RemoveTag, t.TagID) || slices.Contains(req.AddTag, t.TagID))
		})
		for _, id := range req.AddTag {
			if !slices.Contains(req.RemoveTag, id) {
				s.Tags = append(s.Tags, contact.FollowUserTag{TagID: id})
			}
		}
		s.TagsAt = now
	})
}

// Remember keeps records of a bulk sync (contact.Service.Sync, or the pages
// a mirror reads) as snapshots: each record's name, state, start and tag
// ids replace what was kept. It calls no endpoint.
func (a *Alerts) Remember(ctx context.Context, records ...contact.CustomerRecord) error {
	now := a.now()
	for i := range records {
		r := &records[i]
		if r.FollowInfo.UserID == "" || r.ExternalContact.ExternalUserID == "" {
			continue
		}
		tags := make([]contact.FollowUserTag, 0, len(r.FollowInfo.TagID))
		for _, id := range r.FollowInfo.TagID {
			tags = append(tags, contact.FollowUserTag{TagID: id})
		}
		err := a.update(ctx, r.FollowInfo.UserID, r.ExternalContact.ExternalUserID, func(s *Snapshot) {
			s.Name = r.ExternalContact.Name
			s.State = r.FollowInfo.State
			s.AddedAt = r.FollowInfo.CreateTime.Time()
			s.Tags = tags
			s.TagsAt = now
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Load reads every relation of the corp with contact.Service.Sync and keeps
// it as a snapshot (Remember): run it once when the Alerts start serving a
// corp whose customers predate it, and whenever a full refresh is wanted.
// It returns how many relations it kept; on an error those kept before it
// stay kept.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (a *Alerts) Load(ctx context.Context) (int, error) {
	n := 0
	for page, err := range a.svc.Sync(ctx, nil) {
		if err != nil {
			return n, err
		}
		if err := a.Remember(ctx, page.Records...); err != nil {
			return n, err
		}
		n += len(page.Records)
	}
	return n, nil
}

// added starts the snapshot of a new relation from an add event.
func (a *Alerts) added(ctx context.Context, ev *callback.ExternalContactEvent) error {
	name, err := a.svc.CustomerName(ctx, ev.ExternalUserID)
	if err != nil {
		return fmt.Errorf("churn: the name of %s: %w", ev.ExternalUserID, err)
	}
	at := eventTime(ev, a.now)
	return a.update(ctx, ev.UserID, ev.ExternalUserID, func(s *Snapshot) {
		if s.TagsAt.Before(at) {
			s.Tags, s.TagsAt = nil, time.Time{} // an earlier relation's tags
		}
		s.Name = name
		s.State = ev.State
		s.AddedAt = at
	})
}

// update changes one relation's snapshot in the Store.
func (a *Alerts) update(ctx context.Context, userID, externalUserID string, change func(s *Snapshot)) error {
	now := a.now()
	err := kv.UpdateJSON(ctx, a.store, a.relKey(userID, externalUserID), 0, func(cur Snapshot, _ bool) (*Snapshot, error) {
		cur.UserID, cur.ExternalUserID = userID, externalUserID
		change(&cur)
		cur.UpdatedAt = now
		return &cur, nil
	})
	if err != nil {
		return fmt.Errorf("churn: snapshot of %s/%s: %w", userID, externalUserID, err)
	}
	return nil
}

// forget drops a relation's snapshot.
func (a *Alerts) forget(ctx context.Context, userID, externalUserID string) error {
	if err := a.store.Delete(ctx, a.relKey(userID, externalUserID)); err != nil {
		return fmt.Errorf("churn: snapshot of %s/%s: %w", userID, externalUserID, err)
	}
	return nil
}

// read reads the customer and finds the member's follow_user entry: nil
// when WeCom does not list the relation.
func (a *Alerts) read(ctx context.Context, userID, externalUserID string) (*contact.CustomerDetail, *contact.FollowUser, error) {
	req := &contact.GetRequest{ExternalUserID: externalUserID}
	for {
		d, err := a.svc.Get(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		for i := range d.FollowUser {
			if d.FollowUser[i].UserID == userID {
				return d, &d.FollowUser[i], nil
			}
		}
		if d.NextCursor == "" || d.NextCursor == req.Cursor {
			return d, nil, nil
		}
		req.Cursor = d.NextCursor
	}
}

func (a *Alerts) relKey(userID, externalUserID string) string {
	return "scrm:churn:" + a.corpID + ":rel:" + userID + ":" + externalUserID
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
