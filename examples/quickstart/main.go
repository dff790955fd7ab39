// Command quickstart walks through scrmkit's core client. With no
// WECOM_CORP_ID set it starts the fake WeCom (wecomtest) in-process, so it
// runs anywhere with no credentials:
//
//	go run ./examples/quickstart
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set,
// it talks to that server instead.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
}

// step prints one line per step and stops at the first failure.
type stepper struct {
	out io.Writer
	n   int
}

func (s *stepper) do(name string, f func() (string, error)) error {
	s.n++
	detail, err := f()
	if err != nil {
		fmt.Fprintf(s.out, "%2d. %-34s FAILED: %v\n", s.n, name, err)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(s.out, "%2d. %-34s ok  %s\n", s.n, name, detail)
	return nil
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := &stepper{out: out}
	var (
		client *wecom.Client
		fake   *wecomtest.Server
	)
	if err := s.do("connect", func() (string, error) {
		if corp := getenv("WECOM_CORP_ID"); corp != "" {
			opts := []wecom.Option{}
			if base := getenv("WECOM_BASE_URL"); base != "" {
				opts = append(opts, wecom.WithBaseURL(base))
			}
			client = wecom.New(corp, getenv("WECOM_CORP_SECRET"), opts...)
			return "corp " + corp, nil
		}
		fake = wecomtest.New()
		client = fake.Client()
		return "no WECOM_CORP_ID: started the fake WeCom at " + fake.URL, nil
	}); err != nil {
		return err
	}
	if fake != nil {
		defer fake.Close()
	}

	if err := s.do("fetch access token", func() (string, error) {
		tok, err := client.AccessToken(ctx)
		if err != nil {
			return "", err
		}
		// Never print a token; its length is enough to show it arrived.
		return fmt.Sprintf("%d characters, cached for the next calls", len(tok)), nil
	}); err != nil {
		return err
	}

	if err := s.do("list API domain IPs", func() (string, error) {
		ips, err := client.APIDomainIPs(ctx)
		if err != nil {
			return "", err
		}
		return strings.Join(ips, ", "), nil
	}); err != nil {
		return err
	}

	if err := s.do("upload temporary media", func() (string, error) {
		m, err := client.UploadMedia(ctx, wecom.MediaFile, "scrmkit-quickstart.txt",
			strings.NewReader("hello from scrmkit"))
		if err != nil {
			return "", err
		}
		return "media_id " + m.MediaID + " (valid three days)", nil
	}); err != nil {
		return err
	}

	if fake == nil {
		return nil
	}
	// The rest shows the fake's fault injection: what a flaky WeCom looks
	// like to the client.
	if err := s.do("retry through a 'system busy' (-1)", func() (string, error) {
		fake.Fail("/cgi-bin/get_api_domain_ip", wecomtest.Fault{Errcode: -1, Times: 2})
		before := fake.Count("/cgi-bin/get_api_domain_ip")
		if _, err := client.APIDomainIPs(ctx); err != nil {
			return "", err
		}
		return fmt.Sprintf("succeeded after %d attempts", fake.Count("/cgi-bin/get_api_domain_ip")-before), nil
	}); err != nil {
		return err
	}
	return s.do("refresh an expired token (42001)", func() (string, error) {
		fake.ExpireTokens(fake.CorpID)
		if _, err := client.APIDomainIPs(ctx); err != nil {
			return "", err
		}
		return fmt.Sprintf("gettoken called %d times in all", fake.TokenFetches(fake.CorpID)), nil
	})
}
