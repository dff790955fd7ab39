package wecomtest

import (
	"net/http"
	"time"
	"unicode/utf8"
)

// routeKFCustomers serves customer/batchget and the 升级服务 endpoints.
func (s *Server) routeKFCustomers() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95159
	s.handle(http.MethodPost, "/cgi-bin/kf/customer/batchget", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			ExternalUserIDList      []string `json:"external_userid_list"`
			NeedEnterSessionContext int      `json:"need_enter_session_context"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if len(req.ExternalUserIDList) == 0 || len(req.ExternalUserIDList) > 100 {
			return nil, errf(kfInvalidParam, "external_userid_list: 1 to 100 ids")
		}
		type context struct {
			Scene      string `json:"scene"`
			SceneParam string `json:"scene_param"`
		}
		type customer struct {
			ExternalUserID      string   `json:"external_userid"`
			Nickname            string   `json:"nickname"`
			Avatar              string   `json:"avatar"`
			Gender              int      `json:"gender"`
			UnionID             string   `json:"unionid"`
			EnterSessionContext *context `json:"enter_session_context,omitempty"`
		}
		out := struct {
			CustomerList          []customer `json:"customer_list"`
			InvalidExternalUserID []string   `json:"invalid_external_userid"`
		}{CustomerList: []customer{}, InvalidExternalUserID: []string{}}
		ks, now := c.corp.kf, c.s.now()
		for _, id := range req.ExternalUserIDList {
			// Readable: customers who entered a session or wrote within 48 hours.
			cu := ks.customers[id]
			if cu == nil || (now.Sub(cu.enteredAt) >= KFSendWindow && now.Sub(cu.wroteAt) >= KFSendWindow) {
				out.InvalidExternalUserID = append(out.InvalidExternalUserID, id)
				continue
			}
			w := customer{ExternalUserID: id, Nickname: cu.nickname, Avatar: cu.avatar, Gender: cu.gender, UnionID: cu.unionID}
			if req.NeedEnterSessionContext == 1 && now.Sub(cu.enteredAt) < KFSendWindow {
				w.EnterSessionContext = &context{Scene: cu.scene, SceneParam: cu.sceneParam}
			}
			out.CustomerList = append(out.CustomerList, w)
		}
		return out, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94674
	s.handle(http.MethodGet, "/cgi-bin/kf/customer/get_upgrade_service_config", authCorp, func(c *call) (any, *apiError) {
		ks := c.corp.kf
		type memberRange struct {
			UserIDList       []string `json:"userid_list"`
			DepartmentIDList []int    `json:"department_id_list"`
		}
		type chatRange struct {
			ChatIDList []string `json:"chat_id_list"`
		}
		return struct {
			MemberRange    memberRange `json:"member_range"`
			GroupChatRange chatRange   `json:"groupchat_range"`
		}{memberRange{append([]string{}, ks.upgradeMembers...), append([]int{}, ks.upgradeDeps...)},
			chatRange{append([]string{}, ks.upgradeChats...)}}, nil
	})
	type target struct {
		UserID  string `json:"userid"`
		ChatID  string `json:"chat_id"`
		Wording string `json:"wording"`
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94674
	s.handle(http.MethodPost, "/cgi-bin/kf/customer/upgrade_service", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			OpenKfID       string  `json:"open_kfid"`
			ExternalUserID string  `json:"external_userid"`
			Type           int     `json:"type"`
			Member         *target `json:"member"`
			GroupChat      *target `json:"groupchat"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		if _, e := kfAccountLocked(ks, req.OpenKfID); e != nil {
			return nil, e
		}
		if ks.customers[req.ExternalUserID] == nil {
			return nil, errf(kfInvalidExternal, "invalid external_userid")
		}
		switch {
		case req.Type == 1 && req.Member != nil:
			if !containsString(ks.upgradeMembers, req.Member.UserID) {
				return nil, errf(kfUpgradeNotConfigd, "userid is not configured in the upgrade service")
			}
		case req.Type == 2 && req.GroupChat != nil:
			if !containsString(ks.upgradeChats, req.GroupChat.ChatID) {
				return nil, errf(kfUpgradeNotConfigd, "chat_id is not configured in the upgrade service")
			}
		default:
			return nil, errf(kfInvalidParam, "type 1 takes member, type 2 groupchat")
		}
		return nil, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94674
	s.handle(http.MethodPost, "/cgi-bin/kf/customer/cancel_upgrade_service", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			OpenKfID       string `json:"open_kfid"`
			ExternalUserID string `json:"external_userid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if _, e := kfAccountLocked(c.corp.kf, req.OpenKfID); e != nil {
			return nil, e
		}
		if c.corp.kf.customers[req.ExternalUserID] == nil {
			return nil, errf(kfInvalidExternal, "invalid external_userid")
		}
		return nil, nil
	})
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// kfDays checks a statistics window as the pages state it and returns its
// days (00:00 China time): yesterday back to 180 days, at most 31 days.
func kfDays(start, end int64, now time.Time) ([]int64, *apiError) {
	if start <= 0 || end <= 0 {
		return nil, errf(kfInvalidParam, "start_time and end_time are required")
	}
	b, e, today := chinaMidnight(start), chinaMidnight(end), chinaMidnight(now.Unix())
	switch {
	case e < b:
		return nil, errf(kfInvalidParam, "end_time is before start_time")
	case e >= today:
		return nil, errf(kfInvalidParam, "statistics are available up to yesterday")
	case b < today-180*86400:
		return nil, errf(kfInvalidParam, "statistics are kept for 180 days")
	case e-b > 31*86400:
		return nil, errf(kfInvalidParam, "the window spans more than 31 days")
	}
	var days []int64
	for d := b; d <= e; d += 86400 {
		days = append(days, d)
	}
	return days, nil
}

func (s *Server) routeKFStatistics() {
	type window struct {
		OpenKfID       string `json:"open_kfid"`
		ServicerUserID string `json:"servicer_userid"`
		StartTime      int64  `json:"start_time"`
		EndTime        int64  `json:"end_time"`
	}
	type corpStat struct {
		SessionCnt     int `json:"session_cnt"`
		CustomerCnt    int `json:"customer_cnt"`
		CustomerMsgCnt int `json:"customer_msg_cnt"`
	}
	type day struct {
		StatTime  int64     `json:"stat_time"`
		Statistic *corpStat `json:"statistic,omitempty"`
	}
	// corpDays counts, per day, the sessions customers opened, the
	// customers who wrote and their messages, of one account ("" all).
	corpDays := func(ks *kfState, account string, days []int64) []day {
		out := make([]day, len(days))
		for i, d := range days {
			st := corpStat{}
			who := map[string]bool{}
			for _, m := range ks.msgs {
				if (account == "" || m.account == account) && m.Origin == 3 && chinaMidnight(m.SendTime) == d {
					st.CustomerMsgCnt++
					who[m.ExternalUserID] = true
				}
			}
			for _, t := range ks.started {
				if (account == "" || t.account == account) && chinaMidnight(t.at.Unix()) == d {
					st.SessionCnt++
				}
			}
			st.CustomerCnt = len(who)
			out[i].StatTime = d
			if st != (corpStat{}) {
				out[i].Statistic = &st
			}
		}
		return out
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95489
	s.handle(http.MethodPost, "/cgi-bin/kf/get_corp_statistic", authCorp, func(c *call) (any, *apiError) {
		var req window
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if _, e := kfAccountLocked(c.corp.kf, req.OpenKfID); e != nil {
			return nil, e
		}
		days, e := kfDays(req.StartTime, req.EndTime, c.s.now())
		if e != nil {
			return nil, e
		}
		return map[string]any{"statistic_list": corpDays(c.corp.kf, req.OpenKfID, days)}, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95490
	s.handle(http.MethodPost, "/cgi-bin/kf/get_servicer_statistic", authCorp, func(c *call) (any, *apiError) {
		var req window
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		a, e := kfAccountLocked(ks, req.OpenKfID)
		if e != nil {
			return nil, e
		}
		if req.ServicerUserID != "" && a.servicers[req.ServicerUserID] == nil {
			return nil, errf(kfNotServicer, "user is not servicer")
		}
		days, e := kfDays(req.StartTime, req.EndTime, c.s.now())
		if e != nil {
			return nil, e
		}
		type servicerStat struct {
			SessionCnt int `json:"session_cnt"`
		}
		type sday struct {
			StatTime  int64         `json:"stat_time"`
			Statistic *servicerStat `json:"statistic,omitempty"`
		}
		out := make([]sday, len(days))
		for i, d := range days {
			out[i].StatTime = d
			n := 0
			for _, t := range ks.taken {
				if t.account == req.OpenKfID && (req.ServicerUserID == "" || t.servicer == req.ServicerUserID) && chinaMidnight(t.at.Unix()) == d {
					n++
				}
			}
			if n > 0 {
				out[i].Statistic = &servicerStat{SessionCnt: n}
			}
		}
		return map[string]any{"statistic_list": out}, nil
	})
	// The 微信客服组件 app's figures of its own scene. The fake does not
	// model that app kind: it answers any app with the corp's figures.
	//
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99367
	s.handle(http.MethodPost, "/cgi-bin/kf/get_statistic", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			StartTime int64 `json:"start_time"`
			EndTime   int64 `json:"end_time"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		days, e := kfDays(req.StartTime, req.EndTime, c.s.now())
		if e != nil {
			return nil, e
		}
		return map[string]any{"statistic_list": corpDays(c.corp.kf, "", days)}, nil
	})
}

// The knowledge base's wire shapes.
type kfWireText struct {
	Text struct {
		Content string `json:"content"`
	} `json:"text"`
}

type kfWireMedia struct {
	MediaID string `json:"media_id,omitempty"`
	Name    string `json:"name,omitempty"`
}

type kfWireAttachment struct {
	MsgType string       `json:"msgtype"`
	Image   *kfWireMedia `json:"image,omitempty"`
	Video   *kfWireMedia `json:"video,omitempty"`
	Link    *struct {
		Title  string `json:"title"`
		PicURL string `json:"picurl,omitempty"`
		Desc   string `json:"desc,omitempty"`
		URL    string `json:"url"`
	} `json:"link,omitempty"`
	MiniProgram *struct {
		Title        string `json:"title"`
		ThumbMediaID string `json:"thumb_media_id"`
		AppID        string `json:"appid"`
		PagePath     string `json:"pagepath"`
	} `json:"miniprogram,omitempty"`
}

type kfWireAnswer struct {
	Text struct {
		Content string `json:"content"`
	} `json:"text"`
	Attachments []kfWireAttachment `json:"attachments,omitempty"`
}

type kfWireSimilar struct {
	Items []kfWireText `json:"items"`
}

type kfWireIntent struct {
	GroupID          string         `json:"group_id"`
	IntentID         string         `json:"intent_id,omitempty"`
	Question         *kfWireText    `json:"question"`
	SimilarQuestions *kfWireSimilar `json:"similar_questions,omitempty"`
	Answers          []kfWireAnswer `json:"answers"`
}

// kfDefaultGroup makes the group WeCom creates itself, on first use.
func (ks *kfState) kfDefaultGroup(s *Server) {
	if len(ks.groupOrder) > 0 {
		return
	}
	id := "grp" + s.newID("")
	ks.groups[id] = &kfGroup{id: id, name: "默认分组", isDefault: true}
	ks.groupOrder = append(ks.groupOrder, id)
}

// kfCheckIntent applies the intent rules; the page names no errcodes for
// them, so the fake answers 40058.
func (ks *kfState) kfCheckIntent(c *call, w *kfWireIntent, self string) *apiError {
	if w.Question != nil {
		q := w.Question.Text.Content
		if q == "" || utf8.RuneCountInString(q) > 200 {
			return errf(kfInvalidParam, "question: 1 to 200 characters")
		}
		for _, in := range ks.intents {
			if in.id != self && in.w.Question.Text.Content == q {
				return errf(kfInvalidParam, "the question exists already (questions are unique across groups)")
			}
		}
	}
	if w.SimilarQuestions != nil {
		if len(w.SimilarQuestions.Items) > 100 {
			return errf(kfInvalidParam, "similar_questions: at most 100")
		}
		for _, it := range w.SimilarQuestions.Items {
			if it.Text.Content == "" || utf8.RuneCountInString(it.Text.Content) > 200 {
				return errf(kfInvalidParam, "similar question: 1 to 200 characters")
			}
		}
	}
	if w.Answers != nil {
		if len(w.Answers) != 1 {
			return errf(kfInvalidParam, "answers: exactly 1")
		}
		a := w.Answers[0]
		if a.Text.Content == "" || utf8.RuneCountInString(a.Text.Content) > 500 || len(a.Attachments) > 4 {
			return errf(kfInvalidParam, "answer: 1 to 500 characters, at most 4 attachments")
		}
		for _, at := range a.Attachments {
			var m *kfWireMedia
			switch {
			case at.MsgType == "image" && at.Image != nil:
				m = at.Image
			case at.MsgType == "video" && at.Video != nil:
				m = at.Video
			case at.MsgType == "link" && at.Link != nil, at.MsgType == "miniprogram" && at.MiniProgram != nil:
			default:
				return errf(kfInvalidParam, "attachment: image, video, link or miniprogram with its body")
			}
			if m != nil {
				if _, ok := c.liveMedia(m.MediaID); !ok {
					return errf(kfInvalidMediaID, "invalid media_id")
				}
			}
		}
	}
	return nil
}

func (s *Server) routeKFKnowledge() {
	type groupReq struct {
		GroupID string  `json:"group_id"`
		Name    *string `json:"name"`
	}
	checkName := func(ks *kfState, name *string, self string) *apiError {
		if name == nil || *name == "" || utf8.RuneCountInString(*name) > 12 {
			return errf(kfInvalidParam, "name: 1 to 12 characters")
		}
		for _, g := range ks.groups {
			if g.id != self && g.name == *name {
				return errf(kfInvalidParam, "group name exists already")
			}
		}
		return nil
	}
	ownGroup := func(ks *kfState, id string) (*kfGroup, *apiError) {
		g := ks.groups[id]
		if g == nil {
			return nil, errf(kfInvalidParam, "invalid group_id")
		}
		if g.isDefault {
			return nil, errf(kfInvalidParam, "the default group cannot be changed")
		}
		return g, nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/add_group", authCorp, func(c *call) (any, *apiError) {
		var req groupReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		ks.kfDefaultGroup(c.s)
		if e := checkName(ks, req.Name, ""); e != nil {
			return nil, e
		}
		if len(ks.groups) >= 100 {
			return nil, errf(kfInvalidParam, "at most 100 groups")
		}
		id := "grp" + c.s.newID("")
		ks.groups[id] = &kfGroup{id: id, name: *req.Name}
		ks.groupOrder = append(ks.groupOrder, id)
		return map[string]string{"group_id": id}, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/del_group", authCorp, func(c *call) (any, *apiError) {
		var req groupReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		g, e := ownGroup(ks, req.GroupID)
		if e != nil {
			return nil, e
		}
		delete(ks.groups, g.id)
		ks.groupOrder = removeString(ks.groupOrder, g.id)
		for id, in := range ks.intents {
			if in.group == g.id {
				delete(ks.intents, id)
				ks.intentOrder = removeString(ks.intentOrder, id)
			}
		}
		return nil, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/mod_group", authCorp, func(c *call) (any, *apiError) {
		var req groupReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		g, e := ownGroup(ks, req.GroupID)
		if e != nil {
			return nil, e
		}
		if e := checkName(ks, req.Name, g.id); e != nil {
			return nil, e
		}
		g.name = *req.Name
		return nil, nil
	})
	type listReq struct {
		Cursor   string `json:"cursor"`
		Limit    int    `json:"limit"`
		GroupID  string `json:"group_id"`
		IntentID string `json:"intent_id"`
	}
	page := func(req *listReq, n int) (from, to int, next string, more int, e *apiError) {
		if req.Limit == 0 {
			req.Limit = 500
		}
		if req.Limit < 0 || req.Limit > 1000 {
			return 0, 0, "", 0, errf(kfInvalidParam, "limit: 1 to 1000")
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return 0, 0, "", 0, e
		}
		from, to = min(pos[0], n), min(pos[0]+req.Limit, n)
		if to < n {
			next, more = encodeCursor(to), 1
		}
		return from, to, next, more, nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/list_group", authCorp, func(c *call) (any, *apiError) {
		var req listReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.IntentID != "" {
			return nil, errf(kfInvalidParam, "invalid parameter: intent_id")
		}
		ks := c.corp.kf
		ks.kfDefaultGroup(c.s)
		type wire struct {
			GroupID   string `json:"group_id"`
			Name      string `json:"name"`
			IsDefault int    `json:"is_default"`
		}
		var all []wire
		for _, id := range ks.groupOrder {
			g := ks.groups[id]
			if req.GroupID != "" && g.id != req.GroupID {
				continue
			}
			w := wire{GroupID: g.id, Name: g.name}
			if g.isDefault {
				w.IsDefault = 1
			}
			all = append(all, w)
		}
		from, to, next, more, e := page(&req, len(all))
		if e != nil {
			return nil, e
		}
		return struct {
			NextCursor string `json:"next_cursor"`
			HasMore    int    `json:"has_more"`
			GroupList  []wire `json:"group_list"`
		}{next, more, append([]wire{}, all[from:to]...)}, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/add_intent", authCorp, func(c *call) (any, *apiError) {
		var req kfWireIntent
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		ks.kfDefaultGroup(c.s)
		if ks.groups[req.GroupID] == nil {
			return nil, errf(kfInvalidParam, "invalid group_id")
		}
		if req.Question == nil || req.Answers == nil || req.IntentID != "" {
			return nil, errf(kfInvalidParam, "question and answers are required")
		}
		if e := ks.kfCheckIntent(c, &req, ""); e != nil {
			return nil, e
		}
		n := 0
		for _, in := range ks.intents {
			if in.group == req.GroupID {
				n++
			}
		}
		if n >= 200 {
			return nil, errf(kfInvalidParam, "a group has at most 200 intents")
		}
		id := "int" + c.s.newID("")
		req.IntentID = id
		ks.intents[id] = &kfIntent{id: id, group: req.GroupID, w: req}
		ks.intentOrder = append(ks.intentOrder, id)
		return map[string]string{"intent_id": id}, nil
	})
	type intentIDReq struct {
		IntentID         string         `json:"intent_id"`
		Question         *kfWireText    `json:"question"`
		SimilarQuestions *kfWireSimilar `json:"similar_questions"`
		Answers          []kfWireAnswer `json:"answers"`
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/del_intent", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			IntentID string `json:"intent_id"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		if ks.intents[req.IntentID] == nil {
			return nil, errf(kfInvalidParam, "invalid intent_id")
		}
		delete(ks.intents, req.IntentID)
		ks.intentOrder = removeString(ks.intentOrder, req.IntentID)
		return nil, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/mod_intent", authCorp, func(c *call) (any, *apiError) {
		var req intentIDReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		in := ks.intents[req.IntentID]
		if in == nil {
			return nil, errf(kfInvalidParam, "invalid intent_id")
		}
		w := kfWireIntent{Question: req.Question, SimilarQuestions: req.SimilarQuestions, Answers: req.Answers}
		if e := ks.kfCheckIntent(c, &w, in.id); e != nil {
			return nil, e
		}
		// Each part given replaces the old one whole (覆盖写).
		if req.Question != nil {
			in.w.Question = req.Question
		}
		if req.SimilarQuestions != nil {
			in.w.SimilarQuestions = req.SimilarQuestions
		}
		if req.Answers != nil {
			in.w.Answers = req.Answers
		}
		return nil, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
	s.handle(http.MethodPost, "/cgi-bin/kf/knowledge/list_intent", authCorp, func(c *call) (any, *apiError) {
		var req listReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		var all []kfWireIntent
		for _, id := range ks.intentOrder {
			in := ks.intents[id]
			if (req.GroupID != "" && in.group != req.GroupID) || (req.IntentID != "" && in.id != req.IntentID) {
				continue
			}
			w := in.w
			// Attachments come back by name only (图片（仅返回名字）.jpg).
			w.Answers = make([]kfWireAnswer, len(in.w.Answers))
			for i, a := range in.w.Answers {
				w.Answers[i] = a
				w.Answers[i].Attachments = make([]kfWireAttachment, len(a.Attachments))
				for j, at := range a.Attachments {
					if at.Image != nil {
						at.Image = &kfWireMedia{Name: c.corp.media[at.Image.MediaID].Name}
					}
					if at.Video != nil {
						at.Video = &kfWireMedia{Name: c.corp.media[at.Video.MediaID].Name}
					}
					w.Answers[i].Attachments[j] = at
				}
			}
			all = append(all, w)
		}
		from, to, next, more, e := page(&req, len(all))
		if e != nil {
			return nil, e
		}
		return struct {
			NextCursor string         `json:"next_cursor"`
			HasMore    int            `json:"has_more"`
			IntentList []kfWireIntent `json:"intent_list"`
		}{next, more, append([]kfWireIntent{}, all[from:to]...)}, nil
	})
}
