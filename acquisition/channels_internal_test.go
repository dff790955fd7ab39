package acquisition

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func internalSetup(t testing.TB) (*wecomtest.Server, *Service) {
	t.Helper()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	return srv, New(c)
}

func internalChannels(t testing.TB, svc *Service, store wecom.Store) *Channels {
	t.Helper()
	ch, err := NewChannels(svc, store, ChannelTemplate{Range: Range{UserList: []string{"zhangsan"}}})
	require.NoError(t, err)
	return ch
}

// Two channels whose first state candidates collide get different states,
// and the Store remembers which got which.
func TestChannelsStateCollision(t *testing.T) {
	t.Parallel()
	_, svc := internalSetup(t)
	store := wecom.NewMemoryStore()
	colliding := func(base func(string, int) string) func(string, int) string {
		return func(channel string, attempt int) string {
			if attempt == 0 {
				return "chsame"
			}
			return base(channel, attempt)
		}
	}
	ch := internalChannels(t, svc, store)
	ch.eng.Code = colliding(ch.eng.Code)
	ctx := t.Context()
	a, err := ch.Ensure(ctx, Channel{Name: "alpha"})
	require.NoError(t, err)
	b, err := ch.Ensure(ctx, Channel{Name: "beta"})
	require.NoError(t, err)
	assert.Equal(t, "chsame", a.State)
	assert.NotEqual(t, a.State, b.State)
	assert.Equal(t, ch.eng.Code("beta", 1), b.State)

	// After a restart, with the mapping in the Store, both resolve as before.
	ch2 := internalChannels(t, svc, store)
	ch2.eng.Code = colliding(ch2.eng.Code)
	for state, want := range map[string]string{a.State: "alpha", b.State: "beta"} {
		got, ok, err := ch2.Resolve(ctx, state)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, want, got)
	}
	// Every candidate taken: a clear error.
	full := internalChannels(t, svc, store)
	full.eng.Code = func(string, int) string { return "chsame" }
	_, err = full.Ensure(ctx, Channel{Name: "gamma"})
	assert.ErrorContains(t, err, "no free state")
}

// A creator that died holding the claim blocks others only until the claim
// expires.
func TestChannelsTakeOverAnExpiredClaim(t *testing.T) {
	t.Parallel()
	srv, svc := internalSetup(t)
	store := wecom.NewMemoryStore()
	ch := internalChannels(t, svc, store)
	ch.eng.Poll = time.Millisecond
	ctx := t.Context()
	require.NoError(t, store.Set(ctx, ch.eng.ChannelKey("c"), `{"channel":"c","pending":"dead"}`, 30*time.Millisecond))
	l, err := ch.Ensure(ctx, Channel{Name: "c"})
	require.NoError(t, err)
	assert.NotEmpty(t, l.LinkID)
	assert.Equal(t, 1, srv.Count("/cgi-bin/externalcontact/customer_acquisition/create_link"))

	// Waiting ends with the context.
	require.NoError(t, store.Set(ctx, ch.eng.ChannelKey("d"), `{"channel":"d","pending":"x"}`, time.Hour))
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = ch.Ensure(cctx, Channel{Name: "d"})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	_, ok, err := ch.Lookup(ctx, "d")
	require.NoError(t, err)
	assert.False(t, ok, "a creation in progress is not a link yet")
}

// A claim that expired during a slow creation: the other caller's link wins
// and ours is deleted.
func TestChannelsLateCreatorYields(t *testing.T) {
	t.Parallel()
	srv, svc := internalSetup(t)
	store := wecom.NewMemoryStore()
	ctx := t.Context()
	slow := internalChannels(t, svc, store)
	fast := internalChannels(t, svc, store)
	claim, won, err := slow.eng.Claim(ctx, "e")
	require.NoError(t, err)
	require.True(t, won)
	// The claim is lost (expired) and fast makes the link meanwhile.
	require.NoError(t, store.Delete(ctx, slow.eng.ChannelKey("e")))
	theirs, err := fast.Ensure(ctx, Channel{Name: "e"})
	require.NoError(t, err)
	def, err := slow.define(Channel{Name: "e"})
	require.NoError(t, err)
	mine, err := slow.eng.Create(ctx, def, claim)
	require.NoError(t, err)
	assert.Equal(t, theirs, mine)
	n := 0
	for _, err := range svc.ListLinksIter(ctx, nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n, "the late creator deleted its link")
	assert.Equal(t, 2, srv.Count("/cgi-bin/externalcontact/customer_acquisition/create_link"))
}

func TestCheckWindowCountsChinaDays(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 1, 0, 0, 0, chinaZone) // 01:00 in China, still Feb 28 in UTC
	oldest := time.Date(2026, 3, 1, 0, 0, 0, 0, chinaZone).AddDate(0, 0, -maxStatisticAgeDays)
	ok := wecom.UnixTime(oldest.Unix())
	assert.NoError(t, checkWindow(ok, ok+86400, now))
	assert.ErrorIs(t, checkWindow(ok-1, ok+86400, now), ErrInvalidArgument)
}
