// Command kf runs a WeChat customer-service (微信客服) bot: a customer
// opens the account's link from a help page, is welcomed with a menu of
// the knowledge base's questions, asks in their own words or taps a
// question and gets the knowledge base's answer, asks for a person and is
// handed to a human servicer (the session moves to 由人工接待), and the
// session is reported and closed with a satisfaction survey. Every message
// reaches the bot once through kf.Inbox, and every reply goes out inside
// the customer's send window.
//
// With no WECOM_CORP_ID set it starts the fake WeCom (wecomtest)
// in-process and plays the customer and WeCom's pushes itself, so it runs
// anywhere with no credentials:
//
//	go run ./examples/kf
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set,
// it talks to that server instead and runs the steps that need no
// simulated customer: it finds an account the app manages, reads its
// servicers and the knowledge base, and makes the account's link.
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

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "kf failed:", err)
		os.Exit(1)
	}
}

// servicer is the member who takes the customers who ask for a person.
const servicer = "zhangsan"

// knowledge is the help desk's knowledge base, added to the fake.
var knowledge = []struct{ question, answer string }{
	{"怎么退货？", "7 天内可在「我的订单」申请退货，快递员会上门取件。"},
	{"什么时候发货？", "付款后 24 小时内发货，节假日顺延。"},
	{"能开发票吗？", "可以，在订单详情页申请电子发票，1 个工作日内发到邮箱。"},
}

// flow is the state the steps share.
type flow struct {
	ctx      context.Context
	client   *wecom.Client
	svc      *kf.Service
	fake     *wecomtest.Server // nil against a real WeCom
	cust     *wecomtest.KF
	account  string
	link     string
	group    string
	customer string
	bot      *bot
	closeSrv func()
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 46)
	f := &flow{ctx: ctx}
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
	return s.Run(f.fake != nil, []steps.Step{
		{Name: "create the account and its servicer", FakeOnly: true, Fn: f.createAccount},
		{Name: "find an account the app manages", Fn: f.findAccount},
		{Name: "fill the knowledge base", FakeOnly: true, Fn: f.fillKnowledge},
		{Name: "load the bot's knowledge base", Fn: f.loadKnowledge},
		{Name: "make the help page's link", Fn: f.makeLink},
		{Name: "start the callback and the inbox", FakeOnly: true, Fn: f.startInbox},
		{Name: "a customer opens the link: welcome menu", FakeOnly: true, Fn: f.enter},
		{Name: "the customer asks: answered from the base", FakeOnly: true, Fn: f.ask},
		{Name: "the customer taps a question: answered", FakeOnly: true, Fn: f.tap},
		{Name: "the customer asks for a person: handed over", FakeOnly: true, Fn: f.handOver},
		{Name: "report the session", FakeOnly: true, Fn: f.report},
		{Name: "end the session with a survey", FakeOnly: true, Fn: f.end},
		{Name: "clean up the knowledge base and the account", FakeOnly: true, Fn: f.cleanUp},
	})
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv); ok {
		f.client = c
		f.svc = kf.New(c)
		return "corp " + c.CorpID(), nil
	}
	f.fake = wecomtest.Start()
	f.client = f.fake.Client()
	f.svc = kf.New(f.client)
	f.cust = f.fake.Corp(f.fake.CorpID).KF()
	return "no WECOM_CORP_ID: started the fake WeCom at " + f.fake.URL, nil
}

// createAccount makes a customer-service account with an avatar and adds
// the servicer.
func (f *flow) createAccount() (string, error) {
	if err := f.fake.Corp(f.fake.CorpID).AddStaff(servicer); err != nil {
		return "", err
	}
	// The avatar is a file: uploaded through the Service's MediaCache
	// (again once its three days are up, should the account be made later).
	avatar := wecom.MediaFromBytes("avatar.png", []byte("\x89PNG\r\n\x1a\n fake avatar"))
	var err error
	if f.account, err = f.svc.AddAccount(f.ctx, &kf.AddAccountRequest{Name: "售后客服", Upload: avatar}); err != nil {
		return "", err
	}
	res, err := f.svc.AddServicer(f.ctx, &kf.AddServicerRequest{OpenKfID: f.account, UserIDList: []string{servicer}})
	if err != nil {
		return "", err
	}
	if err := res.ResultList[0].Err(); err != nil {
		return "", err
	}
	return "account 售后客服, servicer " + servicer, nil
}

func (f *flow) findAccount() (string, error) {
	n := 0
	for a, err := range f.svc.ListAccountsIter(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		n++
		if f.account == "" && a.ManagePrivilege {
			f.account = a.OpenKfID
		}
		if a.OpenKfID == f.account {
			list, err := f.svc.ListServicers(f.ctx, a.OpenKfID)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%d account(s); %s has %d servicer(s)", n, a.Name, len(list)), nil
		}
	}
	return "", fmt.Errorf("none of the %d account(s) is managed by this app: hand one to the API in the admin console (微信客服 → 通过API管理微信客服账号)", n)
}

func (f *flow) fillKnowledge() (string, error) {
	var err error
	if f.group, err = f.svc.KnowledgeAddGroup(f.ctx, &kf.KnowledgeAddGroupRequest{Name: "售后"}); err != nil {
		return "", err
	}
	for _, k := range knowledge {
		similar := []string{strings.TrimSuffix(k.question, "？")}
		if _, err := f.svc.KnowledgeAddIntent(f.ctx, &kf.KnowledgeAddIntentRequest{GroupID: f.group, Question: k.question,
			SimilarQuestions: similar, Answers: []kf.Answer{{Text: k.answer}}}); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("group 售后 with %d questions", len(knowledge)), nil
}

func (f *flow) loadKnowledge() (string, error) {
	f.bot = &bot{svc: f.svc}
	for in, err := range f.svc.KnowledgeListIntentsIter(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		if len(in.Answers) > 0 {
			f.bot.intents = append(f.bot.intents, *in)
		}
	}
	return fmt.Sprintf("%d question(s) the bot answers", len(f.bot.intents)), nil
}

func (f *flow) makeLink() (string, error) {
	link, err := f.svc.AddContactWay(f.ctx, &kf.AddContactWayRequest{OpenKfID: f.account, Scene: "help_center"})
	if err != nil {
		return "", err
	}
	if f.link, err = kf.SceneURL(link, "page=refund"); err != nil {
		return "", err
	}
	return "scene help_center, scene_param page=refund", nil
}

func (f *flow) startInbox() (string, error) {
	token, aesKey := "kfToken", wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(f.fake.CorpID))
	if err != nil {
		return "", err
	}
	inbox, err := kf.NewInbox(f.svc, f.bot.handle, kf.WithWelcome(f.bot.welcome))
	if err != nil {
		return "", err
	}
	f.bot.inbox = inbox
	inbox.Register(h)
	srv := httptest.NewServer(h)
	f.closeSrv = srv.Close
	f.fake.Corp(f.fake.CorpID).SetCallback(srv.URL, token, aesKey)
	return "callback URL " + srv.URL, nil
}

// sent returns the messages sent to the customer after the first n.
func (f *flow) sent(n int) []wecomtest.KFSent {
	all := f.cust.Sent(f.account, f.customer)
	if n > len(all) {
		return nil
	}
	return all[n:]
}

func (f *flow) enter() (string, error) {
	entry, err := f.cust.OpenLink(f.ctx, f.link, "")
	if err != nil {
		return "", err
	}
	f.customer = entry.ExternalUserID
	got := f.sent(0)
	if len(got) != 1 || got[0].Code != "welcome" || got[0].MsgType != "msgmenu" {
		return "", fmt.Errorf("want a welcome menu, the customer got %+v", got)
	}
	return fmt.Sprintf("welcome menu with %d items sent within the code's 20 s", strings.Count(string(got[0].Body), `"type":"click"`)), nil
}

// say plays the customer sending msg and returns the bot's replies.
func (f *flow) say(msg wecomtest.KFMessage) ([]wecomtest.KFSent, error) {
	before := len(f.cust.Sent(f.account, f.customer))
	if _, err := f.cust.Write(f.ctx, f.account, f.customer, msg); err != nil {
		return nil, err
	}
	return f.sent(before), nil
}

func (f *flow) ask() (string, error) {
	got, err := f.say(wecomtest.KFText("请问怎么退货"))
	if err != nil {
		return "", err
	}
	if len(got) != 1 || got[0].Text() != knowledge[0].answer {
		return "", fmt.Errorf("want the answer to 怎么退货, got %+v", got)
	}
	return "「请问怎么退货」→ " + got[0].Text(), nil
}

func (f *flow) tap() (string, error) {
	id := f.bot.intentID(knowledge[1].question)
	got, err := f.say(wecomtest.KFMenuReply(id, knowledge[1].question))
	if err != nil {
		return "", err
	}
	if len(got) != 1 || got[0].Text() != knowledge[1].answer {
		return "", fmt.Errorf("want the answer to 什么时候发货, got %+v", got)
	}
	return "menu item 「什么时候发货？」→ " + got[0].Text(), nil
}

func (f *flow) handOver() (string, error) {
	got, err := f.say(wecomtest.KFMenuReply("human", "转人工"))
	if err != nil {
		return "", err
	}
	ses, ok := f.cust.Session(f.account, f.customer)
	if !ok || ses.State != int(kf.StateServicer) || ses.ServicerUserID != servicer {
		return "", fmt.Errorf("want the session with %s, it is %+v", servicer, ses)
	}
	if len(got) != 1 || got[0].Code != "taken" {
		return "", fmt.Errorf("want the hand-over notice sent with its code, got %+v", got)
	}
	return fmt.Sprintf("session %v → %v (%s); notice 「%s」", f.bot.moved.From, f.bot.moved.To, servicer, got[0].Text()), nil
}

func (f *flow) report() (string, error) {
	st, err := f.svc.GetServiceState(f.ctx, &kf.GetServiceStateRequest{OpenKfID: f.account, ExternalUserID: f.customer})
	if err != nil {
		return "", err
	}
	res, err := f.svc.CustomerBatchGet(f.ctx, &kf.CustomerBatchGetRequest{ExternalUserIDList: []string{f.customer}, NeedEnterSessionContext: true})
	if err != nil {
		return "", err
	}
	if len(res.CustomerList) != 1 || res.CustomerList[0].EnterSessionContext == nil {
		return "", fmt.Errorf("want the customer and how they entered, got %+v", res)
	}
	cu := res.CustomerList[0]
	stats := f.bot.inbox.Stats()
	win, _, err := f.bot.inbox.SendWindow(f.ctx, f.account, f.customer)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s came from %s (%s); with %s (%v); %d messages delivered once, %d answers, %d sends left in the window",
		cu.Nickname, cu.EnterSessionContext.Scene, cu.EnterSessionContext.SceneParam, st.ServicerUserID, st.ServiceState,
		stats.Delivered, f.bot.answers(), win.Remaining(f.client.Now())), nil
}

func (f *flow) end() (string, error) {
	mv, err := f.svc.MoveSession(f.ctx, &kf.MoveSessionRequest{OpenKfID: f.account, ExternalUserID: f.customer, To: kf.StateEnded})
	if err != nil {
		return "", err
	}
	survey := &kf.Menu{HeadContent: "本次服务您满意吗？", List: []kf.MenuItem{kf.ClickItem("good", "满意"), kf.ClickItem("bad", "不满意")}}
	if _, err := f.svc.SendMsgOnEvent(f.ctx, &kf.SendMsgOnEventRequest{Code: mv.MsgCode, EventReply: kf.EventReply{Menu: survey}}); err != nil {
		return "", err
	}
	_, err = f.svc.MoveSession(f.ctx, &kf.MoveSessionRequest{OpenKfID: f.account, ExternalUserID: f.customer, To: kf.StateBot})
	if !errors.Is(err, kf.ErrTransition) {
		return "", fmt.Errorf("an ended session must not move before the customer writes; got %v", err)
	}
	return "session ended, survey sent; an ended session stays until the customer writes", nil
}

func (f *flow) cleanUp() (string, error) {
	if err := f.svc.KnowledgeDelGroup(f.ctx, f.group); err != nil {
		return "", err
	}
	if err := f.svc.DelAccount(f.ctx, f.account); err != nil {
		return "", err
	}
	return "group 售后 and account 售后客服 deleted", nil
}

// bot answers customers from the knowledge base and hands them to a person
// on request.
type bot struct {
	svc     *kf.Service
	inbox   *kf.Inbox
	intents []kf.Intent

	mu      sync.Mutex
	replies int
	moved   *kf.MoveSessionResponse
}

// menu lists the knowledge base's questions and a way to a person.
func (b *bot) menu(head string) *kf.Menu {
	m := &kf.Menu{HeadContent: head}
	for _, in := range b.intents {
		m.List = append(m.List, kf.ClickItem(in.IntentID, in.Question))
	}
	m.List = append(m.List, kf.ClickItem("human", "转人工"))
	return m
}

func (b *bot) welcome(context.Context, *kf.Message) (*kf.EventReply, error) {
	return &kf.EventReply{Menu: b.menu("您好，我是售后小助手，想了解什么？")}, nil
}

func (b *bot) intentID(question string) string {
	for _, in := range b.intents {
		if in.Question == question {
			return in.IntentID
		}
	}
	return ""
}

// match finds the intent a customer's words or tap name.
func (b *bot) match(t *kf.Text) *kf.Intent {
	for i := range b.intents {
		in := &b.intents[i]
		if t.MenuID == in.IntentID {
			return in
		}
		for _, q := range append([]string{in.Question}, in.SimilarQuestions...) {
			if strings.Contains(t.Content, strings.TrimSuffix(q, "？")) {
				return in
			}
		}
	}
	return nil
}

// handle is the Inbox's function: every message and event, once.
func (b *bot) handle(ctx context.Context, m *kf.Message) error {
	if m.Origin != kf.OriginCustomer {
		return nil
	}
	if m.Text == nil {
		return b.send(ctx, m, &kf.SendMsgRequest{Menu: b.menu("我暂时只看得懂文字，请选择：")})
	}
	if m.Text.MenuID == "human" || strings.Contains(m.Text.Content, "人工") {
		return b.toServicer(ctx, m)
	}
	if in := b.match(m.Text); in != nil {
		return b.send(ctx, m, &kf.SendMsgRequest{Text: &kf.Text{Content: in.Answers[0].Text}})
	}
	return b.send(ctx, m, &kf.SendMsgRequest{Menu: b.menu("没找到答案，您可以选择：")})
}

func (b *bot) send(ctx context.Context, m *kf.Message, req *kf.SendMsgRequest) error {
	req.OpenKfID, req.ToUser = m.OpenKfID, m.ExternalUserID
	if _, err := b.inbox.SendMsg(ctx, req); err != nil {
		return err
	}
	b.mu.Lock()
	b.replies++
	b.mu.Unlock()
	return nil
}

// toServicer hands the session to the servicer and tells the customer,
// with the move's code (no place of the send window used).
func (b *bot) toServicer(ctx context.Context, m *kf.Message) error {
	mv, err := b.svc.MoveSession(ctx, &kf.MoveSessionRequest{OpenKfID: m.OpenKfID, ExternalUserID: m.ExternalUserID,
		To: kf.StateServicer, ServicerUserID: servicer})
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.moved = mv
	b.mu.Unlock()
	if mv.MsgCode == "" {
		return nil
	}
	_, err = b.svc.SendMsgOnEvent(ctx, &kf.SendMsgOnEventRequest{Code: mv.MsgCode,
		EventReply: kf.EventReply{Text: &kf.Text{Content: "已为您转接人工客服，请稍候"}}})
	return err
}

func (b *bot) answers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.replies
}
