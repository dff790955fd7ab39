package contact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
)

// Transfers follows what WeCom accepted until each outcome is final and
// reports each once, also to two instances sharing the Store.
func TestTransfersFollowUntilFinal(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	ctx := t.Context()
	ids := testkit.Seed(t, srv, 3, "alice")
	testkit.Staff(t, srv, "bob")
	svc := contact.New(c)
	tr, err := contact.NewTransfers(svc, c.Store())
	require.NoError(t, err)
	other, err := contact.NewTransfers(contact.New(c), c.Store())
	require.NoError(t, err)

	res, err := tr.TransferCustomerMany(ctx, &contact.TransferCustomerRequest{HandoverUserID: "alice", TakeoverUserID: "bob",
		ExternalUserID: append([]string{"wmNobody"}, ids...)}, 0)
	require.NoError(t, err)
	require.Len(t, res, 4)
	require.Error(t, res[0].Err, "not alice's customer: not followed")
	n, err := tr.Waiting(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)

	out, err := tr.Check(ctx)
	require.NoError(t, err)
	assert.Empty(t, out, "all waiting")

	corp := srv.Corp(srv.CorpID)
	require.NoError(t, corp.RefuseTakeover(ctx, ids[0]))
	out, err = tr.Check(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, contact.TransferOutcome{HandoverUserID: "alice", TakeoverUserID: "bob", ExternalUserID: ids[0],
		Status: contact.TransferRefused, TakeoverTime: out[0].TakeoverTime}, out[0])

	corp.CompleteTakeovers()
	first, err := tr.Check(ctx)
	require.NoError(t, err)
	second, err := other.Check(ctx)
	require.NoError(t, err)
	assert.Len(t, append(first, second...), 2, "each outcome once")
	for _, o := range first {
		assert.Equal(t, contact.TransferDone, o.Status)
	}
	n, err = other.Waiting(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, ok, err := c.Store().Get(ctx, "scrm:contact:transfers:"+srv.CorpID)
	require.NoError(t, err)
	assert.False(t, ok, "nothing followed: the key goes")
}

func TestTransfersOfAResignedMember(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	ctx := t.Context()
	ids := testkit.Seed(t, srv, 2, "carol")
	testkit.Staff(t, srv, "bob")
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("carol"))
	tr, err := contact.NewTransfers(contact.New(c), c.Store())
	require.NoError(t, err)
	_, err = tr.ResignedTransferCustomerMany(ctx, &contact.ResignedTransferCustomerRequest{HandoverUserID: "carol", TakeoverUserID: "bob", ExternalUserID: ids}, 0)
	require.NoError(t, err)
	srv.Corp(srv.CorpID).CompleteTakeovers()
	out, err := tr.Check(ctx)
	require.NoError(t, err)
	require.Len(t, out, 2)
	assert.True(t, out[0].Resigned)
	assert.Equal(t, contact.TransferDone, out[1].Status)

	_, err = contact.NewTransfers(nil, c.Store())
	require.Error(t, err)
	_, err = contact.NewTransfers(contact.New(c), nil)
	require.Error(t, err)
}
