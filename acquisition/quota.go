package acquisition

import (
	"context"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Quota is the corp's acquisition usage quota (使用量): each customer added
// through a link uses one.
type Quota struct {
	// Total is the doc's 历史累计使用量: every unit of quota the corp has
	// had.
	Total int64 `json:"total"`
	// Balance is what is left (剩余使用量). Below BalanceLowThreshold WeCom
	// pushes balance_low; at 0 balance_exhausted, and links stop adding
	// customers.
	Balance int64 `json:"balance"`
	// QuotaList splits the balance by expiry date.
	QuotaList []QuotaBatch `json:"quota_list"`
}

// QuotaBatch is part of the balance that expires at the same time.
type QuotaBatch struct {
	// ExpireDate is 00:00 of the day the batch expires; the exact moment
	// depends on when it was bought.
	ExpireDate wecom.UnixTime `json:"expire_date"`
	Balance    int64          `json:"balance"`
}

// GetQuota returns the corp's remaining quota and when it expires (endpoint
// customer_acquisition_quota, a GET).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97375
func (s *Service) GetQuota(ctx context.Context) (*Quota, error) {
	var out Quota
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition_quota", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetStatisticRequest asks for one link's counts over whole days. WeCom
// counts by day (each time is taken as its day in China time, both days
// included), keeps the last 180 days, and takes windows of at most
// MaxStatisticSpanDays days: the day of EndTime may be at most 30 days
// after the day of StartTime (day 1 to day 31 of a month is allowed,
// whatever the times of day).
type GetStatisticRequest struct {
	LinkID    string         `json:"link_id"`
	StartTime wecom.UnixTime `json:"start_time"`
	EndTime   wecom.UnixTime `json:"end_time"`
}

// Statistic is a link's counts over a window.
type Statistic struct {
	ClickLinkCustomerCnt int64 `json:"click_link_customer_cnt"` // customers who tapped the link
	NewCustomerCnt       int64 `json:"new_customer_cnt"`        // customers added through it
}

// GetStatistic returns how many customers tapped a link and how many it
// added in a window. The window is checked against the documented limits
// before anything is sent, on the client's clock (wecom.WithClock), in
// whole days of China time (UTC+8) as WeCom counts them: StartTime's day at
// most 180 days ago, EndTime not before StartTime and its day at most
// MaxStatisticSpanDays days after StartTime's.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97375
// (the window rules read on 97400, the same section for agent-developed
// apps: 「统计范围的最小粒度为日…区间为闭区间」「起始和结束时间相差不可超过30天」)
func (s *Service) GetStatistic(ctx context.Context, req *GetStatisticRequest) (*Statistic, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("LinkID", req.LinkID), checkWindow(req.StartTime, req.EndTime, s.c.Now())); err != nil {
		return nil, err
	}
	var out Statistic
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition/statistic", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// chinaZone is UTC+8, the zone WeCom's daily statistics use.
var chinaZone = time.FixedZone("CST", 8*3600)

// chinaDay is 00:00 China time of t's day.
func chinaDay(t time.Time) time.Time {
	y, m, d := t.In(chinaZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, chinaZone)
}

// checkWindow applies statistic's documented window to [start, end] at now,
// in whole days: WeCom takes each time as its day, both days included.
func checkWindow(start, end wecom.UnixTime, now time.Time) error {
	if start <= 0 || end <= 0 {
		return check.Invalidf("StartTime and EndTime are required")
	}
	if end < start {
		return check.Invalidf("EndTime is before StartTime")
	}
	first, last := chinaDay(start.Time()), chinaDay(end.Time())
	if days := int(last.Sub(first).Hours()/24 + 0.5); days > MaxStatisticSpanDays {
		return check.Invalidf("EndTime's day is %d days after StartTime's (%s to %s); WeCom allows at most %d (MaxStatisticSpanDays): split it",
			days, first.Format(time.DateOnly), last.Format(time.DateOnly), MaxStatisticSpanDays)
	}
	oldest := chinaDay(now).AddDate(0, 0, -maxStatisticAgeDays)
	if start.Time().Before(oldest) {
		return check.Invalidf("StartTime %s is more than %d days ago; WeCom keeps the last %d days",
			start.Time().In(chinaZone).Format(time.DateOnly), maxStatisticAgeDays, maxStatisticAgeDays)
	}
	return nil
}
