package contact_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

const pathListWay = "/cgi-bin/externalcontact/list_contact_way"

func TestAddContactWayRequestShape(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("a", "b"))
	svc := contact.New(c)
	w, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"a"}, State: "ad-A", Remark: "poster"})
	require.NoError(t, err)
	body := testkit.LastBody(t, srv, pathAddWay)
	for _, k := range []string{"skip_verify", "mark_source", "is_exclusive", "is_temp", "party", "conclusions"} {
		assert.NotContains(t, body, k, "an unset field was sent")
	}
	assert.Equal(t, 1.0, body["type"])
	assert.Equal(t, 2.0, body["scene"])
	assert.Equal(t, "ad-A", body["state"])
	assert.NotEmpty(t, w.ConfigID)
	assert.NotEmpty(t, w.QRCode)
	got, err := svc.GetContactWay(t.Context(), w.ConfigID)
	require.NoError(t, err)
	assert.True(t, got.SkipVerify, "an unset skip_verify keeps WeCom's default, true")
	assert.Equal(t, "ad-A", got.State)
	assert.Equal(t, "poster", got.Remark)
	assert.Equal(t, []string{"a"}, got.User)
	assert.Equal(t, w.QRCode, got.QRCode)

	// an explicit false is sent
	w2, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneMiniProgram, Style: 2,
		User: []string{"a", "b"}, Party: []int{3}, SkipVerify: wecom.Ptr(false), MarkSource: wecom.Ptr(false), IsExclusive: true})
	require.NoError(t, err)
	body = testkit.LastBody(t, srv, pathAddWay)
	assert.Equal(t, false, body["skip_verify"])
	assert.Equal(t, false, body["mark_source"])
	assert.Equal(t, true, body["is_exclusive"])
	got, err = svc.GetContactWay(t.Context(), w2.ConfigID)
	require.NoError(t, err)
	assert.False(t, got.SkipVerify)
	assert.Equal(t, 2, got.Style)
	assert.Empty(t, got.QRCode, "a mini-program way has no QR code")
	assert.Equal(t, []int{3}, got.Party)
}

func TestContactWayLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("a"))
	svc := contact.New(c)
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
	for _, r := range bad {
		_, err := svc.AddContactWay(t.Context(), r)
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	assert.Zero(t, srv.Count(pathAddWay), "invalid requests reached WeCom")
	// the fake answers WeCom's codes when the SDK's checks are bypassed
	post := func(body map[string]any) error {
		return c.Post(t.Context(), pathAddWay, body, nil)
	}
	testkit.WantCode(t, post(map[string]any{"scene": 2, "user": []string{"a"}}), 41037)
	testkit.WantCode(t, post(map[string]any{"type": 5, "scene": 2, "user": []string{"a"}}), 41039)
	testkit.WantCode(t, post(map[string]any{"type": 1, "user": []string{"a"}}), 41038)
	testkit.WantCode(t, post(map[string]any{"type": 1, "scene": 9, "user": []string{"a"}}), 41040)
	testkit.WantCode(t, post(map[string]any{"type": 1, "scene": 2, "user": []string{"a"}, "state": strings.Repeat("长", 31)}), wecom.CodeInvalidParameter)
	testkit.WantCode(t, post(map[string]any{"type": 1, "scene": 2, "user": []string{"zed"}}), 41054)
	many := make([]string, 101)
	for i := range many {
		many[i] = "a"
	}
	testkit.WantCode(t, post(map[string]any{"type": 2, "scene": 2, "user": many}), 41041)
	// 30 characters is fine
	_, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"a"}, State: strings.Repeat("长", 30)})
	require.NoError(t, err)
	_, err = svc.GetContactWay(t.Context(), "cwnone")
	testkit.WantCode(t, err, wecom.CodeInvalidConfigID)
	assert.True(t, contact.IsNotFound(err))
	testkit.WantCode(t, c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/externalcontact/get_contact_way", Body: map[string]any{}, Op: wecom.OpRead}), 41043)
}

func TestContactWayLifecycle(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("a", "b", "c"))
	svc := contact.New(c)
	var ids []string
	for i := range 5 {
		w, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
			User: []string{"a"}, State: "s" + string(rune('0'+i))})
		require.NoError(t, err)
		ids = append(ids, w.ConfigID)
	}
	first, err := svc.ListContactWays(t.Context(), &contact.ListContactWaysRequest{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []contact.ContactWayRef{{ConfigID: ids[0]}, {ConfigID: ids[1]}}, first.ContactWay)
	assert.NotEmpty(t, first.NextCursor)
	var listed []string
	for id, err := range svc.ListContactWaysIter(t.Context(), &contact.ListContactWaysRequest{Limit: 2}) {
		require.NoError(t, err)
		listed = append(listed, id)
	}
	assert.Equal(t, ids, listed)
	body := testkit.LastBody(t, srv, pathListWay)
	assert.Equal(t, 2.0, body["limit"])
	assert.NotNil(t, body["cursor"], "the last page is asked for with a cursor")
	// the walk starts at the request's cursor
	listed = listed[:0]
	for id, err := range svc.ListContactWaysIter(t.Context(), &contact.ListContactWaysRequest{Limit: 2, Cursor: first.NextCursor}) {
		require.NoError(t, err)
		listed = append(listed, id)
	}
	assert.Equal(t, ids[2:], listed)
	_, err = svc.ListContactWays(t.Context(), &contact.ListContactWaysRequest{Limit: -1})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)

	// update overwrites the member list
	w := ids[0]
	require.NoError(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: w, User: []string{"b"}, Remark: "new", SkipVerify: wecom.Ptr(false)}))
	got, err := svc.GetContactWay(t.Context(), w)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, got.User)
	assert.Equal(t, "new", got.Remark)
	assert.False(t, got.SkipVerify)
	assert.Equal(t, "s0", got.State)
	testkit.WantInvalid(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: w, State: strings.Repeat("x", 31)}), contact.ErrInvalidArgument)
	testkit.WantCode(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: "cwnone", Remark: "x"}), wecom.CodeInvalidConfigID)

	// a customer added through the way carries its state everywhere
	scan, err := srv.Corp(srv.CorpID).ScanContactWay(t.Context(), w, "")
	require.NoError(t, err)
	list, err := svc.List(t.Context(), "b")
	require.NoError(t, err)
	assert.Equal(t, []string{scan.ExternalUserID}, list)
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: scan.ExternalUserID})
	require.NoError(t, err)
	assert.Equal(t, "s0", d.FollowUser[0].State)
	assert.Equal(t, "b", d.FollowUser[0].UserID)
	assert.Equal(t, contact.AddWayQRCode, d.FollowUser[0].AddWay)
	batch, err := svc.BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"b"}})
	require.NoError(t, err)
	require.Len(t, batch.ExternalContactList, 1)
	assert.Equal(t, "s0", batch.ExternalContactList[0].FollowInfo.State)

	require.NoError(t, svc.DelContactWay(t.Context(), w))
	_, err = svc.GetContactWay(t.Context(), w)
	testkit.WantCode(t, err, wecom.CodeInvalidConfigID)
	testkit.WantInvalid(t, svc.DelContactWay(t.Context(), ""), contact.ErrInvalidArgument)
}

func TestTempContactWayAndCloseTempChat(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 1, "doc")
	w, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"doc"}, IsTemp: true, ExpiresIn: 86400, ChatExpiresIn: 3600,
		Conclusions: &contact.Conclusions{Text: &contact.ConclusionText{Content: "bye"}, Image: &contact.ConclusionImage{Upload: wecom.MediaFromBytes("bye.png", []byte("\x89PNG goodbye"))}}})
	require.NoError(t, err)
	got, err := svc.GetContactWay(t.Context(), w.ConfigID)
	require.NoError(t, err)
	assert.True(t, got.IsTemp)
	assert.Equal(t, 3600, got.ChatExpiresIn)
	require.NotNil(t, got.Conclusions)
	assert.NotEmpty(t, got.Conclusions.Image.PicURL)
	assert.Equal(t, "bye", got.Conclusions.Text.Content)
	// temporary ways are not listed
	for id, err := range svc.ListContactWaysIter(t.Context(), nil) {
		assert.Failf(t, "a temporary way was listed", "%q, %v", id, err)
	}
	scan, err := srv.Corp(srv.CorpID).ScanContactWay(t.Context(), w.ConfigID, "")
	require.NoError(t, err)
	require.NoError(t, svc.CloseTempChat(t.Context(), "doc", scan.ExternalUserID))
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/close_temp_chat")
	assert.Equal(t, "doc", body["userid"])
	assert.Equal(t, scan.ExternalUserID, body["external_userid"])
	l, err := svc.List(t.Context(), "doc")
	require.NoError(t, err)
	assert.Len(t, l, 1, "after closing")
	testkit.WantCode(t, svc.CloseTempChat(t.Context(), "doc", scan.ExternalUserID), wecom.CodeNotExternalContact)
	testkit.WantInvalid(t, svc.CloseTempChat(t.Context(), "", scan.ExternalUserID), contact.ErrInvalidArgument)
}

// TestConclusionLimits checks the documented byte limits of a closing
// message (text 4000, link title 128 and desc 512, mini-program title 64)
// before anything is sent, on add and on update.
func TestConclusionLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("doc"))
	svc := contact.New(c)
	han := func(n int) string { return strings.Repeat("字", n) } // 3 bytes each
	link := func(title, desc string) *contact.Conclusions {
		return &contact.Conclusions{Link: &contact.ConclusionLink{Title: title, Desc: desc, URL: "https://example.invalid"}}
	}
	mini := func(title string) *contact.Conclusions {
		return &contact.Conclusions{MiniProgram: &contact.ConclusionMiniProgram{Title: title, AppID: "wx1", Page: "/i",
			PicUpload: wecom.MediaFromBytes("cover.png", []byte("\x89PNG cover"))}}
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
	for _, concl := range bad {
		testkit.WantInvalid(t, add(concl), contact.ErrInvalidArgument)
		testkit.WantInvalid(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: "cw1", Conclusions: concl}), contact.ErrInvalidArgument)
	}
	assert.Zero(t, srv.Count(pathAddWay)+srv.Count(pathUpdateWay), "invalid requests reached WeCom")
	// the fake answers WeCom's code when the SDK's checks are bypassed
	for _, concl := range bad {
		err := c.Post(t.Context(), pathAddWay, map[string]any{
			"type": 1, "scene": 2, "user": []string{"doc"}, "is_temp": true, "conclusions": concl}, nil)
		testkit.WantCode(t, err, wecom.CodeInvalidParameter)
	}
	// at the limits
	for _, concl := range []*contact.Conclusions{
		text(strings.Repeat("a", 4000)),
		link(han(42)+"ab", strings.Repeat("d", 512)),
		mini(strings.Repeat("m", 64)),
	} {
		require.NoError(t, add(concl), "at the limit")
	}
}

// TestContactWayTempOnlyFields refuses the temporary-session settings on a
// contact way that is not a temporary session: WeCom documents them as
// effective only when is_temp is true.
func TestContactWayTempOnlyFields(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("a"))
	svc := contact.New(c)
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
		_, err = svc.AddContactWay(t.Context(), r)
		require.NoError(t, err, "temporary session %+v", r)
	}
	assert.Equal(t, 4, srv.Count(pathAddWay), "add calls: the 4 temporary ones")
	// on update the way's mode is WeCom's to know: the fake refuses them for
	// a way that is not temporary
	w, err := svc.AddContactWay(t.Context(), base())
	require.NoError(t, err)
	testkit.WantCode(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: w.ConfigID, UnionID: "ou1"}), wecom.CodeInvalidParameter)
}

// TestUpdateContactWayEmptyRemarkState: an empty Remark or State is not
// sent, so it leaves the current value (WeCom documents no way to clear
// them).
func TestUpdateContactWayEmptyRemarkState(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("a"))
	svc := contact.New(c)
	w, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
		User: []string{"a"}, Remark: "r", State: "s"})
	require.NoError(t, err)
	require.NoError(t, svc.UpdateContactWay(t.Context(), &contact.UpdateContactWayRequest{ConfigID: w.ConfigID, User: []string{"a"}}))
	body := testkit.LastBody(t, srv, pathUpdateWay)
	assert.NotContains(t, body, "remark")
	assert.NotContains(t, body, "state")
	got, err := svc.GetContactWay(t.Context(), w.ConfigID)
	require.NoError(t, err)
	assert.Equal(t, "r", got.Remark)
	assert.Equal(t, "s", got.State)
}
