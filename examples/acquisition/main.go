// Command acquisition runs a link-per-channel flow with the customer
// acquisition assistant (获客助手): one acquisition link per marketing
// channel, customers tapping the links, the callbacks WeCom pushes (the add
// with its channel as State, the acquisition events, the quota running
// low), each customer resolved back to its channel, the chat details behind
// a repeated-messages event, per-link statistics, the quota, and clean-up.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest) in-process
// and plays the customers and WeCom's pushes itself, so it runs anywhere
// with no credentials:
//
//	go run ./examples/acquisition
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL)
// set, it talks to that server instead and runs the steps that need no
// simulated customer: quota, links per channel, their customers and
// statistics, then deletes the links it made.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "acquisition failed:", err)
		os.Exit(1)
	}
}

// channelNames are the marketing channels, one link each.
var channelNames = []string{"douyin-ad-7", "spring-fair", "朋友圈广告"}

// flow is the state the steps share.
type flow struct {
	ctx      context.Context
	client   *wecom.Client
	svc      *acquisition.Service
	channels *acquisition.Channels
	fake     *wecomtest.Server // nil against a real WeCom
	cb       *wecomtest.Corp
	staff    []string
	links    map[string]*acquisition.ChannelLink

	mu       sync.Mutex
	adds     []*callback.ExternalContactEvent
	acqs     []*callback.CustomerAcquisitionEvent
	closeSrv func()
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 44)
	f := &flow{ctx: ctx, links: map[string]*acquisition.ChannelLink{}}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	if f.fake != nil {
		defer f.fake.Close()
	}
	defer func() {
		if f.closeSrv != nil {
			f.closeSrv()
		}
	}()
	all := []struct {
		name     string
		fakeOnly bool
		fn       func() (string, error)
	}{
		{"seed members and quota", true, f.seed},
		{"start the callback handler", true, f.startCallback},
		{"find members with customer contact", false, f.findStaff},
		{"read the quota", false, f.quota},
		{"ensure one link per channel", false, f.ensureLinks},
		{"ensure again: the same links", false, f.ensureAgain},
		{"customers tap the links; callbacks arrive", true, f.tap},
		{"resolve each add to its channel", true, f.resolveAdds},
		{"quota ran low: balance_low pushed", true, f.lowBalance},
		{"repeated messages: chat info by ChatKey", true, f.chatInfo},
		{"list each channel's customers", false, f.customers},
		{"read a link's statistics", false, f.statistic},
		{"quota expiring: quota_expire_soon pushed", true, f.expiring},
		{"marketing-acquisition permit", true, f.permit},
		{"retire the channels (delete their links)", false, f.retireChannels},
	}
	for _, st := range all {
		if st.fakeOnly && f.fake == nil {
			continue
		}
		if f.fake == nil && len(f.staff) == 0 && st.name != "find members with customer contact" && st.name != "read the quota" {
			continue // a real corp with no member enabled for customer contact
		}
		if err := s.Do(st.name, st.fn); err != nil {
			return err
		}
	}
	return nil
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv); ok {
		f.client = c
		f.svc = acquisition.New(f.client)
		return "corp " + c.CorpID(), nil
	}
	f.fake = wecomtest.Start()
	f.client = f.fake.Client()
	f.svc = acquisition.New(f.client)
	return "no WECOM_CORP_ID: started the fake WeCom at " + f.fake.URL, nil
}

func (f *flow) seed() (string, error) {
	if err := f.fake.Corp(f.fake.CorpID).AddStaff("zhangsan", "lisi"); err != nil {
		return "", err
	}
	// 23 units: the fourth customer takes the balance below 20. Units
	// that expire first are used first.
	if _, err := f.fake.Corp(f.fake.CorpID).Acquisition().GrantQuota(f.ctx, 18, time.Now().AddDate(0, 3, 0)); err != nil {
		return "", err
	}
	if _, err := f.fake.Corp(f.fake.CorpID).Acquisition().GrantQuota(f.ctx, 5, time.Now().Add(5*24*time.Hour)); err != nil {
		return "", err
	}
	return "members zhangsan, lisi; 23 units of quota, 5 of them expiring in 5 days", nil
}

// startCallback serves a callback.Handler on loopback and points the fake's
// pushes at it.
func (f *flow) startCallback() (string, error) {
	token, aesKey := "acquisitionToken", wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(f.fake.CorpID))
	if err != nil {
		return "", err
	}
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		f.mu.Lock()
		f.adds = append(f.adds, ev)
		f.mu.Unlock()
		return nil
	})
	h.OnCustomerAcquisition(func(_ context.Context, ev *callback.CustomerAcquisitionEvent) error {
		f.mu.Lock()
		f.acqs = append(f.acqs, ev)
		f.mu.Unlock()
		return nil
	})
	srv := httptest.NewServer(h)
	f.closeSrv = srv.Close
	f.cb = f.fake.Corp(f.fake.CorpID).SetCallback(srv.URL, token, aesKey)
	return "callback URL " + srv.URL, nil
}

func (f *flow) findStaff() (string, error) {
	users, err := contact.New(f.client).ListFollowUsers(f.ctx)
	if err != nil {
		return "", err
	}
	f.staff = users
	if len(f.staff) > 2 {
		f.staff = f.staff[:2]
	}
	if len(f.staff) == 0 {
		return "none: the link steps are skipped", nil
	}
	ch, err := acquisition.NewChannels(f.svc, wecom.NewMemoryStore(), acquisition.ChannelTemplate{
		Range: acquisition.Range{UserList: f.staff}})
	if err != nil {
		return "", err
	}
	f.channels = ch
	return strings.Join(f.staff, ", ") + " will take the customers", nil
}

func (f *flow) quota() (string, error) {
	q, err := f.svc.GetQuota(f.ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("balance %d of %d, in %d batch(es)", q.Balance, q.Total, len(q.QuotaList)), nil
}

func (f *flow) ensureLinks() (string, error) {
	var parts []string
	for _, name := range channelNames {
		l, err := f.channels.Ensure(f.ctx, acquisition.Channel{Name: name})
		if err != nil {
			return "", err
		}
		f.links[name] = l
		parts = append(parts, fmt.Sprintf("%s → %s (state %s)", name, l.LinkName, l.State))
	}
	return strings.Join(parts, "; "), nil
}

func (f *flow) ensureAgain() (string, error) {
	for _, name := range channelNames {
		l, err := f.channels.Ensure(f.ctx, acquisition.Channel{Name: name})
		if err != nil {
			return "", err
		}
		if l.LinkID != f.links[name].LinkID {
			return "", fmt.Errorf("channel %s got a second link", name)
		}
	}
	n := 0
	for _, err := range f.svc.ListLinksIter(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		n++
	}
	return fmt.Sprintf("%d channels, %d links listed for this app", len(channelNames), n), nil
}

// tap plays four WeChat users: two through the ad, one each through the
// others.
func (f *flow) tap() (string, error) {
	for _, name := range []string{channelNames[0], channelNames[0], channelNames[1], channelNames[2]} {
		l := f.links[name]
		if _, err := f.cb.Acquisition().TapLink(f.ctx, l.LinkID, l.State); err != nil {
			return "", err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	kinds := map[callback.ChangeType]int{}
	for _, ev := range f.acqs {
		kinds[ev.ChangeType]++
	}
	// open_profile and friend_request name no customer: two taps of one
	// link in the same second push the same message, which the handler
	// takes for WeCom's re-send and handles once.
	return fmt.Sprintf("%d add_external_contact; open_profile ×%d, friend_request ×%d, balance_low ×%d",
		len(f.adds), kinds[callback.ChangeOpenProfile], kinds[callback.ChangeFriendRequest], kinds[callback.ChangeBalanceLow]), nil
}

func (f *flow) resolveAdds() (string, error) {
	f.mu.Lock()
	adds := append([]*callback.ExternalContactEvent(nil), f.adds...)
	f.mu.Unlock()
	per := map[string]int{}
	for _, ev := range adds {
		ch, ok, err := f.channels.Resolve(f.ctx, ev.State)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("state %q resolves to no channel", ev.State)
		}
		per[ch]++
	}
	var parts []string
	for _, name := range channelNames {
		parts = append(parts, fmt.Sprintf("%s: %d", name, per[name]))
	}
	return strings.Join(parts, ", "), nil
}

func (f *flow) lowBalance() (string, error) {
	for _, ev := range f.acquisitionEvents() {
		if ev.ChangeType == callback.ChangeBalanceLow {
			q, err := f.svc.GetQuota(f.ctx)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("balance_low received; %d units left", q.Balance), nil
		}
	}
	return "", fmt.Errorf("no balance_low event")
}

func (f *flow) acquisitionEvents() []*callback.CustomerAcquisitionEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*callback.CustomerAcquisitionEvent(nil), f.acqs...)
}

func (f *flow) chatInfo() (string, error) {
	f.mu.Lock()
	first := f.adds[0]
	f.mu.Unlock()
	for range 3 { // the third message makes WeCom push message_from_customer
		if _, err := f.cb.Acquisition().CustomerMessage(f.ctx, first.ExternalUserID, first.UserID); err != nil {
			return "", err
		}
	}
	for _, ev := range f.acquisitionEvents() {
		if ev.ChangeType != callback.ChangeMessageFromCustomer {
			continue
		}
		info, err := f.svc.GetChatInfo(f.ctx, ev.ChatKey) // within 30 minutes of the push
		if err != nil {
			return "", err
		}
		l, ok, err := f.channels.LookupLink(f.ctx, info.ChatInfo.LinkID)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("link %s belongs to no channel", info.ChatInfo.LinkID)
		}
		return fmt.Sprintf("%s received %d messages from a customer of %s", info.UserID, info.ChatInfo.RecvMsgCnt, l.Name), nil
	}
	return "", fmt.Errorf("no message_from_customer event")
}

func (f *flow) customers() (string, error) {
	var parts []string
	for _, name := range channelNames {
		n, chatting := 0, 0
		for c, err := range f.channels.Customers(f.ctx, name) {
			if err != nil {
				return "", err
			}
			n++
			if c.ChatStatus == acquisition.ChatStarted {
				chatting++
			}
		}
		parts = append(parts, fmt.Sprintf("%s: %d (%d chatting)", name, n, chatting))
	}
	return strings.Join(parts, ", "), nil
}

func (f *flow) statistic() (string, error) {
	now := time.Now()
	l := f.links[channelNames[0]]
	st, err := f.svc.GetStatistic(f.ctx, &acquisition.GetStatisticRequest{LinkID: l.LinkID,
		StartTime: wecom.UnixTime(now.Add(-24 * time.Hour).Unix()), EndTime: wecom.UnixTime(now.Unix())})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: %d tapped, %d added", channelNames[0], st.ClickLinkCustomerCnt, st.NewCustomerCnt), nil
}

func (f *flow) expiring() (string, error) {
	if _, err := f.cb.Acquisition().PushQuotaExpireSoon(f.ctx); err != nil {
		return "", err
	}
	for _, ev := range f.acquisitionEvents() {
		if ev.ChangeType == callback.ChangeQuotaExpireSoon {
			if ev.ExpireTime == 0 {
				return "", fmt.Errorf("quota_expire_soon without ExpireTime: %s", ev.Raw)
			}
			return fmt.Sprintf("%s unit(s) expire on %s", ev.ExpireQuotaNum, ev.ExpireTime.Time().Format(time.DateOnly)), nil
		}
	}
	return "", fmt.Errorf("no quota_expire_soon event")
}

func (f *flow) permit() (string, error) {
	if _, err := f.svc.GetPermit(f.ctx); wecom.ErrorCode(err) != wecom.CodeAPIForbidden {
		return "", fmt.Errorf("a plain app got %v, want 48002", err)
	}
	if err := f.fake.Corp(f.fake.CorpID).Acquisition().SetMarketingApp("", wecomtest.AcquisitionPermit{Users: f.staff}); err != nil {
		return "", err
	}
	p, err := f.svc.GetPermit(f.ctx)
	if err != nil {
		return "", err
	}
	return "48002 for a plain app; as a marketing app: " + strings.Join(p.UserList, ", "), nil
}

func (f *flow) retireChannels() (string, error) {
	for _, name := range channelNames {
		if err := f.channels.Retire(f.ctx, name); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("retired %d channels, their links deleted", len(channelNames)), nil
}
