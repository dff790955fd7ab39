package wecomtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Errcodes of WeChat customer service (the global table, 90313).
const (
	kfInvalidParam      = 40058
	kfInvalidMediaID    = 40007
	kfInvalidMsgType    = 40008
	kfInvalidUserID     = 40003
	kfInvalidExternal   = 40096
	kfOpenKfIDMissing   = 60251
	kfAccountNotFound   = 95004
	kfAccountLimit      = 95005
	kfInvalidName       = 95006
	kfInvalidToken      = 95007
	kfMenuItems         = 95008
	kfMenuItemType      = 95009
	kfSendCount         = 95001
	kfSendTime          = 95002
	kfNotServicer       = 95014
	kfStateMove         = 95016
	kfStateNoSend       = 95018
	kfServicerStopped   = 95019
	kfUpgradeNotConfigd = 95021
)

var kfIDChars = regexp.MustCompile(`^[0-9a-zA-Z_-]*$`)

// kfAccountLocked finds an account by open_kfid: 60251 without one, 95004
// for one that does not exist.
func kfAccountLocked(ks *kfState, id string) (*kfAccount, *apiError) {
	if id == "" {
		return nil, errf(kfOpenKfIDMissing, "open_kfid missing")
	}
	a := ks.accounts[id]
	if a == nil {
		return nil, errf(kfAccountNotFound, "open_kfid not exist")
	}
	return a, nil
}

// routeKF serves WeChat customer service (微信客服).
func (s *Server) routeKF() {
	s.routeKFAccounts()
	s.routeKFServicers()
	s.routeKFSessions()
	s.routeKFMessages()
	s.routeKFCustomers()
	s.routeKFStatistics()
	s.routeKFKnowledge()
}

func (s *Server) routeKFAccounts() {
	type account struct {
		OpenKfID string  `json:"open_kfid"`
		Name     *string `json:"name"`
		MediaID  *string `json:"media_id"`
	}
	checkFields := func(c *call, a *account) *apiError {
		if a.Name != nil && (*a.Name == "" || utf8.RuneCountInString(*a.Name) > 16) {
			return errf(kfInvalidName, "invalid kf name: 1 to 16 characters")
		}
		if a.MediaID != nil {
			if len(*a.MediaID) > 128 {
				return errf(kfInvalidParam, "media_id longer than 128 bytes")
			}
			if _, ok := c.liveMedia(*a.MediaID); !ok {
				return errf(kfInvalidMediaID, "invalid media_id")
			}
		}
		return nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94662
	s.handle(http.MethodPost, "/cgi-bin/kf/account/add", authCorp, func(c *call) (any, *apiError) {
		var req account
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.Name == nil || req.MediaID == nil {
			return nil, errf(kfInvalidParam, "name and media_id are required")
		}
		if e := checkFields(c, &req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		if len(ks.accounts) >= 5000 {
			return nil, errf(kfAccountLimit, "kf account count exceed limit")
		}
		return map[string]string{"open_kfid": ks.addAccount(c.s, *req.Name, *req.MediaID)}, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94663
	s.handle(http.MethodPost, "/cgi-bin/kf/account/del", authCorp, func(c *call) (any, *apiError) {
		var req account
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		if _, e := kfAccountLocked(ks, req.OpenKfID); e != nil {
			return nil, e
		}
		delete(ks.accounts, req.OpenKfID)
		ks.accountOrder = removeString(ks.accountOrder, req.OpenKfID)
		return nil, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94664
	s.handle(http.MethodPost, "/cgi-bin/kf/account/update", authCorp, func(c *call) (any, *apiError) {
		var req account
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		a, e := kfAccountLocked(c.corp.kf, req.OpenKfID)
		if e != nil {
			return nil, e
		}
		if e := checkFields(c, &req); e != nil {
			return nil, e
		}
		if req.Name != nil {
			a.name = *req.Name
		}
		if req.MediaID != nil {
			a.mediaID = *req.MediaID
		}
		return nil, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94661
	s.handle(http.MethodPost, "/cgi-bin/kf/account/list", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			Offset int `json:"offset"`
			Limit  int `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.Limit == 0 {
			req.Limit = 100
		}
		if req.Offset < 0 || req.Limit < 1 || req.Limit > 100 {
			return nil, errf(kfInvalidParam, "limit must be 1 to 100")
		}
		type wireAccount struct {
			OpenKfID        string `json:"open_kfid"`
			Name            string `json:"name"`
			Avatar          string `json:"avatar"`
			ManagePrivilege bool   `json:"manage_privilege"`
		}
		ks := c.corp.kf
		out := struct {
			AccountList []wireAccount `json:"account_list"`
		}{AccountList: []wireAccount{}}
		for i := req.Offset; i < len(ks.accountOrder) && len(out.AccountList) < req.Limit; i++ {
			a := ks.accounts[ks.accountOrder[i]]
			out.AccountList = append(out.AccountList, wireAccount{a.id, a.name, "https://wecomtest.invalid/kf/" + a.mediaID, true})
		}
		return out, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94665
	s.handle(http.MethodPost, "/cgi-bin/kf/add_contact_way", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			OpenKfID string `json:"open_kfid"`
			Scene    string `json:"scene"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks := c.corp.kf
		if _, e := kfAccountLocked(ks, req.OpenKfID); e != nil {
			return nil, e
		}
		if len(req.Scene) > 32 || !kfIDChars.MatchString(req.Scene) {
			return nil, errf(kfInvalidParam, "scene: at most 32 bytes of [0-9a-zA-Z_-]")
		}
		enc := "ENC" + c.s.newID("")
		ks.links[enc] = &kfLink{account: req.OpenKfID, scene: req.Scene}
		return map[string]string{"url": "https://work.weixin.qq.com/kf/kfc" + req.OpenKfID + "?enc_scene=" + enc}, nil
	})
}

func (s *Server) routeKFServicers() {
	type servicerReq struct {
		OpenKfID         string   `json:"open_kfid"`
		UserIDList       []string `json:"userid_list"`
		DepartmentIDList []int    `json:"department_id_list"`
	}
	type result struct {
		UserID       string `json:"userid,omitempty"`
		DepartmentID int    `json:"department_id,omitempty"`
		ErrCode      int    `json:"errcode"`
		ErrMsg       string `json:"errmsg"`
	}
	decode := func(c *call) (*servicerReq, *kfAccount, *apiError) {
		var req servicerReq
		if e := c.decode(&req); e != nil {
			return nil, nil, e
		}
		a, e := kfAccountLocked(c.corp.kf, req.OpenKfID)
		if e != nil {
			return nil, nil, e
		}
		if len(req.UserIDList) == 0 && len(req.DepartmentIDList) == 0 {
			return nil, nil, errf(kfInvalidParam, "userid_list and department_id_list cannot both be empty")
		}
		if len(req.UserIDList) > 100 || len(req.DepartmentIDList) > 100 {
			return nil, nil, errf(kfInvalidParam, "at most 100 userids and 100 department ids per call")
		}
		return &req, a, nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94646
	s.handle(http.MethodPost, "/cgi-bin/kf/servicer/add", authCorp, func(c *call) (any, *apiError) {
		req, a, e := decode(c)
		if e != nil {
			return nil, e
		}
		out := struct {
			ResultList []result `json:"result_list"`
		}{ResultList: []result{}}
		for _, u := range req.UserIDList {
			switch {
			case a.servicers[u] != nil:
				out.ResultList = append(out.ResultList, result{UserID: u, ErrMsg: "ignored"})
			case c.corp.contact.staff[u] == nil:
				out.ResultList = append(out.ResultList, result{UserID: u, ErrCode: 60111, ErrMsg: "userid not found"})
			case len(a.servicers) >= 2000:
				out.ResultList = append(out.ResultList, result{UserID: u, ErrCode: kfInvalidParam, ErrMsg: "an account has at most 2000 servicers"})
			default:
				a.servicers[u] = &kfServicer{userID: u}
				a.servicerOrder = append(a.servicerOrder, u)
				out.ResultList = append(out.ResultList, result{UserID: u, ErrMsg: "success"})
			}
		}
		for _, d := range req.DepartmentIDList {
			switch {
			case containsInt(a.departments, d):
				out.ResultList = append(out.ResultList, result{DepartmentID: d, ErrMsg: "ignored"})
			case d <= 0:
				out.ResultList = append(out.ResultList, result{DepartmentID: d, ErrCode: 60123, ErrMsg: "invalid party id"})
			case len(a.departments) >= 20:
				out.ResultList = append(out.ResultList, result{DepartmentID: d, ErrCode: kfInvalidParam, ErrMsg: "an account has at most 20 departments"})
			default:
				a.departments = append(a.departments, d)
				out.ResultList = append(out.ResultList, result{DepartmentID: d, ErrMsg: "success"})
			}
		}
		return out, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94647
	s.handle(http.MethodPost, "/cgi-bin/kf/servicer/del", authCorp, func(c *call) (any, *apiError) {
		req, a, e := decode(c)
		if e != nil {
			return nil, e
		}
		out := struct {
			ResultList []result `json:"result_list"`
		}{ResultList: []result{}}
		for _, u := range req.UserIDList {
			if a.servicers[u] == nil {
				out.ResultList = append(out.ResultList, result{UserID: u, ErrMsg: "ignored"})
				continue
			}
			delete(a.servicers, u)
			a.servicerOrder = removeString(a.servicerOrder, u)
			out.ResultList = append(out.ResultList, result{UserID: u, ErrMsg: "success"})
		}
		for _, d := range req.DepartmentIDList {
			if !containsInt(a.departments, d) {
				out.ResultList = append(out.ResultList, result{DepartmentID: d, ErrMsg: "ignored"})
				continue
			}
			a.departments = removeInt(a.departments, d)
			out.ResultList = append(out.ResultList, result{DepartmentID: d, ErrMsg: "success"})
		}
		return out, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94645
	s.handle(http.MethodGet, "/cgi-bin/kf/servicer/list", authCorp, func(c *call) (any, *apiError) {
		a, e := kfAccountLocked(c.corp.kf, c.r.URL.Query().Get("open_kfid"))
		if e != nil {
			return nil, e
		}
		type wire struct {
			UserID       string `json:"userid,omitempty"`
			Status       *int   `json:"status,omitempty"`
			StopType     *int   `json:"stop_type,omitempty"`
			DepartmentID int    `json:"department_id,omitempty"`
		}
		out := struct {
			ServicerList []wire `json:"servicer_list"`
		}{ServicerList: []wire{}}
		for _, u := range a.servicerOrder {
			sv := a.servicers[u]
			w := wire{UserID: u, Status: &sv.status}
			if sv.status == 1 {
				w.StopType = &sv.stopType
			}
			out.ServicerList = append(out.ServicerList, w)
		}
		for _, d := range a.departments {
			out.ServicerList = append(out.ServicerList, wire{DepartmentID: d})
		}
		return out, nil
	})
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func removeInt(list []int, v int) []int {
	out := list[:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// kfMoves lists the session-state moves service_state/trans allows: the
// state table of 94669, and the moves to the end (4) from states 0, 1 and 2
// that its flow chart shows. Nothing moves a session out of 4.
var kfMoves = map[int][]int{0: {1, 2, 3, 4}, 1: {2, 3, 4}, 2: {3, 4}, 3: {3, 4}}

func (s *Server) routeKFSessions() {
	type sessionReq struct {
		OpenKfID       string `json:"open_kfid"`
		ExternalUserID string `json:"external_userid"`
		ServiceState   *int   `json:"service_state"`
		ServicerUserID string `json:"servicer_userid"`
	}
	find := func(c *call, req *sessionReq) (*kfAccount, *kfSession, *apiError) {
		ks := c.corp.kf
		a, e := kfAccountLocked(ks, req.OpenKfID)
		if e != nil {
			return nil, nil, e
		}
		if ks.customers[req.ExternalUserID] == nil {
			return nil, nil, errf(kfInvalidExternal, "invalid external_userid")
		}
		ses := ks.sessions[kfKey{req.OpenKfID, req.ExternalUserID}]
		if ses == nil {
			ses = &kfSession{state: 4}
			ks.sessions[kfKey{req.OpenKfID, req.ExternalUserID}] = ses
		}
		return a, ses, nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94669
	s.handle(http.MethodPost, "/cgi-bin/kf/service_state/get", authCorp, func(c *call) (any, *apiError) {
		var req sessionReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		_, ses, e := find(c, &req)
		if e != nil {
			return nil, e
		}
		out := struct {
			ServiceState   int    `json:"service_state"`
			ServicerUserID string `json:"servicer_userid,omitempty"`
		}{ServiceState: ses.state}
		if ses.state == 3 {
			out.ServicerUserID = ses.servicer
		}
		return out, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94669
	s.handle(http.MethodPost, "/cgi-bin/kf/service_state/trans", authCorp, func(c *call) (any, *apiError) {
		var req sessionReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.ServiceState == nil {
			return nil, errf(kfInvalidParam, "service_state is required")
		}
		a, ses, e := find(c, &req)
		if e != nil {
			return nil, e
		}
		to := *req.ServiceState
		if !containsInt(kfMoves[ses.state], to) {
			return nil, errf(kfStateMove, "service state transfer not allowed: from "+strconv.Itoa(ses.state)+" to "+strconv.Itoa(to))
		}
		if to == 3 {
			sv := a.servicers[req.ServicerUserID]
			if req.ServicerUserID == "" || sv == nil {
				return nil, errf(kfNotServicer, "user is not servicer")
			}
			if sv.status != 0 {
				return nil, errf(kfServicerStopped, "servicer is not receiving")
			}
		} else if req.ServicerUserID != "" {
			return nil, errf(kfInvalidParam, "servicer_userid is only for service_state 3")
		}
		ks, now := c.corp.kf, c.s.now()
		code := func(kind string, life int64) string {
			id := strings.ToUpper(kind) + c.s.newID("")
			ks.codes[id] = &kfCode{kind: kind, account: req.OpenKfID, customer: req.ExternalUserID, expires: now.Add(time.Duration(life) * time.Second)}
			return id
		}
		out := struct {
			MsgCode string `json:"msg_code,omitempty"`
		}{}
		switch to {
		case 2:
			if !ses.queuedOnce {
				ses.queuedOnce, out.MsgCode = true, code(kfCodeQueue, 48*3600)
			}
		case 3:
			if !ses.servicerOne {
				ses.servicerOne, out.MsgCode = true, code(kfCodeTaken, 48*3600)
			}
			ses.servicer = req.ServicerUserID
			ks.taken = append(ks.taken, kfTaken{account: req.OpenKfID, servicer: req.ServicerUserID, at: now})
		case 4:
			out.MsgCode = code(kfCodeEnd, 20)
			ses.servicer, ses.queuedOnce, ses.servicerOne = "", false, false
		}
		if to != 3 {
			ses.servicer = ""
		}
		ses.state = to
		return out, nil
	})
}

// routeKFMessages serves sync_msg, send_msg and send_msg_on_event.
func (s *Server) routeKFMessages() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
	s.handle(http.MethodPost, "/cgi-bin/kf/sync_msg", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			Cursor      string `json:"cursor"`
			Token       string `json:"token"`
			Limit       int    `json:"limit"`
			VoiceFormat int    `json:"voice_format"`
			OpenKfID    string `json:"open_kfid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		ks, now := c.corp.kf, c.s.now()
		if _, e := kfAccountLocked(ks, req.OpenKfID); e != nil {
			return nil, e
		}
		if len(req.Cursor) > 64 || len(req.Token) > 128 || req.Limit < 0 || req.Limit > 1000 || (req.VoiceFormat != 0 && req.VoiceFormat != 1) {
			return nil, errf(kfInvalidParam, "cursor at most 64 bytes, token 128, limit 1 to 1000, voice_format 0 or 1")
		}
		if req.Token != "" {
			t := ks.tokens[req.Token]
			if t == nil || !now.Before(t.expires) || t.account != req.OpenKfID {
				return nil, errf(kfInvalidToken, "invalid msg token")
			}
		} else {
			// WeCom limits pulls without a token strictly, without saying
			// how strictly: the fake takes KFTokenlessSyncLimit a minute.
			recent := ks.tokenless[req.OpenKfID][:0]
			for _, at := range ks.tokenless[req.OpenKfID] {
				if now.Sub(at) < time.Minute {
					recent = append(recent, at)
				}
			}
			if len(recent) >= KFTokenlessSyncLimit {
				ks.tokenless[req.OpenKfID] = recent
				return nil, errf(45009, "api freq out of limit: sync_msg without token")
			}
			ks.tokenless[req.OpenKfID] = append(recent, now)
		}
		pos, e := kfDecodeCursor(req.Cursor)
		if e != nil {
			return nil, e
		}
		// The messages of the account after pos that WeCom still keeps; a
		// cursor behind a message WeCom no longer keeps lost messages. The
		// page names no errcode for it: the fake answers 40058.
		var page []*kfMsg
		limit := req.Limit
		if limit == 0 {
			limit = 1000
		}
		if ks.pageSize > 0 && ks.pageSize < limit {
			limit = ks.pageSize
		}
		more := false
		last := pos
		for _, m := range ks.msgs {
			if m.account != req.OpenKfID || m.seq <= pos {
				continue
			}
			if now.Sub(m.at) > KFRetention {
				if pos > 0 {
					return nil, errf(kfInvalidParam, "invalid cursor: older than the 3 days sync_msg reads back")
				}
				last = m.seq // the oldest kept message comes after it
				continue
			}
			if len(page) == limit {
				more = true
				break
			}
			page = append(page, m)
			last = m.seq
		}
		if page == nil {
			page = []*kfMsg{}
		}
		hasMore := 0
		if more {
			hasMore = 1
		}
		return struct {
			NextCursor string   `json:"next_cursor"`
			HasMore    int      `json:"has_more"`
			MsgList    []*kfMsg `json:"msg_list"`
		}{kfEncodeCursor(last), hasMore, page}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94677
	s.handle(http.MethodPost, "/cgi-bin/kf/send_msg", authCorp, func(c *call) (any, *apiError) {
		var req map[string]json.RawMessage
		if err := json.Unmarshal(c.body, &req); err != nil {
			return nil, errf(kfInvalidParam, "invalid json")
		}
		var env struct {
			ToUser   string `json:"touser"`
			OpenKfID string `json:"open_kfid"`
			MsgID    string `json:"msgid"`
			MsgType  string `json:"msgtype"`
		}
		_ = json.Unmarshal(c.body, &env)
		known := map[string]bool{"touser": true, "open_kfid": true, "msgid": true, "msgtype": true, env.MsgType: true}
		for k := range req {
			if !known[k] {
				return nil, errf(kfInvalidParam, "invalid parameter: unknown field "+k)
			}
		}
		ks, now := c.corp.kf, c.s.now()
		if _, e := kfAccountLocked(ks, env.OpenKfID); e != nil {
			return nil, e
		}
		if ks.customers[env.ToUser] == nil {
			return nil, errf(kfInvalidExternal, "invalid external_userid")
		}
		body, ok := req[env.MsgType]
		if !ok {
			return nil, errf(kfInvalidMsgType, "invalid msgtype")
		}
		if e := c.kfCheckBody(env.MsgType, body, "text", "image", "voice", "video", "file", "link", "miniprogram", "msgmenu", "location", "ca_link"); e != nil {
			return nil, e
		}
		if e := kfCheckMsgID(ks, env.OpenKfID, env.MsgID); e != nil {
			return nil, e
		}
		ses := ks.sessions[kfKey{env.OpenKfID, env.ToUser}]
		switch {
		case ses == nil || ses.lastMsg.IsZero():
			return nil, errf(kfStateNoSend, "send msg session status invalid")
		case now.Sub(ses.lastMsg) >= KFSendWindow:
			return nil, errf(kfSendTime, "send msg time limit: 48 hours after the customer's last message")
		case ses.state != 0 && ses.state != 1:
			return nil, errf(kfStateNoSend, "send msg session status invalid")
		case ses.sentSince >= KFSendLimit:
			return nil, errf(kfSendCount, "send msg count limit: 5 until the customer writes again")
		}
		ses.sentSince++
		ses.state = 1 // answered by the API: the bot has the session
		return map[string]string{"msgid": ks.recordSent(c.s, env.OpenKfID, env.ToUser, env.MsgID, env.MsgType, body, "", now)}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95122
	s.handle(http.MethodPost, "/cgi-bin/kf/send_msg_on_event", authCorp, func(c *call) (any, *apiError) {
		var req map[string]json.RawMessage
		if err := json.Unmarshal(c.body, &req); err != nil {
			return nil, errf(kfInvalidParam, "invalid json")
		}
		var env struct {
			Code    string `json:"code"`
			MsgID   string `json:"msgid"`
			MsgType string `json:"msgtype"`
		}
		_ = json.Unmarshal(c.body, &env)
		known := map[string]bool{"code": true, "msgid": true, "msgtype": true, env.MsgType: true}
		for k := range req {
			if !known[k] {
				return nil, errf(kfInvalidParam, "invalid parameter: unknown field "+k)
			}
		}
		ks, now := c.corp.kf, c.s.now()
		// A code works once and for its time (20 s or 48 h); the page names
		// no errcode for a spent or expired one: the fake answers 40058.
		code := ks.codes[env.Code]
		if code == nil || code.used || !now.Before(code.expires) {
			return nil, errf(kfInvalidParam, "invalid code: unknown, used, or expired")
		}
		allowed := []string{"text"}
		if code.kind == kfCodeWelcome || code.kind == kfCodeEnd {
			allowed = append(allowed, "msgmenu")
		}
		body, ok := req[env.MsgType]
		if !ok {
			return nil, errf(kfInvalidMsgType, "invalid msgtype")
		}
		if e := c.kfCheckBody(env.MsgType, body, allowed...); e != nil {
			return nil, e
		}
		if e := kfCheckMsgID(ks, code.account, env.MsgID); e != nil {
			return nil, e
		}
		want := map[string]int{kfCodeQueue: 2, kfCodeTaken: 3, kfCodeEnd: 4}
		if st, ok := want[code.kind]; ok {
			if ses := ks.sessions[kfKey{code.account, code.customer}]; ses == nil || ses.state != st {
				return nil, errf(kfStateNoSend, "send msg session status invalid: the session left the code's state")
			}
		}
		code.used = true
		if code.kind == kfCodeWelcome {
			ks.customers[code.customer].welcomed = now
		}
		return map[string]string{"msgid": ks.recordSent(c.s, code.account, code.customer, env.MsgID, env.MsgType, body, code.kind, now)}, nil
	})
}

// kfCheckBody checks a message body of a type among allowed: its fields
// and WeCom's limits.
func (c *call) kfCheckBody(msgType string, body json.RawMessage, allowed ...string) *apiError {
	ok := false
	for _, a := range allowed {
		ok = ok || a == msgType
	}
	if !ok {
		return errf(kfInvalidMsgType, "invalid msgtype "+msgType)
	}
	strict := func(v any) *apiError {
		d := json.NewDecoder(strings.NewReader(string(body)))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return errf(kfInvalidParam, "invalid "+msgType+": "+err.Error())
		}
		return nil
	}
	media := func(id string) *apiError {
		if _, ok := c.liveMedia(id); !ok {
			return errf(kfInvalidMediaID, "invalid media_id")
		}
		return nil
	}
	switch msgType {
	case "text":
		var t struct {
			Content string `json:"content"`
		}
		if e := strict(&t); e != nil {
			return e
		}
		if t.Content == "" || len(t.Content) > 2048 {
			return errf(kfInvalidParam, "text.content: 1 to 2048 bytes")
		}
	case "image", "voice", "video", "file":
		var m struct {
			MediaID string `json:"media_id"`
		}
		if e := strict(&m); e != nil {
			return e
		}
		return media(m.MediaID)
	case "link":
		var l struct {
			Title        string `json:"title"`
			Desc         string `json:"desc"`
			URL          string `json:"url"`
			ThumbMediaID string `json:"thumb_media_id"`
		}
		if e := strict(&l); e != nil {
			return e
		}
		if l.Title == "" || l.URL == "" || len(l.URL) > 2048 || !(strings.HasPrefix(l.URL, "http://") || strings.HasPrefix(l.URL, "https://")) {
			return errf(kfInvalidParam, "link: title and an http(s) url of at most 2048 bytes are required")
		}
		return media(l.ThumbMediaID)
	case "miniprogram":
		var m struct {
			AppID        string `json:"appid"`
			Title        string `json:"title"`
			PagePath     string `json:"pagepath"`
			ThumbMediaID string `json:"thumb_media_id"`
		}
		if e := strict(&m); e != nil {
			return e
		}
		if m.AppID == "" || m.PagePath == "" {
			return errf(kfInvalidParam, "miniprogram: appid and pagepath are required")
		}
		return media(m.ThumbMediaID)
	case "location":
		var l struct {
			Name      string   `json:"name"`
			Address   string   `json:"address"`
			Latitude  *float64 `json:"latitude"`
			Longitude *float64 `json:"longitude"`
		}
		if e := strict(&l); e != nil {
			return e
		}
		if l.Latitude == nil || l.Longitude == nil || *l.Latitude < -90 || *l.Latitude > 90 || *l.Longitude < -180 || *l.Longitude > 180 {
			return errf(kfInvalidParam, "location: latitude -90 to 90 and longitude -180 to 180 are required")
		}
	case "ca_link":
		var l struct {
			LinkURL string `json:"link_url"`
		}
		if e := strict(&l); e != nil {
			return e
		}
		if l.LinkURL == "" {
			return errf(kfInvalidParam, "ca_link.link_url is required")
		}
	case "msgmenu":
		return kfCheckMenu(body)
	}
	return nil
}

// kfCheckMenu applies the menu's limits: at most 10 items (95008) of the
// four kinds (95009), each with its body.
func kfCheckMenu(body json.RawMessage) *apiError {
	type item struct {
		Type        string          `json:"type"`
		Click       json.RawMessage `json:"click"`
		View        json.RawMessage `json:"view"`
		MiniProgram json.RawMessage `json:"miniprogram"`
		Text        json.RawMessage `json:"text"`
	}
	var m struct {
		HeadContent string `json:"head_content"`
		List        []item `json:"list"`
		TailContent string `json:"tail_content"`
	}
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return errf(kfInvalidParam, "invalid msgmenu: "+err.Error())
	}
	if len(m.List) > 10 {
		return errf(kfMenuItems, "menu item count exceed limit")
	}
	if len(m.HeadContent) > 1024 || len(m.TailContent) > 1024 {
		return errf(kfInvalidParam, "msgmenu: head_content and tail_content at most 1024 bytes")
	}
	for _, it := range m.List {
		var b json.RawMessage
		switch it.Type {
		case "click":
			b = it.Click
		case "view":
			b = it.View
		case "miniprogram":
			b = it.MiniProgram
		case "text":
			b = it.Text
		default:
			return errf(kfMenuItemType, "invalid menu item type")
		}
		var f struct {
			Content string `json:"content"`
		}
		if len(b) == 0 || json.Unmarshal(b, &f) != nil || f.Content == "" {
			return errf(kfInvalidParam, "menu item "+it.Type+" needs its body with content")
		}
	}
	return nil
}

func kfCheckMsgID(ks *kfState, account, msgID string) *apiError {
	if msgID == "" {
		return nil
	}
	if len(msgID) > 32 || !kfIDChars.MatchString(msgID) {
		return errf(kfInvalidParam, "msgid: at most 32 bytes of [0-9a-zA-Z_-]")
	}
	if ks.sentIDs[account+"/"+msgID] {
		return errf(kfInvalidParam, "msgid is not unique in the account")
	}
	return nil
}

// recordSent records a message the app sent and returns its msgid.
func (ks *kfState) recordSent(s *Server, account, customer, msgID, msgType string, body json.RawMessage, code string, now time.Time) string {
	if msgID == "" {
		msgID = "sent" + s.newID("")
	}
	ks.sentIDs[account+"/"+msgID] = true
	ks.sent = append(ks.sent, KFSent{OpenKfID: account, ExternalUserID: customer, MsgID: msgID, MsgType: msgType,
		Body: append(json.RawMessage(nil), body...), Code: code, At: now})
	return msgID
}

// sync_msg cursors: opaque to clients, the last message's sequence inside.
func kfEncodeCursor(seq int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("kf:" + strconv.Itoa(seq)))
}

func kfDecodeCursor(c string) (int, *apiError) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	n, cerr := strconv.Atoi(strings.TrimPrefix(string(b), "kf:"))
	if err != nil || cerr != nil || !strings.HasPrefix(string(b), "kf:") || n < 0 {
		return 0, errf(kfInvalidParam, "invalid cursor")
	}
	return n, nil
}
