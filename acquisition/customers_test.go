package acquisition_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const pathCustomers = "/cgi-bin/externalcontact/customer_acquisition/customer"

func TestCustomersCarryMemberStateAndChatStatus(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	link := newLink(t, svc, "fair", "zhangsan", "lisi")
	a, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, "channel-a")
	require.NoError(t, err)
	b, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, "")
	require.NoError(t, err)
	assert.Equal(t, "zhangsan", a.UserID, "members take turns")
	assert.Equal(t, "lisi", b.UserID)
	_, err = srv.Corp(srv.CorpID).Acquisition().CustomerMessage(ctx, a.ExternalUserID, a.UserID)
	require.NoError(t, err)

	page, err := svc.ListCustomers(ctx, &acquisition.ListCustomersRequest{LinkID: link.LinkID})
	require.NoError(t, err)
	assert.Equal(t, []acquisition.Customer{
		{ExternalUserID: a.ExternalUserID, UserID: "zhangsan", ChatStatus: acquisition.ChatStarted, State: "channel-a"},
		{ExternalUserID: b.ExternalUserID, UserID: "lisi", ChatStatus: acquisition.ChatNotStarted, State: ""},
	}, page.CustomerList)
	assert.Empty(t, page.NextCursor)
	assert.Equal(t, "started", acquisition.ChatStarted.String())

	// The relation is a real one: externalcontact/get shows it with the
	// channel as state.
	d, err := contact.New(srv.Client()).Get(ctx, &contact.GetRequest{ExternalUserID: a.ExternalUserID})
	require.NoError(t, err)
	require.Len(t, d.FollowUser, 1)
	assert.Equal(t, "channel-a", d.FollowUser[0].State)
	assert.Equal(t, contact.AddWayAcquisitionLink, d.FollowUser[0].AddWay)
}

func TestListCustomersIterPages(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	link := newLink(t, svc, "many", "zhangsan", "lisi", "wangwu")
	want := map[string]string{}
	for i := range 25 {
		tap, err := srv.Corp(srv.CorpID).Acquisition().TapLink(t.Context(), link.LinkID, "ch"+string(rune('a'+i%3)))
		require.NoError(t, err)
		want[tap.ExternalUserID] = tap.State
	}
	srv.ResetRequests()
	got := map[string]string{}
	for c, err := range svc.ListCustomersIter(t.Context(), &acquisition.ListCustomersRequest{LinkID: link.LinkID, Limit: 10}) {
		require.NoError(t, err)
		got[c.ExternalUserID] = c.State
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, srv.Count(pathCustomers))
	assert.Equal(t, float64(10), testkit.LastBody(t, srv, pathCustomers)["limit"])
}

func TestListCustomersChecksInput(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	for _, req := range []*acquisition.ListCustomersRequest{nil, {}, {LinkID: "ca", Limit: -1}} {
		_, err := svc.ListCustomers(ctx, req)
		assert.ErrorIs(t, err, acquisition.ErrInvalidArgument, "%+v", req)
	}
	n := 0
	for c, err := range svc.ListCustomersIter(ctx, nil) {
		assert.Nil(t, c)
		assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
		n++
	}
	assert.Equal(t, 1, n)
	assert.Zero(t, srv.Count(pathCustomers))
	link := newLink(t, svc, "x", "zhangsan")
	assert.Equal(t, 40058, wecom.ErrorCode(testkit.Raw(t, srv.Client(), pathCustomers, map[string]any{"link_id": link.LinkID, "limit": 1001})))
}

// Each customer added through a link uses one unit of quota; when it runs
// out the link adds nobody.
func TestQuotaRunsDown(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	svc := acquisition.New(c)
	ctx := t.Context()
	link := newLink(t, svc, "q", "zhangsan")
	_, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, "")
	assert.ErrorIs(t, err, wecomtest.ErrQuotaExhausted, "a new corp has no quota")

	expSoon := time.Now().Add(5 * 24 * time.Hour)
	expLate := time.Now().Add(60 * 24 * time.Hour)
	inc, err := srv.Corp(srv.CorpID).Acquisition().GrantQuota(ctx, 21, expLate)
	require.NoError(t, err)
	assert.True(t, inc)
	inc, err = srv.Corp(srv.CorpID).Acquisition().GrantQuota(ctx, 1, expSoon)
	require.NoError(t, err)
	assert.False(t, inc, "the balance was not 0")

	q, err := svc.GetQuota(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 22, q.Total)
	assert.EqualValues(t, 22, q.Balance)
	require.Len(t, q.QuotaList, 2)
	assert.EqualValues(t, 1, q.QuotaList[0].Balance, "soonest expiry first")
	assert.Equal(t, 0, q.QuotaList[0].ExpireDate.Time().In(time.FixedZone("", 8*3600)).Hour(), "expire_date is a midnight")

	var low, out int
	for range 22 {
		tap, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, "")
		require.NoError(t, err)
		if tap.BalanceLow {
			low++
			assert.EqualValues(t, acquisition.BalanceLowThreshold-1, tap.Balance)
		}
		if tap.BalanceExhausted {
			out++
		}
	}
	assert.Equal(t, 1, low, "balance_low once, when the balance drops below 20")
	assert.Equal(t, 1, out)
	q, err = svc.GetQuota(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 0, q.Balance)
	assert.EqualValues(t, 22, q.Total)
	assert.Empty(t, q.QuotaList)
	_, err = srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, "")
	assert.ErrorIs(t, err, wecomtest.ErrQuotaExhausted)
}

func TestExpiredQuotaIsGone(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clock))
	svc := acquisition.New(c)
	testkit.AcquisitionQuota(t, srv, 5, clock.Now().Add(time.Hour))
	assert.Len(t, srv.Corp(srv.CorpID).Acquisition().ExpiringQuotas(14*24*time.Hour), 1)
	clock.Advance(2 * time.Hour)
	q, err := svc.GetQuota(t.Context())
	require.NoError(t, err)
	assert.EqualValues(t, 0, q.Balance)
	assert.EqualValues(t, 5, q.Total)
}
