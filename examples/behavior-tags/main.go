// Command behavior-tags runs a behaviour-tagging SCRM on scrmkit: what
// customers do becomes tags on them, and a weekly mass send targets a tag
// combination. The channel a customer came through (a channel code, an
// acquisition link), group joins and exits (a group channel code, the
// del_member event), the customer-acquisition events (the link opened,
// the first message, messages again) and the vendor's own events (a
// purchase) each mark a tag; churn (the customer deleted their member) is
// reported by package churn and tagged on the customer's remaining
// relations. The second week's send leaves out the customer who left the
// group and the one who deleted their member.
//
// It plays the customers on the fake WeCom (wecomtest), so it runs anywhere
// with no credentials, and checks every outcome in the fake:
//
//	go run ./examples/behavior-tags
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/churn"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "behavior-tags failed:", err)
		os.Exit(1)
	}
}

const callbackToken = "behaviorTagsToken"

// The tag taxonomy: where a customer came from, and what they did.
const (
	groupSource   = "来源"
	groupBehavior = "行为"
)

var taxonomy = []contact.TaxonomyGroup{
	{Name: groupSource, Tags: []string{"海报", "门店", "抖音"}},
	{Name: groupBehavior, Tags: []string{"打开链接", "首次发言", "再次发言", "入群", "退群", "已购买", "流失"}},
}

// The members: alice runs the poster, the ad and the fan group; bob the
// store.
const (
	alice = "alice"
	bob   = "bob"
)

type flow struct {
	ctx    context.Context
	fake   *wecomtest.Server
	corp   *wecomtest.Corp
	client *wecom.Client

	contacts *contact.Service
	groups   *groupchat.Service
	acq      *acquisition.Service
	msgs     *message.Service
	tags     *contact.AppliedTaxonomy

	poster, store *contact.ChannelCode
	ad            *acquisition.ChannelLink
	fanGroup      string
	fanCode       *groupchat.ChannelCode
	codes         *contact.Channels
	links         *acquisition.Channels
	groupCodes    *groupchat.Channels
	alerts        *churn.Alerts
	churned       chan *churn.Record

	h  *callback.Handler
	hs *httptest.Server

	mu        sync.Mutex
	tagErrs   []error
	customers map[string]string // name in this story → external_userid
	sends     []string          // mass-send msgids
}

func run(ctx context.Context, out io.Writer, _ func(string) string) error {
	s := steps.New(out, 44)
	f := &flow{ctx: ctx, customers: map[string]string{}, churned: make(chan *churn.Record, 4)}
	defer f.close()
	return s.Run(true, []steps.Step{
		{Name: "start the fake WeCom", Fn: f.start},
		{Name: "apply the tag taxonomy", Fn: f.applyTaxonomy},
		{Name: "channels: poster, store, ad link, fan group", Fn: f.ensureChannels},
		{Name: "serve callbacks: channels, behaviour, churn", Fn: f.serve},
		{Name: "A and C scan the poster, C the store too", Fn: f.scans},
		{Name: "B and D tap the ad link (获客链接)", Fn: f.taps},
		{Name: "B writes first, then again", Fn: f.writes},
		{Name: "A, C and D join the fan group", Fn: f.joins},
		{Name: "A buys (the vendor's order event)", Fn: f.purchase},
		{Name: "week 1: send to 入群 ∧ (海报 ∨ 抖音)", Fn: f.week(1, []string{"A", "C", "D"})},
		{Name: "A leaves the fan group", Fn: f.leave},
		{Name: "C deletes alice (流失)", Fn: f.churn},
		{Name: "week 2: the same send leaves A and C out", Fn: f.week(2, []string{"D"})},
		{Name: "every customer's tags, as WeCom has them", Fn: f.report},
	})
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

func (f *flow) start() (string, error) {
	f.fake = wecomtest.Start()
	f.corp = f.fake.Corp(f.fake.CorpID)
	if err := f.corp.AddStaff(alice, bob); err != nil {
		return "", err
	}
	if _, err := f.corp.Acquisition().GrantQuota(f.ctx, 100, time.Now().AddDate(0, 3, 0)); err != nil {
		return "", err
	}
	f.client = f.fake.Client()
	f.contacts, f.groups = contact.New(f.client), groupchat.New(f.client)
	f.acq, f.msgs = acquisition.New(f.client), message.New(f.client)
	return "fake at " + f.fake.URL + "; members alice and bob; 100 units of acquisition quota", nil
}

func (f *flow) applyTaxonomy() (string, error) {
	var err error
	f.tags, err = f.contacts.ApplyTaxonomy(f.ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{Groups: taxonomy}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d tags in %d groups", len(f.tags.Created), len(taxonomy)), nil
}

// tag returns the id of a tag "group/name".
func (f *flow) tag(groupAndName string) string {
	g, n, _ := strings.Cut(groupAndName, "/")
	id, _ := f.tags.TagID(g, n)
	return id
}

func (f *flow) ensureChannels() (string, error) {
	store := f.client.Store()
	var err error
	if f.codes, err = contact.NewChannels(f.contacts, store, contact.ChannelTemplate{}); err != nil {
		return "", err
	}
	if f.poster, err = f.codes.Ensure(f.ctx, contact.Channel{Name: "海报", Users: []string{alice}, Tags: []string{f.tag("来源/海报")}}); err != nil {
		return "", err
	}
	if f.store, err = f.codes.Ensure(f.ctx, contact.Channel{Name: "门店", Users: []string{bob}, Tags: []string{f.tag("来源/门店")}}); err != nil {
		return "", err
	}
	if f.links, err = acquisition.NewChannels(f.acq, store, acquisition.ChannelTemplate{}); err != nil {
		return "", err
	}
	if f.ad, err = f.links.Ensure(f.ctx, acquisition.Channel{Name: "抖音", Users: []string{alice}}); err != nil {
		return "", err
	}
	if f.fanGroup, err = f.corp.GroupChats().Create(f.ctx, wecomtest.GroupChatSpec{Owner: alice, Name: "粉丝群"}); err != nil {
		return "", err
	}
	if f.groupCodes, err = groupchat.NewChannels(f.groups, store, nil, groupchat.ChannelTemplate{}); err != nil {
		return "", err
	}
	f.fanCode, err = f.groupCodes.Ensure(f.ctx, groupchat.Channel{Name: "粉丝群", ChatIDs: []string{f.fanGroup}, Tags: []string{f.tag("行为/入群")}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("codes %s and %s, link %s, group code %s", f.poster.State, f.store.State, f.ad.State, f.fanCode.State), nil
}

// mark marks tags on a relation and tells the churn Alerts (mark_tag
// raises no event); a failure is kept for the step that checks.
func (f *flow) mark(ctx context.Context, userID, ext string, add, remove []string) {
	req := &contact.MarkTagRequest{UserID: userID, ExternalUserID: ext, AddTag: add, RemoveTag: remove}
	err := f.contacts.MarkTag(ctx, req)
	if err == nil {
		err = f.alerts.Marked(ctx, req)
	}
	if err != nil {
		f.mu.Lock()
		f.tagErrs = append(f.tagErrs, fmt.Errorf("%s/%s: %w", userID, ext, err))
		f.mu.Unlock()
	}
}

func (f *flow) serve() (string, error) {
	var err error
	f.alerts, err = churn.NewAlerts(f.contacts, churn.WithChannelResolver(f.codes), churn.WithChannelResolver(f.links))
	if err != nil {
		return "", err
	}
	// A churned customer's other relations get 流失, so that no send of
	// another member reaches them either.
	f.alerts.OnChurn(func(ctx context.Context, r *churn.Record) {
		for _, u := range r.OtherMembers {
			f.mark(ctx, u, r.ExternalUserID, []string{f.tag("行为/流失")}, nil)
		}
		f.churned <- r
	})
	// The channel helpers mark their tags through the API: tell the Alerts.
	f.codes.OnCustomer(func(ctx context.Context, cu *contact.ChannelCustomer) {
		if len(cu.Tagged) > 0 {
			_ = f.alerts.Marked(ctx, &contact.MarkTagRequest{UserID: cu.UserID, ExternalUserID: cu.ExternalUserID, AddTag: cu.Tagged})
		}
	})
	f.groupCodes.OnJoin(func(ctx context.Context, j *groupchat.ChannelJoin) {
		if len(j.Tagged) > 0 {
			_ = f.alerts.Marked(ctx, &contact.MarkTagRequest{UserID: j.Owner, ExternalUserID: j.Member.UserID, AddTag: j.Tagged})
		}
	})
	aesKey := wecomtest.NewEncodingAESKey()
	if f.h, err = callback.NewHandler(callbackToken, aesKey, callback.WithReceiverID(f.client.CorpID())); err != nil {
		return "", err
	}
	f.codes.Register(f.h)
	f.groupCodes.Register(f.h)
	f.alerts.Register(f.h)
	f.h.OnAddExternalContact(f.onAdd)
	f.h.OnCustomerAcquisition(f.onAcquisition, callback.ChangeCustomerStartChat, callback.ChangeMessageFromCustomer)
	f.h.OnExternalChat(f.onGroupExit, callback.ChangeChatUpdate)
	f.hs = httptest.NewServer(f.h)
	f.corp.SetCallback(f.hs.URL, callbackToken, aesKey)
	return "listening at " + f.hs.URL, nil
}

// onAdd tags a customer who came through an acquisition link: the link's
// channel, and 打开链接 (they opened it: open_profile names no customer,
// the add that follows does).
func (f *flow) onAdd(ctx context.Context, ev *callback.ExternalContactEvent) error {
	if ev.State == "" {
		return nil
	}
	name, ok, err := f.links.Resolve(ctx, ev.State)
	if err != nil || !ok {
		return err
	}
	f.mark(ctx, ev.UserID, ev.ExternalUserID, []string{f.tag(groupSource + "/" + name), f.tag("行为/打开链接")}, nil)
	return nil
}

// onAcquisition tags the first message and the messages after it.
func (f *flow) onAcquisition(ctx context.Context, ev *callback.CustomerAcquisitionEvent) error {
	user, ext, tag := ev.UserID, ev.ExternalUserID, "行为/首次发言"
	if ev.ChangeType == callback.ChangeMessageFromCustomer {
		tag = "行为/再次发言"
		if ext == "" { // newer pushes carry only a ChatKey
			info, err := f.acq.GetChatInfo(ctx, ev.ChatKey)
			if err != nil {
				return err
			}
			user, ext = info.UserID, info.ExternalUserID
		}
	}
	if user == "" || ext == "" {
		return nil
	}
	f.mark(ctx, user, ext, []string{f.tag(tag)}, nil)
	return nil
}

// onGroupExit tags a customer who left a group: 退群 instead of 入群 on
// their relation with the group's owner.
func (f *flow) onGroupExit(ctx context.Context, ev *callback.ExternalChatEvent) error {
	if ev.UpdateDetail != callback.UpdateDelMember {
		return nil
	}
	g, err := f.groups.Get(ctx, &groupchat.GetRequest{ChatID: ev.ChatID})
	if err != nil {
		return err
	}
	members, err := f.contacts.ListFollowUsers(ctx)
	if err != nil {
		return err
	}
	for _, id := range ev.MemChangeList {
		// The list names members and customers alike; only a customer of
		// the owner has a relation to tag (84061 answers another's).
		if slices.Contains(members, id) {
			continue
		}
		req := &contact.MarkTagRequest{UserID: g.Owner, ExternalUserID: id, AddTag: []string{f.tag("行为/退群")},
			RemoveTag: []string{f.tag("行为/入群")}}
		switch err := f.contacts.MarkTag(ctx, req); {
		case wecom.ErrorCode(err) == wecom.CodeNotExternalContact:
		case err != nil:
			return err
		default:
			if err := f.alerts.Marked(ctx, req); err != nil {
				return err
			}
		}
	}
	return nil
}

// has checks that a relation carries every tag of want in the fake.
func (f *flow) has(userID, who string, want ...string) error {
	f.mu.Lock()
	errs := errors.Join(f.tagErrs...)
	f.tagErrs = nil
	f.mu.Unlock()
	if errs != nil {
		return errs
	}
	rel, ok := f.corp.Relation(userID, f.customers[who])
	if !ok {
		return fmt.Errorf("%s has no relation with %s", userID, who)
	}
	for _, w := range want {
		if !slices.Contains(rel.TagIDs, f.tag(w)) {
			return fmt.Errorf("%s/%s lacks %s (has %s)", userID, who, w, strings.Join(f.names(rel.TagIDs), ", "))
		}
	}
	return nil
}

// names turns tag ids into "group/name".
func (f *flow) names(ids []string) []string {
	var out []string
	for _, id := range ids {
		for _, g := range taxonomy {
			for _, n := range g.Tags {
				if f.tag(g.Name+"/"+n) == id {
					out = append(out, g.Name+"/"+n)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func (f *flow) scans() (string, error) {
	a, err := f.corp.ScanContactWay(f.ctx, f.poster.ConfigID, "")
	if err != nil {
		return "", err
	}
	c, err := f.corp.ScanContactWay(f.ctx, f.poster.ConfigID, "")
	if err != nil {
		return "", err
	}
	if _, err := f.corp.ScanContactWay(f.ctx, f.store.ConfigID, c.ExternalUserID); err != nil {
		return "", err
	}
	f.customers["A"], f.customers["C"] = a.ExternalUserID, c.ExternalUserID
	return "A, C: 来源/海报 on alice; C: 来源/门店 on bob", errors.Join(f.has(alice, "A", "来源/海报"), f.has(alice, "C", "来源/海报"),
		f.has(bob, "C", "来源/门店"))
}

func (f *flow) taps() (string, error) {
	for _, who := range []string{"B", "D"} {
		tap, err := f.corp.Acquisition().TapLink(f.ctx, f.ad.LinkID, f.ad.State)
		if err != nil {
			return "", err
		}
		f.customers[who] = tap.ExternalUserID
	}
	return "B, D: 来源/抖音 and 行为/打开链接 on alice", errors.Join(f.has(alice, "B", "来源/抖音", "行为/打开链接"),
		f.has(alice, "D", "来源/抖音", "行为/打开链接"))
}

func (f *flow) writes() (string, error) {
	var last *wecomtest.AcquisitionMessage
	for range wecomtest.RepeatedMessageCounts()[0] {
		m, err := f.corp.Acquisition().CustomerMessage(f.ctx, f.customers["B"], alice)
		if err != nil {
			return "", err
		}
		last = m
	}
	if last.ChatKey == "" {
		return "", errors.New("no message_from_customer was pushed")
	}
	return fmt.Sprintf("%d messages: customer_start_chat, then message_from_customer (its ChatKey read with get_chat_info)", last.Count),
		f.has(alice, "B", "行为/首次发言", "行为/再次发言")
}

func (f *flow) joins() (string, error) {
	for _, who := range []string{"A", "C", "D"} {
		if _, err := f.corp.GroupChats().JoinViaJoinWay(f.ctx, f.fanCode.ConfigID, f.customers[who]); err != nil {
			return "", err
		}
	}
	return "行为/入群 on each, as alice's customers", errors.Join(f.has(alice, "A", "行为/入群"), f.has(alice, "C", "行为/入群"),
		f.has(alice, "D", "行为/入群"))
}

// purchase is the vendor's own event: an order paid. Every member who has
// the customer tags them.
func (f *flow) purchase() (string, error) {
	d, err := f.contacts.Get(f.ctx, &contact.GetRequest{ExternalUserID: f.customers["A"]})
	if err != nil {
		return "", err
	}
	for _, fu := range d.FollowUser {
		f.mark(f.ctx, fu.UserID, f.customers["A"], []string{f.tag("行为/已购买")}, nil)
	}
	return "order paid: 行为/已购买", f.has(alice, "A", "行为/已购买")
}

// week sends the weekly message to 入群 ∧ (海报 ∨ 抖音), without 退群 or
// 流失, and checks who received it.
func (f *flow) week(n int, want []string) func() (string, error) {
	return func() (string, error) {
		// WeCom's tag_filter cannot leave anyone out: contact.Select reads
		// the relations' tags and can.
		ids, err := f.contacts.Select(f.ctx, &contact.SelectRequest{
			AllOf:  [][]string{{f.tag("行为/入群")}, {f.tag("来源/海报"), f.tag("来源/抖音")}},
			NoneOf: []string{f.tag("行为/退群"), f.tag("行为/流失")},
		})
		if err != nil {
			return "", err
		}
		var wantIDs []string
		for _, w := range want {
			wantIDs = append(wantIDs, f.customers[w])
		}
		sort.Strings(wantIDs)
		if !slices.Equal(ids, wantIDs) {
			return "", fmt.Errorf("audience %v, want %v (%s)", ids, wantIDs, strings.Join(want, ", "))
		}
		tasks, err := f.msgs.MassSend(f.ctx, &message.MassSendRequest{
			Audience: message.Audience{ExternalUserIDs: ids, Senders: []string{alice}},
			Text:     &message.Text{Content: fmt.Sprintf("本周粉丝福利 (week %d)", n)},
		})
		if err != nil {
			return "", err
		}
		for _, t := range tasks {
			if t.Err != nil {
				return "", t.Err
			}
			if err := f.corp.Messages().ConfirmMassSend(t.MsgID, alice); err != nil {
				return "", err
			}
		}
		var got []string
		for _, who := range []string{"A", "B", "C", "D"} {
			received := f.corp.Messages().MassSendsReceived(f.customers[who])
			wantN := 0
			for week := 1; week <= n; week++ {
				if slices.Contains(f.audienceOf(week), who) {
					wantN++
				}
			}
			if received != wantN {
				return "", fmt.Errorf("%s received %d mass sends, want %d", who, received, wantN)
			}
			got = append(got, fmt.Sprintf("%s %d", who, received))
		}
		return fmt.Sprintf("%d task(s) to %s, confirmed by alice; sends received so far: %s", len(tasks), strings.Join(want, ", "),
			strings.Join(got, ", ")), nil
	}
}

// audienceOf is who each week's send must reach.
func (f *flow) audienceOf(week int) []string {
	if week == 1 {
		return []string{"A", "C", "D"}
	}
	return []string{"D"}
}

func (f *flow) leave() (string, error) {
	if err := f.corp.GroupChats().Leave(f.ctx, f.fanGroup, []string{f.customers["A"]}, false); err != nil {
		return "", err
	}
	if err := f.has(alice, "A", "行为/退群"); err != nil {
		return "", err
	}
	rel, _ := f.corp.Relation(alice, f.customers["A"])
	if slices.Contains(rel.TagIDs, f.tag("行为/入群")) {
		return "", errors.New("A still carries 行为/入群")
	}
	return "del_member: 行为/退群 in place of 行为/入群", nil
}

func (f *flow) churn() (string, error) {
	if err := f.corp.CustomerDeletesMember(f.ctx, f.customers["C"], alice); err != nil {
		return "", err
	}
	select {
	case r := <-f.churned:
		if r.DeletedBy != churn.ByCustomer || r.Channel != "海报" || !slices.Equal(r.OtherMembers, []string{bob}) {
			return "", fmt.Errorf("churn record: %+v", r)
		}
		var tags []string
		for _, t := range r.Tags {
			tags = append(tags, t.GroupName+"/"+t.TagName)
		}
		sort.Strings(tags)
		return fmt.Sprintf("churn %s: via %s, tags then %s; 行为/流失 on bob's relation", r.ID[:8], r.Channel, strings.Join(tags, ", ")),
			f.has(bob, "C", "行为/流失")
	case <-time.After(10 * time.Second):
		return "", errors.New("no churn record")
	}
}

func (f *flow) report() (string, error) {
	var lines []string
	for _, who := range []string{"A", "B", "C", "D"} {
		for _, u := range []string{alice, bob} {
			if rel, ok := f.corp.Relation(u, f.customers[who]); ok {
				lines = append(lines, fmt.Sprintf("%s/%s [%s]", who, u, strings.Join(f.names(rel.TagIDs), " ")))
			}
		}
	}
	return strings.Join(lines, "; "), nil
}
