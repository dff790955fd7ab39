package wecom_test

import (
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
