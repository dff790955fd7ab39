package contact_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

const (
	pathTransferCustomer         = "/cgi-bin/externalcontact/transfer_customer"
	pathResignedTransferCustomer = "/cgi-bin/externalcontact/resigned/transfer_customer"
)

func TestTransferCustomersInChunks(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk))
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 150, "old")
	testkit.Staff(t, srv, "new")
	items := append(append([]string{}, ids...), "wmghost")
	req := &contact.TransferCustomerRequest{HandoverUserID: "old", TakeoverUserID: "new",
		ExternalUserID: items, TransferSuccessMsg: "new owner"}
	res, err := svc.TransferCustomerMany(t.Context(), req, 2)
	require.NoError(t, err)
	require.Len(t, res, 151)
	for i, r := range res[:150] {
		require.NoError(t, r.Err, "result %d", i)
		assert.Equal(t, ids[i], r.Item)
	}
	assert.Equal(t, 40096, wecom.ErrorCode(res[150].Err), "the ghost's per-customer errcode")
	assert.Equal(t, 2, srv.Count(pathTransferCustomer))
	assert.Equal(t, "new owner", testkit.LastBody(t, srv, pathTransferCustomer)["transfer_success_msg"])
	assert.Len(t, req.ExternalUserID, 151, "the request is not modified")

	// waiting until the takeover, 24 hours after the transfer
	n := 0
	for c, err := range svc.TransferResultIter(t.Context(), &contact.TransferResultRequest{HandoverUserID: "old", TakeoverUserID: "new"}) {
		require.NoError(t, err)
		require.Equal(t, contact.TransferWaiting, c.Status, "status of %s before the takeover", c.ExternalUserID)
		require.Equal(t, clk.Now().Add(24*time.Hour).Unix(), c.TakeoverTime.Time().Unix(), "takeover_time while waiting")
		n++
	}
	assert.Equal(t, 150, n)
	assert.Equal(t, []string{"old"}, srv.Corp(srv.CorpID).Followers(ids[0]), "followers before the takeover")
	// a second transfer of a waiting customer is refused per customer
	again, err := svc.TransferCustomer(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "old", TakeoverUserID: "new", ExternalUserID: ids[:1]})
	require.NoError(t, err)
	assert.Equal(t, 40129, again[0].Errcode)

	assert.Equal(t, 150, srv.Corp(srv.CorpID).CompleteTakeovers())
	srv.Corp(srv.CorpID).SetContactPageLimit(40)
	done := 0
	for c, err := range svc.TransferResultIter(t.Context(), &contact.TransferResultRequest{HandoverUserID: "old", TakeoverUserID: "new"}) {
		require.NoError(t, err)
		require.Equal(t, contact.TransferDone, c.Status, "status after the takeover")
		done++
	}
	assert.Equal(t, 150, done)
	assert.GreaterOrEqual(t, srv.Count("/cgi-bin/externalcontact/transfer_result"), 5, "pages of 40")
	assert.Equal(t, []string{"new"}, srv.Corp(srv.CorpID).Followers(ids[0]), "followers after the takeover")
	l, err := svc.List(t.Context(), "new")
	require.NoError(t, err)
	assert.Len(t, l, 150)
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	assert.Equal(t, contact.AddWayAdminAssigned, d.FollowUser[0].AddWay)
}

func TestTransferValidation(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 101, "a", "b")
	_, err := svc.TransferCustomer(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.TransferCustomer(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "a", ExternalUserID: ids[:1]})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.TransferCustomer(t.Context(), nil)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.ResignedTransferCustomer(t.Context(), &contact.ResignedTransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.ResignedTransferCustomer(t.Context(), nil)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	// the batch forms refuse a bad request as a whole, nil included
	for _, req := range []*contact.TransferCustomerRequest{nil, {HandoverUserID: "a", ExternalUserID: ids}, {HandoverUserID: "a", TakeoverUserID: "b"},
		{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids, TransferSuccessMsg: string(make([]rune, 201))}} {
		res, err := svc.TransferCustomerMany(t.Context(), req, 0)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
		assert.Nil(t, res, "results with a refused request")
	}
	for _, req := range []*contact.ResignedTransferCustomerRequest{nil, {TakeoverUserID: "b", ExternalUserID: ids}, {HandoverUserID: "a", TakeoverUserID: "b"}} {
		res, err := svc.ResignedTransferCustomerMany(t.Context(), req, 0)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
		assert.Nil(t, res, "results with a refused request")
	}
	assert.Zero(t, srv.Count(pathTransferCustomer)+srv.Count(pathResignedTransferCustomer), "an invalid transfer reached WeCom")
	err = c.Post(t.Context(), pathTransferCustomer,
		map[string]any{"handover_userid": "a", "takeover_userid": "b", "external_userid": ids}, nil)
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
	// per-customer codes: not a's customer, same member
	res, err := svc.TransferCustomer(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids[:2]})
	require.NoError(t, err)
	assert.Equal(t, []contact.TransferResult{{ExternalUserID: ids[0]}, {ExternalUserID: ids[1], Errcode: 40131}}, res)
	res, err = svc.TransferCustomer(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "a", ExternalUserID: ids[2:3]})
	require.NoError(t, err)
	assert.Equal(t, 40130, res[0].Errcode, "same member")
	// a member not resigned cannot be handed over as resigned
	_, err = svc.ResignedTransferCustomer(t.Context(), &contact.ResignedTransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids[2:3]})
	testkit.WantCode(t, err, 40097)
}

func TestTakeoverAfter24Hours(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk))
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 2, "a")
	testkit.Staff(t, srv, "b")
	_, err := svc.TransferCustomer(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids})
	require.NoError(t, err)
	status := func() contact.TransferStatus {
		r, err := svc.TransferResult(t.Context(), &contact.TransferResultRequest{HandoverUserID: "a", TakeoverUserID: "b"})
		require.NoError(t, err)
		require.Len(t, r.Customer, 2)
		return r.Customer[0].Status
	}
	assert.Equal(t, contact.TransferWaiting, status())
	clk.Advance(25 * time.Hour) // tokens live 2h: the client refreshes on 42001
	assert.Equal(t, contact.TransferDone, status(), "a day later")
	l, err := svc.List(t.Context(), "b")
	require.NoError(t, err)
	assert.Len(t, l, 2)
}

func TestResignedInheritance(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 5, "gone", "stay")
	testkit.Staff(t, srv, "heir")
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("gone"))
	srv.Corp(srv.CorpID).SetContactPageLimit(2)
	var unassigned []string
	for u, err := range svc.ListUnassignedIter(t.Context(), nil) {
		require.NoError(t, err)
		assert.Equal(t, "gone", u.HandoverUserID)
		assert.NotZero(t, u.DimissionTime)
		unassigned = append(unassigned, u.ExternalUserID)
	}
	assert.Equal(t, []string{ids[0], ids[2], ids[4]}, unassigned)
	page, err := svc.ListUnassigned(t.Context(), &contact.ListUnassignedRequest{PageSize: 1000})
	require.NoError(t, err)
	assert.Len(t, page.Info, 2)
	assert.False(t, page.IsLast)
	assert.Equal(t, 1000.0, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/get_unassigned_list")["page_size"])
	users, err := svc.ListFollowUsers(t.Context())
	require.NoError(t, err)
	assert.NotContains(t, users, "gone", "a resigned member is still listed")

	res, err := svc.ResignedTransferCustomerMany(t.Context(), &contact.ResignedTransferCustomerRequest{HandoverUserID: "gone", TakeoverUserID: "heir", ExternalUserID: unassigned}, 0)
	require.NoError(t, err)
	require.Len(t, res, len(unassigned))
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	assert.NotContains(t, testkit.LastBody(t, srv, pathResignedTransferCustomer), "transfer_success_msg")
	// in transfer: no longer unassigned
	page, err = svc.ListUnassigned(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, page.Info, "unassigned after the transfer")
	assert.True(t, page.IsLast)
	srv.Corp(srv.CorpID).CompleteTakeovers()
	n := 0
	for c, err := range svc.ResignedTransferResultIter(t.Context(), &contact.ResignedTransferResultRequest{HandoverUserID: "gone", TakeoverUserID: "heir"}) {
		require.NoError(t, err)
		assert.Equal(t, contact.TransferDone, c.Status)
		n++
	}
	assert.Equal(t, 3, n)
	// the in-service result does not list resigned transfers
	r, err := svc.TransferResult(t.Context(), &contact.TransferResultRequest{HandoverUserID: "gone", TakeoverUserID: "heir"})
	require.NoError(t, err)
	assert.Empty(t, r.Customer, "the in-service result")
	l, err := svc.List(t.Context(), "heir")
	require.NoError(t, err)
	assert.Len(t, l, 3)
	// A page size above the maximum is sent as the maximum; a negative one
	// is refused.
	_, err = svc.ListUnassigned(t.Context(), &contact.ListUnassignedRequest{PageSize: 1001})
	require.NoError(t, err)
	assert.EqualValues(t, 1000, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/get_unassigned_list")["page_size"])
	_, err = svc.ListUnassigned(t.Context(), &contact.ListUnassignedRequest{PageSize: -1})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.ResignedTransferResult(t.Context(), &contact.ResignedTransferResultRequest{HandoverUserID: "gone"})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	for _, err := range svc.ResignedTransferResultIter(t.Context(), nil) {
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
}

// TestTransferCustomerMissingFromAnswer serves a transfer answer that does
// not name one of the customers sent: its result is ErrNoTransferResult,
// which also matches wecom.ErrOutcomeUnknown, is no *wecom.Error and is not
// retryable (the transfer may have started; each customer can be moved only
// twice in 90 days).
func TestTransferCustomerMissingFromAnswer(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"tok","expires_in":7200}`)
		case pathTransferCustomer:
			calls.Add(1)
			io.WriteString(w, `{"errcode":0,"errmsg":"ok","customer":[{"external_userid":"wmA","errcode":0},{"external_userid":"wmC","errcode":40128}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	svc := contact.New(wecom.New("ww1", "secret", wecom.WithBaseURL(ts.URL)))
	res, err := svc.TransferCustomerMany(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "old", TakeoverUserID: "new",
		ExternalUserID: []string{"wmA", "wmB", "wmC"}}, 1)
	require.NoError(t, err)
	require.Len(t, res, 3)
	assert.NoError(t, res[0].Err)
	assert.Equal(t, 40128, wecom.ErrorCode(res[2].Err))
	err = res[1].Err
	assert.ErrorIs(t, err, contact.ErrNoTransferResult)
	assert.ErrorIs(t, err, wecom.ErrOutcomeUnknown)
	var we *wecom.Error
	assert.NotErrorAs(t, err, &we, "a missing customer reads as a WeCom errcode")
	assert.False(t, wecom.IsRetryable(err), "a missing customer reads as retryable")
	assert.Contains(t, err.Error(), "wmB", "the error names the customer")
	assert.Equal(t, int32(1), calls.Load(), "transfer calls")
}
