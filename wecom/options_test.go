package wecom_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The suite-only settings are SuiteOptions, which New does not take:
//
//	wecom.New(corpID, secret, wecom.WithProviderCorpID("wwprovider")) // does not compile
//
// while every Option is a SuiteOption too (ExampleNewSuite).
func TestSuiteOnlyOptionsAreNotOptions(t *testing.T) {
	t.Parallel()
	option := reflect.TypeFor[wecom.Option]()
	suiteOption := reflect.TypeFor[wecom.SuiteOption]()
	for name, o := range map[string]wecom.SuiteOption{
		"WithSuiteKind":      wecom.WithSuiteKind(wecom.SuiteThirdParty),
		"WithMaxCorpClients": wecom.WithMaxCorpClients(2),
		"WithProviderCorpID": wecom.WithProviderCorpID("wwprovider"),
	} {
		assert.False(t, reflect.TypeOf(o).AssignableTo(option), "%s is accepted by New", name)
	}
	for name, o := range map[string]wecom.Option{
		"WithStore":  wecom.WithStore(wecom.NewMemoryStore()),
		"WithClock":  wecom.WithClock(time.Now),
		"WithLogger": wecom.WithLogger(nil),
	} {
		assert.True(t, reflect.TypeOf(o).Implements(suiteOption), "%s is not accepted by NewSuite", name)
	}
}

func TestSuiteTakesClientOptionsAndSuiteOptions(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	s := wecom.NewSuite("wwsuiteopts", "secret", wecom.WithStore(store),
		wecom.WithProviderCorpID("wwprovider"), wecom.WithSuiteKind(wecom.SuiteAgentDeveloped), nil)
	assert.Same(t, store, s.Store())
	assert.Equal(t, "wwprovider", s.ProviderCorpID())
	assert.Equal(t, wecom.SuiteAgentDeveloped, s.Kind())
	assert.Same(t, store, s.Corp("wwcorp").Store(), "the corps' clients share the suite's Store")
}

func TestWithClockDrivesTokenExpiry(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	srv := wecomtest.NewServer(t, wecomtest.WithClock(clock.Now))
	c := srv.Client(wecom.WithClock(clock.Now))
	assert.Equal(t, clock.Now(), c.Now())

	ctx := t.Context()
	_, err := c.GetAPIDomainIPs(ctx)
	require.NoError(t, err)
	clock.Advance(time.Hour)
	_, err = c.GetAPIDomainIPs(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Corp(srv.CorpID).TokenFetches(), "an hour into a two-hour token")

	clock.Advance(2 * time.Hour) // the client's clock says the token expired
	_, err = c.GetAPIDomainIPs(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Corp(srv.CorpID).TokenFetches(), "expiry follows the client's clock")
	assert.Equal(t, clock.Now(), c.Now())

	// Without WithClock the client reads the wall clock: its Now is not the fake's.
	assert.NotEqual(t, clock.Now(), srv.Client().Now())
}

func TestSuiteAndProviderReportWithTokenSource(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	ts := wecom.WithTokenSource(staticToken("TOKEN"))
	s := wecom.NewSuite("wwsuitets", "secret", srv.SuiteOptions(ts)...)
	_, err := s.AccessToken(t.Context())
	require.ErrorContains(t, err, "WithTokenSource")
	err = s.Corp("wwcorp").Get(t.Context(), ipPath, nil, nil)
	require.ErrorContains(t, err, "WithTokenSource")
	p := wecom.NewProvider("wwprovider", "secret", srv.ClientOptions(ts)...)
	err = p.Get(t.Context(), ipPath, nil, nil)
	require.ErrorContains(t, err, "NewProvider")
	assert.Empty(t, srv.Requests(), "nothing was sent")
}

func TestLimiterRefusalIsARateLimitErrorBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const path = ipPath
	// One call an hour: the second one's turn is about an hour away.
	c := srv.Client(wecom.WithRateLimit(path, wecom.Limit{PerHour: 1}))
	require.NoError(t, c.Get(t.Context(), path, nil, nil), "the first call goes out")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := c.Get(ctx, path, nil, nil)
	require.Error(t, err)
	assert.NoError(t, ctx.Err(), "refused before the deadline, without waiting for it")
	assert.True(t, wecom.IsRateLimited(err))
	assert.ErrorIs(t, err, wecom.ErrRateLimited)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "not a bare deadline before the deadline")
	assert.False(t, wecom.IsRetryable(err))
	var rl *wecom.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, path, rl.Path)
	assert.Greater(t, rl.Wait, 50*time.Minute)
	assert.Contains(t, err.Error(), path)
	assert.Equal(t, 1, srv.Count(path), "the refused call never reached WeCom")

	// A cancelled context is the context's error, not a rate limit.
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	err = c.Get(cctx, path, nil, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, wecom.IsRateLimited(err))
}

func TestLimiterWaitCancelledIsTheContextsError(t *testing.T) {
	t.Parallel()
	l := wecom.NewMemoryLimiter(wecom.Limit{PerHour: 1}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	require.NoError(t, l.Wait(ctx, "wwcorp", "/cgi-bin/x"))
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, "wwcorp", "/cgi-bin/x") }() // no deadline: waits for its turn
	cancel()
	err := <-done
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, wecom.IsRateLimited(err))
}

// deadlineLimiter answers like x/time/rate's Wait: a bare deadline error.
type deadlineLimiter struct{}

func (deadlineLimiter) Wait(context.Context, string, string) error { return context.DeadlineExceeded }

func TestClientTurnsABareLimiterDeadlineIntoARateLimitError(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client(wecom.WithLimiter(deadlineLimiter{}))
	err := c.Get(t.Context(), ipPath, nil, nil)
	var rl *wecom.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, ipPath, rl.Path)
	assert.True(t, wecom.IsRateLimited(err))
	assert.Zero(t, srv.Count(ipPath))
}

func TestWeComsRateLimitsMatchErrRateLimited(t *testing.T) {
	t.Parallel()
	for _, code := range []int{wecom.CodeFreqOutOfLimit, wecom.CodeMinuteQuota, wecom.CodeConcurrencyLimit} {
		err := fmtWrap(&wecom.Error{Code: code})
		assert.ErrorIs(t, err, wecom.ErrRateLimited, "errcode %d", code)
		assert.True(t, wecom.IsRateLimited(err), "errcode %d", code)
	}
	for _, code := range []int{wecom.CodeSystemBusy, wecom.CodeAPIForbidden, wecom.CodeInvalidParameter} {
		assert.False(t, wecom.IsRateLimited(&wecom.Error{Code: code}), "errcode %d", code)
	}
	assert.False(t, wecom.IsRateLimited(errors.New("other")))
	assert.False(t, wecom.IsRateLimited(nil))
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }
