package groupchat_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
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
		resignedChats = append(resignedChats, newChat(t, srv, "owner1", "r"))
	}
	active := newChat(t, srv, "owner2", "still served")
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner1"))

	// failures in the first and the last chunk
	items := append([]string{active}, resignedChats...)
	items = append(items, "wrghost")
	res, err := svc.TransferMany(bg, &groupchat.TransferRequest{ChatIDList: items, NewOwner: "heir"}, 2)
	require.NoError(t, err)
	require.Len(t, res, len(items))
	assert.Equal(t, 3, srv.Count(transferPath), "232 groups in calls of 100")
	requireCode(t, res[0].Err, 90500)
	assert.Equal(t, active, res[0].Item)
	requireCode(t, res[len(res)-1].Err, 90501)
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
	for ref, err := range svc.ListIter(bg, &groupchat.ListRequest{StatusFilter: groupchat.ChatInherited}) {
		require.NoError(t, err)
		assert.Equal(t, groupchat.ChatInherited, ref.Status)
		n++
	}
	assert.Equal(t, 230, n)
	failed, err := svc.Transfer(bg, &groupchat.TransferRequest{ChatIDList: resignedChats[:2], NewOwner: "owner2"})
	require.NoError(t, err)
	require.Len(t, failed, 2)
	assert.Equal(t, 90508, failed[0].Errcode)
	assert.NotEmpty(t, failed[0].Errmsg)
}

func TestOnjobTransferManyLimits(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	a, b := newChat(t, srv, "owner1", "a"), newChat(t, srv, "owner1", "b")
	resigned := newChat(t, srv, "owner2", "c")
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner2"))

	res, err := svc.OnjobTransferMany(bg, &groupchat.TransferRequest{ChatIDList: []string{a, b, resigned}, NewOwner: "heir"}, 0)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	requireCode(t, res[2].Err, 90502)

	// same owner: 90504; back and forth: twice in 90 days, then refused
	failed, err := svc.OnjobTransfer(bg, &groupchat.TransferRequest{ChatIDList: []string{a}, NewOwner: "heir"})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	assert.Equal(t, 90504, failed[0].Errcode)
	failed, err = svc.OnjobTransfer(bg, &groupchat.TransferRequest{ChatIDList: []string{a}, NewOwner: "owner1"})
	require.NoError(t, err)
	assert.Empty(t, failed)
	res, err = svc.OnjobTransferMany(bg, &groupchat.TransferRequest{ChatIDList: []string{a}, NewOwner: "heir"}, 1)
	require.NoError(t, err)
	require.Error(t, res[0].Err, "a third hand-over in 90 days")
	assert.Equal(t, "owner1", srv.Corp(srv.CorpID).GroupChats().Owner(a))
}

func TestTransferManyOutcomeUnknownIsNeverSuccess(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	var chats []string
	for range 150 {
		chats = append(chats, newChat(t, srv, "owner1", "g"))
	}
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner1"))
	// the first call's connection drops after the request was read: WeCom
	// may or may not have moved those groups
	srv.Fail(transferPath, wecomtest.Fault{Drop: true})
	res, err := svc.TransferMany(bg, &groupchat.TransferRequest{ChatIDList: chats, NewOwner: "heir"}, 1)
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
			t.Fatalf("unexpected error for %s: %v", r.Item, r.Err)
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
		_, err := svc.Transfer(bg, req)
		requireInvalid(t, err)
		_, err = svc.OnjobTransfer(bg, req)
		requireInvalid(t, err)
		_, err = svc.TransferMany(bg, req, 0)
		requireInvalid(t, err)
		_, err = svc.OnjobTransferMany(bg, req, 0)
		requireInvalid(t, err)
	}
	_, err := svc.Transfer(bg, &groupchat.TransferRequest{ChatIDList: many, NewOwner: "heir"})
	requireInvalid(t, err) // one call takes at most 100
	assert.Zero(t, srv.Count(transferPath)+srv.Count(onjobTransferPath))

	// the fake refuses an unknown new owner for the whole call
	_, err = svc.Transfer(bg, &groupchat.TransferRequest{ChatIDList: []string{"wr1"}, NewOwner: "nobody"})
	requireCode(t, err, 40003)
}
