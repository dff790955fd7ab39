package acquisition_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

func TestShapeGetQuota(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/externalcontact/customer_acquisition_quota"},
		`{"errcode":0,"errmsg":"ok","total":1000,"balance":500,"quota_list":[{"expire_date":1689350400,"balance":200},{"expire_date":1692028800,"balance":300}]}`)
	q, err := svc.GetQuota(t.Context())
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Quota{Total: 1000, Balance: 500, QuotaList: []acquisition.QuotaBatch{
		{ExpireDate: 1689350400, Balance: 200}, {ExpireDate: 1692028800, Balance: 300}}}, q)
}

func TestShapeGetStatistic(t *testing.T) {
	t.Parallel()
	end := time.Now().Truncate(time.Second)
	start := end.Add(-4 * 24 * time.Hour)
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathStatistic,
		Body: `{"link_id":"caxxxxxxx","start_time":` + itoa(start.Unix()) + `,"end_time":` + itoa(end.Unix()) + `}`},
		`{"errcode":0,"errmsg":"ok","click_link_customer_cnt":1000,"new_customer_cnt":500}`)
	st, err := svc.GetStatistic(t.Context(), &acquisition.GetStatisticRequest{LinkID: "caxxxxxxx",
		StartTime: wecom.UnixTime(start.Unix()), EndTime: wecom.UnixTime(end.Unix())})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Statistic{ClickLinkCustomerCnt: 1000, NewCustomerCnt: 500}, st)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
