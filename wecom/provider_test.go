package wecom_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestProviderToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	srv.AddProvider("wwprovider01", "provider-secret")
	p := wecom.NewProvider("wwprovider01", "provider-secret", srv.ClientOptions()...)
	require.Equal(t, "wwprovider01", p.CorpID(), "wrong corp id")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct {
				OpenCorpID string `json:"open_corpid"`
			}
			err := p.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/service/corpid_to_opencorpid",
				Body: map[string]string{"corpid": "wwplain"}, Out: &out, Op: wecom.OpRead})
			if assert.NoError(t, err, "provider call") {
				assert.NotEmpty(t, out.OpenCorpID, "provider call")
			}
		}()
	}
	wg.Wait()
	n := srv.Count("/cgi-bin/service/get_provider_token")
	require.Equal(t, 1, n, "get_provider_token called %d times, want 1", n)
	for _, r := range srv.Requests() {
		require.False(t, r.Path == "/cgi-bin/service/corpid_to_opencorpid" && (r.Query.Get("provider_access_token") == "" || r.Query.Has("access_token")), "provider call carried the wrong token parameter: %v", r.Query)
	}

	bad := wecom.NewProvider("wwprovider01", "bad-provider-secret-xyz", srv.ClientOptions()...)
	_, err := bad.AccessToken(ctx)
	require.True(t, wecom.IsInvalidSecret(err), "bad provider secret: %v", err)
	require.NotContains(t, err.Error(), "bad-provider-secret-xyz", "bad provider secret: %v", err)
}
