package acquisition_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestGetChatInfoWithTheRepeatedMessageChatKey(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"), testkit.WithClock(clock))
	testkit.AcquisitionQuota(t, srv, 10, clock.Now().AddDate(0, 1, 0))
	svc := acquisition.New(c)
	ctx := t.Context()
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

// mark_source takes effect for marketing-acquisition apps; the fake keeps it

// so and the SDK sends it only when set.

func TestMarkSourceIsSentOnlyWhenSet(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	_, err := svc.CreateLink(t.Context(), &acquisition.CreateLinkRequest{LinkName: "m",
		Range: acquisition.Range{UserList: []string{"zhangsan"}}, MarkSource: wecom.Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, false, testkit.LastBody(t, srv, pathCreate)["mark_source"])
}
