package wecomtest_test

import (
	"context"
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

// addWay creates a contact way through the fake's API, as a user of the SDK
// would (without importing package contact).
func addWay(t *testing.T, c *wecom.Client, state string, users ...string) string {
	t.Helper()
	var out struct {
		ConfigID string `json:"config_id"`
	}
	err := c.Post(context.Background(), "/cgi-bin/externalcontact/add_contact_way",
		map[string]any{"type": 2, "scene": 2, "state": state, "user": users}, &out)
	require.NoError(t, err)
	return out.ConfigID
}

func TestScanContactWayPushesAddExternalContact(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	srv := wecomtest.NewServer(t, wecomtest.WithClock(clock))
	require.NoError(t, srv.AddStaff(srv.CorpID, "zhangsan", "lisi"))
	configID := addWay(t, srv.Client(), "spring-poster", "zhangsan", "lisi")

	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler("apptoken", key, callback.WithReceiverID(srv.CorpID))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	var (
		mu  sync.Mutex
		got []*callback.ExternalContactEvent
	)
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		return nil
	})
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)

	cb := srv.ConfigureCallback(srv.CorpID, hs.URL, "apptoken", key)
	scan, err := cb.ScanContactWay(context.Background(), configID)
	require.NoError(t, err)
	assert.Equal(t, "zhangsan", scan.UserID)
	assert.Equal(t, "spring-poster", scan.State)
	require.NotEmpty(t, scan.WelcomeCode)
	assert.Equal(t, []string{"zhangsan"}, srv.Followers(srv.CorpID, scan.ExternalUserID))

	mu.Lock()
	require.Len(t, got, 1)
	ev := got[0]
	mu.Unlock()
	assert.Equal(t, scan.ExternalUserID, ev.ExternalUserID)
	assert.Equal(t, "zhangsan", ev.UserID)
	assert.Equal(t, "spring-poster", ev.State)
	assert.Equal(t, scan.WelcomeCode, ev.WelcomeCode)

	// The code works for 20 seconds.
	assert.Equal(t, wecomtest.WelcomeCodeValid, srv.WelcomeCode(srv.CorpID, scan.WelcomeCode))
	clockMu.Lock()
	now = now.Add(wecomtest.WelcomeCodeLife)
	clockMu.Unlock()
	assert.Equal(t, wecomtest.WelcomeCodeExpired, srv.WelcomeCode(srv.CorpID, scan.WelcomeCode))

	// The next scan goes to the next member; the same customer may add him.
	second, err := cb.ScanContactWayAs(context.Background(), configID, scan.ExternalUserID)
	require.NoError(t, err)
	assert.Equal(t, "lisi", second.UserID)
	assert.Equal(t, []string{"zhangsan", "lisi"}, srv.Followers(srv.CorpID, scan.ExternalUserID))

	// A member with a welcome set in the admin console gets no WelcomeCode.
	require.NoError(t, srv.SetConsoleWelcome(srv.CorpID, "zhangsan", true))
	third, err := cb.ScanContactWay(context.Background(), configID)
	require.NoError(t, err)
	assert.Empty(t, third.WelcomeCode)
	mu.Lock()
	assert.Empty(t, got[len(got)-1].WelcomeCode)
	mu.Unlock()

	_, err = cb.ScanContactWay(context.Background(), "no-such-way")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
}
