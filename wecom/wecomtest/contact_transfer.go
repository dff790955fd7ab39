package wecomtest

import (
	"net/http"
	"time"
	"unicode/utf8"
)

// transferRec is one customer's handover from one member to another.
type transferRec struct {
	resigned   bool
	handover   string
	takeover   string
	ext        string
	status     int   // 1 done, 2 waiting
	created    int64 // when the transfer was asked for
	takeoverAt int64 // when it completes (or completed)
}

const takeoverDelay = 24 * time.Hour

// settle completes the waiting transfers whose time has come.
func (cs *contactState) settle(now time.Time) {
	if cs.pending > 0 {
		cs.settleAll(now, false)
	}
}

// settleAll completes waiting transfers: all of them when force is set,
// else those whose takeover time has passed. It returns how many.
func (cs *contactState) settleAll(now time.Time, force bool) int {
	n := 0
	for _, t := range cs.transfers {
		if t.status != 2 || (!force && now.Unix() < t.takeoverAt) {
			continue
		}
		t.status = 1
		t.takeoverAt = now.Unix()
		cs.pending--
		n++
		from, to := cs.staff[t.handover], cs.staff[t.takeover]
		f := from.follows[t.ext]
		if f == nil || to == nil {
			continue
		}
		if _, already := to.follows[t.ext]; !already {
			moved := *f
			moved.CreateTime = now.Unix()
			moved.AddWay = 202
			moved.OperUserID = t.handover
			cs.follow(to, t.ext, &moved)
		}
		cs.unfollow(from, t.ext)
	}
	return n
}

func (s *Server) routeContactTransfer() {
	type transferReq struct {
		HandoverUserID     string   `json:"handover_userid"`
		TakeoverUserID     string   `json:"takeover_userid"`
		ExternalUserID     []string `json:"external_userid"`
		TransferSuccessMsg string   `json:"transfer_success_msg"`
	}
	type resignedReq struct {
		HandoverUserID string   `json:"handover_userid"`
		TakeoverUserID string   `json:"takeover_userid"`
		ExternalUserID []string `json:"external_userid"`
	}
	type customerCode struct {
		ExternalUserID string `json:"external_userid"`
		Errcode        int    `json:"errcode"`
	}
	type transferAnswer struct {
		Customer []customerCode `json:"customer"`
	}

	transfer := func(c *call, resigned bool, req transferReq) (any, *apiError) {
		cs := c.corp.contact
		switch {
		case req.HandoverUserID == "" || req.TakeoverUserID == "":
			return nil, errf(40058, "handover_userid and takeover_userid are required")
		case len(req.ExternalUserID) == 0:
			return nil, errf(41035, "missing external_userid")
		case len(req.ExternalUserID) > 100:
			return nil, errf(40058, "more than 100 external_userid")
		case utf8.RuneCountInString(req.TransferSuccessMsg) > 200:
			return nil, errf(40058, "transfer_success_msg longer than 200 characters")
		}
		from := cs.staff[req.HandoverUserID]
		if from == nil {
			return nil, errf(40003, "invalid handover_userid")
		}
		if resigned && !from.resigned {
			return nil, errf(40097, "handover_userid has not resigned")
		}
		if cs.activeStaff(req.TakeoverUserID) == nil {
			return nil, errf(40003, "invalid takeover_userid")
		}
		now := c.s.now()
		out := transferAnswer{Customer: []customerCode{}}
		for _, ext := range req.ExternalUserID {
			code := 0
			switch {
			case cs.customers[ext] == nil:
				code = 40096
			case req.HandoverUserID == req.TakeoverUserID:
				code = 40130
			case from.follows[ext] == nil:
				code = 40131
			case !resigned && from.resigned:
				code = 40131
			}
			if code == 0 {
				recent := 0
				for _, t := range cs.transfers {
					if t.ext != ext {
						continue
					}
					if t.status == 2 {
						code = 40129
					}
					if !t.resigned && now.Unix()-t.created < 90*24*3600 {
						recent++
					}
				}
				if code == 0 && !resigned && recent >= 2 {
					code = 40128
				}
			}
			if code == 0 {
				cs.transfers = append(cs.transfers, &transferRec{resigned: resigned, handover: req.HandoverUserID,
					takeover: req.TakeoverUserID, ext: ext, status: 2, created: now.Unix(),
					takeoverAt: now.Add(takeoverDelay).Unix()})
				cs.pending++
			}
			out.Customer = append(out.Customer, customerCode{ext, code})
		}
		return out, nil
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92125
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/transfer_customer", func(c *call) (any, *apiError) {
		var req transferReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return transfer(c, false, req)
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94081
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/resigned/transfer_customer", func(c *call) (any, *apiError) {
		var req resignedReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		return transfer(c, true, transferReq{HandoverUserID: req.HandoverUserID, TakeoverUserID: req.TakeoverUserID, ExternalUserID: req.ExternalUserID})
	})

	result := func(c *call, resigned bool) (any, *apiError) {
		var req struct {
			HandoverUserID string `json:"handover_userid"`
			TakeoverUserID string `json:"takeover_userid"`
			Cursor         string `json:"cursor"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.HandoverUserID == "" || req.TakeoverUserID == "" {
			return nil, errf(40058, "handover_userid and takeover_userid are required")
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		cs := c.corp.contact
		type status struct {
			ExternalUserID string `json:"external_userid"`
			Status         int    `json:"status"`
			TakeoverTime   int64  `json:"takeover_time"`
		}
		out := struct {
			Customer   []status `json:"customer"`
			NextCursor string   `json:"next_cursor"`
		}{Customer: []status{}}
		size := cs.pageSize(1000)
		i := pos[0]
		for ; i < len(cs.transfers) && len(out.Customer) < size; i++ {
			t := cs.transfers[i]
			if t.resigned != resigned || t.handover != req.HandoverUserID || t.takeover != req.TakeoverUserID {
				continue
			}
			out.Customer = append(out.Customer, status{t.ext, t.status, t.takeoverAt})
		}
		if i < len(cs.transfers) {
			out.NextCursor = encodeCursor(i)
		}
		return out, nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94088
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/transfer_result", func(c *call) (any, *apiError) {
		return result(c, false)
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94082
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/resigned/transfer_result", func(c *call) (any, *apiError) {
		return result(c, true)
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92124
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_unassigned_list", func(c *call) (any, *apiError) {
		var req struct {
			Cursor   string `json:"cursor"`
			PageSize int    `json:"page_size"`
			PageID   int    `json:"page_id"` // legacy paging, still accepted
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.PageSize < 0 || req.PageID < 0 {
			return nil, errf(40058, "invalid page_size or page_id")
		}
		cs := c.corp.contact
		size := req.PageSize
		if size == 0 || size > 1000 {
			size = 1000
		}
		size = cs.pageSize(size)
		pos, e := decodeCursor(req.Cursor, 2)
		if e != nil {
			return nil, e
		}
		inTransfer := map[string]bool{}
		for _, t := range cs.transfers {
			if t.resigned && t.status == 2 {
				inTransfer[t.handover+"\x00"+t.ext] = true
			}
		}
		type info struct {
			HandoverUserID string `json:"handover_userid"`
			ExternalUserID string `json:"external_userid"`
			DimissionTime  int64  `json:"dimission_time"`
		}
		out := struct {
			Info       []info `json:"info"`
			IsLast     bool   `json:"is_last"`
			NextCursor string `json:"next_cursor"`
		}{Info: []info{}}
		si, off := pos[0], pos[1]
		for si < len(cs.staffOrder) && len(out.Info) < size {
			st := cs.staff[cs.staffOrder[si]]
			if !st.resigned || off >= len(st.customers) {
				si, off = si+1, 0
				continue
			}
			ext := st.customers[off]
			off++
			if !inTransfer[st.userID+"\x00"+ext] {
				out.Info = append(out.Info, info{st.userID, ext, st.dimission})
			}
		}
		for si < len(cs.staffOrder) && (!cs.staff[cs.staffOrder[si]].resigned || off >= len(cs.staff[cs.staffOrder[si]].customers)) {
			si, off = si+1, 0
		}
		if si < len(cs.staffOrder) {
			out.NextCursor = encodeCursor(si, off)
		} else {
			out.IsLast = true
		}
		return out, nil
	})
}

func (s *Server) routeContactStats() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92132
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_user_behavior_data", func(c *call) (any, *apiError) {
		var req struct {
			UserID    []string `json:"userid"`
			PartyID   []int    `json:"partyid"`
			StartTime int64    `json:"start_time"`
			EndTime   int64    `json:"end_time"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		switch {
		case len(req.UserID) == 0 && len(req.PartyID) == 0:
			return nil, errf(40058, "userid and partyid are both empty")
		case len(req.UserID) > 100 || len(req.PartyID) > 100:
			return nil, errf(40058, "more than 100 userid or partyid")
		}
		start, end := chinaMidnight(req.StartTime), chinaMidnight(req.EndTime)
		oldest := chinaMidnight(c.s.now().Unix()) - 180*86400
		if req.StartTime <= 0 || end < start || end-start > 30*86400 || start < oldest {
			return nil, errf(600018, "invalid start endtime")
		}
		cs := c.corp.contact
		type day struct {
			StatTime            int64    `json:"stat_time"`
			NewApplyCnt         int      `json:"new_apply_cnt"`
			NewContactCnt       int      `json:"new_contact_cnt"`
			ChatCnt             int      `json:"chat_cnt"`
			MessageCnt          int      `json:"message_cnt"`
			ReplyPercentage     *float64 `json:"reply_percentage,omitempty"`
			AvgReplyTime        *int     `json:"avg_reply_time,omitempty"`
			NegativeFeedbackCnt int      `json:"negative_feedback_cnt"`
		}
		days := []day{}
		index := map[int64]int{}
		for t := start; t <= end; t += 86400 {
			index[t] = len(days)
			days = append(days, day{StatTime: t})
		}
		for _, u := range req.UserID {
			st := cs.staff[u]
			if st == nil {
				return nil, errf(40003, "invalid userid "+u)
			}
			for _, f := range st.follows {
				if i, ok := index[chinaMidnight(f.CreateTime)]; ok {
					days[i].NewContactCnt++
					if f.OperUserID == u {
						days[i].NewApplyCnt++
					}
				}
			}
		}
		return struct {
			BehaviorData []day `json:"behavior_data"`
		}{days}, nil
	})
}
