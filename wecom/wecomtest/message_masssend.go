package wecomtest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// massTask is one add_msg_template task.
type massTask struct {
	msgID       string
	chatType    string
	createTime  int64     // create_time as answered, in whole seconds
	created     time.Time // the server clock at creation, for the dispatch delay
	text        *wireText
	attachments []wireAttachment
	senders     []string
	bySender    map[string]*senderTask
	canceled    bool
	reminders   []int64
}

// senderTask is one sender's part of a task: the customers (or groups)
// chosen for him and what happened to each.
type senderTask struct {
	status     int // 0 unsent, 2 sent
	sendTime   int64
	recipients []*massRecipient
}

type massRecipient struct {
	ext, chat string
	status    int // 0 unsent, 1 sent, 2 not a friend, 3 quota reached
	sendTime  int64
}

type quotaKey struct {
	id    string // external_userid or chat_id
	month string // 2006-01, China time
}

type wireTagFilter struct {
	GroupList []struct {
		TagList []string `json:"tag_list"`
	} `json:"group_list"`
}

// matches reports whether a relation with tagIDs passes the filter: one
// tag of every group.
func (f *wireTagFilter) matches(tagIDs []string) bool {
	for _, g := range f.GroupList {
		if !slices.ContainsFunc(g.TagList, func(t string) bool { return slices.Contains(tagIDs, t) }) {
			return false
		}
	}
	return true
}

// --- exported helpers for tests and examples ---

// ErrMassSendCanceled is returned by Messages.ConfirmMassSend for a
// cancelled task (cancel_groupmsg_send).
var ErrMassSendCanceled = errors.New("wecomtest: the mass send was cancelled")

// ConfirmMassSend plays senders confirming a mass send in their WeCom
// client, which WeCom requires before anything is sent (add_msg_template
// only creates the task): userID's part of task msgID (every sender's when
// userID is "") is sent now. Each recipient is then sent to (status 1 in
// get_groupmsg_send_result), or fails because the customer no longer is the
// sender's customer (2) or has already received its monthly quota of mass
// sends (3, see SetMassSendQuota). Confirming twice changes nothing.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92135
func (msg *Messages) ConfirmMassSend(msgID, userID string) error {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	corp, err := s.messageLocked(corpID)
	if err != nil {
		return err
	}
	ms, cs := corp.message, corp.contact
	t := ms.tasks[msgID]
	if t == nil {
		return fmt.Errorf("%w: mass send %q", ErrNotFound, msgID)
	}
	if t.canceled {
		return ErrMassSendCanceled
	}
	senders := t.senders
	if userID != "" {
		if t.bySender[userID] == nil {
			return fmt.Errorf("%w: %q is not a sender of %s", ErrNotFound, userID, msgID)
		}
		senders = []string{userID}
	}
	now := s.now()
	month := now.In(chinaTime).Format("2006-01")
	quota := ms.quota(now)
	for _, u := range senders {
		st := t.bySender[u]
		if st.status == 2 {
			continue
		}
		st.status, st.sendTime = 2, now.Unix()
		for _, r := range st.recipients {
			id := r.chat
			if r.ext != "" {
				id = r.ext
				if staff := cs.activeStaff(u); staff == nil || staff.follows[r.ext] == nil {
					r.status = 2
					continue
				}
			}
			k := quotaKey{id, month}
			if ms.received[k] >= quota {
				r.status = 3
				continue
			}
			ms.received[k]++
			r.status, r.sendTime = 1, now.Unix()
		}
	}
	return nil
}

// quota is how many mass sends a recipient may receive in now's month.
func (ms *messageState) quota(now time.Time) int {
	if ms.monthlyQuota > 0 {
		return ms.monthlyQuota
	}
	t := now.In(chinaTime)
	return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, chinaTime).Day()
}

// SetMassSendQuota sets how many mass sends a customer or group of the
// corp receives per month; n <= 0 restores WeCom's default since 2025-11
// (as many as the month has days, in China time).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92135
func (msg *Messages) SetMassSendQuota(n int) {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.corps[corpID]; c != nil {
		c.message.monthlyQuota = max(n, 0)
	}
}

// MassSendsReceived returns how many mass sends the customer or group id
// has received this month (server clock, China time).
func (msg *Messages) MassSendsReceived(id string) int {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.corps[corpID]
	if c == nil {
		return 0
	}
	return c.message.received[quotaKey{id, s.now().In(chinaTime).Format("2006-01")}]
}

// SetMassSendDispatchDelay makes the task and result endpoints answer 41063
// (still being dispatched) for tasks younger than d, as WeCom does right
// after add_msg_template, and get_groupmsg_list_v2 leave them out. A task's
// age is measured from its creation on the server clock to the
// nanosecond, so a delay below a second applies every time. Default 0.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (msg *Messages) SetMassSendDispatchDelay(d time.Duration) {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.corps[corpID]; c != nil {
		c.message.dispatchDelay = d
	}
}

// --- routes ---

// routeMassSend serves mass sends: add_msg_template creates a task that
// waits for its senders' confirmation (Messages.ConfirmMassSend), the
// get_groupmsg_* endpoints read tasks and results, cancel and remind act on
// waiting tasks.
func (s *Server) routeMassSend() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92135
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/add_msg_template", addMsgTemplate)
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_groupmsg_list_v2", listGroupMsgs)
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_groupmsg_task", groupMsgTask)
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_groupmsg_send_result", groupMsgSendResult)
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97611
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/cancel_groupmsg_send", func(c *call) (any, *apiError) {
		t, aerr := c.massTaskFromBody(false)
		if aerr != nil {
			return nil, aerr
		}
		t.canceled = true
		return nil, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97610
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/remind_groupmsg_send", func(c *call) (any, *apiError) {
		t, aerr := c.massTaskFromBody(false)
		if aerr != nil {
			return nil, aerr
		}
		if t.canceled {
			return nil, errf(40058, "the mass send was cancelled")
		}
		now := c.s.now().Unix()
		kept := t.reminders[:0]
		for _, r := range t.reminders {
			if now-r < 86400 {
				kept = append(kept, r)
			}
		}
		t.reminders = kept
		if len(t.reminders) >= 3 {
			return nil, errf(45009, "a mass send can be reminded at most 3 times in 24 hours")
		}
		t.reminders = append(t.reminders, now)
		return nil, nil
	})
}

func addMsgTemplate(c *call) (any, *apiError) {
	var req struct {
		ChatType       string           `json:"chat_type"`
		ExternalUserID []string         `json:"external_userid"`
		ChatIDList     []string         `json:"chat_id_list"`
		TagFilter      *wireTagFilter   `json:"tag_filter"`
		Sender         string           `json:"sender"`
		AllowSelect    bool             `json:"allow_select"`
		Text           *wireText        `json:"text"`
		Attachments    []wireAttachment `json:"attachments"`
	}
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	if req.ChatType == "" {
		req.ChatType = "single"
	}
	if req.ChatType != "single" && req.ChatType != "group" {
		return nil, errf(40058, "invalid chat_type")
	}
	if aerr := c.checkContent(req.Text, req.Attachments, 4000, true); aerr != nil {
		return nil, aerr
	}
	cs := c.corp.contact
	if req.Sender != "" && cs.activeStaff(req.Sender) == nil {
		return nil, errf(40058, "invalid sender: not a member with the customer-contact feature")
	}
	if req.TagFilter != nil && req.ChatType == "single" { // ignored in a group send
		for _, g := range req.TagFilter.GroupList {
			if len(g.TagList) == 0 || len(g.TagList) > 100 {
				return nil, errf(40058, "tag_filter: each group holds 1 to 100 tags")
			}
			for _, id := range g.TagList {
				if t := cs.tags[id]; t == nil || t.deleted {
					return nil, errf(40068, "invalid tagid "+id)
				}
			}
		}
	}
	now := c.s.now()
	t := &massTask{msgID: c.s.newID("msg"), chatType: req.ChatType, createTime: now.Unix(), created: now,
		text: req.Text, attachments: req.Attachments, bySender: map[string]*senderTask{}}
	add := func(sender string, r *massRecipient) {
		st := t.bySender[sender]
		if st == nil {
			st = &senderTask{}
			t.bySender[sender] = st
			t.senders = append(t.senders, sender)
		}
		if r != nil {
			st.recipients = append(st.recipients, r)
		}
	}
	failList := []string{}
	if req.ChatType == "group" {
		// external_userid is 「仅在chat_type为single时有效」 and allow_select
		// 「仅支持客户群发场景」 (92135; its parameter table read in verbatim
		// copies, the stored official page shows its top only): for a group
		// send they and the customer tag_filter are ignored, not refused.
		switch {
		case req.Sender == "":
			return nil, errf(40058, "sender is required for a group send")
		case len(req.ChatIDList) > 2000:
			return nil, errf(40058, "chat_id_list holds at most 2000 groups")
		}
		add(req.Sender, nil)
		seen := map[string]bool{}
		gs := c.corp.groupchat
		for _, id := range req.ChatIDList {
			ch := gs.chats[id]
			switch {
			case seen[id]:
			case ch == nil || ch.dismissed || ch.owner != req.Sender:
				// fail_list: 「无效或无法发送的external_userid或chatid列表」:
				// a group the corp does not have, or not the sender's.
				failList = append(failList, id)
			default:
				add(req.Sender, &massRecipient{chat: id})
			}
			seen[id] = true
		}
	} else {
		if len(req.ChatIDList) > 0 {
			return nil, errf(40058, "chat_id_list is for group sends")
		}
		if len(req.ExternalUserID) > 10000 {
			return nil, errf(40058, "external_userid holds at most 10000 customers")
		}
		switch {
		case len(req.ExternalUserID) > 0: // tag_filter is ignored
			seen := map[string]bool{}
			for _, ext := range req.ExternalUserID {
				if seen[ext] {
					continue
				}
				seen[ext] = true
				sender := cs.lastActiveFollower(ext, req.Sender)
				if sender == "" {
					// A customer who deleted the member (or was deleted)
					// is sent to and reported not a friend (status 2).
					sender = cs.formerFollower(ext, req.Sender)
				}
				if sender == "" {
					failList = append(failList, ext)
					continue
				}
				add(sender, &massRecipient{ext: ext})
			}
		case req.Sender != "":
			st := cs.staff[req.Sender]
			for _, ext := range st.customers {
				if req.TagFilter == nil || req.TagFilter.matches(st.follows[ext].TagIDs) {
					add(req.Sender, &massRecipient{ext: ext})
				}
			}
		case req.TagFilter != nil:
			// Each customer goes to the last member (in the order members
			// were enabled) whose relation matches.
			chosen := map[string]string{}
			var order []string
			for _, u := range cs.staffOrder {
				st := cs.activeStaff(u)
				if st == nil {
					continue
				}
				for _, ext := range st.customers {
					if req.TagFilter.matches(st.follows[ext].TagIDs) {
						if _, ok := chosen[ext]; !ok {
							order = append(order, ext)
						}
						chosen[ext] = u
					}
				}
			}
			for _, ext := range order {
				add(chosen[ext], &massRecipient{ext: ext})
			}
		default:
			return nil, errf(40058, "sender, external_userid and tag_filter cannot all be empty")
		}
		if len(t.senders) == 0 {
			return nil, errf(41048, "no customer to send to")
		}
	}
	ms := c.corp.message
	ms.tasks[t.msgID] = t
	ms.taskOrder = append(ms.taskOrder, t.msgID)
	return map[string]any{"fail_list": failList, "msgid": t.msgID}, nil
}

// lastActiveFollower returns the member to send customer ext a mass send:
// sender if given and ext is his customer, else the active member who added
// ext last (standing in for "the member who chatted with it last"); "" if
// none.
func (cs *contactState) lastActiveFollower(ext, sender string) string {
	cust := cs.customers[ext]
	if cust == nil {
		return ""
	}
	if sender != "" {
		if slices.Contains(cust.followers, sender) {
			return sender
		}
		return ""
	}
	for i := len(cust.followers) - 1; i >= 0; i-- {
		if cs.activeStaff(cust.followers[i]) != nil {
			return cust.followers[i]
		}
	}
	return ""
}

func listGroupMsgs(c *call) (any, *apiError) {
	var req struct {
		ChatType   string `json:"chat_type"`
		StartTime  int64  `json:"start_time"`
		EndTime    int64  `json:"end_time"`
		Creator    string `json:"creator"`
		FilterType *int   `json:"filter_type"`
		Limit      int    `json:"limit"`
		Cursor     string `json:"cursor"`
	}
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	if req.ChatType == "" {
		req.ChatType = "single"
	}
	switch {
	case req.ChatType != "single" && req.ChatType != "group":
		return nil, errf(40058, "invalid chat_type")
	case req.StartTime <= 0 || req.EndTime <= 0 || req.EndTime < req.StartTime:
		return nil, errf(40058, "invalid start_time or end_time")
	case time.Unix(req.StartTime, 0).In(chinaTime).AddDate(0, 1, 0).Unix() < req.EndTime:
		return nil, errf(40058, "start_time and end_time are more than one month apart")
	}
	filter := 2
	if req.FilterType != nil {
		filter = *req.FilterType
	}
	limit := req.Limit
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	pos, aerr := decodeCursor(req.Cursor, 1)
	if aerr != nil {
		return nil, aerr
	}
	ms := c.corp.message
	now := c.s.now()
	type item struct {
		MsgID       string           `json:"msgid"`
		Creator     string           `json:"creator,omitempty"`
		CreateTime  string           `json:"create_time"` // a string of digits, as in WeCom's example
		CreateType  int              `json:"create_type"`
		Text        *wireText        `json:"text,omitempty"`
		Attachments []wireAttachment `json:"attachments,omitempty"`
	}
	var all []item
	for _, id := range ms.taskOrder {
		t := ms.tasks[id]
		// API-created tasks are corp tasks (create_type 0) without a creator.
		if t.chatType != req.ChatType || t.createTime < req.StartTime || t.createTime > req.EndTime ||
			filter == 1 || req.Creator != "" || ms.dispatching(t, now) {
			continue
		}
		all = append(all, item{MsgID: t.msgID, CreateTime: strconv.FormatInt(t.createTime, 10),
			Text: t.text, Attachments: t.attachments})
	}
	page, next := pageOf(all, pos[0], limit)
	return map[string]any{"next_cursor": next, "group_msg_list": nonNil(page)}, nil
}

func (ms *messageState) dispatching(t *massTask, now time.Time) bool {
	return ms.dispatchDelay > 0 && now.Before(t.created.Add(ms.dispatchDelay))
}

// massTaskFromBody decodes {"msgid"} (plus limit and cursor when paged) and
// finds the task: 41046 without msgid, 41047 for an unknown one, 41063 while
// it is being dispatched (record calls only).
func (c *call) massTaskFromBody(record bool) (*massTask, *apiError) {
	var req struct {
		MsgID string `json:"msgid"`
	}
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	return c.massTask(req.MsgID, record)
}

func (c *call) massTask(msgID string, record bool) (*massTask, *apiError) {
	ms := c.corp.message
	if msgID == "" {
		return nil, errf(41046, "msgid missing")
	}
	t := ms.tasks[msgID]
	if t == nil {
		return nil, errf(41047, "invalid msgid")
	}
	if record && ms.dispatching(t, c.s.now()) {
		return nil, errf(41063, "the mass send is being dispatched, try again later")
	}
	return t, nil
}

func groupMsgTask(c *call) (any, *apiError) {
	var req struct {
		MsgID  string `json:"msgid"`
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	t, aerr := c.massTask(req.MsgID, true)
	if aerr != nil {
		return nil, aerr
	}
	type item struct {
		UserID   string `json:"userid"`
		Status   int    `json:"status"`
		SendTime int64  `json:"send_time,omitempty"`
	}
	all := make([]item, len(t.senders))
	for i, u := range t.senders {
		st := t.bySender[u]
		all[i] = item{UserID: u, Status: st.status, SendTime: st.sendTime}
	}
	pos, aerr := decodeCursor(req.Cursor, 1)
	if aerr != nil {
		return nil, aerr
	}
	page, next := pageOf(all, pos[0], clampPageLimit(req.Limit, 500, 1000, c.corp.contact))
	return map[string]any{"next_cursor": next, "task_list": nonNil(page)}, nil
}

func groupMsgSendResult(c *call) (any, *apiError) {
	var req struct {
		MsgID  string `json:"msgid"`
		UserID string `json:"userid"`
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	if req.UserID == "" {
		return nil, errf(41009, "userid missing")
	}
	t, aerr := c.massTask(req.MsgID, true)
	if aerr != nil {
		return nil, aerr
	}
	type item struct {
		ExternalUserID string `json:"external_userid,omitempty"`
		ChatID         string `json:"chat_id,omitempty"`
		UserID         string `json:"userid"`
		Status         int    `json:"status"`
		SendTime       int64  `json:"send_time,omitempty"`
	}
	var all []item
	if st := t.bySender[req.UserID]; st != nil {
		for _, r := range st.recipients {
			if r.chat != "" && r.status == 0 {
				continue // group sends list only what was sent
			}
			all = append(all, item{ExternalUserID: r.ext, ChatID: r.chat, UserID: req.UserID, Status: r.status, SendTime: r.sendTime})
		}
	}
	pos, aerr := decodeCursor(req.Cursor, 1)
	if aerr != nil {
		return nil, aerr
	}
	page, next := pageOf(all, pos[0], clampPageLimit(req.Limit, 500, 1000, c.corp.contact))
	return map[string]any{"next_cursor": next, "send_list": nonNil(page)}, nil
}

// clampPageLimit is WeCom's rule for these limits: 0 or above max means
// def. The contact page cap (Corp.SetContactPageLimit) lowers it for tests.
func clampPageLimit(limit, def, max int, cs *contactState) int {
	if limit <= 0 || limit > max {
		limit = def
	}
	return cs.pageSize(limit)
}

// pageOf returns the page of all starting at pos and the cursor of the next
// page ("" at the end).
func pageOf[T any](all []T, pos, limit int) ([]T, string) {
	if pos > len(all) {
		pos = len(all)
	}
	end := min(pos+limit, len(all))
	next := ""
	if end < len(all) {
		next = encodeCursor(end)
	}
	return all[pos:end], next
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
