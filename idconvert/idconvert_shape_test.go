package idconvert_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/idconvert"
	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestUnionIDToExternalUserIDShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/idconvert/unionid_to_external_userid",
		Body: `{"unionid":"oAAAAAAA","openid":"oBBBBB","subject_type":1}`},
		`{"errcode":0,"errmsg":"ok","external_userid":"wmxxxxxxx","pending_id":""}`)
	res, err := idconvert.New(c).UnionIDToExternalUserID(t.Context(), &idconvert.UnionIDToExternalUserIDRequest{
		UnionID: "oAAAAAAA", OpenID: "oBBBBB", SubjectType: idconvert.SubjectProvider})
	require.NoError(t, err)
	assert.Equal(t, &idconvert.UnionIDToExternalUserIDResponse{ExternalUserID: "wmxxxxxxx"}, res)
}

func TestUnionIDToExternalUserIDV1Shape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/unionid_to_external_userid",
		Body: `{"unionid":"oAAAAAAA","openid":"oBBBBB"}`},
		`{"errcode":0,"errmsg":"ok","external_userid":"wmxxxxxxx"}`)
	got, err := idconvert.New(c).UnionIDToExternalUserIDV1(t.Context(), &idconvert.UnionIDToExternalUserIDV1Request{UnionID: "oAAAAAAA", OpenID: "oBBBBB"})
	require.NoError(t, err)
	assert.Equal(t, "wmxxxxxxx", got)
}

func TestGetNewExternalUserIDShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/get_new_external_userid",
		Body: `{"external_userid_list":["wmA","wmB"]}`},
		`{"errcode":0,"errmsg":"ok","items":[{"external_userid":"wmA","new_external_userid":"wmNEWA"}]}`)
	got, err := idconvert.New(c).GetNewExternalUserID(t.Context(), &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: []string{"wmA", "wmB"}})
	require.NoError(t, err)
	assert.Equal(t, []idconvert.ExternalUserIDPair{{ExternalUserID: "wmA", NewExternalUserID: "wmNEWA"}}, got)
}

// An id WeCom's answer leaves out comes back from the Many form as
// ErrNotConverted, the others converted.
func TestGetNewExternalUserIDManyNamesWhatWeComLeftOut(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/get_new_external_userid",
		Body: `{"external_userid_list":["wmA","wmB"]}`},
		`{"errcode":0,"errmsg":"ok","items":[{"external_userid":"wmA","new_external_userid":"wmNEWA"}]}`)
	res, err := idconvert.New(c).GetNewExternalUserIDMany(t.Context(), &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: []string{"wmA", "wmB"}}, 0)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, "wmA", res[0].Item)
	assert.Equal(t, "wmNEWA", res[0].Value)
	assert.NoError(t, res[0].Err)
	assert.Equal(t, "wmB", res[1].Item)
	assert.Empty(t, res[1].Value)
	assert.ErrorIs(t, res[1].Err, idconvert.ErrNotConverted)
}

func TestGroupChatGetNewExternalUserIDShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/groupchat/get_new_external_userid",
		Body: `{"chat_id":"wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA","external_userid_list":["wmA"]}`},
		`{"errcode":0,"errmsg":"ok","items":[{"external_userid":"wmA","new_external_userid":"wmNEWA"}]}`)
	got, err := idconvert.New(c).GroupChatGetNewExternalUserID(t.Context(), &idconvert.GroupChatGetNewExternalUserIDRequest{
		ChatID: "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA", ExternalUserIDList: []string{"wmA"}})
	require.NoError(t, err)
	assert.Equal(t, []idconvert.ExternalUserIDPair{{ExternalUserID: "wmA", NewExternalUserID: "wmNEWA"}}, got)
}

func TestToAndFromServiceExternalUserIDShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/to_service_external_userid",
		Body: `{"external_userid":"wmDK"}`},
		`{"errcode":0,"errmsg":"ok","external_userid":"wmSVC"}`)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/from_service_external_userid",
		Body: `{"external_userid":"wmSVC","source_agentid":1000012}`},
		`{"errcode":0,"errmsg":"ok","external_userid":"wmCORP"}`)
	conv := idconvert.New(c)
	got, err := conv.ToServiceExternalUserID(t.Context(), "wmDK")
	require.NoError(t, err)
	assert.Equal(t, "wmSVC", got)
	got, err = conv.FromServiceExternalUserID(t.Context(), "wmSVC", 1000012)
	require.NoError(t, err)
	assert.Equal(t, "wmCORP", got)
}

func TestGetExternalTagIDShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/idconvert/external_tagid",
		Body: `{"external_tagid_list":["TAG_ID_1","TAG_ID_2"]}`},
		`{"errcode":0,"errmsg":"ok","items":[{"external_tagid":"TAG_ID_1","open_external_tagid":"OPEN_1"}],"invalid_external_tagid_list":["TAG_ID_2"]}`)
	got, err := idconvert.New(c).GetExternalTagID(t.Context(), &idconvert.GetExternalTagIDRequest{ExternalTagIDList: []string{"TAG_ID_1", "TAG_ID_2"}})
	require.NoError(t, err)
	assert.Equal(t, &idconvert.GetExternalTagIDResponse{
		Items:                    []idconvert.ExternalTagIDPair{{ExternalTagID: "TAG_ID_1", OpenExternalTagID: "OPEN_1"}},
		InvalidExternalTagIDList: []string{"TAG_ID_2"},
	}, got)
}

func TestBatchOpenUserIDToUserIDShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/batch/openuserid_to_userid",
		Body: `{"open_userid_list":["xxx","yyy"],"source_agentid":100001}`},
		`{"errcode":0,"errmsg":"ok","userid_list":[{"open_userid":"xxx","userid":"aaa"}],"invalid_open_userid_list":["yyy"]}`)
	res, err := idconvert.New(c).BatchOpenUserIDToUserID(t.Context(), &idconvert.BatchOpenUserIDToUserIDRequest{
		OpenUserIDList: []string{"xxx", "yyy"}, SourceAgentID: 100001})
	require.NoError(t, err)
	assert.Equal(t, &idconvert.BatchOpenUserIDToUserIDResponse{UserIDList: []idconvert.OpenUserIDPair{{OpenUserID: "xxx", UserID: "aaa"}},
		InvalidOpenUserIDList: []string{"yyy"}}, res)
}

func TestBatchExternalUserIDToPendingIDShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/idconvert/batch/external_userid_to_pending_id",
		Body: `{"chat_id":"xxxxxx","external_userid":["oAAAAAAA","oBBBBB"]}`},
		`{"errcode":0,"errmsg":"ok","result":[{"external_userid":"oAAAAAAA","pending_id":"pAAAAA"},{"external_userid":"oBBBBB","pending_id":"pBBBBB"}]}`)
	got, err := idconvert.New(c).BatchExternalUserIDToPendingID(t.Context(), &idconvert.BatchExternalUserIDToPendingIDRequest{
		ChatID: "xxxxxx", ExternalUserID: []string{"oAAAAAAA", "oBBBBB"}})
	require.NoError(t, err)
	assert.Equal(t, []idconvert.PendingIDPair{{ExternalUserID: "oAAAAAAA", PendingID: "pAAAAA"}, {ExternalUserID: "oBBBBB", PendingID: "pBBBBB"}}, got)
}
