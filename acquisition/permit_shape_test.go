package acquisition_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestShapeGetPermit(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/externalcontact/customer_acquisition_app/get_permit"},
		`{"errcode":0,"errmsg":"ok","user_list":["jack","rose"],"department_list":[0,1],"tag_list":[0,1]}`)
	p, err := svc.GetPermit(t.Context())
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Permit{UserList: []string{"jack", "rose"}, DepartmentList: []int{0, 1}, TagList: []int{0, 1}}, p)
}
