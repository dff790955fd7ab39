package wecomtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// control sends a control API request and decodes the answer into out.
func control(t *testing.T, srv *wecomtest.Server, method, path string, body any, out any) int {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(t, err)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, bytes.NewReader(b))
	require.NoError(t, err)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

// events serves a callback URL that sends every event it receives to the
// returned channel.
func callbackEvents(t *testing.T, token, aesKey, corpID string) (string, <-chan callback.Event) {
	t.Helper()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID))
	require.NoError(t, err)
	ch := make(chan callback.Event, 16)
	h.OnDefault(func(_ context.Context, ev callback.Event) error { ch <- ev; return nil })
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.Close()
		_ = h.Close(context.Background())
	})
	return hs.URL, ch
}

type controlAnswer struct {
	Push *struct {
		OK       bool `json:"ok"`
		Status   int  `json:"status"`
		Attempts int  `json:"attempts"`
	} `json:"push"`
	PushError string `json:"push_error"`
	Error     string `json:"error"`
}

func TestControlPlaysAScanAndPushesIt(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Seed(t.Context(), demoWorld()))
	way := worldOf(t, srv).Corps[0].ContactWays[0].ConfigID
	base := "/wecomtest/corps/" + srv.CorpID

	token, aesKey := "token", wecomtest.NewEncodingAESKey()
	url, got := callbackEvents(t, token, aesKey, srv.CorpID)
	var set struct{ URL string }
	require.Equal(t, http.StatusOK, control(t, srv, http.MethodPut, base+"/callback",
		map[string]string{"url": url, "token": token, "aes_key": aesKey}, &set))
	assert.Equal(t, url, set.URL)
	assert.Equal(t, url, worldOf(t, srv).Corps[0].Callback)

	var scan struct {
		ExternalUserID string `json:"external_userid"`
		UserID         string `json:"userid"`
		State          string `json:"state"`
		WelcomeCode    string `json:"welcome_code"`
		controlAnswer
	}
	require.Equal(t, http.StatusOK, control(t, srv, http.MethodPost, base+"/scan", map[string]string{"config_id": way}, &scan))
	assert.Equal(t, "zhangsan", scan.UserID)
	assert.Equal(t, "spring", scan.State)
	assert.NotEmpty(t, scan.WelcomeCode)
	require.NotNil(t, scan.Push)
	assert.True(t, scan.Push.OK)
	assert.Empty(t, scan.PushError)

	ev := (<-got).(*callback.ExternalContactEvent)
	assert.Equal(t, scan.ExternalUserID, ev.ExternalUserID)
	assert.Equal(t, "spring", ev.State)
	assert.Equal(t, scan.WelcomeCode, ev.WelcomeCode)

	// Any event, pushed as is.
	xml := wecomtest.AddExternalContactXML(srv.CorpID, "lisi", "wmAny", "by-hand", "", time.Unix(1700000000, 0))
	var res controlAnswer
	require.Equal(t, http.StatusOK, control(t, srv, http.MethodPost, base+"/push", xml, &res))
	require.NotNil(t, res.Push)
	assert.True(t, res.Push.OK)
	ev = (<-got).(*callback.ExternalContactEvent)
	assert.Equal(t, "wmAny", ev.ExternalUserID)
	assert.Equal(t, "by-hand", ev.State)
}

func TestControlReportsAPushThatFailedAfterTheAct(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Seed(t.Context(), demoWorld()))
	way := worldOf(t, srv).Corps[0].ContactWays[0].ConfigID
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(dead.Close)
	srv.Corp(srv.CorpID).SetCallback(dead.URL, "token", wecomtest.NewEncodingAESKey()).Pusher().Attempts = 1

	var scan struct {
		ExternalUserID string `json:"external_userid"`
		controlAnswer
	}
	require.Equal(t, http.StatusOK, control(t, srv, http.MethodPost, "/wecomtest/corps/"+srv.CorpID+"/scan",
		map[string]string{"config_id": way}, &scan))
	require.NotNil(t, scan.Push)
	assert.False(t, scan.Push.OK)
	assert.Equal(t, http.StatusInternalServerError, scan.Push.Status)
	assert.Contains(t, scan.PushError, "push not delivered")
	_, ok := srv.Corp(srv.CorpID).Relation("zhangsan", scan.ExternalUserID)
	assert.True(t, ok, "the customer was added although the push failed")
}

func TestControlJoinsGroupsAndConfirmsMassSends(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Seed(t.Context(), demoWorld()))
	corp := worldOf(t, srv).Corps[0]
	base := "/wecomtest/corps/" + srv.CorpID

	var join struct {
		ChatID         string `json:"chat_id"`
		ExternalUserID string `json:"external_userid"`
		State          string `json:"state"`
	}
	require.Equal(t, http.StatusOK, control(t, srv, http.MethodPost, base+"/join",
		map[string]string{"config_id": corp.JoinWays[0].ConfigID}, &join))
	assert.Equal(t, corp.Groups[0].ChatID, join.ChatID)
	assert.Equal(t, "vip-group", join.State)
	assert.Contains(t, srv.Corp(srv.CorpID).GroupChats().Members(join.ChatID), join.ExternalUserID)

	var zhao string
	for _, c := range corp.CustomerList {
		if c.Name == "赵六" {
			zhao = c.ExternalUserID
		}
	}
	require.NotEmpty(t, zhao)
	require.Equal(t, http.StatusOK, control(t, srv, http.MethodPost, base+"/join",
		map[string]any{"chat_id": join.ChatID, "userids": []string{zhao}, "invitor": "zhangsan"}, nil))
	assert.Contains(t, srv.Corp(srv.CorpID).GroupChats().Members(join.ChatID), zhao)

	var task struct {
		MsgID string `json:"msgid"`
	}
	require.NoError(t, srv.Client().Post(t.Context(), "/cgi-bin/externalcontact/add_msg_template", map[string]any{
		"chat_type": "single", "sender": "zhangsan", "external_userid": []string{"wmWangWu"},
		"text": map[string]string{"content": "Spring sale"}}, &task))
	mass := worldOf(t, srv).Corps[0].MassSends
	require.Len(t, mass, 1)
	assert.Equal(t, task.MsgID, mass[0].MsgID)
	assert.Equal(t, "Spring sale", mass[0].Text)
	assert.Empty(t, mass[0].Sent)

	require.Equal(t, http.StatusOK, control(t, srv, http.MethodPost, base+"/confirm-mass-send",
		map[string]string{"msgid": task.MsgID}, nil))
	assert.Equal(t, []string{"zhangsan"}, worldOf(t, srv).Corps[0].MassSends[0].Sent)
	assert.Equal(t, 1, srv.Corp(srv.CorpID).Messages().MassSendsReceived("wmWangWu"))
}

func TestControlErrors(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	base := "/wecomtest/corps/" + srv.CorpID
	for name, tc := range map[string]struct {
		method, path string
		body         any
		status       int
		want         string
	}{
		"unknown contact way": {http.MethodPost, base + "/scan", map[string]string{"config_id": "nope"}, http.StatusNotFound, "not found"},
		"unknown corp":        {http.MethodPut, "/wecomtest/corps/wwnope/callback", map[string]string{"url": "http://x"}, http.StatusNotFound, "not found"},
		"unknown field":       {http.MethodPost, base + "/scan", map[string]string{"configid": "x"}, http.StatusBadRequest, `unknown field "configid"`},
		"unknown mass send":   {http.MethodPost, base + "/confirm-mass-send", map[string]string{"msgid": "nope"}, http.StatusNotFound, "mass send"},
		"push without a callback": {http.MethodPost, base + "/push", []byte("<xml/>"), http.StatusBadRequest,
			"no callback"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out controlAnswer
			assert.Equal(t, tc.status, control(t, srv, tc.method, tc.path, tc.body, &out))
			assert.Contains(t, out.Error, tc.want)
		})
	}
	t.Run("not in the request log", func(t *testing.T) {
		t.Parallel()
		other := wecomtest.NewServer(t)
		worldOf(t, other)
		assert.Empty(t, other.Requests())
	})
}

func TestWithListenerServesOnTheGivenListener(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := wecomtest.NewServer(t, wecomtest.WithListener(l))
	assert.Equal(t, "http://"+l.Addr().String(), srv.URL)
	_, err = srv.Client().AccessToken(t.Context())
	require.NoError(t, err)
}
