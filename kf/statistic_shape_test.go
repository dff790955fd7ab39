package kf_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
)

// statClient is a client whose clock reads 2022-03-01 (China time), so
// that the page's sample days (2022-02-23 and 24) are in range.
func statClient(t *testing.T) (*wecom.Client, *shapetest.Mock) {
	now := time.Date(2022, 3, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	return shapetest.New(t, wecom.WithClock(func() time.Time { return now }))
}

const statAnswer = `{"errcode":0,"errmsg":"ok","statistic_list":[{"stat_time":1645545600,"statistic":{"session_cnt":2,"customer_cnt":1,"customer_msg_cnt":6,"upgrade_service_customer_cnt":0,"ai_session_reply_cnt":1,"ai_transfer_rate":1,"ai_knowledge_hit_rate":0,"msg_rejected_customer_cnt":1}},{"stat_time":1645632000}]}`

func TestGetCorpStatisticShape(t *testing.T) {
	t.Parallel()
	c, m := statClient(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/get_corp_statistic",
		Body: `{"open_kfid":"OPEN_KFID","start_time":1645545600,"end_time":1645632000}`}, statAnswer)
	days, err := kf.New(c).GetCorpStatistic(t.Context(), &kf.GetCorpStatisticRequest{OpenKfID: "OPEN_KFID",
		DayRange: kf.DayRange{StartTime: 1645545600, EndTime: 1645632000}})
	require.NoError(t, err)
	require.Len(t, days, 2)
	st := days[0].Statistic
	require.NotNil(t, st)
	assert.Equal(t, uint64(6), st.CustomerMsgCnt)
	require.NotNil(t, st.AITransferRate)
	assert.InDelta(t, 1.0, *st.AITransferRate, 0)
	require.NotNil(t, st.AIKnowledgeHitRate, "a rate of 0 is there, not absent")
	assert.Nil(t, days[1].Statistic, "a day without figures")
}

func TestGetServicerStatisticShape(t *testing.T) {
	t.Parallel()
	c, m := statClient(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/get_servicer_statistic",
		Body: `{"open_kfid":"OPEN_KFID","servicer_userid":"zhangsan","start_time":1645545600,"end_time":1645632000}`},
		`{"errcode":0,"errmsg":"ok","statistic_list":[{"stat_time":1645545600,"statistic":{"session_cnt":1,"customer_cnt":1,"customer_msg_cnt":1,"reply_rate":1,"first_reply_average_sec":17,"satisfaction_investgate_cnt":1,"satisfaction_participation_rate":1,"satisfied_rate":1,"middling_rate":0,"dissatisfied_rate":0,"upgrade_service_customer_cnt":0,"upgrade_service_member_invite_cnt":0,"upgrade_service_member_customer_cnt":0,"upgrade_service_groupchat_invite_cnt":0,"upgrade_service_groupchat_customer_cnt":0,"msg_rejected_customer_cnt":1}}]}`)
	days, err := kf.New(c).GetServicerStatistic(t.Context(), &kf.GetServicerStatisticRequest{OpenKfID: "OPEN_KFID", ServicerUserID: "zhangsan",
		DayRange: kf.DayRange{StartTime: 1645545600, EndTime: 1645632000}})
	require.NoError(t, err)
	require.Len(t, days, 1)
	st := days[0].Statistic
	assert.Equal(t, uint64(1), st.SatisfactionInvestigateCnt)
	assert.InDelta(t, 17.0, *st.FirstReplyAverageSec, 0)
}

func TestGetStatisticShape(t *testing.T) {
	t.Parallel()
	c, m := statClient(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/get_statistic",
		Body: `{"start_time":1645545600,"end_time":1645632000}`}, statAnswer)
	days, err := kf.New(c).GetStatistic(t.Context(), &kf.GetStatisticRequest{DayRange: kf.DayRange{StartTime: 1645545600, EndTime: 1645632000}})
	require.NoError(t, err)
	assert.Len(t, days, 2)
}
