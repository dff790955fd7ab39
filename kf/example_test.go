package kf_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// answerCustomers wires WeChat customer service into an app: every
// customer message arrives once through the callback h, entering customers
// are welcomed with a menu, and texts are answered inside the send window.
func answerCustomers(c *wecom.Client, h *callback.Handler) (*kf.Inbox, error) {
	var inbox *kf.Inbox
	handle := func(ctx context.Context, m *kf.Message) error {
		if m.Origin != kf.OriginCustomer || m.Text == nil {
			return nil // events, servicers' messages, other kinds: store them, count them...
		}
		reply := "Order 1024 ships tomorrow."
		if m.Text.MenuID == "human" {
			reply = "A colleague will be with you shortly."
		}
		_, err := inbox.SendMsg(ctx, &kf.SendMsgRequest{OpenKfID: m.OpenKfID, ToUser: m.ExternalUserID,
			Text: &kf.Text{Content: reply}})
		return err
	}
	welcome := func(ctx context.Context, m *kf.Message) (*kf.EventReply, error) {
		return &kf.EventReply{Menu: &kf.Menu{HeadContent: "Hello! How can we help?",
			List: []kf.MenuItem{kf.ClickItem("order", "Where is my order?"), kf.ClickItem("human", "Talk to a person")}}}, nil
	}
	inbox, err := kf.NewInbox(kf.New(c), handle, kf.WithWelcome(welcome))
	if err != nil {
		return nil, err
	}
	inbox.Register(h)
	return inbox, nil
}

func ExampleInbox() {
	ctx := context.Background()
	srv := wecomtest.Start() // the fake WeCom plays the customer
	defer srv.Close()
	h, _ := callback.NewHandler("token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", callback.WithReceiverID(srv.CorpID))
	hs := httptest.NewServer(h)
	defer hs.Close()
	srv.Corp(srv.CorpID).SetCallback(hs.URL, "token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")

	c := srv.Client()
	if _, err := answerCustomers(c, h); err != nil {
		fmt.Println(err)
		return
	}
	fake := srv.Corp(srv.CorpID).KF()
	account, _ := fake.AddAccountInAdmin("Support")
	link, _ := kf.New(c).AddContactWay(ctx, &kf.AddContactWayRequest{OpenKfID: account, Scene: "homepage"})
	entry, _ := fake.OpenLink(ctx, link, "")
	_, _ = fake.Write(ctx, account, entry.ExternalUserID, wecomtest.KFMenuReply("order", "Where is my order?"))
	for _, m := range fake.Sent(account, entry.ExternalUserID) {
		if m.Code == "welcome" {
			fmt.Println("welcome:", m.MsgType)
			continue
		}
		fmt.Println("reply:", m.Text())
	}
	// Output:
	// welcome: msgmenu
	// reply: Order 1024 ships tomorrow.
}
