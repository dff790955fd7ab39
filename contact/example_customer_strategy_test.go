package contact_test

import (
	"context"
	"fmt"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A rule group whose admins may not export customers, managing two
// members and a department; the app then lists the groups it created.
func ExampleService_CreateCustomerStrategy() {
	ctx := context.Background()
	srv := wecomtest.Start()
	defer srv.Close()
	contacts := contact.New(srv.Client()) // keep one Service per corp: it runs create and edit one at a time

	priv := contact.AllCustomerStrategyPrivileges()
	priv.ExportCustomerList, priv.ExportCustomerData = false, false
	id, err := contacts.CreateCustomerStrategy(ctx, &contact.CreateCustomerStrategyRequest{
		StrategyName: "East sales",
		AdminList:    []string{"wangwu"},
		Privilege:    priv,
		Range:        []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.UserNode("lisi"), wecom.PartyNode(3)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for sid, err := range contacts.ListCustomerStrategiesIter(ctx, nil) {
		if err != nil {
			fmt.Println(err)
			return
		}
		g, err := contacts.GetCustomerStrategy(ctx, sid)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(sid == id, g.StrategyName, "may export:", g.Privilege.ExportCustomerList)
	}
	// Output:
	// true East sales may export: false
}
