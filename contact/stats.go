package contact

import (
	"context"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Limits of get_user_behavior_data.
const (
	maxStatsIDs  = 100 // userids, and partyids, of one call
	maxStatsDays = 180 // how far back, in days, WeCom keeps statistics
)

// GetUserBehaviorDataRequest asks for the contact statistics (联系客户统计)
// of members and/or departments over [StartTime, EndTime], at most 30 days
// within the last 180. WeCom rounds both times down to 00:00 (China time).
type GetUserBehaviorDataRequest struct {
	UserID    []string       `json:"userid,omitempty"`  // at most 100
	PartyID   []int          `json:"partyid,omitempty"` // at most 100
	StartTime wecom.UnixTime `json:"start_time"`
	EndTime   wecom.UnixTime `json:"end_time"`
}

// BehaviorData is one day of statistics, summed over every member and
// department asked for.
type BehaviorData struct {
	StatTime      wecom.UnixTime `json:"stat_time"`
	NewApplyCnt   int            `json:"new_apply_cnt"`   // friend requests sent by members
	NewContactCnt int            `json:"new_contact_cnt"` // new customers
	ChatCnt       int            `json:"chat_cnt"`        // one-to-one chats with a member message
	MessageCnt    int            `json:"message_cnt"`     // messages sent by members in those chats
	// ReplyPercentage (percent) and AvgReplyTime (minutes) are sent only
	// when there were chats.
	ReplyPercentage     float64 `json:"reply_percentage,omitempty"`
	AvgReplyTime        int     `json:"avg_reply_time,omitempty"`
	NegativeFeedbackCnt int     `json:"negative_feedback_cnt"` // customers who deleted or blocked a member
}

const maxStatsSpan = 30 * 24 * time.Hour

// chinaTime is UTC+8, the zone WeCom's statistics days begin in.
var chinaTime = time.FixedZone("CST", 8*3600)

// chinaMidnight is 00:00 China time of t's day.
func chinaMidnight(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, chinaTime)
}

// GetUserBehaviorData returns daily contact statistics. The 180 days are
// counted back from today by the client's clock (wecom.WithClock).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92132
func (s *Service) GetUserBehaviorData(ctx context.Context, req *GetUserBehaviorDataRequest) ([]BehaviorData, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if len(req.UserID) == 0 && len(req.PartyID) == 0 {
		return nil, check.Invalidf("UserID or PartyID is required")
	}
	if err := api.FirstErr(api.MaxItems(check, "UserID", req.UserID, maxStatsIDs), api.MaxItems(check, "PartyID", req.PartyID, maxStatsIDs)); err != nil {
		return nil, err
	}
	if req.StartTime <= 0 || req.EndTime < req.StartTime {
		return nil, check.Invalidf("StartTime and EndTime must be set with StartTime <= EndTime")
	}
	if req.EndTime.Time().Sub(req.StartTime.Time()) > maxStatsSpan {
		return nil, check.Invalidf("the time range spans more than 30 days")
	}
	if oldest := chinaMidnight(s.c.Now()).AddDate(0, 0, -maxStatsDays); req.StartTime.Time().Before(oldest) {
		return nil, check.Invalidf("StartTime is more than %d days back; WeCom keeps %d days of statistics", maxStatsDays, maxStatsDays)
	}
	var out struct {
		BehaviorData []BehaviorData `json:"behavior_data"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_user_behavior_data", req, &out); err != nil {
		return nil, err
	}
	return out.BehaviorData, nil
}
