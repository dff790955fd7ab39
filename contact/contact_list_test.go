package contact_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestListContacts(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	srv, c := testkit.Setup(t, testkit.WithClock(clk))
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 3, "zhangsan", "lisi")
	require.NoError(t, srv.Corp(srv.CorpID).AddServedContact(wecomtest.ServedContact{Name: "王小开", FollowUserID: "lisi"}))
	require.NoError(t, srv.Corp(srv.CorpID).AddServedContact(wecomtest.ServedContact{Name: "赵一开", ChatID: "wrChat1", ChatName: "外联群1"}))
	require.NoError(t, srv.Corp(srv.CorpID).AddServedContact(wecomtest.ServedContact{ExternalUserID: ids[0], ChatID: "wrChat1", ChatName: "外联群1"}))

	page, err := svc.ListContacts(t.Context(), &contact.ListContactsRequest{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, page.InfoList, 2)
	assert.NotEmpty(t, page.NextCursor)
	assert.Equal(t, map[string]any{"limit": 2.0}, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/contact_list"))

	var all []*contact.ServedContact
	req := &contact.ListContactsRequest{Limit: 2}
	for c, err := range svc.ListContactsIter(t.Context(), req) {
		require.NoError(t, err)
		all = append(all, c)
	}
	assert.Empty(t, req.Cursor)
	require.Len(t, all, 6)
	// Customers first, one entry per follow relation (zhangsan has two).
	assert.True(t, all[0].IsCustomer)
	assert.Equal(t, ids[0], all[0].ExternalUserID)
	assert.Equal(t, "zhangsan", all[0].FollowUserID)
	assert.Equal(t, ids[2], all[1].ExternalUserID)
	assert.Equal(t, "lisi", all[2].FollowUserID)
	assert.Equal(t, clk.Now().Unix(), int64(all[0].AddTime))
	// Other external contacts: masked name, no external_userid.
	assert.False(t, all[3].IsCustomer)
	assert.Equal(t, "***开", all[3].Name)
	assert.Empty(t, all[3].ExternalUserID)
	assert.Equal(t, "lisi", all[3].FollowUserID)
	assert.Equal(t, "wrChat1", all[4].ChatID)
	assert.Equal(t, "外联群1", all[4].ChatName)
	// The same person has the same temporary id on every entry.
	assert.True(t, all[5].IsCustomer)
	assert.Equal(t, all[0].TmpOpenID, all[5].TmpOpenID)
	assert.NotEqual(t, all[0].TmpOpenID, all[1].TmpOpenID)

	// Temporary ids change after 4 hours.
	clk.Advance(4 * time.Hour)
	later, err := svc.ListContacts(t.Context(), nil)
	require.NoError(t, err)
	assert.NotEqual(t, all[0].TmpOpenID, later.InfoList[0].TmpOpenID)
	assert.Equal(t, ids[0], later.InfoList[0].ExternalUserID)
}

func TestListContactsSelfBuiltOnly(t *testing.T) {
	t.Parallel()
	srv, _ := testkit.Setup(t)
	thirdParty := installSuite(t, srv)
	_, err := thirdParty.ListContacts(t.Context(), nil)
	testkit.WantCode(t, err, wecom.CodeAPIForbidden)
	yielded := 0
	for _, err := range thirdParty.ListContactsIter(t.Context(), nil) {
		testkit.WantCode(t, err, wecom.CodeAPIForbidden)
		yielded++
	}
	assert.Equal(t, 1, yielded)
}

func TestListContactsLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	_, err := svc.ListContacts(t.Context(), &contact.ListContactsRequest{Limit: -1})
	assert.ErrorIs(t, err, contact.ErrInvalidArgument)
	yielded := 0
	for _, err := range svc.ListContactsIter(t.Context(), &contact.ListContactsRequest{Limit: -1}) {
		assert.ErrorIs(t, err, contact.ErrInvalidArgument)
		yielded++
	}
	assert.Equal(t, 1, yielded)
	assert.Empty(t, srv.Requests())
	testkit.WantCode(t, svc.Client().Post(t.Context(), "/cgi-bin/externalcontact/contact_list", map[string]any{"cursor": "garbage"}, nil), wecom.CodeInvalidParameter)
}

// A page that fails ends the iteration with its error, once.
func TestListContactsIterStopsOnError(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 5, "zhangsan")
	n, errs := 0, 0
	for c, err := range svc.ListContactsIter(t.Context(), &contact.ListContactsRequest{Limit: 2}) {
		if err != nil {
			testkit.WantCode(t, err, 60011)
			errs++
			continue
		}
		require.NotNil(t, c)
		n++
		if n == 2 { // the next page fails
			srv.Fail("/cgi-bin/externalcontact/contact_list", wecomtest.Fault{Errcode: 60011})
		}
	}
	assert.Equal(t, 2, n)
	assert.Equal(t, 1, errs)
	assert.Equal(t, 2, srv.Count("/cgi-bin/externalcontact/contact_list"))
}
