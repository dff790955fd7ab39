package groupchat

import (
	"context"
	"iter"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// StatOrderBy is the order of GetStatistic's owners.
type StatOrderBy int

// Orders.
const (
	OrderByNewChats    StatOrderBy = 1 // new groups (WeCom's default)
	OrderByChatTotal   StatOrderBy = 2 // groups in all
	OrderByNewMembers  StatOrderBy = 3 // new members
	OrderByMemberTotal StatOrderBy = 4 // members in all
)

// StatWindow is the days a statistics call covers: [DayBeginTime,
// DayEndTime], both included, each rounded down by WeCom to 00:00 China
// time. DayBeginTime is required and must lie between 180 days ago and
// yesterday; DayEndTime (0: the same day) at most MaxStatisticSpanDays (30)
// days later and no later than yesterday. The window is checked before
// sending, against the client's clock (wecom.WithClock).
type StatWindow struct {
	DayBeginTime wecom.UnixTime `json:"day_begin_time"`
	DayEndTime   wecom.UnixTime `json:"day_end_time,omitempty"`
	// OwnerFilter keeps the groups of these owners (at most
	// MaxOwnerFilter). WeCom's
	// table marks it required yet documents leaving it out: then every
	// owner in the app's visible range counts, and more than 1000 people
	// there fails with 81017.
	OwnerFilter *OwnerFilter `json:"owner_filter,omitempty"`
}

// chinaTime is UTC+8, the zone WeCom's statistics days begin in.
var chinaTime = time.FixedZone("CST", 8*3600)

func chinaMidnight(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, chinaTime)
}

// validate checks the documented window against now.
func (w *StatWindow) validate(now time.Time) error {
	if w.DayBeginTime <= 0 {
		return check.Invalidf("DayBeginTime is required")
	}
	end := w.DayEndTime
	if end == 0 {
		end = w.DayBeginTime
	}
	if end < w.DayBeginTime {
		return check.Invalidf("DayEndTime is before DayBeginTime")
	}
	begin, last := chinaMidnight(w.DayBeginTime.Time()), chinaMidnight(end.Time())
	today := chinaMidnight(now)
	if !last.Before(today) {
		return check.Invalidf("the window ends today or later; WeCom has statistics up to yesterday")
	}
	if begin.Before(today.AddDate(0, 0, -maxStatisticDays)) {
		return check.Invalidf("DayBeginTime is more than %d days back; WeCom keeps %d days of statistics", maxStatisticDays, maxStatisticDays)
	}
	if last.Sub(begin) > MaxStatisticSpanDays*24*time.Hour {
		return check.Invalidf("the window spans more than %d days (MaxStatisticSpanDays); split it", MaxStatisticSpanDays)
	}
	return w.OwnerFilter.validate()
}

// GetStatisticRequest asks for group statistics per owner, one page at a
// time.
type GetStatisticRequest struct {
	StatWindow
	OrderBy  StatOrderBy `json:"order_by,omitempty"` // 0: WeCom's default, OrderByNewChats
	OrderAsc bool        `json:"-"`                  // ascending; sent as order_asc 0 or 1 (default descending)
	Offset   int         `json:"offset,omitempty"`
	// Limit is the page size: 0 for WeCom's default (500), at most 1000; a
	// larger one is sent as 1000 (api.ClampLimit).
	Limit int `json:"limit,omitempty"`
}

type statisticBody struct {
	*GetStatisticRequest
	OrderAsc int `json:"order_asc,omitempty"`
}

// GroupStat is one owner's (or one day's) group figures.
type GroupStat struct {
	NewChatCnt   int `json:"new_chat_cnt"`   // new groups
	ChatTotal    int `json:"chat_total"`     // groups at the end of the day
	ChatHasMsg   int `json:"chat_has_msg"`   // groups with a message
	NewMemberCnt int `json:"new_member_cnt"` // new members
	MemberTotal  int `json:"member_total"`   // members at the end of the day
	MemberHasMsg int `json:"member_has_msg"` // members who sent a message
	MsgTotal     int `json:"msg_total"`      // messages
	// MigrateTraineeChatCnt is sent to education and training corps only.
	MigrateTraineeChatCnt int `json:"migrate_trainee_chat_cnt,omitempty"`
}

// OwnerStat is one owner's groups' figures over the window.
type OwnerStat struct {
	Owner string    `json:"owner"`
	Data  GroupStat `json:"data"`
}

// GetStatisticResponse is one page of owners.
type GetStatisticResponse struct {
	Total      int         `json:"total"`       // owners matching the request
	NextOffset int         `json:"next_offset"` // equals Total after the last page
	Items      []OwnerStat `json:"items"`
}

// statisticBody checks req and returns what to send: req with its Limit
// clamped.
func (s *Service) statisticBody(req *GetStatisticRequest) (*statisticBody, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if req.OrderBy < 0 || req.OrderBy > OrderByMemberTotal {
		return nil, check.Invalidf("OrderBy is %d; want 1 to 4 (0 for WeCom's default)", req.OrderBy)
	}
	if req.Offset < 0 {
		return nil, check.Invalidf("Offset is %d; want 0 or more", req.Offset)
	}
	r := *req
	var err error
	if r.Limit, err = api.ClampLimit(check, "Limit", req.Limit, maxStatisticLimit); err != nil {
		return nil, err
	}
	if err := req.StatWindow.validate(s.c.Now()); err != nil {
		return nil, err
	}
	body := &statisticBody{GetStatisticRequest: &r}
	if req.OrderAsc {
		body.OrderAsc = 1
	}
	return body, nil
}

// GetStatistic returns one page of group statistics (群聊数据统计) aggregated
// by owner over the window.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92133
func (s *Service) GetStatistic(ctx context.Context, req *GetStatisticRequest) (*GetStatisticResponse, error) {
	body, err := s.statisticBody(req)
	if err != nil {
		return nil, err
	}
	var out GetStatisticResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/groupchat/statistic", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetStatisticIter yields every owner's figures, starting at req.Offset.
// req is not modified.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92133
func (s *Service) GetStatisticIter(ctx context.Context, req *GetStatisticRequest) iter.Seq2[*OwnerStat, error] {
	return api.Iter(ctx, req, s.GetStatistic, func(r *GetStatisticRequest) *int { return &r.Offset },
		func(p *GetStatisticResponse) ([]OwnerStat, int) {
			if len(p.Items) == 0 || p.NextOffset >= p.Total {
				return p.Items, 0 // the last page
			}
			return p.Items, p.NextOffset
		})
}

// GetStatisticGroupByDayRequest asks for group statistics per day.
type GetStatisticGroupByDayRequest struct {
	StatWindow
}

// DayStat is one day's group figures.
type DayStat struct {
	StatTime wecom.UnixTime `json:"stat_time"` // 00:00 of the day
	Data     GroupStat      `json:"data"`
}

// GetStatisticGroupByDay returns the group statistics of every day of the
// window, summed over the owners.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92133
func (s *Service) GetStatisticGroupByDay(ctx context.Context, req *GetStatisticGroupByDayRequest) ([]DayStat, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(s.c.Now()); err != nil {
		return nil, err
	}
	var out struct {
		Items []DayStat `json:"items"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/groupchat/statistic_group_by_day", req, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}
