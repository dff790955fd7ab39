package wecomtest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// contactState is a corp's customer-contact data: members with the
// customer-contact feature, customers and their follow records, corp and
// rule-group tags, contact ways, transfers. It is guarded by Server.mu.
type contactState struct {
	staff      map[string]*fakeStaff
	staffOrder []string
	customers  map[string]*fakeCustomer
	byUnionID  map[string]string

	groups     map[string]*tagGroup
	groupOrder []string
	tags       map[string]*tagItem

	ways     map[string]*contactWay
	wayOrder []string

	transfers []*transferRec
	pending   int

	strategies *strategyState  // customer rule groups (contact_strategy.go)
	albums     *albumState     // product albums (contact_album.go)
	intercepts *interceptState // sensitive-word rules (contact_intercept.go)
	served     *servedState    // served contacts besides customers (contact_list.go)
	idconv     *idconvState    // open_userids and pending_ids issued (suite_idconvert.go)

	pageLimit int // caps server-sized pages (get, transfer_result, get_unassigned_list); 0 = WeCom's sizes
	seq       int

	// changed is closed (and replaced) when the corp's customer data may
	// have changed: after every customer-contact call and every relation
	// added or removed. Corp.WaitRelation and Messages.WaitWelcome wait on
	// it.
	changed chan struct{}
}

// watch returns the channel the next change closes; s.mu is held.
func (cs *contactState) watch() <-chan struct{} {
	if cs.changed == nil {
		cs.changed = make(chan struct{})
	}
	return cs.changed
}

// notify wakes the waiters of watch; s.mu is held.
func (cs *contactState) notify() {
	if cs.changed != nil {
		close(cs.changed)
		cs.changed = nil
	}
}

func newContactState() *contactState {
	return &contactState{
		staff:     map[string]*fakeStaff{},
		customers: map[string]*fakeCustomer{},
		byUnionID: map[string]string{},
		groups:    map[string]*tagGroup{},
		tags:      map[string]*tagItem{},
		ways:      map[string]*contactWay{},

		strategies: newStrategyState(),
		albums:     newAlbumState(),
		intercepts: newInterceptState(),
		served:     newServedState(),
		idconv:     newIDConvState(),
	}
}

type fakeStaff struct {
	userID         string
	resigned       bool
	unlicensed     bool // no interop licence (互通许可): batch/get_by_user leaves its customers out
	consoleWelcome bool // a welcome message is set for the member in the admin console: no WelcomeCode
	dimission      int64
	customers      []string // external_userids in the order they were added
	follows        map[string]*followRec
	// former holds the customers whose relation with the member ended by a
	// deletion (Corp.MemberDeletesCustomer, Corp.CustomerDeletesMember):
	// a mass send naming one of them reports status 2 (not a friend).
	former map[string]bool
}

// followRec is one member's relation with a customer, in WeCom's shape.
type followRec struct {
	UserID           string
	Remark           string
	Description      string
	CreateTime       int64
	TagIDs           []string
	RemarkCorpName   string
	RemarkMobiles    []string
	RemarkPicMediaID string
	OperUserID       string
	AddWay           int
	State            string
	WechatChannels   *wireChannels
	tempWay          bool
}

type fakeCustomer struct {
	contact   wireExternalContact
	followers []string // member userids in the order they added the customer
}

// --- wire types: WeCom's JSON, written here independently of the SDK ---

type wireExternalContact struct {
	ExternalUserID  string       `json:"external_userid"`
	Name            string       `json:"name"`
	Position        string       `json:"position,omitempty"`
	Avatar          string       `json:"avatar,omitempty"`
	CorpName        string       `json:"corp_name,omitempty"`
	CorpFullName    string       `json:"corp_full_name,omitempty"`
	Type            int          `json:"type"`
	Gender          int          `json:"gender"`
	UnionID         string       `json:"unionid,omitempty"`
	ExternalProfile *wireProfile `json:"external_profile,omitempty"`
}

type wireProfile struct {
	ExternalAttr []wireAttr `json:"external_attr"`
}

type wireAttr struct {
	Type int    `json:"type"`
	Name string `json:"name"`
	Text *struct {
		Value string `json:"value"`
	} `json:"text,omitempty"`
	Web *struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	} `json:"web,omitempty"`
	MiniProgram *struct {
		AppID    string `json:"appid"`
		PagePath string `json:"pagepath"`
		Title    string `json:"title"`
	} `json:"miniprogram,omitempty"`
}

type wireChannels struct {
	Nickname string `json:"nickname"`
	Source   int    `json:"source"`
}

// --- exported helpers for tests and examples ---

// ErrNotFound is wrapped by the errors of the handles' acts for an unknown
// corp, suite, member, customer, contact way, join way, group, link, mass
// send, Moments post or welcome code.
var ErrNotFound = errors.New("wecomtest: not found")

func (s *Server) contactLocked(corpID string) (*contactState, error) {
	c := s.corps[corpID]
	if c == nil {
		return nil, fmt.Errorf("%w: corp %q", ErrNotFound, corpID)
	}
	return c.contact, nil
}

// AddStaff gives members of the corp the customer-contact feature
// (客户联系使用范围), so that get_follow_user_list lists them and customers
// can add them. Adding a member twice changes nothing.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92571
func (c *Corp) AddStaff(userIDs ...string) error {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return err
	}
	for _, u := range userIDs {
		cs.addStaff(u)
	}
	return nil
}

func (cs *contactState) addStaff(userID string) *fakeStaff {
	if st := cs.staff[userID]; st != nil {
		return st
	}
	st := &fakeStaff{userID: userID, follows: map[string]*followRec{}}
	cs.staff[userID] = st
	cs.staffOrder = append(cs.staffOrder, userID)
	return st
}

// SeedCustomers creates n customers of the corp, spread round-robin over
// staff (given the customer-contact feature if they lack it), and returns
// their external_userids. Customer i adds staff[i%len(staff)] by QR code
// (add_way 1) with state "seed"; no event is pushed. Every tenth customer
// the corp gets is a WeCom user of another corp (external_userid "wo...",
// type 2, with corp names and an external_profile); the others are WeChat
// users ("wm...", type 1) with a unionid.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (c *Corp) SeedCustomers(n int, staff []string) ([]string, error) {
	s, corpID := c.s, c.id
	if len(staff) == 0 && n > 0 {
		return nil, errors.New("wecomtest: SeedCustomers needs at least one member")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return nil, err
	}
	now := s.now().Unix()
	ids := make([]string, n)
	for i := range n {
		st := cs.addStaff(staff[i%len(staff)])
		ext := cs.newCustomer(s, fmt.Sprintf("Customer %d", cs.seq+1))
		cs.follow(st, ext, &followRec{CreateTime: now, OperUserID: ext, AddWay: 1, State: "seed"})
		ids[i] = ext
	}
	return ids, nil
}

func (cs *contactState) newCustomer(s *Server, name string) string {
	cs.seq++
	if cs.seq%10 == 0 {
		// every tenth customer is a WeCom user of another corp
		ext := "wo" + strconv.Itoa(cs.seq) + "x" + s.newID("")[:8]
		p := &wireProfile{ExternalAttr: make([]wireAttr, 3)}
		p.ExternalAttr[0].Name, p.ExternalAttr[0].Text = "Title", &struct {
			Value string `json:"value"`
		}{"Buyer"}
		p.ExternalAttr[1].Type, p.ExternalAttr[1].Name, p.ExternalAttr[1].Web = 1, "Site", &struct {
			URL   string `json:"url"`
			Title string `json:"title"`
		}{"https://example.invalid", "Home"}
		p.ExternalAttr[2].Type, p.ExternalAttr[2].Name, p.ExternalAttr[2].MiniProgram = 2, "Shop", &struct {
			AppID    string `json:"appid"`
			PagePath string `json:"pagepath"`
			Title    string `json:"title"`
		}{"wx0000000000000001", "/index", "Shop"}
		cs.customers[ext] = &fakeCustomer{contact: wireExternalContact{
			ExternalUserID: ext, Name: name, Type: 2, Gender: cs.seq % 3, Position: "Manager",
			CorpName: "Partner", CorpFullName: "Partner Trading Co., Ltd.", ExternalProfile: p,
			Avatar: "https://wecomtest.invalid/avatar/" + ext,
		}}
		return ext
	}
	ext := "wm" + strconv.Itoa(cs.seq) + "x" + s.newID("")[:8]
	union := "ou" + ext
	cs.customers[ext] = &fakeCustomer{contact: wireExternalContact{
		ExternalUserID: ext, Name: name, Type: 1, Gender: cs.seq % 3, UnionID: union,
		Avatar: "https://wecomtest.invalid/avatar/" + ext,
	}}
	cs.byUnionID[union] = ext
	return ext
}

// follow records that st follows customer ext (the relation f, whose UserID
// is set here). An existing relation is replaced.
func (cs *contactState) follow(st *fakeStaff, ext string, f *followRec) {
	f.UserID = st.userID
	if _, ok := st.follows[ext]; !ok {
		st.customers = append(st.customers, ext)
		c := cs.customers[ext]
		c.followers = append(c.followers, st.userID)
	}
	st.follows[ext] = f
	delete(st.former, ext)
	cs.notify()
}

// unfollow removes the relation between st and customer ext.
func (cs *contactState) unfollow(st *fakeStaff, ext string) {
	if _, ok := st.follows[ext]; !ok {
		return
	}
	delete(st.follows, ext)
	st.customers = removeString(st.customers, ext)
	if c := cs.customers[ext]; c != nil {
		c.followers = removeString(c.followers, st.userID)
	}
	cs.notify()
}

func removeString(list []string, v string) []string {
	for i, x := range list {
		if x == v {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

// Followers returns the members who have the customer, in the order the
// customer added them. A member who resigned or hands the customer over
// keeps it until the takeover completes, as in WeCom.
func (c *Corp) Followers(externalUserID string) []string {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return nil
	}
	cs.settle(s.now())
	if c := cs.customers[externalUserID]; c != nil {
		return append([]string(nil), c.followers...)
	}
	return nil
}

// ResignStaff plays a member leaving the corp (离职): they leave
// get_follow_user_list, their customers appear in get_unassigned_list with
// the resignation time until resigned/transfer_customer hands them on (the
// takeover completes 24 hours later, see CompleteTakeovers), and the groups
// they own show status 1 (owner resigned) in groupchat/list until
// groupchat/transfer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92124
func (c *Corp) ResignStaff(userID string) error {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return err
	}
	st := cs.staff[userID]
	if st == nil {
		return fmt.Errorf("%w: member %q", ErrNotFound, userID)
	}
	st.resigned = true
	st.dimission = s.now().Unix()
	return nil
}

// CompleteTakeovers finishes every waiting customer transfer of the corp
// now, as if WeCom's 24 hours had passed: the customers move to their
// takeover members and transfer_result reports status 1. It returns how
// many completed. Waiting transfers also complete by themselves once the
// server clock (WithClock) passes their takeover_time.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
func (c *Corp) CompleteTakeovers() int {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return 0
	}
	return cs.settleAll(s.now(), true)
}

// SetContactPageLimit caps the pages whose size WeCom fixes (follow users of
// externalcontact/get: 500, transfer_result: 1000, get_unassigned_list:
// 1000) at n, so that tests page through small data. n <= 0 restores
// WeCom's sizes.
func (c *Corp) SetContactPageLimit(n int) {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs, err := s.contactLocked(corpID); err == nil {
		cs.pageLimit = max(n, 0)
	}
}

func (cs *contactState) pageSize(def int) int {
	if cs.pageLimit > 0 && cs.pageLimit < def {
		return cs.pageLimit
	}
	return def
}

// --- cursors: opaque to clients, plain offsets inside ---

func encodeCursor(parts ...int) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = strconv.Itoa(p)
	}
	return base64.RawURLEncoding.EncodeToString([]byte("c:" + strings.Join(s, ":")))
}

// decodeCursor decodes a cursor of n parts; "" is all zeros.
func decodeCursor(c string, n int) ([]int, *apiError) {
	out := make([]int, n)
	if c == "" {
		return out, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.Split(strings.TrimPrefix(string(b), "c:"), ":")
	if err != nil || !strings.HasPrefix(string(b), "c:") || len(parts) != n {
		return nil, errf(40058, "invalid cursor")
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return nil, errf(40058, "invalid cursor")
		}
		out[i] = v
	}
	return out, nil
}

// chinaMidnight rounds t down to 00:00 China time (UTC+8), as WeCom's
// statistics do.
func chinaMidnight(t int64) int64 {
	const off = 8 * 3600
	return (t+off)/86400*86400 - off
}

// handleContact registers a customer-contact route; waiting transfers whose
// time has come are completed before the handler runs.
func (s *Server) handleContact(method, path string, h handlerFunc) {
	s.handle(method, path, authCorp, func(c *call) (any, *apiError) {
		c.corp.contact.settle(c.s.now())
		defer c.corp.contact.notify() // a welcome, a tag, a remark may have changed
		return h(c)
	})
}

// routeContact serves the externalcontact endpoints of customers, tags,
// contact ways, inheritance and statistics.
func (s *Server) routeContact() {
	s.routeContactCustomers()
	s.routeContactTags()
	s.routeContactWays()
	s.routeContactTransfer()
	s.routeContactStats()
	s.routeContactStrategy()
	s.routeContactAlbum()
	s.routeContactIntercept()
	s.routeContactList()
}
