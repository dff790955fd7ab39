package wecom_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// unlimitedCorpTokens lifts the client-side limit of get_corp_token, which
// the suite's own client calls once per corp: at the default 10,000 calls a
// minute, 10,000 first calls would (rightly) take a minute.
var unlimitedCorpTokens = wecom.WithRateLimit("/cgi-bin/service/get_corp_token", wecom.Limit{})

// authorizeCorps authorizes n corps in the fake and gives their permanent
// codes to s.
func authorizeCorps(tb testing.TB, srv *wecomtest.Server, s *wecom.Suite, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("wwscale%05d", i)
		code := srv.Suite(s.ID()).Authorize(ids[i])
		require.NotEmpty(tb, code)
		require.NoError(tb, s.SetPermanentCode(context.Background(), ids[i], code))
	}
	return ids
}

// A process serving 10,000 authorized corps: the first call of each makes
// one get_corp_token, all of them share one get_suite_token, and with the
// client cache bounded below 10,000, evicted corps come back without a
// second token fetch while their token is valid in the Store.
func TestSuiteTenThousandCorps(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 2_000
	}
	srv, s := suiteEnv(t, testSuiteID, wecom.WithMaxCorpClients(n/10), unlimitedCorpTokens)
	ids := authorizeCorps(t, srv, s, n)
	srv.ResetRequests()
	ctx := context.Background()
	for _, id := range ids {
		_, err := s.Corp(id).AccessToken(ctx)
		require.NoError(t, err, id)
	}
	require.Equal(t, 1, srv.Suite(testSuiteID).TokenFetches())
	require.Equal(t, n, srv.Count("/cgi-bin/service/get_corp_token"))

	// Nine in ten clients were evicted; their tokens live on in the Store.
	for _, id := range ids {
		_, err := s.Corp(id).AccessToken(ctx)
		require.NoError(t, err, id)
	}
	require.Equal(t, n, srv.Count("/cgi-bin/service/get_corp_token"), "an eviction caused a second token fetch")
	require.Equal(t, 1, srv.Suite(testSuiteID).TokenFetches())
}

// BenchmarkSuiteCorpClients reports the heap of a process that made one
// call for each of 10,000 corps, with the client cache holding all of them
// and bounded at 1,000: the bound keeps the clients' share flat however
// many corps there are; tokens stay in the Store either way.
func BenchmarkSuiteCorpClients(b *testing.B) {
	const n = 10_000
	for _, bound := range []int{n, 1_000} {
		b.Run(fmt.Sprintf("bound=%d", bound), func(b *testing.B) {
			for range b.N {
				srv, s := suiteEnv(b, testSuiteID, wecom.WithMaxCorpClients(bound), unlimitedCorpTokens)
				ids := authorizeCorps(b, srv, s, n)
				ctx := context.Background()
				heap := func() uint64 {
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					return ms.HeapAlloc
				}
				before := heap()
				for _, id := range ids {
					if _, err := s.Corp(id).AccessToken(ctx); err != nil {
						b.Fatal(err)
					}
				}
				srv.ResetRequests() // the fake's request log is not the SDK's memory
				after := heap()
				// The difference between the two bounds, over the 9,000
				// clients it caches more, is the heap of one cached client;
				// the rest is per corp whatever the bound (its token in the
				// Store, its limiter buckets).
				b.ReportMetric(float64(after-before)/float64(n), "B/corp")
				b.ReportMetric(float64(after-before)/(1<<20), "MB-total")
				runtime.KeepAlive(s)
			}
		})
	}
}
