package contact_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

// TestConclusionLimits checks the documented byte limits of a closing
// message (text 4000, link title 128 and desc 512, mini-program title 64)
// before anything is sent, on add and on update.
func TestConclusionLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 0, "doc")
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
		_, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
			User: []string{"doc"}, IsTemp: true, Conclusions: c})
		return err
	}
	for i, c := range bad {
		testkit.WantInvalid(t, add(c), contact.ErrInvalidArgument)
		testkit.WantInvalid(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: "cw1", Conclusions: c}), contact.ErrInvalidArgument)
		if t.Failed() {
			t.Fatalf("conclusions %d accepted", i)
		}
	}
	if n := srv.Count("/cgi-bin/externalcontact/add_contact_way") + srv.Count("/cgi-bin/externalcontact/update_contact_way"); n != 0 {
		t.Fatalf("%d invalid requests reached WeCom", n)
	}
	// the fake answers WeCom's code when the SDK's checks are bypassed
	for _, c := range bad {
		err := svc.Client().Post(t.Context(), "/cgi-bin/externalcontact/add_contact_way", map[string]any{
			"type": 1, "scene": 2, "user": []string{"doc"}, "is_temp": true, "conclusions": c}, nil)
		testkit.WantCode(t, err, 40058)
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
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 0, "a")
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
		_, err := svc.AddContactWay(t.Context(), r)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
		r.IsTemp = true
		if _, err := svc.AddContactWay(t.Context(), r); err != nil {
			t.Fatalf("temporary session %+v: %v", r, err)
		}
	}
	if n := srv.Count("/cgi-bin/externalcontact/add_contact_way"); n != 4 {
		t.Fatalf("%d add calls, want the 4 temporary ones", n)
	}
	// on update the way's mode is WeCom's to know: the fake refuses them for
	// a way that is not temporary
	w, err := svc.AddContactWay(t.Context(), base())
	require.NoError(t, err)
	testkit.WantCode(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: w.ConfigID, UnionID: "ou1"}), 40058)
}

// TestUpdateContactWayEmptyRemarkState: an empty Remark or State is not
// sent, so it leaves the current value (WeCom documents no way to clear
// them).
func TestUpdateContactWayEmptyRemarkState(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 0, "a")
	w, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"a"}, Remark: "r", State: "s"})
	require.NoError(t, err)
	require.NoError(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: w.ConfigID, User: []string{"a"}}))
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/update_contact_way")
	if _, ok := body["remark"]; ok {
		t.Fatalf("body = %v", body)
	}
	if _, ok := body["state"]; ok {
		t.Fatalf("body = %v", body)
	}
	got, err := svc.GetContactWay(t.Context(), w.ConfigID)
	if err != nil || got.Remark != "r" || got.State != "s" {
		t.Fatalf("after update: %+v, %v", got, err)
	}
}

// TestEditTagOrderZero sets a tag's and a group's order to 0, which WeCom
// allows ([0, 2^32)); a nil Order leaves it.
func TestEditTagOrderZero(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	g, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "G", Order: 5, Tag: []contact.NewTag{{Name: "x", Order: 7}}})
	require.NoError(t, err)
	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Order: wecom.Ptr(uint32(0))}))
	if body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/edit_corp_tag"); body["order"] != float64(0) {
		t.Fatalf("body = %v", body)
	}
	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.GroupID, Order: wecom.Ptr(uint32(0))}))
	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Name: "y"}))
	if body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/edit_corp_tag"); body["order"] != nil {
		t.Fatalf("nil Order sent: %v", body)
	}
	all, err := svc.ListCorpTags(t.Context(), nil)
	if err != nil || len(all) != 1 || all[0].Order != 0 || all[0].Tag[0].Order != 0 || all[0].Tag[0].Name != "y" {
		t.Fatalf("after edit: %+v, %v", all, err)
	}

	sg, err := svc.AddStrategyTag(t.Context(), &contact.AddStrategyTagRequest{StrategyID: 1, GroupName: "S", Order: 3, Tag: []contact.NewTag{{Name: "x", Order: 4}}})
	require.NoError(t, err)
	require.NoError(t, svc.EditStrategyTag(t.Context(), &contact.EditStrategyTagRequest{ID: sg.Tag[0].ID, Order: wecom.Ptr(uint32(0))}))
	if body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/edit_strategy_tag"); body["order"] != float64(0) {
		t.Fatalf("body = %v", body)
	}
	sl, err := svc.ListStrategyTags(t.Context(), nil)
	if err != nil || len(sl) != 1 || sl[0].Tag[0].Order != 0 {
		t.Fatalf("after edit: %+v, %v", sl, err)
	}
	// an edit that changes nothing is refused before sending
	testkit.WantInvalid(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.GroupID}), contact.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.EditStrategyTag(t.Context(), &contact.EditStrategyTagRequest{ID: sg.GroupID}), contact.ErrInvalidArgument)
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
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/remark")
	if m, ok := body["remark_mobiles"].([]any); !ok || len(m) != 1 || m[0] != "" {
		t.Fatalf("body = %v, want remark_mobiles [\"\"]", body)
	}
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	if err != nil || len(d.FollowUser[0].RemarkMobiles) != 0 {
		t.Fatalf("after clearing: %+v, %v", d, err)
	}
	// a nil RemarkMobiles is not sent
	require.NoError(t, svc.Remark(t.Context(), &contact.RemarkRequest{UserID: "a", ExternalUserID: ids[0], Remark: "x"}))
	if body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/remark"); body["remark_mobiles"] != nil {
		t.Fatalf("body = %v", body)
	}
}

// TestUserBehaviorDataWindow refuses a start more than 180 days back, which
// WeCom documents as the data it keeps.
func TestUserBehaviorDataWindow(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 1, "a")
	day := 24 * time.Hour
	at := func(d time.Duration) wecom.UnixTime { return wecom.UnixTime(time.Now().Add(d).Unix()) }
	_, err := svc.GetUserBehaviorData(t.Context(), &contact.GetUserBehaviorDataRequest{UserID: []string{"a"}, StartTime: at(-182 * day), EndTime: at(-170 * day)})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	if n := srv.Count("/cgi-bin/externalcontact/get_user_behavior_data"); n != 0 {
		t.Fatalf("%d calls for a refused request", n)
	}
	if _, err := svc.GetUserBehaviorData(t.Context(), &contact.GetUserBehaviorDataRequest{UserID: []string{"a"}, StartTime: at(-179 * day), EndTime: at(-170 * day)}); err != nil {
		t.Fatalf("179 days back: %v", err)
	}
}
