package contact_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Tags as data: the groups and tags the application needs, applied at
// every start. What exists is kept, what is missing is created, and the
// ids come back by name.
func ExampleService_ApplyTaxonomy() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	contacts := contact.New(srv.Client())

	for range 2 { // a restart applies it again: nothing is created twice
		tags, err := contacts.ApplyTaxonomy(ctx, &contact.ApplyTaxonomyRequest{
			Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{
				{Name: "来源", Tags: []string{"海报", "抖音"}},
				{Name: "意向", Tags: []string{"高", "低"}},
			}},
			Prune: false, // true deletes the tags and groups not listed
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		poster, _ := tags.TagID("来源", "海报")
		fmt.Println("created:", len(tags.Created), "poster tag id known:", poster != "")
	}
	// Output:
	// created: 4 poster tag id known: true
	// created: 0 poster tag id known: true
}

// Channel codes (渠道活码): one contact way per channel, its state derived
// from the channel and mapped back through the Store; a customer who scans
// it gets the channel's tags and remark.
func ExampleChannels() {
	ctx := context.Background()
	srv := wecomtest.Start()
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi")
	contacts := contact.New(srv.Client())
	tags, _ := contacts.ApplyTaxonomy(ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "来源", Tags: []string{"海报"}}}}})
	posterTag, _ := tags.TagID("来源", "海报")
	token, aesKey := "callbackToken", wecomtest.NewEncodingAESKey()
	h, _ := callback.NewHandler(token, aesKey, callback.WithReceiverID(srv.CorpID))
	defer h.Close(ctx)

	channels, err := contact.NewChannels(contacts, wecom.NewMemoryStore(), contact.ChannelTemplate{})
	if err != nil {
		fmt.Println(err)
		return
	}
	code, err := channels.Ensure(ctx, contact.Channel{ // created once; a changed definition updates it
		Name:   "spring-poster",
		Users:  []string{"zhangsan", "lisi"},
		Tags:   []string{posterTag}, // marked on every customer who scans the code
		Remark: "{channel}·{name}",  // the member's remark on them, cut to 20 characters
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("publish the QR code:", code.QRCode != "", "state:", code.State[:2]+"…")
	channels.Register(h) // add_external_contact: the channel's tags and remark; other states pass through

	hs := httptest.NewServer(h)
	defer hs.Close()
	cb := srv.Corp(srv.CorpID).SetCallback(hs.URL, token, aesKey)
	scan, _ := cb.ScanContactWay(ctx, code.ConfigID, "") // a WeChat user scans it; WeCom pushes the event
	channel, _, _ := channels.Resolve(ctx, scan.State)
	rel, _ := srv.Corp(srv.CorpID).Relation(scan.UserID, scan.ExternalUserID)
	fmt.Println("came through:", channel, "tags:", len(rel.TagIDs), "remark set:", rel.Remark != "")
	// Output:
	// publish the QR code: true state: cw…
	// came through: spring-poster tags: 1 remark set: true
}
