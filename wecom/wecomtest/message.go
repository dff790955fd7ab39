package wecomtest

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// messageState is a corp's messaging data: mass-send tasks and the monthly
// count of mass sends each customer and group received, welcome codes and
// group welcome templates, Moments jobs and posts, Moments rule groups. It
// is guarded by Server.mu. Members, customers and tags are read from the
// corp's contact state.
type messageState struct {
	tasks         map[string]*massTask
	taskOrder     []string
	received      map[quotaKey]int // mass sends received per recipient and month
	monthlyQuota  int              // 0: as many as the month has days (WeCom's default since 2025-11)
	dispatchDelay time.Duration    // records answer 41063 this long after creation

	welcomeCodes map[string]*welcomeCode
	welcomes     []SentWelcome
	templates    map[string]*groupWelcome

	jobs        map[string]*momentJob
	jobDelay    time.Duration
	moments     map[string]*fakeMoment
	momentOrder []string

	strategies  map[int]*momentStrategy
	strategySeq int
}

func newMessageState() *messageState {
	return &messageState{
		tasks:        map[string]*massTask{},
		received:     map[quotaKey]int{},
		welcomeCodes: map[string]*welcomeCode{},
		templates:    map[string]*groupWelcome{},
		jobs:         map[string]*momentJob{},
		jobDelay:     defaultMomentJobDelay,
		moments:      map[string]*fakeMoment{},
		strategies:   map[int]*momentStrategy{},
	}
}

// routeMessage serves mass sends, welcome messages, group welcome
// templates, Moments and Moments rule groups.
func (s *Server) routeMessage() {
	s.routeMassSend()
	s.routeWelcome()
	s.routeMoments()
	s.routeMomentStrategy()
}

// Messages is a handle on one corp's messaging: mass sends (群发) and their
// confirmation by the senders, welcome messages and their codes, Moments
// (朋友圈) posts. Get it with Corp.Messages.
type Messages struct{ c *Corp }

func (s *Server) messageLocked(corpID string) (*corpState, error) {
	c := s.corps[corpID]
	if c == nil {
		return nil, fmt.Errorf("%w: corp %q", ErrNotFound, corpID)
	}
	return c, nil
}

// --- wire types shared by the messaging endpoints ---

type wireText struct {
	Content string `json:"content"`
}

type wireImage struct {
	MediaID string `json:"media_id,omitempty"`
	PicURL  string `json:"pic_url,omitempty"`
}

type wireLink struct {
	Title  string `json:"title"`
	PicURL string `json:"picurl,omitempty"`
	Desc   string `json:"desc,omitempty"`
	URL    string `json:"url"`
}

type wireMiniProgram struct {
	Title      string `json:"title"`
	PicMediaID string `json:"pic_media_id"`
	AppID      string `json:"appid"`
	Page       string `json:"page"`
}

type wireMediaRef struct {
	MediaID string `json:"media_id"`
}

type wireAttachment struct {
	MsgType     string           `json:"msgtype"`
	Image       *wireImage       `json:"image,omitempty"`
	Link        *wireLink        `json:"link,omitempty"`
	MiniProgram *wireMiniProgram `json:"miniprogram,omitempty"`
	Video       *wireMediaRef    `json:"video,omitempty"`
	File        *wireMediaRef    `json:"file,omitempty"`
}

// checkContent checks a text and the attachments of a mass send or welcome
// message as WeCom does; media ids must be uploads of this corp. urlLimits
// applies add_msg_template's 2048 bytes on link url and picurl (92135);
// send_welcome_msg documents no such limit (92137).
func (c *call) checkContent(text *wireText, atts []wireAttachment, maxText int, urlLimits bool) *apiError {
	if (text == nil || text.Content == "") && len(atts) == 0 {
		return errf(40058, "text and attachments cannot both be empty")
	}
	if text != nil && len(text.Content) > maxText {
		return errf(40058, fmt.Sprintf("text.content is longer than %d bytes", maxText))
	}
	if len(atts) > 9 {
		return errf(41064, "too many attachments (at most 9)")
	}
	for _, a := range atts {
		if aerr := c.checkAttachment(a, urlLimits); aerr != nil {
			return aerr
		}
	}
	return nil
}

func (c *call) checkAttachment(a wireAttachment, urlLimits bool) *apiError {
	set := 0
	for _, p := range []bool{a.Image != nil, a.Link != nil, a.MiniProgram != nil, a.Video != nil, a.File != nil} {
		if p {
			set++
		}
	}
	ok := false
	switch a.MsgType {
	case "image":
		ok = a.Image != nil
	case "link":
		ok = a.Link != nil
	case "miniprogram":
		ok = a.MiniProgram != nil
	case "video":
		ok = a.Video != nil
	case "file":
		ok = a.File != nil
	}
	if !ok || set != 1 {
		return errf(41065, "invalid attachment type: msgtype must name the one object given")
	}
	switch {
	case a.Image != nil:
		if a.Image.MediaID == "" && a.Image.PicURL == "" {
			return errf(40058, "image needs media_id or pic_url")
		}
		if a.Image.MediaID != "" {
			return c.checkMedia(a.Image.MediaID, "image")
		}
	case a.Link != nil:
		return checkLink(a.Link, urlLimits)
	case a.MiniProgram != nil:
		return c.checkMiniProgram(a.MiniProgram)
	case a.Video != nil:
		return c.checkMedia(a.Video.MediaID, "video")
	case a.File != nil:
		return c.checkMedia(a.File.MediaID, "")
	}
	return nil
}

func checkLink(l *wireLink, urlLimits bool) *apiError {
	switch {
	case l.Title == "" || l.URL == "":
		return errf(40058, "link needs title and url")
	case len(l.Title) > 128 || len(l.Desc) > 512:
		return errf(40058, "link title (128 bytes) or desc (512 bytes) too long")
	case urlLimits && (len(l.URL) > 2048 || len(l.PicURL) > 2048):
		return errf(40058, "link url or picurl longer than 2048 bytes")
	case !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://"):
		return errf(45034, "url must have a protocol head")
	}
	return nil
}

func (c *call) checkMiniProgram(m *wireMiniProgram) *apiError {
	if m.Title == "" || m.PicMediaID == "" || m.AppID == "" || m.Page == "" {
		return errf(40058, "miniprogram needs title, pic_media_id, appid and page")
	}
	if len(m.Title) > 64 {
		return errf(40058, "miniprogram title longer than 64 bytes")
	}
	return c.checkMedia(m.PicMediaID, "image")
}

// checkMedia checks that id is a live temporary media upload of this corp
// (of type typ unless typ is ""): 40007 otherwise, an expired one
// (wecom.MediaLifetime) included.
func (c *call) checkMedia(id, typ string) *apiError {
	m, ok := c.liveMedia(id)
	if id == "" || !ok || m.AttachmentType != 0 || (typ != "" && m.Type != typ) {
		return errf(40007, "invalid media_id")
	}
	return nil
}

// chinaTime is WeCom's time zone, where months and days begin.
var chinaTime = time.FixedZone("CST", 8*3600)

func tooManyChars(s string, n int) bool { return utf8.RuneCountInString(s) > n }
