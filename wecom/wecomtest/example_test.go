package wecomtest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A test starts a Server with NewServer(t), which closes it when the test
// ends; a program, as here, with Start. The Server is the transport: its
// clients, faults and request log. The corp's world is on its handle.
func Example() {
	srv := wecomtest.Start()
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client() // a *wecom.Client for srv.CorpID, wired to the fake

	corp := srv.Corp(srv.CorpID)
	_ = corp.AddStaff("zhangsan", "lisi")
	var users struct {
		FollowUser []string `json:"follow_user"`
	}
	_ = c.Get(ctx, "/cgi-bin/externalcontact/get_follow_user_list", nil, &users)
	fmt.Println("members:", users.FollowUser)

	corp.ExpireTokens()                                                                     // the next call sees 42001 and fetches a new token
	srv.Fail("/cgi-bin/externalcontact/get_follow_user_list", wecomtest.Fault{Errcode: -1}) // once: the client retries
	err := c.Get(ctx, "/cgi-bin/externalcontact/get_follow_user_list", nil, &users)
	fmt.Println("err:", err)
	fmt.Println("gettoken:", corp.TokenFetches(), "calls:", srv.Count("externalcontact/get_follow_user_list"))
	// Output:
	// members: [zhangsan lisi]
	// err: <nil>
	// gettoken: 2 calls: 4
}

// serveCallback serves a callback URL on loopback for the examples, with
// the handlers register adds; it returns the URL and a function that stops
// it. The handler answers WeCom once the handlers ran, so what they print
// comes before the act returns.
func serveCallback(token, aesKey, receiveID string, register func(h *callback.Handler)) (string, func()) {
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(receiveID))
	if err != nil {
		fmt.Println(err)
		return "", func() {}
	}
	register(h)
	hs := httptest.NewServer(h)
	return hs.URL, func() {
		hs.Close()
		_ = h.Close(context.Background())
	}
}

// A customer scans a channel code: the corp's callback receives
// add_external_contact with the code's state and a welcome code.
func ExampleCorp_ScanContactWay() {
	srv := wecomtest.Start()
	defer srv.Close()
	ctx := context.Background()
	corp := srv.Corp(srv.CorpID)
	_ = corp.AddStaff("zhangsan")

	token, aesKey := "token", wecomtest.NewEncodingAESKey()
	url, stop := serveCallback(token, aesKey, srv.CorpID, func(h *callback.Handler) {
		h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
			fmt.Println("pushed: add_external_contact", ev.UserID, ev.State, ev.WelcomeCode != "")
			return nil
		})
	})
	defer stop()
	corp.SetCallback(url, token, aesKey) // the app's callback URL (接收事件服务器)

	// A contact way (联系我), made as the app makes it.
	var way struct {
		ConfigID string `json:"config_id"`
	}
	_ = srv.Client().Post(ctx, "/cgi-bin/externalcontact/add_contact_way",
		map[string]any{"type": 1, "scene": 2, "state": "spring-poster", "user": []string{"zhangsan"}}, &way)

	scan, err := corp.ScanContactWay(ctx, way.ConfigID, "") // a new WeChat user scans it
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("welcome code valid:", corp.Messages().WelcomeCode(scan.WelcomeCode) == wecomtest.WelcomeCodeValid)
	rel, _ := corp.Relation(scan.UserID, scan.ExternalUserID)
	fmt.Println("relation:", rel.UserID, rel.State)
	// Output:
	// pushed: add_external_contact zhangsan spring-poster true
	// welcome code valid: true
	// relation: zhangsan spring-poster
}

// A customer scans a group's join way (加入群聊): the corp's callback
// receives change_external_chat update/add_member.
func ExampleGroupChats_JoinViaJoinWay() {
	srv := wecomtest.Start()
	defer srv.Close()
	ctx := context.Background()
	corp := srv.Corp(srv.CorpID)
	_ = corp.AddStaff("zhangsan")
	groups := corp.GroupChats()
	chat, _ := groups.Create(ctx, wecomtest.GroupChatSpec{Owner: "zhangsan", Name: "Spring fair"}) // in the WeCom client

	token, aesKey := "token", wecomtest.NewEncodingAESKey()
	url, stop := serveCallback(token, aesKey, srv.CorpID, func(h *callback.Handler) {
		h.OnExternalChat(func(_ context.Context, ev *callback.ExternalChatEvent) error {
			fmt.Println("pushed: change_external_chat", ev.ChangeType, ev.UpdateDetail, len(ev.MemChangeList))
			return nil
		})
	})
	defer stop()
	corp.SetCallback(url, token, aesKey)

	var way struct {
		ConfigID string `json:"config_id"`
	}
	_ = srv.Client().Post(ctx, "/cgi-bin/externalcontact/groupchat/add_join_way",
		map[string]any{"scene": 2, "chat_id_list": []string{chat}, "state": "fair"}, &way)

	join, err := groups.JoinViaJoinWay(ctx, way.ConfigID, "") // a WeChat user scans the group code
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("joined:", join.ChatID == chat, join.State, len(groups.Members(chat)), "members")
	// Output:
	// pushed: change_external_chat update add_member 1
	// joined: true fair 2 members
}

// A mass send is sent only once its sender confirms it in the WeCom
// client; the test plays the confirmation.
func ExampleMessages_ConfirmMassSend() {
	srv := wecomtest.Start()
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client()
	corp := srv.Corp(srv.CorpID)
	customers, _ := corp.SeedCustomers(2, []string{"zhangsan"})

	var task struct {
		MsgID string `json:"msgid"`
	}
	_ = c.Post(ctx, "/cgi-bin/externalcontact/add_msg_template", map[string]any{
		"chat_type": "single", "sender": "zhangsan", "external_userid": customers,
		"text": map[string]string{"content": "Spring sale"}}, &task)

	_ = corp.Messages().ConfirmMassSend(task.MsgID, "zhangsan") // zhangsan taps "send"

	var res struct {
		SendList []struct {
			Status int `json:"status"`
		} `json:"send_list"`
	}
	_ = c.Post(ctx, "/cgi-bin/externalcontact/get_groupmsg_send_result",
		map[string]any{"msgid": task.MsgID, "userid": "zhangsan"}, &res)
	for _, r := range res.SendList {
		fmt.Println("status:", r.Status) // 1: sent
	}
	fmt.Println("mass sends received this month:", corp.Messages().MassSendsReceived(customers[0]))
	// Output:
	// status: 1
	// status: 1
	// mass sends received this month: 1
}

// A member resigns; their customers wait in get_unassigned_list until
// handed to another member, who takes them over 24 hours later (at once
// with CompleteTakeovers).
func ExampleCorp_ResignStaff() {
	srv := wecomtest.Start()
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client()
	corp := srv.Corp(srv.CorpID)
	_ = corp.AddStaff("zhangsan", "lisi")
	customers, _ := corp.SeedCustomers(2, []string{"zhangsan"})

	_ = corp.ResignStaff("zhangsan") // zhangsan leaves the corp

	var unassigned struct {
		Info []struct {
			ExternalUserID string `json:"external_userid"`
		} `json:"info"`
	}
	_ = c.Post(ctx, "/cgi-bin/externalcontact/get_unassigned_list", map[string]any{}, &unassigned)
	fmt.Println("unassigned:", len(unassigned.Info))
	_ = c.Post(ctx, "/cgi-bin/externalcontact/resigned/transfer_customer", map[string]any{
		"handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": customers}, nil)

	fmt.Println("taken over:", corp.CompleteTakeovers())
	fmt.Println("followers:", corp.Followers(customers[0]))
	// Output:
	// unassigned: 2
	// taken over: 2
	// followers: [lisi]
}

// An app template's command callback receives its tickets and installs.
func ExampleSuite_Install() {
	srv := wecomtest.Start()
	defer srv.Close()
	ctx := context.Background()
	const suiteID = "wwexamplesuite01"
	suite := srv.AddSuite(suiteID, "suite-secret")

	token, aesKey := "token", wecomtest.NewEncodingAESKey()
	url, stop := serveCallback(token, aesKey, suiteID, func(h *callback.Handler) {
		h.OnSuiteTicket(func(context.Context, *callback.SuiteTicketEvent) error {
			fmt.Println("pushed: suite_ticket")
			return nil
		})
		h.OnCreateAuth(func(_ context.Context, ev *callback.CreateAuthEvent) error {
			fmt.Println("pushed: create_auth", ev.State)
			return nil
		})
		h.OnCancelAuth(func(_ context.Context, ev *callback.CancelAuthEvent) error {
			fmt.Println("pushed: cancel_auth", ev.AuthCorpID)
			return nil
		})
	})
	defer stop()
	suite.SetCallback(url, token, aesKey) // the command callback URL (指令回调)

	ticket, _ := suite.PushNewTicket(ctx)                           // WeCom's push, every 10 minutes
	authCode, _ := suite.Install(ctx, "wwexamplecorp01", "from-qr") // an admin installs the app
	app := wecom.NewSuite(suiteID, "suite-secret", srv.SuiteOptions()...)
	fmt.Println("ticket accepted:", app.SetTicket(ctx, ticket) == nil, "auth code:", authCode != "")
	_ = suite.Uninstall(ctx, "wwexamplecorp01")
	// Output:
	// pushed: suite_ticket
	// pushed: create_auth from-qr
	// ticket accepted: true auth code: true
	// pushed: cancel_auth wwexamplecorp01
}

// A Pusher plays WeCom's side of any callback URL, without a Server: it
// encrypts the decrypted XML WeCom would send, signs it, POSTs it and
// re-sends as WeCom does.
func ExampleNewPusher() {
	const corpID = "wwexamplecorp02"
	token, aesKey := "token", wecomtest.NewEncodingAESKey()
	url, stop := serveCallback(token, aesKey, corpID, func(h *callback.Handler) {
		h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
			fmt.Println("handled:", ev.ExternalUserID, ev.State, ev.WelcomeCode)
			return nil
		})
	})
	defer stop()

	p := wecomtest.NewPusher(url, token, aesKey, corpID)
	res, err := p.Push(context.Background(),
		wecomtest.AddExternalContactXML(corpID, "zhangsan", "wmEXAMPLE", "channel-a", "WELCOME", time.Now()))
	fmt.Println("delivered:", err == nil, res.Status(), len(res.Attempts), "attempt")
	// Output:
	// handled: wmEXAMPLE channel-a WELCOME
	// delivered: true 200 1 attempt
}
