package contact_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

func TestBatchGetByUserReportsUnlicensedMembers(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 6, "alice", "bob", "carol")
	require.NoError(t, srv.Corp(srv.CorpID).SetUnlicensed("bob", true))
	ctx := t.Context()

	resp, err := svc.BatchGetByUser(ctx, &contact.BatchGetByUserRequest{UserIDList: []string{"alice", "bob", "carol"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, resp.Unlicensed())
	for _, r := range resp.ExternalContactList {
		assert.NotEqual(t, "bob", r.FollowInfo.UserID)
	}
	assert.Len(t, resp.ExternalContactList, 4)

	require.NoError(t, srv.Corp(srv.CorpID).SetUnlicensed("alice", true))
	_, err = svc.BatchGetByUser(ctx, &contact.BatchGetByUserRequest{UserIDList: []string{"alice", "bob"}})
	require.Error(t, err)
	assert.True(t, contact.IsUnlicensed(err), "%v", err)
	assert.Equal(t, wecom.CodeNoInteropLicense, wecom.ErrorCode(err))
	assert.Contains(t, err.Error(), "interop licence")
}

func TestBatchGetByUserDecodesFailInfo(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/batch/get_by_user",
		Body: `{"userid_list":["a","b"],"limit":10}`},
		`{"errcode":0,"errmsg":"ok","external_contact_list":[],"next_cursor":"","fail_info":{"unlicensed_userid_list":["b"]}}`)
	resp, err := contact.New(c).BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a", "b"}, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, resp.FailInfo.UnlicensedUserIDList)
}

func TestBatchGetByUserManyMarksUnlicensedMembers(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 6, "alice", "bob", "carol")
	require.NoError(t, srv.Corp(srv.CorpID).SetUnlicensed("bob", true))
	res, err := svc.BatchGetByUserMany(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"alice", "bob", "carol"}, Limit: 1}, 1)
	require.NoError(t, err)
	require.Len(t, res, 3)
	assert.NoError(t, res[0].Err)
	assert.Len(t, res[0].Value, 2)
	assert.ErrorIs(t, res[1].Err, contact.ErrUnlicensed)
	assert.True(t, contact.IsUnlicensed(res[1].Err))
	assert.Empty(t, res[1].Value)
	assert.NoError(t, res[2].Err)
	assert.Len(t, res[2].Value, 2)
}

// Sync skips members without a licence, reports each once, and neither
// stops nor loops: a batch whose members all lack one (701008) included.
func TestSyncSkipsUnlicensedMembers(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	staff := []string{"u1", "u2", "u3", "u4", "u5"}
	testkit.Seed(t, srv, 20, staff...)
	for _, u := range []string{"u1", "u2", "u4"} { // batch [u1 u2] all unlicensed; [u3 u4] half
		require.NoError(t, srv.Corp(srv.CorpID).SetUnlicensed(u, true))
	}
	ctx := t.Context()
	var (
		records    int
		unlicensed []string
		pages      []contact.SyncPage
	)
	for page, err := range svc.Sync(ctx, nil, contact.WithBatchUsers(2), contact.WithPageSize(3)) {
		require.NoError(t, err)
		pages = append(pages, *page)
		unlicensed = append(unlicensed, page.Unlicensed...)
		for _, r := range page.Records {
			assert.Contains(t, []string{"u3", "u5"}, r.FollowInfo.UserID)
		}
		records += len(page.Records)
		require.Less(t, len(pages), 50, "the sync loops")
	}
	assert.Equal(t, 8, records, "u3's and u5's 4 customers each")
	assert.ElementsMatch(t, []string{"u1", "u2", "u4"}, unlicensed)

	// Resuming from the page that reported the unlicensed batch goes on
	// from the next batch, without reporting it again or stopping.
	var first contact.SyncPage
	for _, p := range pages {
		if len(p.Unlicensed) == 2 {
			first = p
			break
		}
	}
	require.Equal(t, []string{"u1", "u2"}, first.Unlicensed)
	var resumed int
	for page, err := range svc.Sync(ctx, &first.Next, contact.WithBatchUsers(2), contact.WithPageSize(3)) {
		require.NoError(t, err)
		assert.NotContains(t, page.Unlicensed, "u1")
		resumed += len(page.Records)
	}
	assert.Equal(t, 8, resumed)
}
