package acquisition_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// setup starts a fake WeCom with members zhangsan, lisi and wangwu and 1000
// units of quota, and returns it with a Service of its self-built app.
func setup(t testing.TB, opts ...wecom.Option) (*wecomtest.Server, *acquisition.Service) {
	t.Helper()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi", "wangwu"), testkit.WithClientOptions(opts...))
	testkit.AcquisitionQuota(t, srv, 1000, time.Now().AddDate(0, 6, 0))
	return srv, acquisition.New(c)
}

// newLink creates a link for the given members.
func newLink(t testing.TB, svc *acquisition.Service, name string, users ...string) *acquisition.Link {
	t.Helper()
	l, err := svc.CreateLink(t.Context(), &acquisition.CreateLinkRequest{
		LinkName: name, Range: acquisition.Range{UserList: users}})
	require.NoError(t, err)
	return l
}

func TestIsNotFound(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	link := newLink(t, svc, "gone", "zhangsan")
	require.NoError(t, svc.DeleteLink(ctx, link.LinkID))

	_, err := svc.Get(ctx, link.LinkID)
	assert.True(t, acquisition.IsNotFound(err), "a deleted link: %v", err)
	err = svc.DeleteLink(ctx, link.LinkID)
	assert.True(t, acquisition.IsNotFound(err), "deleting it again: %v", err)
	_, err = svc.GetChatInfo(ctx, "no-such-key")
	assert.True(t, acquisition.IsNotFound(err), "an unknown chat key: %v", err)

	// 40058 elsewhere is a malformed request, not a missing link
	err = testkit.Raw(t, svc.Client(), "/cgi-bin/externalcontact/customer_acquisition/customer",
		struct {
			LinkID string `json:"link_id"`
			Limit  int    `json:"limit"`
		}{link.LinkID, 1001})
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
	assert.False(t, acquisition.IsNotFound(err))
	// another app's link is forbidden, not missing
	mine := newLink(t, svc, "mine", "zhangsan")
	_, err = acquisition.New(testkit.ThirdPartyApp(t, srv, "wwsuitenotfound")).Get(ctx, mine.LinkID)
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)
	assert.False(t, acquisition.IsNotFound(err))

	assert.False(t, acquisition.IsNotFound(nil))
	_, err = svc.Get(ctx, "")
	assert.False(t, acquisition.IsNotFound(err), "input refused before sending")
	srv.Fail("/cgi-bin/externalcontact/customer_acquisition/get", wecomtest.Fault{Errcode: wecom.CodeFreqOutOfLimit})
	_, err = svc.Get(ctx, mine.LinkID)
	assert.False(t, acquisition.IsNotFound(err), "a rate limit: %v", err)
}

// TestPageLimitsAboveTheMaximumAreClamped: a page size above an endpoint's
// maximum is sent as the maximum, the same way on every paged method, and
// the caller's request is left as it was.
func TestPageLimitsAboveTheMaximumAreClamped(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	links := &acquisition.ListLinksRequest{Limit: 5000}
	_, err := svc.ListLinks(ctx, links)
	require.NoError(t, err)
	assert.EqualValues(t, 100, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/customer_acquisition/list_link")["limit"])
	link := newLink(t, svc, "x", "zhangsan")
	customers := &acquisition.ListCustomersRequest{LinkID: link.LinkID, Limit: 5000}
	_, err = svc.ListCustomers(ctx, customers)
	require.NoError(t, err)
	assert.EqualValues(t, 1000, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/customer_acquisition/customer")["limit"])
	assert.Equal(t, 5000, links.Limit, "the request is not modified")
	assert.Equal(t, 5000, customers.Limit, "the request is not modified")
}
