package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }, ""), out.String())
	s := out.String()
	for _, want := range []string{
		"suite_access_token obtained with the pushed ticket",
		"install wwdemocorpgamma", "permanent code stored",
		"[wwdemocorpalpha wwdemocorpbeta wwdemocorpgamma]",
		"2 members with customer contact", "4 members with customer contact",
		"3 add_external_contact pushes handled",
		"cancel_auth pushed, corp forgotten",
		"calls for wwdemocorpgamma fail     ok  wecom.ErrCorpNotAuthorized",
		"data URL refuses wwdemocorpgamma   ok  403",
		"3 permanent-code exchanges, 1 suite tokens",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "FAILED", "want 16 successful steps")
	assert.Equal(t, 16, strings.Count(s, "\n"), "want 16 successful steps:\n%s", s)
}

func TestServeNeedsAllSettings(t *testing.T) {
	env := map[string]string{"WECOM_SUITE_ID": "wwlive", "WECOM_SUITE_SECRET": "s"}
	var out bytes.Buffer
	err := run(context.Background(), &out, func(k string) string { return env[k] }, "127.0.0.1:0")
	require.Error(t, err, "run without callback settings:\n%s", out.String())
	require.Contains(t, out.String(), "FAILED", "run without callback settings: %v", err)
	require.Contains(t, out.String(), "WECOM_CALLBACK_TOKEN", "run without callback settings: %v", err)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeLive(t *testing.T) {
	fake := wecomtest.NewServer(t)
	const suiteID = "wwlivesuite0001"
	fake.AddSuite(suiteID, "live-secret")
	key := wecomtest.NewEncodingAESKey()
	env := map[string]string{
		"WECOM_SUITE_ID": suiteID, "WECOM_SUITE_SECRET": "live-secret",
		"WECOM_CALLBACK_TOKEN": "livetoken", "WECOM_CALLBACK_AES_KEY": key, "WECOM_BASE_URL": fake.URL,
		"WECOM_PROVIDER_CORP_ID": "wwliveprovider01",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, &out, func(k string) string { return env[k] }, "127.0.0.1:0") }()

	urlRE := regexp.MustCompile(`command URL (http://\S+/suite/command)`)
	var cmdURL string
	for deadline := time.Now().Add(5 * time.Second); cmdURL == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			cmdURL = m[1]
		}
	}
	require.NotEmpty(t, cmdURL, "no command URL printed:\n%s", out.String())

	// WeCom's URL checks of both URLs are encrypted for the provider's corp
	// id; then an installation.
	for _, u := range []string{cmdURL, strings.Replace(cmdURL, "/suite/command", "/suite/data", 1)} {
		p := wecomtest.NewPusher(u, "livetoken", key, "wwliveprovider01")
		req, err := p.VerifyURLRequest(ctx, "echo-1234")
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "URL check of %s answered %q", u, body)
		require.Equal(t, "echo-1234", string(body), "URL check of %s", u)
	}
	cb := fake.Suite(suiteID).SetCallback(cmdURL, "livetoken", key)
	_, err := cb.PushNewTicket(ctx)
	require.NoError(t, err)
	_, err = cb.Install(ctx, "wwlivecorp", "")
	require.NoError(t, err)
	const installed = "corp wwlivecorp (Corp wwlivecorp) installed the app"
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), installed); time.Sleep(5 * time.Millisecond) {
		require.False(t, time.Now().After(deadline), "installation not handled:\n%s", out.String())
	}

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "run:\n%s", out.String())
	case <-time.After(10 * time.Second):
		require.Fail(t, "run did not stop")
	}
	assert.Contains(t, out.String(), "shut down", "no shutdown step")
}
