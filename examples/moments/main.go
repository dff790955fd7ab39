// Command moments posts to customers' Moments (客户朋友圈): it uploads two
// images, creates the post task, waits for WeCom to create it, and reads
// back who posted it, who can see it and how customers reacted.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest) in-process
// with a simulated clock (waiting for the job moves the clock instead of
// sleeping), seeds 2 members and 10 customers and acts out one member
// posting and customers commenting:
//
//	go run ./examples/moments
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set it
// works on that corp and really creates the post task for the members named
// in WECOM_MOMENTS_SENDERS (comma-separated userids; required).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"strings"
	"sync"
	"time"

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
		fmt.Fprintln(os.Stderr, "moments failed:", err)
		os.Exit(1)
	}
}

// clock is the fake's simulated clock: Sleep moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 22)
	var (
		client  *wecom.Client
		fake    *wecomtest.Server
		sim     *clock
		senders []string
	)
	if err := s.Do("connect", func() (string, error) {
		if corp := getenv("WECOM_CORP_ID"); corp != "" {
			for _, u := range strings.Split(getenv("WECOM_MOMENTS_SENDERS"), ",") {
				if u = strings.TrimSpace(u); u != "" {
					senders = append(senders, u)
				}
			}
			if len(senders) == 0 {
				return "", errors.New("set WECOM_MOMENTS_SENDERS to the userids who should post")
			}
			client, _ = env.Client(getenv)
			return "corp " + corp, nil
		}
		sim = &clock{t: time.Now()}
		fake = wecomtest.Start(wecomtest.WithClock(sim.Now))
		client = fake.Client()
		return "no WECOM_CORP_ID: started the fake WeCom at " + fake.URL, nil
	}); err != nil {
		return err
	}
	var customers []string
	if fake != nil {
		defer fake.Close()
		if err := s.Do("seed the fake", func() (string, error) {
			senders = []string{"zhangsan", "lisi"}
			if err := fake.Corp(fake.CorpID).AddStaff(senders...); err != nil {
				return "", err
			}
			var err error
			customers, err = fake.Corp(fake.CorpID).SeedCustomers(10, senders)
			fake.Corp(fake.CorpID).Messages().SetMomentJobDelay(5 * time.Second)
			return "2 members, 10 customers; jobs take 5 s of simulated time", err
		}); err != nil {
			return err
		}
	}

	svc := message.New(client)
	var photos []message.MomentAttachment
	if err := s.Do("upload the images", func() (string, error) {
		for i, shade := range []uint8{60, 180} {
			a, err := svc.MomentAttachment(ctx, message.MsgImage, wecom.MediaFromBytes(fmt.Sprintf("look-%d.jpg", i+1), photo(shade)))
			if err != nil {
				return "", err
			}
			photos = append(photos, a)
		}
		return fmt.Sprintf("%d images as Moments attachments (upload_attachment)", len(photos)), nil
	}); err != nil {
		return err
	}

	var jobID string
	if err := s.Do("create the post task", func() (string, error) {
		var err error
		jobID, err = svc.AddMomentTask(ctx, &message.AddMomentTaskRequest{
			Text:         &message.Text{Content: "Our spring collection is in store"},
			Attachments:  photos,
			VisibleRange: &message.VisibleRange{SenderList: &message.SenderList{UserList: append(senders, "nobody")}},
		})
		return "job " + jobID, err
	}); err != nil {
		return err
	}

	var res *message.MomentTaskOutcome
	if err := s.Do("wait for the job", func() (string, error) {
		job := svc.MomentJob(jobID)
		var t0 time.Time
		if sim != nil {
			job.Sleep = sim.Sleep // waiting moves the simulated clock
			t0 = sim.Now()
		}
		var err error
		if res, err = job.Wait(ctx); err != nil {
			return "", err
		}
		waited := ""
		if sim != nil {
			waited = fmt.Sprintf(" after %v of simulated waiting", sim.Now().Sub(t0))
		}
		return fmt.Sprintf("post %s%s; senders WeCom could not use: %v", short(res.MomentID), waited, res.InvalidSenderList.UserList), nil
	}); err != nil {
		return err
	}

	if fake != nil {
		if err := s.Do("a member posts it", func() (string, error) {
			if err := fake.Corp(fake.CorpID).Messages().PublishMoment(res.MomentID, "zhangsan"); err != nil {
				return "", err
			}
			// zhangsan's customers are 0, 2, 4, ...
			if err := fake.Corp(fake.CorpID).Messages().AddMomentReaction(res.MomentID, "zhangsan", customers[0], false); err != nil {
				return "", err
			}
			return "zhangsan posted; a customer commented", fake.Corp(fake.CorpID).Messages().AddMomentReaction(res.MomentID, "zhangsan", customers[2], true)
		}); err != nil {
			return err
		}
	}

	return s.Do("read the results", func() (string, error) {
		var posted []string
		for task, err := range svc.GetMomentTaskIter(ctx, &message.GetMomentTaskRequest{MomentID: res.MomentID}) {
			if err != nil {
				return "", err
			}
			if task.PublishStatus == message.Published {
				posted = append(posted, task.UserID)
			}
		}
		visible, comments, likes := 0, 0, 0
		for _, u := range posted {
			for _, err := range svc.GetMomentSendResultIter(ctx, &message.GetMomentSendResultRequest{MomentID: res.MomentID, UserID: u}) {
				if err != nil {
					return "", err
				}
				visible++
			}
			c, err := svc.GetMomentComments(ctx, res.MomentID, u)
			if err != nil {
				return "", err
			}
			comments += len(c.CommentList)
			likes += len(c.LikeList)
		}
		return fmt.Sprintf("posted by %v; %d customers can see it; comments %d, likes %d", posted, visible, comments, likes), nil
	})
}

// photo draws a small JPEG, so that a real WeCom gets a real image.
func photo(shade uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 72))
	for y := range 72 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{R: shade, G: uint8(x * 2), B: uint8(y * 3), A: 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, nil) // encoding to memory cannot fail
	return buf.Bytes()
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}
