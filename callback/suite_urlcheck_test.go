package callback_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const providerCorpID = "wwprovider00000001"

// urlCheck sends a URL check encrypted for receiveID to url and returns the
// status and body.
func urlCheck(t *testing.T, url, key, receiveID string) (int, string) {
	t.Helper()
	p := wecomtest.NewPusher(url, suiteTestToken, key, receiveID)
	req, err := p.VerifyURLRequest(context.Background(), "1616140317555161061")
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// suiteHandlers serves a command and a data handler for a suite built with opts.
func suiteHandlers(t *testing.T, key string, opts ...wecom.SuiteOption) (cmdURL, dataURL string, suite *wecom.Suite) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwsuiteurl00000001", suiteTestSecret)
	suite = wecom.NewSuite("wwsuiteurl00000001", suiteTestSecret, srv.SuiteOptions(opts...)...)
	cmd, err := callback.NewSuiteCommandHandler(suite, suiteTestToken, key, callback.WithLogger(suiteQuiet))
	require.NoError(t, err)
	data, err := callback.NewSuiteDataHandler(suite, suiteTestToken, key, callback.WithLogger(suiteQuiet))
	require.NoError(t, err)
	cs, ds := httptest.NewServer(cmd), httptest.NewServer(data)
	t.Cleanup(func() {
		cs.Close()
		ds.Close()
		_ = cmd.Close(context.Background())
		_ = data.Close(context.Background())
	})
	return cs.URL, ds.URL, suite
}

func TestSuiteURLChecksAcceptTheProviderCorpID(t *testing.T) {
	key := wecomtest.NewEncodingAESKey()
	cmdURL, dataURL, suite := suiteHandlers(t, key, wecom.WithProviderCorpID(providerCorpID))
	require.Equal(t, providerCorpID, suite.ProviderCorpID())

	for _, tc := range []struct {
		name, url, rid string
		want           int
	}{
		{"command/provider", cmdURL, providerCorpID, http.StatusOK},
		{"command/suite", cmdURL, suite.ID(), http.StatusOK},
		{"command/stranger", cmdURL, "wwstranger00000001", http.StatusForbidden},
		{"data/provider", dataURL, providerCorpID, http.StatusOK},
		{"data/suite", dataURL, suite.ID(), http.StatusOK},
		{"data/stranger", dataURL, "wwstranger00000001", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := urlCheck(t, tc.url, key, tc.rid)
			assert.Equal(t, tc.want, status)
			if tc.want == http.StatusOK {
				assert.Equal(t, "1616140317555161061", body)
			}
		})
	}
}

func TestSuitePushesKeepStrictReceivers(t *testing.T) {
	key := wecomtest.NewEncodingAESKey()
	cmdURL, dataURL, suite := suiteHandlers(t, key, wecom.WithProviderCorpID(providerCorpID))
	ticket := wecomtest.SuiteTicketXML(suite.ID(), "ticket-1", timeNow())
	for _, tc := range []struct {
		name, url, rid string
	}{
		{"command/provider", cmdURL, providerCorpID},
		{"data/provider", dataURL, providerCorpID},
		{"data/suite", dataURL, suite.ID()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wecomtest.NewPusher(tc.url, suiteTestToken, key, tc.rid)
			p.Attempts = 1
			res, _ := p.Push(context.Background(), ticket)
			require.NotNil(t, res)
			assert.Equal(t, http.StatusForbidden, res.Status(), "a push for %s must be refused", tc.rid)
		})
	}
	// The command URL still takes the suite's own pushes.
	p := wecomtest.NewPusher(cmdURL, suiteTestToken, key, suite.ID())
	res, err := p.Push(context.Background(), ticket)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status())
}

func TestSuiteURLCheckWithoutProviderCorpIDSaysWhatToConfigure(t *testing.T) {
	key := wecomtest.NewEncodingAESKey()
	cmdURL, dataURL, suite := suiteHandlers(t, key)
	status, _ := urlCheck(t, cmdURL, key, providerCorpID)
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = urlCheck(t, dataURL, key, suite.ID())
	assert.Equal(t, http.StatusOK, status, "the data URL's check for the suite id passes without a provider corp id")

	// The error a refused check logs names the fix.
	var logged []string
	h, err := callback.NewSuiteCommandHandler(suite, suiteTestToken, key, callback.WithLogger(recordingLogger(&logged)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	status, _ = urlCheck(t, s.URL, key, providerCorpID)
	require.Equal(t, http.StatusForbidden, status)
	require.NotEmpty(t, logged)
	assert.Contains(t, logged[len(logged)-1], "wecom.WithProviderCorpID")
	assert.Contains(t, logged[len(logged)-1], providerCorpID)
}

func timeNow() time.Time { return time.Now() }

// recordingLogger returns a logger appending each line it writes to lines.
func recordingLogger(lines *[]string) *slog.Logger {
	var mu sync.Mutex
	return slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		*lines = append(*lines, string(b))
		mu.Unlock()
		return len(b), nil
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
