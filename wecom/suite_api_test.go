package wecom_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestUnionIDToExternalUserID3rd(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpB")
	installCorp(t, srv, s, "wwcorpA")
	srv.Corp("wwcorpA").LinkUnionID("union-x", "wmA1")
	srv.Corp("wwcorpB").LinkUnionID("union-x", "wmB1")

	got, err := s.UnionIDToExternalUserID3rd(ctx, &wecom.UnionIDToExternalUserID3rdRequest{UnionID: "union-x", OpenID: "open-x"})
	require.NoError(t, err)
	assert.Equal(t, []wecom.CorpExternalUserID{
		{CorpID: "wwcorpA", ExternalUserID: wecomtest.ServiceExternalUserID("wmA1")},
		{CorpID: "wwcorpB", ExternalUserID: wecomtest.ServiceExternalUserID("wmB1")},
	}, got)
	last := srv.Requests()[len(srv.Requests())-1]
	assert.NotEmpty(t, last.Query.Get("suite_access_token"), "a suite-token call")
	assert.Empty(t, last.Query.Get("access_token"))

	got, err = s.UnionIDToExternalUserID3rd(ctx, &wecom.UnionIDToExternalUserID3rdRequest{UnionID: "union-x", OpenID: "open-x", CorpID: "wwcorpB"})
	require.NoError(t, err)
	assert.Equal(t, []wecom.CorpExternalUserID{{CorpID: "wwcorpB", ExternalUserID: wecomtest.ServiceExternalUserID("wmB1")}}, got)
	got, err = s.UnionIDToExternalUserID3rd(ctx, &wecom.UnionIDToExternalUserID3rdRequest{UnionID: "stranger", OpenID: "open-y"})
	require.NoError(t, err)
	assert.Empty(t, got)

	// An expired suite token is refreshed and the call made once more.
	srv.Suite(testSuiteID).ExpireTokens()
	_, err = s.UnionIDToExternalUserID3rd(ctx, &wecom.UnionIDToExternalUserID3rdRequest{UnionID: "union-x", OpenID: "open-x"})
	require.NoError(t, err)
}

func TestUnionIDToExternalUserID3rdValidatesBeforeCalling(t *testing.T) {
	t.Parallel()
	srv, s := suiteEnv(t, testSuiteID)
	srv.ResetRequests()
	for _, req := range []*wecom.UnionIDToExternalUserID3rdRequest{nil, {UnionID: "u"}, {OpenID: "o"}} {
		_, err := s.UnionIDToExternalUserID3rd(t.Context(), req)
		assert.Error(t, err, "%+v", req)
	}
	assert.Empty(t, srv.Requests(), "invalid input reached WeCom")
}

// The fake answers the documented limits of the id conversions itself.
func TestIDConversionsFakeLimits(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, srv.CorpID)
	many := make([]string, 1001)
	for i := range many {
		many[i] = "x"
	}
	err := srv.Client().Post(ctx, "/cgi-bin/batch/openuserid_to_userid", map[string]any{"open_userid_list": many}, nil)
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
	err = s.Corp(srv.CorpID).Post(ctx, "/cgi-bin/idconvert/batch/external_userid_to_pending_id", map[string]any{"external_userid": many[:101]}, nil)
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
	err = s.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/service/externalcontact/unionid_to_external_userid_3rd",
		Body: map[string]any{"unionid": "u"}, Op: wecom.OpRead})
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
}
