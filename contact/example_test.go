package contact_test

import (
	"context"
	"fmt"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A channel code 「联系我」 tags every customer who scans it with its state;
// the bulk sync then streams every customer record, page by page, with a
// checkpoint to resume from.
func Example() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi")
	_, _ = srv.Corp(srv.CorpID).SeedCustomers(250, []string{"zhangsan", "lisi"})

	svc := contact.New(srv.Client())
	way, err := svc.AddContactWay(ctx, &contact.AddContactWayRequest{
		Type:  contact.ContactWaySingle,
		Scene: contact.SceneQRCode,
		User:  []string{"lisi"},
		State: "spring-fair",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	scan, _ := srv.Corp(srv.CorpID).ScanContactWay(ctx, way.ConfigID, "") // someone scans the code
	detail, err := svc.Get(ctx, &contact.GetRequest{ExternalUserID: scan.ExternalUserID})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("new customer came through:", detail.FollowUser[0].State)

	records, pages := 0, 0
	var resume contact.Checkpoint
	for page, err := range svc.Sync(ctx, nil) {
		if err != nil {
			cp, _ := contact.CheckpointOf(err)
			fmt.Println("stopped; resume from", cp)
			return
		}
		records += len(page.Records)
		pages++
		resume = page.Next // persist after storing the records
	}
	fmt.Println("records:", records, "pages:", pages, "done at member", resume.UserIndex)
	// Output:
	// new customer came through: spring-fair
	// records: 251 pages: 3 done at member 2
}
