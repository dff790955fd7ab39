package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
)

// This file computes the funnel per channel from what WeCom reports and
// checks the two weeks' outcomes in the fake.

// stage is one channel's funnel: opened (tapped the link; WeCom reports no
// scans of a poster), added, wrote (WeCom reports it for link customers
// only), and the 7-day cohort: added at least 7 days ago, and of those
// still followed 7 days after their add.
type stage struct {
	opened, added, byFallback, wrote, cohort, retained int
	measured                                           bool // opened and wrote are known
}

// funnels computes every channel's funnel now.
func (f *flow) funnels() (map[string]*stage, error) {
	now := f.clk.Now()
	out := map[string]*stage{}
	for _, ch := range append(slices.Clone(linkChannels), posterChannels...) {
		out[ch] = &stage{measured: slices.Contains(linkChannels, ch)}
	}
	// opened and wrote: the link's statistics and customers, and those
	// kept from the links it replaced
	for _, ch := range linkChannels {
		s := out[ch]
		f.mu.Lock()
		former := slices.Clone(f.former[ch])
		f.mu.Unlock()
		l, ok, err := f.links.Lookup(f.ctx, ch)
		if err != nil || !ok {
			return nil, fmt.Errorf("no link for %s: %w", ch, err)
		}
		st, err := f.acq.GetStatistic(f.ctx, &acquisition.GetStatisticRequest{LinkID: l.LinkID,
			StartTime: wecom.UnixTime(start.Unix()), EndTime: wecom.UnixTime(now.Unix())})
		if err != nil {
			return nil, err
		}
		s.opened = int(st.ClickLinkCustomerCnt)
		customers := []*acquisition.Customer{}
		for cu, err := range f.links.Customers(f.ctx, ch) {
			if err != nil {
				return nil, err
			}
			customers = append(customers, cu)
		}
		for _, fl := range former {
			s.opened += int(fl.opened)
			customers = append(customers, fl.customers...)
		}
		for _, cu := range customers {
			if cu.ChatStatus == acquisition.ChatStarted {
				s.wrote++
			}
		}
	}
	// added and retained: the add events, and the deletes
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.adds {
		s := out[a.channel]
		s.added++
		if a.fallback {
			s.byFallback++
		}
		if now.Sub(a.at) < keepFor {
			continue // too young to tell
		}
		s.cohort++
		if gone, ok := f.deletes[[2]string{a.userID, a.ext}]; !ok || gone.Sub(a.at) >= keepFor {
			s.retained++
		}
	}
	return out, nil
}

func (s *stage) String() string {
	opened, wrote := "–", "–"
	if s.measured {
		opened, wrote = fmt.Sprint(s.opened), fmt.Sprint(s.wrote)
	}
	added := fmt.Sprint(s.added)
	if s.byFallback > 0 {
		added = fmt.Sprintf("%d (%d by fallback code)", s.added, s.byFallback)
	}
	return fmt.Sprintf("opened %s → added %s → wrote %s → retained 7 d %d/%d", opened, added, wrote, s.retained, s.cohort)
}

// funnel prints the funnel per channel and checks the figures the program
// planned for: what the visitors did, who left and when.
func (f *flow) funnel() (string, error) {
	fs, err := f.funnels()
	if err != nil {
		return "", err
	}
	want := map[string]stage{
		douyin: {opened: 13, added: 15, byFallback: 2, wrote: 9, cohort: 15, retained: 13, measured: true},
		xhs:    {opened: 8, added: 8, wrote: 6, cohort: 8, retained: 8, measured: true},
		wechat: {opened: 6, added: 6, wrote: 4, cohort: 6, retained: 5, measured: true},
		metro:  {added: 5, cohort: 5, retained: 5},
		store:  {added: 4, cohort: 4, retained: 3},
	}
	var parts []string
	for _, ch := range append(slices.Clone(linkChannels), posterChannels...) {
		if *fs[ch] != want[ch] {
			return "", fmt.Errorf("%s: %s, want %s", ch, fs[ch], ptr(want[ch]))
		}
		parts = append(parts, ch+": "+fs[ch].String())
	}
	return strings.Join(parts, " · "), nil
}

func ptr(s stage) *stage { return &s }

// checkFunnel checks the funnel's sources against the fake: each add is a
// relation WeCom has unless a delete was logged for it, each customer got
// their channel's welcome, the quota left is what the adds used.
func (f *flow) checkFunnel() (string, error) {
	f.mu.Lock()
	adds := slices.Clone(f.adds)
	deletes := len(f.deletes)
	f.mu.Unlock()
	welcomes := map[string]string{}
	for _, w := range f.corp.Messages().WelcomesSent() {
		welcomes[w.ExternalUserID] = w.Text
	}
	here := 0
	// the relations as WeCom lists them now
	now := map[[2]string]bool{}
	for rec, err := range f.contacts.BatchGetByUserIter(f.ctx, &contact.BatchGetByUserRequest{UserIDList: append(slices.Clone(linkStaff), posterStaff...)}) {
		if err != nil {
			return "", err
		}
		now[[2]string{rec.FollowInfo.UserID, rec.ExternalContact.ExternalUserID}] = true
	}
	for _, a := range adds {
		f.mu.Lock()
		_, gone := f.deletes[[2]string{a.userID, a.ext}]
		f.mu.Unlock()
		if now[[2]string{a.userID, a.ext}] == gone {
			return "", fmt.Errorf("%s of %s: relation present %t, delete logged %t", a.ext, a.channel, !gone, gone)
		}
		if !gone {
			here++
		}
		if welcomes[a.ext] != welcomeText[a.channel] {
			return "", fmt.Errorf("%s of %s got the welcome %q", a.ext, a.channel, welcomes[a.ext])
		}
	}
	linkAdds := 0
	for _, a := range adds {
		if slices.Contains(linkChannels, a.channel) && !a.fallback {
			linkAdds++
		}
	}
	if bal := f.corp.Acquisition().Balance(); bal != 45-int64(linkAdds) {
		return "", fmt.Errorf("balance %d after %d link adds of 45 units", bal, linkAdds)
	}
	return fmt.Sprintf("%d adds: %d customers still here, %d deletes logged; each got their channel's welcome; %d units left after %d link adds",
		len(adds), here, deletes, 45-linkAdds, linkAdds), nil
}

// quotaActions checks what the quota watch did: the admin was told of
// every event, the broken link was replaced under the same state.
func (f *flow) quotaActions() (string, error) {
	f.mu.Lock()
	acted := slices.Clone(f.acted)
	former := slices.Clone(f.former[xhs])
	f.mu.Unlock()
	want := []string{"balance_low", "link_unavailable", "balance_exhausted", "balance_increased", "balance_low"}
	if !slices.Equal(acted, want) {
		return "", fmt.Errorf("acted on %v, want %v", acted, want)
	}
	got := f.corp.AppMessages().Received(admin)
	if len(got) != len(want) {
		return "", fmt.Errorf("the admin got %d messages, want %d", len(got), len(want))
	}
	if len(former) != 1 {
		return "", fmt.Errorf("%d former links of %s", len(former), xhs)
	}
	l, _, err := f.links.Lookup(f.ctx, xhs)
	if err != nil {
		return "", err
	}
	old, ok, err := f.links.LookupLink(f.ctx, former[0].linkID)
	if err != nil || !ok || old.Name != xhs || old.State != l.State || l.LinkID == former[0].linkID {
		return "", fmt.Errorf("the replaced link: %+v, %v; now %s", old, err, l.LinkID)
	}
	if _, err := f.acq.Get(f.ctx, former[0].linkID); !acquisition.IsNotFound(err) {
		return "", fmt.Errorf("the broken link still exists: %v", err)
	}
	return fmt.Sprintf("%s; the admin got %d messages (first: %q); %s's link replaced, state %s kept",
		strings.Join(acted, ", "), len(got), got[0].Content, xhs, l.State), nil
}

// planDone checks that the retention plan ran its four steps, every member
// did their part, and every customer still here got both weekly sends.
func (f *flow) planDone() (string, error) {
	runs, err := f.sched.Runs(f.ctx, f.plan)
	if err != nil {
		return "", err
	}
	if len(runs) != len(f.plan.Steps) {
		return "", fmt.Errorf("%d of %d steps ran", len(runs), len(f.plan.Steps))
	}
	reach := 0
	for _, st := range f.plan.Steps {
		p, err := f.sched.Progress(f.ctx, f.plan, st.Name)
		if err != nil {
			return "", err
		}
		if p.Pending > 0 || p.Done == 0 {
			return "", fmt.Errorf("%s: %d done, %d pending", st.Name, p.Done, p.Pending)
		}
		for _, m := range p.Members {
			reach += m.Reach.Sent
		}
	}
	f.mu.Lock()
	adds := slices.Clone(f.adds)
	f.mu.Unlock()
	checked := 0
	for _, a := range adds {
		if _, ok := f.corp.Relation(a.userID, a.ext); !ok {
			continue
		}
		if n := f.corp.Messages().MassSendsReceived(a.ext); n != 2 {
			return "", fmt.Errorf("%s of %s received %d weekly sends, want 2", a.ext, a.channel, n)
		}
		checked++
	}
	return fmt.Sprintf("%d steps done by every member; weekly sends delivered %d times; each of the %d customers still here got both",
		len(runs), reach, checked), nil
}
