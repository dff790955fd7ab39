package main

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const channelName = "quickstart-ad-1"

// taxonomy makes the corp's tags match what the app needs: run at every
// start, it creates nothing twice (no 40071 "tag name exists").
func (f *flow) taxonomy() (string, error) {
	tags, err := f.contacts.ApplyTaxonomy(f.ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "来源", Tags: []string{"朋友圈广告", "抖音"}}}}})
	if err != nil {
		return "", err
	}
	f.tagID, _ = tags.TagID("来源", "朋友圈广告")
	return fmt.Sprintf("group 来源 with %d tag(s), %d created", len(tags.Groups[0].Tag), len(tags.Created)), nil
}

// channelCode creates the channel's contact way, its state derived from the
// channel's name and mapped back to it in the Store.
func (f *flow) channelCode() (string, error) {
	var err error
	f.channels, err = contact.NewChannels(f.contacts, f.store, contact.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	ch := contact.Channel{Name: channelName, Users: []string{f.staff}, Remark: "{channel}"}
	if f.tagID != "" {
		ch.Tags = []string{f.tagID}
	}
	f.code, err = f.channels.Ensure(f.ctx, ch)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("config_id %s for %s, state %s", f.code.ConfigID, f.staff, f.code.State), nil
}

// serve starts a callback Handler on loopback with the welcome and channel
// helpers, and plays WeCom's side of it.
func (f *flow) serve() (string, error) {
	var err error
	f.welcomes, err = message.NewWelcomes(f.messages, message.WelcomeRules{
		Channels: map[string]*message.Welcome{channelName: {Text: "Hi %NICKNAME%, thanks for finding us through our ad!"}},
		Default:  &message.Welcome{Text: "Welcome!"},
	}, message.WithChannelResolver(f.channels), message.WithNameSource(f.contacts),
		message.WithResultHook(func(_ context.Context, res *message.WelcomeResult) { f.results <- res }))
	if err != nil {
		return "", err
	}
	token, aesKey := "quickstartToken", wecomtest.NewEncodingAESKey()
	f.h, err = callback.NewHandler(token, aesKey, callback.WithReceiverID(f.fake.CorpID))
	if err != nil {
		return "", err
	}
	f.welcomes.Register(f.h)
	f.channels.Register(f.h)
	f.hs = httptest.NewServer(f.h)
	f.cb = f.fake.Corp(f.fake.CorpID).SetCallback(f.hs.URL, token, aesKey)
	return "listening at " + f.hs.URL, nil
}

func (f *flow) scan() (*wecomtest.Scan, error) {
	scan, err := f.cb.ScanContactWay(f.ctx, f.code.ConfigID, "")
	if err != nil {
		return nil, err
	}
	f.scanned = append(f.scanned, scan.ExternalUserID)
	return scan, nil
}

// customerScans plays a WeChat user scanning the channel code: the fake
// adds the relation, issues a welcome code and pushes add_external_contact,
// encrypted as WeCom does, to the Handler.
func (f *flow) customerScans() (string, error) {
	scan, err := f.scan()
	if err != nil {
		return "", err
	}
	f.customer = scan.ExternalUserID
	return fmt.Sprintf("add_external_contact: %s added %s, state %s, welcome code present: %v",
		scan.ExternalUserID, scan.UserID, scan.State, scan.WelcomeCode != ""), nil
}

func (f *flow) nextWelcome() (*message.WelcomeResult, error) {
	select {
	case res := <-f.results:
		if res.Outcome != message.WelcomeSent {
			return nil, fmt.Errorf("welcome %s: %v", res.Outcome, res.Err)
		}
		return res, nil
	case <-time.After(10 * time.Second):
		return nil, errors.New("no welcome result")
	}
}

func (f *flow) welcomeSent() (string, error) {
	res, err := f.nextWelcome()
	if err != nil {
		return "", err
	}
	for _, w := range f.fake.Corp(f.fake.CorpID).Messages().WelcomesSent() {
		if w.ExternalUserID == f.customer {
			return fmt.Sprintf("by the %s rule of %q: %q", res.Rule, res.Channel, w.Text), nil
		}
	}
	return "", errors.New("the fake shows no welcome for the customer")
}

func (f *flow) readCustomer() (string, error) {
	ids, err := f.contacts.List(f.ctx, f.staff)
	if err != nil {
		return "", err
	}
	d, err := f.contacts.Get(f.ctx, &contact.GetRequest{ExternalUserID: f.customer})
	if err != nil {
		return "", err
	}
	for _, fu := range d.FollowUser {
		if fu.UserID != f.staff {
			continue
		}
		ch, _, err := f.channels.Resolve(f.ctx, fu.State)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s has %d customer(s); %q came through channel %q, remark %q",
			f.staff, len(ids), d.ExternalContact.Name, ch, fu.Remark), nil
	}
	return "", fmt.Errorf("customer %s is not followed by %s", f.customer, f.staff)
}

func (f *flow) tagged() (string, error) {
	d, err := f.contacts.Get(f.ctx, &contact.GetRequest{ExternalUserID: f.customer})
	if err != nil {
		return "", err
	}
	for _, fu := range d.FollowUser {
		for _, t := range fu.Tags {
			if t.TagID == f.tagID {
				return "tag " + t.GroupName + "/" + t.TagName + " is on the customer", nil
			}
		}
	}
	return "", errors.New("tag not visible on the customer")
}

func (f *flow) moreScan() (string, error) {
	for range 4 {
		if _, err := f.scan(); err != nil {
			return "", err
		}
		if _, err := f.nextWelcome(); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d customers came through the channel, each welcomed and tagged", len(f.scanned)), nil
}

// massSend sends one message to every customer with the channel's tag,
// through each member who has such customers.
func (f *flow) massSend() (string, error) {
	members, err := f.contacts.ListFollowUsers(f.ctx)
	if err != nil {
		return "", err
	}
	f.tasks, err = f.messages.MassSend(f.ctx, &message.MassSendRequest{
		Audience: message.Audience{Senders: members, TagFilter: message.AnyTag(f.tagID)},
		Text:     &message.Text{Content: "Thanks for coming through our ad: 20% off this week"},
	})
	if err != nil {
		return "", err
	}
	created, empty := 0, 0
	for _, t := range f.tasks {
		switch {
		case t.Err == nil:
			created++
		case wecom.ErrorCode(t.Err) == 41048: // this member has no customer with the tag
			empty++
		default:
			return "", t.Err
		}
	}
	return fmt.Sprintf("%d task(s) for %d member(s), filtered on the tag (%d without such customers)", created, len(members), empty), nil
}

func (f *flow) massSendResults() (string, error) {
	var total message.SendTotals
	for _, t := range f.tasks {
		if t.Err != nil {
			continue
		}
		if err := f.fake.Corp(f.fake.CorpID).Messages().ConfirmMassSend(t.MsgID, t.Request.Sender); err != nil {
			return "", err
		}
		rep, err := f.messages.MassSendResults(f.ctx, &message.MassSendResultsRequest{MsgID: t.MsgID}, nil)
		if err != nil {
			return "", err
		}
		total.Add(rep.Totals)
	}
	return fmt.Sprintf("%d recipient(s): %d sent, %d unsent", total.Total(), total.Sent, total.NotSent), nil
}

// sync reads every customer of every member, page by page, and counts
// those the channel brought.
func (f *flow) sync() (string, error) {
	n, fromChannel := 0, 0
	for page, err := range f.contacts.Sync(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		for _, r := range page.Records {
			n++
			if ch, ok, err := f.channels.Resolve(f.ctx, r.FollowInfo.State); err == nil && ok && ch == channelName {
				fromChannel++
			}
		}
	}
	return fmt.Sprintf("%d customer record(s), %d through channel %q", n, fromChannel, channelName), nil
}

func (f *flow) retire() (string, error) {
	if f.code == nil {
		return "nothing to retire", nil
	}
	if err := f.channels.Retire(f.ctx, channelName); err != nil {
		return "", err
	}
	return "deleted " + f.code.ConfigID + "; its state still resolves for late events", nil
}
