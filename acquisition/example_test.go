package acquisition_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// One acquisition link per marketing channel: Channels creates each link
// once (the mapping lives in a Store every instance shares) and resolves
// the State a customer comes back with to the channel.
func Example() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi")
	_, _ = srv.Corp(srv.CorpID).Acquisition().GrantQuota(ctx, 100, time.Now().AddDate(0, 3, 0))

	svc := acquisition.New(srv.Client())
	channels, err := acquisition.NewChannels(svc, wecom.NewMemoryStore(), acquisition.ChannelTemplate{
		Range: acquisition.Range{UserList: []string{"zhangsan", "lisi"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	link, err := channels.Ensure(ctx, acquisition.Channel{Name: "douyin-ad-7"}) // created once, then found
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("publish:", strings.Contains(link.URL, "customer_channel="+link.State)) // the link URL + its state

	tap, _ := srv.Corp(srv.CorpID).Acquisition().TapLink(ctx, link.LinkID, link.State) // a WeChat user taps it
	channel, _, _ := channels.Resolve(ctx, tap.State)                                  // the add_external_contact State
	fmt.Println("new customer from:", channel)

	for c, err := range channels.Customers(ctx, "douyin-ad-7") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("taken by:", c.UserID, "chat:", c.ChatStatus)
	}
	q, _ := svc.GetQuota(ctx)
	fmt.Println("quota left:", q.Balance)
	// Output:
	// publish: true
	// new customer from: douyin-ad-7
	// taken by: zhangsan chat: not started
	// quota left: 99
}
