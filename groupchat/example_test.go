package groupchat_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A group channel code (加入群聊 with a state) fills groups and opens new
// ones; the Tracker, fed by change_external_chat callbacks, answers who
// came through it and into which group; a resigned owner's groups are
// handed over.
func Example() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi")
	srv.Corp(srv.CorpID).GroupChats().SetCapacity(3) // tiny groups, to see new ones open
	first, _ := srv.Corp(srv.CorpID).GroupChats().Create(ctx, wecomtest.GroupChatSpec{Owner: "zhangsan", Name: "Fans1"})

	// the callback URL, with a Tracker on it
	token, aesKey := "token", wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(srv.CorpID))
	if err != nil {
		fmt.Println(err)
		return
	}
	cb := httptest.NewServer(h)
	defer cb.Close()
	srv.Corp(srv.CorpID).SetCallback(cb.URL, token, aesKey)

	c := srv.Client()
	svc := groupchat.New(c)
	tracker := groupchat.NewTracker(svc)
	tracker.Register(h) // every change_external_chat event keeps the member lists current
	configID, err := svc.AddJoinWay(ctx, &groupchat.AddJoinWayRequest{
		Scene:        groupchat.SceneQRCode,
		ChatIDList:   []string{first},
		RoomBaseName: "Fans", RoomBaseID: 2, // when full, WeCom opens Fans2, Fans3, ...
		State: "spring-fair",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 4 {
		_, _ = srv.Corp(srv.CorpID).GroupChats().JoinViaJoinWay(ctx, configID, "") // a customer scans the code
	}

	joins, err := tracker.Joins(ctx, "spring-fair") // who joined which group through it
	if err != nil {
		fmt.Println(err)
		return
	}
	var groups []*groupchat.TrackedChat
	for _, j := range joins {
		if chat, _ := tracker.Chat(ctx, j.ChatID); !slices.ContainsFunc(groups, func(g *groupchat.TrackedChat) bool { return g.ChatID == chat.ChatID }) {
			groups = append(groups, chat)
		}
	}
	slices.SortFunc(groups, func(a, b *groupchat.TrackedChat) int { return strings.Compare(a.Name, b.Name) })
	var ids []string
	for _, chat := range groups {
		fmt.Printf("%s: %d members, owner %s\n", chat.Name, len(chat.Members), chat.Owner)
		ids = append(ids, chat.ChatID)
	}

	// zhangsan resigns; the groups go to lisi
	_ = srv.Corp(srv.CorpID).ResignStaff("zhangsan")
	res, err := svc.TransferMany(ctx, &groupchat.TransferRequest{ChatIDList: ids, NewOwner: "lisi"}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		if r.Err != nil {
			fmt.Println(r.Item, r.Err) // per group: WeCom's errcode, or an unknown outcome
		}
	}
	_ = srv.Corp(srv.CorpID).GroupChats().DeliverEvents(ctx)
	chat, _ := tracker.Chat(ctx, ids[0])
	fmt.Println("inherited:", len(res), "groups; owner now", chat.Owner)
	// Output:
	// Fans1: 3 members, owner zhangsan
	// Fans2: 3 members, owner zhangsan
	// inherited: 2 groups; owner now lisi
}
