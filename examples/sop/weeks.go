package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/sop"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// This file plays two weeks on the simulated clock, a day per step, and
// checks the outcomes in the fake at the end.

// ranStep is a step that ran, and on which day.
type ranStep struct {
	plan *sop.Plan
	step string
	day  int
}

func (r ranStep) label() string {
	return strings.TrimPrefix(r.plan.Name, "SOP ") + "/" + r.step
}

// remindLog is one reminder WeCom sent for a mass send, and when.
type remindLog struct {
	msgID string
	at    time.Time
}

// dayLog collects what happened on one day (the churn handler adds to it
// from the callback's goroutine).
type dayLog struct {
	mu      sync.Mutex
	events  []string
	byWeCom int
	byApp   int
	refused int
}

func (l *dayLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
}

func dayName(d int) string {
	return fmt.Sprintf("day %2d, %s", d+1, start.AddDate(0, 0, d).Format("Mon 01-02"))
}

// resigned is who has left by now.
func (f *flow) resigned(userID string) bool {
	return slices.Contains(f.resignedStaff, userID)
}

// day plays day d (0 for the first): the day's events at 09:00, the pool at
// 09:30, the due steps at 10:00, the punctual members at 11:00, and the
// reminders at 14:00, 17:00, 20:00 and 23:00 (WeCom allows three a day;
// the fourth goes by application message), with yesterday's steps chased
// once more at 14:00.
func (f *flow) day(d int) (string, error) {
	f.log.mu.Lock()
	f.log.events, f.log.byWeCom, f.log.byApp, f.log.refused = nil, 0, 0, 0
	f.log.mu.Unlock()
	at := func(hour, minute int) {
		f.clk.Set(start.AddDate(0, 0, d).Add(time.Duration(hour-9)*time.Hour + time.Duration(minute)*time.Minute))
	}
	at(9, 0)
	if err := f.events(d); err != nil {
		return "", err
	}
	at(9, 30)
	if err := f.sweepPool(); err != nil {
		return "", err
	}
	at(10, 0)
	var ran []string
	for _, p := range f.plans {
		runs, err := f.sched.RunDue(f.ctx, p)
		if err != nil {
			return "", err
		}
		for _, r := range runs {
			rs := ranStep{plan: p, step: r.Step, day: d}
			f.runs = append(f.runs, rs)
			ran = append(ran, rs.label())
		}
	}
	at(11, 0)
	onTime, err := f.doParts(d, func(u string) bool { return habits[u] == onTime })
	if err != nil {
		return "", err
	}
	var late []string
	for i, h := range []int{14, 17, 20, 23} {
		at(h, 0)
		reminded := map[string]bool{}
		for _, r := range f.runs {
			if r.day != d && (i > 0 || r.day != d-1) {
				continue
			}
			rs, err := f.sched.Remind(f.ctx, r.plan, r.step)
			if err != nil {
				return "", err
			}
			f.count(rs)
			for _, x := range rs {
				if x.Err == nil {
					reminded[x.UserID] = true
				}
			}
		}
		at(h, 30) // those who act on a reminder do
		did, err := f.doParts(d, func(u string) bool { return habits[u] == afterReminder && reminded[u] })
		if err != nil {
			return "", err
		}
		late = append(late, did...)
	}
	var parts []string
	if len(ran) > 0 {
		parts = append(parts, "ran "+strings.Join(ran, ", "))
	}
	if len(onTime) > 0 {
		parts = append(parts, "on time "+strings.Join(onTime, ", "))
	}
	if len(late) > 0 {
		slices.Sort(late)
		parts = append(parts, "after a reminder "+strings.Join(slices.Compact(late), ", "))
	}
	f.log.mu.Lock()
	defer f.log.mu.Unlock()
	if f.log.byWeCom+f.log.byApp > 0 {
		parts = append(parts, fmt.Sprintf("reminded %d× by WeCom, %d× by app message", f.log.byWeCom, f.log.byApp))
	}
	if f.log.refused > 0 {
		parts = append(parts, fmt.Sprintf("%d reminder(s) refused", f.log.refused))
	}
	parts = append(parts, f.log.events...)
	if len(parts) == 0 {
		return "nothing due", nil
	}
	return strings.Join(parts, "; "), nil
}

// count adds reminders to the day's log.
func (f *flow) count(rs []sop.Reminder) {
	f.log.mu.Lock()
	defer f.log.mu.Unlock()
	seen := map[string]bool{}
	for _, r := range rs {
		switch {
		case r.Err != nil:
			f.log.refused++
		case r.Via == sop.ViaWeCom:
			f.log.byWeCom++
			if !seen[r.MsgID] { // one call reminds all the task's senders
				seen[r.MsgID] = true
				f.allReminders = append(f.allReminders, remindLog{msgID: r.MsgID, at: f.clk.Now()})
			}
		default:
			f.log.byApp++
		}
	}
}

// events plays what happens to the staff and the customers on day d.
func (f *flow) events(d int) error {
	switch d {
	case 5: // zhaoliu leaves the company
		if err := f.corp.ResignStaff("zhaoliu"); err != nil {
			return err
		}
		f.resignedStaff = append(f.resignedStaff, "zhaoliu")
		f.log.add("zhaoliu resigned")
	case 7: // customer 12 buys again: dormant → active
		c := f.crm.byIndex(11)
		f.crm.mu.Lock()
		c.data = purchase{spend: 480, orders: 1, lastOrder: 0}
		c.layer = layerOf(c.data)
		f.crm.mu.Unlock()
		if err := f.markLayer(c); err != nil {
			return err
		}
		f.log.add("customer 12 bought: now %s", c.layer)
	case 8: // churn: a customer deletes their only member; a member deletes a customer another member follows
		var lone *customer
		for _, c := range f.crm.all() {
			if fs := f.corp.Followers(c.id); len(fs) == 1 && fs[0] == "lisi" {
				lone = c
				break
			}
		}
		if lone == nil {
			return errors.New("no customer followed by lisi alone")
		}
		f.loneChurned = lone.id
		if err := f.corp.CustomerDeletesMember(f.ctx, lone.id, "lisi"); err != nil {
			return err
		}
		both := f.crm.byIndex(6)
		if fs := f.corp.Followers(both.id); len(fs) != 2 {
			return fmt.Errorf("customer 7 has followers %v, want two", fs)
		}
		f.bothDeletedBy = both.owner
		if err := f.corp.MemberDeletesCustomer(f.ctx, both.owner, both.id); err != nil {
			return err
		}
	}
	return nil
}

// doParts plays the members who, by act, do their part of the steps that
// ran on day d or the day before: they confirm the mass sends and publish
// the Moments posts in their WeCom client. It returns who did.
func (f *flow) doParts(d int, act func(userID string) bool) ([]string, error) {
	var did []string
	for _, r := range f.runs {
		if r.day < d-1 {
			continue
		}
		p, err := f.sched.Progress(f.ctx, r.plan, r.step)
		if err != nil {
			return nil, err
		}
		for _, m := range p.Members {
			if m.Done() || !act(m.UserID) || f.resigned(m.UserID) {
				continue
			}
			for _, t := range p.Run.Tasks {
				var err error
				switch {
				case t.MsgID != "":
					err = f.corp.Messages().ConfirmMassSend(t.MsgID, m.UserID)
				case t.MomentID != "":
					err = f.corp.Messages().PublishMoment(t.MomentID, m.UserID)
				}
				if err != nil && !errors.Is(err, wecomtest.ErrNotFound) { // not a sender of this task
					return nil, err
				}
			}
			if !slices.Contains(did, m.UserID) {
				did = append(did, m.UserID)
			}
		}
	}
	slices.Sort(did)
	return did, nil
}

// tally is each member's parts and parts done over every run so far.
func (f *flow) tally() (parts, done map[string]int, err error) {
	parts, done = map[string]int{}, map[string]int{}
	for _, r := range f.runs {
		p, err := f.sched.Progress(f.ctx, r.plan, r.step)
		if err != nil {
			return nil, nil, err
		}
		if len(p.Unresolved) > 0 {
			return nil, nil, fmt.Errorf("%s: %d task(s) unresolved", r.label(), len(p.Unresolved))
		}
		for _, m := range p.Members {
			parts[m.UserID] += m.Parts
			done[m.UserID] += m.PartsDone
		}
	}
	return parts, done, nil
}

// completionRates is the share of their parts each member has done (1 for
// a member with none yet).
func (f *flow) completionRates() (map[string]float64, error) {
	parts, done, err := f.tally()
	if err != nil {
		return nil, err
	}
	rate := map[string]float64{}
	for _, u := range sales {
		rate[u] = 1
		if parts[u] > 0 {
			rate[u] = float64(done[u]) / float64(parts[u])
		}
	}
	return rate, nil
}

// completion reports each member's parts over the two weeks and checks
// them against the members' habits and the fake's deliveries.
func (f *flow) completion() (string, error) {
	parts, done, err := f.tally()
	if err != nil {
		return "", err
	}
	var out []string
	for _, u := range sales {
		out = append(out, fmt.Sprintf("%s %d/%d", u, done[u], parts[u]))
		switch {
		case parts[u] == 0:
			return "", fmt.Errorf("%s had no part in any step", u)
		case habits[u] == never && done[u] != 0:
			return "", fmt.Errorf("%s never sends but did %d part(s)", u, done[u])
		case habits[u] != never && done[u] != parts[u]:
			return "", fmt.Errorf("%s did %d of %d part(s)", u, done[u], parts[u])
		}
	}
	// In the fake: a customer of wangwu alone got no mass send; a VIP who
	// added zhangsan alone through the poster got both VIP sends.
	for _, c := range f.crm.all() {
		fs := f.corp.Followers(c.id)
		if len(fs) == 1 && fs[0] == "wangwu" {
			if n := f.corp.Messages().MassSendsReceived(c.id); n != 0 {
				return "", fmt.Errorf("wangwu's customer %s received %d mass send(s)", c.id, n)
			}
		}
		if len(fs) == 1 && fs[0] == "zhangsan" && c.layer == layerVIP && c.channel == "门店海报" {
			if n := f.corp.Messages().MassSendsReceived(c.id); n != 2 {
				return "", fmt.Errorf("zhangsan's VIP %s received %d mass send(s), want 2", c.id, n)
			}
		}
	}
	if n := f.corp.Messages().MassSendsReceived(f.vipGroup); n != 1 {
		return "", fmt.Errorf("the VIP group received %d group send(s), want 1", n)
	}
	return strings.Join(out, " · ") + fmt.Sprintf(" (parts done/parts, %d steps)", len(f.runs)), nil
}

// reminderLimits checks that WeCom's reminder was used at most 3 times per
// task in any 24 hours, that WeCom took every one of them, and that the
// members past it got application messages instead.
func (f *flow) reminderLimits() (string, error) {
	byMsg := map[string][]time.Time{}
	for _, r := range f.allReminders {
		byMsg[r.msgID] = append(byMsg[r.msgID], r.at)
	}
	for id, ts := range byMsg {
		for i := 3; i < len(ts); i++ {
			if ts[i].Sub(ts[i-3]) < 24*time.Hour {
				return "", fmt.Errorf("mass send %s was reminded 4 times within 24 hours", id)
			}
		}
	}
	if got := f.fake.Count("externalcontact/remind_groupmsg_send"); got != len(f.allReminders) {
		return "", fmt.Errorf("WeCom got %d reminder calls, %d succeeded", got, len(f.allReminders))
	}
	got := f.corp.AppMessages().Received("wangwu")
	if len(got) == 0 {
		return "", errors.New("wangwu got no application message")
	}
	for _, m := range got {
		if !strings.Contains(m.Content, "please") {
			return "", fmt.Errorf("wangwu got %q", m.Content)
		}
	}
	return fmt.Sprintf("%d WeCom reminders over %d mass sends, never a 4th in 24 h; wangwu got %d application messages",
		len(f.allReminders), len(byMsg), len(got)), nil
}

// poolOutcome checks the pool's work in the fake: the resigned member's
// customers followed by their new owners, his group inherited, the
// customer who deleted their member reassigned and its new owner told.
func (f *flow) poolOutcome() (string, error) {
	f.crm.mu.Lock()
	reassigned := make(map[string]string, len(f.crm.reassigned))
	for k, v := range f.crm.reassigned {
		reassigned[k] = v
	}
	notified := f.crm.notified[f.loneChurned]
	f.crm.mu.Unlock()
	handed := 0
	takeovers := map[string]bool{}
	for id, to := range reassigned {
		if id == f.loneChurned {
			continue
		}
		if fs := f.corp.Followers(id); !slices.Contains(fs, to) || slices.Contains(fs, "zhaoliu") {
			return "", fmt.Errorf("customer %s is followed by %v, want %s", id, fs, to)
		}
		handed++
		takeovers[to] = true
	}
	if handed != 3 {
		return "", fmt.Errorf("%d of zhaoliu's customers handed over, want 3", handed)
	}
	for to := range takeovers {
		for t, err := range f.contacts.ResignedTransferResultIter(f.ctx, &contact.ResignedTransferResultRequest{HandoverUserID: "zhaoliu", TakeoverUserID: to}) {
			if err != nil {
				return "", err
			}
			if t.Status != contact.TransferDone {
				return "", fmt.Errorf("the takeover of %s by %s is %s", t.ExternalUserID, to, t.Status)
			}
		}
	}
	owner := f.corp.GroupChats().Owner(f.liveGroup)
	if !takeovers[owner] {
		return "", fmt.Errorf("the live-stream group is owned by %s", owner)
	}
	if notified == "" || notified != reassigned[f.loneChurned] {
		return "", fmt.Errorf("the churned customer was not reassigned and notified (%q)", notified)
	}
	told := false
	for _, m := range f.corp.AppMessages().Received(notified) {
		told = told || strings.Contains(m.Content, f.loneChurned)
	}
	if !told {
		return "", fmt.Errorf("%s got no message about %s", notified, f.loneChurned)
	}
	both := f.crm.byIndex(6)
	if both.owner == f.bothDeletedBy || !slices.Contains(f.corp.Followers(both.id), both.owner) {
		return "", fmt.Errorf("customer 7 is owned by %s after %s deleted them", both.owner, f.bothDeletedBy)
	}
	return fmt.Sprintf("zhaoliu's %d customers taken over (transfer done), his group now %s's; the customer who deleted lisi went to %s, told by app message; customer 7 stays with %s",
		handed, owner, notified, both.owner), nil
}

// layersInWeCom checks that each relation carries its customer's layer
// tag and no other.
func (f *flow) layersInWeCom() (string, error) {
	n := 0
	for _, c := range f.crm.all() {
		for _, u := range f.corp.Followers(c.id) {
			rel, _ := f.corp.Relation(u, c.id)
			for _, l := range layers {
				if has := slices.Contains(rel.TagIDs, f.tag(layerGroup, l)); has != (l == c.layer) {
					return "", fmt.Errorf("%s's relation with %s: layer %s tagged %t", u, c.id, l, has)
				}
			}
			n++
		}
	}
	return fmt.Sprintf("%d relations, each tagged with its layer only (customer 12 now %s)", n, f.crm.byIndex(11).layer), nil
}
