package contact_test

import (
	"context"
	"fmt"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func store(records []contact.CustomerRecord) { fmt.Println("stored", len(records), "records") }

// The customer-contact snippet of README.md.
func Example_readme() {
	srv := wecomtest.Start()
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan")
	_, _ = srv.Corp(srv.CorpID).SeedCustomers(3, []string{"zhangsan"})
	c := srv.Client()
	err := func(ctx context.Context) error {
		contacts := contact.New(c)
		way, err := contacts.AddContactWay(ctx, &contact.AddContactWayRequest{
			Type: contact.ContactWaySingle, Scene: contact.SceneQRCode,
			State: "spring-poster-017", User: []string{"zhangsan"},
		})
		if err != nil {
			return err
		}
		fmt.Println("QR code:", way.QRCode != "")
		for page, err := range contacts.Sync(ctx, nil) { // every customer, every follow user, constant memory
			if err != nil {
				cp, _ := contact.CheckpointOf(err) // save it; resume with contacts.Sync(ctx, &cp)
				fmt.Println("resume from", cp)
				return err
			}
			store(page.Records) // then save page.Next as the checkpoint
		}
		return nil
	}(context.Background())
	fmt.Println(err)
	// Output:
	// QR code: true
	// stored 3 records
	// <nil>
}
