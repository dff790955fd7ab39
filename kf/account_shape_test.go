package kf_test

import (
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
)

func TestAddAccountShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/account/add",
		Body: `{"name":"新建的客服账号","media_id":"294DpAog3YA5b9rTK4PjjfRfYLO0L5qpDHAJIzhhQ2jAEWjb9i661Q4lk8oFnPtmj"}`},
		`{"errcode":0,"errmsg":"ok","open_kfid":"wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"}`)
	id, err := kf.New(c).AddAccount(t.Context(), &kf.AddAccountRequest{Name: "新建的客服账号",
		MediaID: "294DpAog3YA5b9rTK4PjjfRfYLO0L5qpDHAJIzhhQ2jAEWjb9i661Q4lk8oFnPtmj"})
	require.NoError(t, err)
	assert.Equal(t, "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw", id)
}

func TestDelAccountShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/account/del", Body: `{"open_kfid":"wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"}`}, "")
	require.NoError(t, kf.New(c).DelAccount(t.Context(), "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"))
}

func TestUpdateAccountShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/account/update",
		Body: `{"open_kfid":"wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw","name":"新的客服账号名称"}`}, "")
	require.NoError(t, kf.New(c).UpdateAccount(t.Context(), &kf.UpdateAccountRequest{OpenKfID: "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw", Name: "新的客服账号名称"}))
}

func TestListAccountsShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/account/list", Body: `{"offset":0,"limit":100}`},
		`{"errcode":0,"errmsg":"ok","account_list":[{"open_kfid":"wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q","name":"咨询客服","avatar":"https://wework.qpic.cn/wwhead/duc2TvpEgSSjibPZlNR6chpx9W3dtd9Ogp8XEmSNKGa6uufMWn2239HUPuwIFoYYZ7Ph580FPvo8/0","manage_privilege":false}]}`)
	resp, err := kf.New(c).ListAccounts(t.Context(), &kf.ListAccountsRequest{Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, []kf.Account{{OpenKfID: "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q", Name: "咨询客服",
		Avatar: "https://wework.qpic.cn/wwhead/duc2TvpEgSSjibPZlNR6chpx9W3dtd9Ogp8XEmSNKGa6uufMWn2239HUPuwIFoYYZ7Ph580FPvo8/0"}}, resp.AccountList)
}

// The Iter reads pages of the request's limit, at the next offset, until
// one is short.
func TestListAccountsIterPagesByOffset(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	bodies := answerInTurn(t, m, "/cgi-bin/kf/account/list",
		`{"errcode":0,"errmsg":"ok","account_list":[{"open_kfid":"wk1"},{"open_kfid":"wk2"}]}`,
		`{"errcode":0,"errmsg":"ok","account_list":[{"open_kfid":"wk3"}]}`)
	var ids []string
	for a, err := range kf.New(c).ListAccountsIter(t.Context(), &kf.ListAccountsRequest{Limit: 2}) {
		require.NoError(t, err)
		ids = append(ids, a.OpenKfID)
	}
	assert.Equal(t, []string{"wk1", "wk2", "wk3"}, ids)
	assert.Equal(t, []string{`{"offset":0,"limit":2}`, `{"offset":2,"limit":2}`}, *bodies)
}

func TestAddContactWayShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/add_contact_way", Body: `{"open_kfid":"OPEN_KFID","scene":"12345"}`},
		`{"errcode":0,"errmsg":"ok","url":"https://work.weixin.qq.com/kf/kfcbf8f8d07ac7215f?enc_scene=ENCGFSDF567DF"}`)
	link, err := kf.New(c).AddContactWay(t.Context(), &kf.AddContactWayRequest{OpenKfID: "OPEN_KFID", Scene: "12345"})
	require.NoError(t, err)
	assert.Equal(t, "https://work.weixin.qq.com/kf/kfcbf8f8d07ac7215f?enc_scene=ENCGFSDF567DF", link)
	withParam, err := kf.SceneURL(link, "a=1&b=2")
	require.NoError(t, err)
	assert.Equal(t, "https://work.weixin.qq.com/kf/kfcbf8f8d07ac7215f?enc_scene=ENCGFSDF567DF&scene_param=a%3D1%26b%3D2", withParam)
	u, err := url.Parse(withParam)
	require.NoError(t, err)
	assert.Equal(t, "a=1&b=2", u.Query().Get("scene_param"))
}

// answerInTurn makes the mock answer path with answers, one per request in
// turn, and returns the request bodies it got; the test fails unless every
// answer was used.
func answerInTurn(t *testing.T, m *shapetest.Mock, path string, answers ...string) *[]string {
	t.Helper()
	var mu sync.Mutex
	bodies := &[]string{}
	m.Transport().RegisterResponder(http.MethodPost, shapetest.BaseURL+path, func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		*bodies = append(*bodies, string(b))
		if len(*bodies) > len(answers) {
			return httpmock.NewStringResponse(200, `{"errcode":-1,"errmsg":"no more answers"}`), nil
		}
		return httpmock.NewStringResponse(200, answers[len(*bodies)-1]), nil
	})
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, *bodies, len(answers), "%s: requests made", path)
	})
	return bodies
}
