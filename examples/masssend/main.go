// Command masssend sends one message to a tagged audience through every
// member who has such customers, lets the members confirm, and reads the
// results back with totals per status.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest) in-process,
// seeds it with 3 members and 60 customers, tags some of them "VIP" and acts
// out two of the three members confirming:
//
//	go run ./examples/masssend
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set it
// works on that corp: it then needs WECOM_MASSSEND_TAG_ID, the corp tag of
// the audience, and really notifies the members (nothing reaches a customer
// until a member confirms in the WeCom client).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "masssend failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 26)
	var (
		client *wecom.Client
		fake   *wecomtest.Server
		tagID  = getenv("WECOM_MASSSEND_TAG_ID")
	)
	if err := s.Do("connect", func() (string, error) {
		if corp := getenv("WECOM_CORP_ID"); corp != "" {
			if tagID == "" {
				return "", errors.New("set WECOM_MASSSEND_TAG_ID to the corp tag of the audience")
			}
			client, _ = env.Client(getenv)
			return "corp " + corp, nil
		}
		fake = wecomtest.Start()
		client = fake.Client()
		return "no WECOM_CORP_ID: started the fake WeCom at " + fake.URL, nil
	}); err != nil {
		return err
	}
	contacts := contact.New(client)
	if fake != nil {
		defer fake.Close()
		if err := s.Do("seed the fake", func() (string, error) {
			var err error
			tagID, err = seed(ctx, fake, contacts)
			return "3 members, 60 customers, every other one tagged VIP", err
		}); err != nil {
			return err
		}
	}

	var senders []string
	if err := s.Do("list members", func() (string, error) {
		var err error
		senders, err = contacts.ListFollowUsers(ctx)
		return fmt.Sprintf("%d members with customer contact", len(senders)), err
	}); err != nil {
		return err
	}

	svc := message.New(client)
	var poster message.Attachment
	if err := s.Do("upload the poster", func() (string, error) {
		var err error
		poster, err = svc.Attachment(ctx, message.MsgImage, wecom.MediaFromBytes("spring-sale.png", posterPNG()))
		if err != nil {
			return "", err
		}
		// The same file again costs nothing: its media_id is cached for 3 days.
		again, err := svc.Attachment(ctx, message.MsgImage, wecom.MediaFromBytes("spring-sale.png", posterPNG()))
		return fmt.Sprintf("media %s, reused: %t", short(poster.Image.MediaID), err == nil && again.Image.MediaID == poster.Image.MediaID), err
	}); err != nil {
		return err
	}

	var tasks []message.MassSendTask
	if err := s.Do("fan out to the VIPs", func() (string, error) {
		var err error
		tasks, err = svc.MassSend(ctx, &message.MassSendRequest{
			Audience:    message.Audience{Senders: senders, TagFilter: message.AnyTag(tagID)},
			Text:        &message.Text{Content: "Spring sale for our VIPs: 20% off this week"},
			Attachments: []message.Attachment{poster},
		})
		if err != nil {
			return "", err
		}
		created := 0
		for _, t := range tasks {
			if t.Err == nil {
				created++
			}
		}
		if created == 0 {
			return "", fmt.Errorf("no task created: %w", tasks[0].Err)
		}
		return fmt.Sprintf("%d tasks for %d members (one per member, tag filter on each)", created, len(senders)), nil
	}); err != nil {
		return err
	}

	if fake != nil {
		if err := s.Do("members confirm", func() (string, error) {
			for _, t := range tasks[:len(tasks)-1] { // the last member has not confirmed yet
				if err := fake.Corp(fake.CorpID).Messages().ConfirmMassSend(t.MsgID, t.Request.Sender); err != nil {
					return "", err
				}
			}
			return fmt.Sprintf("%d of %d members sent their part", len(tasks)-1, len(tasks)), nil
		}); err != nil {
			return err
		}
	}

	return s.Do("aggregate the results", func() (string, error) {
		var total message.SendTotals
		sent := 0
		for _, t := range tasks {
			if t.Err != nil {
				continue
			}
			rep, err := svc.MassSendResults(ctx, &message.MassSendResultsRequest{MsgID: t.MsgID, Concurrency: 4}, nil)
			if err != nil {
				return "", err
			}
			sent += rep.SendersSent
			total.Add(rep.Totals)
		}
		return fmt.Sprintf("%d recipients: %d sent, %d unsent, %d not friends, %d over quota; %d members sent",
			total.Total(), total.Sent, total.NotSent, total.Failed.NotFriend, total.Failed.Quota, sent), nil
	})
}

// seed gives the fake 3 members and 60 customers, and tags every other
// customer VIP through the contact API; it returns the tag's id.
func seed(ctx context.Context, fake *wecomtest.Server, contacts *contact.Service) (string, error) {
	members := []string{"zhangsan", "lisi", "wangwu"}
	if err := fake.Corp(fake.CorpID).AddStaff(members...); err != nil {
		return "", err
	}
	ids, err := fake.Corp(fake.CorpID).SeedCustomers(60, members)
	if err != nil {
		return "", err
	}
	g, err := contacts.AddCorpTag(ctx, &contact.AddCorpTagRequest{GroupName: "Tier", Tag: []contact.NewTag{{Name: "VIP"}}})
	if err != nil {
		return "", err
	}
	vip := g.Tag[0].ID
	for i := 0; i < len(ids); i += 2 {
		// customer i belongs to members[i%3]: 10 VIPs each
		if err := contacts.MarkTag(ctx, &contact.MarkTagRequest{UserID: members[i%3], ExternalUserID: ids[i], AddTag: []string{vip}}); err != nil {
			return "", err
		}
	}
	return vip, nil
}

// posterPNG draws a small poster, so that a real WeCom gets a real image.
func posterPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: 220, G: uint8(4 * y), B: uint8(4 * x), A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding to memory cannot fail
	return buf.Bytes()
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}
