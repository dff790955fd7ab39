package acquisition_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestGetPermitIsForMarketingAppsOnly(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	_, err := svc.GetPermit(ctx)
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))

	require.NoError(t, srv.Corp(srv.CorpID).Acquisition().SetMarketingApp("", wecomtest.AcquisitionPermit{
		Users: []string{"jack", "rose"}, Departments: []int{0, 1}, Tags: []int{3}}))
	p, err := svc.GetPermit(ctx)
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Permit{UserList: []string{"jack", "rose"}, DepartmentList: []int{0, 1}, TagList: []int{3}}, p)

	other := acquisition.New(testkit.ThirdPartyApp(t, srv, "wwsuitenotmkt01"))
	_, err = other.GetPermit(ctx)
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err), "the permit is per app")
}
