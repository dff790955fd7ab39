package appmsg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// SafeMode is a message's safe setting: whether it may be shared outside
// WeCom.
type SafeMode int

const (
	// SafeOff: the message may be shared (WeCom's default).
	SafeOff SafeMode = 0
	// SafeWatermarked: a confidential message (保密消息): it cannot be
	// shared and shows a watermark.
	SafeWatermarked SafeMode = 1
	// SafeInternal: it may be shared inside the corp only; mpnews only.
	SafeInternal SafeMode = 2
)

// maxDuplicateCheckInterval is the longest duplicate check WeCom applies:
// 4 hours (its default is 1800 s).
const maxDuplicateCheckInterval = 4 * time.Hour

// maxSelectedTickets is the most selected_ticket_list entries a
// template_msg takes.
const maxSelectedTickets = 10

// SendRequest is one application message (应用消息) and its recipients:
// members (ToUser), departments (ToParty), tags (ToTag), or everyone who
// can see the app (ToAll). One call takes at most MaxUsers members,
// MaxParties departments and MaxTags tags; SendMany takes any number and
// splits them. The message goes out from the app whose client sends it,
// with the client's agent id.
//
// Third-party apps name members by the userids they see (encrypted since
// WeCom's 2022 id upgrade) or by open_userid, and may not read names: they
// write names with UserName and DepartmentName placeholders and set
// EnableIDTrans.
type SendRequest struct {
	// ToUser are members' userids; a userid is not case-sensitive, and
	// WeCom answers invalid ones lower-cased.
	ToUser []string
	// ToParty are department ids.
	ToParty []int
	// ToTag are tag ids (address-book tags, not customer tags).
	ToTag []int
	// ToAll sends to every member who can see the app (touser "@all");
	// ToUser, ToParty and ToTag must then be empty.
	ToAll bool

	// Message is the content: one of the package's message types.
	Message Message

	// Safe applies to text, image, video, file, textcard and mpnews
	// messages; SafeInternal to mpnews only.
	Safe SafeMode
	// EnableIDTrans has WeCom translate UserName and DepartmentName
	// placeholders into names.
	EnableIDTrans bool
	// EnableDuplicateCheck has WeCom drop a message whose request is the
	// same, byte for byte, as one it received within
	// DuplicateCheckInterval (default 1800 s, at most 4 hours). It is what
	// makes a send safe to repeat after an outcome-unknown failure: send
	// the same request again, within the interval.
	EnableDuplicateCheck   bool
	DuplicateCheckInterval time.Duration

	// SelectedTicketList (template_msg only, at most 10) are tickets of
	// WeCom's member picker (选人) naming members outside the app's
	// visible range, for apps in member-authorization mode.
	SelectedTicketList []string
	// OnlyUnauth (template_msg with SelectedTicketList only) sends only to
	// the picked members who have not authorized the app, ignoring ToUser,
	// ToParty and ToTag.
	OnlyUnauth bool
}

// Receipt is what WeCom answered for one message (one message/send call):
// the recipients it refused (the message went to the others) and the
// message's ids. Send, SendMany (per call) and Notifier.Notify return it.
type Receipt struct {
	// InvalidUsers are userids that do not exist or that the app may not
	// reach (outside its visible range), lower-cased.
	InvalidUsers []string
	// InvalidParties are department ids refused the same way.
	InvalidParties []string
	// InvalidTags are tag ids refused the same way.
	InvalidTags []string
	// UnlicensedUsers are members without a (valid) basic API licence
	// (基础接口许可) for the app: they did not get the message.
	UnlicensedUsers []string
	// MsgID recalls the message (Recall) within 24 hours.
	MsgID string
	// ResponseCode (button_interaction, vote_interaction and
	// multiple_interaction cards) updates the card once, within 72 hours,
	// through UpdateTemplateCard.
	ResponseCode string
}

// Complete reports whether WeCom refused no recipient.
func (r *Receipt) Complete() bool {
	return len(r.InvalidUsers) == 0 && len(r.InvalidParties) == 0 && len(r.InvalidTags) == 0 && len(r.UnlicensedUsers) == 0
}

// sendAnswer is message/send's answer as WeCom spells it.
type sendAnswer struct {
	InvalidUser    idList `json:"invaliduser"`
	InvalidParty   idList `json:"invalidparty"`
	InvalidTag     idList `json:"invalidtag"`
	UnlicensedUser idList `json:"unlicenseduser"`
	MsgID          string `json:"msgid"`
	ResponseCode   string `json:"response_code"`
}

// sendBody is message/send's request; the message goes under its
// msgtype's key (MarshalJSON).
type sendBody struct {
	ToUser                 string   `json:"touser,omitempty"`
	ToParty                string   `json:"toparty,omitempty"`
	ToTag                  string   `json:"totag,omitempty"`
	MsgType                MsgType  `json:"msgtype"`
	AgentID                int      `json:"agentid"`
	Safe                   int      `json:"safe,omitempty"`
	EnableIDTrans          int      `json:"enable_id_trans,omitempty"`
	EnableDuplicateCheck   int      `json:"enable_duplicate_check,omitempty"`
	DuplicateCheckInterval int      `json:"duplicate_check_interval,omitempty"`
	SelectedTicketList     []string `json:"selected_ticket_list,omitempty"`
	OnlyUnauth             bool     `json:"only_unauth,omitempty"`

	msg Message
}

// MarshalJSON writes the fields and the message under its msgtype's key.
func (b sendBody) MarshalJSON() ([]byte, error) {
	type plain sendBody // the fields, without this method
	head, err := json.Marshal(plain(b))
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(b.msg)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(head[:len(head)-1])
	out.WriteString(`,"`)
	out.WriteString(string(b.MsgType))
	out.WriteString(`":`)
	out.Write(body)
	out.WriteByte('}')
	return out.Bytes(), nil
}

// isNil reports whether m is nil or a nil pointer.
func isNil(m Message) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// checkMessage refuses a request whose message and settings WeCom would
// refuse, whatever its recipients.
func (r *SendRequest) checkMessage() error {
	if isNil(r.Message) {
		return check.Invalidf("Message is required (a *Text, *Markdown, *TemplateCard...)")
	}
	if err := r.Message.check(); err != nil {
		return err
	}
	t := r.Message.msgType()
	switch r.Safe {
	case SafeOff, SafeWatermarked:
	case SafeInternal:
		if t != MsgMpNews {
			return check.Invalidf("Safe is SafeInternal, which WeCom takes for mpnews messages only (this is %s)", t)
		}
	default:
		return check.Invalidf("Safe is %d; WeCom takes SafeOff (0), SafeWatermarked (1) or SafeInternal (2, mpnews)", r.Safe)
	}
	if d := r.DuplicateCheckInterval; d < 0 || d > maxDuplicateCheckInterval {
		return check.Invalidf("DuplicateCheckInterval is %v; WeCom takes up to %v (0: its default, 1800 s)", d, maxDuplicateCheckInterval)
	}
	if d := r.DuplicateCheckInterval; d != 0 && d < time.Second {
		return check.Invalidf("DuplicateCheckInterval is %v; WeCom counts whole seconds", d)
	}
	if len(r.SelectedTicketList) > 0 || r.OnlyUnauth {
		if t != MsgTemplateMsg {
			return check.Invalidf("SelectedTicketList and OnlyUnauth are for template_msg messages only (this is %s)", t)
		}
		if err := api.MaxItems(check, "SelectedTicketList", r.SelectedTicketList, maxSelectedTickets); err != nil {
			return err
		}
		if r.OnlyUnauth && len(r.SelectedTicketList) == 0 {
			return check.Invalidf("OnlyUnauth needs a SelectedTicketList")
		}
	}
	return nil
}

// checkRecipients refuses recipients WeCom would refuse; max says whether
// one call's limits apply (Send) or not (SendMany).
func (r *SendRequest) checkRecipients(oneCall bool) error {
	if r.ToAll {
		if len(r.ToUser)+len(r.ToParty)+len(r.ToTag) > 0 {
			return check.Invalidf("ToAll sends to every member who can see the app: leave ToUser, ToParty and ToTag empty")
		}
		return nil
	}
	if len(r.ToUser)+len(r.ToParty)+len(r.ToTag) == 0 && len(r.SelectedTicketList) == 0 {
		return check.Invalidf("no recipient: give ToUser, ToParty, ToTag or ToAll")
	}
	for i, u := range r.ToUser {
		if u == "" || strings.ContainsRune(u, '|') || u == "@all" {
			return check.Invalidf("ToUser[%d] is %q: a userid, neither empty nor holding '|' (use ToAll for everyone)", i, u)
		}
	}
	if oneCall {
		return api.FirstErr(api.MaxItems(check, "ToUser", r.ToUser, MaxUsers),
			api.MaxItems(check, "ToParty", r.ToParty, MaxParties),
			api.MaxItems(check, "ToTag", r.ToTag, MaxTags))
	}
	return nil
}

// body builds the request of one call to users, parties and tags.
func (r *SendRequest) body(agentID int, users []string, parties, tags []int) sendBody {
	b := sendBody{
		ToUser: strings.Join(users, "|"), ToParty: joinInts(parties), ToTag: joinInts(tags),
		MsgType: r.Message.msgType(), AgentID: agentID, Safe: int(r.Safe),
		DuplicateCheckInterval: int(r.DuplicateCheckInterval / time.Second),
		SelectedTicketList:     r.SelectedTicketList, OnlyUnauth: r.OnlyUnauth, msg: r.Message,
	}
	if r.ToAll {
		b.ToUser = "@all"
	}
	if r.EnableIDTrans {
		b.EnableIDTrans = 1
	}
	if r.EnableDuplicateCheck {
		b.EnableDuplicateCheck = 1
	}
	return b
}

func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, "|")
}

// Send sends one application message to at most MaxUsers members,
// MaxParties departments and MaxTags tags (or ToAll), as the client's app.
// Recipients WeCom refuses (unknown, outside the app's visible range,
// without a licence) are listed in the answer and the message goes to the
// others; when it refuses all of them the error is WeCom's
// CodeAllRecipientsInvalid (81013) and nothing was sent.
//
// A send is a write: it is never re-sent once it may have reached WeCom.
// Such a failure matches wecom.ErrOutcomeUnknown; members may or may not
// have the message. To repeat it safely, send with EnableDuplicateCheck
// set: WeCom then drops a request identical to one it received within
// DuplicateCheckInterval.
//
// A message given as a file (Image.Upload, MpArticle.ThumbUpload...) is
// sent with the media id the MediaCache holds for it, uploaded first when
// needed (see Service.MediaCache); the request is not modified.
//
// Third-party and agent-developed apps call the same endpoint with their
// corp client's token (third-party version: 90372); their agent id is the
// installation's.
//
// Frequency (90236): per app, at most the corp's account limit × 200
// person-times a day; per app and member, 30 a minute and 1000 an hour.
// WeCom does not refuse messages over the per-member limits: it drops them
// silently. Notifier keeps count before sending.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
func (s *Service) Send(ctx context.Context, req *SendRequest) (*Receipt, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(req.checkMessage(), req.checkRecipients(true)); err != nil {
		return nil, err
	}
	agentID, err := s.c.AgentID(ctx)
	if err != nil {
		return nil, err
	}
	return s.sendWithMedia(ctx, req.body(agentID, req.ToUser, req.ToParty, req.ToTag))
}

// send makes one checked call.
func (s *Service) send(ctx context.Context, body sendBody) (*Receipt, error) {
	var out sendAnswer
	if err := api.Write(ctx, s.c, "/cgi-bin/message/send", body, &out); err != nil {
		return nil, err
	}
	resp := &Receipt{
		InvalidUsers: out.InvalidUser, InvalidParties: out.InvalidParty, InvalidTags: out.InvalidTag,
		UnlicensedUsers: out.UnlicensedUser, MsgID: out.MsgID, ResponseCode: out.ResponseCode,
	}
	if resp.ResponseCode != "" {
		if err := s.codes().issued(ctx, resp.ResponseCode, s.c.Now()); err != nil {
			s.c.Logger().Warn("appmsg: recording when a response code was issued failed; UpdateTemplateCard will need IssuedAt",
				"error", err)
		}
	}
	return resp, nil
}

// RecipientKind says what a Recipient names.
type RecipientKind string

// Recipient kinds.
const (
	RecipientUser  RecipientKind = "user"  // a member's userid
	RecipientParty RecipientKind = "party" // a department id
	RecipientTag   RecipientKind = "tag"   // a tag id
	RecipientAll   RecipientKind = "@all"  // every member who can see the app
)

// Recipient is one recipient of a SendMany: a member, a department or a
// tag (ID in decimal), or everyone (RecipientAll, ID "@all").
type Recipient struct {
	Kind RecipientKind
	ID   string
}

// ErrInvalidRecipient is the Err of a SendMany result whose recipient WeCom
// refused: a userid, department or tag that does not exist or that the
// app may not reach (outside its visible range). The others of its call
// got the message.
var ErrInvalidRecipient = errors.New("appmsg: WeCom refused this recipient (unknown, or outside the app's visible range)")

// ErrUnlicensed is the Err of a SendMany result whose member has no valid
// basic API licence (基础接口许可) for the app: WeCom did not deliver to
// them.
var ErrUnlicensed = errors.New("appmsg: this member has no valid basic API licence (基础接口许可) for the app; the message did not reach them")

// SendMany sends one application message to any number of members,
// departments and tags: req's lists are split into calls of at most
// MaxUsers members, MaxParties departments and MaxTags tags (call i takes
// the i-th slice of each list), at most concurrency calls at a time
// (wecom.DefaultBatchConcurrency when <= 0), under the client's limiter.
// ToAll is one call.
//
// The result has one entry per recipient, members first, then
// departments, then tags, each in req's order. Value is the answer of the
// call the recipient was in (its MsgID recalls that call's message, its
// ResponseCode updates that call's card); Err is ErrInvalidRecipient or
// ErrUnlicensed when WeCom refused that recipient, or the error of its
// whole call (a call that may have reached WeCom is never re-sent: its
// recipients get an error matching wecom.ErrOutcomeUnknown). The error is
// for a request refused before anything was sent (ErrInvalidArgument, or
// no agent id).
//
// A message given as a file is sent as Send sends it: each call takes
// the media id from the MediaCache, and a file that cannot be uploaded
// fails the recipients of the calls that needed it.
//
// WeCom removes duplicates within one call only: a member named in one
// call and reached again through a department or tag of another gets the
// message twice; put departments and tags in the first call (at most 100
// of each) to avoid it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
func (s *Service) SendMany(ctx context.Context, req *SendRequest, concurrency int) ([]wecom.BatchResult[Recipient, *Receipt], error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(req.checkMessage(), req.checkRecipients(false)); err != nil {
		return nil, err
	}
	if !req.ToAll && len(req.ToUser)+len(req.ToParty)+len(req.ToTag) == 0 {
		return nil, check.Invalidf("SendMany splits ToUser, ToParty and ToTag, and they are empty: send a message to picked members alone (SelectedTicketList) with Send")
	}
	agentID, err := s.c.AgentID(ctx)
	if err != nil {
		return nil, err
	}
	type call struct {
		users         []string
		parties, tags []int
	}
	n := max(chunks(len(req.ToUser), MaxUsers), chunks(len(req.ToParty), MaxParties), chunks(len(req.ToTag), MaxTags), 1)
	calls := make([]call, n)
	for i := range calls {
		calls[i] = call{users: window(req.ToUser, i, MaxUsers), parties: window(req.ToParty, i, MaxParties), tags: window(req.ToTag, i, MaxTags)}
	}
	answers := wecom.Batch(ctx, calls, 1, concurrency, func(ctx context.Context, chunk []call, out []wecom.BatchResult[call, *Receipt]) error {
		c := chunk[0]
		resp, err := s.sendWithMedia(ctx, req.body(agentID, c.users, c.parties, c.tags))
		out[0].Value = resp
		return err
	})

	var results []wecom.BatchResult[Recipient, *Receipt]
	if req.ToAll {
		a := answers[0]
		return append(results, wecom.BatchResult[Recipient, *Receipt]{Item: Recipient{Kind: RecipientAll, ID: "@all"}, Value: a.Value, Err: a.Err}), nil
	}
	add := func(kind RecipientKind, ids []string, call int) {
		a := answers[call]
		for _, id := range ids {
			r := wecom.BatchResult[Recipient, *Receipt]{Item: Recipient{Kind: kind, ID: id}, Value: a.Value, Err: a.Err}
			if r.Err == nil && a.Value != nil {
				r.Err = a.Value.outcome(kind, id)
			}
			results = append(results, r)
		}
	}
	for i, c := range calls {
		add(RecipientUser, c.users, i)
	}
	for i, c := range calls {
		add(RecipientParty, intStrings(c.parties), i)
	}
	for i, c := range calls {
		add(RecipientTag, intStrings(c.tags), i)
	}
	return results, nil
}

// outcome is the per-recipient error the answer carries for one
// recipient: nil when WeCom did not refuse it.
func (r *Receipt) outcome(kind RecipientKind, id string) error {
	has := func(list []string, fold bool) bool {
		return slices.ContainsFunc(list, func(x string) bool {
			if fold {
				return strings.EqualFold(x, id)
			}
			return x == id
		})
	}
	switch kind {
	case RecipientUser:
		if has(r.InvalidUsers, true) {
			return ErrInvalidRecipient
		}
		if has(r.UnlicensedUsers, true) {
			return ErrUnlicensed
		}
	case RecipientParty:
		if has(r.InvalidParties, false) {
			return ErrInvalidRecipient
		}
	case RecipientTag:
		if has(r.InvalidTags, false) {
			return ErrInvalidRecipient
		}
	}
	return nil
}

func chunks(n, size int) int { return (n + size - 1) / size }

// window is the i-th slice of size of list (empty past its end).
func window[T any](list []T, i, size int) []T {
	lo := i * size
	if lo >= len(list) {
		return nil
	}
	return list[lo:min(lo+size, len(list)):min(lo+size, len(list))]
}

func intStrings(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}
