package groupchat

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// TrackedChat is what a Tracker keeps of one group.
type TrackedChat struct {
	ChatID     string
	Name       string
	Owner      string
	Notice     string
	CreateTime wecom.UnixTime
	Admins     []string // userids of the group's administrators
	// MemberVersion is the version of Members (groupchat/get's
	// member_version, or the CurMemVer of the last event applied).
	MemberVersion string
	// Members are the group's members with their details, in the order
	// groupchat/get lists them.
	Members []Member
	// Pending holds the ids an add_member event announced that
	// groupchat/get did not show yet (WeCom updates some data
	// asynchronously); their details, State included, arrive with the next
	// read of the group (Tracker.Refresh, or the next event that needs one).
	Pending []string
	// PastVersions are the member versions the group had before
	// MemberVersion, newest last (at most 16): an event leading to one of
	// them is older than the stored state.
	PastVersions []string
	// UpdatedAt is when the Tracker last changed this record.
	UpdatedAt time.Time
}

// maxPastVersions is how many earlier member versions a TrackedChat keeps.
const maxPastVersions = 16

// setVersion makes v the member version, keeping the old one in
// PastVersions.
func (c *TrackedChat) setVersion(v string) {
	if v == c.MemberVersion {
		return
	}
	c.pushPast(c.MemberVersion)
	c.MemberVersion = v
	c.PastVersions = slices.DeleteFunc(c.PastVersions, func(p string) bool { return p == v })
}

func (c *TrackedChat) pushPast(v string) {
	if v == "" {
		return
	}
	c.PastVersions = slices.DeleteFunc(c.PastVersions, func(p string) bool { return p == v })
	if len(c.PastVersions) >= maxPastVersions {
		c.PastVersions = slices.Delete(c.PastVersions, 0, len(c.PastVersions)-maxPastVersions+1)
	}
	c.PastVersions = append(c.PastVersions, v)
}

// MemberIDs returns the ids of every member, Pending included.
func (c *TrackedChat) MemberIDs() []string {
	ids := make([]string, 0, len(c.Members)+len(c.Pending))
	for i := range c.Members {
		ids = append(ids, c.Members[i].UserID)
	}
	return append(ids, c.Pending...)
}

// Clone returns a deep copy of c.
func (c *TrackedChat) Clone() *TrackedChat {
	if c == nil {
		return nil
	}
	d := *c
	d.Admins = slices.Clone(c.Admins)
	d.Pending = slices.Clone(c.Pending)
	d.PastVersions = slices.Clone(c.PastVersions)
	d.Members = slices.Clone(c.Members)
	for i := range d.Members {
		if inv := d.Members[i].Invitor; inv != nil {
			cp := *inv
			d.Members[i].Invitor = &cp
		}
	}
	return &d
}

// Join is a member of a group, as Tracker.Joins reports who came through a
// join way.
type Join struct {
	ChatID string
	Member Member
}

// TrackerStore keeps a Tracker's state. Implementations must be safe for
// concurrent use. The Tracker serializes the calls for one group within a
// process; with several processes sharing a store, their events for one
// group may interleave, and the member versions make the Tracker read the
// group again when they do.
type TrackerStore interface {
	// Load returns the group, or nil and no error when it is not tracked.
	// The caller may modify what is returned: return a copy.
	Load(ctx context.Context, chatID string) (*TrackedChat, error)
	// Update calls fn with the stored group, or nil when it is not
	// tracked, as one read-modify-write; when fn returns true, the group
	// as fn left it is stored. fn may change the group in place and does
	// not keep it. This is the Tracker's path for every update event.
	Update(ctx context.Context, chatID string, fn func(c *TrackedChat) bool) error
	// Save stores the group, replacing what was kept. The Tracker does not
	// touch chat after handing it over.
	Save(ctx context.Context, chat *TrackedChat) error
	// Delete forgets the group; deleting an unknown group is not an error.
	Delete(ctx context.Context, chatID string) error
	// Joins returns every member of every tracked group whose State is
	// state: who joined which group through the join way with that state.
	Joins(ctx context.Context, state string) ([]Join, error)
}

// MemoryTrackerStore is the in-memory TrackerStore a Tracker uses by
// default, with an index by State. It is safe for concurrent use.
type MemoryTrackerStore struct {
	mu      sync.RWMutex
	chats   map[string]*TrackedChat
	byState map[string]map[string]struct{} // state → ids of the groups having members with it
}

// NewMemoryTrackerStore returns an empty MemoryTrackerStore.
func NewMemoryTrackerStore() *MemoryTrackerStore {
	return &MemoryTrackerStore{chats: map[string]*TrackedChat{}, byState: map[string]map[string]struct{}{}}
}

// Load implements TrackerStore.
func (m *MemoryTrackerStore) Load(_ context.Context, chatID string) (*TrackedChat, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.chats[chatID].Clone(), nil
}

// Save implements TrackerStore; it keeps chat itself, not a copy.
func (m *MemoryTrackerStore) Save(_ context.Context, chat *TrackedChat) error {
	if chat == nil || chat.ChatID == "" {
		return check.Invalidf("TrackerStore.Save: a chat with a ChatID is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var old []string
	if prev := m.chats[chat.ChatID]; prev != nil {
		old = statesOf(prev)
	}
	m.chats[chat.ChatID] = chat
	m.reindex(chat.ChatID, old, statesOf(chat))
	return nil
}

// Update implements TrackerStore: fn works on the stored group itself,
// under the store's lock.
func (m *MemoryTrackerStore) Update(_ context.Context, chatID string, fn func(c *TrackedChat) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.chats[chatID]
	var old []string
	if c != nil {
		old = statesOf(c)
	}
	if !fn(c) || c == nil {
		return nil
	}
	m.reindex(chatID, old, statesOf(c))
	return nil
}

// statesOf returns the distinct non-empty states of c's members.
func statesOf(c *TrackedChat) []string {
	var out []string
	for i := range c.Members {
		if st := c.Members[i].State; st != "" && !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out
}

// reindex moves chatID in the state index from the old states to the new;
// m.mu is held.
func (m *MemoryTrackerStore) reindex(chatID string, old, cur []string) {
	for _, st := range old {
		if slices.Contains(cur, st) {
			continue
		}
		if set := m.byState[st]; set != nil {
			delete(set, chatID)
			if len(set) == 0 {
				delete(m.byState, st)
			}
		}
	}
	for _, st := range cur {
		set := m.byState[st]
		if set == nil {
			set = map[string]struct{}{}
			m.byState[st] = set
		}
		set[chatID] = struct{}{}
	}
}

// Delete implements TrackerStore.
func (m *MemoryTrackerStore) Delete(_ context.Context, chatID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.chats[chatID]; c != nil {
		m.reindex(chatID, statesOf(c), nil)
	}
	delete(m.chats, chatID)
	return nil
}

// Joins implements TrackerStore. The result is ordered by join time, then
// group and member id.
func (m *MemoryTrackerStore) Joins(_ context.Context, state string) ([]Join, error) {
	if state == "" {
		return nil, check.Invalidf("Joins: state is required")
	}
	m.mu.RLock()
	var out []Join
	for id := range m.byState[state] {
		c := m.chats[id]
		for i := range c.Members {
			if c.Members[i].State == state {
				j := Join{ChatID: id, Member: c.Members[i]}
				if inv := j.Member.Invitor; inv != nil {
					cp := *inv
					j.Member.Invitor = &cp
				}
				out = append(out, j)
			}
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Join) int {
		if a.Member.JoinTime != b.Member.JoinTime {
			if a.Member.JoinTime < b.Member.JoinTime {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.ChatID, b.ChatID); c != 0 {
			return c
		}
		return strings.Compare(a.Member.UserID, b.Member.UserID)
	})
	return out, nil
}

// Len returns how many groups the store keeps.
func (m *MemoryTrackerStore) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.chats)
}
