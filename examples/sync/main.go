// Command sync streams every customer record of a corp with contact.Sync
// and shows how a sync resumes from its checkpoint after a failure.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest) in-process,
// seeds it with 10,000 customers spread over 8 members and, half-way through,
// injects an outage longer than the client's retries so that the sync stops
// and resumes from the checkpoint it was given:
//
//	go run ./examples/sync
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set,
// it syncs that corp instead (reading only).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	seedCustomers = 10_000
	seedMembers   = 8
	maxResumes    = 5
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "sync failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 28)
	var (
		client *wecom.Client
		fake   *wecomtest.Server
	)
	if err := s.Do("connect", func() (string, error) {
		if corp := getenv("WECOM_CORP_ID"); corp != "" {
			client, _ = env.Client(getenv)
			return "corp " + corp, nil
		}
		fake = wecomtest.Start()
		client = fake.Client()
		return "no WECOM_CORP_ID: started the fake WeCom at " + fake.URL, nil
	}); err != nil {
		return err
	}
	if fake != nil {
		defer fake.Close()
		if err := s.Do("seed the fake", func() (string, error) {
			staff := make([]string, seedMembers)
			for i := range staff {
				staff[i] = fmt.Sprintf("member%02d", i+1)
			}
			if err := fake.Corp(fake.CorpID).AddStaff(staff...); err != nil {
				return "", err
			}
			ids, err := fake.Corp(fake.CorpID).SeedCustomers(seedCustomers, staff)
			return fmt.Sprintf("%d customers over %d members", len(ids), len(staff)), err
		}); err != nil {
			return err
		}
	}

	svc := contact.New(client)
	if err := s.Do("list follow users", func() (string, error) {
		users, err := svc.ListFollowUsers(ctx)
		return fmt.Sprintf("%d members with customer contact", len(users)), err
	}); err != nil {
		return err
	}

	var (
		total, pages int
		seen         = map[string]struct{}{} // fake only: proves no record is lost or repeated
		from         *contact.Checkpoint
		start        = time.Now()
	)
	for pass := 1; ; pass++ {
		var stopped error
		err := s.Do(fmt.Sprintf("sync pass %d", pass), func() (string, error) {
			n := 0
			for page, err := range svc.Sync(ctx, from) {
				if err != nil {
					cp, ok := contact.CheckpointOf(err)
					if !ok {
						return "", err
					}
					stopped = err
					from = &cp
					return fmt.Sprintf("%d records, then stopped: %v; resuming from %v", n, errors.Unwrap(err), cp), nil
				}
				for _, r := range page.Records {
					if fake != nil {
						seen[r.ExternalContact.ExternalUserID+"/"+r.FollowInfo.UserID] = struct{}{}
					}
				}
				n += len(page.Records)
				total += len(page.Records)
				pages++
				if fake != nil && pass == 1 && pages == 40 {
					// an outage longer than the client's three attempts
					fake.Fail("/cgi-bin/externalcontact/batch/get_by_user", wecomtest.Fault{Errcode: -1, Times: 3})
				}
			}
			return fmt.Sprintf("%d records, sync complete", n), nil
		})
		if err != nil {
			return err
		}
		if stopped == nil {
			break
		}
		if pass > maxResumes {
			return fmt.Errorf("gave up after %d passes: %w", pass, stopped)
		}
	}

	return s.Do("check the result", func() (string, error) {
		rate := float64(total) / time.Since(start).Seconds()
		if fake != nil && (len(seen) != total || total != seedCustomers) {
			return "", fmt.Errorf("%d records, %d distinct, want %d", total, len(seen), seedCustomers)
		}
		detail := fmt.Sprintf("%d records in %d pages, %.0f records/s", total, pages, rate)
		if fake != nil {
			detail += ", none lost or repeated across the resume"
		}
		return detail, nil
	})
}
