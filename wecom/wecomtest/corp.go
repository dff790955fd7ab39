package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Corp is a handle on one corp of the fake (企业): its app's credentials and
// tokens, its callback URL, its members and customers (the methods of Corp),
// its customer groups (GroupChats), customer acquisition (Acquisition) and
// messaging (Messages). Get one with Server.Corp or Server.AddCorp.
//
// A handle only names the corp: for an id the server does not know, the
// methods that change state answer an error wrapping ErrNotFound and the
// ones that read it answer zero values.
type Corp struct {
	s  *Server
	id string
}

// Corp returns the handle of corpID (srv.CorpID for the default corp).
func (s *Server) Corp(corpID string) *Corp { return &Corp{s: s, id: corpID} }

// AddCorp adds a corp whose self-built app has secret, so that gettoken
// serves it, and returns its handle. Adding an existing corp changes
// nothing.
func (s *Server) AddCorp(corpID, secret string) *Corp {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCorpLocked(corpID, secret)
	return s.Corp(corpID)
}

// ID returns the corp's id (corpid).
func (c *Corp) ID() string { return c.id }

// GroupChats returns the handle on the corp's customer groups.
func (c *Corp) GroupChats() *GroupChats { return &GroupChats{c: c} }

// Acquisition returns the handle on the corp's customer acquisition (获客助手).
func (c *Corp) Acquisition() *Acquisition { return &Acquisition{c: c} }

// Messages returns the handle on the corp's mass sends, welcome messages
// and Moments.
func (c *Corp) Messages() *Messages { return &Messages{c: c} }

// stateLocked returns the corp's state; s.mu is held.
func (c *Corp) stateLocked() (*corpState, error) {
	st := c.s.corps[c.id]
	if st == nil {
		return nil, fmt.Errorf("%w: corp %q", ErrNotFound, c.id)
	}
	return st, nil
}

// SetSecret changes the app secret, as resetting it in the admin console
// does: gettoken answers 40001 to the old one from then on (tokens already
// issued keep working until they expire, as WeCom's do).
func (c *Corp) SetSecret(secret string) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if st := c.s.corps[c.id]; st != nil {
		st.Secret = secret
	}
}

// TokenFetches returns how many access tokens gettoken issued for the corp.
// Tests count them to prove a client cached its token.
func (c *Corp) TokenFetches() int {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if st := c.s.corps[c.id]; st != nil {
		return st.tokenFetches
	}
	return 0
}

// ExpireTokens makes every access token issued so far for the corp (by
// gettoken or, for a suite's authorized corp, by get_corp_token) expired:
// calls with them answer 42001, as WeCom does after expires_in.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91039
func (c *Corp) ExpireTokens() {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, t := range s.tokens {
		if t.corp == c.id {
			t.expires = past
		}
	}
}

// RevokeTokens makes every access token issued so far for the corp invalid:
// calls with them answer 40014, as after WeCom invalidates a token (the app
// was removed, say).
func (c *Corp) RevokeTokens() {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.corp == c.id {
			t.revoked = true
		}
	}
}

// SetCallback sets the callback URL of the corp's app (接收事件服务器) with
// its Token and EncodingAESKey: from then on every act of the corp that
// WeCom pushes an event for (a scan, a join, a group change, a tap on an
// acquisition link, ...) is pushed there, encrypted, with the corp id as
// receiveid. Without a callback the same acts change the fake's state and
// push nothing. An empty url removes the callback.
//
// It returns c, so that setting it up and acting read as one line;
// Pusher returns the Pusher, to tune its Attempts, Timeout or Client.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
func (c *Corp) SetCallback(url, token, encodingAESKey string) *Corp {
	var p *Pusher
	if url != "" {
		p = NewPusher(url, token, encodingAESKey, c.id)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if st := c.s.corps[c.id]; st != nil {
		st.pusher = p
	}
	return c
}

// Pusher returns the Pusher that delivers the corp's pushes (nil before
// SetCallback). Change its Attempts, Timeout or Client before acting, not
// during a push.
func (c *Corp) Pusher() *Pusher {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if st := c.s.corps[c.id]; st != nil {
		return st.pusher
	}
	return nil
}

// pusherLocked is Pusher for code that holds s.mu.
func (c *Corp) pusherLocked() *Pusher {
	if st := c.s.corps[c.id]; st != nil {
		return st.pusher
	}
	return nil
}

// push delivers plaintexts to the corp's callback, in order, when one is
// set; it returns the errors of the pushes that were not delivered, joined.
// s.mu is not held.
func (c *Corp) push(ctx context.Context, p *Pusher, plaintexts ...[]byte) error {
	if p == nil {
		return nil
	}
	var errs []error
	for _, x := range plaintexts {
		if _, err := p.Push(ctx, x); err != nil {
			errs = append(errs, fmt.Errorf("wecomtest: corp %s: %w", c.id, err))
		}
	}
	return errors.Join(errs...)
}

// clock is the server clock, for code that does not hold s.mu.
func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}
