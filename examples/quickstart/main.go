// Command quickstart walks through an SCRM flow with scrmkit: token, tags
// applied as data, a channel code (渠道活码) whose state tells the channel,
// customers scanning it, the add_external_contact callback, the channel's
// welcome message and tag, a mass send to the tagged customers with its
// results, a bulk sync of every customer, and what the client does when
// WeCom is flaky. With no WECOM_CORP_ID set it starts the fake WeCom
// (wecomtest) in-process, so it runs anywhere with no credentials:
//
//	go run ./examples/quickstart
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set,
// it talks to that server instead and runs the steps that need no simulated
// customer (the channel code is retired again at the end).
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/message"
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

// flow is the state the steps share.
type flow struct {
	ctx      context.Context
	client   *wecom.Client
	store    wecom.Store
	contacts *contact.Service
	messages *message.Service
	fake     *wecomtest.Server // nil against a real WeCom
	staff    string

	tagID    string
	channels *contact.Channels
	code     *contact.ChannelCode
	welcomes *message.Welcomes
	results  chan *message.WelcomeResult
	h        *callback.Handler
	hs       *httptest.Server
	cb       *wecomtest.Corp
	customer string   // the first customer who scanned
	scanned  []string // every customer who scanned
	tasks    []message.MassSendTask
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 40)
	f := &flow{ctx: ctx, store: wecom.NewMemoryStore(), results: make(chan *message.WelcomeResult, 16)}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	defer f.close()
	all := []struct {
		name     string
		fakeOnly bool
		fn       func() (string, error)
	}{
		{"fetch access token", false, f.token},
		{"list API domain IPs", false, f.ips},
		{"upload temporary media", false, f.upload},
		{"find staff with customer contact", false, f.followUsers},
		{"apply the tag taxonomy", true, f.taxonomy},
		{"create a channel code (渠道活码)", false, f.channelCode},
		{"serve the callback: welcome + channel", true, f.serve},
		{"customer scans it; callback arrives", true, f.customerScans},
		{"the channel's welcome is sent", true, f.welcomeSent},
		{"read the customer and its channel", true, f.readCustomer},
		{"the channel's tag is on the customer", true, f.tagged},
		{"four more customers scan the code", true, f.moreScan},
		{"mass send to the tagged customers", true, f.massSend},
		{"the members confirm; the results", true, f.massSendResults},
		{"bulk sync every customer", true, f.sync},
		{"retry through 'system busy' (-1)", true, f.retryBusy},
		{"refresh an expired token (42001)", true, f.refreshToken},
		{"retire the channel code", false, f.retire},
	}
	for _, st := range all {
		if st.fakeOnly && f.fake == nil {
			continue
		}
		if f.staff == "" && f.fake == nil && strings.Contains(st.name, "channel code") {
			continue // a real corp with no staff enabled for customer contact
		}
		if err := s.Do(st.name, st.fn); err != nil {
			return err
		}
	}
	return nil
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv, wecom.WithStore(f.store)); ok {
		f.client = c
		f.contacts, f.messages = contact.New(f.client), message.New(f.client)
		return "corp " + c.CorpID(), nil
	}
	f.fake = wecomtest.Start()
	if err := f.fake.Corp(f.fake.CorpID).AddStaff("zhangsan", "lisi"); err != nil {
		return "", err
	}
	f.client = f.fake.Client(wecom.WithStore(f.store))
	f.contacts, f.messages = contact.New(f.client), message.New(f.client)
	return "no WECOM_CORP_ID: started the fake WeCom at " + f.fake.URL, nil
}

func (f *flow) close() {
	if f.welcomes != nil {
		_ = f.welcomes.Close(context.Background())
	}
	if f.h != nil {
		_ = f.h.Close(context.Background())
	}
	if f.hs != nil {
		f.hs.Close()
	}
	if f.fake != nil {
		f.fake.Close()
	}
}

func (f *flow) token() (string, error) {
	tok, err := f.client.AccessToken(f.ctx)
	if err != nil {
		return "", err
	}
	// Never print a token; its length shows it arrived.
	return fmt.Sprintf("%d characters, cached for the next calls", len(tok)), nil
}

func (f *flow) ips() (string, error) {
	ips, err := f.client.GetAPIDomainIPs(f.ctx)
	return strings.Join(ips, ", "), err
}

func (f *flow) upload() (string, error) {
	m, err := f.client.UploadMedia(f.ctx, wecom.MediaFile, "scrmkit-quickstart.txt", strings.NewReader("hello from scrmkit"))
	if err != nil {
		return "", err
	}
	return "media_id " + m.MediaID + " (valid three days)", nil
}

func (f *flow) followUsers() (string, error) {
	users, err := f.contacts.ListFollowUsers(f.ctx)
	if err != nil {
		return "", err
	}
	if len(users) > 0 {
		f.staff = users[0]
	}
	return fmt.Sprintf("%d member(s): %s", len(users), strings.Join(users, ", ")), nil
}

func (f *flow) retryBusy() (string, error) {
	const p = "/cgi-bin/get_api_domain_ip"
	f.fake.Fail(p, wecomtest.Fault{Errcode: -1, Times: 2})
	before := f.fake.Count(p)
	if _, err := f.client.GetAPIDomainIPs(f.ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("succeeded after %d attempts", f.fake.Count(p)-before), nil
}

func (f *flow) refreshToken() (string, error) {
	f.fake.Corp(f.fake.CorpID).ExpireTokens()
	if _, err := f.client.GetAPIDomainIPs(f.ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("gettoken called %d times in all", f.fake.Corp(f.fake.CorpID).TokenFetches()), nil
}
