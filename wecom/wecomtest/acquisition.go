package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Acquisition is a handle on one corp's customer acquisition (获客助手):
// the usage quota the corp buys, WeChat users tapping acquisition links and
// messaging the member they reach, admins breaking or deleting links in the
// console. The acts push the customer_acquisition events (and the
// add_external_contact of a tap) to the corp's callback (Corp.SetCallback)
// when it has one. Get it with Corp.Acquisition.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
type Acquisition struct{ c *Corp }

// acquisitionState is a corp's customer-acquisition (获客助手) data: links
// with the app that created each, the customers they added, per-day counts,
// the usage quota, ChatKeys of repeated-message events and the apps that
// are marketing-acquisition (营销获客) apps. It is guarded by Server.mu.
type acquisitionState struct {
	links     map[string]*acqLink
	linkOrder []string

	total   int64       // every unit of quota ever granted (历史累计使用量)
	batches []*acqBatch // by expiry, oldest first

	chatKeys  map[string]*acqChatKey
	marketing map[string]*AcquisitionPermit // app → its permitted range

	components map[string]*acqComponent // suite id → its component authorization (acquisition_component.go)
	onceKeys   map[string]*acqOnceKey   // create_once_key's keys
}

func newAcquisitionState() *acquisitionState {
	return &acquisitionState{
		links:      map[string]*acqLink{},
		chatKeys:   map[string]*acqChatKey{},
		marketing:  map[string]*AcquisitionPermit{},
		components: map[string]*acqComponent{},
		onceKeys:   map[string]*acqOnceKey{},
	}
}

// --- wire types: WeCom's JSON, written here independently of the SDK ---

type wireAcqRange struct {
	UserList       []string `json:"user_list"`
	DepartmentList []int    `json:"department_list"`
}

type wireAcqPriority struct {
	PriorityType       int      `json:"priority_type"`
	PriorityUserIDList []string `json:"priority_userid_list,omitempty"`
}

type wireAcqCustomer struct {
	ExternalUserID string `json:"external_userid"`
	UserID         string `json:"userid"`
	ChatStatus     int    `json:"chat_status"`
	State          string `json:"state"`
}

// acqLink is one link, with what the fake needs beyond WeCom's answer.
type acqLink struct {
	id, name, url string
	createTime    int64
	skipVerify    bool
	markSource    bool
	rng           wireAcqRange
	priority      *wireAcqPriority

	app         string // creating app: "" self-built, else the suite id
	deleted     bool
	unavailable bool
	next        int // round-robin member

	customers []*acqCustomer
	clicks    map[int64]int64 // China day (00:00 UTC+8) → customers who tapped
	adds      map[int64]int64 // China day → customers added
}

type acqCustomer struct {
	wireAcqCustomer
	msgs int // messages the member received from the customer
}

type acqBatch struct {
	expire  int64 // unix seconds
	balance int64
}

type acqChatKey struct {
	userID, externalUserID, linkID, state string
	recv                                  int64
	expires                               time.Time
}

// AcquisitionPermit is the member range of a marketing-acquisition app
// (customer_acquisition_app/get_permit).
type AcquisitionPermit struct {
	Users       []string
	Departments []int
	Tags        []int
}

// Errors of Acquisition.TapLink, besides ErrNotFound.
var (
	// ErrQuotaExhausted: the corp has no acquisition quota left, so the
	// link adds nobody (WeCom stops a link at balance 0).
	ErrQuotaExhausted = errors.New("wecomtest: acquisition quota exhausted")
	// ErrLinkUnavailable: the link was made unavailable
	// (Acquisition.MakeLinkUnavailable).
	ErrLinkUnavailable = errors.New("wecomtest: acquisition link unavailable")
)

// ChatKeyLife is how long the fake (like WeCom) accepts the ChatKey of a
// message_from_customer event in get_chat_info.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
const ChatKeyLife = 30 * time.Minute

// RepeatedMessageCounts returns the counts of a customer's messages at
// which the fake pushes message_from_customer with a ChatKey (the first
// message pushes customer_start_chat): the 3rd, 5th and 10th. WeCom's page
// does not give them; several SDKs name these.
func RepeatedMessageCounts() []int { return []int{3, 5, 10} }

// acquisitionLowBalance: below this balance WeCom pushes balance_low.
const acquisitionLowBalance = 20

func (s *Server) acquisitionLocked(corpID string) (*acquisitionState, error) {
	c := s.corps[corpID]
	if c == nil {
		return nil, fmt.Errorf("%w: corp %q", ErrNotFound, corpID)
	}
	return c.acquisition, nil
}

// balance drops expired batches and returns what is left.
func (as *acquisitionState) balance(now time.Time) int64 {
	live := as.batches[:0]
	var n int64
	for _, b := range as.batches {
		if b.expire > now.Unix() && b.balance > 0 {
			live = append(live, b)
			n += b.balance
		}
	}
	as.batches = live
	return n
}

// consume uses one unit of the batch that expires first.
func (as *acquisitionState) consume(now time.Time) bool {
	if as.balance(now) == 0 {
		return false
	}
	as.batches[0].balance--
	as.balance(now)
	return true
}

// GrantQuota plays the corp buying n units of acquisition quota (使用量)
// that expire at expires; a new corp has none. It reports whether the
// balance went from 0 to more: WeCom then pushes balance_increased, and so
// does the fake when the corp has a callback. A unit is used by each
// customer a link adds (TapLink).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97375
func (acq *Acquisition) GrantQuota(ctx context.Context, n int64, expires time.Time) (increased bool, err error) {
	if n <= 0 {
		return false, errors.New("wecomtest: GrantQuota needs n > 0")
	}
	s, corpID := acq.c.s, acq.c.id
	s.mu.Lock()
	as, err := s.acquisitionLocked(corpID)
	if err != nil {
		s.mu.Unlock()
		return false, err
	}
	before := as.balance(s.now())
	as.total += n
	as.batches = append(as.batches, &acqBatch{expire: expires.Unix(), balance: n})
	sort.SliceStable(as.batches, func(i, j int) bool { return as.batches[i].expire < as.batches[j].expire })
	increased = before == 0 && as.balance(s.now()) > 0
	p, at := acq.c.pusherLocked(), s.now()
	s.mu.Unlock()
	if !increased {
		return false, nil
	}
	return true, acq.c.push(ctx, p, acq.event(ChangeBalanceIncreased, AcquisitionEventFields{}, at))
}

// Balance returns the corp's remaining acquisition quota.
func (acq *Acquisition) Balance() int64 {
	s, corpID := acq.c.s, acq.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	as, err := s.acquisitionLocked(corpID)
	if err != nil {
		return 0
	}
	return as.balance(s.now())
}

// ExpiringAcquisitionQuota is a batch of quota that expires soon.
type ExpiringAcquisitionQuota struct {
	ExpireTime time.Time
	Count      int64
}

// ExpiringQuotas returns the batches of the corp's quota that expire within
// d of the server clock, soonest first.
func (acq *Acquisition) ExpiringQuotas(d time.Duration) []ExpiringAcquisitionQuota {
	s, corpID := acq.c.s, acq.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	as, err := s.acquisitionLocked(corpID)
	if err != nil {
		return nil
	}
	now := s.now()
	as.balance(now)
	var out []ExpiringAcquisitionQuota
	for _, b := range as.batches {
		if time.Unix(b.expire, 0).Sub(now) <= d {
			out = append(out, ExpiringAcquisitionQuota{ExpireTime: time.Unix(b.expire, 0), Count: b.balance})
		}
	}
	return out
}

// SetMarketingApp makes an app of the corp a marketing-acquisition
// (营销获客) app with permit as its range of members customers may connect
// with: only such apps may call customer_acquisition_app/get_permit. app is
// "" for the corp's self-built app (the one gettoken serves) or a suite id
// for a third-party or agent-developed app installed in the corp.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/101146
func (acq *Acquisition) SetMarketingApp(app string, permit AcquisitionPermit) error {
	s, corpID := acq.c.s, acq.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	as, err := s.acquisitionLocked(corpID)
	if err != nil {
		return err
	}
	p := AcquisitionPermit{Users: append([]string{}, permit.Users...),
		Departments: append([]int{}, permit.Departments...), Tags: append([]int{}, permit.Tags...)}
	as.marketing[app] = &p
	return nil
}

// findLinkLocked returns a link that exists (deleted ones are gone).
func (s *Server) findLinkLocked(corpID, linkID string) (*acquisitionState, *acqLink, error) {
	as, err := s.acquisitionLocked(corpID)
	if err != nil {
		return nil, nil, err
	}
	l := as.links[linkID]
	if l == nil || l.deleted {
		return nil, nil, fmt.Errorf("%w: acquisition link %q", ErrNotFound, linkID)
	}
	return as, l, nil
}

// MakeLinkUnavailable plays WeCom finding a link broken (获客链接异常): it
// stops adding customers (TapLink answers ErrLinkUnavailable) and
// link_unavailable is pushed when the corp has a callback.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
func (acq *Acquisition) MakeLinkUnavailable(ctx context.Context, linkID string) error {
	return acq.changeLink(ctx, linkID, ChangeLinkUnavailable, func(l *acqLink) { l.unavailable = true })
}

// DeleteLinkInAdmin plays an admin deleting a link in the admin console:
// the link is gone and delete_link is pushed when the corp has a callback
// (deleting it through the API, customer_acquisition/delete_link, pushes
// nothing).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
func (acq *Acquisition) DeleteLinkInAdmin(ctx context.Context, linkID string) error {
	return acq.changeLink(ctx, linkID, ChangeDeleteLink, func(l *acqLink) { l.deleted = true })
}

func (acq *Acquisition) changeLink(ctx context.Context, linkID, change string, edit func(*acqLink)) error {
	s := acq.c.s
	s.mu.Lock()
	_, l, err := s.findLinkLocked(acq.c.id, linkID)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	edit(l)
	p, at := acq.c.pusherLocked(), s.now()
	s.mu.Unlock()
	return acq.c.push(ctx, p, acq.event(change, AcquisitionEventFields{LinkID: linkID}, at))
}

// LinkApp returns the app that created a link: "" for the corp's
// self-built app, else the suite id (WeCom lets only the creating app
// manage a link).
func (acq *Acquisition) LinkApp(linkID string) (string, error) {
	s, corpID := acq.c.s, acq.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	_, l, err := s.findLinkLocked(corpID, linkID)
	if err != nil {
		return "", err
	}
	return l.app, nil
}

// appLocked names the app behind the call's token: the suite id of a
// third-party app's corp token or of an agent-developed app, "" for the
// corp's self-built app.
func (s *Server) appLocked(c *call) string {
	tok := c.r.URL.Query().Get("access_token")
	if ref, ok := s.suite.corpTokens[tok]; ok {
		return ref.suite
	}
	for id, fs := range s.suite.suites {
		if !fs.agentDev {
			continue
		}
		if a := fs.auths[c.corp.ID]; a != nil && !a.cancelled && c.corp.Secret == a.permanentCode {
			return id
		}
	}
	return ""
}

// chinaDay is 00:00 (UTC+8) of t's day, as WeCom's statistics count.
func chinaDay(t int64) int64 { return chinaMidnight(t) }
