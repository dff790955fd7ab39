package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ExternalChatEvent is a change_external_chat event the fake raised
// (GroupChats.Events).
type ExternalChatEvent struct {
	ChatID        string
	ChangeType    string // create, update, dismiss
	UpdateDetail  string // update: add_member, del_member, change_owner, change_name, change_notice
	JoinScene     int    // add_member: 0 invited by a member, 3 by the group QR code
	QuitScene     int    // del_member: 0 left, 1 removed
	MemChangeList []string
	LastMemVer    string // update: the member version before (== CurMemVer when members did not change)
	CurMemVer     string
	At            time.Time
}

// ExternalChatXML returns the decrypted XML of ev as WeCom pushes it to a
// self-built app of corpID.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func ExternalChatXML(corpID string, ev ExternalChatEvent) []byte {
	b := []byte("<xml><ToUserName><![CDATA[" + corpID + "]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>" +
		"<CreateTime>" + unix(ev.At) + "</CreateTime><MsgType><![CDATA[event]]></MsgType>" +
		"<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[" + ev.ChatID + "]]></ChatId>" +
		"<ChangeType><![CDATA[" + ev.ChangeType + "]]></ChangeType>")
	if ev.ChangeType == "update" {
		b = append(b, "<UpdateDetail><![CDATA["+ev.UpdateDetail+"]]></UpdateDetail>"...)
		switch ev.UpdateDetail {
		case "add_member":
			b = append(b, "<JoinScene>"+itoa(ev.JoinScene)+"</JoinScene>"...)
		case "del_member":
			b = append(b, "<QuitScene>"+itoa(ev.QuitScene)+"</QuitScene>"...)
		}
		if len(ev.MemChangeList) > 0 {
			b = append(b, "<MemChangeCnt>"+itoa(len(ev.MemChangeList))+"</MemChangeCnt><MemChangeList>"...)
			for _, id := range ev.MemChangeList {
				b = append(b, "<Item><![CDATA["+id+"]]></Item>"...)
			}
			b = append(b, "</MemChangeList>"...)
		}
		b = append(b, "<LastMemVer><![CDATA["+ev.LastMemVer+"]]></LastMemVer><CurMemVer><![CDATA["+ev.CurMemVer+"]]></CurMemVer>"...)
	}
	return append(b, "</xml>"...)
}

// DropEvents makes the fake raise but not push the corp's next n
// change_external_chat events: the callback misses them, as when WeCom
// gives up on a callback that did not answer. Helpers that keep group
// state must recover (groupchat.Tracker re-reads a group whose member
// version jumped).
func (g *GroupChats) DropEvents(n int) {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, _, err := s.groupChatLocked(corpID); err == nil {
		gs.drop = max(n, 0)
	}
}

// Events returns every change_external_chat event the corp raised, pushed
// or dropped, oldest first. Push one again with ExternalChatXML and a
// Pusher to play WeCom re-sending it.
func (g *GroupChats) Events() []ExternalChatEvent {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, _, err := s.groupChatLocked(corpID)
	if err != nil {
		return nil
	}
	out := make([]ExternalChatEvent, len(gs.log))
	for i, ev := range gs.log {
		ev.MemChangeList = slices.Clone(ev.MemChangeList)
		out[i] = ev
	}
	return out
}

// DeliverEvents waits until every event the corp raised so far has been
// pushed (the events of API calls, such as groupchat/transfer's
// change_owner, are pushed in the background, as WeCom pushes them after
// answering) and returns the errors of the pushes that failed since the
// last call.
func (g *GroupChats) DeliverEvents(ctx context.Context) error {
	s, corpID := g.c.s, g.c.id
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(corpID)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	gs.deliverMu.Lock()
	defer gs.deliverMu.Unlock()
	errs := s.deliverLocked(ctx, corpID, gs)
	s.mu.Lock()
	errs = append(gs.pushErrs, errs...)
	gs.pushErrs = nil
	s.mu.Unlock()
	return errors.Join(errs...)
}

// deliverLocked pushes the outbox in order; gs.deliverMu is held, s.mu not.
func (s *Server) deliverLocked(ctx context.Context, corpID string, gs *groupChatState) []error {
	var errs []error
	for {
		s.mu.Lock()
		if len(gs.outbox) == 0 {
			s.mu.Unlock()
			return errs
		}
		ev := gs.outbox[0]
		gs.outbox = gs.outbox[1:]
		p := gs.corp.pusher
		s.mu.Unlock()
		if p == nil {
			continue
		}
		if _, err := p.Push(ctx, ExternalChatXML(corpID, ev)); err != nil {
			errs = append(errs, fmt.Errorf("wecomtest: change_external_chat %s %s of %s: %w", ev.ChangeType, ev.UpdateDetail, ev.ChatID, err))
		}
	}
}

// deliverAsync pushes the outbox in the background (from API handlers,
// which run under s.mu); failures are kept for DeliverEvents.
func (s *Server) deliverAsync(corpID string, gs *groupChatState) {
	go func() {
		gs.deliverMu.Lock()
		defer gs.deliverMu.Unlock()
		errs := s.deliverLocked(context.Background(), corpID, gs)
		if len(errs) > 0 {
			s.mu.Lock()
			gs.pushErrs = append(gs.pushErrs, errs...)
			s.mu.Unlock()
		}
	}()
}

// deliver pushes the outbox now, from a helper called without s.mu.
func (s *Server) deliver(ctx context.Context, corpID string) error {
	s.mu.Lock()
	gs, _, err := s.groupChatLocked(corpID)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	gs.deliverMu.Lock()
	defer gs.deliverMu.Unlock()
	return errors.Join(s.deliverLocked(ctx, corpID, gs)...)
}

// raise records ev and queues it for the corp's callback, if it has one;
// s.mu is held.
func (gs *groupChatState) raise(ev ExternalChatEvent) {
	gs.log = append(gs.log, ev)
	if gs.drop > 0 {
		gs.drop--
		return
	}
	if gs.corp.pusher != nil {
		gs.outbox = append(gs.outbox, ev)
	}
}
