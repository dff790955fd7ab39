package wecomtest

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// WelcomeCodeLife is how long a welcome code works after the event that
// carries it (20 seconds of the server clock), once: send_welcome_msg
// answers 41050 after it and 41051 once the code was used.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92137
const WelcomeCodeLife = 20 * time.Second

// WelcomeCodeStatus tells what became of a welcome code.
type WelcomeCodeStatus int

// The states of a welcome code.
const (
	WelcomeCodeUnknown WelcomeCodeStatus = iota // not issued by this server for this corp
	WelcomeCodeValid                            // issued, unused, not expired
	WelcomeCodeUsed                             // a welcome message was sent with it
	WelcomeCodeExpired                          // WelcomeCodeLife passed unused
)

type welcomeCode struct {
	userID, externalUserID string
	issued                 time.Time
	used                   bool // a welcome was delivered through it
	otherApp               bool // another app is sending through it right now
}

// SentWelcome is a welcome message the server delivered.
type SentWelcome struct {
	WelcomeCode    string
	UserID         string // the member it was sent through
	ExternalUserID string
	Text           string
	Attachments    []string // msgtype of each attachment
}

// IssueWelcomeCode issues a welcome code for a customer who has just added
// member userID, as WeCom puts one in the add_external_contact event, for
// tests that hand it to the SDK themselves: it is valid for WelcomeCodeLife
// of the server clock and works once. Corp.ScanContactWay and
// Acquisition.TapLink issue one per add. It returns "" for an unknown corp.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92137
func (msg *Messages) IssueWelcomeCode(userID, externalUserID string) string {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.corps[corpID]
	if c == nil {
		return ""
	}
	return s.issueWelcomeCodeLocked(c, userID, externalUserID)
}

// WelcomeCode returns the state of a welcome code issued for the corp.
func (msg *Messages) WelcomeCode(code string) WelcomeCodeStatus {
	s := msg.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.corps[msg.c.id]
	if c == nil {
		return WelcomeCodeUnknown
	}
	w := c.message.welcomeCodes[code]
	switch {
	case w == nil:
		return WelcomeCodeUnknown
	case w.used:
		return WelcomeCodeUsed
	case !s.now().Before(w.issued.Add(WelcomeCodeLife)):
		return WelcomeCodeExpired
	}
	return WelcomeCodeValid
}

// issueWelcomeCodeLocked is IssueWelcomeCode for code that holds s.mu
// already (a scan adding a customer, say).
func (s *Server) issueWelcomeCodeLocked(c *corpState, userID, externalUserID string) string {
	code := s.newID("wc")
	c.message.welcomeCodes[code] = &welcomeCode{userID: userID, externalUserID: externalUserID, issued: s.now()}
	return code
}

// WelcomeByOtherApp plays another app of the corp that received the same
// welcome code (WeCom pushes the event to every app with customer contact):
// while it is sending (delivered false) send_welcome_msg answers 41096;
// once it has delivered its welcome (delivered true), 41051.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92137
func (msg *Messages) WelcomeByOtherApp(code string, delivered bool) error {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.corps[corpID]
	if c == nil || c.message.welcomeCodes[code] == nil {
		return fmt.Errorf("%w: welcome code %q", ErrNotFound, code)
	}
	wc := c.message.welcomeCodes[code]
	wc.otherApp, wc.used = !delivered, delivered
	return nil
}

// WelcomesSent returns the welcome messages send_welcome_msg delivered for
// the corp, oldest first.
func (msg *Messages) WelcomesSent() []SentWelcome {
	s, corpID := msg.c.s, msg.c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.corps[corpID]; c != nil {
		return append([]SentWelcome(nil), c.message.welcomes...)
	}
	return nil
}

// WaitWelcome waits until send_welcome_msg has delivered a welcome message
// to customer externalUserID and returns it (the first, when there are
// several), or until ctx ends. A test of the asynchronous welcome path (a
// scan, the add_external_contact push, a handler sending the welcome) reads
// the outcome with it instead of plumbing of its own:
//
//	scan, err := corp.ScanContactWay(ctx, configID, "")
//	w, err := corp.Messages().WaitWelcome(ctx, scan.ExternalUserID)
//	// w.Text is what the customer got
func (msg *Messages) WaitWelcome(ctx context.Context, externalUserID string) (SentWelcome, error) {
	s := msg.c.s
	for {
		s.mu.Lock()
		c := s.corps[msg.c.id]
		if c == nil {
			s.mu.Unlock()
			return SentWelcome{}, fmt.Errorf("%w: corp %q", ErrNotFound, msg.c.id)
		}
		for _, w := range c.message.welcomes {
			if w.ExternalUserID == externalUserID {
				s.mu.Unlock()
				return w, nil
			}
		}
		changed := c.contact.watch() // send_welcome_msg is a customer-contact call
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return SentWelcome{}, fmt.Errorf("wecomtest: no welcome reached %q: %w", externalUserID, ctx.Err())
		}
	}
}

// groupWelcome is a group welcome template: its content as last written.
type groupWelcome struct {
	Text        *wireText        `json:"text,omitempty"`
	Image       *wireImage       `json:"image,omitempty"`
	Link        *wireLink        `json:"link,omitempty"`
	MiniProgram *wireMiniProgram `json:"miniprogram,omitempty"`
	File        *wireMediaRef    `json:"file,omitempty"`
	Video       *wireMediaRef    `json:"video,omitempty"`
}

func (g *groupWelcome) empty() bool {
	return (g.Text == nil || g.Text.Content == "") && g.Image == nil && g.Link == nil && g.MiniProgram == nil && g.File == nil && g.Video == nil
}

// check validates a template's content; maxText differs between add (3000
// bytes) and edit (4000 bytes), as WeCom documents.
func (c *call) checkGroupWelcome(g *groupWelcome, maxText int) *apiError {
	switch {
	case g.Text != nil && len(g.Text.Content) > maxText:
		return errf(40058, fmt.Sprintf("text.content is longer than %d bytes", maxText))
	case g.Image != nil && g.Image.MediaID == "" && g.Image.PicURL == "":
		return errf(40058, "image needs media_id or pic_url")
	case g.Image != nil && g.Image.MediaID != "":
		if aerr := c.checkMedia(g.Image.MediaID, "image"); aerr != nil {
			return aerr
		}
	}
	if g.Link != nil {
		if aerr := checkLink(g.Link, false); aerr != nil {
			return aerr
		}
	}
	if g.MiniProgram != nil {
		if aerr := c.checkMiniProgram(g.MiniProgram); aerr != nil {
			return aerr
		}
	}
	if g.File != nil {
		if aerr := c.checkMedia(g.File.MediaID, ""); aerr != nil {
			return aerr
		}
	}
	if g.Video != nil {
		if aerr := c.checkMedia(g.Video.MediaID, "video"); aerr != nil {
			return aerr
		}
	}
	return nil
}

// routeWelcome serves send_welcome_msg, which spends a welcome code (41050
// after WelcomeCodeLife, 41051 once used, 41096 while another app sends
// with it), and the group welcome templates.
func (s *Server) routeWelcome() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92137
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/send_welcome_msg", func(c *call) (any, *apiError) {
		var req struct {
			WelcomeCode string           `json:"welcome_code"`
			Text        *wireText        `json:"text"`
			Attachments []wireAttachment `json:"attachments"`
		}
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		if req.WelcomeCode == "" {
			return nil, errf(41049, "welcome_code missing")
		}
		wc := c.corp.message.welcomeCodes[req.WelcomeCode]
		switch {
		case wc == nil || !c.s.now().Before(wc.issued.Add(WelcomeCodeLife)):
			return nil, errf(41050, "invalid welcome code: it is valid for 20 seconds after the event")
		case wc.used:
			return nil, errf(41051, "externaluser has started chatting")
		case wc.otherApp:
			return nil, errf(41096, "welcome msg is being distributed")
		}
		if aerr := c.checkContent(req.Text, req.Attachments, 4000, false); aerr != nil {
			return nil, aerr
		}
		wc.used = true
		sent := SentWelcome{WelcomeCode: req.WelcomeCode, UserID: wc.userID, ExternalUserID: wc.externalUserID}
		if req.Text != nil {
			sent.Text = req.Text.Content
		}
		for _, a := range req.Attachments {
			sent.Attachments = append(sent.Attachments, a.MsgType)
		}
		c.corp.message.welcomes = append(c.corp.message.welcomes, sent)
		return nil, nil
	})

	type template struct {
		groupWelcome
		TemplateID string `json:"template_id"`
		AgentID    int    `json:"agentid"`
		Notify     *int   `json:"notify"`
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92366
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/group_welcome_template/add", func(c *call) (any, *apiError) {
		var req template
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		ms := c.corp.message
		switch {
		case req.TemplateID != "":
			return nil, errf(40058, "unknown parameter template_id")
		case req.empty():
			return nil, errf(40058, "text, image, link, miniprogram, file and video cannot all be empty")
		case req.Notify != nil && *req.Notify != 0 && *req.Notify != 1:
			return nil, errf(40058, "notify is 0 or 1")
		case len(ms.templates) >= 100:
			return nil, errf(41055, "the group welcome template library is full (100)")
		}
		if aerr := c.checkGroupWelcome(&req.groupWelcome, 3000); aerr != nil {
			return nil, aerr
		}
		id := c.s.newID("tpl")
		g := req.groupWelcome
		ms.templates[id] = &g
		return map[string]any{"template_id": id}, nil
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/group_welcome_template/edit", func(c *call) (any, *apiError) {
		var req template
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		g := c.corp.message.templates[req.TemplateID]
		switch {
		case req.Notify != nil:
			return nil, errf(40058, "unknown parameter notify")
		case g == nil:
			return nil, errf(40058, "invalid template_id")
		case req.empty():
			return nil, errf(40058, "nothing to edit")
		}
		if aerr := c.checkGroupWelcome(&req.groupWelcome, 4000); aerr != nil {
			return nil, aerr
		}
		// The fields given replace the template's; the others stay.
		n := req.groupWelcome
		if n.Text != nil {
			g.Text = n.Text
		}
		if n.Image != nil {
			g.Image = n.Image
		}
		if n.Link != nil {
			g.Link = n.Link
		}
		if n.MiniProgram != nil {
			g.MiniProgram = n.MiniProgram
		}
		if n.File != nil {
			g.File = n.File
		}
		if n.Video != nil {
			g.Video = n.Video
		}
		return nil, nil
	})
	type ref struct {
		TemplateID string `json:"template_id"`
		AgentID    int    `json:"agentid"`
	}
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/group_welcome_template/get", func(c *call) (any, *apiError) {
		var req ref
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		g := c.corp.message.templates[req.TemplateID]
		if g == nil {
			return nil, errf(40058, "invalid template_id")
		}
		out := *g
		if g.Image != nil && g.Image.MediaID != "" {
			// get answers an image with its URL only
			out.Image = &wireImage{PicURL: "https://wework.qpic.cn/wwpic/" + g.Image.MediaID + "/0"}
		}
		return out, nil
	})
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/group_welcome_template/del", func(c *call) (any, *apiError) {
		var req ref
		if aerr := c.decode(&req); aerr != nil {
			return nil, aerr
		}
		if c.corp.message.templates[req.TemplateID] == nil {
			return nil, errf(40058, "invalid template_id")
		}
		delete(c.corp.message.templates, req.TemplateID)
		return nil, nil
	})
}
