// Command channel-welcome runs the path every SCRM leads with, channel codes
// (渠道活码) and welcome messages (欢迎语), on scrmkit's helpers: a tag
// taxonomy applied as data, one contact way per channel, a customer
// scanning channel X's code, the add_external_contact callback resolved to
// channel X, X's welcome sent inside the code's 20 seconds, X's tag and
// remark put on the customer; then the same for a group channel code
// (群活码): a customer joining through it, resolved to its channel by the
// Tracker and tagged. With no WECOM_CORP_ID set it starts the fake WeCom
// (wecomtest) in-process, so it runs anywhere with no credentials:
//
//	go run ./examples/channel-welcome
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set,
// it talks to that server instead and runs the steps that need no simulated
// customer: the taxonomy and the channel codes (retired again at the end).
package main

import (
	"context"
	"errors"
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
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "channel-welcome failed:", err)
		os.Exit(1)
	}
}

const callbackToken = "channelWelcomeToken"

// flow is the state the steps share.
type flow struct {
	ctx      context.Context
	client   *wecom.Client
	fake     *wecomtest.Server // nil against a real WeCom
	store    wecom.Store
	contacts *contact.Service
	staff    string

	tags     *contact.AppliedTaxonomy
	channels *contact.Channels
	codes    []*contact.ChannelCode
	welcomes *message.Welcomes
	results  chan *message.WelcomeResult
	groups   *groupchat.Channels
	joins    chan *groupchat.ChannelJoin

	h       *callback.Handler
	hs      *httptest.Server
	cb      *wecomtest.Corp
	scan    *wecomtest.Scan
	group   *groupchat.ChannelCode
	scanned time.Time
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 44)
	f := &flow{ctx: ctx, store: wecom.NewMemoryStore(), results: make(chan *message.WelcomeResult, 8),
		joins: make(chan *groupchat.ChannelJoin, 8)}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	defer f.close()
	return s.Run(f.fake != nil, []steps.Step{
		{Name: "apply the tag taxonomy", FakeOnly: false, Fn: f.applyTaxonomy},
		{Name: "ensure the channel codes (渠道活码)", FakeOnly: false, Fn: f.ensureChannels},
		{Name: "serve the callback: welcomes and channels", FakeOnly: true, Fn: f.serve},
		{Name: "a customer scans channel X's code", FakeOnly: true, Fn: f.scanX},
		{Name: "channel X's welcome is sent", FakeOnly: true, Fn: f.welcomeSent},
		{Name: "the customer carries X's tag and remark", FakeOnly: true, Fn: f.tagged},
		{Name: "a group channel code (群活码)", FakeOnly: true, Fn: f.groupCode},
		{Name: "a customer joins through it", FakeOnly: true, Fn: f.join},
		{Name: "retire the channel codes", FakeOnly: false, Fn: f.retire},
	})
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv, wecom.WithStore(f.store)); ok {
		f.client = c
	} else {
		f.fake = wecomtest.Start()
		if err := f.fake.Corp(f.fake.CorpID).AddStaff("zhangsan", "lisi"); err != nil {
			return "", err
		}
		f.client = f.fake.Client(wecom.WithStore(f.store))
	}
	f.contacts = contact.New(f.client)
	users, err := f.contacts.ListFollowUsers(f.ctx)
	if err != nil {
		return "", err
	}
	if len(users) == 0 {
		return "", errors.New("no member has customer contact enabled")
	}
	f.staff = users[0]
	where := "corp " + f.client.CorpID()
	if f.fake != nil {
		where = "no WECOM_CORP_ID: started the fake WeCom at " + f.fake.URL
	}
	return fmt.Sprintf("%s; %d member(s) with customer contact", where, len(users)), nil
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

// applyTaxonomy makes the corp's tags match what the app needs; run at
// every start, it creates nothing twice.
func (f *flow) applyTaxonomy() (string, error) {
	var err error
	f.tags, err = f.contacts.ApplyTaxonomy(f.ctx, &contact.ApplyTaxonomyRequest{
		Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{
			{Name: "scrmkit 来源", Tags: []string{"海报", "抖音", "入群"}},
		}}})
	if err != nil {
		return "", err
	}
	again, err := f.contacts.ApplyTaxonomy(f.ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "scrmkit 来源", Tags: []string{"海报", "抖音", "入群"}}}}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d tag(s) created; applied again: %d created", len(f.tags.Created), len(again.Created)), nil
}

func (f *flow) tag(name string) string {
	id, _ := f.tags.TagID("scrmkit 来源", name)
	return id
}

func (f *flow) ensureChannels() (string, error) {
	var err error
	f.channels, err = contact.NewChannels(f.contacts, f.store, contact.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	var states []string
	for _, ch := range []contact.Channel{
		{Name: "X: spring poster", Users: []string{f.staff}, Tags: []string{f.tag("海报")}, Remark: "海报·{name}"},
		{Name: "Y: douyin ad", Users: []string{f.staff}, Tags: []string{f.tag("抖音")}},
	} {
		code, err := f.channels.Ensure(f.ctx, ch)
		if err != nil {
			return "", err
		}
		f.codes = append(f.codes, code)
		states = append(states, fmt.Sprintf("%q → state %s", code.Name, code.State))
	}
	return strings.Join(states, ", "), nil
}

// serve starts the callback URL on loopback, with the Welcomes, the
// channels and the group channels registered on it.
func (f *flow) serve() (string, error) {
	var err error
	f.welcomes, err = message.NewWelcomes(message.New(f.client), message.WelcomeRules{
		Channels: map[string]*message.Welcome{
			"X: spring poster": {Text: "%NICKNAME%, thanks for scanning our spring poster! 20% off this week.",
				Attachments: []message.Attachment{message.LinkAttachment(message.LinkCard{Title: "Spring sale", URL: "https://example.com/spring"})}},
		},
		Default: &message.Welcome{Text: "Welcome!"},
	}, message.WithChannelResolver(f.channels), message.WithNameSource(f.contacts),
		message.WithResultHook(func(_ context.Context, res *message.WelcomeResult) { f.results <- res }))
	if err != nil {
		return "", err
	}
	f.groups, err = groupchat.NewChannels(groupchat.New(f.client), f.store, nil, groupchat.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	f.groups.OnJoin(func(_ context.Context, j *groupchat.ChannelJoin) { f.joins <- j })
	aesKey := wecomtest.NewEncodingAESKey()
	f.h, err = callback.NewHandler(callbackToken, aesKey, callback.WithReceiverID(f.client.CorpID()))
	if err != nil {
		return "", err
	}
	f.welcomes.Register(f.h)
	f.channels.Register(f.h)
	f.groups.Register(f.h)
	f.hs = httptest.NewServer(f.h)
	f.cb = f.fake.Corp(f.fake.CorpID).SetCallback(f.hs.URL, callbackToken, aesKey)
	return "listening at " + f.hs.URL, nil
}

func (f *flow) scanX() (string, error) {
	f.scanned = time.Now()
	var err error
	f.scan, err = f.cb.ScanContactWay(f.ctx, f.codes[0].ConfigID, "")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s added %s; add_external_contact pushed with state %s and a welcome code", f.scan.ExternalUserID,
		f.scan.UserID, f.scan.State), nil
}

func (f *flow) welcomeSent() (string, error) {
	var res *message.WelcomeResult
	select {
	case res = <-f.results:
	case <-time.After(10 * time.Second):
		return "", errors.New("no welcome result")
	}
	if res.Outcome != message.WelcomeSent {
		return "", fmt.Errorf("welcome %s: %v", res.Outcome, res.Err)
	}
	for _, w := range f.fake.Corp(f.fake.CorpID).Messages().WelcomesSent() {
		if w.ExternalUserID == f.scan.ExternalUserID {
			return fmt.Sprintf("rule %s %q, %d ms after the scan: %q + %s", res.Rule, res.Channel,
				res.Done.Sub(f.scanned).Milliseconds(), w.Text, strings.Join(w.Attachments, ", ")), nil
		}
	}
	return "", errors.New("the fake shows no welcome for the customer")
}

func (f *flow) tagged() (string, error) {
	d, err := f.contacts.Get(f.ctx, &contact.GetRequest{ExternalUserID: f.scan.ExternalUserID})
	if err != nil {
		return "", err
	}
	for _, fu := range d.FollowUser {
		if fu.UserID != f.scan.UserID {
			continue
		}
		var tags []string
		for _, t := range fu.Tags {
			tags = append(tags, t.GroupName+"/"+t.TagName)
		}
		return fmt.Sprintf("tags %s, remark %q", strings.Join(tags, ", "), fu.Remark), nil
	}
	return "", errors.New("the member does not follow the customer")
}

func (f *flow) groupCode() (string, error) {
	chat, err := f.fake.Corp(f.fake.CorpID).GroupChats().Create(f.ctx, wecomtest.GroupChatSpec{Owner: f.staff, Name: "Spring fans"})
	if err != nil {
		return "", err
	}
	f.group, err = f.groups.Ensure(f.ctx, groupchat.Channel{Name: "X: spring poster group", ChatIDs: []string{chat},
		RoomBaseName: "Spring fans ", RoomBaseID: 2, Tags: []string{f.tag("入群")}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("join way %s over group %s, state %s", f.group.ConfigID, chat, f.group.State), nil
}

// join plays the customer of the scan above joining through the group
// code: they are the member's customer, so the channel's tag is marked.
func (f *flow) join() (string, error) {
	if _, err := f.cb.GroupChats().JoinViaJoinWay(f.ctx, f.group.ConfigID, f.scan.ExternalUserID); err != nil {
		return "", err
	}
	select {
	case j := <-f.joins:
		if j.Err != nil {
			return "", j.Err
		}
		joins, err := f.groups.Joins(f.ctx, j.Code.Name)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s joined %s through %q; tagged %d tag(s); %d joiner(s) of the channel tracked", j.Member.UserID,
			j.ChatID, j.Code.Name, len(j.Tagged), len(joins)), nil
	case <-time.After(10 * time.Second):
		return "", errors.New("the join was not reported")
	}
}

func (f *flow) retire() (string, error) {
	for _, c := range f.codes {
		if err := f.channels.Retire(f.ctx, c.Name); err != nil {
			return "", err
		}
	}
	n := len(f.codes)
	if f.group != nil {
		if err := f.groups.Retire(f.ctx, f.group.Name); err != nil {
			return "", err
		}
		n++
	}
	return fmt.Sprintf("%d code(s) deleted; their states still resolve for late events", n), nil
}
