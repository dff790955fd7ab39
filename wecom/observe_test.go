package wecom_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// recorder is an Observer keeping what it saw.
type recorder struct {
	mu       sync.Mutex
	starts   []wecom.CallInfo
	attempts []wecom.AttemptInfo
	ends     []wecom.CallEndInfo
	tokens   []wecom.TokenFetchInfo
	waits    []wecom.LimiterWaitInfo
}

type spanKey struct{}

func (r *recorder) CallStart(ctx context.Context, c wecom.CallInfo) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, c)
	return context.WithValue(ctx, spanKey{}, c.Path)
}

func (r *recorder) CallAttempt(ctx context.Context, a wecom.AttemptInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Value(spanKey{}) != a.Path {
		panic("CallAttempt did not get CallStart's context")
	}
	r.attempts = append(r.attempts, a)
}

func (r *recorder) CallEnd(ctx context.Context, e wecom.CallEndInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Value(spanKey{}) != e.Path {
		panic("CallEnd did not get CallStart's context")
	}
	r.ends = append(r.ends, e)
}

func (r *recorder) TokenFetch(_ context.Context, f wecom.TokenFetchInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tokens = append(r.tokens, f)
}

func (r *recorder) LimiterWait(_ context.Context, w wecom.LimiterWaitInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, w)
}

func (r *recorder) endsFor(path string) []wecom.CallEndInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wecom.CallEndInfo
	for _, e := range r.ends {
		if e.Path == path {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) attemptsFor(path string) []wecom.AttemptInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wecom.AttemptInfo
	for _, a := range r.attempts {
		if a.Path == path {
			out = append(out, a)
		}
	}
	return out
}

func (r *recorder) tokenReasons() []wecom.FetchReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wecom.FetchReason
	for _, f := range r.tokens {
		out = append(out, f.Reason)
	}
	return out
}

const ipPathObs = "/cgi-bin/get_api_domain_ip"

func TestObserverSeesCallsAttemptsAndRetries(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	rec := &recorder{}
	c := srv.Client(wecom.WithObserver(rec))
	ctx := t.Context()

	// A read that fails once with -1 (retried) and then succeeds.
	srv.Fail(ipPathObs, wecomtest.Fault{Errcode: -1})
	require.NoError(t, c.Get(ctx, ipPathObs, nil, nil))
	ends := rec.endsFor(ipPathObs)
	require.Len(t, ends, 1)
	assert.Equal(t, 2, ends[0].Attempts)
	assert.Equal(t, 200, ends[0].StatusCode)
	assert.Zero(t, ends[0].ErrCode)
	assert.NoError(t, ends[0].Err)
	assert.Equal(t, wecom.OpRead, ends[0].Op)
	assert.Equal(t, srv.CorpID, ends[0].CorpID)
	assert.Positive(t, ends[0].Duration)
	atts := rec.attemptsFor(ipPathObs)
	require.Len(t, atts, 2)
	assert.Equal(t, 1, atts[0].Attempt)
	assert.Equal(t, wecom.CodeSystemBusy, atts[0].ErrCode)
	assert.Equal(t, wecom.RetrySystemBusy, atts[0].Retry)
	assert.Positive(t, atts[0].RetryWait)
	assert.Equal(t, 2, atts[1].Attempt)
	assert.Equal(t, wecom.RetryNone, atts[1].Retry)
	assert.NoError(t, atts[1].Err)

	// The token was fetched once, cold, through gettoken (itself a call).
	require.Equal(t, []wecom.FetchReason{wecom.FetchCold}, rec.tokenReasons())
	assert.Equal(t, wecom.TokenCorp, rec.tokens[0].Kind)
	assert.Equal(t, srv.CorpID, rec.tokens[0].ID)
	assert.False(t, rec.tokens[0].FromStore)
	require.Len(t, rec.endsFor("/cgi-bin/gettoken"), 1)

	// A token WeCom rejects: one attempt, a rejected fetch, one more.
	srv.Corp(srv.CorpID).RevokeTokens()
	require.NoError(t, c.Get(ctx, ipPathObs, nil, nil))
	atts = rec.attemptsFor(ipPathObs)[2:]
	require.Len(t, atts, 2)
	assert.Equal(t, wecom.RetryTokenRejected, atts[0].Retry)
	assert.Equal(t, []wecom.FetchReason{wecom.FetchCold, wecom.FetchRejected}, rec.tokenReasons())

	// A write that fails with an errcode: one attempt, the errcode at the end.
	err := c.Post(ctx, "/cgi-bin/media/uploadimg", struct{}{}, nil)
	require.Error(t, err)
	ends = rec.endsFor("/cgi-bin/media/uploadimg")
	require.Len(t, ends, 1)
	assert.Equal(t, wecom.OpWrite, ends[0].Op)
	assert.Equal(t, wecom.ErrorCode(err), ends[0].ErrCode)
	assert.Equal(t, err, ends[0].Err)
	assert.Equal(t, 1, ends[0].Attempts)

	// Every attempt took its turn at the limiter first.
	rec.mu.Lock()
	waits, attempts := len(rec.waits), len(rec.attempts)
	rec.mu.Unlock()
	assert.Equal(t, attempts, waits)
}

func TestObserverSeesLimiterRefusals(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	rec := &recorder{}
	c := srv.Client(wecom.WithObserver(rec), wecom.WithRateLimit(ipPathObs, wecom.Limit{PerMinute: 1}))
	ctx := t.Context()
	require.NoError(t, c.Get(ctx, ipPathObs, nil, nil))
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := c.Get(short, ipPathObs, nil, nil)
	require.True(t, wecom.IsRateLimited(err))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var waits []wecom.LimiterWaitInfo
	for _, w := range rec.waits {
		if w.Path == ipPathObs {
			waits = append(waits, w)
		}
	}
	require.Len(t, waits, 2)
	assert.NoError(t, waits[0].Err)
	assert.True(t, wecom.IsRateLimited(waits[1].Err))
	var ends []wecom.CallEndInfo
	for _, e := range rec.ends {
		if e.Path == ipPathObs {
			ends = append(ends, e)
		}
	}
	require.Len(t, ends, 2)
	assert.Zero(t, ends[1].Attempts, "refused before any attempt")
	assert.True(t, wecom.IsRateLimited(ends[1].Err))
}

func TestObserverSeesTokenFetchReasons(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := wecomtest.NewServer(t)
	rec := &recorder{}
	store := wecom.NewMemoryStore()
	c := srv.Client(wecom.WithObserver(rec), wecom.WithClock(clock.Now), wecom.WithStore(store))
	ctx := t.Context()
	_, err := c.AccessToken(ctx)
	require.NoError(t, err)
	// Past its two hours: expired.
	clock.Advance(2*time.Hour + time.Minute)
	_, err = c.AccessToken(ctx)
	require.NoError(t, err)
	// Four minutes before the end: refreshed in the background.
	clock.Advance(2*time.Hour - 4*time.Minute)
	_, err = c.AccessToken(ctx)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rec.tokenReasons()) == 3 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []wecom.FetchReason{wecom.FetchCold, wecom.FetchExpired, wecom.FetchRefreshAhead}, rec.tokenReasons())

	// Another client on the same Store finds the token there.
	other := &recorder{}
	c2 := srv.Client(wecom.WithObserver(other), wecom.WithClock(clock.Now), wecom.WithStore(store))
	_, err = c2.AccessToken(ctx)
	require.NoError(t, err)
	require.Len(t, other.tokens, 1)
	assert.True(t, other.tokens[0].FromStore)
}

func TestObserverSeesSuiteAndProviderTokens(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	ctx := t.Context()
	rec := &recorder{}
	const suiteID, corpID = "wwsuiteobserve01", "wwcorpobserve01"
	srv.AddSuite(suiteID, "suite-secret")
	s := wecom.NewSuite(suiteID, "suite-secret", srv.SuiteOptions(wecom.WithObserver(rec))...)
	require.NoError(t, s.SetTicket(ctx, srv.Suite(suiteID).IssueTicket()))
	code, err := srv.Suite(suiteID).Install(ctx, corpID, "")
	require.NoError(t, err)
	_, err = s.HandleCreateAuth(ctx, code)
	require.NoError(t, err)
	require.NoError(t, s.Corp(corpID).Get(ctx, ipPathObs, nil, nil))
	srv.AddProvider("wwproviderobs01", "provider-secret")
	_, err = wecom.NewProvider("wwproviderobs01", "provider-secret", srv.ClientOptions(wecom.WithObserver(rec))...).AccessToken(ctx)
	require.NoError(t, err)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var got []string
	for _, f := range rec.tokens {
		got = append(got, string(f.Kind)+":"+f.ID+":"+f.SuiteID)
	}
	assert.Equal(t, []string{"suite:" + suiteID + ":", "corp:" + corpID + ":" + suiteID, "provider:wwproviderobs01:"}, got)
}

// constantTransport answers every request in process with the same bytes:
// no network, so allocation counts are the client's own.
type constantTransport struct{ body string }

func (c constantTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: req}, nil
}

// TestObserverOffAllocations checks that observing costs no allocation:
// a call with no Observer allocates no more than one with NopObserver, which
// receives every observation (so the observations themselves allocate
// nothing, and without an Observer none is made). AllocsPerRun needs the
// test to run alone, so it is not parallel.
func TestObserverOffAllocations(t *testing.T) {
	measure := func(opts ...wecom.Option) float64 {
		rc := resty.New().SetTransport(constantTransport{`{"errcode":0,"errmsg":"ok","ip_list":["1.1.1.1"]}`})
		c := wecom.New("wwcorp", "secret", append([]wecom.Option{wecom.WithBaseURL(mockBase), wecom.WithRestyClient(rc),
			wecom.WithTokenSource(staticToken("tok")), wecom.WithRateLimit(ipPathObs, wecom.Limit{})}, opts...)...)
		ctx := context.Background()
		var out struct {
			IPList []string `json:"ip_list"`
		}
		require.NoError(t, c.Get(ctx, ipPathObs, nil, &out))
		return testing.AllocsPerRun(200, func() {
			if err := c.Get(ctx, ipPathObs, nil, &out); err != nil {
				t.Fatal(err)
			}
		})
	}
	off := measure()
	nop := measure(wecom.WithObserver(wecom.NopObserver{}))
	assert.Equal(t, off, nop, "allocations per call: %v without an Observer, %v with NopObserver", off, nop)
}

// BenchmarkObserverOff is one call answered in process (no network), with
// no Observer and with NopObserver: the allocations per call are the same.
//
//	go test -run '^$' -bench ObserverOff -benchmem ./wecom/
func BenchmarkObserverOff(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []wecom.Option
	}{{"none", nil}, {"nop", []wecom.Option{wecom.WithObserver(wecom.NopObserver{})}}} {
		b.Run(bc.name, func(b *testing.B) {
			rc := resty.New().SetTransport(constantTransport{`{"errcode":0,"errmsg":"ok","ip_list":["1.1.1.1"]}`})
			c := wecom.New("wwcorp", "secret", append([]wecom.Option{wecom.WithBaseURL(mockBase), wecom.WithRestyClient(rc),
				wecom.WithTokenSource(staticToken("tok")), wecom.WithRateLimit(ipPathObs, wecom.Limit{})}, bc.opts...)...)
			ctx := b.Context()
			var out struct {
				IPList []string `json:"ip_list"`
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Get(ctx, ipPathObs, nil, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
