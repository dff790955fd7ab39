package kf

import (
	"context"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// DayRange is the days a statistics call covers: [StartTime, EndTime],
// both included, each rounded down by WeCom to 00:00 China time (give the
// day's 00:00). Both are required, lie between 180 days ago and
// yesterday (a day's figures are ready the next morning; WeCom suggests
// reading them after 06:00), and span at most 31 days. A corp that turned
// on the API or authorised a third-party app has no figures before
// 2022-03-11.
type DayRange struct {
	StartTime wecom.UnixTime `json:"start_time"`
	EndTime   wecom.UnixTime `json:"end_time"`
}

// chinaTime is UTC+8, the zone WeCom's statistics days begin in.
var chinaTime = time.FixedZone("CST", 8*3600)

func chinaMidnight(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, chinaTime)
}

// validate checks the documented window against now.
func (w *DayRange) validate(now time.Time) error {
	if w.StartTime <= 0 || w.EndTime <= 0 {
		return check.Invalidf("StartTime and EndTime are required")
	}
	begin, last := chinaMidnight(w.StartTime.Time()), chinaMidnight(w.EndTime.Time())
	today := chinaMidnight(now)
	switch {
	case last.Before(begin):
		return check.Invalidf("EndTime is before StartTime")
	case !last.Before(today):
		return check.Invalidf("the window ends today or later; WeCom has statistics up to yesterday")
	case begin.Before(today.AddDate(0, 0, -statisticRangeDays)):
		return check.Invalidf("StartTime is more than %d days back; WeCom keeps %d days of statistics", statisticRangeDays, statisticRangeDays)
	case last.Sub(begin) > statisticSpanDays*24*time.Hour:
		return check.Invalidf("the window spans more than %d days", statisticSpanDays)
	}
	return nil
}

// CorpStatistic is one day's figures of an account (企业汇总数据). A rate
// is nil when WeCom could not compute it that day and left it out.
type CorpStatistic struct {
	SessionCnt     uint64 `json:"session_cnt"`      // 咨询会话数: sessions given to a servicer or the bot (a transfer is not a new one)
	CustomerCnt    uint64 `json:"customer_cnt"`     // 咨询客户数: customers who wrote (each once)
	CustomerMsgCnt uint64 `json:"customer_msg_cnt"` // 咨询消息总数: customers' messages
	// UpgradeServiceCustomerCnt counts customers who added a member or
	// joined a group through 升级服务 (from 2022-03-10).
	UpgradeServiceCustomerCnt uint64 `json:"upgrade_service_customer_cnt"`
	// AISessionReplyCnt counts sessions given to the bot (智能回复会话数);
	// sending through the API gives a session to the bot.
	AISessionReplyCnt uint64 `json:"ai_session_reply_cnt"`
	// AITransferRate is the share of the bot's sessions handed to a human.
	AITransferRate *float64 `json:"ai_transfer_rate,omitempty"`
	// AIKnowledgeHitRate is the share of customers' messages to the bot
	// that matched the knowledge base: only with WeCom's own smart reply
	// on and a knowledge base (when the API handles sessions it is off).
	AIKnowledgeHitRate *float64 `json:"ai_knowledge_hit_rate,omitempty"`
	// MsgRejectedCustomerCnt counts customers a servicer stopped receiving
	// messages from.
	MsgRejectedCustomerCnt uint64 `json:"msg_rejected_customer_cnt"`
}

// CorpStatisticDay is one day of GetCorpStatistic.
type CorpStatisticDay struct {
	StatTime wecom.UnixTime `json:"stat_time"` // the day's 00:00
	// Statistic is nil for a day without figures (or not computed yet).
	Statistic *CorpStatistic `json:"statistic,omitempty"`
}

// GetCorpStatisticRequest asks for an account's daily figures.
type GetCorpStatisticRequest struct {
	OpenKfID string `json:"open_kfid"` // required
	DayRange
}

// GetCorpStatistic reads an account's figures per day (获取「客户数据统计」
// 企业汇总数据).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95489
func (s *Service) GetCorpStatistic(ctx context.Context, req *GetCorpStatisticRequest) ([]CorpStatisticDay, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID), req.validate(s.c.Now())); err != nil {
		return nil, err
	}
	var out struct {
		StatisticList []CorpStatisticDay `json:"statistic_list"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/get_corp_statistic", req, &out); err != nil {
		return nil, err
	}
	return out.StatisticList, nil
}

// ServicerStatistic is one day's figures of a servicer, or of an account's
// servicers together (接待人员明细数据). A rate or time is nil when WeCom
// could not compute it that day (no customer wrote to a servicer, no
// survey sent) and left it out. The satisfaction figures are 0 or nil
// while the API handles sessions: WeCom's own survey is then off.
type ServicerStatistic struct {
	SessionCnt     uint64 `json:"session_cnt"`      // 接入人工会话数: sessions given to a servicer
	CustomerCnt    uint64 `json:"customer_cnt"`     // 咨询客户数: customers who wrote and reached a servicer
	CustomerMsgCnt uint64 `json:"customer_msg_cnt"` // 咨询消息总数
	// ReplyRate is the share of sessions with a message to a servicer that
	// the servicer answered (人工回复率).
	ReplyRate *float64 `json:"reply_rate,omitempty"`
	// FirstReplyAverageSec is the mean time, in seconds, from a customer's
	// first message to the servicer's first answer.
	FirstReplyAverageSec *float64 `json:"first_reply_average_sec,omitempty"`
	// SatisfactionInvestigateCnt counts surveys sent (WeCom spells it
	// satisfaction_investgate_cnt).
	SatisfactionInvestigateCnt    uint64   `json:"satisfaction_investgate_cnt"`
	SatisfactionParticipationRate *float64 `json:"satisfaction_participation_rate,omitempty"` // 满意度参评率
	SatisfiedRate                 *float64 `json:"satisfied_rate,omitempty"`                  // “满意” share
	MiddlingRate                  *float64 `json:"middling_rate,omitempty"`                   // “一般” share
	DissatisfiedRate              *float64 `json:"dissatisfied_rate,omitempty"`               // “不满意” share
	UpgradeServiceCustomerCnt     uint64   `json:"upgrade_service_customer_cnt"`              // 升级服务客户数
	// UpgradeServiceMemberInviteCnt counts recommendations of a member.
	UpgradeServiceMemberInviteCnt uint64 `json:"upgrade_service_member_invite_cnt"`
	// UpgradeServiceMemberCustomerCnt counts customers who added the member.
	UpgradeServiceMemberCustomerCnt uint64 `json:"upgrade_service_member_customer_cnt"`
	// UpgradeServiceGroupChatInviteCnt counts recommendations of a group.
	UpgradeServiceGroupChatInviteCnt uint64 `json:"upgrade_service_groupchat_invite_cnt"`
	// UpgradeServiceGroupChatCustomerCnt counts customers who joined the group.
	UpgradeServiceGroupChatCustomerCnt uint64 `json:"upgrade_service_groupchat_customer_cnt"`
	MsgRejectedCustomerCnt             uint64 `json:"msg_rejected_customer_cnt"` // 被拒收消息的客户数
}

// ServicerStatisticDay is one day of GetServicerStatistic.
type ServicerStatisticDay struct {
	StatTime  wecom.UnixTime     `json:"stat_time"`
	Statistic *ServicerStatistic `json:"statistic,omitempty"`
}

// GetServicerStatisticRequest asks for a servicer's daily figures.
type GetServicerStatisticRequest struct {
	OpenKfID string `json:"open_kfid"` // required
	// ServicerUserID is the servicer (a third-party app gives the
	// open_userid); empty gives the account's servicers together.
	ServicerUserID string `json:"servicer_userid,omitempty"`
	DayRange
}

// GetServicerStatistic reads a servicer's figures per day (获取「客户数据
// 统计」接待人员明细数据).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95490
func (s *Service) GetServicerStatistic(ctx context.Context, req *GetServicerStatisticRequest) ([]ServicerStatisticDay, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID), req.validate(s.c.Now())); err != nil {
		return nil, err
	}
	var out struct {
		StatisticList []ServicerStatisticDay `json:"statistic_list"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/get_servicer_statistic", req, &out); err != nil {
		return nil, err
	}
	return out.StatisticList, nil
}

// GetStatisticRequest asks a 微信客服组件 app for its scene's figures.
type GetStatisticRequest struct {
	DayRange
}

// GetStatistic reads, for a 微信客服组件 app (a third-party component
// with the 获取客服数据统计 permission, called with its corp client), the
// figures of the sessions that came through its own scene's links in an
// authorising corp. Other apps may not call it. The page's answer shows
// the fields of CorpStatistic and elides the rest, which are not read.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99367
func (s *Service) GetStatistic(ctx context.Context, req *GetStatisticRequest) ([]CorpStatisticDay, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := req.validate(s.c.Now()); err != nil {
		return nil, err
	}
	var out struct {
		StatisticList []CorpStatisticDay `json:"statistic_list"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/get_statistic", req, &out); err != nil {
		return nil, err
	}
	return out.StatisticList, nil
}
