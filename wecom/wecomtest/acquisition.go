package wecomtest

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

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
}

func newAcquisitionState() *acquisitionState {
	return &acquisitionState{
		links:     map[string]*acqLink{},
		chatKeys:  map[string]*acqChatKey{},
		marketing: map[string]*AcquisitionPermit{},
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

// Errors of the acquisition helpers, besides ErrNotFound.
var (
	// ErrQuotaExhausted: the corp has no acquisition quota left, so the
	// link adds nobody.
	ErrQuotaExhausted = errors.New("wecomtest: acquisition quota exhausted")
	// ErrLinkUnavailable: the link was made unavailable
	// (SetAcquisitionLinkUnavailable).
	ErrLinkUnavailable = errors.New("wecomtest: acquisition link unavailable")
)

// ChatKeyLife is how long the fake (like WeCom) accepts the ChatKey of a
// message_from_customer event.
const ChatKeyLife = 30 * time.Minute

// RepeatedMessageCounts are the message counts at which the fake pushes
// message_from_customer (the first message pushes customer_start_chat).
// WeCom's page does not give them; several SDKs name the 3rd, 5th and 10th.
var RepeatedMessageCounts = [...]int{3, 5, 10}

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

// GrantAcquisitionQuota gives corpID n units of acquisition quota expiring at
// expires, as buying them does. It reports whether the balance went from 0
// to more (WeCom then pushes balance_increased; AcquisitionCallback.GrantQuota
// does). A new corp has none.
func (s *Server) GrantAcquisitionQuota(corpID string, n int64, expires time.Time) (increased bool, err error) {
	if n <= 0 {
		return false, errors.New("wecomtest: GrantAcquisitionQuota needs n > 0")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	as, err := s.acquisitionLocked(corpID)
	if err != nil {
		return false, err
	}
	before := as.balance(s.now())
	as.total += n
	as.batches = append(as.batches, &acqBatch{expire: expires.Unix(), balance: n})
	sort.SliceStable(as.batches, func(i, j int) bool { return as.batches[i].expire < as.batches[j].expire })
	return before == 0 && as.balance(s.now()) > 0, nil
}

// AcquisitionBalance returns corpID's remaining acquisition quota.
func (s *Server) AcquisitionBalance(corpID string) int64 {
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

// ExpiringAcquisitionQuotas returns the batches of corpID's quota that
// expire within d of the server clock (WeCom warns 14, 7, 3, 2 and 1 days
// ahead), oldest first.
func (s *Server) ExpiringAcquisitionQuotas(corpID string, d time.Duration) []ExpiringAcquisitionQuota {
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

// SetMarketingApp makes an app of corpID a marketing-acquisition (营销获客)
// app with permit as its range of members customers may connect with: only
// such apps may call get_permit. app is "" for the corp's self-built app
// (the one gettoken serves) or a suite id for a third-party or
// agent-developed app installed in the corp.
func (s *Server) SetMarketingApp(corpID, app string, permit AcquisitionPermit) error {
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

// SetAcquisitionLinkUnavailable makes a link stop adding customers, as when
// WeCom finds it broken (获客链接异常); AcquisitionCallback.MakeLinkUnavailable
// also pushes link_unavailable.
func (s *Server) SetAcquisitionLinkUnavailable(corpID, linkID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, l, err := s.findLinkLocked(corpID, linkID)
	if err != nil {
		return err
	}
	l.unavailable = true
	return nil
}

// DeleteAcquisitionLinkInAdmin deletes a link as an admin does in the admin
// console (the API's delete_link is not pushed; this is);
// AcquisitionCallback.DeleteLinkInAdmin also pushes delete_link.
func (s *Server) DeleteAcquisitionLinkInAdmin(corpID, linkID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, l, err := s.findLinkLocked(corpID, linkID)
	if err != nil {
		return err
	}
	l.deleted = true
	return nil
}

// AcquisitionLinkApp returns the app that created a link: "" for the corp's
// self-built app, else the suite id.
func (s *Server) AcquisitionLinkApp(corpID, linkID string) (string, error) {
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
