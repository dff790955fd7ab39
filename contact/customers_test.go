package contact_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

const pathBatchGetByUser = "/cgi-bin/externalcontact/batch/get_by_user"

func TestFollowUserListAndList(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 5, "alice", "bob")
	users, err := svc.ListFollowUsers(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "bob"}, users)
	got, err := svc.List(t.Context(), "alice")
	require.NoError(t, err)
	assert.Equal(t, []string{ids[0], ids[2], ids[4]}, got)
	assert.Equal(t, "alice", srv.Requests()[len(srv.Requests())-1].Query.Get("userid"))
	_, err = svc.List(t.Context(), "nobody")
	testkit.WantCode(t, err, 40003)
	_, err = svc.List(t.Context(), "")
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
}

func TestGetAndFollowUsersIter(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 1, "u0")
	// the same customer adds four more members through a contact way
	_, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneQRCode,
		User: []string{"u1", "u2", "u3", "u4"}, State: "fair"})
	testkit.WantCode(t, err, 41054) // u1..u4 have not the customer-contact feature yet
	testkit.Staff(t, srv, "u1", "u2", "u3", "u4")
	way, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneQRCode,
		User: []string{"u1", "u2", "u3", "u4"}, State: "fair"})
	require.NoError(t, err)
	for range 4 {
		_, err := srv.Corp(srv.CorpID).ScanContactWay(t.Context(), way.ConfigID, ids[0])
		require.NoError(t, err)
	}
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	assert.Equal(t, ids[0], d.ExternalContact.ExternalUserID)
	assert.Equal(t, contact.CustomerWeChat, d.ExternalContact.Type)
	assert.NotEmpty(t, d.ExternalContact.UnionID)
	require.Len(t, d.FollowUser, 5)
	assert.Empty(t, d.NextCursor)
	f := d.FollowUser[1]
	assert.Equal(t, "u1", f.UserID)
	assert.Equal(t, "fair", f.State)
	assert.Equal(t, contact.AddWayQRCode, f.AddWay)
	assert.Equal(t, ids[0], f.OperUserID)
	assert.NotZero(t, f.CreateTime)

	srv.Corp(srv.CorpID).SetContactPageLimit(2)
	d, err = svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	assert.Len(t, d.FollowUser, 2, "first page")
	assert.NotEmpty(t, d.NextCursor)
	var got []string
	for fu, err := range svc.GetIter(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]}) {
		require.NoError(t, err)
		got = append(got, fu.UserID)
	}
	assert.Equal(t, []string{"u0", "u1", "u2", "u3", "u4"}, got)
	q := srv.Requests()[len(srv.Requests())-1].Query
	assert.NotEmpty(t, q.Get("cursor"), "the last page is asked for with a cursor")
	assert.Equal(t, ids[0], q.Get("external_userid"))

	// GetIter starts at the request's cursor and leaves the request alone.
	req := &contact.GetRequest{ExternalUserID: ids[0], Cursor: d.NextCursor}
	got = got[:0]
	for fu, err := range svc.GetIter(t.Context(), req) {
		require.NoError(t, err)
		got = append(got, fu.UserID)
	}
	assert.Equal(t, []string{"u2", "u3", "u4"}, got)
	assert.Equal(t, d.NextCursor, req.Cursor)

	_, err = svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: "wmnobody"})
	testkit.WantCode(t, err, 40096)
	_, err = svc.Get(t.Context(), &contact.GetRequest{})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.Get(t.Context(), nil)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	for _, err := range svc.GetIter(t.Context(), nil) {
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
}

func TestBatchGetByUser(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 7, "a", "b")
	resp, err := svc.BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a", "b"}, Limit: 3})
	require.NoError(t, err)
	body := testkit.LastBody(t, srv, pathBatchGetByUser)
	assert.Equal(t, []any{"a", "b"}, body["userid_list"])
	assert.Equal(t, 3.0, body["limit"])
	assert.NotContains(t, body, "cursor", "empty cursor sent")
	require.Len(t, resp.ExternalContactList, 3)
	assert.NotEmpty(t, resp.NextCursor)
	r0 := resp.ExternalContactList[0]
	assert.Equal(t, ids[0], r0.ExternalContact.ExternalUserID)
	assert.Equal(t, "a", r0.FollowInfo.UserID)
	assert.Equal(t, "seed", r0.FollowInfo.State)

	seen := map[string]string{}
	for rec, err := range svc.BatchGetByUserIter(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a", "b"}, Limit: 2}) {
		require.NoError(t, err)
		require.NotContains(t, seen, rec.ExternalContact.ExternalUserID, "duplicate")
		seen[rec.ExternalContact.ExternalUserID] = rec.FollowInfo.UserID
	}
	assert.Len(t, seen, 7)
	assert.Equal(t, "b", seen[ids[1]])
}

func TestBatchGetByUserLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 150, "a")
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	before := srv.Count(pathBatchGetByUser)
	_, err := svc.BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: many})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a"}, Limit: -1})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.BatchGetByUser(t.Context(), nil)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	assert.Equal(t, before, srv.Count(pathBatchGetByUser), "invalid requests reached the server")

	// The fake enforces the documented limits itself.
	var out struct {
		List []struct{} `json:"external_contact_list"`
	}
	post := func(body map[string]any) error {
		return c.Do(t.Context(), &wecom.Request{Method: "POST", Path: pathBatchGetByUser, Op: wecom.OpRead, Body: body, Out: &out})
	}
	testkit.WantCode(t, post(map[string]any{"userid_list": many}), wecom.CodeInvalidParameter)
	require.NoError(t, post(map[string]any{"userid_list": []string{"a"}, "limit": 500}))
	assert.Len(t, out.List, 100, "limit 500 is clamped to 100")
	require.NoError(t, post(map[string]any{"userid_list": []string{"a"}}))
	assert.Len(t, out.List, 50, "the default limit")
	testkit.WantCode(t, post(map[string]any{"userid_list": []string{"a"}, "user_list": []string{"a"}}), wecom.CodeInvalidParameter) // unknown field
}

func TestBatchGetByUserManyChunks(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	staff := make([]string, 230)
	for i := range staff {
		staff[i] = fmt.Sprintf("s%03d", i)
	}
	testkit.Seed(t, srv, 460, staff...)
	users := append(append([]string{}, staff...), "ghost") // the last chunk fails: ghost is unknown
	req := &contact.BatchGetByUserRequest{UserIDList: users}
	res, err := svc.BatchGetByUserMany(t.Context(), req, 2)
	require.NoError(t, err)
	require.Len(t, res, len(users))
	for i, r := range res[:200] {
		require.NoError(t, r.Err, "result %d", i)
		assert.Equal(t, staff[i], r.Item)
		require.Len(t, r.Value, 2, "result %d", i)
		assert.Equal(t, staff[i], r.Value[0].FollowInfo.UserID)
	}
	for _, r := range res[200:] {
		assert.Equal(t, 40003, wecom.ErrorCode(r.Err), "result for %s: the error of its chunk", r.Item)
	}
	// chunks of 100 users with 200 records each take two pages; the last chunk fails at once
	assert.Equal(t, 5, srv.Count(pathBatchGetByUser))
	for _, r := range srv.Requests() {
		if r.Path == pathBatchGetByUser {
			assert.LessOrEqual(t, strings.Count(string(r.Body), `"s`), contact.MaxBatchUsers, "a call named more than 100 users")
		}
	}
	assert.Len(t, req.UserIDList, len(users), "the request is not modified")
	assert.Empty(t, req.Cursor)
}

// BatchGetByUserMany refuses what it cannot send before sending anything,
// with no results.
func TestBatchGetByUserManyRefusesBadRequests(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	for _, req := range []*contact.BatchGetByUserRequest{
		nil,
		{},
		{UserIDList: []string{"a"}, Cursor: "c1"},
		{UserIDList: []string{"a"}, Limit: -1},
	} {
		res, err := svc.BatchGetByUserMany(t.Context(), req, 0)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
		assert.Nil(t, res)
	}
	assert.Empty(t, srv.Requests())
}

func TestRemark(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 1, "a")
	err := svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], Remark: "VIP 李",
		Description: "buys often", RemarkCompany: "ACME", RemarkMobiles: []string{"13800000001", "13800000002"}})
	require.NoError(t, err)
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/remark")
	assert.Equal(t, "VIP 李", body["remark"])
	assert.Equal(t, "ACME", body["remark_company"])
	assert.Equal(t, "buys often", body["description"])
	assert.NotContains(t, body, "remark_pic_mediaid", "unset field sent")
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	f := d.FollowUser[0]
	assert.Equal(t, "VIP 李", f.Remark)
	assert.Equal(t, "buys often", f.Description)
	assert.Equal(t, "ACME", f.RemarkCorpName)
	assert.Len(t, f.RemarkMobiles, 2)
	// [""] clears the phone numbers
	require.NoError(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], RemarkMobiles: []string{""}}))
	d, err = svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	assert.Empty(t, d.FollowUser[0].RemarkMobiles, "after clearing")
	assert.Equal(t, "VIP 李", d.FollowUser[0].Remark)

	testkit.WantInvalid(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0]}), contact.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], Remark: strings.Repeat("字", 21)}), contact.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.Remark(t.Context(), nil), contact.ErrInvalidArgument)
	testkit.WantCode(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: "wmnobody", Remark: "x"}), 40096)
	testkit.Staff(t, srv, "b")
	testkit.WantCode(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "b", ExternalUserID: ids[0], Remark: "x"}), wecom.CodeNotExternalContact)
}

func TestGetWeComCustomerProfile(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 10, "a")
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[9]})
	require.NoError(t, err)
	ec := d.ExternalContact
	assert.Equal(t, contact.CustomerWeCom, ec.Type)
	assert.Empty(t, ec.UnionID)
	assert.NotEmpty(t, ec.CorpName)
	assert.NotEmpty(t, ec.CorpFullName)
	assert.NotEmpty(t, ec.Position)
	p := ec.ExternalProfile
	require.NotNil(t, p)
	require.Len(t, p.ExternalAttr, 3)
	assert.Equal(t, contact.ExternalAttr{Type: contact.AttrText, Name: p.ExternalAttr[0].Name, Text: &contact.AttrTextValue{Value: "Buyer"}}, p.ExternalAttr[0])
	web := p.ExternalAttr[1]
	assert.Equal(t, contact.AttrWeb, web.Type)
	require.NotNil(t, web.Web)
	assert.NotEmpty(t, web.Web.URL)
	mp := p.ExternalAttr[2]
	assert.Equal(t, contact.AttrMiniProgram, mp.Type)
	require.NotNil(t, mp.MiniProgram)
	assert.NotEmpty(t, mp.MiniProgram.AppID)
	assert.Equal(t, "/index", mp.MiniProgram.PagePath)
	resp, err := svc.BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a"}})
	require.NoError(t, err)
	assert.NotNil(t, resp.ExternalContactList[9].ExternalContact.ExternalProfile, "batch lost the profile")
}

// TestRemarkClearMobiles: an empty, non-nil RemarkMobiles clears the remark
// phone numbers; WeCom wants [""] for that.
func TestRemarkClearMobiles(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 1, "a")
	require.NoError(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], RemarkMobiles: []string{"13800000001"}}))
	require.NoError(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], RemarkMobiles: []string{}}))
	assert.Equal(t, []any{""}, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/remark")["remark_mobiles"])
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	assert.Empty(t, d.FollowUser[0].RemarkMobiles, "after clearing")
	// a nil RemarkMobiles is not sent
	require.NoError(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], Remark: "x"}))
	assert.NotContains(t, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/remark"), "remark_mobiles")
}

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

// CheckFollowUser splits members and departments by whether they have the
// customer-contact feature, as the fake holds it: given by AddStaff, lost
// by resigning.
func TestCheckFollowUser(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("alice", "bob"))
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("bob"))
	resp, err := svc.CheckFollowUser(t.Context(), &contact.CheckFollowUserRequest{UserID: []string{"alice", "bob", "carol"}, PartyID: []int{1, 7}})
	require.NoError(t, err)
	assert.Equal(t, contact.FollowUserScope{UserID: []string{"alice"}, PartyID: []int{1}}, resp.Authorized)
	assert.Equal(t, contact.FollowUserScope{UserID: []string{"bob", "carol"}, PartyID: []int{7}}, resp.Unauthorized)

	for _, req := range []*contact.CheckFollowUserRequest{nil, {}} {
		_, err := svc.CheckFollowUser(t.Context(), req)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	assert.Equal(t, 1, srv.Count("externalcontact/check_follow_user"), "nothing sent for bad input")
	testkit.WantCode(t, testkit.Raw(t, c, "/cgi-bin/externalcontact/check_follow_user", map[string]any{}), 40058)
}
