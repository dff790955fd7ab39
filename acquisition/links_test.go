package acquisition_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	pathCreate = "/cgi-bin/externalcontact/customer_acquisition/create_link"
	pathList   = "/cgi-bin/externalcontact/customer_acquisition/list_link"
	pathGet    = "/cgi-bin/externalcontact/customer_acquisition/get"
	pathUpdate = "/cgi-bin/externalcontact/customer_acquisition/update_link"
	pathDelete = "/cgi-bin/externalcontact/customer_acquisition/delete_link"
)

func TestLinkLifecycle(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()

	link, err := svc.CreateLink(ctx, &acquisition.CreateLinkRequest{
		LinkName:       "春季展会",
		Range:          acquisition.Range{UserList: []string{"zhangsan", "lisi"}},
		SkipVerify:     wecom.Ptr(false),
		PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityListed, PriorityUserIDList: []string{"lisi"}},
	})
	require.NoError(t, err)
	require.NotEmpty(t, link.LinkID)
	assert.Equal(t, "春季展会", link.LinkName)
	assert.True(t, strings.HasPrefix(link.URL, "https://"), link.URL)
	assert.NotZero(t, link.CreateTime)
	assert.Equal(t, false, testkit.LastBody(t, srv, pathCreate)["skip_verify"], "an explicit false is sent")

	d, err := svc.Get(ctx, link.LinkID)
	require.NoError(t, err)
	assert.Equal(t, link.LinkID, d.Link.LinkID, "Get fills the id WeCom does not echo")
	assert.Equal(t, "春季展会", d.Link.LinkName)
	assert.Equal(t, link.URL, d.Link.URL)
	assert.False(t, d.Link.SkipVerify)
	assert.Equal(t, []string{"zhangsan", "lisi"}, d.Range.UserList)
	require.NotNil(t, d.PriorityOption)
	assert.Equal(t, acquisition.PriorityListed, d.PriorityOption.PriorityType)
	assert.Equal(t, []string{"lisi"}, d.PriorityOption.PriorityUserIDList)

	// The range is replaced, not merged; other fields stay.
	require.NoError(t, svc.UpdateLink(ctx, &acquisition.UpdateLinkRequest{
		LinkID: link.LinkID, Range: &acquisition.Range{UserList: []string{"wangwu"}}}))
	body := testkit.LastBody(t, srv, pathUpdate)
	assert.NotContains(t, body, "link_name", "a zero name is not sent")
	assert.NotContains(t, body, "skip_verify")
	d, err = svc.Get(ctx, link.LinkID)
	require.NoError(t, err)
	assert.Equal(t, []string{"wangwu"}, d.Range.UserList)
	assert.Equal(t, "春季展会", d.Link.LinkName)

	require.NoError(t, svc.UpdateLink(ctx, &acquisition.UpdateLinkRequest{LinkID: link.LinkID, LinkName: "秋季展会", SkipVerify: wecom.Ptr(true)}))
	d, err = svc.Get(ctx, link.LinkID)
	require.NoError(t, err)
	assert.Equal(t, "秋季展会", d.Link.LinkName)
	assert.True(t, d.Link.SkipVerify)

	require.NoError(t, svc.DeleteLink(ctx, link.LinkID))
	_, err = svc.Get(ctx, link.LinkID)
	var we *wecom.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, 40058, we.Code)
	ids, err := svc.ListLinks(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, ids.LinkIDList, "a deleted link is not listed")
}

func TestCreateLinkDefaultsSkipVerify(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	link := newLink(t, svc, "default", "zhangsan")
	assert.NotContains(t, testkit.LastBody(t, srv, pathCreate), "skip_verify", "nil leaves WeCom's default")
	d, err := svc.Get(t.Context(), link.LinkID)
	require.NoError(t, err)
	assert.True(t, d.Link.SkipVerify, "WeCom's default is true")
	assert.Nil(t, d.PriorityOption)
}

func TestListLinksIterPagesThroughEveryLink(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	want := map[string]bool{}
	for i := range 7 {
		want[newLink(t, svc, "link-"+string(rune('a'+i)), "zhangsan").LinkID] = true
	}
	srv.ResetRequests()
	req := &acquisition.ListLinksRequest{Limit: 3}
	got := map[string]bool{}
	for id, err := range svc.ListLinksIter(t.Context(), req) {
		require.NoError(t, err)
		assert.False(t, got[id], "id %s yielded twice", id)
		got[id] = true
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, srv.Count(pathList), "7 links in pages of 3")
	assert.Equal(t, "", req.Cursor, "the caller's request is not modified")
}

func TestListLinksIterStopsOnBreakAndYieldsErrorOnce(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	for range 4 {
		newLink(t, svc, "l", "zhangsan")
	}
	n := 0
	for _, err := range svc.ListLinksIter(t.Context(), &acquisition.ListLinksRequest{Limit: 1}) {
		require.NoError(t, err)
		n++
		if n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n)

	srv.Fail(pathList, wecomtest.Fault{Errcode: 48002})
	errs := 0
	for _, err := range svc.ListLinksIter(t.Context(), nil) {
		require.Error(t, err)
		errs++
	}
	assert.Equal(t, 1, errs)
}

// Since 2023-12 an app sees and changes only the links it created.
func TestLinksAreScopedToTheirApp(t *testing.T) {
	t.Parallel()
	srv, self := setup(t)
	other := acquisition.New(testkit.ThirdPartyApp(t, srv, "wwsuiteacq0001"))
	ctx := t.Context()
	mine := newLink(t, self, "self-built", "zhangsan")
	theirs := newLink(t, other, "third-party", "lisi")

	app, err := srv.Corp(srv.CorpID).Acquisition().LinkApp(theirs.LinkID)
	require.NoError(t, err)
	assert.Equal(t, "wwsuiteacq0001", app)

	for svc, want := range map[*acquisition.Service]string{self: mine.LinkID, other: theirs.LinkID} {
		var ids []string
		for id, err := range svc.ListLinksIter(ctx, nil) {
			require.NoError(t, err)
			ids = append(ids, id)
		}
		assert.Equal(t, []string{want}, ids)
	}
	_, err = self.Get(ctx, theirs.LinkID)
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(self.UpdateLink(ctx, &acquisition.UpdateLinkRequest{LinkID: theirs.LinkID, LinkName: "x"})))
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(self.DeleteLink(ctx, theirs.LinkID)))
	_, err = other.ListCustomers(ctx, &acquisition.ListCustomersRequest{LinkID: mine.LinkID})
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))
	_, err = other.Get(ctx, theirs.LinkID)
	assert.NoError(t, err)
}

func TestLinkInputIsCheckedBeforeSending(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	users := make([]string, 500+1)
	prio := make([]string, 1000+1)
	for _, req := range []*acquisition.CreateLinkRequest{
		nil,
		{Range: acquisition.Range{UserList: []string{"zhangsan"}}},
		{LinkName: strings.Repeat("名", 30+1), Range: acquisition.Range{UserList: []string{"zhangsan"}}},
		{LinkName: "x"},
		{LinkName: "x", Range: acquisition.Range{UserList: users}},
		{LinkName: "x", Range: acquisition.Range{UserList: []string{"a"}}, PriorityOption: &acquisition.PriorityOption{PriorityType: 3}},
		{LinkName: "x", Range: acquisition.Range{UserList: []string{"a"}}, PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityListed}},
		{LinkName: "x", Range: acquisition.Range{UserList: []string{"a"}}, PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityListed, PriorityUserIDList: prio}},
		{LinkName: "x", Range: acquisition.Range{UserList: []string{"a"}}, PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityCorpWide, PriorityUserIDList: []string{"a"}}},
	} {
		_, err := svc.CreateLink(ctx, req)
		assert.ErrorIs(t, err, acquisition.ErrInvalidArgument, "%+v", req)
	}
	require.Zero(t, srv.Count(pathCreate), "nothing may be sent for bad input")
	// exactly at the limits is fine for the SDK
	_, err := svc.CreateLink(ctx, &acquisition.CreateLinkRequest{LinkName: strings.Repeat("名", 30),
		Range: acquisition.Range{UserList: []string{"zhangsan"}}})
	assert.NoError(t, err)
	srv.ResetRequests()

	for _, req := range []*acquisition.UpdateLinkRequest{
		nil, {}, {LinkID: "ca1", LinkName: strings.Repeat("a", 31)},
		{LinkID: "ca1", Range: &acquisition.Range{}},
		{LinkID: "ca1", PriorityOption: &acquisition.PriorityOption{}},
	} {
		assert.ErrorIs(t, svc.UpdateLink(ctx, req), acquisition.ErrInvalidArgument, "%+v", req)
	}
	_, err = svc.Get(ctx, "")
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
	assert.ErrorIs(t, svc.DeleteLink(ctx, ""), acquisition.ErrInvalidArgument)
	_, err = svc.ListLinks(ctx, &acquisition.ListLinksRequest{Limit: -1})
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
	for _, p := range []string{pathCreate, pathUpdate, pathGet, pathDelete, pathList} {
		assert.Zero(t, srv.Count(p), "%s: nothing may be sent for bad input", p)
	}
}

// The fake answers the documented limits with WeCom's errcodes.
func TestFakeAnswersLinkLimits(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	users := make([]string, 501)
	for i := range users {
		users[i] = "zhangsan"
	}
	for _, c := range []struct {
		path string
		body any
		want int
	}{
		{pathCreate, map[string]any{"link_name": strings.Repeat("a", 31), "range": map[string]any{"user_list": []string{"zhangsan"}}}, 40058},
		{pathCreate, map[string]any{"link_name": "a", "range": map[string]any{}}, 40058},
		{pathCreate, map[string]any{"range": map[string]any{"user_list": []string{"zhangsan"}}}, 40058},
		{pathCreate, map[string]any{"link_name": "a", "range": map[string]any{"user_list": users}}, 40058},
		{pathCreate, map[string]any{"link_name": "a", "range": map[string]any{"user_list": []string{"nobody"}}}, 40003},
		{pathCreate, map[string]any{"link_name": "a", "range": map[string]any{"user_list": []string{"zhangsan"}},
			"priority_option": map[string]any{"priority_type": 2}}, 40058},
		{pathCreate, map[string]any{"link_name": "a", "rang": map[string]any{}}, 40058}, // unknown field
		{pathList, map[string]any{"limit": 101}, 40058},
		{pathList, map[string]any{"cursor": "garbage"}, 40058},
		{pathGet, map[string]any{"link_id": ""}, 40058},
		{pathGet, map[string]any{"link_id": "canope"}, 40058},
		{pathDelete, map[string]any{"link_id": "canope"}, 40058},
	} {
		assert.Equal(t, c.want, wecom.ErrorCode(testkit.Raw(t, srv.Client(), c.path, c.body)), "%s %v", c.path, c.body)
	}
	_ = svc
}

func TestDeleteLinkIsRepeatedAfterATransportFailure(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	link := newLink(t, svc, "gone", "zhangsan")
	srv.Fail(pathDelete, wecomtest.Fault{Errcode: -1})
	require.NoError(t, svc.DeleteLink(t.Context(), link.LinkID))
	assert.Equal(t, 2, srv.Count(pathDelete), "a failed delete is repeated")
}

func TestCreateLinkIsNotRepeated(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	srv.Fail(pathCreate, wecomtest.Fault{Errcode: -1})
	_, err := svc.CreateLink(t.Context(), &acquisition.CreateLinkRequest{LinkName: "x",
		Range: acquisition.Range{UserList: []string{"zhangsan"}}})
	require.Error(t, err)
	assert.True(t, errors.Is(err, wecom.ErrOutcomeUnknown), "system busy on a create: %v", err)
	assert.Equal(t, 1, srv.Count(pathCreate), "a create is never re-sent")
}

func TestChannelURL(t *testing.T) {
	t.Parallel()
	l := &acquisition.Link{URL: "https://work.weixin.qq.com/ca/cawcde123"}
	u, err := l.ChannelURL("spring fair&1")
	require.NoError(t, err)
	assert.Equal(t, "https://work.weixin.qq.com/ca/cawcde123?customer_channel=spring+fair%261", u)
	_, err = l.ChannelURL(strings.Repeat("x", 64+1))
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
	_, err = (&acquisition.Link{URL: "not a url"}).ChannelURL("a")
	assert.ErrorIs(t, err, acquisition.ErrInvalidArgument)
}
