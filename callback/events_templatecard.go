package callback

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Template cards (模板卡片) that an app sends as an application message
// come back: a member presses a button, submits a vote or a selection, or
// picks an entry of the card's top-right menu, and WeCom pushes an event to
// the app's callback URL.

// Kinds of the template-card events.
const (
	// KindTemplateCardEvent: a member pressed a button of a
	// button_interaction card or submitted a vote_interaction or
	// multiple_interaction card.
	KindTemplateCardEvent EventKind = "template_card_event"
	// KindTemplateCardMenuEvent: a member picked an entry of a card's
	// top-right menu (action_menu).
	KindTemplateCardMenuEvent EventKind = "template_card_menu_event"
)

// TemplateCardEvent is template_card_event or template_card_menu_event: a
// member (FromUserName, a userid; an open_userid-style encrypted id for
// third-party apps) acted on a template card the app sent.
//
// ResponseCode lets the app update that member's card once, within 72
// hours, through message/update_template_card (appmsg.Service.
// UpdateTemplateCard, with IssuedAt set to the event's Time). The other way
// is a passive reply to this push, which needs no code: ReplyButton turns
// the pressed button into an unclickable one with a text of the app's
// choosing, for the member who pressed it.
//
// The fields are read from the official samples of the event (EventKey,
// TaskId, CardType, ResponseCode, AgentID, SelectedItems); the page that
// documents them (90240's 模板卡片事件推送 section) could not be read in
// full: anything else the push carries is in Raw.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90240
type TemplateCardEvent struct {
	Envelope
	// EventKey is the key of the button pressed (button_list[].key), of
	// the submit button (submit_button.key), or of the menu entry
	// (action_menu.action_list[].key).
	EventKey string
	// TaskID is the card's task_id, as the app sent it.
	TaskID string
	// CardType is the card's card_type (text_notice, news_notice,
	// button_interaction, vote_interaction, multiple_interaction).
	CardType string
	// ResponseCode updates this member's card once, within 72 hours of the
	// event, through update_template_card. Treat it as a credential: do
	// not log it.
	ResponseCode string
	// SelectedItems are the member's choices on a vote_interaction card
	// (its checkbox) or a multiple_interaction card (its select_list), or
	// a button_interaction card's button_selection: one item per question.
	SelectedItems []SelectedItem
}

// SelectedItem is one question of a card and the options the member chose.
type SelectedItem struct {
	QuestionKey string   // the question's question_key
	OptionIDs   []string // the ids of the options chosen
}

// templateCardXML is what the typed event reads besides the envelope.
type templateCardXML struct {
	EventKey      string `xml:"EventKey"`
	TaskID        string `xml:"TaskId"`
	CardType      string `xml:"CardType"`
	ResponseCode  string `xml:"ResponseCode"`
	SelectedItems []struct {
		QuestionKey string   `xml:"QuestionKey"`
		OptionIDs   []string `xml:"OptionIds>OptionId"`
	} `xml:"SelectedItems>SelectedItem"`
}

// templateCardEvent builds the typed event from the envelope, reading the
// card's elements from Raw. A Raw that encoding/xml cannot read (the push
// was parsed already, so this does not happen) gives the envelope alone.
func templateCardEvent(env Envelope) *TemplateCardEvent {
	ev := &TemplateCardEvent{Envelope: env}
	var x templateCardXML
	if err := xml.Unmarshal([]byte(env.Raw), &x); err != nil {
		return ev
	}
	ev.EventKey = x.EventKey
	ev.TaskID = strings.TrimSpace(x.TaskID)
	ev.CardType = strings.TrimSpace(x.CardType)
	ev.ResponseCode = strings.TrimSpace(x.ResponseCode)
	for _, it := range x.SelectedItems {
		item := SelectedItem{QuestionKey: it.QuestionKey}
		for _, id := range it.OptionIDs {
			item.OptionIDs = append(item.OptionIDs, strings.TrimSpace(id))
		}
		ev.SelectedItems = append(ev.SelectedItems, item)
	}
	return ev
}

// OnTemplateCard registers fn for template_card_event: a member pressed a
// button of, or submitted, a template card the app sent.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90240
func (h *Handler) OnTemplateCard(fn func(context.Context, *TemplateCardEvent) error) {
	on(h, KindTemplateCardEvent, nil, fn)
}

// OnTemplateCardMenu registers fn for template_card_menu_event: a member
// picked an entry of a template card's top-right menu.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90240
func (h *Handler) OnTemplateCardMenu(fn func(context.Context, *TemplateCardEvent) error) {
	on(h, KindTemplateCardMenuEvent, nil, fn)
}

// UpdateButtonReply returns the plaintext of the passive reply (被动回复)
// that turns the button the member pressed into an unclickable one reading
// replaceName (模板卡片更新消息, MsgType update_button), for this member
// only. Encrypt it with Handler.EncryptReply and write it as the answer to
// the push, within WeCom's 5 seconds; a Handler does both when a handler
// function calls ReplyButton instead.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90241
func (e *TemplateCardEvent) UpdateButtonReply(replaceName string) []byte {
	var b bytes.Buffer
	b.WriteString("<xml><ToUserName>")
	writeCDATA(&b, e.FromUserName)
	b.WriteString("</ToUserName><FromUserName>")
	writeCDATA(&b, e.ToUserName)
	b.WriteString("</FromUserName><CreateTime>")
	b.WriteString(strconv.FormatInt(int64(e.CreateTime), 10))
	b.WriteString("</CreateTime><MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName>")
	writeCDATA(&b, replaceName)
	b.WriteString("</ReplaceName></Button></xml>")
	return b.Bytes()
}

// writeCDATA writes s as CDATA sections, splitting any "]]>" it holds.
// What XML cannot carry (invalid UTF-8, control characters other than tab
// and line ends, U+FFFE, U+FFFF) becomes U+FFFD: WeCom discards a reply it
// cannot parse, so one odd character would cost the whole reply.
func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(xmlText(s), "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// xmlText is s with every character XML 1.0 does not allow, and every
// byte of invalid UTF-8, replaced by U+FFFD; s itself when it has none (the
// usual case: no copy).
func xmlText(s string) string {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !isXMLChar(r) {
			// Map reads each byte of invalid UTF-8 as U+FFFD.
			return strings.Map(func(r rune) rune {
				if isXMLChar(r) {
					return r
				}
				return utf8.RuneError
			}, s)
		}
		i += n
	}
	return s
}

// isXMLChar reports whether XML 1.0 allows r in text (its Char production).
func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// ReplyButton answers the push being handled with the passive reply of
// UpdateButtonReply: the button the member pressed becomes unclickable and
// reads replaceName. Call it from a function registered with OnTemplateCard
// (or OnTemplateCardMenu) on a Handler that handles the push before
// answering it (the default, or WithWorkers with the kind handled inline);
// elsewhere it returns ErrNoPassiveReply and nothing is replied. The reply
// is written only when every function registered for the push succeeded;
// the last call wins. A re-send of a push already handled is answered
// "success", without the reply.
func (e *TemplateCardEvent) ReplyButton(ctx context.Context, replaceName string) error {
	slot, ok := ctx.Value(replyKey{}).(*replySlot)
	if !ok {
		return ErrNoPassiveReply
	}
	slot.set(e.UpdateButtonReply(replaceName))
	return nil
}

// ErrNoPassiveReply is returned by ReplyButton outside a push the Handler
// answers after running its functions (a queued push, or a function called
// by hand): there is no answer left to carry a reply.
var ErrNoPassiveReply = errors.New("callback: no passive reply possible here: the push is not being answered by this call (queued, or not from a Handler)")

// replyKey is the context key of the passive reply of the push being
// handled.
type replyKey struct{}

// replySlot holds a passive reply set by a handler function.
type replySlot struct {
	mu        sync.Mutex
	plaintext []byte
}

func (s *replySlot) set(p []byte) {
	s.mu.Lock()
	s.plaintext = p
	s.mu.Unlock()
}

func (s *replySlot) get() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plaintext
}

// withReplySlot gives ctx a slot for the passive reply of ev, when ev is a
// push that can be answered with one (a template-card event); other pushes
// get ctx unchanged and no slot, at no cost.
func withReplySlot(ctx context.Context, ev Event) (context.Context, *replySlot) {
	if _, ok := ev.(*TemplateCardEvent); !ok {
		return ctx, nil
	}
	s := &replySlot{}
	return context.WithValue(ctx, replyKey{}, s), s
}

// answerWith writes the passive reply a handler set for ev, encrypted for
// ev's receiver with the push's timestamp and nonce; it reports false (and
// writes nothing) when no reply was set.
func (h *Handler) answerWith(w http.ResponseWriter, ev Event, slot *replySlot, timestamp, nonce string) bool {
	if slot == nil {
		return false
	}
	p := slot.get()
	if p == nil {
		return false
	}
	r, err := h.EncryptReply(ev, p, timestamp, nonce)
	if err != nil {
		h.log(context.Background(), slog.LevelError, "callback: the passive reply could not be encrypted; answered success without it", "err", err)
		return false
	}
	body := r.Bytes()
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return true
}
