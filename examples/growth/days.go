package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// This file plays the two weeks on the fake: visitors on days 1 to 4, the
// retention plan, customers leaving.

// visitors are the people who reach a channel each day, in order.
var visitors = map[int][]string{
	0: {douyin, xhs, wechat, metro, douyin, xhs, wechat, store, douyin, xhs, metro, douyin, store, metro},
	1: {douyin, xhs, wechat, metro, douyin, xhs, wechat, douyin, metro, douyin},
	2: {douyin, xhs, wechat, douyin, xhs, wechat, douyin, xhs, douyin, douyin},
	3: {douyin, store, douyin, store},
}

// day plays day d: at 10:00 what happens to the links, then the visitors
// seven minutes apart (a link's customer writes to the member, two in
// three of them); at 11:00 the retention plan's due step, done by every
// member at 12:00; at 15:00 on day 3 the admin buys quota; at 16:00 the
// customers who leave.
func (f *flow) day(d int) (string, error) {
	f.mu.Lock()
	f.today = nil
	before := len(f.adds)
	f.mu.Unlock()
	at := func(hour int) { f.clk.Set(start.AddDate(0, 0, d).Add(time.Duration(hour-9) * time.Hour)) }
	at(10)
	if d == 1 { // WeCom finds the 小红书 link broken
		l, _, err := f.links.Lookup(f.ctx, xhs)
		if err != nil {
			return "", err
		}
		if err := f.corp.Acquisition().MakeLinkUnavailable(f.ctx, l.LinkID); err != nil {
			return "", err
		}
	}
	count := map[string]int{}
	wrote := 0
	for _, ch := range visitors[d] {
		f.clk.Advance(7 * time.Minute)
		w, err := f.visit(ch)
		if err != nil {
			return "", err
		}
		count[ch]++
		if w {
			wrote++
		}
	}
	at(11)
	ran, err := f.sched.RunDue(f.ctx, f.plan)
	if err != nil {
		return "", err
	}
	at(12)
	for _, r := range ran {
		if err := f.doParts(r.Step); err != nil {
			return "", err
		}
	}
	if d == 2 {
		at(15)
		if _, err := f.corp.Acquisition().GrantQuota(f.ctx, 20, start.AddDate(0, 3, 0)); err != nil {
			return "", err
		}
	}
	at(16)
	left, err := f.leave(d)
	if err != nil {
		return "", err
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	if len(visitors[d]) > 0 {
		var per []string
		for _, ch := range append(slices.Clone(linkChannels), posterChannels...) {
			if count[ch] > 0 {
				per = append(per, fmt.Sprintf("%s %d", ch, count[ch]))
			}
		}
		fell := 0
		for _, a := range f.adds[before:] {
			if a.fallback {
				fell++
			}
		}
		s := fmt.Sprintf("visitors %s → %d added", strings.Join(per, ", "), len(f.adds)-before)
		if fell > 0 {
			s += fmt.Sprintf(" (%d by fallback code)", fell)
		}
		parts = append(parts, s+fmt.Sprintf(", %d wrote", wrote))
	}
	parts = append(parts, f.today...)
	for _, r := range ran {
		parts = append(parts, "ran "+r.Step+", every member did their part")
	}
	parts = append(parts, left...)
	if len(parts) == 0 {
		return "quiet", nil
	}
	return strings.Join(parts, "; "), nil
}

// visit plays one visitor of channel ch: a tap on the channel's link (the
// fallback code while the quota is out), a scan of a poster's code; the
// welcome is sent before the clock moves on. It reports whether the new
// customer wrote to the member.
func (f *flow) visit(ch string) (bool, error) {
	ext, wrote, err := f.arrive(ch)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	if _, err := f.corp.Messages().WaitWelcome(ctx, ext); err != nil {
		return false, fmt.Errorf("no welcome for a visitor of %s: %w", ch, err)
	}
	return wrote, nil
}

func (f *flow) arrive(ch string) (ext string, wrote bool, err error) {
	f.mu.Lock()
	exhausted := f.exhausted
	f.mu.Unlock()
	if slices.Contains(posterChannels, ch) || exhausted {
		name := ch
		if !slices.Contains(posterChannels, ch) {
			name = backup + ch
		}
		code, ok, err := f.codes.Lookup(f.ctx, name)
		if err != nil || !ok {
			return "", false, fmt.Errorf("no code for %s: %w", name, err)
		}
		sc, err := f.corp.ScanContactWay(f.ctx, code.ConfigID, "")
		if err != nil {
			return "", false, err
		}
		return sc.ExternalUserID, false, nil
	}
	l, ok, err := f.links.Lookup(f.ctx, ch)
	if err != nil || !ok {
		return "", false, fmt.Errorf("no link for %s: %w", ch, err)
	}
	tap, err := f.corp.Acquisition().TapLink(f.ctx, l.LinkID, l.State)
	if err != nil {
		return "", false, fmt.Errorf("a visitor of %s: %w", ch, err)
	}
	// Two in three of a channel's link customers write.
	n := 0
	f.mu.Lock()
	for _, a := range f.adds {
		if a.channel == ch && !a.fallback {
			n++
		}
	}
	f.mu.Unlock()
	if n%3 == 0 { // the third, sixth... stay silent
		return tap.ExternalUserID, false, nil
	}
	_, err = f.corp.Acquisition().CustomerMessage(f.ctx, tap.ExternalUserID, tap.UserID)
	return tap.ExternalUserID, err == nil, err
}

// doParts plays every member doing their part of the plan's step: confirm
// the weekly send, publish the Moments post.
func (f *flow) doParts(step string) error {
	p, err := f.sched.Progress(f.ctx, f.plan, step)
	if err != nil {
		return err
	}
	if len(p.Unresolved) > 0 {
		return fmt.Errorf("%s: %d task(s) unresolved", step, len(p.Unresolved))
	}
	for _, m := range p.Members {
		for _, t := range p.Run.Tasks {
			switch {
			case t.MsgID != "":
				err = f.corp.Messages().ConfirmMassSend(t.MsgID, m.UserID)
			case t.MomentID != "":
				err = f.corp.Messages().PublishMoment(t.MomentID, m.UserID)
			}
			if err != nil && !errors.Is(err, wecomtest.ErrNotFound) { // not a sender of this task
				return err
			}
		}
	}
	return nil
}

// leave plays the customers who go: on day 5 the first two of 抖音 delete
// their member, on day 6 the first of the store poster, on day 7 lisi
// deletes the first 公众号 customer he has, and on day 12 the first of the
// metro poster deletes theirs (past their first 7 days).
func (f *flow) leave(d int) ([]string, error) {
	first := func(ch string, n int, by string) []add {
		f.mu.Lock()
		defer f.mu.Unlock()
		var out []add
		for _, a := range f.adds {
			if a.channel == ch && (by == "" || a.userID == by) && len(out) < n {
				out = append(out, a)
			}
		}
		return out
	}
	var gone []add
	byMember := false
	switch d {
	case 4:
		gone = first(douyin, 2, "")
	case 5:
		gone = first(store, 1, "")
	case 6:
		gone, byMember = first(wechat, 1, "lisi"), true
	case 11:
		gone = first(metro, 1, "")
	}
	var notes []string
	for _, a := range gone {
		var err error
		if byMember {
			err = f.corp.MemberDeletesCustomer(f.ctx, a.userID, a.ext)
			notes = append(notes, fmt.Sprintf("%s deleted a %s customer", a.userID, a.channel))
		} else {
			err = f.corp.CustomerDeletesMember(f.ctx, a.ext, a.userID)
			notes = append(notes, fmt.Sprintf("a %s customer deleted %s", a.channel, a.userID))
		}
		if err != nil {
			return nil, err
		}
	}
	return notes, nil
}
