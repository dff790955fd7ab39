package wecom_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A resty client the application configured (timeout, middlewares, a
// proxy...) carries the SDK's calls. Its middlewares see no token: the SDK
// adds it below resty.
func ExampleWithRestyClient() {
	srv := wecomtest.Start() // the fake WeCom; leave WithBaseURL out for the real one
	defer srv.Close()
	ctx, corpID, secret := context.Background(), srv.CorpID, srv.Secret

	rc := resty.New().SetTimeout(10 * time.Second)
	rc.OnBeforeRequest(func(_ *resty.Client, r *resty.Request) error {
		u, _ := url.Parse(r.URL)
		fmt.Println(r.Method, u.Path, "token in sight:", u.Query().Has("access_token"))
		return nil
	})
	c := wecom.New(corpID, secret, wecom.WithRestyClient(rc), wecom.WithBaseURL(srv.URL))
	var out struct {
		IPList []string `json:"ip_list"`
	}
	if err := c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(out.IPList) > 0)
	// Output:
	// GET /cgi-bin/gettoken token in sight: false
	// GET /cgi-bin/get_api_domain_ip token in sight: false
	// true
}
