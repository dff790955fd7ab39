package kf

import (
	"context"
	"strings"

	"github.com/scrmkit/scrm/internal/api"
)

// SendMsgRequest is a message to a customer. Set exactly one body; MsgType
// may be left empty (it is taken from the body) or must name that body.
type SendMsgRequest struct {
	ToUser   string `json:"touser"`    // required: the customer's external_userid
	OpenKfID string `json:"open_kfid"` // required
	// MsgID is an id of the app's own for the message: at most 32 bytes of
	// [0-9a-zA-Z_-], unique within the account (WeCom refuses a repeated
	// one). Empty lets WeCom make one.
	MsgID   string  `json:"msgid,omitempty"`
	MsgType MsgType `json:"msgtype"`

	Text        *Text        `json:"text,omitempty"`
	Image       *Image       `json:"image,omitempty"`
	Voice       *Voice       `json:"voice,omitempty"`
	Video       *Video       `json:"video,omitempty"`
	File        *File        `json:"file,omitempty"`
	Link        *WebLink     `json:"link,omitempty"`
	MiniProgram *MiniProgram `json:"miniprogram,omitempty"`
	Menu        *Menu        `json:"msgmenu,omitempty"`
	Location    *Location    `json:"location,omitempty"`
	CALink      *CALink      `json:"ca_link,omitempty"`
}

// bodies lists the request's set bodies by type.
func (r *SendMsgRequest) bodies() []MsgType {
	var set []MsgType
	add := func(ok bool, t MsgType) {
		if ok {
			set = append(set, t)
		}
	}
	add(r.Text != nil, MsgText)
	add(r.Image != nil, MsgImage)
	add(r.Voice != nil, MsgVoice)
	add(r.Video != nil, MsgVideo)
	add(r.File != nil, MsgFile)
	add(r.Link != nil, MsgLink)
	add(r.MiniProgram != nil, MsgMiniProgram)
	add(r.Menu != nil, MsgMenu)
	add(r.Location != nil, MsgLocation)
	add(r.CALink != nil, MsgCALink)
	return set
}

// SendMsg sends a message to a customer whose session is StateUntreated
// or StateBot (95018 otherwise; a send in StateUntreated hands the session
// to the bot). WeCom allows it within 48 hours of the customer's last
// message (95002), at most five messages until the customer writes again
// (95001): the Inbox keeps that window per customer and refuses a send
// outside it before calling (Inbox.SendMsg); SendMsg itself does not.
// Success means WeCom took the message, not that it arrived: a failure
// comes later as a msg_send_fail event. It returns the message's msgid.
// A send is never repeated once it may have reached WeCom. A body given as
// a file (Image.Upload, MiniProgram.ThumbUpload...) is sent with the media
// id the MediaCache holds for it (see Service.MediaCache).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94677
func (s *Service) SendMsg(ctx context.Context, req *SendMsgRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	r, err := sendInput(req)
	if err != nil {
		return "", err
	}
	var out struct {
		MsgID string `json:"msgid"`
	}
	refs := r.ownUploads()
	err = api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Write(ctx, s.c, "/cgi-bin/kf/send_msg", r, &out)
	})
	if err != nil {
		return "", err
	}
	return out.MsgID, nil
}

// sendInput checks req and returns a copy with MsgType set.
func sendInput(req *SendMsgRequest) (*SendMsgRequest, error) {
	if err := api.FirstErr(check.Required("ToUser", req.ToUser), checkOpenKfID(req.OpenKfID),
		token("MsgID", req.MsgID, maxMsgID)); err != nil {
		return nil, err
	}
	t, err := oneBody(req.MsgType, req.bodies())
	if err != nil {
		return nil, err
	}
	r := *req
	r.MsgType = t
	switch t {
	case MsgText:
		err = checkText(r.Text)
	case MsgImage:
		err = check.RequiredMedia("Image.MediaID", r.Image.MediaID, "Image.Upload", r.Image.Upload)
	case MsgVoice:
		err = check.RequiredMedia("Voice.MediaID", r.Voice.MediaID, "Voice.Upload", r.Voice.Upload)
	case MsgVideo:
		err = check.RequiredMedia("Video.MediaID", r.Video.MediaID, "Video.Upload", r.Video.Upload)
	case MsgFile:
		err = check.RequiredMedia("File.MediaID", r.File.MediaID, "File.Upload", r.File.Upload)
	case MsgLink:
		err = checkLink(r.Link)
	case MsgMiniProgram:
		err = checkMiniProgram(r.MiniProgram)
	case MsgMenu:
		err = checkMenu(r.Menu)
	case MsgLocation:
		err = checkLocation(r.Location)
	case MsgCALink:
		err = check.Required("CALink.LinkURL", r.CALink.LinkURL)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// oneBody returns the message type of the one body set, refusing none,
// several, or a MsgType naming another.
func oneBody(declared MsgType, set []MsgType) (MsgType, error) {
	switch {
	case len(set) == 0:
		return "", check.Invalidf("no message body: set one of Text, Image, ... (the one MsgType names)")
	case len(set) > 1:
		names := make([]string, len(set))
		for i, t := range set {
			names[i] = string(t)
		}
		return "", check.Invalidf("several message bodies (%s): a message has one", strings.Join(names, ", "))
	case declared != "" && declared != set[0]:
		return "", check.Invalidf("MsgType %q but the body set is %q", declared, set[0])
	}
	return set[0], nil
}

func checkText(t *Text) error {
	return api.FirstErr(check.Required("Text.Content", t.Content), check.MaxBytes("Text.Content", t.Content, maxTextBytes))
}

func checkLink(l *WebLink) error {
	if err := api.FirstErr(check.Required("Link.Title", l.Title), check.Required("Link.URL", l.URL),
		check.MaxBytes("Link.URL", l.URL, maxURL), check.RequiredMedia("Link.ThumbMediaID", l.ThumbMediaID, "Link.ThumbUpload", l.ThumbUpload)); err != nil {
		return err
	}
	if !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") {
		return check.Invalidf("Link.URL %q: WeCom takes http:// and https:// links only", l.URL)
	}
	if l.PicURL != "" {
		return check.Invalidf("Link.PicURL is what a received link carries; a link to send takes ThumbMediaID")
	}
	return nil
}

func checkMiniProgram(m *MiniProgram) error {
	return api.FirstErr(check.Required("MiniProgram.AppID", m.AppID), check.Required("MiniProgram.PagePath", m.PagePath),
		check.RequiredMedia("MiniProgram.ThumbMediaID", m.ThumbMediaID, "MiniProgram.ThumbUpload", m.ThumbUpload))
}

func checkLocation(l *Location) error {
	if l.Latitude < -90 || l.Latitude > 90 {
		return check.Invalidf("Location.Latitude %v is outside -90 to 90", l.Latitude)
	}
	if l.Longitude < -180 || l.Longitude > 180 {
		return check.Invalidf("Location.Longitude %v is outside -180 to 180", l.Longitude)
	}
	return nil
}

// checkMenu applies the menu's documented limits; a menu may have only
// text around no items, as WeCom's samples allow none.
func checkMenu(m *Menu) error {
	if err := api.FirstErr(check.MaxBytes("Menu.HeadContent", m.HeadContent, maxMenuText),
		check.MaxBytes("Menu.TailContent", m.TailContent, maxMenuText)); err != nil {
		return err
	}
	if len(m.List) > maxMenuItems {
		return check.Invalidf("Menu.List has %d items; WeCom allows at most %d (95008)", len(m.List), maxMenuItems)
	}
	if m.HeadContent == "" && m.TailContent == "" && len(m.List) == 0 {
		return check.Invalidf("Menu is empty: give HeadContent, List or TailContent")
	}
	for i, it := range m.List {
		if err := checkMenuItem(i, &it); err != nil {
			return err
		}
	}
	return nil
}

func checkMenuItem(i int, it *MenuItem) error {
	var n int
	for _, set := range []bool{it.Click != nil, it.View != nil, it.MiniProgram != nil, it.Text != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return check.Invalidf("Menu.List[%d] has %d bodies; an item has exactly the one its Type names (ClickItem, ViewItem... build them)", i, n)
	}
	field := func(name, v string, max int) error {
		if v == "" {
			return check.Invalidf("Menu.List[%d].%s is required", i, name)
		}
		if len(v) > max {
			return check.Invalidf("Menu.List[%d].%s is %d bytes long; WeCom allows at most %d", i, name, len(v), max)
		}
		return nil
	}
	switch {
	case it.Type == MenuClick && it.Click != nil:
		return api.FirstErr(field("Click.ID", it.Click.ID, 128), field("Click.Content", it.Click.Content, 128))
	case it.Type == MenuView && it.View != nil:
		return api.FirstErr(field("View.URL", it.View.URL, maxURL), field("View.Content", it.View.Content, 1024))
	case it.Type == MenuMiniProgram && it.MiniProgram != nil:
		return api.FirstErr(field("MiniProgram.AppID", it.MiniProgram.AppID, 32),
			field("MiniProgram.PagePath", it.MiniProgram.PagePath, 1024), field("MiniProgram.Content", it.MiniProgram.Content, 1024))
	case it.Type == MenuText && it.Text != nil:
		if it.Text.NoNewline != 0 && it.Text.NoNewline != 1 {
			return check.Invalidf("Menu.List[%d].Text.NoNewline is %d; it is 0 or 1", i, it.Text.NoNewline)
		}
		return field("Text.Content", it.Text.Content, 256)
	}
	return check.Invalidf("Menu.List[%d]: Type %q does not match its body (click, view, miniprogram or text; 95009)", i, it.Type)
}

// EventReply is the message of a SendMsgOnEvent: a text, or (for a
// welcome and a closing message) a menu.
type EventReply struct {
	// MsgType may be left empty: it is taken from the body.
	MsgType MsgType `json:"msgtype"`
	Text    *Text   `json:"text,omitempty"`
	Menu    *Menu   `json:"msgmenu,omitempty"`
}

// SendMsgOnEventRequest answers an event with its code.
type SendMsgOnEventRequest struct {
	// Code is the event's code: EventBody.WelcomeCode, EventBody.MsgCode,
	// or ServiceStateTransResponse.MsgCode. Required; it works once.
	Code string `json:"code"`
	// MsgID is as SendMsgRequest.MsgID.
	MsgID string `json:"msgid,omitempty"`
	EventReply
}

// SendMsgOnEvent sends the one message an event allows (发送欢迎语等事件响应
// 消息), with the event's code:
//
//   - a welcome, for enter_session's WelcomeCode: within 20 seconds, text
//     or menu;
//   - a queue notice, for the MsgCode of a move to the queue: within 48
//     hours, text;
//   - a reply when a servicer takes the session from the queue (the event
//     or the move's MsgCode): within 48 hours, text;
//   - a closing message (satisfaction survey...), for the MsgCode of an
//     ended session: within 20 seconds, text or menu.
//
// Except for the welcome, the session must still be in the state the
// code came with. A code works once: the call is never repeated once it
// may have reached WeCom. It returns the message's msgid.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95122
func (s *Service) SendMsgOnEvent(ctx context.Context, req *SendMsgOnEventRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("Code", req.Code), token("MsgID", req.MsgID, maxMsgID)); err != nil {
		return "", err
	}
	r := *req
	if err := r.EventReply.check(); err != nil {
		return "", err
	}
	var out struct {
		MsgID string `json:"msgid"`
	}
	if err := api.Write(ctx, s.c, "/cgi-bin/kf/send_msg_on_event", &r, &out); err != nil {
		return "", err
	}
	return out.MsgID, nil
}

// check checks the reply and sets MsgType from its body.
func (e *EventReply) check() error {
	var set []MsgType
	if e.Text != nil {
		set = append(set, MsgText)
	}
	if e.Menu != nil {
		set = append(set, MsgMenu)
	}
	t, err := oneBody(e.MsgType, set)
	if err != nil {
		return err
	}
	e.MsgType = t
	if t == MsgText {
		return checkText(e.Text)
	}
	return checkMenu(e.Menu)
}
