package contact_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
)

func TestFollowUserListAndList(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 5, "alice", "bob")
	users, err := svc.ListFollowUsers(bg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(users, []string{"alice", "bob"}) {
		t.Fatalf("follow users = %v", users)
	}
	got, err := svc.List(bg, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{ids[0], ids[2], ids[4]}; !slices.Equal(got, want) {
		t.Fatalf("List(alice) = %v, want %v", got, want)
	}
	if q := srv.Requests()[len(srv.Requests())-1].Query; q.Get("userid") != "alice" {
		t.Fatalf("query = %v", q)
	}
	_, err = svc.List(bg, "nobody")
	wantCode(t, err, 40003)
	_, err = svc.List(bg, "")
	wantInvalid(t, err)
}

func TestGetAndFollowUsersIter(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 1, "u0")
	// the same customer adds four more members through a contact way
	way, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneQRCode,
		User: []string{"u1", "u2", "u3", "u4"}, State: "fair"})
	wantCode(t, err, 41054) // u1..u4 have not the customer-contact feature yet
	_ = way
	if err := srv.Corp(srv.CorpID).AddStaff("u1", "u2", "u3", "u4"); err != nil {
		t.Fatal(err)
	}
	way, err = svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneQRCode,
		User: []string{"u1", "u2", "u3", "u4"}, State: "fair"})
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := srv.Corp(srv.CorpID).ScanContactWay(bg, way.ConfigID, ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	d, err := svc.Get(bg, ids[0], "")
	if err != nil {
		t.Fatal(err)
	}
	if d.ExternalContact.ExternalUserID != ids[0] || d.ExternalContact.Type != contact.CustomerWeChat || d.ExternalContact.UnionID == "" {
		t.Fatalf("external_contact = %+v", d.ExternalContact)
	}
	if len(d.FollowUser) != 5 || d.NextCursor != "" {
		t.Fatalf("follow users = %d, cursor %q", len(d.FollowUser), d.NextCursor)
	}
	f := d.FollowUser[1]
	if f.UserID != "u1" || f.State != "fair" || f.AddWay != contact.AddWayQRCode || f.OperUserID != ids[0] || f.CreateTime == 0 {
		t.Fatalf("follow user = %+v", f)
	}

	srv.Corp(srv.CorpID).SetContactPageLimit(2)
	d, err = svc.Get(bg, ids[0], "")
	if err != nil || len(d.FollowUser) != 2 || d.NextCursor == "" {
		t.Fatalf("first page: %v, %+v", err, d)
	}
	var got []string
	for fu, err := range svc.GetIter(bg, ids[0]) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fu.UserID)
	}
	if want := []string{"u0", "u1", "u2", "u3", "u4"}; !slices.Equal(got, want) {
		t.Fatalf("iter = %v, want %v", got, want)
	}
	if q := srv.Requests()[len(srv.Requests())-1].Query; q.Get("cursor") == "" || q.Get("external_userid") != ids[0] {
		t.Fatalf("last query = %v", q)
	}

	_, err = svc.Get(bg, "wmnobody", "")
	wantCode(t, err, 40096)
	_, err = svc.Get(bg, "", "")
	wantInvalid(t, err)
}

func TestBatchGetByUser(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 7, "a", "b")
	resp, err := svc.BatchGetByUser(bg, &contact.BatchGetRequest{UserIDList: []string{"a", "b"}, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv, "/cgi-bin/externalcontact/batch/get_by_user")
	if fmt.Sprint(body["userid_list"]) != "[a b]" || body["limit"] != 3.0 {
		t.Fatalf("request body = %v", body)
	}
	if _, ok := body["cursor"]; ok {
		t.Fatalf("empty cursor sent: %v", body)
	}
	if len(resp.ExternalContactList) != 3 || resp.NextCursor == "" {
		t.Fatalf("page = %+v", resp)
	}
	r0 := resp.ExternalContactList[0]
	if r0.ExternalContact.ExternalUserID != ids[0] || r0.FollowInfo.UserID != "a" || r0.FollowInfo.State != "seed" {
		t.Fatalf("record = %+v", r0)
	}

	seen := map[string]string{}
	for rec, err := range svc.BatchGetByUserIter(bg, &contact.BatchGetRequest{UserIDList: []string{"a", "b"}, Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := seen[rec.ExternalContact.ExternalUserID]; dup {
			t.Fatalf("duplicate %s", rec.ExternalContact.ExternalUserID)
		}
		seen[rec.ExternalContact.ExternalUserID] = rec.FollowInfo.UserID
	}
	if len(seen) != 7 || seen[ids[1]] != "b" {
		t.Fatalf("iter saw %d records: %v", len(seen), seen)
	}
}

func TestBatchGetByUserLimits(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 150, "a")
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	before := srv.Count("/cgi-bin/externalcontact/batch/get_by_user")
	_, err := svc.BatchGetByUser(bg, &contact.BatchGetRequest{UserIDList: many})
	wantInvalid(t, err)
	_, err = svc.BatchGetByUser(bg, &contact.BatchGetRequest{UserIDList: []string{"a"}, Limit: 101})
	wantInvalid(t, err)
	_, err = svc.BatchGetByUser(bg, nil)
	wantInvalid(t, err)
	if n := srv.Count("/cgi-bin/externalcontact/batch/get_by_user"); n != before {
		t.Fatalf("invalid requests reached the server: %d", n-before)
	}

	// The fake enforces the documented limits itself.
	c := svc.Client()
	var out struct {
		List []struct{} `json:"external_contact_list"`
	}
	err = c.Do(bg, &wecom.Request{Method: "POST", Path: "/cgi-bin/externalcontact/batch/get_by_user", Op: wecom.OpRead,
		Body: map[string]any{"userid_list": many}, Out: &out})
	wantCode(t, err, 40058)
	err = c.Do(bg, &wecom.Request{Method: "POST", Path: "/cgi-bin/externalcontact/batch/get_by_user", Op: wecom.OpRead,
		Body: map[string]any{"userid_list": []string{"a"}, "limit": 500}, Out: &out})
	if err != nil || len(out.List) != 100 {
		t.Fatalf("limit 500: err %v, %d records; want clamped to 100", err, len(out.List))
	}
	err = c.Do(bg, &wecom.Request{Method: "POST", Path: "/cgi-bin/externalcontact/batch/get_by_user", Op: wecom.OpRead,
		Body: map[string]any{"userid_list": []string{"a"}}, Out: &out})
	if err != nil || len(out.List) != 50 {
		t.Fatalf("default limit: err %v, %d records; want 50", err, len(out.List))
	}
	err = c.Do(bg, &wecom.Request{Method: "POST", Path: "/cgi-bin/externalcontact/batch/get_by_user", Op: wecom.OpRead,
		Body: map[string]any{"userid_list": []string{"a"}, "user_list": []string{"a"}}, Out: &out})
	wantCode(t, err, 40058) // unknown field
}

func TestBatchGetByUsersChunks(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	staff := make([]string, 230)
	for i := range staff {
		staff[i] = fmt.Sprintf("s%03d", i)
	}
	seed(t, srv, 460, staff...)
	users := append(append([]string{}, staff...), "ghost") // the last chunk fails: ghost is unknown
	res := svc.BatchGetByUserMany(bg, users, 0, 2)
	if len(res) != len(users) {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res[:200] {
		if r.Err != nil || r.Item != staff[i] || len(r.Value) != 2 || r.Value[0].FollowInfo.UserID != staff[i] {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
	for _, r := range res[200:] {
		if wecom.ErrorCode(r.Err) != 40003 {
			t.Fatalf("result for %s: err %v, want 40003 for its chunk", r.Item, r.Err)
		}
	}
	// chunks of 100 users with 200 records each take two pages; the last chunk fails at once
	if n := srv.Count("/cgi-bin/externalcontact/batch/get_by_user"); n != 5 {
		t.Fatalf("%d calls, want 5", n)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/cgi-bin/externalcontact/batch/get_by_user" && strings.Count(string(r.Body), `"s`) > 100 {
			t.Fatalf("a call named more than 100 users")
		}
	}
}

func TestRemark(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 1, "a")
	err := svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], Remark: "VIP 李",
		Description: "buys often", RemarkCompany: "ACME", RemarkMobiles: []string{"13800000001", "13800000002"}})
	if err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv, "/cgi-bin/externalcontact/remark")
	if body["remark"] != "VIP 李" || body["remark_company"] != "ACME" || body["description"] != "buys often" {
		t.Fatalf("body = %v", body)
	}
	if _, ok := body["remark_pic_mediaid"]; ok {
		t.Fatalf("unset field sent: %v", body)
	}
	d, err := svc.Get(bg, ids[0], "")
	if err != nil {
		t.Fatal(err)
	}
	f := d.FollowUser[0]
	if f.Remark != "VIP 李" || f.Description != "buys often" || f.RemarkCorpName != "ACME" || len(f.RemarkMobiles) != 2 {
		t.Fatalf("after remark: %+v", f)
	}
	// [""] clears the phone numbers
	if err := svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], RemarkMobiles: []string{""}}); err != nil {
		t.Fatal(err)
	}
	d, _ = svc.Get(bg, ids[0], "")
	if len(d.FollowUser[0].RemarkMobiles) != 0 || d.FollowUser[0].Remark != "VIP 李" {
		t.Fatalf("after clearing: %+v", d.FollowUser[0])
	}

	wantInvalid(t, svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0]}))
	wantInvalid(t, svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], Remark: strings.Repeat("字", 21)}))
	wantInvalid(t, svc.Remark(bg, nil))
	wantCode(t, svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: "wmnobody", Remark: "x"}), 40096)
	if err := srv.Corp(srv.CorpID).AddStaff("b"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.Remark(bg, &contact.RemarkRequest{UserID: "b", ExternalUserID: ids[0], Remark: "x"}), 84061)
}

func TestGetWeComCustomerProfile(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 10, "a")
	d, err := svc.Get(bg, ids[9], "")
	if err != nil {
		t.Fatal(err)
	}
	ec := d.ExternalContact
	if ec.Type != contact.CustomerWeCom || ec.UnionID != "" || ec.CorpName == "" || ec.CorpFullName == "" || ec.Position == "" {
		t.Fatalf("WeCom customer = %+v", ec)
	}
	p := ec.ExternalProfile
	if p == nil || len(p.ExternalAttr) != 3 {
		t.Fatalf("external_profile = %+v", p)
	}
	if a := p.ExternalAttr[0]; a.Type != contact.AttrText || a.Text == nil || a.Text.Value != "Buyer" {
		t.Fatalf("text attr = %+v", a)
	}
	if a := p.ExternalAttr[1]; a.Type != contact.AttrWeb || a.Web == nil || a.Web.URL == "" {
		t.Fatalf("web attr = %+v", a)
	}
	if a := p.ExternalAttr[2]; a.Type != contact.AttrMiniProgram || a.MiniProgram == nil || a.MiniProgram.AppID == "" || a.MiniProgram.PagePath != "/index" {
		t.Fatalf("miniprogram attr = %+v", a)
	}
	resp, err := svc.BatchGetByUser(bg, &contact.BatchGetRequest{UserIDList: []string{"a"}})
	if err != nil || resp.ExternalContactList[9].ExternalContact.ExternalProfile == nil {
		t.Fatalf("batch lost the profile: %v", err)
	}
}
