package wecomtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// routePaths lists the API paths the package's sources name ("/cgi-bin/...").
func routePaths(tb testing.TB) []string {
	tb.Helper()
	files, err := os.ReadDir(".")
	require.NoError(tb, err)
	re := regexp.MustCompile(`"(/cgi-bin/[A-Za-z0-9_/]+)"`)
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(f.Name())
		require.NoError(tb, err)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FuzzRoutes sends arbitrary bodies (JSON, or multipart for the uploads) to
// every route of the fake, with a valid token: a route never panics (which
// would leave the server's lock held), never leaves its lock held, and
// always answers JSON with an errcode (or 404 for a path it does not
// serve).
func FuzzRoutes(f *testing.F) {
	s := NewServer(f)
	s.Corp(s.CorpID).AddStaff("zhangsan", "lisi")
	paths := routePaths(f)
	require.GreaterOrEqual(f, len(paths), 100, "only %d routes found", len(paths))
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cgi-bin/gettoken?corpid="+s.CorpID+"&corpsecret="+s.Secret, nil))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(f, json.Unmarshal(rec.Body.Bytes(), &tok), "gettoken: %s", rec.Body.Bytes())
	require.NotEmpty(f, tok.AccessToken, "gettoken: %s", rec.Body.Bytes())
	index := func(path string) uint16 { return uint16(slices.Index(paths, path)) }
	for _, seed := range []struct {
		path string
		body string
	}{
		{"/cgi-bin/externalcontact/add_contact_way", `{"type":1,"scene":2,"user":["zhangsan"],"state":"s"}`},
		{"/cgi-bin/externalcontact/add_msg_template", `{"chat_type":"single","sender":"zhangsan","text":{"content":"hi"},"attachments":[{"msgtype":"image","image":{"media_id":"m"}}]}`},
		{"/cgi-bin/externalcontact/group_welcome_template/add", `{"text":{"content":"hi %NICKNAME%"},"miniprogram":{"title":"t","pic_media_id":"m","appid":"a","page":"p"}}`},
		{"/cgi-bin/externalcontact/add_moment_task", `{"text":{"content":"hi"},"attachments":[{"msgtype":"link","link":{"title":"t","url":"https://x","media_id":"m"}}]}`},
		{"/cgi-bin/externalcontact/list", `{"userid":"zhangsan"}`},
		{"/cgi-bin/kf/sync_msg", `{"cursor":"","limit":1000,"open_kfid":"wk"}`},
		{"/cgi-bin/media/upload", "--B\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\n\r\n0123456789\r\n--B--\r\n"},
		{"/cgi-bin/message/send", `{"touser":"zhangsan","msgtype":"text","agentid":1,"text":{"content":"x"}}`},
	} {
		f.Add(index(seed.path), true, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, route uint16, post bool, body []byte) {
		path := paths[int(route)%len(paths)]
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		q := url.Values{"access_token": {tok.AccessToken}, "type": {"image"}, "media_type": {"image"}, "attachment_type": {"1"},
			"userid": {"zhangsan"}, "external_userid": {"wm1"}, "debug": {"1"}}
		req := httptest.NewRequest(method, path+"?"+q.Encode(), bytes.NewReader(body))
		if strings.HasPrefix(path, "/cgi-bin/media/") {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		s.mux.ServeHTTP(w, req)
		require.True(t, s.mu.TryLock(), "%s left the server's lock held", path)
		s.mu.Unlock()
		if w.Code == http.StatusNotFound {
			return
		}
		var ans struct {
			ErrCode *int `json:"errcode"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ans), "%s answered %d %q", path, w.Code, w.Body.Bytes())
		require.NotNil(t, ans.ErrCode, "%s answered %d %q", path, w.Code, w.Body.Bytes())
	})
}
