package appmsg_test

import (
	"context"
	"fmt"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/directory"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// remindStore tells every member of a store (a department of the address
// book) how many follow-ups wait for them today, one message each, within
// WeCom's frequency limits, and asks the store's manager to confirm the
// plan with a card whose button comes back to the callback. c is the
// client of the app that sends (its agent id set with wecom.WithAgentID,
// or a Suite's corp client). It also reads the member list
// (user/list_id), which WeCom answers a self-built app only with the
// contact-sync secret (通讯录同步secret), and a third-party app with the
// address-book permission: a self-built app's backend reads it through a
// second client of that secret.
func remindStore(ctx context.Context, c *wecom.Client, store int, manager string, followUps map[string]int) error {
	notifier, err := appmsg.NewNotifier(appmsg.New(c))
	if err != nil {
		return err
	}
	for m, err := range directory.New(c).ListUserIDsIter(ctx, nil) {
		if err != nil {
			return err
		}
		if m.Department != store || followUps[m.UserID] == 0 {
			continue
		}
		_, err := notifier.Notify(ctx, m.UserID, &appmsg.Markdown{
			Content: fmt.Sprintf("**%d** customers wait for your follow-up today", followUps[m.UserID])})
		if wecom.IsRateLimited(err) {
			continue // the member had enough messages this minute; tomorrow's reminder counts again
		}
		if err != nil {
			return err
		}
	}
	_, err = appmsg.New(c).Send(ctx, &appmsg.SendRequest{
		ToUser: []string{manager},
		Message: &appmsg.TemplateCard{
			CardType:   appmsg.CardButtonInteraction,
			TaskID:     fmt.Sprintf("plan-%d", store),
			MainTitle:  &appmsg.CardMainTitle{Title: "Today's follow-up plan", Desc: fmt.Sprintf("store %d", store)},
			ButtonList: []appmsg.CardButton{{Text: "Confirm", Key: "confirm"}},
		},
	})
	return err
}

func Example_reachingStaff() {
	srv := wecomtest.Start() // stands in for WeCom here
	defer srv.Close()
	dir := srv.Corp(srv.CorpID).Directory()
	_ = dir.AddDepartment(wecomtest.DepartmentSpec{ID: 2, Name: "Store 2"})
	_ = dir.AddMember(wecomtest.MemberSpec{UserID: "zhangsan", Name: "张三", Departments: []int{2}})
	_ = dir.AddMember(wecomtest.MemberSpec{UserID: "lisi", Name: "李四", Departments: []int{2}})
	_ = dir.AddMember(wecomtest.MemberSpec{UserID: "wangwu", Name: "王五", Departments: []int{2}})

	c := srv.Client(wecom.WithAgentID(wecomtest.DefaultAgentID))
	err := remindStore(context.Background(), c, 2, "wangwu", map[string]int{"zhangsan": 3, "lisi": 1})
	fmt.Println("err:", err)
	for _, u := range []string{"zhangsan", "lisi", "wangwu"} {
		for _, m := range srv.Corp(srv.CorpID).AppMessages().Received(u) {
			fmt.Println(u, m.MsgType, m.Content+m.TaskID)
		}
	}
	// Output:
	// err: <nil>
	// zhangsan markdown **3** customers wait for your follow-up today
	// lisi markdown **1** customers wait for your follow-up today
	// wangwu template_card plan-2
}
