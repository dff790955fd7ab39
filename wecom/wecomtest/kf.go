package wecomtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// KF is a handle on one corp's WeChat customer service (微信客服): its
// accounts and their servicers, the WeChat customers who open an
// account's link, write and recall messages, and the sessions between
// them. The customers' acts append messages and events to what sync_msg
// serves and push kf_msg_or_event, with a fresh token, to the corp's
// callback (Corp.SetCallback) when it has one. Get it with Corp.KF.
//
// The fake enforces the rules of WeCom's pages: sync_msg's tokens (10
// minutes), cursors, has_more and three-day retention; send_msg's window
// (48 hours after the customer's last message, 5 messages) and the session
// states it may send in; the session-state moves of service_state/trans;
// the event codes of send_msg_on_event (once, within their time, in their
// state, with their message types); the limits of accounts, servicers,
// customers, the knowledge base and statistics days. Where a page names no
// errcode, the fake answers 40058 (invalid parameter) and says so on the
// rule.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
type KF struct{ c *Corp }

// KF returns the handle on the corp's WeChat customer service.
func (c *Corp) KF() *KF { return &KF{c: c} }

// Timing rules of the fake's customer service, as WeCom's pages give them.
const (
	// KFRetention is how far back sync_msg reads (最近3天).
	KFRetention = 72 * time.Hour
	// KFTokenLife is how long a kf_msg_or_event token works in sync_msg.
	KFTokenLife = 10 * time.Minute
	// KFSendWindow is how long after a customer's message the account may
	// send (48 hours), and KFSendLimit how many messages (5).
	KFSendWindow = 48 * time.Hour
	KFSendLimit  = 5
	// KFTokenlessSyncLimit is how many sync_msg calls without a token the
	// fake answers per account per minute before 45009. WeCom says only
	// that such calls are strictly limited; the number is the fake's.
	KFTokenlessSyncLimit = 10
)

// kfState is a corp's customer service; Server.mu guards it.
type kfState struct {
	accounts     map[string]*kfAccount
	accountOrder []string
	links        map[string]*kfLink // enc_scene → link
	customers    map[string]*kfCustomer
	sessions     map[kfKey]*kfSession
	msgs         []*kfMsg // in order; seq is the index + 1
	tokens       map[string]*kfToken
	codes        map[string]*kfCode
	sent         []KFSent
	sentIDs      map[string]bool // account + "/" + msgid
	tokenless    map[string][]time.Time
	pageSize     int

	groups      map[string]*kfGroup
	groupOrder  []string
	intents     map[string]*kfIntent
	intentOrder []string

	upgradeMembers []string
	upgradeDeps    []int
	upgradeChats   []string

	taken   []kfTaken // sessions handed to servicers, for statistics
	started []kfTaken // sessions opened by a customer's message
	seq     int
}

func newKFState() *kfState {
	return &kfState{accounts: map[string]*kfAccount{}, links: map[string]*kfLink{}, customers: map[string]*kfCustomer{},
		sessions: map[kfKey]*kfSession{}, tokens: map[string]*kfToken{}, codes: map[string]*kfCode{},
		sentIDs: map[string]bool{}, tokenless: map[string][]time.Time{}, groups: map[string]*kfGroup{}, intents: map[string]*kfIntent{}}
}

type kfAccount struct {
	id, name, mediaID string
	servicers         map[string]*kfServicer
	servicerOrder     []string
	departments       []int
}

type kfServicer struct {
	userID   string
	status   int // 0 receiving, 1 stopped (servicer/list)
	stopType int // 0 stopped, 1 paused
}

type kfLink struct{ account, scene string }

type kfCustomer struct {
	id, nickname, avatar, unionID string
	gender                        int
	enteredAt, wroteAt, welcomed  time.Time
	scene, sceneParam             string
	seq                           int
}

type kfKey struct{ account, customer string }

type kfSession struct {
	state       int
	servicer    string
	lastMsg     time.Time // the customer's last message
	sentSince   int       // send_msg since then
	queuedOnce  bool      // a queue code was issued in this session
	servicerOne bool      // a taken code was issued in this session
}

type kfToken struct {
	account string
	expires time.Time
}

// kfCode kinds: what an event code answers, as send_msg_on_event's table
// lists them.
const (
	kfCodeWelcome = "welcome" // enter_session: 20 s, text or menu, any state
	kfCodeQueue   = "queue"   // moved to the queue: 48 h, text, state 2
	kfCodeTaken   = "taken"   // taken by a servicer: 48 h, text, state 3
	kfCodeEnd     = "end"     // ended: 20 s, text or menu, state 4
)

type kfCode struct {
	kind              string
	account, customer string
	expires           time.Time
	used              bool
}

type kfTaken struct {
	account, servicer string
	at                time.Time
}

type kfGroup struct {
	id, name  string
	isDefault bool
}

type kfIntent struct {
	id, group string
	w         kfWireIntent
}

// kfMsg is one message sync_msg serves.
type kfMsg struct {
	seq            int
	account        string
	at             time.Time
	MsgID          string `json:"msgid"`
	OpenKfID       string `json:"open_kfid,omitempty"`
	ExternalUserID string `json:"external_userid,omitempty"`
	SendTime       int64  `json:"send_time"`
	Origin         int    `json:"origin"`
	ServicerUserID string `json:"servicer_userid,omitempty"`
	MsgType        string `json:"msgtype"`
	body           any
}

// MarshalJSON writes the message with its body under its msgtype.
func (m *kfMsg) MarshalJSON() ([]byte, error) {
	type env kfMsg
	head, err := json.Marshal((*env)(m))
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(m.body)
	if err != nil {
		return nil, err
	}
	out := append(head[:len(head)-1:len(head)-1], `,"`...)
	out = append(out, m.MsgType...)
	out = append(out, `":`...)
	out = append(out, body...)
	return append(out, '}'), nil
}

// KFMessage is a message a customer writes (KF.Write). Build one with
// KFText, KFMenuReply, KFImage, KFVoice, KFVideo, KFFile, KFLocation,
// KFLink, KFBusinessCard, KFMiniProgram, KFChannelsShopProduct or
// KFRawMessage.
type KFMessage struct {
	MsgType string
	body    any
}

// KFText is a text message.
func KFText(content string) KFMessage {
	return KFMessage{MsgType: "text", body: struct {
		Content string `json:"content"`
	}{content}}
}

// KFMenuReply is the text a customer's tap on a menu's click item sends:
// the item's content, with its id as menu_id.
func KFMenuReply(menuID, content string) KFMessage {
	return KFMessage{MsgType: "text", body: struct {
		Content string `json:"content"`
		MenuID  string `json:"menu_id"`
	}{content, menuID}}
}

func kfMedia(typ, mediaID string) KFMessage {
	return KFMessage{MsgType: typ, body: struct {
		MediaID string `json:"media_id"`
	}{mediaID}}
}

// KFImage is an image message with a media id of the fake's.
func KFImage(mediaID string) KFMessage { return kfMedia("image", mediaID) }

// KFVoice is a voice message.
func KFVoice(mediaID string) KFMessage { return kfMedia("voice", mediaID) }

// KFVideo is a video message.
func KFVideo(mediaID string) KFMessage { return kfMedia("video", mediaID) }

// KFFile is a file message.
func KFFile(mediaID string) KFMessage { return kfMedia("file", mediaID) }

// KFLocation is a location message.
func KFLocation(latitude, longitude float64, name, address string) KFMessage {
	return KFMessage{MsgType: "location", body: struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	}{latitude, longitude, name, address}}
}

// KFLink is a link message.
func KFLink(title, desc, linkURL, picURL string) KFMessage {
	return KFMessage{MsgType: "link", body: struct {
		Title  string `json:"title"`
		Desc   string `json:"desc"`
		URL    string `json:"url"`
		PicURL string `json:"pic_url"`
	}{title, desc, linkURL, picURL}}
}

// KFBusinessCard is a member's business card the customer forwards.
func KFBusinessCard(userID string) KFMessage {
	return KFMessage{MsgType: "business_card", body: struct {
		UserID string `json:"userid"`
	}{userID}}
}

// KFMiniProgram is a mini-program card.
func KFMiniProgram(title, appID, pagePath, thumbMediaID string) KFMessage {
	return KFMessage{MsgType: "miniprogram", body: struct {
		Title        string `json:"title"`
		AppID        string `json:"appid"`
		PagePath     string `json:"pagepath"`
		ThumbMediaID string `json:"thumb_media_id"`
	}{title, appID, pagePath, thumbMediaID}}
}

// KFChannelsShopProduct is a 视频号 shop product.
func KFChannelsShopProduct(productID, title, salesPrice, shopNickname string) KFMessage {
	return KFMessage{MsgType: "channels_shop_product", body: struct {
		ProductID    string `json:"product_id"`
		HeadImage    string `json:"head_image"`
		Title        string `json:"title"`
		SalesPrice   string `json:"sales_price"`
		ShopNickname string `json:"shop_nickname"`
	}{productID, "https://wecomtest.invalid/product/" + productID, title, salesPrice, shopNickname}}
}

// KFRawMessage is a message of any type with body as its JSON: a type
// WeCom may add, to see that a client keeps what it does not know.
func KFRawMessage(msgType string, body json.RawMessage) KFMessage {
	return KFMessage{MsgType: msgType, body: body}
}

// kfEvent is the body of an event message.
type kfEvent struct {
	EventType      string          `json:"event_type"`
	OpenKfID       string          `json:"open_kfid,omitempty"`
	ExternalUserID string          `json:"external_userid,omitempty"`
	ServicerUserID string          `json:"servicer_userid,omitempty"`
	Scene          string          `json:"scene,omitempty"`
	SceneParam     string          `json:"scene_param,omitempty"`
	WelcomeCode    string          `json:"welcome_code,omitempty"`
	RecallMsgID    string          `json:"recall_msgid,omitempty"`
	Status         int             `json:"status,omitempty"`
	StopType       *int            `json:"stop_type,omitempty"`
	ChangeType     int             `json:"change_type,omitempty"`
	OldServicer    string          `json:"old_servicer_userid,omitempty"`
	NewServicer    string          `json:"new_servicer_userid,omitempty"`
	MsgCode        string          `json:"msg_code,omitempty"`
	FailMsgID      string          `json:"fail_msgid,omitempty"`
	FailType       *int            `json:"fail_type,omitempty"`
	WechatChannels json.RawMessage `json:"wechat_channels,omitempty"`
}

// KFSent is a message the app sent to a customer (send_msg, or
// send_msg_on_event with a code).
type KFSent struct {
	OpenKfID       string
	ExternalUserID string
	MsgID          string
	MsgType        string
	// Body is the message's body as sent (the object under its msgtype).
	Body json.RawMessage
	// Code is the kind of event code it answered ("welcome", "queue",
	// "taken", "end"); "" for send_msg.
	Code string
	At   time.Time
}

// Text returns the content of a text message ("" for other types).
func (m KFSent) Text() string {
	var t struct {
		Content string `json:"content"`
	}
	if m.MsgType == "text" {
		_ = json.Unmarshal(m.Body, &t)
	}
	return t.Content
}

// KFSession is a session as the fake holds it.
type KFSession struct {
	State int // 0 untreated, 1 bot, 2 queued, 3 servicer, 4 ended / not started
	// ServicerUserID is the servicer in state 3.
	ServicerUserID string
	// LastCustomerMessage is when the customer last wrote; SentSince counts
	// send_msg calls since then.
	LastCustomerMessage time.Time
	SentSince           int
}

// KFEntry is what a customer opening an account's link produced.
type KFEntry struct {
	OpenKfID       string
	ExternalUserID string
	// MsgID is the enter_session event's msgid.
	MsgID string
	// WelcomeCode is the event's welcome_code: "" when the customer had a
	// welcome or wrote within the past 48 hours.
	WelcomeCode string
}

func (s *Server) kfLocked(corpID string) (*kfState, error) {
	c := s.corps[corpID]
	if c == nil {
		return nil, fmt.Errorf("%w: corp %q", ErrNotFound, corpID)
	}
	return c.kf, nil
}

// AddAccountInAdmin plays an admin creating a customer-service account in
// the admin console and handing it to the API: it returns its open_kfid.
func (k *KF) AddAccountInAdmin(name string) (string, error) {
	s := k.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil {
		return "", err
	}
	return ks.addAccount(s, name, ""), nil
}

func (ks *kfState) addAccount(s *Server, name, mediaID string) string {
	id := "wk" + s.newID("")
	ks.accounts[id] = &kfAccount{id: id, name: name, mediaID: mediaID, servicers: map[string]*kfServicer{}}
	ks.accountOrder = append(ks.accountOrder, id)
	return id
}

// SetSyncPageSize makes sync_msg return at most n messages a call
// whatever the limit asked (0: WeCom's, up to 1,000), so that tests reach
// has_more with few messages.
func (k *KF) SetSyncPageSize(n int) {
	s := k.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ks, err := s.kfLocked(k.c.id); err == nil {
		ks.pageSize = n
	}
}

// SetUpgradeService sets the 升级服务 configuration: the members,
// departments and customer groups upgrade_service may recommend.
func (k *KF) SetUpgradeService(members []string, departments []int, chatIDs []string) error {
	s := k.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil {
		return err
	}
	ks.upgradeMembers = append([]string{}, members...)
	ks.upgradeDeps = append([]int{}, departments...)
	ks.upgradeChats = append([]string{}, chatIDs...)
	return nil
}

// appendLocked adds a message for account and returns it.
func (ks *kfState) appendLocked(now time.Time, account string, m *kfMsg) *kfMsg {
	ks.seq++
	m.seq, m.account, m.at, m.SendTime = ks.seq, account, now, now.Unix()
	if m.MsgID == "" {
		m.MsgID = "msg" + strconv.Itoa(ks.seq) + "x" + strconv.FormatInt(now.UnixNano()%1e9, 36)
	}
	ks.msgs = append(ks.msgs, m)
	return m
}

// pushLocked issues a token for account and returns the push to make
// once s.mu is released: the corp's pusher and the XML (nil pusher: no
// callback, nothing to push).
func (k *KF) pushLocked(ks *kfState, account string) (*Pusher, []byte) {
	s := k.c.s
	p := k.c.pusherLocked()
	if p == nil {
		return nil, nil
	}
	tok := "ENC" + s.newID("")
	ks.tokens[tok] = &kfToken{account: account, expires: s.now().Add(KFTokenLife)}
	return p, KFMsgOrEventXML(k.c.id, tok, account, s.now())
}

func (k *KF) push(ctx context.Context, p *Pusher, xml []byte) error {
	if p == nil {
		return nil
	}
	return k.c.push(ctx, p, xml)
}

// OpenLink plays a WeChat user opening an account's link (kf/add_contact_way's
// url, with "&scene_param=" appended as the SDK's SceneURL does, or not):
// an enter_session event with the link's scene and the scene_param,
// decoded, and a welcome_code when the customer had no welcome and did not
// write in the past 48 hours (valid 20 seconds, once). externalUserID ""
// is a new customer. The session, if the customer has none, is "not
// started" (state 4) until they write.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
func (k *KF) OpenLink(ctx context.Context, link, externalUserID string) (*KFEntry, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: %q is not a link: %w", link, err)
	}
	enc := u.Query().Get("enc_scene")
	sceneParam := u.Query().Get("scene_param")
	s := k.c.s
	s.mu.Lock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	l := ks.links[enc]
	if l == nil || ks.accounts[l.account] == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: customer-service link %q (make it with kf/add_contact_way)", ErrNotFound, link)
	}
	if sceneParam != "" && l.scene == "" {
		s.mu.Unlock()
		return nil, errors.New("wecomtest: a link made without a scene takes no scene_param")
	}
	now := s.now()
	cu := ks.customers[externalUserID]
	if externalUserID == "" {
		ks.seq++
		id := "wmkf" + strconv.Itoa(ks.seq) + "x" + s.newID("")[:8]
		cu = &kfCustomer{id: id, nickname: "客户" + strconv.Itoa(len(ks.customers)+1), gender: ks.seq % 3,
			avatar: "https://wecomtest.invalid/kf/avatar/" + id, unionID: "ou" + id}
		ks.customers[id] = cu
	} else if cu == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: customer-service customer %q", ErrNotFound, externalUserID)
	}
	cu.enteredAt, cu.scene, cu.sceneParam = now, l.scene, sceneParam
	entry := &KFEntry{OpenKfID: l.account, ExternalUserID: cu.id}
	if now.Sub(cu.welcomed) >= KFSendWindow && now.Sub(cu.wroteAt) >= KFSendWindow {
		entry.WelcomeCode = "WELCOME" + s.newID("")
		ks.codes[entry.WelcomeCode] = &kfCode{kind: kfCodeWelcome, account: l.account, customer: cu.id, expires: now.Add(20 * time.Second)}
	}
	if ks.sessions[kfKey{l.account, cu.id}] == nil {
		ks.sessions[kfKey{l.account, cu.id}] = &kfSession{state: 4}
	}
	m := ks.appendLocked(now, l.account, &kfMsg{Origin: 4, MsgType: "event", body: kfEvent{EventType: "enter_session",
		OpenKfID: l.account, ExternalUserID: cu.id, Scene: l.scene, SceneParam: sceneParam, WelcomeCode: entry.WelcomeCode}})
	entry.MsgID = m.MsgID
	p, xml := k.pushLocked(ks, l.account)
	s.mu.Unlock()
	return entry, k.push(ctx, p, xml)
}

// Write plays a customer writing msg to an account: a session that had
// ended (or not started) becomes untreated (state 0), and the send window
// opens again: 48 hours, 5 messages. It returns the message's msgid.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94677
func (k *KF) Write(ctx context.Context, openKfID, externalUserID string, msg KFMessage) (string, error) {
	if msg.MsgType == "" || msg.body == nil {
		return "", errors.New("wecomtest: KF.Write needs a message (KFText, KFImage...)")
	}
	s := k.c.s
	s.mu.Lock()
	ks, cu, err := k.customerLocked(openKfID, externalUserID)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	now := s.now()
	cu.wroteAt = now
	ses := ks.sessions[kfKey{openKfID, externalUserID}]
	if ses == nil || ses.state == 4 {
		ses = &kfSession{state: 0}
		ks.sessions[kfKey{openKfID, externalUserID}] = ses
		ks.started = append(ks.started, kfTaken{account: openKfID, at: now})
	}
	ses.lastMsg, ses.sentSince = now, 0
	m := ks.appendLocked(now, openKfID, &kfMsg{OpenKfID: openKfID, ExternalUserID: externalUserID, Origin: 3,
		MsgType: msg.MsgType, body: msg.body})
	p, xml := k.pushLocked(ks, openKfID)
	s.mu.Unlock()
	return m.MsgID, k.push(ctx, p, xml)
}

func (k *KF) customerLocked(openKfID, externalUserID string) (*kfState, *kfCustomer, error) {
	ks, err := k.c.s.kfLocked(k.c.id)
	if err != nil {
		return nil, nil, err
	}
	if ks.accounts[openKfID] == nil {
		return nil, nil, fmt.Errorf("%w: customer-service account %q", ErrNotFound, openKfID)
	}
	cu := ks.customers[externalUserID]
	if cu == nil {
		return nil, nil, fmt.Errorf("%w: customer-service customer %q (open a link first: KF.OpenLink)", ErrNotFound, externalUserID)
	}
	return ks, cu, nil
}

// Recall plays a customer recalling one of their messages: a
// user_recall_msg event naming it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
func (k *KF) Recall(ctx context.Context, openKfID, externalUserID, msgID string) error {
	s := k.c.s
	s.mu.Lock()
	ks, _, err := k.customerLocked(openKfID, externalUserID)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	found := false
	for _, m := range ks.msgs {
		if m.MsgID == msgID && m.account == openKfID && m.ExternalUserID == externalUserID && m.Origin == 3 {
			found = true
		}
	}
	if !found {
		s.mu.Unlock()
		return fmt.Errorf("%w: message %q of %s to %s", ErrNotFound, msgID, externalUserID, openKfID)
	}
	ks.appendLocked(s.now(), openKfID, &kfMsg{Origin: 4, MsgType: "event", body: kfEvent{EventType: "user_recall_msg",
		OpenKfID: openKfID, ExternalUserID: externalUserID, RecallMsgID: msgID}})
	p, xml := k.pushLocked(ks, openKfID)
	s.mu.Unlock()
	return k.push(ctx, p, xml)
}

// SetServicerStatus plays a servicer starting (receiving true) or
// stopping to receive sessions in the WeCom client: a
// servicer_status_change event. A stopped servicer cannot be handed a
// session (95019).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
func (k *KF) SetServicerStatus(ctx context.Context, openKfID, userID string, receiving bool) error {
	s := k.c.s
	s.mu.Lock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	a := ks.accounts[openKfID]
	if a == nil || a.servicers[userID] == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: servicer %q of account %q", ErrNotFound, userID, openKfID)
	}
	sv := a.servicers[userID]
	ev := kfEvent{EventType: "servicer_status_change", OpenKfID: openKfID, ServicerUserID: userID, Status: 1}
	sv.status, sv.stopType = 0, 0
	if !receiving {
		sv.status, ev.Status = 1, 2
		zero := 0
		ev.StopType = &zero
	}
	ks.appendLocked(s.now(), openKfID, &kfMsg{Origin: 4, MsgType: "event", body: ev})
	p, xml := k.pushLocked(ks, openKfID)
	s.mu.Unlock()
	return k.push(ctx, p, xml)
}

// Session returns a customer's session with an account, and false when
// there is none.
func (k *KF) Session(openKfID, externalUserID string) (KFSession, bool) {
	s := k.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil {
		return KFSession{}, false
	}
	ses := ks.sessions[kfKey{openKfID, externalUserID}]
	if ses == nil {
		return KFSession{}, false
	}
	return KFSession{State: ses.state, ServicerUserID: ses.servicer, LastCustomerMessage: ses.lastMsg, SentSince: ses.sentSince}, true
}

// Sent returns the messages the app sent to a customer of an account, in
// order.
func (k *KF) Sent(openKfID, externalUserID string) []KFSent {
	s := k.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil {
		return nil
	}
	var out []KFSent
	for _, m := range ks.sent {
		if m.OpenKfID == openKfID && m.ExternalUserID == externalUserID {
			out = append(out, m)
		}
	}
	return out
}

// Accounts returns the open_kfids of the corp's accounts, in the order
// they were made.
func (k *KF) Accounts() []string {
	s := k.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil {
		return nil
	}
	return append([]string(nil), ks.accountOrder...)
}

// Servicers returns the userids of an account's servicers, sorted.
func (k *KF) Servicers(openKfID string) []string {
	s := k.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, err := s.kfLocked(k.c.id)
	if err != nil || ks.accounts[openKfID] == nil {
		return nil
	}
	out := append([]string(nil), ks.accounts[openKfID].servicerOrder...)
	sort.Strings(out)
	return out
}
