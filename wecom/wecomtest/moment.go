package wecomtest

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// defaultMomentJobDelay is how long an add_moment_task job takes by default
// (server clock): "started" for the first half, "in progress" for the rest.
const defaultMomentJobDelay = 2 * time.Second

// MomentJobLife is how long an add_moment_task job id can be asked about
// (server clock): 96351 gives the jobid 「24小时有效」 (its answer table read
// in verbatim copies of the page; the stored page shows its top). After it
// get_moment_task_result answers 40088, as for an id it never issued (the
// page names no errcode for an expired one), whether the job finished or
// not; a finished job's post stays.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96351
const MomentJobLife = 24 * time.Hour

// rootDepartment is the one department the fake knows: it holds every
// member. Other department ids are reported invalid.
const rootDepartment = 1

type wireSenderList struct {
	UserList       []string `json:"user_list,omitempty"`
	DepartmentList []int    `json:"department_list,omitempty"`
}

type wireContactList struct {
	TagList []string `json:"tag_list,omitempty"`
}

type wireMomentLink struct {
	Title   string `json:"title,omitempty"`
	URL     string `json:"url"`
	MediaID string `json:"media_id"`
}

type wireMomentAttachment struct {
	MsgType string          `json:"msgtype"`
	Image   *wireMediaRef   `json:"image,omitempty"`
	Video   *wireMediaRef   `json:"video,omitempty"`
	Link    *wireMomentLink `json:"link,omitempty"`
}

type momentTaskReq struct {
	Text         *wireText              `json:"text"`
	Attachments  []wireMomentAttachment `json:"attachments"`
	VisibleRange *struct {
		SenderList          *wireSenderList  `json:"sender_list"`
		ExternalContactList *wireContactList `json:"external_contact_list"`
	} `json:"visible_range"`
}

type momentJob struct {
	req     momentTaskReq
	created time.Time
	result  map[string]any // set once finished
}

// fakeMoment is a corp Moments post.
type fakeMoment struct {
	id          string
	createTime  int64
	visibleType int
	text        *wireText
	attachments []wireMomentAttachment
	senders     []string
	bySender    map[string]*momentSender
	canceled    bool
}

type momentSender struct {
	published bool
	customers []string // chosen at creation
	comments  []momentInteraction
	likes     []momentInteraction
}

type momentInteraction struct {
	ExternalUserID string `json:"external_userid,omitempty"`
	UserID         string `json:"userid,omitempty"`
	CreateTime     int64  `json:"create_time"`
}

// --- exported helpers for tests and examples ---

// SetMomentJobDelay sets how long the corp's add_moment_task jobs take on
// the server clock (default 2 s): get_moment_task_result answers "started"
// for the first half, "in progress" for the rest. Tests give the server a
// fake clock (WithClock) and move it instead of sleeping.
//
// As WeCom does, the server allows 10 add_moment_task calls a minute per
// corp and answers 45009 beyond; Server.SetRateLimit(path, 0, 0) lifts that.
// A job id expires MomentJobLife after add_moment_task, finished or not: a
// delay longer than that makes a job that never finishes in its life.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95094
func (msg *Messages) SetMomentJobDelay(d time.Duration) {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.corps[corpID]; c != nil {
		c.message.jobDelay = max(d, 0)
	}
}

// PublishMoment plays member userID posting Moments post momentID in the
// WeCom client, which WeCom requires of every sender (add_moment_task only
// creates the task): the customers chosen at creation can see it from now
// on, and get_moment_task shows the member's publish_status 1.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (msg *Messages) PublishMoment(momentID, userID string) error {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ms, err := s.momentLocked(corpID, momentID, userID)
	if err != nil {
		return err
	}
	if m.canceled {
		return fmt.Errorf("wecomtest: Moments post %s was cancelled", momentID)
	}
	ms.published = true
	return nil
}

// AddMomentReaction plays customer externalUserID commenting on (or, with
// like, liking) post momentID as member userID published it;
// get_moment_comments lists it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93333
func (msg *Messages) AddMomentReaction(momentID, userID, externalUserID string, like bool) error {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ms, err := s.momentLocked(corpID, momentID, userID)
	if err != nil {
		return err
	}
	if !ms.published {
		return fmt.Errorf("wecomtest: %s has not published %s", userID, momentID)
	}
	r := momentInteraction{ExternalUserID: externalUserID, CreateTime: s.now().Unix()}
	if like {
		ms.likes = append(ms.likes, r)
	} else {
		ms.comments = append(ms.comments, r)
	}
	return nil
}

func (s *Server) momentLocked(corpID, momentID, userID string) (*fakeMoment, *momentSender, error) {
	c, err := s.messageLocked(corpID)
	if err != nil {
		return nil, nil, err
	}
	c.message.settleJobs(s, c.contact)
	m := c.message.moments[momentID]
	if m == nil {
		return nil, nil, fmt.Errorf("%w: Moments post %q", ErrNotFound, momentID)
	}
	ms := m.bySender[userID]
	if ms == nil {
		return nil, nil, fmt.Errorf("%w: %q is not asked to post %s", ErrNotFound, userID, momentID)
	}
	return m, ms, nil
}

// settleJobs finishes the jobs whose time has come, creating their posts.
func (st *messageState) settleJobs(s *Server, cs *contactState) {
	now := s.now()
	for _, j := range st.jobs {
		if j.result == nil && !now.Before(j.created.Add(st.jobDelay)) {
			st.finishJob(s, cs, j)
		}
	}
}

// finishJob creates the post of job j: its senders and the customers each
// one's post is for, and the result get_moment_task_result answers.
func (st *messageState) finishJob(s *Server, cs *contactState, j *momentJob) {
	var users []string
	var depts []int
	var tags []string
	if vr := j.req.VisibleRange; vr != nil {
		if vr.SenderList != nil {
			users, depts = vr.SenderList.UserList, vr.SenderList.DepartmentList
		}
		if vr.ExternalContactList != nil {
			tags = vr.ExternalContactList.TagList
		}
	}
	invalidUsers, invalidDepts, invalidTags := []string{}, []int{}, []string{}
	var validTags []string
	for _, id := range tags {
		if t := cs.tags[id]; t == nil || t.deleted || cs.groups[t.group].strategy != 0 {
			invalidTags = append(invalidTags, id) // corp tags only
		} else {
			validTags = append(validTags, id)
		}
	}
	hasTag := func(f *followRec) bool {
		return slices.ContainsFunc(validTags, func(t string) bool { return slices.Contains(f.TagIDs, t) })
	}
	var senders []string
	add := func(u string) {
		if !slices.Contains(senders, u) {
			senders = append(senders, u)
		}
	}
	allStaff := func() {
		for _, u := range cs.staffOrder {
			if cs.activeStaff(u) != nil {
				add(u)
			}
		}
	}
	for _, u := range users {
		if cs.activeStaff(u) == nil {
			invalidUsers = append(invalidUsers, u)
		} else {
			add(u)
		}
	}
	for _, d := range depts {
		if d != rootDepartment {
			invalidDepts = append(invalidDepts, d)
		} else {
			allStaff()
		}
	}
	if len(users) == 0 && len(depts) == 0 {
		if len(tags) == 0 {
			allStaff()
		} else { // the followers of the tagged customers post it
			for _, u := range cs.staffOrder {
				if stf := cs.activeStaff(u); stf != nil && slices.ContainsFunc(stf.customers, func(e string) bool { return hasTag(stf.follows[e]) }) {
					add(u)
				}
			}
		}
	}
	m := &fakeMoment{id: s.newID("mom"), createTime: j.created.Unix(), visibleType: 1,
		text: j.req.Text, attachments: j.req.Attachments, senders: senders, bySender: map[string]*momentSender{}}
	if len(tags) > 0 {
		m.visibleType = 0
	}
	for _, u := range senders {
		stf := cs.staff[u]
		ms := &momentSender{}
		for _, e := range stf.customers {
			if len(tags) == 0 || hasTag(stf.follows[e]) {
				ms.customers = append(ms.customers, e)
			}
		}
		m.bySender[u] = ms
	}
	st.moments[m.id] = m
	st.momentOrder = append(st.momentOrder, m.id)
	j.result = map[string]any{
		"errcode": 0, "errmsg": "ok", "moment_id": m.id,
		"invalid_sender_list":           map[string]any{"user_list": invalidUsers, "department_list": invalidDepts},
		"invalid_external_contact_list": map[string]any{"tag_list": invalidTags},
	}
}

// checkMomentAttachment checks that a Moments attachment's media comes
// from upload_attachment for Moments (40007 otherwise) and is of the
// attachment's kind (41072 otherwise).
func (c *call) checkMomentMedia(id, typ string) *apiError {
	m, ok := c.liveMedia(id)
	switch {
	case id == "" || !ok || m.AttachmentType != 1:
		return errf(40007, "invalid media_id: Moments take media from upload_attachment")
	case m.Type != typ:
		return errf(41072, "the media is not a "+typ)
	}
	return nil
}

func (s *Server) routeMoments() {
	const addPath = "/cgi-bin/externalcontact/add_moment_task"
	s.mu.Lock()
	s.limits[addPath] = rateLimit{n: 10, window: time.Minute} // WeCom: 10 tasks a minute per corp
	s.mu.Unlock()
	s.handleMoments(http.MethodPost, addPath, func(c *call) (any, *apiError) {
		var req momentTaskReq
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		if (req.Text == nil || req.Text.Content == "") && len(req.Attachments) == 0 {
			return nil, errf(40058, "text and attachments cannot both be empty")
		}
		// text.content: at most 2000 characters and 4000 bytes (96351).
		if req.Text != nil && (tooManyChars(req.Text.Content, 2000) || len(req.Text.Content) > 4000) {
			return nil, errf(40058, "invalid text size")
		}
		if vr := req.VisibleRange; vr != nil && vr.SenderList != nil && len(vr.SenderList.UserList) > 100000 {
			return nil, errf(40058, "sender_list.user_list holds at most 100000 members")
		}
		for i, a := range req.Attachments {
			if a.MsgType != req.Attachments[0].MsgType {
				return nil, errf(40058, "invalid attachments msgtype")
			}
			var aerr *apiError
			switch {
			case a.MsgType == "image" && a.Image != nil && a.Video == nil && a.Link == nil:
				aerr = c.checkMomentMedia(a.Image.MediaID, "image")
			case a.MsgType == "video" && a.Video != nil && a.Image == nil && a.Link == nil:
				aerr = c.checkMomentMedia(a.Video.MediaID, "video")
			case a.MsgType == "link" && a.Link != nil && a.Image == nil && a.Video == nil:
				if a.Link.URL == "" || len(a.Link.Title) > 64 {
					return nil, errf(40058, "invalid link: url required, title at most 64 bytes")
				}
				aerr = c.checkMomentMedia(a.Link.MediaID, "image")
			default:
				return nil, errf(40058, "invalid msg")
			}
			if aerr != nil {
				return nil, aerr
			}
			if (a.MsgType == "image" && i >= 9) || (a.MsgType != "image" && i >= 1) {
				return nil, errf(40058, "invalid attachments size")
			}
		}
		id := c.s.newID("job")
		c.corp.message.jobs[id] = &momentJob{req: req, created: c.s.now()}
		return map[string]any{"jobid": id}, nil
	})
	s.handleMoments(http.MethodGet, "/cgi-bin/externalcontact/get_moment_task_result", func(c *call) (any, *apiError) {
		id := c.r.URL.Query().Get("jobid")
		j := c.corp.message.jobs[id]
		if j == nil {
			return nil, errf(40088, "jobid not found")
		}
		if c.s.now().Sub(j.created) > MomentJobLife {
			return nil, errf(40088, "jobid expired: a job id is valid for 24 hours")
		}
		out := map[string]any{"type": "add_moment_task"}
		switch elapsed := c.s.now().Sub(j.created); {
		case j.result != nil:
			out["status"], out["result"] = 3, j.result
		case elapsed < c.corp.message.jobDelay/2:
			out["status"] = 1
		default:
			out["status"] = 2
		}
		return out, nil
	})
	s.handleMoments(http.MethodPost, "/cgi-bin/externalcontact/cancel_moment_task", func(c *call) (any, *apiError) {
		var req struct {
			MomentID string `json:"moment_id"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		m, aerr := c.moment(req.MomentID)
		if aerr != nil {
			return nil, aerr
		}
		m.canceled = true
		return nil, nil
	})
	s.handleMoments(http.MethodPost, "/cgi-bin/externalcontact/get_moment_list", momentList)
	s.handleMoments(http.MethodPost, "/cgi-bin/externalcontact/get_moment_task", func(c *call) (any, *apiError) {
		var req struct {
			MomentID string `json:"moment_id"`
			Cursor   string `json:"cursor"`
			Limit    int    `json:"limit"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		m, aerr := c.moment(req.MomentID)
		if aerr != nil {
			return nil, aerr
		}
		type item struct {
			UserID        string `json:"userid"`
			PublishStatus int    `json:"publish_status"`
		}
		all := make([]item, len(m.senders))
		for i, u := range m.senders {
			all[i] = item{UserID: u}
			if m.bySender[u].published {
				all[i].PublishStatus = 1
			}
		}
		return pagedAnswer(c, all, req.Cursor, clampPageLimit(req.Limit, 500, 1000, c.corp.contact), "task_list")
	})
	type customersReq struct {
		MomentID string `json:"moment_id"`
		UserID   string `json:"userid"`
		Cursor   string `json:"cursor"`
		Limit    int    `json:"limit"`
	}
	type customer struct {
		UserID         string `json:"userid,omitempty"`
		ExternalUserID string `json:"external_userid"`
	}
	s.handleMoments(http.MethodPost, "/cgi-bin/externalcontact/get_moment_customer_list", func(c *call) (any, *apiError) {
		var req customersReq
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		_, ms, aerr := c.momentSender(req.MomentID, req.UserID, false)
		if aerr != nil {
			return nil, aerr
		}
		all := make([]customer, len(ms.customers))
		for i, e := range ms.customers {
			all[i] = customer{UserID: req.UserID, ExternalUserID: e}
		}
		return pagedAnswer(c, all, req.Cursor, clampPageLimit(req.Limit, 500, 1000, c.corp.contact), "customer_list")
	})
	s.handleMoments(http.MethodPost, "/cgi-bin/externalcontact/get_moment_send_result", func(c *call) (any, *apiError) {
		var req customersReq
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		_, ms, aerr := c.momentSender(req.MomentID, req.UserID, true)
		if aerr != nil {
			return nil, aerr
		}
		stf := c.corp.contact.staff[req.UserID]
		var all []customer
		for _, e := range ms.customers {
			if stf != nil && stf.follows[e] != nil { // customers who left no longer see it
				all = append(all, customer{ExternalUserID: e})
			}
		}
		return pagedAnswer(c, all, req.Cursor, clampPageLimit(req.Limit, 3000, 5000, c.corp.contact), "customer_list")
	})
	s.handleMoments(http.MethodPost, "/cgi-bin/externalcontact/get_moment_comments", func(c *call) (any, *apiError) {
		var req struct {
			MomentID string `json:"moment_id"`
			UserID   string `json:"userid"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		_, ms, aerr := c.momentSender(req.MomentID, req.UserID, true)
		if aerr != nil {
			return nil, aerr
		}
		return map[string]any{"comment_list": nonNil(ms.comments), "like_list": nonNil(ms.likes)}, nil
	})
}

// handleMoments registers a Moments route; jobs whose time has come are
// finished before the handler runs.
func (s *Server) handleMoments(method, path string, h handlerFunc) {
	s.handleContact(method, path, func(c *call) (any, *apiError) {
		c.corp.message.settleJobs(c.s, c.corp.contact)
		return h(c)
	})
}

func (c *call) moment(id string) (*fakeMoment, *apiError) {
	if id == "" {
		return nil, errf(41059, "moment_id missing")
	}
	m := c.corp.message.moments[id]
	if m == nil {
		return nil, errf(41060, "invalid moment_id")
	}
	return m, nil
}

// momentSender finds userID's part of a post: 41061 if he was not asked to
// post it, 41062 if published is required and he has not posted it yet.
func (c *call) momentSender(momentID, userID string, published bool) (*fakeMoment, *momentSender, *apiError) {
	m, aerr := c.moment(momentID)
	if aerr != nil {
		return nil, nil, aerr
	}
	ms := m.bySender[userID]
	switch {
	case userID == "":
		return nil, nil, errf(41009, "userid missing")
	case ms == nil:
		return nil, nil, errf(41061, "the moment was not published by this userid")
	case published && !ms.published:
		return nil, nil, errf(41062, "the corp moment has not been published by this userid yet")
	}
	return m, ms, nil
}

func pagedAnswer[T any](c *call, all []T, cursor string, limit int, key string) (any, *apiError) {
	pos, aerr := decodeCursor(cursor, 1)
	if aerr != nil {
		return nil, aerr
	}
	page, next := pageOf(all, pos[0], limit)
	return map[string]any{"next_cursor": next, key: nonNil(page)}, nil
}

func momentList(c *call) (any, *apiError) {
	var req struct {
		StartTime  int64  `json:"start_time"`
		EndTime    int64  `json:"end_time"`
		Creator    string `json:"creator"`
		FilterType *int   `json:"filter_type"`
		Cursor     string `json:"cursor"`
		Limit      int    `json:"limit"`
	}
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	switch {
	case req.StartTime <= 0 || req.EndTime <= 0 || req.EndTime < req.StartTime:
		return nil, errf(40058, "invalid start_time or end_time")
	case req.EndTime-req.StartTime > 30*86400:
		return nil, errf(40058, "start_time and end_time are more than 30 days apart")
	}
	filter := 2
	if req.FilterType != nil {
		filter = *req.FilterType
	}
	type video struct {
		MediaID      string `json:"media_id"`
		ThumbMediaID string `json:"thumb_media_id"`
	}
	type link struct {
		Title string `json:"title"`
		URL   string `json:"url"`
	}
	type item struct {
		MomentID    string         `json:"moment_id"`
		CreateTime  int64          `json:"create_time"`
		CreateType  int            `json:"create_type"`
		VisibleType int            `json:"visible_type"`
		Text        *wireText      `json:"text,omitempty"`
		Image       []wireMediaRef `json:"image,omitempty"`
		Video       *video         `json:"video,omitempty"`
		Link        *link          `json:"link,omitempty"`
	}
	var all []item
	ms := c.corp.message
	for _, id := range ms.momentOrder {
		m := ms.moments[id]
		// posts are listed strictly inside (start_time, end_time); API posts
		// are corp posts without a creator
		if m.createTime <= req.StartTime || m.createTime >= req.EndTime || filter == 1 || req.Creator != "" {
			continue
		}
		it := item{MomentID: m.id, CreateTime: m.createTime, VisibleType: m.visibleType, Text: m.text}
		for _, a := range m.attachments {
			switch {
			case a.Image != nil:
				it.Image = append(it.Image, *a.Image)
			case a.Video != nil:
				it.Video = &video{MediaID: a.Video.MediaID, ThumbMediaID: a.Video.MediaID + "-thumb"}
			case a.Link != nil:
				it.Link = &link{Title: a.Link.Title, URL: a.Link.URL}
			}
		}
		all = append(all, it)
	}
	return pagedAnswer(c, all, req.Cursor, clampPageLimit(req.Limit, 20, 20, c.corp.contact), "moment_list")
}
