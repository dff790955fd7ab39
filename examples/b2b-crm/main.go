// Command b2b-crm runs a B2B CRM's WeCom side on scrmkit: the CRM mirrors
// every customer relation and customer group into its own database (SQLite,
// through package mirror: a bulk reconcile at night, callbacks in between),
// keeps the customer-lifecycle stage (线索 → 商机 → 成交) as tags in step with
// WeCom both ways, keeps a salesperson's customers and groups with the
// company when they change role (在职继承) or leave (离职继承, group
// inheritance), follows each transfer until its outcome is final, and
// records churn (package churn). Half-way an event is missed on purpose,
// and the next night's reconcile repairs it.
//
// It plays the salespeople and customers on the fake WeCom (wecomtest), so
// it runs anywhere with no credentials, and checks every outcome in the
// fake and in the database:
//
//	go run ./examples/b2b-crm
//
// The database is a file in a temporary folder, removed at the end
// (B2B_CRM_DB=path keeps it). SQLite comes through modernc.org/sqlite, a
// pure-Go driver: no cgo, so `go run` works on a fresh checkout.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/churn"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/mirror"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "b2b-crm failed:", err)
		os.Exit(1)
	}
}

const callbackToken = "b2bCrmToken"

// The sales team: wangwei changes role, zhaolei leaves, lina takes over.
const (
	wangwei = "wangwei"
	lina    = "lina"
	zhaolei = "zhaolei"
)

// The lifecycle stages, a tag group kept in step with the CRM.
var stages = []string{"线索", "商机", "成交"}

const stageGroup = "客户阶段"

type flow struct {
	ctx    context.Context
	getenv func(string) string
	fake   *wecomtest.Server
	corp   *wecomtest.Corp
	client *wecom.Client

	contacts  *contact.Service
	groups    *groupchat.Service
	db        *crmDB
	dbPath    string
	tmpDir    string
	mirror    *mirror.Mirror
	transfers *contact.Transfers
	alerts    *churn.Alerts
	channels  *contact.Channels
	code      *contact.ChannelCode
	stageTag  map[string]string // stage → tag id
	churned   chan *churn.Record

	h    *callback.Handler
	gate gate
	hs   *httptest.Server

	seeded   map[string][]string // member → seeded customers
	groupOf  map[string]string   // owner → their group
	lead     *wecomtest.Scan
	missed   string // the customer whose deletion was not pushed
	transfer map[string]contact.TransferStatus
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 52)
	f := &flow{ctx: ctx, getenv: getenv, churned: make(chan *churn.Record, 4), seeded: map[string][]string{},
		groupOf: map[string]string{}, stageTag: map[string]string{}, transfer: map[string]contact.TransferStatus{}}
	defer f.close()
	return s.Run(true, []steps.Step{
		{Name: "start the fake WeCom and the sales team", Fn: f.start},
		{Name: "open the CRM database (SQLite)", Fn: f.openDB},
		{Name: "lifecycle stages as tags (客户阶段)", Fn: f.applyStages},
		{Name: "serve callbacks: mirror, churn alerts, channel", Fn: f.serve},
		{Name: "night 1: reconcile WeCom into the CRM", Fn: f.night(1, 0)},
		{Name: "a lead scans the sales channel code", Fn: f.newLead},
		{Name: "the CRM moves the lead to 商机", Fn: f.crmSetsStage},
		{Name: "the salesperson marks 成交 in the client", Fn: f.clientSetsStage},
		{Name: "an event is missed (callback down)", Fn: f.missEvent},
		{Name: "night 2: reconcile repairs the missed event", Fn: f.night(2, 1)},
		{Name: "wangwei changes role: 在职继承 to lina", Fn: f.onJobTransfer},
		{Name: "follow the transfers until final", Fn: f.followTransfers},
		{Name: "zhaolei leaves: 离职继承 and group inheritance", Fn: f.resign},
		{Name: "a customer deletes their salesperson (流失)", Fn: f.churn},
		{Name: "night 3: the CRM matches WeCom", Fn: f.night(3, 0)},
	})
}

// gate is the CRM's callback endpoint, which can be taken down.
type gate struct {
	h    http.Handler
	down atomic.Bool
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	g.h.ServeHTTP(w, r)
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
	if f.db != nil {
		_ = f.db.Close()
	}
	if f.tmpDir != "" {
		_ = os.RemoveAll(f.tmpDir)
	}
}

func (f *flow) start() (string, error) {
	f.fake = wecomtest.Start()
	f.corp = f.fake.Corp(f.fake.CorpID)
	f.client = f.fake.Client()
	f.contacts, f.groups = contact.New(f.client), groupchat.New(f.client)
	for _, u := range []string{wangwei, lina, zhaolei} {
		ids, err := f.corp.SeedCustomers(2, []string{u})
		if err != nil {
			return "", err
		}
		f.seeded[u] = ids
		chat, err := f.corp.GroupChats().Create(f.ctx, wecomtest.GroupChatSpec{Owner: u, Name: u + " 的客户群", Members: ids})
		if err != nil {
			return "", err
		}
		f.groupOf[u] = chat
	}
	return fmt.Sprintf("fake at %s; 3 salespeople with 2 customers and a group each", f.fake.URL), nil
}

func (f *flow) openDB() (string, error) {
	f.dbPath = f.getenv("B2B_CRM_DB")
	if f.dbPath == "" {
		dir, err := os.MkdirTemp("", "b2b-crm-")
		if err != nil {
			return "", err
		}
		f.tmpDir, f.dbPath = dir, filepath.Join(dir, "crm.db")
	}
	var err error
	if f.db, err = openCRM(f.ctx, f.dbPath); err != nil {
		return "", err
	}
	if f.mirror, err = mirror.New(f.contacts, f.groups, f.db); err != nil {
		return "", err
	}
	if f.transfers, err = contact.NewTransfers(f.contacts, f.client.Store()); err != nil {
		return "", err
	}
	return f.dbPath, nil
}

func (f *flow) applyStages() (string, error) {
	tags, err := f.contacts.ApplyTaxonomy(f.ctx, &contact.ApplyTaxonomyRequest{
		Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{{Name: stageGroup, Tags: stages}}}})
	if err != nil {
		return "", err
	}
	for _, st := range stages {
		f.stageTag[st], _ = tags.TagID(stageGroup, st)
	}
	return fmt.Sprintf("%s: %s", stageGroup, strings.Join(stages, " → ")), nil
}

func (f *flow) serve() (string, error) {
	var err error
	f.channels, err = contact.NewChannels(f.contacts, f.client.Store(), contact.ChannelTemplate{})
	if err != nil {
		return "", err
	}
	f.code, err = f.channels.Ensure(f.ctx, contact.Channel{Name: "官网咨询", Users: []string{wangwei}, Tags: []string{f.stageTag["线索"]}})
	if err != nil {
		return "", err
	}
	f.alerts, err = churn.NewAlerts(f.contacts, churn.WithChannelResolver(f.channels))
	if err != nil {
		return "", err
	}
	f.alerts.OnChurn(func(ctx context.Context, r *churn.Record) {
		if err := f.db.saveChurn(ctx, r); err == nil {
			f.churned <- r
		}
	})
	// The channel marks its tag through the API, which raises no event:
	// the mirror and the churn snapshot hear of it here.
	f.channels.OnCustomer(func(ctx context.Context, cu *contact.ChannelCustomer) {
		_ = f.alerts.Marked(ctx, &contact.MarkTagRequest{UserID: cu.UserID, ExternalUserID: cu.ExternalUserID, AddTag: cu.Tagged})
		_ = f.mirror.RefreshRelation(ctx, cu.UserID, cu.ExternalUserID)
	})
	aesKey := wecomtest.NewEncodingAESKey()
	f.h, err = callback.NewHandler(callbackToken, aesKey, callback.WithReceiverID(f.client.CorpID()))
	if err != nil {
		return "", err
	}
	f.mirror.Register(f.h)
	f.alerts.Register(f.h)
	f.channels.Register(f.h)
	f.gate.h = f.h
	f.hs = httptest.NewServer(&f.gate)
	f.corp.SetCallback(f.hs.URL, callbackToken, aesKey)
	return "listening at " + f.hs.URL, nil
}

// night reconciles, then checks the database against the fake; want is
// how many relations the sweep must delete.
func (f *flow) night(gen int64, want int) func() (string, error) {
	return func() (string, error) {
		rep, err := f.mirror.Reconcile(f.ctx)
		if err != nil {
			return "", err
		}
		if rep.Generation != gen || rep.DeletedRelations != want {
			return "", fmt.Errorf("generation %d deleted %d relation(s), want generation %d deleting %d", rep.Generation, rep.DeletedRelations, gen, want)
		}
		if gen == 1 {
			if _, err := f.alerts.Load(f.ctx); err != nil { // the churn snapshots of the existing relations
				return "", err
			}
		}
		rows, err := f.db.relations(f.ctx)
		if err != nil {
			return "", err
		}
		inWeCom := f.wecomRelations()
		if len(rows) != len(inWeCom) {
			return "", fmt.Errorf("the CRM holds %d relations, WeCom %d", len(rows), len(inWeCom))
		}
		for k := range inWeCom {
			if !rows[k] {
				return "", fmt.Errorf("the CRM lacks %s", k)
			}
		}
		groups, err := f.db.count(f.ctx, "groups")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("generation %d: %d relations and %d groups upserted, %d deleted; the CRM's %d relations and %d groups are WeCom's",
			rep.Generation, rep.Relations, rep.Groups, rep.DeletedRelations, len(rows), groups), nil
	}
}

// wecomRelations lists every relation the fake holds for the customers
// this program knows.
func (f *flow) wecomRelations() map[string]bool {
	out := map[string]bool{}
	var customers []string
	for _, ids := range f.seeded {
		customers = append(customers, ids...)
	}
	if f.lead != nil {
		customers = append(customers, f.lead.ExternalUserID)
	}
	for _, ext := range customers {
		for _, u := range f.corp.Followers(ext) {
			if u != zhaolei || !f.resigned() {
				out[u+"/"+ext] = true
			}
		}
	}
	return out
}

func (f *flow) resigned() bool {
	users, _ := f.contacts.ListFollowUsers(f.ctx)
	return !slices.Contains(users, zhaolei)
}

func (f *flow) newLead() (string, error) {
	var err error
	if f.lead, err = f.corp.ScanContactWay(f.ctx, f.code.ConfigID, ""); err != nil {
		return "", err
	}
	return f.stageIs(f.lead.UserID, f.lead.ExternalUserID, "线索", "add_external_contact; the channel tagged it")
}

// stageIs checks that the relation carries stage (and no other) in WeCom
// and in the CRM's database.
func (f *flow) stageIs(userID, ext, stage, how string) (string, error) {
	rel, ok := f.corp.Relation(userID, ext)
	if !ok {
		return "", fmt.Errorf("WeCom has no relation %s/%s", userID, ext)
	}
	tags, gen, ok, err := f.db.relation(f.ctx, userID, ext)
	if err != nil || !ok {
		return "", errors.Join(err, fmt.Errorf("the CRM has no relation %s/%s", userID, ext))
	}
	want := []string{f.stageTag[stage]}
	if !slices.Equal(rel.TagIDs, want) || !slices.Equal(tags, want) {
		return "", fmt.Errorf("stage tags: WeCom %v, CRM %v, want %v (%s)", rel.TagIDs, tags, want, stage)
	}
	return fmt.Sprintf("%s: %s is at %s in WeCom and in the CRM (row of generation %d)", how, ext, stage, gen), nil
}

// setStage is the CRM's side: one stage tag at a time, the others removed.
func (f *flow) setStage(userID, ext, stage string) error {
	req := &contact.MarkTagRequest{UserID: userID, ExternalUserID: ext, AddTag: []string{f.stageTag[stage]}}
	for _, st := range stages {
		if st != stage {
			req.RemoveTag = append(req.RemoveTag, f.stageTag[st])
		}
	}
	if err := f.contacts.MarkTag(f.ctx, req); err != nil {
		return err
	}
	// mark_tag raises no event: the churn snapshot and the mirror are told.
	if err := f.alerts.Marked(f.ctx, req); err != nil {
		return err
	}
	return f.mirror.RefreshRelation(f.ctx, userID, ext)
}

func (f *flow) crmSetsStage() (string, error) {
	if err := f.setStage(f.lead.UserID, f.lead.ExternalUserID, "商机"); err != nil {
		return "", err
	}
	return f.stageIs(f.lead.UserID, f.lead.ExternalUserID, "商机", "mark_tag, then RefreshRelation")
}

func (f *flow) clientSetsStage() (string, error) {
	if err := f.corp.MemberTagsCustomer(f.ctx, f.lead.UserID, f.lead.ExternalUserID,
		[]string{f.stageTag["成交"]}, []string{f.stageTag["商机"]}); err != nil {
		return "", err
	}
	return f.stageIs(f.lead.UserID, f.lead.ExternalUserID, "成交", "edit_external_contact")
}

func (f *flow) missEvent() (string, error) {
	f.missed = f.seeded[lina][0]
	p := f.corp.Pusher()
	attempts := p.Attempts
	p.Attempts = 1
	f.gate.down.Store(true) // the CRM's endpoint is down: the push fails
	err := f.corp.MemberDeletesCustomer(f.ctx, lina, f.missed)
	f.gate.down.Store(false)
	p.Attempts = attempts
	if err == nil {
		return "", errors.New("the push was delivered")
	}
	if _, ok := f.corp.Relation(lina, f.missed); ok {
		return "", errors.New("WeCom still has the relation")
	}
	if _, _, ok, err := f.db.relation(f.ctx, lina, f.missed); err != nil || !ok {
		return "", errors.Join(err, errors.New("the CRM lost the relation without an event"))
	}
	return fmt.Sprintf("lina deleted %s; del_external_contact was not delivered; the CRM still has the relation", f.missed), nil
}

func (f *flow) onJobTransfer() (string, error) {
	customers, err := f.contacts.List(f.ctx, wangwei)
	if err != nil {
		return "", err
	}
	res, err := f.transfers.TransferCustomerMany(f.ctx, &contact.TransferCustomerRequest{HandoverUserID: wangwei, TakeoverUserID: lina,
		ExternalUserID: customers, TransferSuccessMsg: "您好，之后由我的同事李娜继续为您服务。"}, 0)
	if err != nil {
		return "", err
	}
	for _, r := range res {
		if r.Err != nil {
			return "", fmt.Errorf("%s: %w", r.Item, r.Err)
		}
	}
	// Groups move at once; WeCom raises no event for an API transfer.
	moved, err := f.transferGroups(wangwei, false)
	if err != nil {
		return "", err
	}
	// The lead refuses the new salesperson: transfer_fail is pushed and
	// the mirror reads the customer again (it stays with wangwei).
	if err := f.corp.RefuseTakeover(f.ctx, f.lead.ExternalUserID); err != nil {
		return "", err
	}
	if _, _, ok, err := f.db.relation(f.ctx, wangwei, f.lead.ExternalUserID); err != nil || !ok {
		return "", errors.Join(err, errors.New("the refused customer left wangwei in the CRM"))
	}
	return fmt.Sprintf("%d customers handed over (one refused: transfer_fail), %d group(s) now lina's in WeCom and the CRM", len(customers), moved), nil
}

// transferGroups hands the owner's groups to lina (resigned: the
// inheritance of a resigned owner's groups) and refreshes them in the CRM.
func (f *flow) transferGroups(owner string, resigned bool) (int, error) {
	req := &groupchat.ListRequest{OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{owner}}}
	if resigned {
		req.StatusFilter = groupchat.StatusOwnerResigned
	}
	var chats []string
	for ref, err := range f.groups.ListIter(f.ctx, req) {
		if err != nil {
			return 0, err
		}
		chats = append(chats, ref.ChatID)
	}
	var (
		res []wecom.BatchResult[string, struct{}]
		err error
	)
	if resigned {
		res, err = f.groups.TransferMany(f.ctx, &groupchat.TransferRequest{ChatIDList: chats, NewOwner: lina}, 0)
	} else {
		res, err = f.groups.OnjobTransferMany(f.ctx, &groupchat.OnjobTransferRequest{ChatIDList: chats, NewOwner: lina}, 0)
	}
	if err != nil {
		return 0, err
	}
	for _, r := range res {
		if r.Err != nil {
			return 0, fmt.Errorf("group %s: %w", r.Item, r.Err)
		}
		if err := f.mirror.RefreshGroup(f.ctx, r.Item); err != nil {
			return 0, err
		}
		if got := f.corp.GroupChats().Owner(r.Item); got != lina {
			return 0, fmt.Errorf("WeCom shows group %s owned by %s", r.Item, got)
		}
		if got, err := f.db.groupOwner(f.ctx, r.Item); err != nil || got != lina {
			return 0, errors.Join(err, fmt.Errorf("the CRM shows group %s owned by %q", r.Item, got))
		}
	}
	if len(chats) == 0 {
		return 0, fmt.Errorf("%s owns no group", owner)
	}
	return len(chats), nil
}

// followTransfers asks WeCom for the outcomes of the transfers that wait
// (contact.Transfers: the waiting list is in the Store, so a restart goes
// on following them) and applies each final one to the CRM, until none
// waits.
func (f *flow) followTransfers() (string, error) {
	var rounds []string
	for round := 1; ; round++ {
		outcomes, err := f.transfers.Check(f.ctx)
		if err != nil {
			return "", err
		}
		counts := map[contact.TransferStatus]int{}
		for i := range outcomes {
			o := &outcomes[i]
			counts[o.Status]++
			f.transfer[o.ExternalUserID] = o.Status
			if err := f.apply(o); err != nil {
				return "", err
			}
		}
		waiting, err := f.transfers.Waiting(f.ctx)
		if err != nil {
			return "", err
		}
		rounds = append(rounds, fmt.Sprintf("check %d: %d taken over, %d refused, %d waiting", round,
			counts[contact.TransferDone], counts[contact.TransferRefused], waiting))
		if waiting == 0 {
			break
		}
		if round == 3 {
			return "", errors.New("transfers still waiting after three checks")
		}
		// WeCom completes a takeover 24 hours after it was asked for; the
		// fake lets that time pass now.
		f.corp.CompleteTakeovers()
	}
	for ext, st := range f.transfer {
		want := wangwei
		if st == contact.TransferDone {
			want = lina
		}
		if got := f.corp.Followers(ext); !slices.Equal(got, []string{want}) {
			return "", fmt.Errorf("WeCom: %s followed by %v, want %s", ext, got, want)
		}
		if _, _, ok, err := f.db.relation(f.ctx, want, ext); err != nil || !ok {
			return "", errors.Join(err, fmt.Errorf("the CRM lacks %s/%s", want, ext))
		}
	}
	return strings.Join(rounds, "; "), nil
}

// apply brings a final transfer outcome into the CRM and the churn
// snapshots: WeCom raises no event when a takeover completes.
func (f *flow) apply(o *contact.TransferOutcome) error {
	if err := f.mirror.Transferred(f.ctx, o); err != nil {
		return err
	}
	if o.Status == contact.TransferDone {
		return f.alerts.Refresh(f.ctx, o.TakeoverUserID, o.ExternalUserID)
	}
	return nil
}

func (f *flow) resign() (string, error) {
	if err := f.corp.ResignStaff(zhaolei); err != nil {
		return "", err
	}
	var customers []string
	for u, err := range f.contacts.ListUnassignedIter(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		if u.HandoverUserID == zhaolei {
			customers = append(customers, u.ExternalUserID)
		}
	}
	res, err := f.transfers.ResignedTransferCustomerMany(f.ctx, &contact.ResignedTransferCustomerRequest{HandoverUserID: zhaolei,
		TakeoverUserID: lina, ExternalUserID: customers}, 0)
	if err != nil {
		return "", err
	}
	for _, r := range res {
		if r.Err != nil {
			return "", fmt.Errorf("%s: %w", r.Item, r.Err)
		}
	}
	groups, err := f.transferGroups(zhaolei, true)
	if err != nil {
		return "", err
	}
	f.corp.CompleteTakeovers() // 24 hours later
	outcomes, err := f.transfers.Check(f.ctx)
	if err != nil {
		return "", err
	}
	done := 0
	for i := range outcomes {
		o := &outcomes[i]
		if o.Status != contact.TransferDone || !o.Resigned {
			return "", fmt.Errorf("%s: status %d", o.ExternalUserID, o.Status)
		}
		if err := f.apply(o); err != nil {
			return "", err
		}
		if _, _, ok, err := f.db.relation(f.ctx, lina, o.ExternalUserID); err != nil || !ok {
			return "", errors.Join(err, fmt.Errorf("the CRM lacks lina/%s", o.ExternalUserID))
		}
		done++
	}
	if done != len(customers) {
		return "", fmt.Errorf("%d of %d customers taken over", done, len(customers))
	}
	return fmt.Sprintf("%d unassigned customers and %d group(s) now lina's, in WeCom and the CRM", done, groups), nil
}

func (f *flow) churn() (string, error) {
	ext := f.lead.ExternalUserID
	if err := f.corp.CustomerDeletesMember(f.ctx, ext, wangwei); err != nil {
		return "", err
	}
	select {
	case r := <-f.churned:
		by, channel, tags, err := f.db.churnRow(f.ctx, ext)
		if err != nil {
			return "", err
		}
		if by != string(churn.ByCustomer) || channel != "官网咨询" || tags != `["客户阶段/成交"]` {
			return "", fmt.Errorf("churn row: %s, %q, %s", by, channel, tags)
		}
		reason, err := f.db.deletion(f.ctx, wangwei, ext)
		if err != nil || reason != string(mirror.ReasonCustomerDeleted) {
			return "", errors.Join(err, fmt.Errorf("the CRM's relation: deletion %q", reason))
		}
		return fmt.Sprintf("%s deleted %s; churn %s recorded: channel %s, stage %s (%s); the CRM's relation gone (%s)",
			ext, r.UserID, r.ID[:8], channel, tags, r.Source, reason), nil
	case <-time.After(10 * time.Second):
		return "", errors.New("no churn record")
	}
}
