package wecomtest

import (
	"net/http"
	"slices"
	"strings"
)

// groupStat is the data object of both statistics endpoints. Messages are
// not modelled: the *_msg and msg_total figures are 0.
type groupStat struct {
	NewChatCnt   int `json:"new_chat_cnt"`
	ChatTotal    int `json:"chat_total"`
	ChatHasMsg   int `json:"chat_has_msg"`
	NewMemberCnt int `json:"new_member_cnt"`
	MemberTotal  int `json:"member_total"`
	MemberHasMsg int `json:"member_has_msg"`
	MsgTotal     int `json:"msg_total"`
}

// statWindow is what both statistics requests share.
type statWindow struct {
	DayBeginTime int64            `json:"day_begin_time"`
	DayEndTime   int64            `json:"day_end_time"`
	OwnerFilter  *wireOwnerFilter `json:"owner_filter"`
}

// days checks the window as WeCom documents it (between 180 days ago and
// yesterday, at most 30 days, rounded down to 00:00 China time) and
// returns its first and last day.
func (w *statWindow) days(now int64) (first, last int64, e *apiError) {
	first = chinaMidnight(w.DayBeginTime)
	last = first
	if w.DayEndTime != 0 {
		last = chinaMidnight(w.DayEndTime)
	}
	today := chinaMidnight(now)
	if w.DayBeginTime <= 0 || last < first || last-first > 30*86400 || first < today-180*86400 || last >= today {
		return 0, 0, errf(600018, "invalid start endtime")
	}
	if w.OwnerFilter != nil && len(w.OwnerFilter.UserIDList) > 100 {
		return 0, 0, errf(40058, "owner_filter.userid_list exceeds 100")
	}
	return first, last, nil
}

// maxUnfilteredRange is the most people an app's visible range may hold for
// a statistics call (or groupchat/list) without owner_filter: beyond it
// WeCom answers 81017 (96359: 「如果可见范围人数超过1000人…会报错 81017」).
// The fake's visible range is the corp's members with customer contact.
const maxUnfilteredRange = 1000

// unfiltered answers 81017 for a call without owner_filter in a corp whose
// range is too large.
func (w *statWindow) unfiltered(cs *contactState) *apiError {
	if w.OwnerFilter == nil && len(cs.staff) > maxUnfilteredRange {
		return errf(81017, "too many members in the visible range; use owner_filter")
	}
	return nil
}

// owners returns the owners the window covers: the filter's, or every
// owner of a group.
func (w *statWindow) owners(gs *groupChatState) []string {
	if w.OwnerFilter != nil {
		return w.OwnerFilter.UserIDList
	}
	var out []string
	for _, id := range gs.order {
		if o := gs.chats[id].owner; !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// stat adds up the groups of owners for the days [from, to]: new groups
// and members within them, totals at the end of to. Dismissed groups are
// left out.
func (gs *groupChatState) stat(owners []string, from, to int64) groupStat {
	var d groupStat
	end := to + 86400
	for _, id := range gs.order {
		c := gs.chats[id]
		if c.dismissed || !slices.Contains(owners, c.owner) || c.createTime >= end {
			continue
		}
		d.ChatTotal++
		if c.createTime >= from {
			d.NewChatCnt++
		}
		for _, m := range c.members {
			if m.JoinTime >= end {
				continue
			}
			d.MemberTotal++
			if m.JoinTime >= from {
				d.NewMemberCnt++
			}
		}
	}
	return d
}

// routeGroupChatStats serves groupchat/statistic and
// groupchat/statistic_group_by_day, computed from the fake's groups. Both
// answer 81017 without owner_filter when the visible range holds more than
// 1000 people.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92133
func (s *Server) routeGroupChatStats() {
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/statistic", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			statWindow
			OrderBy  int  `json:"order_by"`
			OrderAsc int  `json:"order_asc"`
			Offset   int  `json:"offset"`
			Limit    *int `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		first, last, e := req.days(c.s.now().Unix())
		if e != nil {
			return nil, e
		}
		if e := req.unfiltered(c.corp.contact); e != nil {
			return nil, e
		}
		limit := 500
		if req.Limit != nil {
			limit = *req.Limit
		}
		switch {
		case limit < 1 || limit > 1000:
			return nil, errf(40058, "limit out of range 1 ~ 1000")
		case req.Offset < 0:
			return nil, errf(40058, "invalid offset")
		case req.OrderBy < 0 || req.OrderBy > 4:
			return nil, errf(40058, "invalid order_by")
		case req.OrderAsc != 0 && req.OrderAsc != 1:
			return nil, errf(40058, "invalid order_asc")
		}
		gs := c.corp.groupchat
		type item struct {
			Owner string    `json:"owner"`
			Data  groupStat `json:"data"`
		}
		var items []item
		for _, o := range req.owners(gs) {
			d := gs.stat([]string{o}, first, last)
			if d.ChatTotal > 0 {
				items = append(items, item{o, d})
			}
		}
		key := func(d groupStat) int {
			switch req.OrderBy {
			case 2:
				return d.ChatTotal
			case 3:
				return d.NewMemberCnt
			case 4:
				return d.MemberTotal
			}
			return d.NewChatCnt
		}
		slices.SortStableFunc(items, func(a, b item) int {
			ka, kb := key(a.Data), key(b.Data)
			if ka != kb {
				if (ka < kb) == (req.OrderAsc == 1) {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Owner, b.Owner)
		})
		start := min(req.Offset, len(items))
		end := min(start+limit, len(items))
		return struct {
			Total      int    `json:"total"`
			NextOffset int    `json:"next_offset"`
			Items      []item `json:"items"`
		}{len(items), end, append([]item{}, items[start:end]...)}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92133
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/statistic_group_by_day", authCorp, func(c *call) (any, *apiError) {
		var req statWindow
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		first, last, e := req.days(c.s.now().Unix())
		if e != nil {
			return nil, e
		}
		if e := req.unfiltered(c.corp.contact); e != nil {
			return nil, e
		}
		gs := c.corp.groupchat
		owners := req.owners(gs)
		type item struct {
			StatTime int64     `json:"stat_time"`
			Data     groupStat `json:"data"`
		}
		items := []item{}
		for d := first; d <= last; d += 86400 {
			items = append(items, item{d, gs.stat(owners, d, d)})
		}
		return struct {
			Items []item `json:"items"`
		}{items}, nil
	})
}
