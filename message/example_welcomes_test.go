package message_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Welcome messages by rules: the channel's, else the member's, else a
// default, sent with the event's WelcomeCode inside its 20 seconds on the
// Welcomes' own goroutines, so that the callback is answered at once.
func ExampleWelcomes() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan")
	c := srv.Client()
	store := wecom.NewMemoryStore()
	contacts := contact.New(c)
	channels, _ := contact.NewChannels(contacts, store, contact.ChannelTemplate{})
	code, _ := channels.Ensure(ctx, contact.Channel{Name: "spring-poster", Users: []string{"zhangsan"}})
	token, aesKey := "callbackToken", wecomtest.NewEncodingAESKey()
	h, _ := callback.NewHandler(token, aesKey, callback.WithReceiverID(srv.CorpID))
	defer h.Close(ctx)
	done := make(chan *message.WelcomeResult, 1)
	cover := wecom.MediaFromBytes("spring.png", []byte("\x89PNG..."))

	welcomes, err := message.NewWelcomes(message.New(c), message.WelcomeRules{
		Channels: map[string]*message.Welcome{"spring-poster": {
			Text:        "Hi %NICKNAME%, thanks for scanning our spring poster!", // the name is filled in by Welcomes
			Attachments: []message.Attachment{message.ImageUpload(cover)},        // uploaded once, again before it expires
		}},
		Users:   map[string]*message.Welcome{"lisi": {Text: "I'm Lisi, ask me anything"}},
		Default: &message.Welcome{Text: "Welcome!"},
	},
		message.WithChannelResolver(channels), // contact.Channels, acquisition.Channels
		message.WithNameSource(contacts),      // %NICKNAME%: the customer's name, read by contact.Service
		message.WithResultHook(func(ctx context.Context, res *message.WelcomeResult) {
			done <- res // sent, or why not: no code, expired, used, another app, failed
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer welcomes.Close(ctx) // waits for the welcomes in flight
	_ = welcomes.Prepare(ctx) // upload now, not inside a code's 20 seconds
	welcomes.Register(h)      // in any order: the Handler runs both at once
	channels.Register(h)

	hs := httptest.NewServer(h)
	defer hs.Close()
	scan, _ := srv.Corp(srv.CorpID).SetCallback(hs.URL, token, aesKey).ScanContactWay(ctx, code.ConfigID, "")
	res := <-done
	fmt.Println(res.Outcome, "by the", res.Rule, "rule of", res.Channel, "to the scanner:", res.ExternalUserID == scan.ExternalUserID)
	fmt.Println("attachments:", srv.Corp(srv.CorpID).Messages().WelcomesSent()[0].Attachments)
	// Output:
	// sent by the channel rule of spring-poster to the scanner: true
	// attachments: [image]
}
