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
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	srv := wecomtest.NewServer(t, wecomtest.WithClock(clock))
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi"))
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

	corp := srv.Corp(srv.CorpID).SetCallback(hs.URL, "apptoken", key)
	scan, err := corp.ScanContactWay(context.Background(), configID, "")
	require.NoError(t, err)
	require.NotNil(t, scan.Push)
	assert.True(t, scan.Push.OK)
	assert.Equal(t, "zhangsan", scan.UserID)
	assert.Equal(t, "spring-poster", scan.State)
	require.NotEmpty(t, scan.WelcomeCode)
	assert.Equal(t, []string{"zhangsan"}, corp.Followers(scan.ExternalUserID))

	mu.Lock()
	require.Len(t, got, 1)
	ev := got[0]
	mu.Unlock()
	assert.Equal(t, scan.ExternalUserID, ev.ExternalUserID)
	assert.Equal(t, "zhangsan", ev.UserID)
	assert.Equal(t, "spring-poster", ev.State)
	assert.Equal(t, scan.WelcomeCode, ev.WelcomeCode)

	// The code works for 20 seconds.
	assert.Equal(t, wecomtest.WelcomeCodeValid, corp.Messages().WelcomeCode(scan.WelcomeCode))
	clockMu.Lock()
	now = now.Add(wecomtest.WelcomeCodeLife)
	clockMu.Unlock()
	assert.Equal(t, wecomtest.WelcomeCodeExpired, corp.Messages().WelcomeCode(scan.WelcomeCode))

	// The next scan goes to the next member; the same customer may add him.
	second, err := corp.ScanContactWay(context.Background(), configID, scan.ExternalUserID)
	require.NoError(t, err)
	assert.Equal(t, "lisi", second.UserID)
	assert.Equal(t, []string{"zhangsan", "lisi"}, corp.Followers(scan.ExternalUserID))

	// A member with a welcome set in the admin console gets no WelcomeCode.
	require.NoError(t, corp.SetConsoleWelcome("zhangsan", true))
	third, err := corp.ScanContactWay(context.Background(), configID, "")
	require.NoError(t, err)
	assert.Empty(t, third.WelcomeCode)
	mu.Lock()
	assert.Empty(t, got[len(got)-1].WelcomeCode)
	mu.Unlock()

	_, err = corp.ScanContactWay(context.Background(), "no-such-way", "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
}

// Without a callback a scan adds the customer and issues the welcome code,
// and pushes nothing.
func TestScanContactWayWithoutCallback(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)
	require.NoError(t, corp.AddStaff("zhangsan"))
	configID := addWay(t, srv.Client(), "s", "zhangsan")
	scan, err := corp.ScanContactWay(t.Context(), configID, "")
	require.NoError(t, err)
	assert.Nil(t, scan.Push)
	assert.Equal(t, wecomtest.WelcomeCodeValid, corp.Messages().WelcomeCode(scan.WelcomeCode))
	rel, ok := corp.Relation("zhangsan", scan.ExternalUserID)
	require.True(t, ok)
	assert.Equal(t, "s", rel.State)
	assert.Equal(t, 1, rel.AddWay)

	require.NoError(t, corp.ResignStaff("zhangsan"))
	_, err = corp.ScanContactWay(t.Context(), configID, "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound, "a resigned member is added by nobody")
	_, err = srv.Corp("wwnobody").ScanContactWay(t.Context(), configID, "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
}
