package wecom_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func Example() {
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	ips, err := c.GetAPIDomainIPs(ctx)
	fmt.Println(ips, err)

	// A WeCom error answer is a *wecom.Error.
	srv.Fail("/cgi-bin/get_api_domain_ip", wecomtest.Fault{Errcode: 60020, Errmsg: "not allow to access from your ip"})
	_, err = c.GetAPIDomainIPs(ctx)
	var we *wecom.Error
	if errors.As(err, &we) {
		fmt.Println(we.Code, we.Path)
	}
	// Output:
	// [192.0.2.10 192.0.2.11] <nil>
	// 60020 /cgi-bin/get_api_domain_ip
}

func ExamplePaginate() {
	pages := map[string][]string{"": {"a", "b"}, "p2": {"c"}}
	next := map[string]string{"": "p2"}
	fetch := func(_ context.Context, cursor string) ([]string, string, error) {
		return pages[cursor], next[cursor], nil
	}
	for v, err := range wecom.Paginate(context.Background(), "", fetch) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output: a b c
}

// A Suite takes every Option of a Client (they apply to the suite's calls and
// to the clients of its corps) and the suite-only settings. wecom.New takes
// no suite-only setting: wecom.New(corpID, secret, wecom.WithProviderCorpID(id))
// does not compile.
func ExampleNewSuite() {
	store := wecom.NewMemoryStore() // give every instance the same shared Store (redisstore)
	suite := wecom.NewSuite("wwsuiteid", "suite-secret",
		wecom.WithStore(store),
		wecom.WithProviderCorpID("wwprovidercorp"),
		wecom.WithMaxCorpClients(10_000))
	fmt.Println(suite.Kind(), suite.ProviderCorpID())
	// Output: third-party wwprovidercorp
}
