// Command quickstart walks through an SCRM flow with scrmkit: token, channel
// code (联系我) with a state, a customer adding a member through it, the
// add_external_contact callback, the customer's details, tagging, and what
// the client does when WeCom is flaky. With no WECOM_CORP_ID set it starts
// the fake WeCom (wecomtest) in-process, so it runs anywhere with no
// credentials:
//
//	go run ./examples/quickstart
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set,
// it talks to that server instead and runs the steps that need no simulated
// customer.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/steps"
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
	contacts *contact.Service
	fake     *wecomtest.Server // nil against a real WeCom
	staff    string
	configID string
	customer string
	event    string // what the callback handler saw
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 38)
	f := &flow{ctx: ctx}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	if f.fake != nil {
		defer f.fake.Close()
	}
	steps := []struct {
		name     string
		fakeOnly bool
		fn       func() (string, error)
	}{
		{"fetch access token", false, f.token},
		{"list API domain IPs", false, f.ips},
		{"upload temporary media", false, f.upload},
		{"find staff with customer contact", false, f.followUsers},
		{"create a channel code (联系我)", false, f.addContactWay},
		{"customer scans it; callback arrives", true, f.customerAdds},
		{"read the customer and its state", true, f.readCustomer},
		{"tag the customer", true, f.tag},
		{"delete the channel code", false, f.delContactWay},
		{"retry through 'system busy' (-1)", true, f.retryBusy},
		{"refresh an expired token (42001)", true, f.refreshToken},
	}
	for _, st := range steps {
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
	if corp := getenv("WECOM_CORP_ID"); corp != "" {
		var opts []wecom.Option
		if base := getenv("WECOM_BASE_URL"); base != "" {
			opts = append(opts, wecom.WithBaseURL(base))
		}
		f.client = wecom.New(corp, getenv("WECOM_CORP_SECRET"), opts...)
		f.contacts = contact.New(f.client)
		return "corp " + corp, nil
	}
	f.fake = wecomtest.New()
	if err := f.fake.AddStaff(f.fake.CorpID, "zhangsan", "lisi"); err != nil {
		return "", err
	}
	f.client = f.fake.Client()
	f.contacts = contact.New(f.client)
	return "no WECOM_CORP_ID: started the fake WeCom at " + f.fake.URL, nil
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

func (f *flow) addContactWay() (string, error) {
	way, err := f.contacts.AddContactWay(f.ctx, &contact.AddContactWayRequest{
		Type:   contact.ContactWaySingle,
		Scene:  contact.SceneQRCode,
		Remark: "quickstart",
		State:  "quickstart-ad-1",
		User:   []string{f.staff},
	})
	if err != nil {
		return "", err
	}
	f.configID = way.ConfigID
	return fmt.Sprintf("config_id %s for %s, state quickstart-ad-1", way.ConfigID, f.staff), nil
}

func (f *flow) readCustomer() (string, error) {
	ids, err := f.contacts.List(f.ctx, f.staff)
	if err != nil {
		return "", err
	}
	d, err := f.contacts.Get(f.ctx, f.customer, "")
	if err != nil {
		return "", err
	}
	for _, fu := range d.FollowUser {
		if fu.UserID == f.staff {
			return fmt.Sprintf("%s has %d customer(s); %q came with state %q", f.staff, len(ids), d.ExternalContact.Name, fu.State), nil
		}
	}
	return "", fmt.Errorf("customer %s is not followed by %s", f.customer, f.staff)
}

func (f *flow) tag() (string, error) {
	g, err := f.contacts.AddCorpTag(f.ctx, &contact.AddCorpTagRequest{
		GroupName: "来源", Tag: []contact.NewTag{{Name: "朋友圈广告"}},
	})
	if err != nil {
		return "", err
	}
	err = f.contacts.MarkTag(f.ctx, &contact.MarkTagRequest{UserID: f.staff, ExternalUserID: f.customer, AddTag: []string{g.Tag[0].ID}})
	if err != nil {
		return "", err
	}
	d, err := f.contacts.Get(f.ctx, f.customer, "")
	if err != nil {
		return "", err
	}
	for _, fu := range d.FollowUser {
		for _, t := range fu.Tags {
			if t.TagID == g.Tag[0].ID {
				return "tag " + t.GroupName + "/" + t.TagName + " is on the customer", nil
			}
		}
	}
	return "", fmt.Errorf("tag not visible on the customer")
}

func (f *flow) delContactWay() (string, error) {
	if f.configID == "" {
		return "nothing to delete", nil
	}
	return "deleted " + f.configID, f.contacts.DelContactWay(f.ctx, f.configID)
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
	f.fake.ExpireTokens(f.fake.CorpID)
	if _, err := f.client.GetAPIDomainIPs(f.ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("gettoken called %d times in all", f.fake.TokenFetches(f.fake.CorpID)), nil
}
