package acquisition_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestGetChatInfoWithTheRepeatedMessageChatKey(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	srv := wecomtest.NewServer(t, wecomtest.WithClock(clock.Now))
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	_, err := srv.Corp(srv.CorpID).Acquisition().GrantQuota(t.Context(), 10, clock.Now().AddDate(0, 1, 0))
	require.NoError(t, err)
	svc := acquisition.New(srv.Client())
	ctx := context.Background()
	link := newLink(t, svc, "chat", "zhangsan")
	tap, err := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, "ad-7")
	require.NoError(t, err)

	var keys []string
	for i := 1; i <= 10; i++ {
		m, err := srv.Corp(srv.CorpID).Acquisition().CustomerMessage(ctx, tap.ExternalUserID, tap.UserID)
		require.NoError(t, err)
		assert.Equal(t, i, m.Count)
		assert.Equal(t, i == 1, m.First)
		if m.ChatKey != "" {
			keys = append(keys, m.ChatKey)
		}
	}
	require.Len(t, keys, len(wecomtest.RepeatedMessageCounts()), "a ChatKey at each of the counts")

	info, err := svc.GetChatInfo(ctx, keys[0])
	require.NoError(t, err)
	assert.Equal(t, &acquisition.GetChatInfoResponse{UserID: "zhangsan", ExternalUserID: tap.ExternalUserID,
		ChatInfo: acquisition.ChatInfo{RecvMsgCnt: int64(wecomtest.RepeatedMessageCounts()[0]), LinkID: link.LinkID, State: "ad-7"}}, info)

	// Valid for 30 minutes.
	clock.Advance(acquisition.ChatKeyValidity + time.Second)
	_, err = svc.GetChatInfo(ctx, keys[1])
	assert.Equal(t, 40058, wecom.ErrorCode(err))

	_, err = svc.GetChatInfo(ctx, "")
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
	_, err = srv.Corp(srv.CorpID).Acquisition().CustomerMessage(ctx, tap.ExternalUserID, "lisi")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
}

func TestGetPermitIsForMarketingAppsOnly(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := context.Background()
	_, err := svc.GetPermit(ctx)
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))

	require.NoError(t, srv.Corp(srv.CorpID).Acquisition().SetMarketingApp("", wecomtest.AcquisitionPermit{
		Users: []string{"jack", "rose"}, Departments: []int{0, 1}, Tags: []int{3}}))
	p, err := svc.GetPermit(ctx)
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Permit{UserList: []string{"jack", "rose"}, DepartmentList: []int{0, 1}, TagList: []int{3}}, p)

	other := thirdPartyApp(t, srv, "wwsuitenotmkt01")
	_, err = other.GetPermit(ctx)
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err), "the permit is per app")
}

// mark_source takes effect for marketing-acquisition apps; the fake keeps it
// so and the SDK sends it only when set.
func TestMarkSourceIsSentOnlyWhenSet(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	_, err := svc.CreateLink(context.Background(), &acquisition.CreateLinkRequest{LinkName: "m",
		Range: acquisition.Range{UserList: []string{"zhangsan"}}, MarkSource: acquisition.Bool(false)})
	require.NoError(t, err)
	assert.Equal(t, false, lastBody(t, srv, pathCreate)["mark_source"])
}
