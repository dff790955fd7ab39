package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// started is what scrm fake printed at start.
type started struct {
	baseURL, corpID, secret string
	contactWays             map[string]string // state → config_id
}

var contactWayLine = regexp.MustCompile(`contact way\s+(\S+)\s+state "([^"]*)"`)

func waitStarted(t *testing.T, b *background) started {
	t.Helper()
	s := started{contactWays: map[string]string{}}
	value := func(l, key string) string { return strings.TrimPrefix(strings.TrimSpace(l), key) }
	s.baseURL = value(waitLine(t, b.stdout, "WECOM_BASE_URL="), "WECOM_BASE_URL=")
	s.corpID = value(waitLine(t, b.stdout, "WECOM_CORP_ID="), "WECOM_CORP_ID=")
	s.secret = value(waitLine(t, b.stdout, "WECOM_CORP_SECRET="), "WECOM_CORP_SECRET=")
	for {
		l := waitLine(t, b.stdout, "")
		if m := contactWayLine.FindStringSubmatch(l); m != nil {
			s.contactWays[m[2]] = m[1]
		}
		if strings.HasPrefix(l, "Stop with Ctrl-C") {
			return s
		}
	}
}

// controlPost sends a control API request to the fake and decodes the answer.
func controlPost(t *testing.T, method, url string, body any, out any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(b))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
}

// scans serves a callback URL whose add_external_contact events arrive on
// the channel.
func scans(t *testing.T, token, aesKey, corpID string) (string, <-chan *callback.ExternalContactEvent) {
	t.Helper()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID))
	require.NoError(t, err)
	ch := make(chan *callback.ExternalContactEvent, 8)
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error { ch <- ev; return nil })
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.Close()
		_ = h.Close(context.Background())
	})
	return hs.URL, ch
}

func TestFakeServesTheDemoWorld(t *testing.T) {
	t.Parallel()
	b := runBackground(t, nil, "fake", "--addr", "127.0.0.1:0")
	s := waitStarted(t, b)
	assert.Equal(t, wecomtest.DefaultCorpID, s.corpID)
	assert.Equal(t, wecomtest.DefaultSecret, s.secret)
	require.Contains(t, s.contactWays, "spring-fair")

	// An app's client, as a team would configure it from the start message.
	c := wecom.New(s.corpID, s.secret, wecom.WithBaseURL(s.baseURL))
	users, err := contact.New(c).ListFollowUsers(t.Context())
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"zhangsan", "lisi", "wangwu"}, users)

	// The app's callback, set through the control API; then a customer scans.
	token, key := "token", wecomtest.NewEncodingAESKey()
	url, got := scans(t, token, key, s.corpID)
	corp := s.baseURL + "/wecomtest/corps/" + s.corpID
	controlPost(t, http.MethodPut, corp+"/callback", map[string]string{"url": url, "token": token, "aes_key": key}, nil)
	var scan struct {
		ExternalUserID string `json:"external_userid"`
		UserID         string `json:"userid"`
		Push           struct {
			OK bool `json:"ok"`
		} `json:"push"`
	}
	controlPost(t, http.MethodPost, corp+"/scan", map[string]string{"config_id": s.contactWays["spring-fair"]}, &scan)
	assert.True(t, scan.Push.OK)
	ev := <-got
	assert.Equal(t, scan.ExternalUserID, ev.ExternalUserID)
	assert.Equal(t, "zhangsan", ev.UserID)
	assert.Equal(t, "spring-fair", ev.State)

	// The new customer is in the fake's world, as the API shows it.
	detail, err := contact.New(c).Get(t.Context(), &contact.GetRequest{ExternalUserID: scan.ExternalUserID})
	require.NoError(t, err)
	require.Len(t, detail.FollowUser, 1)
	assert.Equal(t, "spring-fair", detail.FollowUser[0].State)

	assert.Equal(t, exitOK, b.stop())
	waitLine(t, b.stderr, "Stopping the fake WeCom.")
}

func TestFakeSeedsAWorldFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	yamlWorld := filepath.Join(dir, "world.yaml")
	require.NoError(t, os.WriteFile(yamlWorld, []byte(`
corps:
  - id: wwfileworld01
    secret: file-secret
    staff: [{id: amy}]
    contact_ways: [{state: from-yaml, users: [amy]}]
`), 0o600))
	jsonWorld := filepath.Join(dir, "world.json")
	require.NoError(t, os.WriteFile(jsonWorld, []byte(`{"corps": [{"id": "wwfileworld01", "secret": "file-secret",
		"staff": [{"id": "amy"}], "contact_ways": [{"state": "from-json", "users": ["amy"]}]}]}`), 0o600))

	for file, state := range map[string]string{yamlWorld: "from-yaml", jsonWorld: "from-json"} {
		t.Run(filepath.Ext(file), func(t *testing.T) {
			t.Parallel()
			key := wecomtest.NewEncodingAESKey()
			url, got := scans(t, "token", key, "wwfileworld01")
			b := runBackground(t, env{"WECOM_CALLBACK_TOKEN": "token", "WECOM_CALLBACK_AES_KEY": key},
				"fake", "--addr", "127.0.0.1:0", "--world", file, "--callback-url", url)
			s := waitStarted(t, b)
			assert.Equal(t, "wwfileworld01", s.corpID)
			assert.Equal(t, "file-secret", s.secret)
			require.Contains(t, s.contactWays, state)

			// The callback was given on the command line: a scan is pushed there.
			controlPost(t, http.MethodPost, s.baseURL+"/wecomtest/corps/wwfileworld01/scan",
				map[string]string{"config_id": s.contactWays[state]}, nil)
			select {
			case ev := <-got:
				assert.Equal(t, state, ev.State)
			case <-time.After(30 * time.Second):
				require.FailNow(t, "no push")
			}
			assert.Equal(t, exitOK, b.stop())
		})
	}
}

func TestFakeRefusesABadWorld(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "world.yaml")
	require.NoError(t, os.WriteFile(file, []byte("corps:\n  - staf: [{id: amy}]\n"), 0o600))
	r := scrm(t, nil, "", "fake", "--addr", "127.0.0.1:0", "--world", file)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, file+": not a world description")
	assert.Contains(t, r.stderr, `unknown field "staf"`)

	require.NoError(t, os.WriteFile(file, []byte("corps:\n  - customers: [{name: x, followers: [nobody], tags: [VIP]}]\n"), 0o600))
	r = scrm(t, nil, "", "fake", "--addr", "127.0.0.1:0", "--world", file)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, `customer "x": no corp tag is named "VIP"`)

	r = scrm(t, nil, "", "fake", "--callback-url", "http://127.0.0.1:1/cb")
	assert.Equal(t, exitUsage, r.code)
}

func TestFakePrintsTheDemoWorld(t *testing.T) {
	t.Parallel()
	r := scrm(t, nil, "", "fake", "--print-demo")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(demoWorld), r.stdout)
	w, err := parseWorld([]byte(r.stdout))
	require.NoError(t, err)
	require.Len(t, w.Corps, 1)
	assert.Equal(t, 200, w.Corps[0].RandomCustomers)
	assert.Len(t, w.Corps[0].Staff, 3)
}
