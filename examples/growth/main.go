// Command growth runs customer growth (裂变获客) and retention for two weeks
// on a simulated clock: an acquisition link (获客链接) per online channel with
// its quota watched (balance_low, balance_exhausted and link_unavailable
// acted on: the operations admin is told, visitors go to a fallback code
// while the quota is out, a broken link is replaced under the same state),
// channel codes for offline posters, a welcome per channel, then retention
// through Moments posts and weekly sends run by package sop; at the end,
// the funnel per channel (opened → added → wrote → retained after 7 days)
// computed from what WeCom reports: the links' statistics and customers,
// the add and delete events, and the relations.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest) on a
// simulated clock and plays the visitors, the customers who write, leave
// or stay, the members and the admin who buys quota; the funnel is checked
// against the fake:
//
//	go run ./examples/growth
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set
// it reads that corp's quota, ensures the links and codes of the channels
// for its first two members with customer contact, prints them and retires
// them again; it sends nothing.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/sop"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "growth failed:", err)
		os.Exit(1)
	}
}

const callbackToken = "growthToken"

var (
	china = time.FixedZone("CST", 8*3600)
	start = time.Date(2025, 11, 17, 9, 0, 0, 0, china) // a Monday
)

// The channels: online ones served by acquisition links (and, while the
// quota is out, by a fallback code each), offline posters by codes.
const (
	douyin  = "抖音信息流"
	xhs     = "小红书笔记"
	wechat  = "公众号菜单"
	metro   = "地铁海报"
	store   = "门店海报"
	admin   = "ops-admin" // the operations admin, told of quota events
	backup  = "兜底·"       // prefix of the fallback codes' channels
	keepFor = 7 * 24 * time.Hour
)

// welcomeText is each channel's welcome.
var welcomeText = map[string]string{
	douyin: "感谢关注！新人礼包已为您准备好", xhs: "小红书的朋友你好，笔记同款在这里",
	wechat: "欢迎来自公众号的你，回复1领取资料", metro: "地铁上遇见你，扫码福利请查收", store: "欢迎光临，到店出示享会员价",
}

var (
	linkChannels   = []string{douyin, xhs, wechat}
	posterChannels = []string{metro, store}
	linkStaff      = []string{"zhangsan", "lisi"}
	posterStaff    = []string{"wangwu"}
)

// clock is the simulated clock the fake and the client share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// add is one add_external_contact event, resolved to its channel.
type add struct {
	userID, ext, state, channel string
	at                          time.Time
	fallback                    bool // through a fallback code
}

// formerLink is a link replaced after link_unavailable, with the figures
// read before it was deleted (WeCom answers nothing for a deleted link).
type formerLink struct {
	linkID    string
	opened    int64
	customers []*acquisition.Customer
}

// flow is the state the steps share.
type flow struct {
	ctx      context.Context
	clk      *clock
	client   *wecom.Client
	fake     *wecomtest.Server // nil against a real WeCom
	corp     *wecomtest.Corp
	acq      *acquisition.Service
	contacts *contact.Service
	msg      *message.Service
	notifier *appmsg.Notifier
	sched    *sop.Scheduler
	staff    []string

	links    *acquisition.Channels
	codes    *contact.Channels
	welcomes *message.Welcomes
	h        *callback.Handler
	hs       *httptest.Server
	plan     *sop.Plan

	mu        sync.Mutex
	adds      []add
	deletes   map[[2]string]time.Time // (member, customer) → when the relation ended
	exhausted bool                    // the landing pages show the fallback codes
	former    map[string][]formerLink
	acted     []string // what the quota watch did, in order
	today     []string // the day's notes
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 40)
	f := &flow{ctx: ctx, clk: &clock{t: start}, deletes: map[[2]string]time.Time{}, former: map[string][]formerLink{}}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	defer f.close()
	all := []steps.Step{
		{Name: "the corp buys acquisition quota", FakeOnly: true, Fn: f.buyQuota},
		{Name: "read the quota", Fn: f.quota},
		{Name: "an acquisition link per online channel", Fn: f.ensureLinks},
		{Name: "codes for posters and fallbacks", Fn: f.ensureCodes},
		{Name: "serve the callback: welcomes, quota watch", FakeOnly: true, Fn: f.serve},
		{Name: "the retention plan", FakeOnly: true, Fn: f.makePlan},
	}
	for day := range 14 {
		all = append(all, steps.Step{Name: fmt.Sprintf("day %2d, %s", day+1, start.AddDate(0, 0, day).Format("Mon 01-02")),
			FakeOnly: true, Fn: func() (string, error) { return f.day(day) }})
	}
	all = append(all,
		steps.Step{Name: "quota events acted on", FakeOnly: true, Fn: f.quotaActions},
		steps.Step{Name: "retention plan: every part done", FakeOnly: true, Fn: f.planDone},
		steps.Step{Name: "funnel per channel", FakeOnly: true, Fn: f.funnel},
		steps.Step{Name: "the funnel against the fake", FakeOnly: true, Fn: f.checkFunnel},
		steps.Step{Name: "retire the links and codes", Fn: f.retire},
	)
	return s.Run(f.fake != nil, all)
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv); ok {
		f.client = c
	} else {
		f.fake = wecomtest.Start(wecomtest.WithClock(f.clk.Now))
		f.corp = f.fake.Corp(f.fake.CorpID)
		if err := f.corp.AddStaff(append(append([]string(nil), linkStaff...), posterStaff...)...); err != nil {
			return "", err
		}
		if err := f.corp.Directory().AddMember(wecomtest.MemberSpec{UserID: admin, Name: "运营管理员"}); err != nil {
			return "", err
		}
		f.corp.Messages().SetMomentJobDelay(5 * time.Second)
		f.client = f.fake.Client(wecom.WithClock(f.clk.Now), wecom.WithAgentID(f.corp.AppMessages().AgentID()))
	}
	f.acq = acquisition.New(f.client)
	f.contacts = contact.New(f.client)
	f.msg = message.New(f.client)
	users, err := f.contacts.ListFollowUsers(f.ctx)
	if err != nil {
		return "", err
	}
	if len(users) == 0 {
		return "", errors.New("no member has customer contact enabled")
	}
	f.staff = users
	if f.fake == nil {
		return fmt.Sprintf("corp %s; %d member(s) with customer contact", f.client.CorpID(), len(users)), nil
	}
	if f.notifier, err = appmsg.NewNotifier(appmsg.New(f.client)); err != nil {
		return "", err
	}
	if f.sched, err = sop.NewScheduler(f.msg); err != nil {
		return "", err
	}
	return fmt.Sprintf("no WECOM_CORP_ID: started the fake WeCom at %s on a clock at %s", f.fake.URL, start.Format("Mon 01-02 15:04")), nil
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

func (f *flow) buyQuota() (string, error) {
	if _, err := f.corp.Acquisition().GrantQuota(f.ctx, 25, start.AddDate(0, 3, 0)); err != nil {
		return "", err
	}
	return "25 units, valid 3 months", nil
}

func (f *flow) quota() (string, error) {
	q, err := f.acq.GetQuota(f.ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("balance %d of %d; WeCom warns below %d", q.Balance, q.Total, acquisition.BalanceLowThreshold), nil
}

// members returns the members serving links or posters: the program's on
// the fake, the corp's first two otherwise.
func (f *flow) members(onFake []string) []string {
	if f.fake != nil {
		return onFake
	}
	return f.staff[:min(2, len(f.staff))]
}

func (f *flow) ensureLinks() (string, error) {
	var err error
	f.links, err = acquisition.NewChannels(f.acq, f.client.Store(), acquisition.ChannelTemplate{Range: acquisition.Range{UserList: f.members(linkStaff)}})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, name := range linkChannels {
		l, err := f.links.Ensure(f.ctx, acquisition.Channel{Name: name})
		if err != nil {
			return "", err
		}
		parts = append(parts, name+" → "+l.State)
	}
	return strings.Join(parts, ", "), nil
}

// ensureCodes makes a contact way for each poster and, for each online
// channel, a fallback code the landing page shows while the quota is out.
func (f *flow) ensureCodes() (string, error) {
	var err error
	f.codes, err = contact.NewChannels(f.contacts, f.client.Store(), contact.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, name := range posterChannels {
		c, err := f.codes.Ensure(f.ctx, contact.Channel{Name: name, Users: f.members(posterStaff)})
		if err != nil {
			return "", err
		}
		parts = append(parts, name+" → "+c.State)
	}
	for _, name := range linkChannels {
		if _, err := f.codes.Ensure(f.ctx, contact.Channel{Name: backup + name, Users: f.members(linkStaff)}); err != nil {
			return "", err
		}
	}
	return strings.Join(parts, ", ") + fmt.Sprintf("; %d fallback codes", len(linkChannels)), nil
}

// serve starts the callback URL: a welcome per channel (resolved through
// both kinds of channels), the quota watch, and the log of adds and
// deletes the funnel is computed from.
func (f *flow) serve() (string, error) {
	rules := message.WelcomeRules{Channels: map[string]*message.Welcome{}}
	for ch, text := range welcomeText {
		rules.Channels[ch] = &message.Welcome{Text: text}
	}
	for _, ch := range linkChannels { // the fallback code greets as its channel does
		rules.Channels[backup+ch] = rules.Channels[ch]
	}
	var err error
	f.welcomes, err = message.NewWelcomes(f.msg, rules, message.WithChannelResolver(f.links, f.codes))
	if err != nil {
		return "", err
	}
	aesKey := wecomtest.NewEncodingAESKey()
	f.h, err = callback.NewHandler(callbackToken, aesKey, callback.WithReceiverID(f.client.CorpID()))
	if err != nil {
		return "", err
	}
	f.welcomes.Register(f.h)
	f.h.OnAddExternalContact(f.added)
	f.h.OnExternalContact(f.deleted, callback.ChangeDelFollowUser, callback.ChangeDelExternalContact)
	f.h.OnCustomerAcquisition(f.quotaWatch, callback.ChangeBalanceLow, callback.ChangeBalanceExhausted,
		callback.ChangeBalanceIncreased, callback.ChangeLinkUnavailable)
	f.hs = httptest.NewServer(f.h)
	f.corp.SetCallback(f.hs.URL, callbackToken, aesKey)
	return fmt.Sprintf("listening at %s; %d welcome rules", f.hs.URL, len(rules.Channels)), nil
}

// added logs an add with its channel: the State resolves through the
// links' channels or the codes'.
func (f *flow) added(ctx context.Context, ev *callback.ExternalContactEvent) error {
	name, ok, err := f.links.Resolve(ctx, ev.State)
	if err == nil && !ok {
		name, ok, err = f.codes.Resolve(ctx, ev.State)
	}
	if err != nil {
		return err
	}
	if !ok {
		return nil // a code of someone else's
	}
	a := add{userID: ev.UserID, ext: ev.ExternalUserID, state: ev.State, channel: name, at: ev.Time()}
	if rest, cut := strings.CutPrefix(name, backup); cut {
		a.channel, a.fallback = rest, true
	}
	f.mu.Lock()
	f.adds = append(f.adds, a)
	f.mu.Unlock()
	return nil
}

// deleted logs the end of a relation, whichever side ended it.
func (f *flow) deleted(_ context.Context, ev *callback.ExternalContactEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := [2]string{ev.UserID, ev.ExternalUserID}
	if _, ok := f.deletes[k]; !ok {
		f.deletes[k] = ev.Time()
	}
	return nil
}

// quotaWatch acts on the acquisition events: the admin hears of each; when
// the quota is out the landing pages show the fallback codes until it is
// back; a broken link is replaced (the same state, so attribution and
// welcomes carry on) after its figures are kept.
func (f *flow) quotaWatch(ctx context.Context, ev *callback.CustomerAcquisitionEvent) error {
	var note string
	switch ev.ChangeType {
	case callback.ChangeBalanceLow:
		q, err := f.acq.GetQuota(ctx)
		if err != nil {
			return err
		}
		note = fmt.Sprintf("获客助手余额不足：剩余 %d 次，请及时购买", q.Balance)
	case callback.ChangeBalanceExhausted:
		f.mu.Lock()
		f.exhausted = true
		f.mu.Unlock()
		note = "获客助手余额已用完：落地页已切换为兜底活码"
	case callback.ChangeBalanceIncreased:
		f.mu.Lock()
		f.exhausted = false
		f.mu.Unlock()
		note = "获客助手余额已恢复：落地页已切回获客链接"
	case callback.ChangeLinkUnavailable:
		l, ok, err := f.links.LookupLink(ctx, ev.LinkID)
		if err != nil || !ok {
			return err // not ours (ok false, err nil), or answered 500 to be sent again
		}
		if err := f.replaceLink(ctx, l); err != nil {
			return err
		}
		note = fmt.Sprintf("获客链接「%s」不可用：已重建，请更新投放链接", l.Name)
	default:
		return nil
	}
	f.mu.Lock()
	f.acted = append(f.acted, string(ev.ChangeType))
	f.today = append(f.today, string(ev.ChangeType)+" acted on")
	f.mu.Unlock()
	_, err := f.notifier.Notify(ctx, admin, appmsg.Text{Content: note})
	return err
}

// replaceLink keeps a broken link's figures, deletes it and makes the
// channel a new one.
func (f *flow) replaceLink(ctx context.Context, l *acquisition.ChannelLink) error {
	fl := formerLink{linkID: l.LinkID}
	st, err := f.acq.GetStatistic(ctx, &acquisition.GetStatisticRequest{LinkID: l.LinkID,
		StartTime: wecom.UnixTime(start.Unix()), EndTime: wecom.UnixTime(f.clk.Now().Unix())})
	if err != nil {
		return err
	}
	fl.opened = st.ClickLinkCustomerCnt
	for cu, err := range f.acq.ListCustomersIter(ctx, &acquisition.ListCustomersRequest{LinkID: l.LinkID}) {
		if err != nil {
			return err
		}
		fl.customers = append(fl.customers, cu)
	}
	if err := f.links.Retire(ctx, l.Name); err != nil {
		return err
	}
	if _, err := f.links.Ensure(ctx, l.Channel); err != nil {
		return err
	}
	f.mu.Lock()
	f.former[l.Name] = append(f.former[l.Name], fl)
	f.mu.Unlock()
	return nil
}

// makePlan is the retention plan: Moments posts and weekly sends to every
// customer, run once when due by package sop.
func (f *flow) makePlan() (string, error) {
	day := func(d int) time.Duration { return time.Duration(d)*24*time.Hour + 2*time.Hour } // 11:00
	everyone := append(append([]string(nil), linkStaff...), posterStaff...)
	weekly := func(text string) *message.MassSendRequest {
		return &message.MassSendRequest{Audience: message.Audience{Senders: everyone}, Text: &message.Text{Content: text}}
	}
	f.plan = &sop.Plan{Name: "留存计划 2025-11", Start: start, Steps: []sop.Step{
		{Name: "D4 朋友圈：用户故事", At: day(3), Moment: &message.AddMomentTaskRequest{Text: &message.Text{Content: "听听老用户怎么说"}}},
		{Name: "D6 周报：本周上新", At: day(5), MassSend: weekly("本周上新，老朋友专享价")},
		{Name: "D11 朋友圈：使用技巧", At: day(10), Moment: &message.AddMomentTaskRequest{Text: &message.Text{Content: "三个使用小技巧"}}},
		{Name: "D13 周报：周末活动", At: day(12), MassSend: weekly("周末活动报名开启")},
	}}
	return fmt.Sprintf("%s: 2 Moments posts and 2 weekly sends by %s", f.plan.Name, strings.Join(everyone, ", ")), nil
}

func (f *flow) retire() (string, error) {
	n := 0
	for _, name := range linkChannels {
		if err := f.links.Retire(f.ctx, name); err != nil {
			return "", err
		}
		n++
	}
	for _, name := range posterChannels {
		if err := f.codes.Retire(f.ctx, name); err != nil {
			return "", err
		}
		n++
	}
	for _, name := range linkChannels {
		if err := f.codes.Retire(f.ctx, backup+name); err != nil {
			return "", err
		}
		n++
	}
	return fmt.Sprintf("%d links and codes deleted", n), nil
}
