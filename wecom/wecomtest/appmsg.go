package wecomtest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultAgentID is the agentid of every corp's self-built app in the fake
// (AppMessages.SetAgentID changes it). A client sending application
// messages as that app is given it with wecom.WithAgentID.
const DefaultAgentID = 1000002

// The rules of application messages the fake plays (90236, 94888, 94867).
const (
	appMsgMaxUsers     = 1000
	appMsgMaxParties   = 100
	appMsgMaxTags      = 100
	appMsgDupDefault   = 1800 * time.Second
	appMsgDupMax       = 4 * time.Hour
	responseCodeLife   = 72 * time.Hour
	appMsgRecallWindow = 24 * time.Hour
)

// appMsgState is a corp's application messages: what was sent, what each
// member received (and the state of their copy of a card), the response
// codes issued, task ids and the duplicate check. Server.mu guards it.
type appMsgState struct {
	agentID int
	msgs    map[string]*fakeAppMsg
	order   []string
	inbox   map[string][]*appDelivery // lower-cased userid → what the member received, oldest first
	codes   map[string]*fakeRespCode
	tasks   map[string]string    // app + "\x00" + task_id → msgid
	dups    map[string]dupRecord // app + "\x00" + request hash → the first such request
}

type dupRecord struct {
	msgID string
	at    time.Time
}

type fakeAppMsg struct {
	id       string
	app      string // "" self-built, else the suite id
	agentID  int
	msgType  string
	body     json.RawMessage
	sentAt   time.Time
	recalled bool
	to       []string // lower-cased userids it reached
	card     *wireCard
}

// appDelivery is one member's copy of a message.
type appDelivery struct {
	msg      *fakeAppMsg
	card     json.RawMessage // the card as the member sees it (template cards)
	replaced string          // the text the greyed-out buttons show ("" not greyed out)
	updates  int
}

type fakeRespCode struct {
	msg    *fakeAppMsg
	issued time.Time
	used   bool
}

// wireCard is the part of a template card the fake reads.
type wireCard struct {
	CardType   string `json:"card_type"`
	TaskID     string `json:"task_id"`
	ActionMenu *struct {
		ActionList []struct {
			Key string `json:"key"`
		} `json:"action_list"`
	} `json:"action_menu"`
	ButtonList []struct {
		Type int    `json:"type"`
		Key  string `json:"key"`
	} `json:"button_list"`
	SubmitButton *struct {
		Key string `json:"key"`
	} `json:"submit_button"`
	ReplaceText string `json:"replace_text"`
}

// interactive reports whether the card comes back (answers a response
// code when sent).
func (w *wireCard) interactive() bool {
	switch w.CardType {
	case "button_interaction", "vote_interaction", "multiple_interaction":
		return true
	}
	return false
}

func newAppMsgState() *appMsgState {
	return &appMsgState{agentID: DefaultAgentID, msgs: map[string]*fakeAppMsg{}, inbox: map[string][]*appDelivery{},
		codes: map[string]*fakeRespCode{}, tasks: map[string]string{}, dups: map[string]dupRecord{}}
}

// AppMessages is a handle on one corp's application messages (应用消息):
// what members received from its apps, and members acting on template
// cards. Get it with Corp.AppMessages.
//
// message/send reaches the members named (userids, or for a third-party
// app the open_userids it sees), the members of the departments (and their
// sub-departments) and tags named, or everyone (@all): the members of
// the address book (Corp.Directory) and those given the customer-contact
// feature (Corp.AddStaff). Unknown members, departments and tags come back
// in invaliduser, invalidparty and invalidtag, members without a licence
// (Directory.SetUnlicensed) in unlicenseduser; when none is reached the
// answer is 81013. The agentid must be the calling app's (301002
// otherwise). With enable_duplicate_check a request identical to one of
// the last duplicate_check_interval (default 1800 s) reaches no one again.
// The media ids a message names (an image, voice, video or file message,
// mpnews thumbnails, a template card's attachment lines, in sends and in
// update_template_card) must be live temporary uploads of the corp's
// type: 40007 otherwise, three days after the upload included.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
type AppMessages struct{ c *Corp }

// AppMessages returns the handle on the corp's application messages.
func (c *Corp) AppMessages() *AppMessages { return &AppMessages{c: c} }

// AppMessage is one application message as a member received it.
type AppMessage struct {
	MsgID    string
	MsgType  string
	AgentID  int
	App      string // "" for the corp's self-built app, else the suite id
	SentAt   time.Time
	Recalled bool
	// Content is the text of a text or markdown message.
	Content string
	// Body is the message object as sent (the value under its msgtype).
	Body json.RawMessage
	// For template cards: the card's task id and type, the card as the
	// member sees it now, the text its greyed-out buttons show ("" while
	// they can be pressed) and how many updates reached the member's copy.
	TaskID         string
	CardType       string
	Card           json.RawMessage
	ReplacedButton string
	Updates        int
}

// SetAgentID sets the agentid of the corp's self-built app (default
// DefaultAgentID).
func (a *AppMessages) SetAgentID(agentID int) {
	s := a.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, err := a.c.stateLocked(); err == nil {
		st.appmsg.agentID = agentID
	}
}

// AgentID returns the agentid of the corp's self-built app.
func (a *AppMessages) AgentID() int {
	s := a.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, err := a.c.stateLocked(); err == nil {
		return st.appmsg.agentID
	}
	return 0
}

// Received returns the application messages userID received, oldest
// first (recalled ones included, marked).
func (a *AppMessages) Received(userID string) []AppMessage {
	s := a.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := a.c.stateLocked()
	if err != nil {
		return nil
	}
	var out []AppMessage
	for _, d := range st.appmsg.inbox[strings.ToLower(userID)] {
		out = append(out, d.view())
	}
	return out
}

func (d *appDelivery) view() AppMessage {
	m := d.msg
	v := AppMessage{MsgID: m.id, MsgType: m.msgType, AgentID: m.agentID, App: m.app, SentAt: m.sentAt, Recalled: m.recalled,
		Body: slices.Clone(m.body), Card: slices.Clone(d.card), ReplacedButton: d.replaced, Updates: d.updates}
	if m.msgType == "text" || m.msgType == "markdown" {
		var c struct {
			Content string `json:"content"`
		}
		_ = json.Unmarshal(m.body, &c)
		v.Content = c.Content
	}
	if m.card != nil {
		v.TaskID, v.CardType = m.card.TaskID, m.card.CardType
	}
	return v
}

// callerAgentID is the agentid of the app behind the call. s.mu is held.
func (c *call) callerAgentID() int {
	if a := c.s.appAuthLocked(c); a != nil {
		return a.agentID
	}
	return c.corp.appmsg.agentID
}

// reachable lists the members a corp's app messages can reach: the
// address book's and the customer-contact staff, by lower-cased userid.
func (c *call) reachable() map[string]string {
	out := map[string]string{}
	for k, u := range c.corp.directory.users {
		out[k] = u.UserID
	}
	for id := range c.corp.contact.staff {
		if _, ok := out[strings.ToLower(id)]; !ok {
			out[strings.ToLower(id)] = id
		}
	}
	return out
}

// memberID resolves a userid (or a third-party app's open_userid) to the
// lower-cased userid of a reachable member, or "".
func (c *call) memberID(id string, all map[string]string) string {
	if _, ok := all[strings.ToLower(id)]; ok {
		return strings.ToLower(id)
	}
	if kind, suite := c.callerApp(); kind == appThirdParty {
		for k, uid := range all {
			if openUserID(suite, c.corp.ID, uid) == id {
				return k
			}
		}
	}
	return ""
}

// deptMembers returns the members of department id and its
// sub-departments.
func (ds *directoryState) deptMembers(id int) []string {
	in := map[int]bool{}
	for _, d := range ds.descendants(id) {
		in[d] = true
	}
	var out []string
	for _, k := range ds.userOrder {
		if slices.ContainsFunc(ds.users[k].Departments, func(d int) bool { return in[d] }) {
			out = append(out, k)
		}
	}
	return out
}

type wireAppMsgSend struct {
	ToUser                 string          `json:"touser"`
	ToParty                string          `json:"toparty"`
	ToTag                  string          `json:"totag"`
	MsgType                string          `json:"msgtype"`
	AgentID                int             `json:"agentid"`
	Safe                   int             `json:"safe"`
	EnableIDTrans          int             `json:"enable_id_trans"`
	EnableDuplicateCheck   int             `json:"enable_duplicate_check"`
	DuplicateCheckInterval int             `json:"duplicate_check_interval"`
	SelectedTicketList     []string        `json:"selected_ticket_list"`
	OnlyUnauth             bool            `json:"only_unauth"`
	Text                   json.RawMessage `json:"text"`
	Image                  json.RawMessage `json:"image"`
	Voice                  json.RawMessage `json:"voice"`
	Video                  json.RawMessage `json:"video"`
	File                   json.RawMessage `json:"file"`
	TextCard               json.RawMessage `json:"textcard"`
	News                   json.RawMessage `json:"news"`
	MpNews                 json.RawMessage `json:"mpnews"`
	Markdown               json.RawMessage `json:"markdown"`
	MiniProgramNotice      json.RawMessage `json:"miniprogram_notice"`
	TemplateCard           json.RawMessage `json:"template_card"`
	TemplateMsg            json.RawMessage `json:"template_msg"`
}

func (w *wireAppMsgSend) body() (json.RawMessage, bool) {
	m := map[string]json.RawMessage{"text": w.Text, "image": w.Image, "voice": w.Voice, "video": w.Video,
		"file": w.File, "textcard": w.TextCard, "news": w.News, "mpnews": w.MpNews, "markdown": w.Markdown,
		"miniprogram_notice": w.MiniProgramNotice, "template_card": w.TemplateCard, "template_msg": w.TemplateMsg}
	b, ok := m[w.MsgType]
	return b, ok
}

// appMsgMedia checks the media ids a message body names: the media_id of
// an image, voice, video or file message (an upload of that type), the
// thumb_media_id of each mpnews article (an image) and the media_id of a
// template card's attachment line (horizontal_content_list type 2). Each
// must be a live temporary upload of the corp: 40007 otherwise, three
// days after the upload included. s.mu is held.
func (c *call) appMsgMedia(msgType string, body json.RawMessage) *apiError {
	switch msgType {
	case "image", "voice", "video", "file":
		var m struct {
			MediaID string `json:"media_id"`
		}
		if json.Unmarshal(body, &m) != nil {
			return errf(40058, "invalid parameter: "+msgType)
		}
		return c.checkMedia(m.MediaID, msgType)
	case "mpnews":
		var m struct {
			Articles []struct {
				ThumbMediaID string `json:"thumb_media_id"`
			} `json:"articles"`
		}
		if json.Unmarshal(body, &m) != nil {
			return errf(40058, "invalid parameter: mpnews")
		}
		for _, a := range m.Articles {
			if e := c.checkMedia(a.ThumbMediaID, "image"); e != nil {
				return e
			}
		}
	case "template_card":
		var m struct {
			HorizontalContentList []struct {
				Type    int    `json:"type"`
				MediaID string `json:"media_id"`
			} `json:"horizontal_content_list"`
		}
		if json.Unmarshal(body, &m) != nil {
			return errf(40058, "invalid parameter: template_card")
		}
		for _, h := range m.HorizontalContentList {
			if h.Type != 2 {
				continue
			}
			if e := c.checkMedia(h.MediaID, ""); e != nil {
				return e
			}
		}
	}
	return nil
}

func splitPipe(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// routeAppMsg serves message/send, message/recall and
// message/update_template_card.
func (s *Server) routeAppMsg() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
	s.handle(http.MethodPost, "/cgi-bin/message/send", authCorp, func(c *call) (any, *apiError) {
		var req wireAppMsgSend
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		st := c.corp.appmsg
		if req.AgentID != c.callerAgentID() {
			return nil, errf(301002, "no privilege to access/modify contact/party/agent: agentid is not this token's app")
		}
		body, known := req.body()
		if !known {
			return nil, errf(40008, "invalid message type")
		}
		if len(body) == 0 || string(body) == "null" {
			return nil, errf(40058, "invalid parameter: "+req.MsgType+" missing")
		}
		kind, app := c.callerApp()
		if req.MsgType == "template_msg" && kind != appThirdParty {
			return nil, errf(48002, "api forbidden: template_msg is for third-party apps")
		}
		if req.Safe == 2 && req.MsgType != "mpnews" {
			return nil, errf(40058, "invalid parameter: safe 2 is for mpnews only")
		}
		if e := c.appMsgMedia(req.MsgType, body); e != nil {
			return nil, e
		}
		var card *wireCard
		if req.MsgType == "template_card" {
			card = new(wireCard)
			if err := json.Unmarshal(body, card); err != nil {
				return nil, errf(40058, "invalid parameter: template_card")
			}
			if card.TaskID != "" {
				if _, dup := st.tasks[app+"\x00"+card.TaskID]; dup {
					return nil, errf(40058, "invalid parameter: task_id already used by this app")
				}
			}
		}
		now := c.s.now()
		dupKey := ""
		if req.EnableDuplicateCheck == 1 {
			window := appMsgDupDefault
			if req.DuplicateCheckInterval > 0 {
				window = min(time.Duration(req.DuplicateCheckInterval)*time.Second, appMsgDupMax)
			}
			sum := sha256.Sum256(c.body)
			dupKey = app + "\x00" + hex.EncodeToString(sum[:])
			if d, ok := st.dups[dupKey]; ok && now.Sub(d.at) < window {
				return map[string]any{"invaliduser": "", "invalidparty": "", "invalidtag": "", "msgid": d.msgID}, nil
			}
		}

		users, parties, tags := splitPipe(req.ToUser), splitPipe(req.ToParty), splitPipe(req.ToTag)
		switch {
		case len(users) > appMsgMaxUsers:
			return nil, errf(40058, "invalid parameter: touser holds more than 1000 userids")
		case len(parties) > appMsgMaxParties:
			return nil, errf(40058, "invalid parameter: toparty holds more than 100 departments")
		case len(tags) > appMsgMaxTags:
			return nil, errf(40058, "invalid parameter: totag holds more than 100 tags")
		}
		all := c.reachable()
		ds := c.corp.directory
		var to []string
		reach := func(k string) {
			if !slices.Contains(to, k) {
				to = append(to, k)
			}
		}
		var badUsers, badParties, badTags, unlicensed []string
		if len(users) == 1 && users[0] == "@all" {
			for _, k := range ds.userOrder {
				reach(k)
			}
			for _, id := range c.corp.contact.staffOrder {
				reach(strings.ToLower(id))
			}
		} else {
			for _, u := range users {
				if k := c.memberID(u, all); k != "" {
					reach(k)
				} else {
					badUsers = append(badUsers, strings.ToLower(u))
				}
			}
			for _, p := range parties {
				id, err := strconv.Atoi(p)
				if err != nil || ds.depts[id] == nil {
					badParties = append(badParties, p)
					continue
				}
				for _, k := range ds.deptMembers(id) {
					reach(k)
				}
			}
			for _, t := range tags {
				id, err := strconv.Atoi(t)
				members, ok := ds.tags[id]
				if err != nil || !ok {
					badTags = append(badTags, t)
					continue
				}
				for _, k := range members {
					reach(k)
				}
			}
		}
		var delivered []string
		for _, k := range to {
			if u := ds.users[k]; u != nil && u.unlicensed {
				unlicensed = append(unlicensed, u.UserID)
				continue
			}
			delivered = append(delivered, k)
		}
		if len(delivered) == 0 && len(unlicensed) == 0 {
			return nil, errf(81013, "user & party & tag all invalid")
		}
		m := &fakeAppMsg{id: c.s.newID("appmsg-"), app: app, agentID: req.AgentID, msgType: req.MsgType,
			body: slices.Clone(body), sentAt: now, to: delivered, card: card}
		st.msgs[m.id] = m
		st.order = append(st.order, m.id)
		for _, k := range delivered {
			d := &appDelivery{msg: m}
			if card != nil {
				d.card = slices.Clone(body)
			}
			st.inbox[k] = append(st.inbox[k], d)
		}
		if dupKey != "" {
			st.dups[dupKey] = dupRecord{msgID: m.id, at: now}
		}
		out := map[string]any{"invaliduser": strings.Join(badUsers, "|"), "invalidparty": strings.Join(badParties, "|"),
			"invalidtag": strings.Join(badTags, "|"), "msgid": m.id}
		if len(unlicensed) > 0 {
			out["unlicenseduser"] = strings.Join(unlicensed, "|")
		}
		if card != nil {
			if card.TaskID != "" {
				st.tasks[app+"\x00"+card.TaskID] = m.id
			}
			if card.interactive() {
				code := c.s.newID("rc-")
				st.codes[code] = &fakeRespCode{msg: m, issued: now}
				out["response_code"] = code
			}
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94867
	s.handle(http.MethodPost, "/cgi-bin/message/recall", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			MsgID string `json:"msgid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		_, app := c.callerApp()
		m := c.corp.appmsg.msgs[req.MsgID]
		switch {
		case req.MsgID == "":
			return nil, errf(40058, "invalid parameter: msgid missing")
		case m == nil || m.app != app:
			return nil, errf(40058, "invalid parameter: unknown msgid")
		case c.s.now().Sub(m.sentAt) >= appMsgRecallWindow:
			return nil, errf(40058, "invalid parameter: only messages of the last 24 hours can be recalled")
		}
		m.recalled = true
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94888
	s.handle(http.MethodPost, "/cgi-bin/message/update_template_card", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			UserIDs       []string `json:"userids"`
			PartyIDs      []int    `json:"partyids"`
			TagIDs        []int    `json:"tagids"`
			AtAll         int      `json:"atall"`
			AgentID       int      `json:"agentid"`
			ResponseCode  string   `json:"response_code"`
			EnableIDTrans int      `json:"enable_id_trans"`
			Button        *struct {
				ReplaceName string `json:"replace_name"`
			} `json:"button"`
			TemplateCard json.RawMessage `json:"template_card"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		st := c.corp.appmsg
		if req.AgentID != c.callerAgentID() {
			return nil, errf(301002, "no privilege to access/modify contact/party/agent: agentid is not this token's app")
		}
		_, app := c.callerApp()
		rc := st.codes[req.ResponseCode]
		now := c.s.now()
		switch {
		case req.ResponseCode == "" || rc == nil || rc.msg.app != app:
			return nil, errf(40058, "invalid parameter: invalid response_code")
		case rc.used:
			return nil, errf(40058, "invalid parameter: response_code already used")
		case now.Sub(rc.issued) >= responseCodeLife:
			return nil, errf(40058, "invalid parameter: response_code expired")
		case (req.Button == nil) == (len(req.TemplateCard) == 0):
			return nil, errf(40058, "invalid parameter: give button or template_card")
		case req.Button != nil && (rc.msg.card == nil || !rc.msg.card.interactive()):
			return nil, errf(40058, "invalid parameter: only interaction cards have buttons to update")
		case len(req.UserIDs) > appMsgMaxUsers || len(req.PartyIDs) > appMsgMaxParties || len(req.TagIDs) > appMsgMaxTags:
			return nil, errf(40058, "invalid parameter: too many userids, partyids or tagids")
		}
		if len(req.TemplateCard) > 0 {
			if e := c.appMsgMedia("template_card", req.TemplateCard); e != nil {
				return nil, e
			}
		}
		rc.used = true
		m := rc.msg
		var targets []string
		var invalid []string
		if req.AtAll == 1 {
			targets = m.to
		} else {
			all := c.reachable()
			ds := c.corp.directory
			add := func(k string) {
				if slices.Contains(m.to, k) && !slices.Contains(targets, k) {
					targets = append(targets, k)
				}
			}
			for _, u := range req.UserIDs {
				k := c.memberID(u, all)
				if k == "" || !slices.Contains(m.to, k) {
					invalid = append(invalid, u)
					continue
				}
				add(k)
			}
			for _, p := range req.PartyIDs {
				for _, k := range ds.deptMembers(p) {
					add(k)
				}
			}
			for _, t := range req.TagIDs {
				for _, k := range ds.tags[t] {
					add(k)
				}
			}
		}
		for _, k := range targets {
			for _, d := range st.inbox[k] {
				if d.msg != m {
					continue
				}
				if req.Button != nil {
					d.replaced = req.Button.ReplaceName
				} else {
					d.card = slices.Clone(req.TemplateCard)
					var w wireCard
					_ = json.Unmarshal(req.TemplateCard, &w)
					d.replaced = w.ReplaceText
				}
				d.updates++
			}
		}
		if invalid == nil {
			invalid = []string{}
		}
		return map[string]any{"invaliduser": invalid}, nil
	})
}

// CardChoice is one question of a vote or multiple-choice card and the
// options a member chose.
type CardChoice struct {
	QuestionKey string
	OptionIDs   []string
}

// CardPress is what pressing a card did.
type CardPress struct {
	MsgID string // the message whose card was pressed
	// ResponseCode is the code the event carried: it updates the member's
	// card once, within 72 hours.
	ResponseCode string
	// Menu is true for a pick from the card's top-right menu
	// (template_card_menu_event).
	Menu bool
	// Push is the delivery of the event to the corp's callback (nil without
	// one).
	Push *PushResult
	// ReplacedButton is the button text of the passive reply the callback
	// answered with (update_button), applied to the member's card; "" when
	// it answered none.
	ReplacedButton string
}

// ErrCardClosed is returned by PressButton for a card whose buttons are
// greyed out (updated with a button text) or a recalled message: there is
// nothing to press.
var ErrCardClosed = errors.New("wecomtest: the card cannot be pressed: its buttons are greyed out or the message was recalled")

// PressButton plays member userID pressing the button (or submit button,
// with choices for a vote or multiple-choice card, or menu entry) key of
// the template card with taskID they received: WeCom issues a response
// code for the press and pushes template_card_event (template_card_menu_
// event for a menu entry) to the corp's callback (SetCallback). When the
// callback answers with a passive reply greying out the button
// (update_button), the member's card shows it. It returns the press and the
// push error last, as the corp's other acts do.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90240
func (a *AppMessages) PressButton(ctx context.Context, userID, taskID, key string, choices ...CardChoice) (*CardPress, error) {
	s := a.c.s
	s.mu.Lock()
	st, err := a.c.stateLocked()
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	ms := st.appmsg
	var d *appDelivery
	for _, x := range ms.inbox[strings.ToLower(userID)] {
		if x.msg.card != nil && x.msg.card.TaskID == taskID {
			d = x
		}
	}
	if d == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: member %q has no card with task id %q", ErrNotFound, userID, taskID)
	}
	if d.msg.recalled || d.replaced != "" {
		s.mu.Unlock()
		return nil, ErrCardClosed
	}
	card := d.msg.card
	menu := false
	if card.ActionMenu != nil {
		for _, e := range card.ActionMenu.ActionList {
			menu = menu || e.Key == key
		}
	}
	valid := menu || (card.SubmitButton != nil && card.SubmitButton.Key == key)
	for _, b := range card.ButtonList {
		valid = valid || (b.Type == 0 && b.Key == key)
	}
	if !valid {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: the card %q has no button, submit button or menu entry with key %q", ErrNotFound, taskID, key)
	}
	now := s.now()
	code := s.newID("rc-")
	ms.codes[code] = &fakeRespCode{msg: d.msg, issued: now}
	agentID := d.msg.agentID
	from := userID // the userid as the address book spells it
	if u := st.directory.user(userID); u != nil {
		from = u.UserID
	}
	p := a.c.pusherLocked()
	s.mu.Unlock()

	press := &CardPress{MsgID: d.msg.id, ResponseCode: code, Menu: menu}
	ev := CardEvent{CorpID: a.c.id, UserID: from, AgentID: agentID, Menu: menu, TaskID: taskID,
		CardType: card.CardType, EventKey: key, ResponseCode: code, Choices: choices, At: now}
	if p == nil {
		return press, nil
	}
	res, perr := p.Push(ctx, CardEventXML(ev))
	press.Push = res
	if perr != nil {
		return press, fmt.Errorf("wecomtest: corp %s: %w", a.c.id, perr)
	}
	if body := res.Body(); strings.HasPrefix(body, "<xml>") {
		plain, err := p.OpenReply(body)
		if err != nil {
			return press, fmt.Errorf("wecomtest: corp %s: the callback's passive reply: %w", a.c.id, err)
		}
		var r struct {
			MsgType string `xml:"MsgType"`
			Button  struct {
				ReplaceName string `xml:"ReplaceName"`
			} `xml:"Button"`
		}
		if err := xml.Unmarshal(plain, &r); err != nil {
			return press, fmt.Errorf("wecomtest: corp %s: the callback's passive reply is not XML: %w", a.c.id, err)
		}
		if r.MsgType == "update_button" {
			s.mu.Lock()
			d.replaced = r.Button.ReplaceName
			d.updates++
			s.mu.Unlock()
			press.ReplacedButton = r.Button.ReplaceName
		}
	}
	return press, nil
}

// CardEvent describes a template-card event for CardEventXML.
type CardEvent struct {
	CorpID       string
	UserID       string // the member who acted (FromUserName)
	AgentID      int
	Menu         bool // template_card_menu_event instead of template_card_event
	TaskID       string
	CardType     string
	EventKey     string
	ResponseCode string
	Choices      []CardChoice
	At           time.Time
}

// CardEventXML returns the decrypted XML of a template_card_event (or
// template_card_menu_event), in the shape of the official samples.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90240
func CardEventXML(ev CardEvent) []byte {
	kind := "template_card_event"
	if ev.Menu {
		kind = "template_card_menu_event"
	}
	var b strings.Builder
	b.WriteString("<xml><ToUserName><![CDATA[" + ev.CorpID + "]]></ToUserName>")
	b.WriteString("<FromUserName><![CDATA[" + ev.UserID + "]]></FromUserName>")
	b.WriteString("<CreateTime>" + strconv.FormatInt(ev.At.Unix(), 10) + "</CreateTime>")
	b.WriteString("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[" + kind + "]]></Event>")
	b.WriteString("<EventKey><![CDATA[" + ev.EventKey + "]]></EventKey>")
	b.WriteString("<TaskId><![CDATA[" + ev.TaskID + "]]></TaskId>")
	b.WriteString("<CardType><![CDATA[" + ev.CardType + "]]></CardType>")
	b.WriteString("<ResponseCode><![CDATA[" + ev.ResponseCode + "]]></ResponseCode>")
	b.WriteString("<AgentID>" + strconv.Itoa(ev.AgentID) + "</AgentID>")
	if len(ev.Choices) > 0 {
		b.WriteString("<SelectedItems>")
		for _, ch := range ev.Choices {
			b.WriteString("<SelectedItem><QuestionKey><![CDATA[" + ch.QuestionKey + "]]></QuestionKey><OptionIds>")
			for _, id := range ch.OptionIDs {
				b.WriteString("<OptionId><![CDATA[" + id + "]]></OptionId>")
			}
			b.WriteString("</OptionIds></SelectedItem>")
		}
		b.WriteString("</SelectedItems>")
	}
	b.WriteString("</xml>")
	return []byte(b.String())
}

// OpenReply checks and decrypts a passive reply (the answer body of a
// push: <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>) as WeCom
// does: the signature with the callback's Token, the decryption with its
// EncodingAESKey, and the receiver id appended to the plaintext, which
// must be ReceiveID. It returns the reply's plaintext XML.
func (p *Pusher) OpenReply(body string) ([]byte, error) {
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal([]byte(body), &env); err != nil {
		return nil, fmt.Errorf("wecomtest: reply envelope: %w", err)
	}
	if env.Encrypt == "" || CallbackSignature(p.Token, env.TimeStamp, env.Nonce, env.Encrypt) != env.MsgSignature {
		return nil, errors.New("wecomtest: reply signature does not match")
	}
	key, err := base64.StdEncoding.DecodeString(p.EncodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wecomtest: EncodingAESKey must be 43 base64 characters")
	}
	buf, err := base64.StdEncoding.DecodeString(env.Encrypt)
	if err != nil || len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, errors.New("wecomtest: reply ciphertext is not base64 of whole blocks")
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCDecrypter(blk, key[:16]).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad < 1 || pad > 32 || pad > len(buf) || !bytes.Equal(buf[len(buf)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("wecomtest: reply padding is wrong")
	}
	buf = buf[:len(buf)-pad]
	if len(buf) < 20 {
		return nil, errors.New("wecomtest: reply is too short")
	}
	n := int(binary.BigEndian.Uint32(buf[16:20]))
	if n > len(buf)-20 {
		return nil, errors.New("wecomtest: reply length is wrong")
	}
	msg, rid := buf[20:20+n], string(buf[20+n:])
	if rid != p.ReceiveID {
		return nil, fmt.Errorf("wecomtest: reply is for receiver %q, not %q", rid, p.ReceiveID)
	}
	return msg, nil
}
