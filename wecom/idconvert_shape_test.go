package wecom_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

func TestBatchOpenUserIDToUserIDShape(t *testing.T) {
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/batch/openuserid_to_userid",
		Body: `{"open_userid_list":["xxx","yyy"],"source_agentid":100001}`},
		`{"errcode":0,"errmsg":"ok","userid_list":[{"open_userid":"xxx","userid":"aaa"}],"invalid_open_userid_list":["yyy"]}`)
	res, err := wecom.NewIDConverter(c).BatchOpenUserIDToUserID(context.Background(), []string{"xxx", "yyy"}, 100001)
	require.NoError(t, err)
	assert.Equal(t, &wecom.OpenUserIDResult{UserIDList: []wecom.OpenUserIDPair{{OpenUserID: "xxx", UserID: "aaa"}},
		InvalidOpenUserIDList: []string{"yyy"}}, res)
}

func TestBatchExternalUserIDToPendingIDShape(t *testing.T) {
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/idconvert/batch/external_userid_to_pending_id",
		Body: `{"chat_id":"xxxxxx","external_userid":["oAAAAAAA","oBBBBB"]}`},
		`{"errcode":0,"errmsg":"ok","result":[{"external_userid":"oAAAAAAA","pending_id":"pAAAAA"},{"external_userid":"oBBBBB","pending_id":"pBBBBB"}]}`)
	got, err := wecom.NewIDConverter(c).BatchExternalUserIDToPendingID(context.Background(), "xxxxxx", []string{"oAAAAAAA", "oBBBBB"})
	require.NoError(t, err)
	assert.Equal(t, []wecom.PendingIDPair{{ExternalUserID: "oAAAAAAA", PendingID: "pAAAAA"}, {ExternalUserID: "oBBBBB", PendingID: "pBBBBB"}}, got)
}

// The suite-token call: shapetest.Expect checks access_token, so the
// request is pinned here by hand.
func TestUnionIDToExternalUserID3rdShape(t *testing.T) {
	_, m := shapetest.New(t)
	mt := m.Transport()
	mt.RegisterResponder(http.MethodPost, shapetest.BaseURL+"/cgi-bin/service/get_suite_token",
		httpmock.NewStringResponder(200, `{"errcode":0,"errmsg":"ok","suite_access_token":"suite-tok","expires_in":7200}`))
	calls := 0
	mt.RegisterResponder(http.MethodPost, shapetest.BaseURL+"/cgi-bin/service/externalcontact/unionid_to_external_userid_3rd",
		func(r *http.Request) (*http.Response, error) {
			calls++
			assert.Equal(t, url.Values{"suite_access_token": {"suite-tok"}}, r.URL.Query())
			body, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, `{"unionid":"xxxxx","openid":"yyyyy","corpid":"wwcorp"}`, string(body))
			return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok","external_userid_info":[{"corpid":"wwcorp","external_userid":"BBBB"}]}`), nil
		})
	s := wecom.NewSuite("wwsuiteshape", "suite-secret", wecom.WithBaseURL(shapetest.BaseURL),
		wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetryPolicy(wecom.NoRetry()))
	ctx := context.Background()
	require.NoError(t, s.SetTicket(ctx, "ticket"))
	got, err := s.UnionIDToExternalUserID3rd(ctx, wecom.UnionID3rdRequest{UnionID: "xxxxx", OpenID: "yyyyy", CorpID: "wwcorp"})
	require.NoError(t, err)
	assert.Equal(t, []wecom.CorpExternalUserID{{CorpID: "wwcorp", ExternalUserID: "BBBB"}}, got)
	assert.Equal(t, 1, calls)
}
