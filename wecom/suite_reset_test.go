package wecom_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
)

// reset_permanent_code (97175) is exchanged through the agent-developed
// secret flow (97163): service/v2/get_permanent_code with the template's
// suite_access_token; the new secret is stored.
func TestHandleResetPermanentCodeFollowsTheAgentDevelopedFlow(t *testing.T) {
	suite, m := shapetest.NewSuite(t, "dkshapetemplate01")
	code := strings.Repeat("r", 64)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/service/v2/get_permanent_code", Body: `{"auth_code":"` + code + `"}`},
		`{"errcode":0,"errmsg":"ok","permanent_code":"new-secret","auth_corp_info":{"corpid":"wwdkcorp","corp_name":"DK"}}`)
	info, err := suite.HandleResetPermanentCode(context.Background(), code)
	require.NoError(t, err)
	assert.Equal(t, "wwdkcorp", info.AuthCorpInfo.CorpID)
	ok, err := suite.IsAuthorized(context.Background(), "wwdkcorp")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestHandleResetPermanentCodeRefusesThirdPartySuites(t *testing.T) {
	suite, m := shapetest.NewSuite(t, "wwshapesuite0001")
	_, err := suite.HandleResetPermanentCode(context.Background(), strings.Repeat("r", 64))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "agent-developed")
	assert.Zero(t, m.Transport().GetTotalCallCount(), "nothing may be sent")
}
