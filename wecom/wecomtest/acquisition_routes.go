package wecomtest

import (
	"net/http"
	"unicode/utf8"
)

// Errcodes the acquisition routes answer. The docs name none for these
// endpoints, so the fake uses WeCom's global ones: 40058 (invalid
// parameter) for input beyond the documented limits, an unknown or deleted
// link and an unknown or expired ChatKey; 40003 (invalid userid) for a
// member the corp does not have with customer contact; 48002 (API
// forbidden) for another app's link and for get_permit from an app that is
// not a marketing-acquisition app.
const (
	acqCodeInvalid   = 40058
	acqCodeUserID    = 40003
	acqCodeForbidden = 48002
)

// routeAcquisition serves the customer-acquisition (获客助手) endpoints.
func (s *Server) routeAcquisition() {
	s.routeAcquisitionComponent()
	type linkIDReq struct {
		LinkID string `json:"link_id"`
	}
	// ownLink finds a link of the calling app: since 2023-12 an app sees
	// and changes only the links it created.
	ownLink := func(c *call, id string) (*acqLink, *apiError) {
		if id == "" {
			return nil, errf(acqCodeInvalid, "link_id missing")
		}
		l := c.corp.acquisition.links[id]
		if l == nil || l.deleted {
			return nil, errf(acqCodeInvalid, "invalid link_id")
		}
		if l.app != c.s.appLocked(c) {
			return nil, errf(acqCodeForbidden, "api forbidden: the link was not created by this app")
		}
		return l, nil
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/list_link", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			Limit  int    `json:"limit"`
			Cursor string `json:"cursor"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.Limit < 0 || req.Limit > 100 {
			return nil, errf(acqCodeInvalid, "limit must be 1 to 100")
		}
		if req.Limit == 0 {
			req.Limit = 100
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		as, app := c.corp.acquisition, c.s.appLocked(c)
		out := struct {
			LinkIDList []string `json:"link_id_list"`
			NextCursor string   `json:"next_cursor"`
		}{LinkIDList: []string{}}
		i := pos[0]
		for ; i < len(as.linkOrder) && len(out.LinkIDList) < req.Limit; i++ {
			if l := as.links[as.linkOrder[i]]; !l.deleted && l.app == app {
				out.LinkIDList = append(out.LinkIDList, l.id)
			}
		}
		for ; i < len(as.linkOrder); i++ { // a next page only if it has something
			if l := as.links[as.linkOrder[i]]; !l.deleted && l.app == app {
				out.NextCursor = encodeCursor(i)
				break
			}
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/get", authCorp, func(c *call) (any, *apiError) {
		var req linkIDReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		l, e := ownLink(c, req.LinkID)
		if e != nil {
			return nil, e
		}
		type wireLink struct {
			LinkName   string `json:"link_name"`
			URL        string `json:"url"`
			CreateTime int64  `json:"create_time"`
			SkipVerify bool   `json:"skip_verify"`
		}
		return struct {
			Link           wireLink         `json:"link"`
			Range          wireAcqRange     `json:"range"`
			PriorityOption *wireAcqPriority `json:"priority_option,omitempty"`
		}{wireLink{l.name, l.url, l.createTime, l.skipVerify}, l.rng, l.priority}, nil
	})

	type linkFields struct {
		LinkName       *string          `json:"link_name"`
		Range          *wireAcqRange    `json:"range"`
		SkipVerify     *bool            `json:"skip_verify"`
		PriorityOption *wireAcqPriority `json:"priority_option"`
		MarkSource     *bool            `json:"mark_source"`
	}
	check := func(c *call, f *linkFields) *apiError {
		if f.LinkName != nil && (*f.LinkName == "" || utf8.RuneCountInString(*f.LinkName) > 30) {
			return errf(acqCodeInvalid, "link_name must be 1 to 30 characters")
		}
		if r := f.Range; r != nil {
			if len(r.UserList) == 0 && len(r.DepartmentList) == 0 {
				return errf(acqCodeInvalid, "range.user_list and range.department_list cannot both be empty")
			}
			if len(r.UserList) > 500 {
				return errf(acqCodeInvalid, "range covers more than 500 members")
			}
			for _, u := range r.UserList {
				if c.corp.contact.activeStaff(u) == nil {
					return errf(acqCodeUserID, "invalid userid "+u)
				}
			}
		}
		if p := f.PriorityOption; p != nil {
			switch {
			case p.PriorityType != 1 && p.PriorityType != 2:
				return errf(acqCodeInvalid, "priority_type must be 1 or 2")
			case p.PriorityType == 2 && len(p.PriorityUserIDList) == 0:
				return errf(acqCodeInvalid, "priority_userid_list is required for priority_type 2")
			case len(p.PriorityUserIDList) > 1000:
				return errf(acqCodeInvalid, "priority_userid_list has more than 1000 members")
			}
		}
		return nil
	}
	apply := func(c *call, l *acqLink, f *linkFields) {
		if f.LinkName != nil {
			l.name = *f.LinkName
		}
		if f.Range != nil { // the range is replaced, not merged
			l.rng = wireAcqRange{UserList: append([]string{}, f.Range.UserList...),
				DepartmentList: append([]int{}, f.Range.DepartmentList...)}
			l.next = 0
		}
		if f.SkipVerify != nil {
			l.skipVerify = *f.SkipVerify
		}
		if f.PriorityOption != nil {
			p := *f.PriorityOption
			p.PriorityUserIDList = append([]string(nil), p.PriorityUserIDList...)
			l.priority = &p
		}
		// mark_source takes effect for marketing-acquisition apps only.
		if _, marketing := c.corp.acquisition.marketing[l.app]; f.MarkSource != nil && marketing {
			l.markSource = *f.MarkSource
		}
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/create_link", authCorp, func(c *call) (any, *apiError) {
		var req linkFields
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		switch {
		case req.LinkName == nil:
			return nil, errf(acqCodeInvalid, "link_name missing")
		case req.Range == nil:
			return nil, errf(acqCodeInvalid, "range missing")
		}
		if e := check(c, &req); e != nil {
			return nil, e
		}
		as := c.corp.acquisition
		id := c.s.newID("ca")
		l := &acqLink{id: id, url: "https://wecomtest.invalid/ca/" + id, createTime: c.s.now().Unix(),
			skipVerify: true, app: c.s.appLocked(c), clicks: map[int64]int64{}, adds: map[int64]int64{}}
		_, marketing := as.marketing[l.app]
		l.markSource = marketing
		apply(c, l, &req)
		as.links[id] = l
		as.linkOrder = append(as.linkOrder, id)
		type wireLink struct {
			LinkID     string `json:"link_id"`
			LinkName   string `json:"link_name"`
			URL        string `json:"url"`
			CreateTime int64  `json:"create_time"`
		}
		return struct {
			Link wireLink `json:"link"`
		}{wireLink{l.id, l.name, l.url, l.createTime}}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/update_link", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			LinkID string `json:"link_id"`
			linkFields
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		l, e := ownLink(c, req.LinkID)
		if e != nil {
			return nil, e
		}
		if e := check(c, &req.linkFields); e != nil {
			return nil, e
		}
		apply(c, l, &req.linkFields)
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97297
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/delete_link", authCorp, func(c *call) (any, *apiError) {
		var req linkIDReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		l, e := ownLink(c, req.LinkID)
		if e != nil {
			return nil, e
		}
		l.deleted = true
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97298
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/customer", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			LinkID string `json:"link_id"`
			Limit  int    `json:"limit"`
			Cursor string `json:"cursor"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		l, e := ownLink(c, req.LinkID)
		if e != nil {
			return nil, e
		}
		if req.Limit < 0 || req.Limit > 1000 {
			return nil, errf(acqCodeInvalid, "limit must be 1 to 1000")
		}
		if req.Limit == 0 {
			req.Limit = 1000
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		out := struct {
			CustomerList []wireAcqCustomer `json:"customer_list"`
			NextCursor   string            `json:"next_cursor"`
		}{CustomerList: []wireAcqCustomer{}}
		i := min(pos[0], len(l.customers))
		for ; i < len(l.customers) && len(out.CustomerList) < req.Limit; i++ {
			out.CustomerList = append(out.CustomerList, l.customers[i].wireAcqCustomer)
		}
		if i < len(l.customers) {
			out.NextCursor = encodeCursor(i)
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97375
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/statistic", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			LinkID    string `json:"link_id"`
			StartTime int64  `json:"start_time"`
			EndTime   int64  `json:"end_time"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		l, e := ownLink(c, req.LinkID)
		if e != nil {
			return nil, e
		}
		now := c.s.now().Unix()
		switch {
		case req.StartTime <= 0 || req.EndTime <= 0:
			return nil, errf(acqCodeInvalid, "start_time and end_time are required")
		case req.EndTime < req.StartTime:
			return nil, errf(acqCodeInvalid, "end_time is before start_time")
		case chinaDay(req.EndTime)-chinaDay(req.StartTime) > 30*86400:
			// WeCom counts whole days, both included: day 1 to day 31 is
			// allowed whatever the times of day (97400).
			return nil, errf(acqCodeInvalid, "start_time and end_time may be at most 30 days apart")
		case chinaDay(req.StartTime) < chinaDay(now)-180*86400:
			return nil, errf(acqCodeInvalid, "only the last 180 days can be queried")
		}
		out := struct {
			ClickLinkCustomerCnt int64 `json:"click_link_customer_cnt"`
			NewCustomerCnt       int64 `json:"new_customer_cnt"`
		}{}
		for day := chinaDay(req.StartTime); day <= chinaDay(req.EndTime); day += 86400 {
			out.ClickLinkCustomerCnt += l.clicks[day]
			out.NewCustomerCnt += l.adds[day]
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97375
	s.handle(http.MethodGet, "/cgi-bin/externalcontact/customer_acquisition_quota", authCorp, func(c *call) (any, *apiError) {
		as := c.corp.acquisition
		type batch struct {
			ExpireDate int64 `json:"expire_date"`
			Balance    int64 `json:"balance"`
		}
		out := struct {
			Total     int64   `json:"total"`
			Balance   int64   `json:"balance"`
			QuotaList []batch `json:"quota_list"`
		}{Total: as.total, Balance: as.balance(c.s.now()), QuotaList: []batch{}}
		for _, b := range as.batches {
			// expire_date is 00:00 of the day the batch expires
			out.QuotaList = append(out.QuotaList, batch{ExpireDate: chinaDay(b.expire), Balance: b.balance})
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/101361
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/get_chat_info", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			ChatKey string `json:"chat_key"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.ChatKey == "" {
			return nil, errf(acqCodeInvalid, "chat_key missing")
		}
		k := c.corp.acquisition.chatKeys[req.ChatKey]
		if k == nil || !c.s.now().Before(k.expires) {
			return nil, errf(acqCodeInvalid, "invalid or expired chat_key")
		}
		type chatInfo struct {
			RecvMsgCnt int64  `json:"recv_msg_cnt"`
			LinkID     string `json:"link_id"`
			State      string `json:"state"`
		}
		return struct {
			UserID         string   `json:"userid"`
			ExternalUserID string   `json:"external_userid"`
			ChatInfo       chatInfo `json:"chat_info"`
		}{k.userID, k.externalUserID, chatInfo{k.recv, k.linkID, k.state}}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/101146
	s.handle(http.MethodGet, "/cgi-bin/externalcontact/customer_acquisition_app/get_permit", authCorp, func(c *call) (any, *apiError) {
		p := c.corp.acquisition.marketing[c.s.appLocked(c)]
		if p == nil {
			return nil, errf(acqCodeForbidden, "api forbidden: only marketing-acquisition apps may call get_permit")
		}
		return struct {
			UserList       []string `json:"user_list"`
			DepartmentList []int    `json:"department_list"`
			TagList        []int    `json:"tag_list"`
		}{p.Users, p.Departments, p.Tags}, nil
	})
}
