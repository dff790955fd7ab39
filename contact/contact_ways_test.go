package contact_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
)

func TestAddContactWayRequestShape(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 0, "a", "b")
	w, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"a"}, State: "ad-A", Remark: "poster"})
	if err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv, "/cgi-bin/externalcontact/add_contact_way")
	for _, k := range []string{"skip_verify", "mark_source", "is_exclusive", "is_temp", "party", "conclusions"} {
		if _, ok := body[k]; ok {
			t.Errorf("unset %s was sent: %v", k, body)
		}
	}
	if body["type"] != 1.0 || body["scene"] != 2.0 || body["state"] != "ad-A" {
		t.Fatalf("body = %v", body)
	}
	if w.ConfigID == "" || w.QRCode == "" {
		t.Fatalf("answer = %+v", w)
	}
	got, err := svc.GetContactWay(bg, w.ConfigID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.SkipVerify || got.State != "ad-A" || got.Remark != "poster" || !slices.Equal(got.User, []string{"a"}) || got.QRCode != w.QRCode {
		t.Fatalf("unset skip_verify should keep WeCom's default true: %+v", got)
	}

	// an explicit false is sent
	w2, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneMiniProgram, Style: 2,
		User: []string{"a", "b"}, Party: []int{3}, SkipVerify: contact.Bool(false), MarkSource: contact.Bool(false), IsExclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	body = lastBody(t, srv, "/cgi-bin/externalcontact/add_contact_way")
	if body["skip_verify"] != false || body["mark_source"] != false || body["is_exclusive"] != true {
		t.Fatalf("body = %v", body)
	}
	got, _ = svc.GetContactWay(bg, w2.ConfigID)
	if got.SkipVerify || got.Style != 2 || got.QRCode != "" || !slices.Equal(got.Party, []int{3}) {
		t.Fatalf("way = %+v", got)
	}
}

func TestContactWayLimits(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 0, "a")
	bad := []*contact.AddContactWayRequest{
		{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"a"}, State: strings.Repeat("s", 31)},
		{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"a", "b"}},
		{Type: 3, Scene: contact.SceneQRCode, User: []string{"a"}},
		{Type: contact.ContactWaySingle, Scene: 0, User: []string{"a"}},
		{Type: contact.ContactWayMulti, Scene: contact.SceneQRCode, User: make([]string, 101)},
		{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"a"}, Remark: strings.Repeat("r", 31)},
		{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"a"}, IsTemp: true, ExpiresIn: 15 * 86400},
		nil,
	}
	for i, r := range bad {
		if _, err := svc.AddContactWay(bg, r); err == nil {
			t.Errorf("request %d accepted", i)
		} else {
			wantInvalid(t, err)
		}
	}
	if n := srv.Count("/cgi-bin/externalcontact/add_contact_way"); n != 0 {
		t.Fatalf("%d invalid requests reached WeCom", n)
	}
	// the fake answers WeCom's codes when the SDK's checks are bypassed
	c := svc.Client()
	post := func(body map[string]any) error {
		return c.Post(bg, "/cgi-bin/externalcontact/add_contact_way", body, nil)
	}
	wantCode(t, post(map[string]any{"scene": 2, "user": []string{"a"}}), 41037)
	wantCode(t, post(map[string]any{"type": 5, "scene": 2, "user": []string{"a"}}), 41039)
	wantCode(t, post(map[string]any{"type": 1, "user": []string{"a"}}), 41038)
	wantCode(t, post(map[string]any{"type": 1, "scene": 9, "user": []string{"a"}}), 41040)
	wantCode(t, post(map[string]any{"type": 1, "scene": 2, "user": []string{"a"}, "state": strings.Repeat("长", 31)}), 40058)
	wantCode(t, post(map[string]any{"type": 1, "scene": 2, "user": []string{"zed"}}), 41054)
	many := make([]string, 101)
	for i := range many {
		many[i] = "a"
	}
	wantCode(t, post(map[string]any{"type": 2, "scene": 2, "user": many}), 41041)
	// 30 characters is fine
	if _, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"a"}, State: strings.Repeat("长", 30)}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.GetContactWay(bg, "cwnone")
	wantCode(t, err, 41044)
	wantCode(t, c.Do(bg, &wecom.Request{Path: "/cgi-bin/externalcontact/get_contact_way", Body: map[string]any{}, Op: wecom.OpRead}), 41043)
}

func TestContactWayLifecycle(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 0, "a", "b", "c")
	var ids []string
	for i := range 5 {
		w, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
			User: []string{"a"}, State: "s" + string(rune('0'+i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, w.ConfigID)
	}
	first, err := svc.ListContactWays(bg, &contact.ListContactWaysRequest{Limit: 2})
	if err != nil || len(first.ContactWay) != 2 || first.NextCursor == "" {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	if want := []contact.ContactWayRef{{ConfigID: ids[0]}, {ConfigID: ids[1]}}; !slices.Equal(first.ContactWay, want) {
		t.Fatalf("first page = %+v, want %+v", first.ContactWay, want)
	}
	var listed []string
	for id, err := range svc.ListContactWaysIter(bg, &contact.ListContactWaysRequest{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, id)
	}
	if !slices.Equal(listed, ids) {
		t.Fatalf("listed %v, want %v", listed, ids)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/list_contact_way"); body["limit"] != 2.0 || body["cursor"] == nil {
		t.Fatalf("last list body = %v", body)
	}

	// update overwrites the member list
	w := ids[0]
	if err := svc.UpdateContactWay(bg, &contact.UpdateContactWayRequest{ConfigID: w, User: []string{"b"}, Remark: "new", SkipVerify: contact.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.GetContactWay(bg, w)
	if !slices.Equal(got.User, []string{"b"}) || got.Remark != "new" || got.SkipVerify || got.State != "s0" {
		t.Fatalf("after update: %+v", got)
	}
	wantInvalid(t, svc.UpdateContactWay(bg, &contact.UpdateContactWayRequest{ConfigID: w, State: strings.Repeat("x", 31)}))
	wantCode(t, svc.UpdateContactWay(bg, &contact.UpdateContactWayRequest{ConfigID: "cwnone", Remark: "x"}), 41044)

	// a customer added through the way carries its state everywhere
	scan, err := srv.Corp(srv.CorpID).ScanContactWay(bg, w, "")
	if err != nil {
		t.Fatal(err)
	}
	list, _ := svc.List(bg, "b")
	if !slices.Equal(list, []string{scan.ExternalUserID}) {
		t.Fatalf("List(b) = %v", list)
	}
	d, _ := svc.Get(bg, scan.ExternalUserID, "")
	if d.FollowUser[0].State != "s0" || d.FollowUser[0].UserID != "b" || d.FollowUser[0].AddWay != contact.AddWayQRCode {
		t.Fatalf("follow user = %+v", d.FollowUser[0])
	}
	batch, _ := svc.BatchGetByUser(bg, &contact.BatchGetRequest{UserIDList: []string{"b"}})
	if len(batch.ExternalContactList) != 1 || batch.ExternalContactList[0].FollowInfo.State != "s0" {
		t.Fatalf("batch = %+v", batch)
	}

	if err := svc.DelContactWay(bg, w); err != nil {
		t.Fatal(err)
	}
	_, err = svc.GetContactWay(bg, w)
	wantCode(t, err, 41044)
	wantInvalid(t, svc.DelContactWay(bg, ""))
}

func TestTempContactWayAndCloseTempChat(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 1, "doc")
	w, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"doc"}, IsTemp: true, ExpiresIn: 86400, ChatExpiresIn: 3600,
		Conclusions: &contact.Conclusions{Text: &contact.ConclusionText{Content: "bye"}, Image: &contact.ConclusionImage{MediaID: "m1"}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.GetContactWay(bg, w.ConfigID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsTemp || got.ChatExpiresIn != 3600 || got.Conclusions == nil || got.Conclusions.Image.PicURL == "" || got.Conclusions.Text.Content != "bye" {
		t.Fatalf("temp way = %+v", got)
	}
	// temporary ways are not listed
	for id, err := range svc.ListContactWaysIter(bg, nil) {
		t.Fatalf("listed %q, %v", id, err)
	}
	scan, err := srv.Corp(srv.CorpID).ScanContactWay(bg, w.ConfigID, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CloseTempChat(bg, "doc", scan.ExternalUserID); err != nil {
		t.Fatal(err)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/close_temp_chat"); body["userid"] != "doc" || body["external_userid"] != scan.ExternalUserID {
		t.Fatalf("body = %v", body)
	}
	if l, _ := svc.List(bg, "doc"); len(l) != 1 {
		t.Fatalf("after closing, doc has %v", l)
	}
	wantCode(t, svc.CloseTempChat(bg, "doc", scan.ExternalUserID), 84061)
	wantInvalid(t, svc.CloseTempChat(bg, "", scan.ExternalUserID))
}
