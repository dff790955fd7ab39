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

// BenchmarkAccessTokenWarm measures the cost of a call's token lookup once
// the token is cached: the path every API call takes.
func BenchmarkAccessTokenWarm(b *testing.B) {
	srv := wecomtest.NewServer(b)
	c := srv.Client()
	ctx := b.Context()
	_, err := c.AccessToken(ctx)
	require.NoError(b, err)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.AccessToken(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetRoundTrip is one Get against wecomtest over loopback HTTP:
// limiter, token, request, JSON decoding of the answer. The path's limit is
// lifted (a zero Limit) so that the benchmark measures the client, not
// WeCom's 10,000 calls a minute, which the default limiter would enforce.
func BenchmarkGetRoundTrip(b *testing.B) {
	srv := wecomtest.NewServer(b)
	c := srv.Client(wecom.WithRateLimit("/cgi-bin/get_api_domain_ip", wecom.Limit{}))
	ctx := b.Context()
	var out struct {
		IPList []string `json:"ip_list"`
	}
	require.NoError(b, c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &out))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSuiteCorpCached(b *testing.B) {
	srv, s := suiteEnv(b, testSuiteID)
	installCorp(b, srv, s, "wwcorpA")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if s.Corp("wwcorpA") == nil {
				b.Fatal("nil client")
			}
		}
	})
}

// BenchmarkSuiteCorpCall measures one corp call against the fake over
// loopback, without the client-side rate limiter (which, at WeCom's
// 10,000/min per API, would dominate after its burst).
func BenchmarkSuiteCorpCall(b *testing.B) {
	srv, s := suiteEnv(b, testSuiteID, wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil)))
	installCorp(b, srv, s, "wwcorpA")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Corp("wwcorpA").GetCallbackIPs(ctx); err != nil {
			b.Fatal(err)
		}
	}
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
