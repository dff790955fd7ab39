package message_test

import (
	"context"
	"fmt"

	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A mass send to any number of customers is split into the fewest tasks
// WeCom allows; once the members have confirmed, the results are read back
// with totals per status.
func Example() {
	ctx := context.Background()
	srv := wecomtest.Start() // a fake WeCom; use wecom.New(corpID, secret) for the real one
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi")
	customers, _ := srv.Corp(srv.CorpID).SeedCustomers(12_000, []string{"zhangsan", "lisi"})

	svc := message.New(srv.Client())
	poster, err := svc.Attachment(ctx, message.MsgImage, wecom.MediaFromBytes("sale.png", []byte("…png…"))) // uploaded once, cached 3 days
	if err != nil {
		fmt.Println(err)
		return
	}
	tasks, err := svc.MassSend(ctx, &message.MassSendRequest{
		Audience:    message.Audience{ExternalUserIDs: customers},
		Text:        &message.Text{Content: "Spring sale: 20% off this week"},
		Attachments: []message.Attachment{poster},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, task := range tasks {
		if task.Err != nil { // a *wecom.MaybeCreatedError says where to look before retrying
			fmt.Println(task.Err)
			continue
		}
		_ = srv.Corp(srv.CorpID).Messages().ConfirmMassSend(task.MsgID, "zhangsan") // zhangsan sends; lisi does not yet
		report, err := svc.MassSendResults(ctx, &message.MassSendResultsRequest{MsgID: task.MsgID}, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("task of %d: %d senders sent, %+v\n", len(task.Request.ExternalUserID), report.SendersSent, report.Totals)
	}
	// Output:
	// task of 10000: 1 senders sent, {Sent:5000 NotSent:5000 Failed:{NotFriend:0 Quota:0 Other:0}}
	// task of 2000: 1 senders sent, {Sent:1000 NotSent:1000 Failed:{NotFriend:0 Quota:0 Other:0}}
}

// A Moments post is created asynchronously: MomentJob waits for the job and
// reports the senders and tags WeCom could not use.
func ExampleMomentJob_Wait() {
	ctx := context.Background()
	srv := wecomtest.Start()
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan")
	srv.Corp(srv.CorpID).Messages().SetMomentJobDelay(0)

	svc := message.New(srv.Client())
	photo, err := svc.MomentAttachment(ctx, message.MsgImage, wecom.MediaFromBytes("shop.jpg", []byte("…jpeg…")))
	if err != nil {
		fmt.Println(err)
		return
	}
	jobID, err := svc.AddMomentTask(ctx, &message.AddMomentTaskRequest{
		Text:         &message.Text{Content: "New in store"},
		Attachments:  []message.MomentAttachment{photo},
		VisibleRange: &message.VisibleRange{SenderList: &message.SenderList{UserList: []string{"zhangsan", "wangwu"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := svc.MomentJob(jobID).Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("post created; unknown senders:", res.InvalidSenderList.UserList)
	// Output:
	// post created; unknown senders: [wangwu]
}

// sendSpringSale is the code of the README's section on this package.
func sendSpringSale(ctx context.Context, c *wecom.Client, customers []string, png []byte) error {
	msgs := message.New(c)
	poster, err := msgs.Attachment(ctx, message.MsgImage, wecom.MediaFromBytes("sale.png", png)) // uploaded once, again when its 3 days are up
	if err != nil {
		return err
	}
	tasks, err := msgs.MassSend(ctx, &message.MassSendRequest{ // any audience, split into the fewest tasks
		Audience:    message.Audience{ExternalUserIDs: customers}, // or Senders, TagFilter, Groups
		Text:        &message.Text{Content: "Spring sale: 20% off this week"},
		Attachments: []message.Attachment{poster},
	})
	if err != nil {
		return err
	}
	for _, task := range tasks {
		if task.Err != nil { // a *wecom.MaybeCreatedError names the window to list before retrying
			return task.Err
		}
		report, err := msgs.MassSendResults(ctx, &message.MassSendResultsRequest{MsgID: task.MsgID}, nil)
		if err != nil {
			return err
		}
		fmt.Printf("%d of %d senders sent: %+v\n", report.SendersSent, len(report.Senders), report.Totals)
	}

	jobID, err := msgs.AddMomentTask(ctx, &message.AddMomentTaskRequest{Text: &message.Text{Content: "New in store"}})
	if err != nil {
		return err
	}
	res, err := msgs.MomentJob(jobID).Wait(ctx) // polls get_moment_task_result with backoff
	if err != nil {
		return err
	}
	fmt.Println("Moments post created:", res.MomentID != "", "unknown senders:", len(res.InvalidSenderList.UserList))
	return nil
}

func ExampleService_MassSend() {
	srv := wecomtest.Start()
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan")
	customers, _ := srv.Corp(srv.CorpID).SeedCustomers(3, []string{"zhangsan"})
	srv.Corp(srv.CorpID).Messages().SetMomentJobDelay(0)

	if err := sendSpringSale(context.Background(), srv.Client(), customers, []byte("…png…")); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 0 of 1 senders sent: {Sent:0 NotSent:3 Failed:{NotFriend:0 Quota:0 Other:0}}
	// Moments post created: true unknown senders: 0
}
