package wecom_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestProviderToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	srv.AddProvider("wwprovider01", "provider-secret")
	p := wecom.NewProvider("wwprovider01", "provider-secret", srv.ClientOptions()...)
	if p.CorpID() != "wwprovider01" {
		t.Fatal("wrong corp id")
	}
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
			if err != nil || out.OpenCorpID == "" {
				t.Errorf("provider call: %q, %v", out.OpenCorpID, err)
			}
		}()
	}
	wg.Wait()
	if n := srv.Count("/cgi-bin/service/get_provider_token"); n != 1 {
		t.Fatalf("get_provider_token called %d times, want 1", n)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/cgi-bin/service/corpid_to_opencorpid" && (r.Query.Get("provider_access_token") == "" || r.Query.Has("access_token")) {
			t.Fatalf("provider call carried the wrong token parameter: %v", r.Query)
		}
	}

	bad := wecom.NewProvider("wwprovider01", "bad-provider-secret-xyz", srv.ClientOptions()...)
	_, err := bad.AccessToken(ctx)
	if !wecom.IsInvalidSecret(err) || strings.Contains(err.Error(), "bad-provider-secret-xyz") {
		t.Fatalf("bad provider secret: %v", err)
	}
}
