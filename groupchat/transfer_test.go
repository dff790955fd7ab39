package groupchat_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	transferPath      = "/cgi-bin/externalcontact/groupchat/transfer"
	onjobTransferPath = "/cgi-bin/externalcontact/groupchat/onjob_transfer"
)

func TestTransferManyChunksAndReportsEachGroup(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	var resignedChats []string
	for range 230 {
		resignedChats = append(resignedChats, testkit.GroupChat(t, srv, "owner1", "r"))
	}
	active := testkit.GroupChat(t, srv, "owner2", "still served")
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner1"))

	// failures in the first and the last chunk
	items := append([]string{active}, resignedChats...)
	items = append(items, "wrghost")
	res, err := svc.TransferMany(t.Context(), &groupchat.TransferRequest{ChatIDList: items, NewOwner: "heir"}, 2)
	require.NoError(t, err)
	require.Len(t, res, len(items))
	assert.Equal(t, 3, srv.Count(transferPath), "232 groups in calls of 100")
	testkit.WantCode(t, res[0].Err, 90500)
	assert.Equal(t, active, res[0].Item)
	testkit.WantCode(t, res[len(res)-1].Err, 90501)
	var we *wecom.Error
	require.True(t, errors.As(res[0].Err, &we))
	assert.Equal(t, transferPath, we.Path)
	for i, r := range res[1 : len(res)-1] {
		require.NoError(t, r.Err, "group %d", i)
		assert.Equal(t, resignedChats[i], r.Item)
		assert.Equal(t, "heir", srv.Corp(srv.CorpID).GroupChats().Owner(r.Item))
	}
	assert.Equal(t, "owner2", srv.Corp(srv.CorpID).GroupChats().Owner(active))

	// inherited groups are listed as such and cannot be inherited twice
	n := 0
	for ref, err := range svc.ListIter(t.Context(), &groupchat.ListRequest{StatusFilter: groupchat.StatusInherited}) {
		require.NoError(t, err)
		assert.Equal(t, groupchat.StatusInherited, ref.Status)
		n++
	}
	assert.Equal(t, 230, n)
	failed, err := svc.Transfer(t.Context(), &groupchat.TransferRequest{ChatIDList: resignedChats[:2], NewOwner: "owner2"})
	require.NoError(t, err)
	require.Len(t, failed, 2)
	assert.Equal(t, 90508, failed[0].Errcode)
	assert.NotEmpty(t, failed[0].Errmsg)
}

func TestOnjobTransferManyLimits(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	a, b := testkit.GroupChat(t, srv, "owner1", "a"), testkit.GroupChat(t, srv, "owner1", "b")
	resigned := testkit.GroupChat(t, srv, "owner2", "c")
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner2"))

	res, err := svc.OnjobTransferMany(t.Context(), &groupchat.OnjobTransferRequest{ChatIDList: []string{a, b, resigned}, NewOwner: "heir"}, 0)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	testkit.WantCode(t, res[2].Err, 90502)

	// same owner: 90504; back and forth: twice in 90 days, then refused
	failed, err := svc.OnjobTransfer(t.Context(), &groupchat.OnjobTransferRequest{ChatIDList: []string{a}, NewOwner: "heir"})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	assert.Equal(t, 90504, failed[0].Errcode)
	failed, err = svc.OnjobTransfer(t.Context(), &groupchat.OnjobTransferRequest{ChatIDList: []string{a}, NewOwner: "owner1"})
	require.NoError(t, err)
	assert.Empty(t, failed)
	res, err = svc.OnjobTransferMany(t.Context(), &groupchat.OnjobTransferRequest{ChatIDList: []string{a}, NewOwner: "heir"}, 1)
	require.NoError(t, err)
	require.Error(t, res[0].Err, "a third hand-over in 90 days")
	assert.Equal(t, "owner1", srv.Corp(srv.CorpID).GroupChats().Owner(a))
}

func TestTransferManyOutcomeUnknownIsNeverSuccess(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	var chats []string
	for range 150 {
		chats = append(chats, testkit.GroupChat(t, srv, "owner1", "g"))
	}
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner1"))
	// the first call's connection drops after the request was read: WeCom
	// may or may not have moved those groups
	srv.Fail(transferPath, wecomtest.Fault{Drop: true})
	res, err := svc.TransferMany(t.Context(), &groupchat.TransferRequest{ChatIDList: chats, NewOwner: "heir"}, 1)
	require.NoError(t, err)
	unknown, ok := 0, 0
	for _, r := range res {
		switch {
		case r.Err == nil:
			ok++
		case errors.Is(r.Err, wecom.ErrOutcomeUnknown):
			unknown++
			assert.False(t, wecom.IsRetryable(r.Err), "an unknown outcome is not retried")
		default:
			require.Failf(t, "unexpected error", "%s: %v", r.Item, r.Err)
		}
	}
	assert.Equal(t, 100, unknown)
	assert.Equal(t, 50, ok)
	assert.Equal(t, 2, srv.Count(transferPath), "the dropped call is not re-sent")
}

func TestTransferRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	many := make([]string, 101)
	for i := range many {
		many[i] = "wr"
	}
	for _, req := range []*groupchat.TransferRequest{
		nil, {}, {ChatIDList: []string{"wr1"}}, {NewOwner: "heir"}, {ChatIDList: []string{""}, NewOwner: "heir"},
	} {
		_, err := svc.Transfer(t.Context(), req)
		testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
		res, err := svc.TransferMany(t.Context(), req, 0)
		testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
		assert.Nil(t, res, "nothing sent, no results")
		onjob := (*groupchat.OnjobTransferRequest)(req)
		_, err = svc.OnjobTransfer(t.Context(), onjob)
		testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
		res, err = svc.OnjobTransferMany(t.Context(), onjob, 0)
		testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
		assert.Nil(t, res)
	}
	_, err := svc.OnjobTransfer(t.Context(), &groupchat.OnjobTransferRequest{ChatIDList: many, NewOwner: "heir"})
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	_, err = svc.Transfer(t.Context(), &groupchat.TransferRequest{ChatIDList: many, NewOwner: "heir"})
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument) // one call takes at most 100
	assert.Zero(t, srv.Count(transferPath)+srv.Count(onjobTransferPath))

	// the fake refuses an unknown new owner for the whole call
	_, err = svc.Transfer(t.Context(), &groupchat.TransferRequest{ChatIDList: []string{"wr1"}, NewOwner: "nobody"})
	testkit.WantCode(t, err, 40003)
}
