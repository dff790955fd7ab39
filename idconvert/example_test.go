package idconvert_test

import (
	"context"
	"fmt"

	"github.com/scrmkit/scrm/idconvert"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// migrateCustomerIDs converts the corp-subject external_userids a
// third-party app stored before the id upgrade, returning old → new.
func migrateCustomerIDs(ctx context.Context, corp *wecom.Client, stored []string) (map[string]string, error) {
	res, err := idconvert.New(corp).GetNewExternalUserIDMany(ctx, &idconvert.GetNewExternalUserIDRequest{ExternalUserIDList: stored}, 0)
	if err != nil {
		return nil, err
	}
	converted := make(map[string]string, len(res))
	for _, r := range res {
		if r.Err != nil {
			return nil, fmt.Errorf("%s: %w", r.Item, r.Err)
		}
		converted[r.Item] = r.Value
	}
	return converted, nil
}

func ExampleService_GetNewExternalUserIDMany() {
	srv := wecomtest.Start() // stands in for WeCom here
	defer srv.Close()
	ctx := context.Background()
	srv.AddSuite("wwsuiteexample01", "suite-secret")
	suite := wecom.NewSuite("wwsuiteexample01", "suite-secret", srv.SuiteOptions()...)
	if err := suite.SetTicket(ctx, srv.Suite("wwsuiteexample01").IssueTicket()); err != nil {
		fmt.Println(err)
		return
	}
	code, err := srv.Suite("wwsuiteexample01").Install(ctx, "wwcorp", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := suite.HandleCreateAuth(ctx, code); err != nil {
		fmt.Println(err)
		return
	}

	ids, err := migrateCustomerIDs(ctx, suite.Corp("wwcorp"), []string{"wmA", "wmB"})
	fmt.Println(len(ids), ids["wmA"] == wecomtest.ServiceExternalUserID("wmA"), err)
	// Output: 2 true <nil>
}
