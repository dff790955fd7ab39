package groupchat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrmkit/scrm/callback"
)

// Tracker keeps every customer group's member list current from WeCom's
// change_external_chat callbacks, so that "who joined which group through
// which join way" is answered from its store instead of from groupchat/get:
//
//	tr := groupchat.NewTracker(svc)
//	tr.Register(handler) // a *callback.Handler serving the corp's callback URL
//	joins, err := tr.Joins(ctx, "spring-fair") // members who came through that join way
//
// Events are applied as follows. create reads the group; dismiss forgets
// it. An update's MemChangeList and member versions say what changed:
// del_member is applied to the stored list without calling WeCom when the
// event's LastMemVer is the stored version; add_member reads the group (the
// event names the new members but not their join way); change_owner,
// change_name and change_notice read it too. An event whose CurMemVer is
// the stored version, or one the group had before it (TrackedChat.
// PastVersions), has been applied: a re-send, or a late event; it is
// skipped. Any other event whose LastMemVer is not the stored version shows
// that an event was missed: the group is read again, which repairs
// whatever was missed.
// Should groupchat/get still answer the state before the event (WeCom
// updates some data asynchronously), the event's change is applied on top
// and the new members wait in TrackedChat.Pending.
//
// WeCom documents that operations made through the API raise no callbacks;
// whether a transfer (Service.Transfer, OnjobTransfer) raises change_owner
// is not documented: call Refresh for the groups you transferred. Load
// reads every group once, to start tracking the groups that existed before
// the Tracker.
//
// A Tracker reads through the Service's client and logs with its logger
// (WithLogger to change it), silent unless that logger is set; UpdatedAt
// is on the client's clock (wecom.WithClock).
//
// A Tracker is safe for concurrent use. Events for one group are applied
// one at a time, whichever goroutine delivers them: a callback.Handler runs
// the functions registered for one event concurrently, and other functions
// handling change_external_chat on the same Handler neither wait for the
// Tracker nor depend on the order they were registered in (a Channels reads
// the Tracker's state itself, after applying the event: register the
// Channels, not the Tracker, when you have one).
type Tracker struct {
	svc      *Service
	corpID   string
	store    TrackerStore
	needName bool
	logger   *slog.Logger
	fetch    func(ctx context.Context, chatID string) (*GroupChat, error)
	now      func() time.Time

	locks [64]sync.Mutex

	events, fetches, local, dups, gaps, ignored, gone atomic.Int64
}

// TrackerOption configures a Tracker.
type TrackerOption func(*Tracker)

// WithStore sets where the Tracker keeps its state (default: a
// MemoryTrackerStore); nil keeps the default.
func WithStore(s TrackerStore) TrackerOption {
	return func(t *Tracker) {
		if s != nil {
			t.store = s
		}
	}
}

// WithMemberNames makes the Tracker read groups with need_name, so that
// Member.Name is kept.
func WithMemberNames() TrackerOption { return func(t *Tracker) { t.needName = true } }

// WithLogger sets the Tracker's logger (default: the client's); nil keeps
// the default.
func WithLogger(l *slog.Logger) TrackerOption {
	return func(t *Tracker) {
		if l != nil {
			t.logger = l
		}
	}
}

// NewTracker returns a Tracker that reads groups through svc and applies
// the events of svc's corp.
func NewTracker(svc *Service, opts ...TrackerOption) *Tracker {
	t := &Tracker{svc: svc, corpID: svc.Client().CorpID(), logger: svc.Client().Logger(), now: svc.Client().Now}
	t.fetch = func(ctx context.Context, chatID string) (*GroupChat, error) {
		return svc.Get(ctx, &GetRequest{ChatID: chatID, NeedName: t.needName})
	}
	for _, o := range opts {
		if o != nil {
			o(t)
		}
	}
	if t.store == nil {
		t.store = NewMemoryTrackerStore()
	}
	if t.logger == nil {
		t.logger = slog.New(slog.DiscardHandler)
	}
	return t
}

// Store returns the Tracker's store.
func (t *Tracker) Store() TrackerStore { return t.store }

// Register makes h deliver every change_external_chat event to the Tracker.
func (t *Tracker) Register(h *callback.Handler) {
	h.OnExternalChat(t.HandleEvent)
}

// TrackerStats counts what a Tracker did.
type TrackerStats struct {
	Events     int64 // events handled
	Fetches    int64 // groupchat/get calls
	Local      int64 // events applied without calling WeCom
	Duplicates int64 // events already applied (re-sent), skipped
	Gaps       int64 // events showing a missed event before them
	Ignored    int64 // events of another corp, or of a kind with nothing to apply
	Gone       int64 // groups forgotten: dismissed, or no longer readable
}

// Stats returns the Tracker's counters.
func (t *Tracker) Stats() TrackerStats {
	return TrackerStats{Events: t.events.Load(), Fetches: t.fetches.Load(), Local: t.local.Load(),
		Duplicates: t.dups.Load(), Gaps: t.gaps.Load(), Ignored: t.ignored.Load(), Gone: t.gone.Load()}
}

func (t *Tracker) lock(chatID string) func() {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(chatID); i++ {
		h = (h ^ uint32(chatID[i])) * 16777619
	}
	mu := &t.locks[h%uint32(len(t.locks))]
	mu.Lock()
	return mu.Unlock
}

// ErrBadEvent is matched (errors.Is) by HandleEvent's error for an event
// that cannot be applied: no ChatId.
var ErrBadEvent = errors.New("groupchat: change_external_chat event without ChatId")

// HandleEvent applies one change_external_chat event (see Tracker). Events
// of another corp are ignored. The error is the store's, or groupchat/get's
// when the group had to be read and could not be; a group that no longer
// exists (IsNotFound) is forgotten without an error.
func (t *Tracker) HandleEvent(ctx context.Context, ev *callback.ExternalChatEvent) error {
	if ev == nil {
		return nil
	}
	t.events.Add(1)
	if corp := ev.CorpID(); corp != "" && t.corpID != "" && corp != t.corpID {
		t.ignored.Add(1)
		return nil
	}
	if ev.ChatID == "" {
		return ErrBadEvent
	}
	unlock := t.lock(ev.ChatID)
	defer unlock()
	var err error
	switch ev.ChangeType {
	case callback.ChangeChatDismiss:
		t.gone.Add(1)
		err = t.store.Delete(ctx, ev.ChatID)
	case callback.ChangeChatCreate:
		var prev versions
		if prev, err = t.storedVersions(ctx, ev.ChatID); err == nil {
			_, err = t.read(ctx, ev.ChatID, prev, nil)
		}
	case callback.ChangeChatUpdate:
		err = t.update(ctx, ev)
	default:
		t.ignored.Add(1)
	}
	if err != nil {
		return fmt.Errorf("groupchat: tracker: %s %s of %s: %w", ev.ChangeType, ev.UpdateDetail, ev.ChatID, err)
	}
	return nil
}

func (t *Tracker) update(ctx context.Context, ev *callback.ExternalChatEvent) error {
	memberEvent := ev.UpdateDetail == callback.UpdateAddMember || ev.UpdateDetail == callback.UpdateDelMember
	// complete: the event names every member that changed
	complete := len(ev.MemChangeList) > 0 && int(ev.MemChangeCnt) <= len(ev.MemChangeList)
	var (
		read  bool
		delta *callback.ExternalChatEvent
		prev  versions
	)
	err := t.store.Update(ctx, ev.ChatID, func(cur *TrackedChat) bool {
		read = true
		switch {
		case cur == nil:
			return false
		case ev.LastMemVer == "" || ev.CurMemVer == "":
			// nothing to compare: read the group
		case !memberEvent:
			if cur.MemberVersion != ev.LastMemVer {
				t.gap(ev, cur)
			}
		case cur.MemberVersion == ev.LastMemVer: // the next event in sequence
			if ev.UpdateDetail == callback.UpdateDelMember && complete {
				removeMembers(cur, ev.MemChangeList)
				cur.setVersion(ev.CurMemVer)
				cur.UpdatedAt = t.now()
				t.local.Add(1)
				read = false
				return true
			}
			if complete {
				delta = ev
			}
		case cur.MemberVersion == ev.CurMemVer || slices.Contains(cur.PastVersions, ev.CurMemVer):
			// applied already: a re-send, or an older event arriving late
			t.dups.Add(1)
			read = false
			return false
		default:
			t.gap(ev, cur)
			if complete {
				delta = ev
			}
		}
		prev = versions{current: cur.MemberVersion, past: slices.Clone(cur.PastVersions), tracked: true}
		return false
	})
	if err != nil || !read {
		return err
	}
	_, err = t.read(ctx, ev.ChatID, prev, delta)
	return err
}

// versions are the member versions of a stored group, carried over to
// what replaces it.
type versions struct {
	current string
	past    []string
	tracked bool
}

// storedVersions returns the versions of the stored group, without
// copying its members.
func (t *Tracker) storedVersions(ctx context.Context, chatID string) (versions, error) {
	var v versions
	err := t.store.Update(ctx, chatID, func(c *TrackedChat) bool {
		if c != nil {
			v = versions{current: c.MemberVersion, past: slices.Clone(c.PastVersions), tracked: true}
		}
		return false
	})
	return v, err
}

// gap counts and logs an event showing that an earlier one was missed.
func (t *Tracker) gap(ev *callback.ExternalChatEvent, cur *TrackedChat) {
	t.gaps.Add(1)
	t.logger.Debug("groupchat: tracker: missed an event; reading the group again", "chat_id", ev.ChatID,
		"stored_version", cur.MemberVersion, "last_mem_ver", ev.LastMemVer)
}

// read fetches the group and stores it in place of the one whose versions
// are prev. When delta is given and WeCom's answer is still the version
// before it, delta's change is applied on top. The chat is locked by the
// caller.
func (t *Tracker) read(ctx context.Context, chatID string, prev versions, delta *callback.ExternalChatEvent) (*TrackedChat, error) {
	t.fetches.Add(1)
	g, err := t.fetch(ctx, chatID)
	if err != nil {
		if IsNotFound(err) {
			t.gone.Add(1)
			return nil, t.store.Delete(ctx, chatID)
		}
		return nil, err
	}
	c := fromGroupChat(chatID, g)
	if prev.tracked {
		c.PastVersions = prev.past
		v := c.MemberVersion
		c.MemberVersion = prev.current
		c.setVersion(v)
	}
	if delta != nil && g.MemberVersion != delta.CurMemVer && g.MemberVersion == delta.LastMemVer {
		t.logger.Debug("groupchat: tracker: groupchat/get answered the state before the event; applying the event on top",
			"chat_id", chatID, "detail", delta.UpdateDetail)
		if delta.UpdateDetail == callback.UpdateAddMember {
			for _, id := range delta.MemChangeList {
				if id != "" && !hasMember(c, id) && !slices.Contains(c.Pending, id) {
					c.Pending = append(c.Pending, id)
				}
			}
		} else {
			removeMembers(c, delta.MemChangeList)
		}
		c.setVersion(delta.CurMemVer)
	}
	c.UpdatedAt = t.now()
	out := c.Clone()
	if err := t.store.Save(ctx, c); err != nil {
		return nil, err
	}
	return out, nil
}

func fromGroupChat(chatID string, g *GroupChat) *TrackedChat {
	c := &TrackedChat{ChatID: g.ChatID, Name: g.Name, Owner: g.Owner, Notice: g.Notice, CreateTime: g.CreateTime,
		MemberVersion: g.MemberVersion, Members: g.MemberList}
	if c.ChatID == "" {
		c.ChatID = chatID
	}
	for _, a := range g.AdminList {
		c.Admins = append(c.Admins, a.UserID)
	}
	return c
}

func hasMember(c *TrackedChat, id string) bool {
	for i := range c.Members {
		if c.Members[i].UserID == id {
			return true
		}
	}
	return false
}

// removeMembers drops ids from c's members and pending ids.
func removeMembers(c *TrackedChat, ids []string) {
	if len(ids) == 0 {
		return
	}
	gone := func(id string) bool { return slices.Contains(ids, id) }
	c.Members = slices.DeleteFunc(c.Members, func(m Member) bool { return gone(m.UserID) })
	c.Pending = slices.DeleteFunc(c.Pending, gone)
}

// Refresh reads one group now and stores it, e.g. after transferring it
// or to start tracking a group created before the Tracker. A group that no
// longer exists is forgotten (nil, nil).
func (t *Tracker) Refresh(ctx context.Context, chatID string) (*TrackedChat, error) {
	if err := check.Required("chatID", chatID); err != nil {
		return nil, err
	}
	unlock := t.lock(chatID)
	defer unlock()
	prev, err := t.storedVersions(ctx, chatID)
	if err != nil {
		return nil, err
	}
	return t.read(ctx, chatID, prev, nil)
}

// LoadRequest selects the groups Tracker.Load reads: groupchat/list's
// filters (see ListRequest).
type LoadRequest struct {
	// StatusFilter keeps the groups in one state; 0 keeps all.
	StatusFilter Status
	// OwnerFilter keeps the groups of these owners (at most
	// MaxOwnerFilter). Without it WeCom lists the groups of every owner in
	// the app's visible range and fails with 81017 when that range has more
	// than 1000 people: load a large corp's groups owner by owner, in
	// several calls. The groups of a resigned owner are listed only when the
	// owner is named here.
	OwnerFilter *OwnerFilter
}

// Load reads every group req selects (req may be nil: every group in the
// app's visible range) and stores it: the start of tracking, for the groups
// that existed before the Tracker. It returns how many groups it stored; on
// an error, the groups stored before it stay stored and the count says how
// many.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92120
func (t *Tracker) Load(ctx context.Context, req *LoadRequest) (int, error) {
	list := &ListRequest{Limit: maxListLimit}
	if req != nil {
		list.StatusFilter, list.OwnerFilter = req.StatusFilter, req.OwnerFilter
	}
	n := 0
	for ref, err := range t.svc.ListIter(ctx, list) {
		if err != nil {
			return n, err
		}
		c, err := t.Refresh(ctx, ref.ChatID)
		if err != nil {
			return n, err
		}
		if c != nil {
			n++
		}
	}
	return n, nil
}

// Chat returns the stored state of one group, or nil when it is not
// tracked.
func (t *Tracker) Chat(ctx context.Context, chatID string) (*TrackedChat, error) {
	return t.store.Load(ctx, chatID)
}

// Joins returns the members of the tracked groups who came through the
// join way (加入群聊) whose State is state, with the group each is in.
func (t *Tracker) Joins(ctx context.Context, state string) ([]Join, error) {
	if err := check.Required("state", state); err != nil {
		return nil, err
	}
	return t.store.Joins(ctx, state)
}
