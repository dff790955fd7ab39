package contact_test

import (
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const pathGet = "/cgi-bin/externalcontact/get"

func TestCustomerNameReadsOnceWithinTheWindow(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	ids := testkit.Seed(t, srv, 2, "zhangsan")
	svc := contact.New(c)

	name, err := svc.CustomerName(t.Context(), ids[0])
	require.NoError(t, err)
	var out struct {
		ExternalContact struct {
			Name string `json:"name"`
		} `json:"external_contact"`
	}
	require.NoError(t, c.Get(t.Context(), pathGet, url.Values{"external_userid": {ids[0]}}, &out))
	require.NotEmpty(t, out.ExternalContact.Name)
	assert.Equal(t, out.ExternalContact.Name, name)
	srv.ResetRequests()

	again, err := svc.CustomerName(t.Context(), ids[0])
	require.NoError(t, err)
	assert.Equal(t, name, again)
	assert.Zero(t, srv.Count(pathGet), "the second call is answered from the Service")

	other, err := svc.CustomerName(t.Context(), ids[1])
	require.NoError(t, err)
	assert.NotEqual(t, name, other)
	assert.Equal(t, 1, srv.Count(pathGet), "another customer is another read")

	_, err = contact.New(c).CustomerName(t.Context(), ids[0])
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathGet), "names are kept per Service")
}

func TestCustomerNameConcurrentCallersShareOneRead(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	ids := testkit.Seed(t, srv, 1, "zhangsan")
	svc := contact.New(c)
	const callers = 16
	names := make([]string, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, err := svc.CustomerName(t.Context(), ids[0])
			assert.NoError(t, err)
			names[i] = name
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, srv.Count(pathGet))
	for _, n := range names {
		assert.Equal(t, names[0], n)
	}
}

func TestCustomerNameKeepsNoErrors(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	ids := testkit.Seed(t, srv, 1, "zhangsan")
	svc := contact.New(c)

	srv.Fail(pathGet, wecomtest.Fault{Errcode: 84061, Times: 1})
	_, err := svc.CustomerName(t.Context(), ids[0])
	testkit.WantCode(t, err, 84061)
	name, err := svc.CustomerName(t.Context(), ids[0])
	require.NoError(t, err)
	assert.NotEmpty(t, name)
	assert.Equal(t, 2, srv.Count(pathGet), "read again after the error")

	_, err = svc.CustomerName(t.Context(), "wmNobody")
	testkit.WantCode(t, err, 40096)
}

func TestCustomerNameChecksItsInput(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	_, err := contact.New(c).CustomerName(t.Context(), "")
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	assert.Zero(t, srv.Count(pathGet))
}
