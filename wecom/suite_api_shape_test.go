package wecom_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

// A suite-token call: ?suite_access_token=, no access_token.
func TestUnionIDToExternalUserID3rdShape(t *testing.T) {
	t.Parallel()
	s, m := shapetest.NewSuite(t, "wwsuiteshape")
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/service/externalcontact/unionid_to_external_userid_3rd",
		Body: `{"unionid":"xxxxx","openid":"yyyyy","corpid":"wwcorp"}`},
		`{"errcode":0,"errmsg":"ok","external_userid_info":[{"corpid":"wwcorp","external_userid":"BBBB"}]}`)
	got, err := s.UnionIDToExternalUserID3rd(t.Context(), &wecom.UnionIDToExternalUserID3rdRequest{UnionID: "xxxxx", OpenID: "yyyyy", CorpID: "wwcorp"})
	require.NoError(t, err)
	assert.Equal(t, []wecom.CorpExternalUserID{{CorpID: "wwcorp", ExternalUserID: "BBBB"}}, got)
}
