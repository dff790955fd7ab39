package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The official test vectors of WeCom's callback crypto (the crypto page's
// worked example and the official sample code).
const (
	vecToken    = "QDG6eK"
	vecAESKey   = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecReceiver = "wx5823bf96d3bd56c7"
	vecQuery    = "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149"
	vecBody     = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
	// the URL check of the same callback
	vecURLQuery = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
	vecEcho     = "1616140317555161061"
)

// decoded is decrypt's output.
type decoded struct {
	Kind  string `json:"kind"`
	Type  string `json:"type"`
	Event struct {
		ToUserName   string
		FromUserName string
		MsgType      string
		MsgID        string
		Content      string
		ReceiveID    string
		Raw          string
	} `json:"event"`
}

func TestDecryptTheOfficialVector(t *testing.T) {
	t.Parallel()
	r := scrm(t, nil, vecBody, "callback", "decrypt", "--token", vecToken, "--aes-key", vecAESKey,
		"--receiver-id", vecReceiver, "--query", vecQuery)
	require.Equal(t, exitOK, r.code, r.stderr)
	var got decoded
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "text", got.Kind)
	assert.Equal(t, "callback.MessageEvent", got.Type)
	assert.Equal(t, "mycreate", got.Event.FromUserName)
	assert.Equal(t, "hello", got.Event.Content)
	assert.Equal(t, "4561255354251345929", got.Event.MsgID)
	assert.Equal(t, vecReceiver, got.Event.ReceiveID)
	assert.Len(t, got.Event.Raw, 284, "the decrypted message, exactly")
	assert.Empty(t, r.stderr)
}

func TestDecryptFromTheEnvironmentAndAWholeURL(t *testing.T) {
	t.Parallel()
	e := env{"WECOM_CALLBACK_TOKEN": vecToken, "WECOM_CALLBACK_AES_KEY": vecAESKey, "WECOM_CORP_ID": vecReceiver}
	r := scrm(t, e, vecBody, "callback", "decrypt", "--query", "https://example.com/wecom/callback?"+vecQuery)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"Content": "hello"`)
}

func TestDecryptSaysWhichCheckFailed(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		token, key, receiver, query, body string
		want                              []string
	}{
		"signature: another token": {"QDG6eX", vecAESKey, vecReceiver, vecQuery, vecBody,
			[]string{"decrypt failed: signature:", "the Token is not this callback's Token"}},
		"signature: another push's query": {vecToken, vecAESKey, vecReceiver,
			strings.Replace(vecQuery, "1372623149", "1372623150", 1), vecBody, []string{"decrypt failed: signature:"}},
		"key: malformed": {vecToken, vecAESKey[:42], vecReceiver, vecQuery, vecBody,
			[]string{"decrypt failed: key:", "it has 42 characters"}},
		"padding: another key": {vecToken, "aWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", vecReceiver, vecQuery, vecBody,
			[]string{"decrypt failed: padding:", "the Token is right", "the EncodingAESKey is not this callback's"}},
		"receiver id": {vecToken, vecAESKey, "wwanothercorp", vecQuery, vecBody,
			[]string{"decrypt failed: receiver id:", `another receiver than "wwanothercorp"`, "addressed to wx5823bf96d3bd56c7 (ToUserName)"}},
		"body: not encrypted": {vecToken, vecAESKey, vecReceiver, vecQuery, "<xml><Content>hi</Content></xml>",
			[]string{"decrypt failed: body:", "no Encrypt element"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := scrm(t, nil, tc.body, "callback", "decrypt", "--token", tc.token, "--aes-key", tc.key,
				"--receiver-id", tc.receiver, "--query", tc.query)
			assert.Equal(t, exitFailed, r.code)
			assert.Empty(t, r.stdout)
			flat := flat(r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, flat, w)
			}
			assert.NotContains(t, r.stderr, tc.token)
			assert.NotContains(t, r.stderr, tc.key)
		})
	}
}

func TestDecryptACapturedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	raw := "POST /wecom/callback?" + vecQuery + " HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/xml\r\n" +
		"Content-Length: " + strconv.Itoa(len(vecBody)) + "\r\n\r\n" + vecBody
	request := filepath.Join(dir, "push.http")
	require.NoError(t, os.WriteFile(request, []byte(raw), 0o600))
	urlAndBody := filepath.Join(dir, "push.txt")
	require.NoError(t, os.WriteFile(urlAndBody, []byte("https://example.com/wecom/callback?"+vecQuery+"\n"+vecBody+"\n"), 0o600))

	for _, file := range []string{request, urlAndBody} {
		r := scrm(t, nil, "", "callback", "decrypt", "--token", vecToken, "--aes-key", vecAESKey,
			"--receiver-id", vecReceiver, "--file", file)
		require.Equal(t, exitOK, r.code, "%s: %s", file, r.stderr)
		assert.Contains(t, r.stdout, `"Content": "hello"`)
	}
}

func TestDecryptAURLCheck(t *testing.T) {
	t.Parallel()
	r := scrm(t, nil, "", "callback", "decrypt", "--token", vecToken, "--aes-key", vecAESKey,
		"--receiver-id", vecReceiver, "--query", vecURLQuery)
	require.Equal(t, exitOK, r.code, r.stderr)
	var got struct {
		URLCheck bool   `json:"url_check"`
		Echo     string `json:"echo"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.True(t, got.URLCheck)
	assert.Equal(t, vecEcho, got.Echo)

	// A '+' decoded as a space breaks the signature, and decrypt says so.
	broken := strings.Replace(vecURLQuery, "%2B", "+", 1)
	r = scrm(t, nil, "", "callback", "decrypt", "--token", vecToken, "--aes-key", vecAESKey,
		"--receiver-id", vecReceiver, "--query", broken)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, flat(r.stderr), "a '+' was probably decoded as a space")
}

func TestDecryptWithoutAReceiverSaysSo(t *testing.T) {
	t.Parallel()
	r := scrm(t, nil, vecBody, "callback", "decrypt", "--token", vecToken, "--aes-key", vecAESKey, "--query", vecQuery)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "the receiver is not checked")
}

// handlerServer serves a callback.Handler for the settings given.
func handlerServer(t *testing.T, token, aesKey, receiver string) string {
	t.Helper()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(receiver))
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL + "/wecom/callback"
}

func TestVerifyURL(t *testing.T) {
	t.Parallel()
	const corp = "wwverify0001"
	key := wecomtest.NewEncodingAESKey()
	good := handlerServer(t, "token", key, corp)
	e := env{"WECOM_CALLBACK_TOKEN": "token", "WECOM_CALLBACK_AES_KEY": key, "WECOM_CORP_ID": corp}

	r := scrm(t, e, "", "callback", "verify-url", "--url", good)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "GET "+good)
	assert.Contains(t, r.stdout, "ok: it answered the echo in")

	t.Run("another token", func(t *testing.T) {
		t.Parallel()
		other := handlerServer(t, "other-token", key, corp)
		r := scrm(t, e, "", "callback", "verify-url", "--url", other)
		assert.Equal(t, exitFailed, r.code)
		assert.Contains(t, r.stdout, "failed: it answered HTTP 403")
		assert.Contains(t, flat(r.stdout), "a wrong Token (signature)")
	})
	t.Run("quotes", func(t *testing.T) {
		t.Parallel()
		c, err := callback.NewCrypto("token", key, corp)
		require.NoError(t, err)
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			echo, err := c.VerifyURL(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
			_ = json.NewEncoder(w).Encode(string(echo)) // quoted, with a newline
		}))
		t.Cleanup(hs.Close)
		r := scrm(t, e, "", "callback", "verify-url", "--url", hs.URL)
		assert.Equal(t, exitFailed, r.code)
		assert.Contains(t, r.stdout, "in quotes")
	})
	t.Run("not an URL", func(t *testing.T) {
		t.Parallel()
		r := scrm(t, e, "", "callback", "verify-url", "--url", "example.com/cb")
		assert.Equal(t, exitUsage, r.code)
	})
}

func TestServeLogsEveryTypedEvent(t *testing.T) {
	t.Parallel()
	const corp = "wwserve00001"
	key := wecomtest.NewEncodingAESKey()
	b := runBackground(t, env{"WECOM_CALLBACK_TOKEN": "token", "WECOM_CALLBACK_AES_KEY": key},
		"callback", "serve", "--addr", "127.0.0.1:0", "--path", "/wecom/callback", "--receiver-id", corp)
	line := waitLine(t, b.stderr, "Serving the callback at ")
	url := strings.Fields(strings.TrimPrefix(line, "Serving the callback at "))[0]
	require.True(t, strings.HasSuffix(url, "/wecom/callback"), url)

	p := wecomtest.NewPusher(url, "token", key, corp)
	at := time.Unix(1700000000, 0)
	res, err := p.Push(t.Context(), wecomtest.AddExternalContactXML(corp, "zhangsan", "wmCustomer", "spring", "WELCOME", at))
	require.NoError(t, err)
	assert.Equal(t, "success", res.Body())

	var ev struct {
		Kind       string `json:"kind"`
		ChangeType string `json:"change_type"`
		Type       string `json:"type"`
		Event      struct {
			UserID, ExternalUserID, State, WelcomeCode string
		} `json:"event"`
	}
	require.NoError(t, json.Unmarshal([]byte(waitLine(t, b.stdout, "wmCustomer")), &ev))
	assert.Equal(t, "change_external_contact", ev.Kind)
	assert.Equal(t, "add_external_contact", ev.ChangeType)
	assert.Equal(t, "callback.ExternalContactEvent", ev.Type)
	assert.Equal(t, "spring", ev.Event.State)

	// A push for another corp is refused, and the refusal logged.
	other := wecomtest.NewPusher(url, "token", key, "wwothercorp")
	other.Attempts = 1
	_, err = other.Push(t.Context(), wecomtest.AddExternalContactXML("wwothercorp", "zhangsan", "wmX", "", "", at))
	require.Error(t, err)
	waitLine(t, b.stderr, "receiver id mismatch")

	assert.Equal(t, exitOK, b.stop())
}
