package wecomtest

import (
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"
)

type wireTag struct {
	GroupName string `json:"group_name"`
	TagName   string `json:"tag_name"`
	Type      int    `json:"type"`
	TagID     string `json:"tag_id,omitempty"`
}

type wireFollowUser struct {
	UserID         string        `json:"userid"`
	Remark         string        `json:"remark"`
	Description    string        `json:"description"`
	CreateTime     int64         `json:"createtime"`
	Tags           []wireTag     `json:"tags"`
	RemarkCorpName string        `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string      `json:"remark_mobiles,omitempty"`
	OperUserID     string        `json:"oper_userid"`
	AddWay         int           `json:"add_way"`
	State          string        `json:"state,omitempty"`
	WechatChannels *wireChannels `json:"wechat_channels,omitempty"`
}

type wireFollowInfo struct {
	UserID         string        `json:"userid"`
	Remark         string        `json:"remark"`
	Description    string        `json:"description"`
	CreateTime     int64         `json:"createtime"`
	TagID          []string      `json:"tag_id"`
	RemarkCorpName string        `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string      `json:"remark_mobiles,omitempty"`
	OperUserID     string        `json:"oper_userid"`
	AddWay         int           `json:"add_way"`
	State          string        `json:"state,omitempty"`
	WechatChannels *wireChannels `json:"wechat_channels,omitempty"`
}

func (cs *contactState) followUser(f *followRec) wireFollowUser {
	w := wireFollowUser{UserID: f.UserID, Remark: f.Remark, Description: f.Description, CreateTime: f.CreateTime,
		Tags: []wireTag{}, RemarkCorpName: f.RemarkCorpName, RemarkMobiles: f.RemarkMobiles,
		OperUserID: f.OperUserID, AddWay: f.AddWay, State: f.State, WechatChannels: f.WechatChannels}
	for _, id := range f.TagIDs {
		t := cs.tags[id]
		if t == nil || t.deleted {
			continue
		}
		typ := 1
		if cs.groups[t.group].strategy > 0 {
			typ = 3
		}
		w.Tags = append(w.Tags, wireTag{GroupName: cs.groups[t.group].name, TagName: t.name, Type: typ, TagID: id})
	}
	return w
}

func (cs *contactState) followInfo(f *followRec) wireFollowInfo {
	ids := []string{}
	for _, id := range f.TagIDs {
		if t := cs.tags[id]; t != nil && !t.deleted {
			ids = append(ids, id)
		}
	}
	return wireFollowInfo{UserID: f.UserID, Remark: f.Remark, Description: f.Description, CreateTime: f.CreateTime,
		TagID: ids, RemarkCorpName: f.RemarkCorpName, RemarkMobiles: f.RemarkMobiles,
		OperUserID: f.OperUserID, AddWay: f.AddWay, State: f.State, WechatChannels: f.WechatChannels}
}

// activeStaff returns the member if it has the feature and has not resigned.
func (cs *contactState) activeStaff(userID string) *fakeStaff {
	if st := cs.staff[userID]; st != nil && !st.resigned {
		return st
	}
	return nil
}

// SetUnlicensed marks a member as having (unlicensed false) or lacking
// (true) an interop licence (互通许可). As WeCom does, batch/get_by_user then
// leaves that member's customers out and lists the member in
// fail_info.unlicensed_userid_list, and answers 701008 when every member it
// was asked for lacks one.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (c *Corp) SetUnlicensed(userID string, unlicensed bool) error {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return err
	}
	st := cs.staff[userID]
	if st == nil {
		return fmt.Errorf("wecomtest: corp %s has no member %q", corpID, userID)
	}
	st.unlicensed = unlicensed
	return nil
}

func (s *Server) routeContactCustomers() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92571
	s.handleContact(http.MethodGet, "/cgi-bin/externalcontact/get_follow_user_list", func(c *call) (any, *apiError) {
		cs := c.corp.contact
		users := []string{}
		for _, u := range cs.staffOrder {
			if !cs.staff[u].resigned {
				users = append(users, u)
			}
		}
		return struct {
			FollowUser []string `json:"follow_user"`
		}{users}, nil
	})

	// check_follow_user splits the members and departments asked about by
	// whether they have the customer-contact feature: a member has it when
	// AddStaff gave it and the member has not resigned; of departments the
	// fake knows the root one (rootDepartment, holding every member), which
	// has it when the corp has a member with it.
	//
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96312
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/check_follow_user", func(c *call) (any, *apiError) {
		var req struct {
			UserID  []string `json:"userid"`
			PartyID []int    `json:"partyid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if len(req.UserID) == 0 && len(req.PartyID) == 0 {
			return nil, errf(40058, "userid and partyid cannot both be empty")
		}
		type scope struct {
			UserID  []string `json:"userid,omitempty"`
			PartyID []int    `json:"partyid,omitempty"`
		}
		var out struct {
			Authorized   scope `json:"authorized"`
			Unauthorized scope `json:"unauthorized"`
		}
		cs := c.corp.contact
		for _, u := range req.UserID {
			if cs.activeStaff(u) != nil {
				out.Authorized.UserID = append(out.Authorized.UserID, u)
			} else {
				out.Unauthorized.UserID = append(out.Unauthorized.UserID, u)
			}
		}
		anyStaff := slices.ContainsFunc(cs.staffOrder, func(u string) bool { return cs.activeStaff(u) != nil })
		for _, p := range req.PartyID {
			if p == rootDepartment && anyStaff {
				out.Authorized.PartyID = append(out.Authorized.PartyID, p)
			} else {
				out.Unauthorized.PartyID = append(out.Unauthorized.PartyID, p)
			}
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92113
	s.handleContact(http.MethodGet, "/cgi-bin/externalcontact/list", func(c *call) (any, *apiError) {
		userID := c.r.URL.Query().Get("userid")
		if userID == "" {
			return nil, errf(40058, "userid missing")
		}
		st := c.corp.contact.activeStaff(userID)
		if st == nil {
			return nil, errf(40003, "invalid userid")
		}
		return struct {
			ExternalUserID []string `json:"external_userid"`
		}{append([]string{}, st.customers...)}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
	s.handleContact(http.MethodGet, "/cgi-bin/externalcontact/get", func(c *call) (any, *apiError) {
		q := c.r.URL.Query()
		ext := q.Get("external_userid")
		if ext == "" {
			return nil, errf(41035, "missing external_userid")
		}
		cs := c.corp.contact
		cust := cs.customers[ext]
		if cust == nil {
			return nil, errf(40096, "invalid external_userid")
		}
		pos, aerr := decodeCursor(q.Get("cursor"), 1)
		if aerr != nil {
			return nil, aerr
		}
		var active []*followRec
		for _, u := range cust.followers {
			if st := cs.activeStaff(u); st != nil {
				active = append(active, st.follows[ext])
			}
		}
		size := cs.pageSize(500)
		from := min(pos[0], len(active))
		to := min(from+size, len(active))
		out := struct {
			ExternalContact wireExternalContact `json:"external_contact"`
			FollowUser      []wireFollowUser    `json:"follow_user"`
			NextCursor      string              `json:"next_cursor,omitempty"`
		}{ExternalContact: cust.contact, FollowUser: []wireFollowUser{}}
		for _, f := range active[from:to] {
			out.FollowUser = append(out.FollowUser, cs.followUser(f))
		}
		if to < len(active) {
			out.NextCursor = encodeCursor(to)
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/batch/get_by_user", func(c *call) (any, *apiError) {
		var req struct {
			UserIDList []string `json:"userid_list"`
			Cursor     string   `json:"cursor"`
			Limit      *int     `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		switch {
		case len(req.UserIDList) == 0:
			return nil, errf(40058, "userid_list missing")
		case len(req.UserIDList) > 100:
			return nil, errf(40058, "userid_list has more than 100 userids")
		}
		limit := 50
		if req.Limit != nil {
			if *req.Limit < 0 {
				return nil, errf(40058, "invalid limit")
			}
			if *req.Limit > 0 {
				limit = min(*req.Limit, 100) // larger values are clamped, as documented
			}
		}
		cs := c.corp.contact
		staff := make([]*fakeStaff, len(req.UserIDList))
		var unlicensed []string
		for i, u := range req.UserIDList {
			if cs.staff[u] == nil {
				return nil, errf(40003, "invalid userid "+u)
			}
			staff[i] = cs.activeStaff(u) // nil for a resigned member: nothing to list
			if staff[i] != nil && staff[i].unlicensed {
				unlicensed = append(unlicensed, u)
				staff[i] = nil // its customers are left out
			}
		}
		if len(unlicensed) == len(req.UserIDList) {
			return nil, errf(701008, "no valid interop license for the userids")
		}
		pos, aerr := decodeCursor(req.Cursor, 2)
		if aerr != nil {
			return nil, aerr
		}
		type item struct {
			ExternalContact wireExternalContact `json:"external_contact"`
			FollowInfo      wireFollowInfo      `json:"follow_info"`
		}
		type failInfo struct {
			UnlicensedUserIDList []string `json:"unlicensed_userid_list"`
		}
		out := struct {
			ExternalContactList []item    `json:"external_contact_list"`
			NextCursor          string    `json:"next_cursor"`
			FailInfo            *failInfo `json:"fail_info,omitempty"`
		}{ExternalContactList: make([]item, 0, limit)}
		if len(unlicensed) > 0 {
			out.FailInfo = &failInfo{UnlicensedUserIDList: unlicensed}
		}
		ui, off := pos[0], pos[1]
		for ui < len(staff) && len(out.ExternalContactList) < limit {
			st := staff[ui]
			if st == nil || off >= len(st.customers) {
				ui, off = ui+1, 0
				continue
			}
			ext := st.customers[off]
			out.ExternalContactList = append(out.ExternalContactList,
				item{ExternalContact: cs.customers[ext].contact, FollowInfo: cs.followInfo(st.follows[ext])})
			off++
		}
		for ui < len(staff) && (staff[ui] == nil || off >= len(staff[ui].customers)) {
			ui, off = ui+1, 0
		}
		if ui < len(staff) {
			out.NextCursor = encodeCursor(ui, off)
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92115
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/remark", func(c *call) (any, *apiError) {
		var req struct {
			UserID           string   `json:"userid"`
			ExternalUserID   string   `json:"external_userid"`
			Remark           *string  `json:"remark"`
			Description      *string  `json:"description"`
			RemarkCompany    *string  `json:"remark_company"`
			RemarkMobiles    []string `json:"remark_mobiles"`
			RemarkPicMediaID *string  `json:"remark_pic_mediaid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.UserID == "" || req.ExternalUserID == "" {
			return nil, errf(40058, "userid and external_userid are required")
		}
		if req.Remark == nil && req.Description == nil && req.RemarkCompany == nil && req.RemarkMobiles == nil && req.RemarkPicMediaID == nil {
			return nil, errf(40058, "nothing to change")
		}
		if tooLong(req.Remark, 20) || tooLong(req.Description, 150) || tooLong(req.RemarkCompany, 20) {
			return nil, errf(40058, "remark, description or remark_company too long")
		}
		f, aerr := c.corp.contact.relation(req.UserID, req.ExternalUserID)
		if aerr != nil {
			return nil, aerr
		}
		if req.Remark != nil {
			f.Remark = *req.Remark
		}
		if req.Description != nil {
			f.Description = *req.Description
		}
		if req.RemarkCompany != nil {
			f.RemarkCorpName = *req.RemarkCompany
		}
		if req.RemarkMobiles != nil {
			f.RemarkMobiles = nil
			for _, m := range req.RemarkMobiles {
				if m != "" {
					f.RemarkMobiles = append(f.RemarkMobiles, m)
				}
			}
		}
		if req.RemarkPicMediaID != nil {
			if _, ok := c.liveMedia(*req.RemarkPicMediaID); !ok {
				return nil, errf(40007, "invalid media_id")
			}
			f.RemarkPicMediaID = *req.RemarkPicMediaID
		}
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93274
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/unionid_to_external_userid", func(c *call) (any, *apiError) {
		var req struct {
			UnionID string `json:"unionid"`
			OpenID  string `json:"openid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.UnionID == "" || req.OpenID == "" {
			return nil, errf(40058, "unionid and openid are required")
		}
		return struct {
			ExternalUserID string `json:"external_userid"`
		}{c.corp.contact.byUnionID[req.UnionID]}, nil
	})
}

// relation returns the follow record of an active member and customer.
func (cs *contactState) relation(userID, ext string) (*followRec, *apiError) {
	st := cs.activeStaff(userID)
	if st == nil {
		return nil, errf(40003, "invalid userid")
	}
	if cs.customers[ext] == nil {
		return nil, errf(40096, "invalid external_userid")
	}
	f := st.follows[ext]
	if f == nil {
		return nil, errf(84061, "not external contact")
	}
	return f, nil
}

func tooLong(s *string, n int) bool { return s != nil && utf8.RuneCountInString(*s) > n }
