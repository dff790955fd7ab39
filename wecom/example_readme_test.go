package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The tour of the core client in README.md.
func Example_tour() {
	srv := wecomtest.Start() // stands in for WeCom here
	defer srv.Close()
	ctx := context.Background()
	corpID, secret, opts := srv.CorpID, srv.Secret, srv.ClientOptions()

	c := wecom.New(corpID, secret, opts...) // one per (corp, app); safe for concurrent use

	tok, err := c.AccessToken(ctx) // cached; concurrent cold callers share one gettoken
	var out struct {
		IPList []string `json:"ip_list"`
	}
	err = c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &out) // any endpoint, raw

	var we *wecom.Error
	if errors.As(err, &we) {
		log.Printf("errcode %d on %s: %s", we.Code, we.Path, we.Msg)
	}
	fmt.Println(tok != "", out.IPList)
	// Output: true [192.0.2.10 192.0.2.11]
}

// The wecomtest snippet of README.md.
func TestREADMEFake(t *testing.T) {
	srv := wecomtest.NewServer(t)
	c := srv.Client()                   // a *wecom.Client wired to the fake
	srv.Corp(srv.CorpID).ExpireTokens() // next call sees 42001 and refreshes
	srv.Fail("/cgi-bin/externalcontact/list", wecomtest.Fault{Errcode: -1, Times: 2})
	srv.SetRateLimit("/cgi-bin/externalcontact/get", 100, time.Minute) // 45009 beyond it

	_, err := c.GetAPIDomainIPs(t.Context())
	require.NoError(t, err)
	n := srv.Corp(srv.CorpID).TokenFetches()
	require.Equal(t, 1, n, "%d token fetches", n)
}
