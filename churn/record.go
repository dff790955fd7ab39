package churn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
)

// claimLease is how long a claim on a record holds before another delivery
// may take it over (its holder died before finishing).
const claimLease = 2 * time.Minute

// ErrBusy is matched by HandleEvent's error when another delivery of the
// same churn event holds the record right now (a re-send that arrived
// while the first still runs, on another instance): the redelivery that
// error causes finds the record delivered, or takes over a claim whose
// holder died.
var ErrBusy = errors.New("churn: this churn is being delivered by another run")

// claim is what the Store keeps under a record's key.
type claim struct {
	Done  bool  `json:"done,omitempty"`
	Until int64 `json:"until,omitempty"` // unix ms: the lease of a pending claim
}

// churned makes, and delivers once, the Record of a churn event.
func (a *Alerts) churned(ctx context.Context, ev *callback.ExternalContactEvent, by DeletedBy) error {
	at := eventTime(ev, a.now)
	id := recordID(a.corpID, ev.UserID, ev.ExternalUserID, by, at)
	key := "scrm:churn:" + a.corpID + ":record:" + id
	held, err := a.claim(ctx, key)
	if err != nil || !held {
		return err
	}
	r, err := a.build(ctx, ev, by, at, id)
	if err != nil {
		a.release(ctx, key)
		return err
	}
	a.notify(ctx, r)
	if fn := a.hook.Load(); fn != nil {
		(*fn)(ctx, r)
	}
	// The record is out: whatever happens next, it must not be delivered
	// again. A failure to record that is logged, not returned, since a
	// returned error would make WeCom deliver the event again.
	done, _ := json.Marshal(claim{Done: true})
	if err := a.store.Set(ctx, key, string(done), a.recordTTL); err != nil {
		a.log.WarnContext(ctx, "churn: could not record a delivered churn; a redelivery after the claim's lease would report it again",
			"record", id, "error", err)
	}
	if err := a.forget(ctx, ev.UserID, ev.ExternalUserID); err != nil {
		a.log.WarnContext(ctx, "churn: could not drop the snapshot of an ended relation", "record", id, "error", err)
	}
	return nil
}

// claim takes the record's key for this delivery: false (and no error)
// when the record was delivered already, ErrBusy when another delivery
// holds it.
func (a *Alerts) claim(ctx context.Context, key string) (bool, error) {
	for range 8 {
		raw, ok, err := a.store.Get(ctx, key)
		if err != nil {
			return false, fmt.Errorf("churn: %w", err)
		}
		var cur claim
		if ok && raw != "" {
			if json.Unmarshal([]byte(raw), &cur) != nil {
				cur = claim{} // unreadable: take it over
			}
		} else {
			raw = ""
		}
		now := a.now()
		switch {
		case cur.Done:
			return false, nil
		case raw != "" && cur.Until > now.UnixMilli():
			return false, ErrBusy
		}
		next, _ := json.Marshal(claim{Until: now.Add(claimLease).UnixMilli()})
		swapped, err := a.store.CompareAndSwap(ctx, key, raw, string(next), a.recordTTL)
		if err != nil {
			return false, fmt.Errorf("churn: %w", err)
		}
		if swapped {
			return true, nil
		}
	}
	return false, ErrBusy
}

// release gives up a claim after a failure, so that the redelivery runs at
// once rather than after the lease.
func (a *Alerts) release(ctx context.Context, key string) {
	if err := a.store.Delete(ctx, key); err != nil {
		a.log.WarnContext(ctx, "churn: could not release a claim; the redelivery waits for its lease", "error", err)
	}
}

// recordID derives a churn's id from what identifies its event.
func recordID(corpID, userID, externalUserID string, by DeletedBy, at time.Time) string {
	h := sha256.New()
	for _, s := range []string{corpID, userID, externalUserID, string(by), strconv.FormatInt(at.Unix(), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// build gathers what is known of the ended relation.
func (a *Alerts) build(ctx context.Context, ev *callback.ExternalContactEvent, by DeletedBy, at time.Time, id string) (*Record, error) {
	r := &Record{ID: id, CorpID: a.corpID, ExternalUserID: ev.ExternalUserID, UserID: ev.UserID, DeletedBy: by, At: at, Source: FromEvent}
	d, fu, err := a.read(ctx, ev.UserID, ev.ExternalUserID)
	switch {
	case err != nil:
		// WeCom may no longer answer for a customer nobody follows; the
		// snapshot is what there is.
		a.log.DebugContext(ctx, "churn: externalcontact/get at a churn", "record", id, "error", err)
	default:
		r.Name = d.ExternalContact.Name
		for _, f := range d.FollowUser {
			if f.UserID != ev.UserID {
				r.OtherMembers = append(r.OtherMembers, f.UserID)
			}
		}
		if fu != nil {
			r.Source, r.State, r.AddedAt, r.Tags = FromWeCom, fu.State, fu.CreateTime.Time(), slices.Clone(fu.Tags)
		}
	}
	if r.Source != FromWeCom {
		s, ok, err := a.Snapshot(ctx, ev.UserID, ev.ExternalUserID)
		if err != nil {
			return nil, err
		}
		if ok {
			r.Source, r.SnapshotAt, r.State, r.AddedAt, r.Tags = FromSnapshot, s.UpdatedAt, s.State, s.AddedAt, s.Tags
			if r.Name == "" {
				r.Name = s.Name
			}
		}
	}
	if err := a.tags.fill(ctx, r.Tags); err != nil {
		a.log.DebugContext(ctx, "churn: tag names", "record", id, "error", err)
	}
	if r.State != "" {
		for _, res := range a.resolvers {
			name, ok, err := res.Resolve(ctx, r.State)
			if err != nil {
				return nil, fmt.Errorf("churn: the channel of state %q: %w", r.State, err)
			}
			if ok {
				r.Channel = name
				break
			}
		}
	}
	return r, nil
}

// notify sends the record's notice, if any.
func (a *Alerts) notify(ctx context.Context, r *Record) {
	if a.notifier == nil {
		return
	}
	to, msg := a.notice(r)
	if to == "" || msg == nil {
		return
	}
	if _, err := a.notifier.Notify(ctx, to, msg); err != nil {
		r.NoticeErr = err
		a.log.WarnContext(ctx, "churn: notice not sent", "record", r.ID, "member", to, "error", err)
		return
	}
	r.NotifiedTo = to
}

// defaultNotice tells the member a customer deleted; nothing for the
// member's own deletions.
func defaultNotice(r *Record) (string, appmsg.Message) {
	if r.DeletedBy != ByCustomer {
		return "", nil
	}
	var b strings.Builder
	who := r.Name
	if who == "" {
		who = r.ExternalUserID
	}
	fmt.Fprintf(&b, "客户「%s」已将你删除 (%s)", who, r.At.Format("2006-01-02 15:04"))
	if r.Channel != "" {
		fmt.Fprintf(&b, "\n来源渠道: %s", r.Channel)
	}
	if names := tagLabels(r.Tags); len(names) > 0 {
		fmt.Fprintf(&b, "\n标签: %s", strings.Join(names, ", "))
	}
	return r.UserID, &appmsg.Text{Content: b.String()}
}

// tagLabels returns "group/name" for each tag (the id when no name is
// known).
func tagLabels(tags []contact.FollowUserTag) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		switch {
		case t.TagName == "":
			out = append(out, t.TagID)
		case t.GroupName == "":
			out = append(out, t.TagName)
		default:
			out = append(out, t.GroupName+"/"+t.TagName)
		}
	}
	return out
}

// tagNamesMaxAge bounds how long the corp's tag list is trusted when a
// tag id it lacks turns up (a tag created by another app, whose event was
// missed).
const tagNamesMaxAge = time.Minute

// tagNames keeps the corp's tag list, read with ListCorpTags when a name
// is needed and again after a tag event.
type tagNames struct {
	read func(ctx context.Context) (map[string]contact.FollowUserTag, error)

	mu     sync.Mutex
	byID   map[string]contact.FollowUserTag
	readAt time.Time
	stale  bool
	now    func() time.Time
}

func (t *tagNames) invalidate() {
	t.mu.Lock()
	t.stale = true
	t.mu.Unlock()
}

// fill sets the group and tag names of the tags that have only an id.
func (t *tagNames) fill(ctx context.Context, tags []contact.FollowUserTag) error {
	missing := func() bool {
		for _, tg := range tags {
			if tg.TagName == "" && tg.TagID != "" {
				if _, ok := t.byID[tg.TagID]; !ok {
					return true
				}
			}
		}
		return false
	}
	needs := slices.ContainsFunc(tags, func(tg contact.FollowUserTag) bool { return tg.TagName == "" && tg.TagID != "" })
	if !needs {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now
	if t.now != nil {
		now = t.now
	}
	var err error
	if t.byID == nil || t.stale || (missing() && now().Sub(t.readAt) > tagNamesMaxAge) {
		var m map[string]contact.FollowUserTag
		if m, err = t.read(ctx); err == nil {
			t.byID, t.readAt, t.stale = m, now(), false
		}
	}
	for i := range tags {
		if tags[i].TagName != "" {
			continue
		}
		if named, ok := t.byID[tags[i].TagID]; ok {
			tags[i] = named
		}
	}
	return err
}

// readTagNames reads the corp's tags.
func (a *Alerts) readTagNames(ctx context.Context) (map[string]contact.FollowUserTag, error) {
	groups, err := a.svc.ListCorpTags(ctx, nil)
	if err != nil {
		return nil, err
	}
	m := map[string]contact.FollowUserTag{}
	for _, g := range groups {
		for _, tg := range g.Tag {
			m[tg.ID] = contact.FollowUserTag{GroupName: g.GroupName, TagName: tg.Name, Type: contact.TagCorp, TagID: tg.ID}
		}
	}
	return m, nil
}

var _ Notifier = (*appmsg.Notifier)(nil)
