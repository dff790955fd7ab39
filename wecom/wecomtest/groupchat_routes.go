package wecomtest

import (
	"net/http"
	"slices"
)

// routeGroupChat serves the customer-group endpoints.
func (s *Server) routeGroupChat() {
	s.routeGroupChats()
	s.routeGroupChatJoinWays()
	s.routeGroupChatTransfer()
	s.routeGroupChatStats()
}

type wireOwnerFilter struct {
	UserIDList []string `json:"userid_list"`
}

// routeGroupChats serves groupchat/list, groupchat/get and
// opengid_to_chatid.
func (s *Server) routeGroupChats() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92120
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/list", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			StatusFilter int              `json:"status_filter"`
			OwnerFilter  *wireOwnerFilter `json:"owner_filter"`
			Cursor       string           `json:"cursor"`
			Limit        *int             `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		gs, cs := c.corp.groupchat, c.corp.contact
		switch {
		case req.Limit == nil:
			return nil, errf(40058, "limit missing")
		case *req.Limit < 1 || *req.Limit > 1000:
			return nil, errf(40058, "limit out of range 1 ~ 1000")
		case req.StatusFilter < 0 || req.StatusFilter > 3:
			return nil, errf(40058, "invalid status_filter")
		case req.OwnerFilter != nil && len(req.OwnerFilter.UserIDList) > 100:
			return nil, errf(40058, "owner_filter.userid_list exceeds 100")
		case req.OwnerFilter == nil && len(cs.staff) > maxUnfilteredRange:
			return nil, errf(81017, "too many members in the visible range; use owner_filter")
		}
		off, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		type ref struct {
			ChatID string `json:"chat_id"`
			Status int    `json:"status"`
		}
		var all []ref
		for _, id := range gs.order {
			ch := gs.chats[id]
			if ch.dismissed {
				continue
			}
			st := ch.status(cs)
			if req.OwnerFilter != nil {
				if !slices.Contains(req.OwnerFilter.UserIDList, ch.owner) {
					continue
				}
			} else if st == 1 {
				continue // a resigned owner's groups are listed only when the owner is named
			}
			if req.StatusFilter != 0 && st != req.StatusFilter {
				continue
			}
			all = append(all, ref{id, st})
		}
		start := min(off[0], len(all))
		end := min(start+*req.Limit, len(all))
		out := struct {
			GroupChatList []ref  `json:"group_chat_list"`
			NextCursor    string `json:"next_cursor"`
		}{GroupChatList: append([]ref{}, all[start:end]...)}
		if end < len(all) {
			out.NextCursor = encodeCursor(end)
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92122
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/get", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			ChatID   string `json:"chat_id"`
			NeedName int    `json:"need_name"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		gs := c.corp.groupchat
		if req.ChatID == "" {
			return nil, errf(40050, "chat_id missing")
		}
		ch := gs.chats[req.ChatID]
		if ch == nil || ch.dismissed {
			return nil, errf(40050, "chat_id not exist")
		}
		members, version := ch.members, ch.version
		if gs.lag > 0 && ch.prevVersion != "" {
			gs.lag--
			members, version = ch.prevMembers, ch.prevVersion
		}
		type admin struct {
			UserID string `json:"userid"`
		}
		out := struct {
			ChatID        string            `json:"chat_id"`
			Name          string            `json:"name"`
			Owner         string            `json:"owner"`
			CreateTime    int64             `json:"create_time"`
			Notice        string            `json:"notice"`
			MemberList    []wireGroupMember `json:"member_list"`
			AdminList     []admin           `json:"admin_list"`
			MemberVersion string            `json:"member_version"`
		}{ChatID: ch.id, Name: ch.name, Owner: ch.owner, CreateTime: ch.createTime, Notice: ch.notice,
			MemberList: slices.Clone(members), AdminList: []admin{}, MemberVersion: version}
		for i := range out.MemberList {
			if req.NeedName != 1 {
				out.MemberList[i].Name = ""
			}
		}
		for _, a := range ch.admins {
			out.AdminList = append(out.AdminList, admin{a})
		}
		return struct {
			GroupChat any `json:"group_chat"`
		}{out}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94822
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/opengid_to_chatid", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			OpenGID string `json:"opengid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		gs := c.corp.groupchat
		id, ok := gs.byOpenGID[req.OpenGID]
		if !ok || gs.chats[id].dismissed {
			return nil, errf(40058, "invalid opengid")
		}
		return struct {
			ChatID string `json:"chat_id"`
		}{id}, nil
	})
}

// routeGroupChatTransfer serves the inheritance of groups: transfer
// (resigned owners) and onjob_transfer (owners in service). Each handed
// over group raises change_owner, pushed in the background.
func (s *Server) routeGroupChatTransfer() {
	type failed struct {
		ChatID  string `json:"chat_id"`
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	transfer := func(c *call, resigned bool) (any, *apiError) {
		var req struct {
			ChatIDList []string `json:"chat_id_list"`
			NewOwner   string   `json:"new_owner"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		gs, cs := c.corp.groupchat, c.corp.contact
		switch {
		case len(req.ChatIDList) == 0 || len(req.ChatIDList) > 100:
			return nil, errf(40058, "chat_id_list must hold 1 ~ 100 ids")
		case req.NewOwner == "":
			return nil, errf(40058, "new_owner missing")
		}
		if st := cs.staff[req.NewOwner]; st == nil || st.resigned {
			return nil, errf(40003, "invalid new_owner "+req.NewOwner)
		}
		now := c.s.now().Unix()
		day := chinaMidnight(now)
		out := struct {
			FailedChatList []failed `json:"failed_chat_list"`
		}{FailedChatList: []failed{}}
		fail := func(id string, code int, msg string) {
			out.FailedChatList = append(out.FailedChatList, failed{id, code, msg})
		}
		raised := false
		for _, id := range req.ChatIDList {
			ch := gs.chats[id]
			if ch == nil || ch.dismissed {
				fail(id, 90501, "chat is not external group chat")
				continue
			}
			owner := cs.staff[ch.owner]
			ownerResigned := owner != nil && owner.resigned
			switch {
			case resigned && !ownerResigned && ch.inherited:
				fail(id, 90508, "the chat has been inherited")
				continue
			case resigned && !ownerResigned:
				fail(id, 90500, "the owner of this chat is not resigned")
				continue
			case !resigned && ownerResigned:
				fail(id, 90502, "the owner of this chat is resigned")
				continue
			case ch.owner == req.NewOwner:
				fail(id, 90504, "the owner of this chat is not changed")
				continue
			}
			if !resigned {
				recent := slices.DeleteFunc(gs.onjob[id], func(t int64) bool { return t <= now-90*86400 })
				gs.onjob[id] = recent
				if len(recent) >= 2 {
					// errcode not documented for groups; 40128 is the customers' "transferred too often"
					fail(id, 40128, "the chat can be transferred at most twice in 90 days")
					continue
				}
			}
			key := transferDayKey{owner: ch.owner, day: day}
			if gs.daily[key] >= 300 {
				// errcode not documented; see above
				fail(id, 40128, "at most 300 chats of one owner a day")
				continue
			}
			gs.daily[key]++
			if !resigned {
				gs.onjob[id] = append(gs.onjob[id], now)
			} else {
				ch.inherited = true
			}
			if err := c.s.setOwnerLocked(gs, cs, ch, req.NewOwner); err != nil {
				fail(id, -1, err.Error())
				continue
			}
			raised = true
		}
		if raised {
			c.s.deliverAsync(c.corp.ID, gs)
		}
		return out, nil
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92127
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/transfer", authCorp, func(c *call) (any, *apiError) {
		return transfer(c, true)
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95703
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/onjob_transfer", authCorp, func(c *call) (any, *apiError) {
		return transfer(c, false)
	})
}
