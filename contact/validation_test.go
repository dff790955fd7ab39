package contact_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
)

// TestConclusionLimits checks the documented byte limits of a closing
// message (text 4000, link title 128 and desc 512, mini-program title 64)
// before anything is sent, on add and on update.
func TestConclusionLimits(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 0, "doc")
	han := func(n int) string { return strings.Repeat("字", n) } // 3 bytes each
	link := func(title, desc string) *contact.Conclusions {
		return &contact.Conclusions{Link: &contact.ConclusionLink{Title: title, Desc: desc, URL: "https://example.invalid"}}
	}
	mini := func(title string) *contact.Conclusions {
		return &contact.Conclusions{MiniProgram: &contact.ConclusionMiniProgram{Title: title, PicMediaID: "m", AppID: "wx1", Page: "/i"}}
	}
	text := func(s string) *contact.Conclusions {
		return &contact.Conclusions{Text: &contact.ConclusionText{Content: s}}
	}
	bad := []*contact.Conclusions{
		{},
		text(strings.Repeat("a", 4001)),
		text(han(1334)), // 4002 bytes, 1334 characters
		link(han(43), ""),
		link("t", strings.Repeat("d", 513)),
		mini(han(22)), // 66 bytes
		mini(strings.Repeat("m", 65)),
	}
	add := func(c *contact.Conclusions) error {
		_, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
			User: []string{"doc"}, IsTemp: true, Conclusions: c})
		return err
	}
	for i, c := range bad {
		wantInvalid(t, add(c))
		wantInvalid(t, svc.UpdateContactWay(bg, &contact.UpdateContactWayRequest{ConfigID: "cw1", Conclusions: c}))
		if t.Failed() {
			t.Fatalf("conclusions %d accepted", i)
		}
	}
	if n := srv.Count("/cgi-bin/externalcontact/add_contact_way") + srv.Count("/cgi-bin/externalcontact/update_contact_way"); n != 0 {
		t.Fatalf("%d invalid requests reached WeCom", n)
	}
	// the fake answers WeCom's code when the SDK's checks are bypassed
	for _, c := range bad {
		err := svc.Client().Post(bg, "/cgi-bin/externalcontact/add_contact_way", map[string]any{
			"type": 1, "scene": 2, "user": []string{"doc"}, "is_temp": true, "conclusions": c}, nil)
		wantCode(t, err, 40058)
	}
	// at the limits
	for _, c := range []*contact.Conclusions{
		text(strings.Repeat("a", 4000)),
		link(han(42)+"ab", strings.Repeat("d", 512)),
		mini(strings.Repeat("m", 64)),
	} {
		if err := add(c); err != nil {
			t.Fatalf("at the limit: %v", err)
		}
	}
}

// TestContactWayTempOnlyFields refuses the temporary-session settings on a
// contact way that is not a temporary session: WeCom documents them as
// effective only when is_temp is true.
func TestContactWayTempOnlyFields(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 0, "a")
	base := func() *contact.AddContactWayRequest {
		return &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"a"}}
	}
	for _, set := range []func(*contact.AddContactWayRequest){
		func(r *contact.AddContactWayRequest) { r.ExpiresIn = 3600 },
		func(r *contact.AddContactWayRequest) { r.ChatExpiresIn = 3600 },
		func(r *contact.AddContactWayRequest) { r.UnionID = "ou1" },
		func(r *contact.AddContactWayRequest) {
			r.Conclusions = &contact.Conclusions{Text: &contact.ConclusionText{Content: "bye"}}
		},
	} {
		r := base()
		set(r)
		_, err := svc.AddContactWay(bg, r)
		wantInvalid(t, err)
		r.IsTemp = true
		if _, err := svc.AddContactWay(bg, r); err != nil {
			t.Fatalf("temporary session %+v: %v", r, err)
		}
	}
	if n := srv.Count("/cgi-bin/externalcontact/add_contact_way"); n != 4 {
		t.Fatalf("%d add calls, want the 4 temporary ones", n)
	}
	// on update the way's mode is WeCom's to know: the fake refuses them for
	// a way that is not temporary
	w, err := svc.AddContactWay(bg, base())
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.UpdateContactWay(bg, &contact.UpdateContactWayRequest{ConfigID: w.ConfigID, UnionID: "ou1"}), 40058)
}

// TestUpdateContactWayEmptyRemarkState: an empty Remark or State is not
// sent, so it leaves the current value (WeCom documents no way to clear
// them).
func TestUpdateContactWayEmptyRemarkState(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 0, "a")
	w, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"a"}, Remark: "r", State: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.UpdateContactWay(bg, &contact.UpdateContactWayRequest{ConfigID: w.ConfigID, User: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv, "/cgi-bin/externalcontact/update_contact_way")
	if _, ok := body["remark"]; ok {
		t.Fatalf("body = %v", body)
	}
	if _, ok := body["state"]; ok {
		t.Fatalf("body = %v", body)
	}
	got, err := svc.GetContactWay(bg, w.ConfigID)
	if err != nil || got.Remark != "r" || got.State != "s" {
		t.Fatalf("after update: %+v, %v", got, err)
	}
}

// TestEditTagOrderZero sets a tag's and a group's order to 0, which WeCom
// allows ([0, 2^32)); a nil Order leaves it.
func TestEditTagOrderZero(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	g, err := svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "G", Order: 5, Tag: []contact.NewTag{{Name: "x", Order: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Order: contact.Uint32(0)}); err != nil {
		t.Fatal(err)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/edit_corp_tag"); body["order"] != float64(0) {
		t.Fatalf("body = %v", body)
	}
	if err := svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: g.GroupID, Order: contact.Uint32(0)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Name: "y"}); err != nil {
		t.Fatal(err)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/edit_corp_tag"); body["order"] != nil {
		t.Fatalf("nil Order sent: %v", body)
	}
	all, err := svc.ListCorpTags(bg, nil)
	if err != nil || len(all) != 1 || all[0].Order != 0 || all[0].Tag[0].Order != 0 || all[0].Tag[0].Name != "y" {
		t.Fatalf("after edit: %+v, %v", all, err)
	}

	sg, err := svc.AddStrategyTag(bg, &contact.AddStrategyTagRequest{StrategyID: 1, GroupName: "S", Order: 3, Tag: []contact.NewTag{{Name: "x", Order: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.EditStrategyTag(bg, &contact.EditStrategyTagRequest{ID: sg.Tag[0].ID, Order: contact.Uint32(0)}); err != nil {
		t.Fatal(err)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/edit_strategy_tag"); body["order"] != float64(0) {
		t.Fatalf("body = %v", body)
	}
	sl, err := svc.ListStrategyTags(bg, nil)
	if err != nil || len(sl) != 1 || sl[0].Tag[0].Order != 0 {
		t.Fatalf("after edit: %+v, %v", sl, err)
	}
	// an edit that changes nothing is refused before sending
	wantInvalid(t, svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: g.GroupID}))
	wantInvalid(t, svc.EditStrategyTag(bg, &contact.EditStrategyTagRequest{ID: sg.GroupID}))
}

// TestRemarkClearMobiles: an empty, non-nil RemarkMobiles clears the remark
// phone numbers; WeCom wants [""] for that.
func TestRemarkClearMobiles(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 1, "a")
	if err := svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], RemarkMobiles: []string{"13800000001"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], RemarkMobiles: []string{}}); err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv, "/cgi-bin/externalcontact/remark")
	if m, ok := body["remark_mobiles"].([]any); !ok || len(m) != 1 || m[0] != "" {
		t.Fatalf("body = %v, want remark_mobiles [\"\"]", body)
	}
	d, err := svc.Get(bg, ids[0], "")
	if err != nil || len(d.FollowUser[0].RemarkMobiles) != 0 {
		t.Fatalf("after clearing: %+v, %v", d, err)
	}
	// a nil RemarkMobiles is not sent
	if err := svc.Remark(bg, &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], Remark: "x"}); err != nil {
		t.Fatal(err)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/remark"); body["remark_mobiles"] != nil {
		t.Fatalf("body = %v", body)
	}
}

// TestUserBehaviorDataWindow refuses a start more than 180 days back, which
// WeCom documents as the data it keeps.
func TestUserBehaviorDataWindow(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 1, "a")
	day := 24 * time.Hour
	at := func(d time.Duration) wecom.UnixTime { return wecom.UnixTime(time.Now().Add(d).Unix()) }
	_, err := svc.GetUserBehaviorData(bg, &contact.BehaviorRequest{UserID: []string{"a"}, StartTime: at(-182 * day), EndTime: at(-170 * day)})
	wantInvalid(t, err)
	if n := srv.Count("/cgi-bin/externalcontact/get_user_behavior_data"); n != 0 {
		t.Fatalf("%d calls for a refused request", n)
	}
	if _, err := svc.GetUserBehaviorData(bg, &contact.BehaviorRequest{UserID: []string{"a"}, StartTime: at(-179 * day), EndTime: at(-170 * day)}); err != nil {
		t.Fatalf("179 days back: %v", err)
	}
}
