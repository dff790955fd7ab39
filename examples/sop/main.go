// Command sop runs SOP-driven private-domain operations (活码 → 人群分组 →
// SOP) for two weeks on a simulated clock: channel codes and a group
// channel code bring customers in; the vendor's sales, transaction and
// service data put each customer in a layer, marked as a tag; one SOP plan
// per layer schedules mass sends to customers (群发), sends to customer
// groups (群群发) and Moments posts (朋友圈) for the sales staff; package sop
// runs each step once when due, follows every member's part and reminds
// those who lag (WeCom's own reminder of a mass send, 3 times a day, then an
// application message); and the customers no member follows any more (a
// member resigned, a customer deleted the member) go back to a pool (公海)
// and are reassigned to the members who do their SOP work.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest) on a
// simulated clock and plays the customers and the members: zhangsan does
// his part within the hour, lisi after a reminder, wangwu never, zhaoliu
// on time until he resigns on day 6; on day 8 a dormant customer buys
// again, on day 9 a customer deletes their only member and a member
// deletes a customer a colleague also follows. Every outcome is checked in
// the fake:
//
//	go run ./examples/sop
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set
// it runs the steps that need no simulated people or clock on that corp:
// the tag taxonomy, the channel codes (retired again at the end) and the
// plans' schedule, which it prints without sending anything.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/sop"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "sop failed:", err)
		os.Exit(1)
	}
}

const callbackToken = "sopToken"

// china is WeCom's time zone; the plans start on Monday 17 November 2025 at
// 09:00 China time.
var (
	china = time.FixedZone("CST", 8*3600)
	start = time.Date(2025, 11, 17, 9, 0, 0, 0, china)
)

// The sales staff, and how the program plays them in the fake.
var sales = []string{"zhangsan", "lisi", "wangwu", "zhaoliu"}

type habit int

const (
	onTime        habit = iota // does the part within the hour
	afterReminder              // does it once reminded
	never                      // does not
)

var habits = map[string]habit{"zhangsan": onTime, "lisi": afterReminder, "wangwu": never, "zhaoliu": onTime}

// Tag groups: where customers came from, and their layer.
const (
	sourceGroup = "来源"
	layerGroup  = "客户分层"
)

// The layers, from the vendor's data (see layerOf).
const (
	layerService = "服务跟进" // an open service ticket
	layerVIP     = "高价值"  // spent 5000 or more
	layerActive  = "活跃"   // ordered in the last 30 days
	layerDormant = "沉睡"   // everyone else
)

var layers = []string{layerVIP, layerActive, layerDormant, layerService}

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

// flow is the state the steps share.
type flow struct {
	ctx      context.Context
	clk      *clock
	client   *wecom.Client
	fake     *wecomtest.Server // nil against a real WeCom
	corp     *wecomtest.Corp
	contacts *contact.Service
	groups   *groupchat.Service
	msg      *message.Service
	notifier *appmsg.Notifier
	sched    *sop.Scheduler
	staff    []string

	tags      *contact.AppliedTaxonomy
	channels  *contact.Channels
	codes     map[string]*contact.ChannelCode
	groupCode *groupchat.ChannelCode
	gchannels *groupchat.Channels
	vipGroup  string
	liveGroup string
	plans     []*sop.Plan

	h  *callback.Handler
	hs *httptest.Server

	crm  *crm
	runs []ranStep // every step run, in order
	log  dayLog    // what happened on the current day

	resignedStaff []string
	allReminders  []remindLog // WeCom's reminders, one per call
	loneChurned   string      // the customer who deleted their only member
	bothDeletedBy string      // the member who deleted customer 7
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 46)
	f := &flow{ctx: ctx, clk: &clock{t: start}, codes: map[string]*contact.ChannelCode{}, crm: newCRM()}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	defer f.close()
	all := []steps.Step{
		{Name: "serve the callback: channels and churn", FakeOnly: true, Fn: f.serve},
		{Name: "apply the tag taxonomy", Fn: f.applyTaxonomy},
		{Name: "ensure the channel codes", Fn: f.ensureChannels},
		{Name: "customers scan the codes", FakeOnly: true, Fn: f.scan},
		{Name: "customers join the VIP group by its code", FakeOnly: true, Fn: f.joinGroup},
		{Name: "layer customers from sales, orders and service", FakeOnly: true, Fn: f.layer},
		{Name: "one SOP plan per layer", Fn: f.makePlans},
	}
	if f.fake == nil {
		all = append(all, steps.Step{Name: "retire the channel codes", Fn: f.retire})
		return s.Run(false, all)
	}
	for day := range 14 {
		all = append(all, steps.Step{Name: dayName(day), FakeOnly: true, Fn: func() (string, error) { return f.day(day) }})
	}
	all = append(all,
		steps.Step{Name: "completion per member across the plans", FakeOnly: true, Fn: f.completion},
		steps.Step{Name: "reminders within WeCom's limits", FakeOnly: true, Fn: f.reminderLimits},
		steps.Step{Name: "the pool: customers reassigned", FakeOnly: true, Fn: f.poolOutcome},
		steps.Step{Name: "layers as tags in WeCom", FakeOnly: true, Fn: f.layersInWeCom},
	)
	return s.Run(true, all)
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv); ok {
		f.client = c
	} else {
		f.fake = wecomtest.Start(wecomtest.WithClock(f.clk.Now))
		f.corp = f.fake.Corp(f.fake.CorpID)
		if err := f.corp.AddStaff(sales...); err != nil {
			return "", err
		}
		f.corp.Messages().SetMomentJobDelay(5 * time.Second)
		f.client = f.fake.Client(wecom.WithClock(f.clk.Now), wecom.WithAgentID(f.corp.AppMessages().AgentID()))
	}
	f.contacts = contact.New(f.client)
	f.groups = groupchat.New(f.client)
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
	f.notifier, err = appmsg.NewNotifier(appmsg.New(f.client))
	if err != nil {
		return "", err
	}
	f.sched, err = sop.NewScheduler(f.msg, sop.WithNotifier(f.notifier))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("no WECOM_CORP_ID: started the fake WeCom at %s on a clock at %s; members %s",
		f.fake.URL, f.clk.Now().Format("Mon 01-02 15:04"), strings.Join(users, ", ")), nil
}

func (f *flow) close() {
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

// serve starts the callback URL on loopback: the channel helpers tag new
// customers and joiners; the churn handler sends customers no member
// follows any more to the pool.
func (f *flow) serve() (string, error) {
	var err error
	f.channels, err = contact.NewChannels(f.contacts, f.client.Store(), contact.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	f.gchannels, err = groupchat.NewChannels(f.groups, f.client.Store(), nil, groupchat.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	f.channels.OnCustomer(func(_ context.Context, cu *contact.ChannelCustomer) {
		f.crm.added(cu.ExternalUserID, cu.UserID, cu.Code.Name)
	})
	aesKey := wecomtest.NewEncodingAESKey()
	f.h, err = callback.NewHandler(callbackToken, aesKey, callback.WithReceiverID(f.client.CorpID()))
	if err != nil {
		return "", err
	}
	f.channels.Register(f.h)
	f.gchannels.Register(f.h)
	// Churn: the customer deleted the member (del_follow_user), or the
	// member the customer (del_external_contact).
	f.h.OnExternalContact(f.churned, callback.ChangeDelFollowUser, callback.ChangeDelExternalContact)
	f.hs = httptest.NewServer(f.h)
	f.fake.Corp(f.fake.CorpID).SetCallback(f.hs.URL, callbackToken, aesKey)
	return "listening at " + f.hs.URL, nil
}

func (f *flow) applyTaxonomy() (string, error) {
	var err error
	f.tags, err = f.contacts.ApplyTaxonomy(f.ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{
		{Name: sourceGroup, Tags: []string{"门店海报", "直播间", "社群"}},
		{Name: layerGroup, Tags: layers},
	}}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d tag(s) created in %d groups", len(f.tags.Created), len(f.tags.Groups)), nil
}

func (f *flow) tag(group, name string) string {
	id, _ := f.tags.TagID(group, name)
	return id
}

// ensureChannels makes one contact way per channel (the poster in the
// stores is served by zhangsan and lisi, the live-stream code by wangwu and
// zhaoliu) and, on the fake, a group channel code over the VIP group.
func (f *flow) ensureChannels() (string, error) {
	if f.channels == nil { // a real corp: no callback served here
		var err error
		f.channels, err = contact.NewChannels(f.contacts, f.client.Store(), contact.ChannelTemplate{})
		if err != nil {
			return "", err
		}
	}
	users := func(i, j int) []string {
		if f.fake == nil {
			return f.staff[:1]
		}
		return sales[i:j]
	}
	var parts []string
	for _, ch := range []contact.Channel{
		{Name: "门店海报", Users: users(0, 2), Tags: []string{f.tag(sourceGroup, "门店海报")}},
		{Name: "直播间", Users: users(2, 4), Tags: []string{f.tag(sourceGroup, "直播间")}},
	} {
		code, err := f.channels.Ensure(f.ctx, ch)
		if err != nil {
			return "", err
		}
		f.codes[ch.Name] = code
		parts = append(parts, fmt.Sprintf("%s → %s", ch.Name, code.State))
	}
	if f.fake != nil {
		var err error
		f.vipGroup, err = f.corp.GroupChats().Create(f.ctx, wecomtest.GroupChatSpec{Owner: "zhangsan", Name: "VIP俱乐部"})
		if err != nil {
			return "", err
		}
		f.groupCode, err = f.gchannels.Ensure(f.ctx, groupchat.Channel{Name: "VIP社群", ChatIDs: []string{f.vipGroup},
			Tags: []string{f.tag(sourceGroup, "社群")}})
		if err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("VIP社群 → %s (群活码)", f.groupCode.State))
	}
	return strings.Join(parts, ", "), nil
}

// scan plays twelve customers scanning the codes, six each, and one of
// the live-stream customers scanning the poster too (two members follow
// them then). The channel helper has tagged each by the time the push is
// answered.
func (f *flow) scan() (string, error) {
	for i := range 12 {
		code := f.codes["门店海报"]
		if i >= 6 {
			code = f.codes["直播间"]
		}
		sc, err := f.corp.ScanContactWay(f.ctx, code.ConfigID, "")
		if err != nil {
			return "", err
		}
		f.crm.arrived(sc.ExternalUserID)
	}
	second := f.crm.byIndex(6)
	sc, err := f.corp.ScanContactWay(f.ctx, f.codes["门店海报"].ConfigID, second.id)
	if err != nil {
		return "", err
	}
	// the fake checks: every relation carries its channel's source tag
	tagged := 0
	for _, c := range f.crm.all() {
		for _, u := range f.corp.Followers(c.id) {
			rel, ok := f.corp.Relation(u, c.id)
			if !ok {
				return "", fmt.Errorf("%s does not follow %s", u, c.id)
			}
			tagged++
			if len(rel.TagIDs) != 1 {
				return "", fmt.Errorf("%s's relation with %s has tags %v, want its channel's", u, c.id, rel.TagIDs)
			}
		}
	}
	return fmt.Sprintf("%s; customer 7 added %s too; %d relations tagged by channel", f.crm.owners(), sc.UserID, tagged), nil
}

// joinGroup plays three VIP customers joining the VIP group through its
// group channel code, and creates the live-stream fans' group of zhaoliu.
func (f *flow) joinGroup() (string, error) {
	joined := 0
	for _, i := range []int{0, 6, 10} {
		if _, err := f.corp.GroupChats().JoinViaJoinWay(f.ctx, f.groupCode.ConfigID, f.crm.byIndex(i).id); err != nil {
			return "", err
		}
		joined++
	}
	joins, err := f.gchannels.Joins(f.ctx, "VIP社群")
	if err != nil {
		return "", err
	}
	if len(joins) != joined {
		return "", fmt.Errorf("%d joiners tracked, want %d", len(joins), joined)
	}
	tagged := 0
	for _, i := range []int{0, 6, 10} {
		if rel, ok := f.corp.Relation("zhangsan", f.crm.byIndex(i).id); ok && slices.Contains(rel.TagIDs, f.tag(sourceGroup, "社群")) {
			tagged++
		}
	}
	live := []string{f.crm.byIndex(7).id, f.crm.byIndex(9).id, f.crm.byIndex(11).id}
	f.liveGroup, err = f.corp.GroupChats().Create(f.ctx, wecomtest.GroupChatSpec{Owner: "zhaoliu", Name: "直播间粉丝群", Members: live})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d joined VIP俱乐部, %d tagged 社群 (zhangsan's customers); zhaoliu's 直播间粉丝群 has %d customers",
		joined, tagged, len(live)), nil
}

// layer puts every customer in its layer from the vendor's data and marks
// the layer's tag on each of its relations.
func (f *flow) layer() (string, error) {
	count := map[string]int{}
	for _, c := range f.crm.all() {
		if err := f.markLayer(c); err != nil {
			return "", err
		}
		count[c.layer]++
	}
	var parts []string
	for _, l := range layers {
		parts = append(parts, fmt.Sprintf("%s %d", l, count[l]))
	}
	return strings.Join(parts, ", "), nil
}

// markLayer marks customer c's layer on every member's relation with it,
// removing any other layer tag.
func (f *flow) markLayer(c *customer) error {
	want := f.tag(layerGroup, c.layer)
	var others []string
	for _, l := range layers {
		if l != c.layer {
			others = append(others, f.tag(layerGroup, l))
		}
	}
	d, err := f.contacts.Get(f.ctx, &contact.GetRequest{ExternalUserID: c.id})
	if err != nil {
		return err
	}
	var reqs []*contact.MarkTagRequest
	for _, fu := range d.FollowUser {
		reqs = append(reqs, &contact.MarkTagRequest{UserID: fu.UserID, ExternalUserID: c.id, AddTag: []string{want}, RemoveTag: others})
	}
	res, err := f.contacts.MarkTagMany(f.ctx, reqs, 4)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return fmt.Errorf("layer tag of %s for %s: %w", c.id, r.Item.UserID, r.Err)
		}
	}
	return nil
}

// makePlans builds one plan per layer: what to send, to whom and when.
// Each step's audience is its layer's tag (or the layer's group); every
// step is due at 10:00 of its day.
func (f *flow) makePlans() (string, error) {
	layerTag := func(l string) *message.TagFilter { return message.AnyTag(f.tag(layerGroup, l)) }
	send := func(l, text string) *message.MassSendRequest {
		return &message.MassSendRequest{Audience: message.Audience{TagFilter: layerTag(l)}, Text: &message.Text{Content: text}}
	}
	moment := func(l, text string) *message.AddMomentTaskRequest {
		return &message.AddMomentTaskRequest{Text: &message.Text{Content: text},
			VisibleRange: &message.VisibleRange{ExternalContactList: &message.ExternalContactList{TagList: []string{f.tag(layerGroup, l)}}}}
	}
	groupSend := func(owner, chat, text string) *message.MassSendRequest {
		return &message.MassSendRequest{Audience: message.Audience{Groups: map[string][]string{owner: {chat}}}, Text: &message.Text{Content: text}}
	}
	day := func(d int) time.Duration { return time.Duration(d)*24*time.Hour + time.Hour }
	f.plans = []*sop.Plan{
		{Name: "SOP " + layerVIP, Start: start, Steps: []sop.Step{
			{Name: "D1 感谢信", At: day(0), MassSend: send(layerVIP, "感谢您一直以来的支持，专属顾问随时为您服务")},
			{Name: "D3 新品预览", At: day(2), Moment: moment(layerVIP, "冬季新品抢先看")},
			{Name: "D5 俱乐部活动", At: day(4), MassSend: groupSend("zhangsan", f.vipGroup, "本周六VIP俱乐部品鉴会，欢迎报名")},
			{Name: "D10 专属折扣", At: day(9), MassSend: send(layerVIP, "VIP专属8折，本周有效")},
		}},
		{Name: "SOP " + layerActive, Start: start, Steps: []sop.Step{
			{Name: "D2 使用指南", At: day(1), MassSend: send(layerActive, "产品使用小贴士")},
			{Name: "D5 直播预告", At: day(4), MassSend: groupSend("zhaoliu", f.liveGroup, "今晚8点直播间抽奖")},
			{Name: "D7 买家秀", At: day(6), Moment: moment(layerActive, "买家秀精选")},
			{Name: "D12 复购提醒", At: day(11), MassSend: send(layerActive, "常用品补货提醒")},
		}},
		{Name: "SOP " + layerDormant, Start: start, Steps: []sop.Step{
			{Name: "D4 唤醒优惠", At: day(3), MassSend: send(layerDormant, "好久不见，送您一张无门槛券")},
			{Name: "D11 最后召回", At: day(10), MassSend: send(layerDormant, "优惠券明天到期")},
		}},
		{Name: "SOP " + layerService, Start: start, Steps: []sop.Step{
			{Name: "D1 回访问候", At: day(0), MassSend: send(layerService, "您反馈的问题正在处理，有进展第一时间告知")},
			{Name: "D8 满意度回访", At: day(7), MassSend: send(layerService, "问题解决了吗？请为我们的服务打分")},
		}},
	}
	if f.fake == nil { // only the schedule: nothing is sent to a real corp
		var parts []string
		for _, p := range f.plans {
			parts = append(parts, fmt.Sprintf("%s: %d steps", p.Name, len(p.Steps)))
		}
		return strings.Join(parts, "; ") + " (not run against a real corp)", nil
	}
	kinds := map[sop.Kind]int{}
	n := 0
	for _, p := range f.plans {
		for i := range p.Steps {
			kinds[p.Steps[i].Kind()]++
			n++
		}
	}
	return fmt.Sprintf("%d plans, %d steps over 12 days: %d 群发, %d 群群发, %d 朋友圈", len(f.plans), n,
		kinds[sop.KindCustomers], kinds[sop.KindGroups], kinds[sop.KindMoments]), nil
}

func (f *flow) retire() (string, error) {
	for name := range f.codes {
		if err := f.channels.Retire(f.ctx, name); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d code(s) deleted", len(f.codes)), nil
}
