// Command retail-guides runs a retail chain's sales guides (导购) on WeCom:
// the stores and their guides read from the address book; a channel code
// per store and per guide; every customer welcomed by their store, whichever
// of its codes they scanned; head office pushing a task (a mass send through
// the guides) and reading, per store and per guide, who sent, who did not
// and whom they reached, then chasing the one who did not; a guide resigning,
// their customers and group handed to a colleague of the same store; and
// the next task, whose numbers follow the customers.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest) on a
// simulated clock and plays the customers and the guides; every outcome is
// checked in the fake:
//
//	go run ./examples/retail-guides
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set
// it reads that corp's stores (the sub-departments of department
// WECOM_STORES_DEPARTMENT, default 1) and their guides, ensures their channel
// codes, prints them and retires them again; it sends nothing.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/directory"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/sop"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "retail-guides failed:", err)
		os.Exit(1)
	}
}

const callbackToken = "retailToken"

// The chain as the fake's address book holds it: department 2 holds the
// stores, each store a department with its guides.
const storesDept = 2

var (
	china = time.FixedZone("CST", 8*3600)
	start = time.Date(2025, 11, 17, 10, 0, 0, 0, china)
	chain = []struct {
		id     int
		name   string
		guides []wecomtest.MemberSpec
	}{
		{3, "上海静安店", []wecomtest.MemberSpec{{UserID: "sh-amy", Name: "Amy"}, {UserID: "sh-bob", Name: "Bob"}}},
		{4, "北京朝阳店", []wecomtest.MemberSpec{{UserID: "bj-cat", Name: "Cat"}, {UserID: "bj-dan", Name: "Dan"}}},
	}
)

// store is a store read from the address book, with its guides.
type store struct {
	id     int
	name   string
	guides []string
	tag    string
}

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

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
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
	sched    *sop.Scheduler
	dept     int

	stores   []*store
	storeOf  map[string]*store // guide → store
	channels *contact.Channels
	codes    []*contact.ChannelCode
	welcomes *message.Welcomes
	h        *callback.Handler
	hs       *httptest.Server

	customers map[string][]string // guide → customers, as the scans added them
	bobGroup  string
	tasks     []*sop.Plan
	week1     map[string]int // store → customers reached by the first task
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 44)
	f := &flow{ctx: ctx, clk: &clock{t: start}, storeOf: map[string]*store{}, customers: map[string][]string{}, dept: storesDept}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	defer f.close()
	return s.Run(f.fake != nil, []steps.Step{
		{Name: "read the stores and guides", Fn: f.readStores},
		{Name: "tag each store; a code per store and guide", Fn: f.ensureCodes},
		{Name: "serve the callback: store welcomes, tags", FakeOnly: true, Fn: f.serve},
		{Name: "customers scan store and guide codes", FakeOnly: true, Fn: f.scan},
		{Name: "each customer got their store's welcome", FakeOnly: true, Fn: f.welcomed},
		{Name: "guides open customer groups", FakeOnly: true, Fn: f.openGroups},
		{Name: "head office pushes task 1 via the guides", FakeOnly: true, Fn: f.pushTask1},
		{Name: "per store and guide: sent, not sent, reach", FakeOnly: true, Fn: f.readTask1},
		{Name: "chase the guide who did not send", FakeOnly: true, Fn: f.chase},
		{Name: "sh-bob resigns: customers and group handed", FakeOnly: true, Fn: f.resign},
		{Name: "24 h later: the handover is done", FakeOnly: true, Fn: f.handedOver},
		{Name: "task 2: the numbers follow the customers", FakeOnly: true, Fn: f.task2},
		{Name: "retire the codes", FakeOnly: false, Fn: f.retire},
	})
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv); ok {
		f.client = c
		f.dept = 1
		if d := getenv("WECOM_STORES_DEPARTMENT"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil {
				return "", fmt.Errorf("WECOM_STORES_DEPARTMENT=%q: %w", d, err)
			}
			f.dept = n
		}
	} else {
		f.fake = wecomtest.Start(wecomtest.WithClock(f.clk.Now))
		f.corp = f.fake.Corp(f.fake.CorpID)
		dir := f.corp.Directory()
		if err := dir.AddDepartment(wecomtest.DepartmentSpec{ID: storesDept, Name: "门店"}); err != nil {
			return "", err
		}
		for _, st := range chain {
			if err := dir.AddDepartment(wecomtest.DepartmentSpec{ID: st.id, ParentID: storesDept, Name: st.name}); err != nil {
				return "", err
			}
			for _, g := range st.guides {
				g.Departments = []int{st.id}
				if err := dir.AddMember(g); err != nil {
					return "", err
				}
				if err := f.corp.AddStaff(g.UserID); err != nil {
					return "", err
				}
			}
		}
		f.client = f.fake.Client(wecom.WithClock(f.clk.Now))
	}
	f.contacts = contact.New(f.client)
	f.groups = groupchat.New(f.client)
	f.msg = message.New(f.client)
	var err error
	if f.sched, err = sop.NewScheduler(f.msg); err != nil {
		return "", err
	}
	if f.fake == nil {
		return "corp " + f.client.CorpID(), nil
	}
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

// readStores reads the chain from the address book: each sub-department of
// the stores' department is a store, its members with customer contact
// its guides.
func (f *flow) readStores() (string, error) {
	dir := directory.New(f.client)
	refs, err := dir.ListDepartmentIDs(f.ctx, f.dept)
	if err != nil {
		return "", err
	}
	byID := map[int]*store{}
	for _, r := range refs {
		if r.ParentID != f.dept {
			continue
		}
		d, err := dir.GetDepartment(f.ctx, r.ID)
		if err != nil {
			return "", err
		}
		st := &store{id: d.ID, name: d.Name}
		byID[d.ID] = st
		f.stores = append(f.stores, st)
	}
	staff, err := f.contacts.ListFollowUsers(f.ctx)
	if err != nil {
		return "", err
	}
	for ud, err := range dir.ListUserIDsIter(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		if st := byID[ud.Department]; st != nil && slices.Contains(staff, ud.UserID) {
			st.guides = append(st.guides, ud.UserID)
			f.storeOf[ud.UserID] = st
		}
	}
	f.stores = slices.DeleteFunc(f.stores, func(st *store) bool { return len(st.guides) == 0 })
	if len(f.stores) == 0 {
		return "", fmt.Errorf("no store: department %d has no sub-department with guides (members with customer contact)", f.dept)
	}
	slices.SortFunc(f.stores, func(a, b *store) int { return a.id - b.id })
	var parts []string
	for _, st := range f.stores {
		slices.Sort(st.guides)
		parts = append(parts, fmt.Sprintf("%s: %s", st.name, strings.Join(st.guides, ", ")))
	}
	return strings.Join(parts, "; "), nil
}

// ensureCodes gives every store a tag and a channel code (its guides in
// turn) and every guide a code of their own; both kinds mark the store's
// tag on the customer.
func (f *flow) ensureCodes() (string, error) {
	tax := contact.TaxonomyGroup{Name: "门店"}
	for _, st := range f.stores {
		tax.Tags = append(tax.Tags, st.name)
	}
	applied, err := f.contacts.ApplyTaxonomy(f.ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{tax}}})
	if err != nil {
		return "", err
	}
	f.channels, err = contact.NewChannels(f.contacts, f.client.Store(), contact.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	for _, st := range f.stores {
		st.tag, _ = applied.TagID("门店", st.name)
		chs := []contact.Channel{{Name: storeChannel(st), Users: st.guides, Tags: []string{st.tag}}}
		for _, g := range st.guides {
			chs = append(chs, contact.Channel{Name: guideChannel(g), Users: []string{g}, Tags: []string{st.tag}})
		}
		for _, ch := range chs {
			code, err := f.channels.Ensure(f.ctx, ch)
			if err != nil {
				return "", err
			}
			f.codes = append(f.codes, code)
		}
	}
	return fmt.Sprintf("%d store tags; %d codes (%d stores, %d guides)", len(f.stores), len(f.codes), len(f.stores), len(f.codes)-len(f.stores)), nil
}

func storeChannel(st *store) string { return "门店·" + st.name }
func guideChannel(g string) string  { return "导购·" + g }

func (f *flow) code(name string) *contact.ChannelCode {
	for _, c := range f.codes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// serve starts the callback URL: the channels tag each new customer with
// their store, the Welcomes greet them with their store's welcome, whether
// they scanned the store's code or a guide's.
func (f *flow) serve() (string, error) {
	rules := message.WelcomeRules{Channels: map[string]*message.Welcome{}}
	for _, st := range f.stores {
		w := &message.Welcome{Text: fmt.Sprintf("%%NICKNAME%%，欢迎来到%s！到店出示此消息享会员价。", st.name), NicknameFallback: "您好"}
		rules.Channels[storeChannel(st)] = w
		for _, g := range st.guides {
			rules.Channels[guideChannel(g)] = w
		}
	}
	var err error
	f.welcomes, err = message.NewWelcomes(f.msg, rules, message.WithChannelResolver(f.channels), message.WithNameSource(f.contacts))
	if err != nil {
		return "", err
	}
	aesKey := wecomtest.NewEncodingAESKey()
	f.h, err = callback.NewHandler(callbackToken, aesKey, callback.WithReceiverID(f.client.CorpID()))
	if err != nil {
		return "", err
	}
	f.welcomes.Register(f.h)
	f.channels.Register(f.h)
	f.hs = httptest.NewServer(f.h)
	f.corp.SetCallback(f.hs.URL, callbackToken, aesKey)
	return fmt.Sprintf("listening at %s; %d welcome rules, one text per store", f.hs.URL, len(rules.Channels)), nil
}

// scan plays customers scanning: twice each store's code (its guides in
// turn), and the guides' own codes: sh-amy 1, sh-bob 1, bj-cat 1, bj-dan
// 3.
func (f *flow) scan() (string, error) {
	scans := []string{
		storeChannel(f.stores[0]), storeChannel(f.stores[0]), guideChannel("sh-amy"), guideChannel("sh-bob"),
		storeChannel(f.stores[1]), storeChannel(f.stores[1]), guideChannel("bj-cat"),
		guideChannel("bj-dan"), guideChannel("bj-dan"), guideChannel("bj-dan"),
	}
	for _, name := range scans {
		sc, err := f.corp.ScanContactWay(f.ctx, f.code(name).ConfigID, "")
		if err != nil {
			return "", err
		}
		f.customers[sc.UserID] = append(f.customers[sc.UserID], sc.ExternalUserID)
	}
	var parts []string
	for _, st := range f.stores {
		for _, g := range st.guides {
			parts = append(parts, fmt.Sprintf("%s %d", g, len(f.customers[g])))
		}
	}
	return fmt.Sprintf("%d customers: %s", len(scans), strings.Join(parts, ", ")), nil
}

// welcomed checks in the fake that every customer got their store's
// welcome and carries its tag.
func (f *flow) welcomed() (string, error) {
	n := 0
	for g, ids := range f.customers {
		st := f.storeOf[g]
		for _, id := range ids {
			ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
			w, err := f.corp.Messages().WaitWelcome(ctx, id)
			cancel()
			if err != nil {
				return "", fmt.Errorf("no welcome for %s: %w", id, err)
			}
			if !strings.Contains(w.Text, st.name) || w.UserID != g {
				return "", fmt.Errorf("%s got %q through %s, want %s's welcome through %s", id, w.Text, w.UserID, st.name, g)
			}
			rel, ok := f.corp.Relation(g, id)
			if !ok || !slices.Equal(rel.TagIDs, []string{st.tag}) {
				return "", fmt.Errorf("%s's relation with %s has tags %v, want %s's", g, id, rel.TagIDs, st.name)
			}
			n++
		}
	}
	return fmt.Sprintf("%d welcomes, each naming the customer's store; every customer tagged with it", n), nil
}

// openGroups plays each guide of the Shanghai store opening a customer
// group with two of their customers.
func (f *flow) openGroups() (string, error) {
	for _, g := range f.stores[0].guides {
		chat, err := f.corp.GroupChats().Create(f.ctx, wecomtest.GroupChatSpec{Owner: g, Name: g + " 会员群", Members: f.customers[g][:2]})
		if err != nil {
			return "", err
		}
		if g == "sh-bob" {
			f.bobGroup = chat
		}
	}
	return "sh-amy and sh-bob each own a group of 2 customers", nil
}

// task is head office's task of a week: one mass send, each guide sending
// it to all their customers.
func (f *flow) task(week int, text string, guides []string) *sop.Plan {
	return &sop.Plan{Name: fmt.Sprintf("总部任务 2025-W%d", week), Start: f.clk.Now(), Steps: []sop.Step{{Name: text,
		MassSend: &message.MassSendRequest{Audience: message.Audience{Senders: guides}, Text: &message.Text{Content: text}},
		Reminder: "总部任务「" + text + "」还没有发送，请在企业微信中确认群发。"}}}
}

func (f *flow) allGuides() []string {
	var out []string
	for _, st := range f.stores {
		out = append(out, st.guides...)
	}
	return out
}

// pushTask1 creates the task (one mass-send task per guide) and plays the
// guides: all confirm but bj-dan.
func (f *flow) pushTask1() (string, error) {
	plan := f.task(47, "冬季新品到店，会员专享9折", f.allGuides())
	f.tasks = append(f.tasks, plan)
	runs, err := f.sched.RunDue(f.ctx, plan)
	if err != nil {
		return "", err
	}
	if len(runs) != 1 {
		return "", fmt.Errorf("%d runs", len(runs))
	}
	f.clk.Advance(2 * time.Hour)
	for _, t := range runs[0].Tasks {
		if t.Failure != "" {
			return "", fmt.Errorf("task of %s: %s", t.Sender, t.Failure)
		}
		if t.Sender != "bj-dan" {
			if err := f.corp.Messages().ConfirmMassSend(t.MsgID, t.Sender); err != nil {
				return "", err
			}
		}
	}
	return fmt.Sprintf("%s: %d mass-send tasks, one per guide; all but bj-dan confirm", plan.Name, len(runs[0].Tasks)), nil
}

// storeReport is one store's figures for a task: its guides who sent and
// who did not, and the customers reached of all those the task was for.
type storeReport struct {
	sent, notSent []string
	reach, total  int
	guides        []string // "sh-amy sent 2/2"
}

// report reads a task's progress and sums it per store.
func (f *flow) report(plan *sop.Plan) (map[string]*storeReport, *sop.Progress, error) {
	p, err := f.sched.Progress(f.ctx, plan, plan.Steps[0].Name)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]*storeReport{}
	for _, m := range p.Members {
		st := f.storeOf[m.UserID]
		if st == nil {
			return nil, nil, fmt.Errorf("%s is in no store", m.UserID)
		}
		r := out[st.name]
		if r == nil {
			r = &storeReport{}
			out[st.name] = r
		}
		did := "sent"
		if m.Done() {
			r.sent = append(r.sent, m.UserID)
		} else {
			r.notSent = append(r.notSent, m.UserID)
			did = "did not send"
		}
		r.reach += m.Reach.Sent
		r.total += m.Reach.Total()
		r.guides = append(r.guides, fmt.Sprintf("%s %s %d/%d", m.UserID, did, m.Reach.Sent, m.Reach.Total()))
	}
	return out, p, nil
}

func (f *flow) describe(rep map[string]*storeReport) string {
	var parts []string
	for _, st := range f.stores {
		if r := rep[st.name]; r != nil {
			parts = append(parts, fmt.Sprintf("%s reach %d/%d (%s)", st.name, r.reach, r.total, strings.Join(r.guides, ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

func (f *flow) readTask1() (string, error) {
	rep, p, err := f.report(f.tasks[0])
	if err != nil {
		return "", err
	}
	// In the fake: the customers of the guides who sent got it; bj-dan's did not.
	for _, m := range p.Members {
		for _, id := range f.customers[m.UserID] {
			got := f.corp.Messages().MassSendsReceived(id)
			if want := map[bool]int{true: 1, false: 0}[m.Done()]; got != want {
				return "", fmt.Errorf("%s's customer %s received %d mass send(s), want %d", m.UserID, id, got, want)
			}
		}
	}
	if sh := rep[f.stores[0].name]; sh.reach != sh.total || len(sh.notSent) > 0 {
		return "", fmt.Errorf("%s: %+v, want every customer reached", f.stores[0].name, sh)
	}
	f.week1 = map[string]int{}
	for name, r := range rep {
		f.week1[name] = r.total
	}
	return f.describe(rep), nil
}

// chase reminds the guides who have not sent (WeCom's own reminder); bj-dan
// then sends.
func (f *flow) chase() (string, error) {
	plan := f.tasks[0]
	rs, err := f.sched.Remind(f.ctx, plan, plan.Steps[0].Name)
	if err != nil {
		return "", err
	}
	if len(rs) != 1 || rs[0].UserID != "bj-dan" || rs[0].Via != sop.ViaWeCom || rs[0].Err != nil {
		return "", fmt.Errorf("reminders %+v, want bj-dan by WeCom", rs)
	}
	f.clk.Advance(time.Hour)
	if err := f.corp.Messages().ConfirmMassSend(rs[0].MsgID, "bj-dan"); err != nil {
		return "", err
	}
	rep, _, err := f.report(plan)
	if err != nil {
		return "", err
	}
	bj := rep[f.stores[1].name]
	if bj.reach != bj.total || len(bj.notSent) > 0 {
		return "", fmt.Errorf("%s after the reminder: %+v", f.stores[1].name, bj)
	}
	return fmt.Sprintf("bj-dan reminded by WeCom (remind_groupmsg_send) and sent: %s reach %d/%d", f.stores[1].name, bj.reach, bj.total), nil
}

// resign plays sh-bob leaving, and hands his customers and his group to
// the other guide of his store (离职继承).
func (f *flow) resign() (string, error) {
	if err := f.corp.ResignStaff("sh-bob"); err != nil {
		return "", err
	}
	st := f.storeOf["sh-bob"]
	takeover := ""
	for _, g := range st.guides {
		if g != "sh-bob" {
			takeover = g
		}
	}
	var ids []string
	for u, err := range f.contacts.ListUnassignedIter(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		if u.HandoverUserID == "sh-bob" {
			ids = append(ids, u.ExternalUserID)
		}
	}
	res, err := f.contacts.ResignedTransferCustomerMany(f.ctx, &contact.ResignedTransferCustomerRequest{
		HandoverUserID: "sh-bob", TakeoverUserID: takeover, ExternalUserID: ids}, 4)
	if err != nil {
		return "", err
	}
	for _, r := range res {
		if r.Err != nil {
			return "", fmt.Errorf("handing %s over: %w", r.Item, r.Err)
		}
	}
	var chats []string
	for ref, err := range f.groups.ListIter(f.ctx, &groupchat.ListRequest{StatusFilter: groupchat.StatusOwnerResigned,
		OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"sh-bob"}}}) {
		if err != nil {
			return "", err
		}
		chats = append(chats, ref.ChatID)
	}
	failed, err := f.groups.Transfer(f.ctx, &groupchat.TransferRequest{ChatIDList: chats, NewOwner: takeover})
	if err != nil {
		return "", err
	}
	if len(failed) > 0 {
		return "", fmt.Errorf("group inheritance failed: %+v", failed)
	}
	f.customers[takeover] = append(f.customers[takeover], f.customers["sh-bob"]...)
	delete(f.customers, "sh-bob")
	st.guides = slices.DeleteFunc(st.guides, func(g string) bool { return g == "sh-bob" })
	return fmt.Sprintf("%d customers and %d group handed to %s (same store); WeCom completes it in 24 h", len(ids), len(chats), takeover), nil
}

// handedOver moves the clock a day on and checks the handover in WeCom and
// in the fake.
func (f *flow) handedOver() (string, error) {
	f.clk.Advance(25 * time.Hour)
	done := 0
	for t, err := range f.contacts.ResignedTransferResultIter(f.ctx, &contact.ResignedTransferResultRequest{HandoverUserID: "sh-bob", TakeoverUserID: "sh-amy"}) {
		if err != nil {
			return "", err
		}
		if t.Status != contact.TransferDone {
			return "", fmt.Errorf("%s: %s", t.ExternalUserID, t.Status)
		}
		done++
	}
	for _, id := range f.customers["sh-amy"] {
		if fs := f.corp.Followers(id); !slices.Equal(fs, []string{"sh-amy"}) {
			return "", fmt.Errorf("%s is followed by %v", id, fs)
		}
	}
	if owner := f.corp.GroupChats().Owner(f.bobGroup); owner != "sh-amy" {
		return "", fmt.Errorf("sh-bob's group is owned by %q", owner)
	}
	if done == 0 {
		return "", errors.New("no transfer reported")
	}
	return fmt.Sprintf("%d transfers done; sh-amy follows all %d of the store's customers and owns sh-bob's group", done, len(f.customers["sh-amy"])), nil
}

// task2 pushes the next task to the guides in service; everyone sends.
// The store's reach stays what it was: sh-amy reaches sh-bob's customers.
func (f *flow) task2() (string, error) {
	guides, err := f.contacts.ListFollowUsers(f.ctx)
	if err != nil {
		return "", err
	}
	plan := f.task(48, "周末会员日，到店领取礼品", guides)
	f.tasks = append(f.tasks, plan)
	runs, err := f.sched.RunDue(f.ctx, plan)
	if err != nil {
		return "", err
	}
	for _, t := range runs[0].Tasks {
		if err := f.corp.Messages().ConfirmMassSend(t.MsgID, t.Sender); err != nil {
			return "", err
		}
	}
	rep, p, err := f.report(plan)
	if err != nil {
		return "", err
	}
	for name, r := range rep {
		if r.total != f.week1[name] || r.reach != r.total {
			return "", fmt.Errorf("%s: reach %d/%d, task 1 had %d customers", name, r.reach, r.total, f.week1[name])
		}
	}
	amy := 0
	for _, m := range p.Members {
		if m.UserID == "sh-amy" {
			amy = m.Reach.Sent
		}
	}
	if amy != f.week1[f.stores[0].name] {
		return "", fmt.Errorf("sh-amy reached %d, the store has %d customers", amy, f.week1[f.stores[0].name])
	}
	for _, id := range f.customers["sh-amy"] {
		if n := f.corp.Messages().MassSendsReceived(id); n != 2 {
			return "", fmt.Errorf("%s received %d mass sends, want 2", id, n)
		}
	}
	return fmt.Sprintf("%s (as in task 1; sh-amy reached %d)", f.describe(rep), amy), nil
}

func (f *flow) retire() (string, error) {
	for _, c := range f.codes {
		if err := f.channels.Retire(f.ctx, c.Name); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d codes deleted", len(f.codes)), nil
}
