package contact_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestTransferCustomersInChunks(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 150, "old")
	if err := srv.Corp(srv.CorpID).AddStaff("new"); err != nil {
		t.Fatal(err)
	}
	items := append(append([]string{}, ids...), "wmghost")
	res, err := svc.TransferCustomerMany(bg, &contact.TransferRequest{HandoverUserID: "old", TakeoverUserID: "new",
		ExternalUserID: items, TransferSuccessMsg: "new owner"}, 2)
	if err != nil || len(res) != 151 {
		t.Fatalf("%d results, %v", len(res), err)
	}
	for i, r := range res[:150] {
		if r.Err != nil || r.Item != ids[i] {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
	if wecom.ErrorCode(res[150].Err) != 40096 {
		t.Fatalf("ghost: %v, want per-customer 40096", res[150].Err)
	}
	if n := srv.Count("/cgi-bin/externalcontact/transfer_customer"); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/transfer_customer"); body["transfer_success_msg"] != "new owner" {
		t.Fatalf("body = %v", body)
	}

	// waiting until the takeover
	var statuses []contact.TransferStatus
	for c, err := range svc.TransferResultIter(bg, &contact.TransferStatusRequest{HandoverUserID: "old", TakeoverUserID: "new"}) {
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, c.Status)
		if c.TakeoverTime.Time().Before(time.Now().Add(23 * time.Hour)) {
			t.Fatalf("waiting takeover_time = %v, want ~24h ahead", c.TakeoverTime.Time())
		}
	}
	if len(statuses) != 150 || slices.IndexFunc(statuses, func(s contact.TransferStatus) bool { return s != contact.TransferWaiting }) >= 0 {
		t.Fatalf("statuses before takeover: %d, %v", len(statuses), statuses[:3])
	}
	if f := srv.Corp(srv.CorpID).Followers(ids[0]); !slices.Equal(f, []string{"old"}) {
		t.Fatalf("followers before takeover = %v", f)
	}
	// a second transfer of a waiting customer is refused per customer
	again, err := svc.TransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "old", TakeoverUserID: "new", ExternalUserID: ids[:1]})
	if err != nil || again[0].Errcode != 40129 {
		t.Fatalf("second transfer: %+v, %v", again, err)
	}

	if n := srv.Corp(srv.CorpID).CompleteTakeovers(); n != 150 {
		t.Fatalf("completed %d", n)
	}
	srv.Corp(srv.CorpID).SetContactPageLimit(40)
	done := 0
	for c, err := range svc.TransferResultIter(bg, &contact.TransferStatusRequest{HandoverUserID: "old", TakeoverUserID: "new"}) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != contact.TransferDone {
			t.Fatalf("status after takeover = %v", c.Status)
		}
		done++
	}
	if done != 150 || srv.Count("/cgi-bin/externalcontact/transfer_result") < 5 {
		t.Fatalf("done %d over %d calls", done, srv.Count("/cgi-bin/externalcontact/transfer_result"))
	}
	if f := srv.Corp(srv.CorpID).Followers(ids[0]); !slices.Equal(f, []string{"new"}) {
		t.Fatalf("followers after takeover = %v", f)
	}
	if l, _ := svc.List(bg, "new"); len(l) != 150 {
		t.Fatalf("new owner has %d customers", len(l))
	}
	d, _ := svc.Get(bg, ids[0], "")
	if d.FollowUser[0].AddWay != contact.AddWayAdminAssigned {
		t.Fatalf("add_way after takeover = %v", d.FollowUser[0].AddWay)
	}
}

func TestTransferValidation(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 101, "a", "b")
	_, err := svc.TransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids})
	wantInvalid(t, err)
	_, err = svc.TransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "a", ExternalUserID: ids[:1]})
	wantInvalid(t, err)
	_, err = svc.ResignedTransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids[:1], TransferSuccessMsg: "x"})
	wantInvalid(t, err)
	// the batch forms refuse a bad request as a whole, nil included
	for _, req := range []*contact.TransferRequest{nil, {HandoverUserID: "a", ExternalUserID: ids}, {HandoverUserID: "a", TakeoverUserID: "b"}} {
		res, err := svc.TransferCustomerMany(bg, req, 0)
		wantInvalid(t, err)
		if res != nil {
			t.Fatalf("results %v with a refused request", res)
		}
	}
	res0, err := svc.ResignedTransferCustomerMany(bg, nil, 0)
	wantInvalid(t, err)
	_, err2 := svc.ResignedTransferCustomerMany(bg, &contact.TransferRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids, TransferSuccessMsg: "x"}, 0)
	wantInvalid(t, err2)
	if res0 != nil {
		t.Fatalf("results %v for a nil request", res0)
	}
	if n := srv.Count("/cgi-bin/externalcontact/transfer_customer") + srv.Count("/cgi-bin/externalcontact/resigned/transfer_customer"); n != 0 {
		t.Fatal("invalid transfer reached WeCom")
	}
	err = svc.Client().Post(bg, "/cgi-bin/externalcontact/transfer_customer",
		map[string]any{"handover_userid": "a", "takeover_userid": "b", "external_userid": ids}, nil)
	wantCode(t, err, 40058)
	// per-customer codes: not a's customer, same member
	res, err := svc.TransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids[:2]})
	if err != nil || res[0].Errcode != 0 || res[1].Errcode != 40131 {
		t.Fatalf("res = %+v, %v", res, err)
	}
	res, _ = svc.TransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "a", TakeoverUserID: "a", ExternalUserID: ids[2:3]})
	if res[0].Errcode != 40130 {
		t.Fatalf("same member: %+v", res)
	}
	// a member not resigned cannot be handed over as resigned
	_, err = svc.ResignedTransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids[2:3]})
	wantCode(t, err, 40097)
}

func TestTakeoverAfter24Hours(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := wecomtest.NewServer(t, wecomtest.WithClock(clock))
	svc := contact.New(srv.Client())
	ids := seed(t, srv, 2, "a")
	if err := srv.Corp(srv.CorpID).AddStaff("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TransferCustomer(bg, &contact.TransferRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids}); err != nil {
		t.Fatal(err)
	}
	status := func() contact.TransferStatus {
		r, err := svc.TransferResult(bg, &contact.TransferStatusRequest{HandoverUserID: "a", TakeoverUserID: "b"})
		if err != nil || len(r.Customer) != 2 {
			t.Fatalf("result %+v, %v", r, err)
		}
		return r.Customer[0].Status
	}
	if s := status(); s != contact.TransferWaiting {
		t.Fatalf("status = %v", s)
	}
	mu.Lock()
	now = now.Add(25 * time.Hour) // tokens live 2h: the client refreshes on 42001
	mu.Unlock()
	if s := status(); s != contact.TransferDone {
		t.Fatalf("status a day later = %v", s)
	}
	if l, _ := svc.List(bg, "b"); len(l) != 2 {
		t.Fatalf("b has %v", l)
	}
}

func TestResignedInheritance(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 5, "gone", "stay")
	if err := srv.Corp(srv.CorpID).AddStaff("heir"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Corp(srv.CorpID).ResignStaff("gone"); err != nil {
		t.Fatal(err)
	}
	srv.Corp(srv.CorpID).SetContactPageLimit(2)
	var unassigned []string
	for u, err := range svc.ListUnassignedIter(bg, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if u.HandoverUserID != "gone" || u.DimissionTime == 0 {
			t.Fatalf("info = %+v", u)
		}
		unassigned = append(unassigned, u.ExternalUserID)
	}
	if want := []string{ids[0], ids[2], ids[4]}; !slices.Equal(unassigned, want) {
		t.Fatalf("unassigned %v, want %v", unassigned, want)
	}
	page, err := svc.ListUnassigned(bg, &contact.UnassignedRequest{PageSize: 1000})
	if err != nil || len(page.Info) != 2 || page.IsLast {
		t.Fatalf("page = %+v, %v", page, err)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/get_unassigned_list"); body["page_size"] != 1000.0 {
		t.Fatalf("body = %v", body)
	}
	if users, _ := svc.ListFollowUsers(bg); slices.Contains(users, "gone") {
		t.Fatalf("resigned member still listed: %v", users)
	}

	res, err := svc.ResignedTransferCustomerMany(bg, &contact.TransferRequest{HandoverUserID: "gone", TakeoverUserID: "heir", ExternalUserID: unassigned}, 0)
	if err != nil || len(res) != len(unassigned) || len(res) == 0 {
		t.Fatalf("%d results for %d customers, %v", len(res), len(unassigned), err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/resigned/transfer_customer"); body["transfer_success_msg"] != nil {
		t.Fatalf("body = %v", body)
	}
	// in transfer: no longer unassigned
	if page, _ := svc.ListUnassigned(bg, nil); len(page.Info) != 0 || !page.IsLast {
		t.Fatalf("after transfer: %+v", page)
	}
	srv.Corp(srv.CorpID).CompleteTakeovers()
	n := 0
	for c, err := range svc.ResignedTransferResultIter(bg, &contact.TransferStatusRequest{HandoverUserID: "gone", TakeoverUserID: "heir"}) {
		if err != nil || c.Status != contact.TransferDone {
			t.Fatalf("%+v, %v", c, err)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("%d resigned results", n)
	}
	// the in-service result does not list resigned transfers
	r, _ := svc.TransferResult(bg, &contact.TransferStatusRequest{HandoverUserID: "gone", TakeoverUserID: "heir"})
	if len(r.Customer) != 0 {
		t.Fatalf("in-service result = %+v", r)
	}
	if l, _ := svc.List(bg, "heir"); len(l) != 3 {
		t.Fatalf("heir has %v", l)
	}
	_, err = svc.ListUnassigned(bg, &contact.UnassignedRequest{PageSize: 1001})
	wantInvalid(t, err)
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
		case "/cgi-bin/externalcontact/transfer_customer":
			calls.Add(1)
			io.WriteString(w, `{"errcode":0,"errmsg":"ok","customer":[{"external_userid":"wmA","errcode":0},{"external_userid":"wmC","errcode":40128}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	svc := contact.New(wecom.New("ww1", "secret", wecom.WithBaseURL(ts.URL)))
	res, err := svc.TransferCustomerMany(bg, &contact.TransferRequest{HandoverUserID: "old", TakeoverUserID: "new",
		ExternalUserID: []string{"wmA", "wmB", "wmC"}}, 1)
	if err != nil || len(res) != 3 || res[0].Err != nil || wecom.ErrorCode(res[2].Err) != 40128 {
		t.Fatalf("results = %+v", res)
	}
	err = res[1].Err
	if !errors.Is(err, contact.ErrNoTransferResult) || !errors.Is(err, wecom.ErrOutcomeUnknown) {
		t.Fatalf("missing customer: %v, want ErrNoTransferResult and wecom.ErrOutcomeUnknown", err)
	}
	var we *wecom.Error
	if errors.As(err, &we) || wecom.IsRetryable(err) {
		t.Fatalf("missing customer: %#v reads as a WeCom errcode or as retryable", err)
	}
	if !strings.Contains(err.Error(), "wmB") {
		t.Fatalf("error %q does not name the customer", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d transfer calls, want 1", n)
	}
}
