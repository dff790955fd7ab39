package churn_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/churn"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Alerts on a callback Handler: a customer who deletes their member is
// reported with what the Alerts knew of the relation (here from Load, the
// relations that predate them).
func ExampleAlerts() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	corp := srv.Corp(srv.CorpID)
	ids, _ := corp.SeedCustomers(1, []string{"zhangsan"})

	alerts, err := churn.NewAlerts(contact.New(srv.Client())) // churn.WithNotifier(appmsgNotifier) tells the member
	if err != nil {
		fmt.Println(err)
		return
	}
	records := make(chan *churn.Record, 1)
	alerts.OnChurn(func(_ context.Context, r *churn.Record) { records <- r })
	aesKey := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler("token", aesKey, callback.WithReceiverID(srv.CorpID))
	if err != nil {
		fmt.Println(err)
		return
	}
	alerts.Register(h)
	hs := httptest.NewServer(h)
	defer hs.Close()
	corp.SetCallback(hs.URL, "token", aesKey)

	n, _ := alerts.Load(ctx) // snapshots of the relations that predate the Alerts
	fmt.Println("relations known:", n)
	_ = corp.CustomerDeletesMember(ctx, ids[0], "zhangsan")
	r := <-records
	fmt.Println(r.DeletedBy, "deleted", r.UserID, "; state", r.State, "from the", r.Source)
	// Output:
	// relations known: 1
	// customer deleted zhangsan ; state seed from the snapshot
}
