package sop_test

import (
	"context"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/sop"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A plan's step runs once when due; one member sends, the other is
// reminded by WeCom.
func Example() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi")
	_, _ = srv.Corp(srv.CorpID).SeedCustomers(4, []string{"zhangsan", "lisi"})
	client := srv.Client(wecom.WithAgentID(wecomtest.DefaultAgentID))

	notifier, err := appmsg.NewNotifier(appmsg.New(client))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sop.NewScheduler(message.New(client), sop.WithNotifier(notifier))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan := &sop.Plan{Name: "new customers", Start: time.Now(), Steps: []sop.Step{
		{Name: "day 1: welcome offer", MassSend: &message.MassSendRequest{
			Audience: message.Audience{Senders: []string{"zhangsan", "lisi"}},
			Text:     &message.Text{Content: "10% off your first order"}}},
		{Name: "day 3: how is it going", At: 48 * time.Hour, MassSend: &message.MassSendRequest{
			Audience: message.Audience{Senders: []string{"zhangsan", "lisi"}},
			Text:     &message.Text{Content: "How do you like it?"}}},
	}}
	runs, err := s.RunDue(ctx, plan) // from a cron; a second call creates nothing
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ran:", runs[0].Step, len(runs[0].Tasks), "tasks")

	_ = srv.Corp(srv.CorpID).Messages().ConfirmMassSend(runs[0].Tasks[0].MsgID, "zhangsan") // zhangsan sends
	p, err := s.Progress(ctx, plan, "day 1: welcome offer")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range p.Members {
		fmt.Printf("%s: done %t, %d sent, %d not sent\n", m.UserID, m.Done(), m.Reach.Sent, m.Reach.NotSent)
	}
	reminders, err := s.Remind(ctx, plan, "day 1: welcome offer")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range reminders {
		fmt.Println("reminded", r.UserID, "via", r.Via, r.Err)
	}
	// Output:
	// ran: day 1: welcome offer 2 tasks
	// lisi: done false, 0 sent, 2 not sent
	// zhangsan: done true, 2 sent, 0 not sent
	// reminded lisi via wecom <nil>
}
