package groupchat_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Group channel codes (群活码): one join way per channel, and the Tracker
// telling which channel each joiner came through.
func ExampleChannels() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan")
	chat, _ := srv.Corp(srv.CorpID).GroupChats().Create(ctx, wecomtest.GroupChatSpec{Owner: "zhangsan", Name: "Fans1"})
	token, aesKey := "callbackToken", wecomtest.NewEncodingAESKey()
	h, _ := callback.NewHandler(token, aesKey, callback.WithReceiverID(srv.CorpID))
	defer h.Close(ctx)

	svc := groupchat.New(srv.Client())
	channels, err := groupchat.NewChannels(svc, wecom.NewMemoryStore(), groupchat.NewTracker(svc), groupchat.ChannelTemplate{})
	if err != nil {
		fmt.Println(err)
		return
	}
	code, err := channels.Ensure(ctx, groupchat.Channel{
		Name:         "spring-fair",
		ChatIDs:      []string{chat},
		RoomBaseName: "Fans", RoomBaseID: 2, // when full, WeCom opens Fans2, Fans3, ...
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	channels.OnJoin(func(ctx context.Context, j *groupchat.ChannelJoin) {
		fmt.Println("joined", j.ChatID == chat, "through", j.Code.Name)
	})
	channels.Register(h) // in place of Tracker.Register: the tracker, then the joiners' channels

	hs := httptest.NewServer(h)
	defer hs.Close()
	cb := srv.Corp(srv.CorpID).SetCallback(hs.URL, token, aesKey)
	_, _ = cb.GroupChats().JoinViaJoinWay(ctx, code.ConfigID, "") // a WeChat user scans the group code
	joins, _ := channels.Joins(ctx, "spring-fair")
	fmt.Println("joiners tracked:", len(joins))
	// Output:
	// joined true through spring-fair
	// joiners tracked: 1
}
