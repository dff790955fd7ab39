package callback

import (
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scrmkit/scrm/wecom"
)

// wire is every element the typed events read, with the tags encoding/xml
// would use. The fast parser fills the same struct; the differential fuzz
// target checks that both agree.
type wire struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Event        string `xml:"Event"`
	AgentID      string `xml:"AgentID"`
	MsgID        string `xml:"MsgId"`
	SuiteID      string `xml:"SuiteId"`
	AuthCorpID   string `xml:"AuthCorpId"`
	InfoType     string `xml:"InfoType"`
	TimeStamp    int64  `xml:"TimeStamp"`
	ChangeType   string `xml:"ChangeType"`

	UserID         string `xml:"UserID"`
	ExternalUserID string `xml:"ExternalUserID"`
	State          string `xml:"State"`
	WelcomeCode    string `xml:"WelcomeCode"`
	Source         string `xml:"Source"`
	FailReason     string `xml:"FailReason"`

	ChatID        string   `xml:"ChatId"`
	UpdateDetail  string   `xml:"UpdateDetail"`
	JoinScene     int64    `xml:"JoinScene"`
	QuitScene     int64    `xml:"QuitScene"`
	MemChangeCnt  int64    `xml:"MemChangeCnt"`
	MemChangeList []string `xml:"MemChangeList>Item"`
	LastMemVer    string   `xml:"LastMemVer"`
	CurMemVer     string   `xml:"CurMemVer"`

	ID         string `xml:"Id"`
	TagType    string `xml:"TagType"`
	StrategyID string `xml:"StrategyId"`

	LinkID         string `xml:"LinkId"`
	ExpireTime     string `xml:"ExpireTime"`
	ExpireQuotaNum string `xml:"ExpireQuotaNum"`
	ChatKey        string `xml:"ChatKey"`
	ChatSeq        string `xml:"ChatSeq"`
	OnceKey        string `xml:"OnceKey"`
	Price          string `xml:"Price"`
	EffectiveTime  string `xml:"EffectiveTime"`

	AuthType      string `xml:"AuthType"`
	ServiceCorpID string `xml:"ServiceCorpId"`

	SuiteTicket string `xml:"SuiteTicket"`
	AuthCode    string `xml:"AuthCode"`
	ExtraInfo   string `xml:"ExtraInfo"`

	OpenUserID    string `xml:"OpenUserID"`
	NewUserID     string `xml:"NewUserID"`
	Name          string `xml:"Name"`
	Department    string `xml:"Department"`
	ParentID      string `xml:"ParentId"`
	TagID         string `xml:"TagId"`
	AddUserItems  string `xml:"AddUserItems"`
	DelUserItems  string `xml:"DelUserItems"`
	AddPartyItems string `xml:"AddPartyItems"`
	DelPartyItems string `xml:"DelPartyItems"`

	Content string `xml:"Content"`
	MediaID string `xml:"MediaId"`
	PicURL  string `xml:"PicUrl"`

	Token    string `xml:"Token"`
	OpenKfID string `xml:"OpenKfId"`
}

// ParseEvent parses a decrypted message (as returned by Crypto.Decrypt) into
// its typed event. Unknown kinds give *UnknownEvent, never an error; an error
// means the XML is malformed (it wraps ErrBadXML).
//
// WeCom's event XML is a flat <xml> of elements holding text or CDATA, plus
// MemChangeList/Item. That shape is parsed directly from the one string the
// event keeps as Raw, without copying values; anything else (comments,
// attributes, entities, a different root, ...) is handed to encoding/xml so
// the result is always the same as encoding/xml's.
func ParseEvent(plaintext []byte) (Event, error) {
	return parseString(string(plaintext))
}

func parseString(raw string) (Event, error) {
	var w wire
	if err := parseWire(raw, &w); err != nil {
		return nil, err
	}
	return w.event(raw), nil
}

// parseWire fills w from s, by the fast path when s has WeCom's usual shape.
func parseWire(s string, w *wire) error {
	if w.fill(s) {
		return nil
	}
	ref := new(wire) // a separate value, so that w itself never escapes
	if err := xml.Unmarshal([]byte(s), ref); err != nil {
		return fmt.Errorf("%w: %v", ErrBadXML, err)
	}
	*w = *ref
	return nil
}

// fill runs the fast scanner over s; false means "not the usual shape".
func (w *wire) fill(s string) bool {
	sc := scanner{s: s}
	for {
		switch name, val := sc.next(); name {
		case "":
			return sc.done
		case itemName:
			w.MemChangeList = append(w.MemChangeList, val)
		default:
			if !w.set(name, val) {
				return false
			}
		}
	}
}

// itemName is what scanner.next reports for each MemChangeList/Item.
const itemName = "MemChangeList>Item"

// scanner reads WeCom's flat event XML: optional white space, <xml>, then
// elements <Name>value</Name> (value: text and CDATA sections) separated by
// white space, and </xml>; MemChangeList holds <Item> elements. Anything
// else (comments, attributes, entities, '\r' in values, a different root,
// nesting, ...) stops it with done == false, and the caller falls back to
// encoding/xml: within its shape the scanner gives exactly encoding/xml's
// result, and outside it encoding/xml decides. Values are substrings of s.
type scanner struct {
	s       string
	i       int
	started bool // <xml> seen
	inList  bool // inside <MemChangeList>
	done    bool // </xml> reached: success
}

// next returns the next element's name and value, itemName for a list item,
// or "" at the end (done tells success from bail-out).
func (sc *scanner) next() (name, val string) {
	s := sc.s
	i := skipSpace(s, sc.i)
	if !sc.started {
		if !strings.HasPrefix(s[i:], "<xml>") {
			return "", ""
		}
		sc.started = true
		i = skipSpace(s, i+len("<xml>"))
	}
	if sc.inList {
		if strings.HasPrefix(s[i:], "</MemChangeList>") {
			sc.inList = false
			i = skipSpace(s, i+len("</MemChangeList>"))
		} else if strings.HasPrefix(s[i:], "<Item>") {
			v, j, ok := content(s, i+len("<Item>"), "Item")
			if !ok {
				return "", ""
			}
			sc.i = j
			return itemName, v
		} else {
			return "", ""
		}
	}
	if strings.HasPrefix(s[i:], "</xml>") {
		sc.done = true // encoding/xml stops reading at the root's end too
		return "", ""
	}
	n, j, ok := openTag(s, i)
	if !ok {
		return "", ""
	}
	if n == "MemChangeList" {
		sc.inList = true
		sc.i = j
		return sc.next()
	}
	v, k, ok := content(s, j, n)
	if !ok {
		return "", ""
	}
	sc.i = k
	return n, v
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	return i
}

// openTag reads "<Name>" at s[i] and returns Name and the index after '>'.
// Only names of ASCII letters, digits and '_' starting with a letter or '_'.
func openTag(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '<' {
		return "", 0, false
	}
	j := i + 1
	for j < len(s) && (isAlnum(s[j]) || s[j] == '_') {
		j++
	}
	if j == i+1 || j >= len(s) || s[j] != '>' || (s[i+1] >= '0' && s[i+1] <= '9') {
		return "", 0, false
	}
	return s[i+1 : j], j + 1, true
}

const cdataOpen, cdataClose = "<![CDATA[", "]]>"

// content reads an element's character data (text and CDATA sections, no
// child elements) starting at s[i] up to "</name>", and returns the value
// and the index after the end tag. The value is a substring of s unless
// several non-empty pieces must be joined.
func content(s string, i int, name string) (string, int, bool) {
	var val string
	var b []byte // only when there is more than one non-empty piece
	pieces := 0
	for {
		var p string
		if i >= len(s) {
			return "", 0, false
		}
		if s[i] != '<' {
			// text up to the next '<'
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				return "", 0, false
			}
			p = s[i : i+j]
			if !plainChars(p, true) {
				return "", 0, false
			}
			i += j
		} else if rest := s[i:]; strings.HasPrefix(rest, cdataOpen) {
			end := indexCDATAEnd(rest[len(cdataOpen):])
			if end < 0 {
				return "", 0, false
			}
			p = rest[len(cdataOpen) : len(cdataOpen)+end]
			if !plainChars(p, false) {
				return "", 0, false
			}
			i += len(cdataOpen) + end + len(cdataClose)
		} else if len(rest) >= len(name)+3 && rest[1] == '/' && rest[2+len(name)] == '>' && rest[2:2+len(name)] == name {
			if pieces > 1 {
				val = string(b)
			}
			return val, i + len(name) + 3, true
		} else {
			return "", 0, false // a child element, a comment, another end tag...
		}
		if p == "" {
			continue
		}
		pieces++
		switch pieces {
		case 1:
			val = p
		case 2:
			b = append(append(b, val...), p...)
		default:
			b = append(b, p...)
		}
	}
}

// indexCDATAEnd is strings.Index(s, "]]>"), quicker for short values that
// rarely hold a ']'.
func indexCDATAEnd(s string) int {
	off := 0
	for {
		j := strings.IndexByte(s[off:], ']')
		if j < 0 {
			return -1
		}
		k := off + j
		if k+2 < len(s) && s[k+1] == ']' && s[k+2] == '>' {
			return k
		}
		off = k + 1
	}
}

// plainChars reports whether p holds only characters encoding/xml accepts
// and copies unchanged: no '\r' (rewritten to '\n'), and in text (not
// CDATA) no '&' (an entity) and no "]]>". Eight bytes at a time while they
// are plain ASCII with nothing to look at.
func plainChars(p string, text bool) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(p[i : i+8]))
		// a byte >= 0x80, or < 0x20
		bad := x&hi | (x-0x20*lo)&^x&hi
		if text {
			a := x ^ ('&' * lo)
			b := x ^ (']' * lo)
			bad |= (a-lo)&^a&hi | (b-lo)&^b&hi
		}
		if bad != 0 {
			break
		}
	}
	for i < len(p) {
		c := p[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			if text && (c == '&' || c == '>' && i >= 2 && p[i-1] == ']' && p[i-2] == ']') {
				return false
			}
			i++
			continue
		}
		if c < utf8.RuneSelf {
			if c != '\n' && c != '\t' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(p[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		if !(r >= 0x80 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
		i += n
	}
	return true
}

// xmlInt converts like encoding/xml does for an int64 field.
func xmlInt(v string) (int64, bool) {
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

// set stores one element's value; false when encoding/xml would fail on it.
func (w *wire) set(name, v string) bool {
	var p *string
	var n *int64
	switch name {
	case "ToUserName":
		p = &w.ToUserName
	case "FromUserName":
		p = &w.FromUserName
	case "CreateTime":
		n = &w.CreateTime
	case "MsgType":
		p = &w.MsgType
	case "Event":
		p = &w.Event
	case "AgentID":
		p = &w.AgentID
	case "MsgId":
		p = &w.MsgID
	case "SuiteId":
		p = &w.SuiteID
	case "AuthCorpId":
		p = &w.AuthCorpID
	case "InfoType":
		p = &w.InfoType
	case "TimeStamp":
		n = &w.TimeStamp
	case "ChangeType":
		p = &w.ChangeType
	case "UserID":
		p = &w.UserID
	case "ExternalUserID":
		p = &w.ExternalUserID
	case "State":
		p = &w.State
	case "WelcomeCode":
		p = &w.WelcomeCode
	case "Source":
		p = &w.Source
	case "FailReason":
		p = &w.FailReason
	case "ChatId":
		p = &w.ChatID
	case "UpdateDetail":
		p = &w.UpdateDetail
	case "JoinScene":
		n = &w.JoinScene
	case "QuitScene":
		n = &w.QuitScene
	case "MemChangeCnt":
		n = &w.MemChangeCnt
	case "LastMemVer":
		p = &w.LastMemVer
	case "CurMemVer":
		p = &w.CurMemVer
	case "Id":
		p = &w.ID
	case "TagType":
		p = &w.TagType
	case "StrategyId":
		p = &w.StrategyID
	case "LinkId":
		p = &w.LinkID
	case "ExpireTime":
		p = &w.ExpireTime
	case "ExpireQuotaNum":
		p = &w.ExpireQuotaNum
	case "ChatKey":
		p = &w.ChatKey
	case "ChatSeq":
		p = &w.ChatSeq
	case "OnceKey":
		p = &w.OnceKey
	case "Price":
		p = &w.Price
	case "EffectiveTime":
		p = &w.EffectiveTime
	case "AuthType":
		p = &w.AuthType
	case "ServiceCorpId":
		p = &w.ServiceCorpID
	case "SuiteTicket":
		p = &w.SuiteTicket
	case "AuthCode":
		p = &w.AuthCode
	case "ExtraInfo":
		p = &w.ExtraInfo
	case "OpenUserID":
		p = &w.OpenUserID
	case "NewUserID":
		p = &w.NewUserID
	case "Name":
		p = &w.Name
	case "Department":
		p = &w.Department
	case "ParentId":
		p = &w.ParentID
	case "TagId":
		p = &w.TagID
	case "AddUserItems":
		p = &w.AddUserItems
	case "DelUserItems":
		p = &w.DelUserItems
	case "AddPartyItems":
		p = &w.AddPartyItems
	case "DelPartyItems":
		p = &w.DelPartyItems
	case "Content":
		p = &w.Content
	case "MediaId":
		p = &w.MediaID
	case "PicUrl":
		p = &w.PicURL
	case "Token":
		p = &w.Token
	case "OpenKfId":
		p = &w.OpenKfID
	default:
		return true // an element no typed event reads: skipped, as encoding/xml does
	}
	if p != nil {
		*p = v
		return true
	}
	x, ok := xmlInt(v)
	*n = x
	return ok
}

// trimEnums trims surrounding whitespace from the elements that name a
// kind, an enum value, an id or a single-token credential: WeCom's own
// samples have it (90628's suite_ticket sample is
// "<InfoType> <![CDATA[suite_ticket]]></InfoType>"), and none of these
// values can contain it. Free-text elements (names, Content, State,
// ExtraInfo) keep theirs. Trimming a value without such space copies
// nothing.
func (w *wire) trimEnums() {
	for _, p := range [...]*string{
		&w.ToUserName, &w.FromUserName, &w.MsgType, &w.Event, &w.AgentID, &w.MsgID, &w.SuiteID,
		&w.AuthCorpID, &w.InfoType, &w.ChangeType, &w.UserID, &w.ExternalUserID, &w.WelcomeCode,
		&w.Source, &w.FailReason, &w.ChatID, &w.UpdateDetail, &w.LastMemVer, &w.CurMemVer, &w.ID,
		&w.TagType, &w.StrategyID, &w.LinkID, &w.SuiteTicket, &w.AuthCode, &w.OpenUserID, &w.NewUserID,
		&w.ParentID, &w.TagID, &w.MediaID, &w.ExpireTime, &w.ExpireQuotaNum, &w.ChatKey, &w.ChatSeq,
		&w.OnceKey, &w.Price, &w.EffectiveTime, &w.AuthType, &w.ServiceCorpID, &w.Token, &w.OpenKfID,
	} {
		*p = strings.TrimSpace(*p)
	}
	for i, id := range w.MemChangeList {
		w.MemChangeList[i] = strings.TrimSpace(id)
	}
}

// event builds the typed event.
func (w *wire) event(raw string) Event {
	w.trimEnums()
	env := Envelope{
		ToUserName: w.ToUserName, FromUserName: w.FromUserName, CreateTime: wecom.UnixTime(w.CreateTime),
		MsgType: w.MsgType, Event: w.Event, AgentID: w.AgentID, MsgID: w.MsgID,
		SuiteID: w.SuiteID, AuthCorpID: w.AuthCorpID, InfoType: w.InfoType, TimeStamp: wecom.UnixTime(w.TimeStamp),
		ChangeType: ChangeType(w.ChangeType), Raw: raw,
	}
	switch env.Kind() {
	case KindChangeExternalContact:
		return &ExternalContactEvent{Envelope: env, UserID: w.UserID, ExternalUserID: w.ExternalUserID,
			State: w.State, WelcomeCode: w.WelcomeCode, Source: DeleteSource(w.Source), FailReason: FailReason(w.FailReason)}
	case KindChangeExternalChat:
		return &ExternalChatEvent{Envelope: env, ChatID: w.ChatID, UpdateDetail: UpdateDetail(w.UpdateDetail),
			JoinScene: w.JoinScene, QuitScene: w.QuitScene, MemChangeCnt: w.MemChangeCnt, MemChangeList: w.MemChangeList,
			LastMemVer: w.LastMemVer, CurMemVer: w.CurMemVer}
	case KindChangeExternalTag:
		return &ExternalTagEvent{Envelope: env, ID: w.ID, TagType: TagTarget(w.TagType), StrategyID: w.StrategyID}
	case KindCustomerAcquisition:
		return &CustomerAcquisitionEvent{Envelope: env, LinkID: w.LinkID, State: w.State, UserID: w.UserID,
			ExternalUserID: w.ExternalUserID, ExpireTime: unixField(w.ExpireTime), ExpireQuotaNum: w.ExpireQuotaNum,
			ChatKey: w.ChatKey, ChatSeq: w.ChatSeq, OnceKey: w.OnceKey, Price: w.Price, EffectiveTime: unixField(w.EffectiveTime)}
	case KindCustomerAcquisitionPermitChange:
		return &AcquisitionPermitChangeEvent{Envelope: env}
	case KindAuthDataPermission, KindExpireRemindDataPermission:
		return &DataPermissionEvent{Envelope: env, AuthType: DataPermissionType(w.AuthType)}
	case KindApproveSpecialAuth, KindCancelSpecialAuth:
		return &SpecialAuthEvent{Envelope: env, AuthType: w.AuthType}
	case KindAgreeExternalUserIDMigration:
		return &ExternalUserIDMigrationEvent{Envelope: env, ServiceCorpID: w.ServiceCorpID}
	case KindSuiteTicket:
		return &SuiteTicketEvent{Envelope: env, SuiteTicket: w.SuiteTicket}
	case KindCreateAuth:
		return &CreateAuthEvent{Envelope: env, AuthCode: w.AuthCode, State: w.State, ExtraInfo: w.ExtraInfo}
	case KindChangeAuth:
		return &ChangeAuthEvent{Envelope: env, State: w.State, ExtraInfo: w.ExtraInfo}
	case KindCancelAuth:
		return &CancelAuthEvent{Envelope: env}
	case KindResetPermanentCode:
		return &ResetPermanentCodeEvent{Envelope: env, AuthCode: w.AuthCode}
	case KindTemplateCardEvent, KindTemplateCardMenuEvent:
		return templateCardEvent(env)
	case KindKFMsgOrEvent:
		return &KFMsgOrEventEvent{Envelope: env, Token: w.Token, OpenKfID: w.OpenKfID}
	case KindChangeContact:
		return &ChangeContactEvent{Envelope: env, UserID: w.UserID, OpenUserID: w.OpenUserID, NewUserID: w.NewUserID,
			Name: w.Name, Department: w.Department, ID: w.ID, ParentID: w.ParentID, TagID: w.TagID,
			AddUserItems: w.AddUserItems, DelUserItems: w.DelUserItems, AddPartyItems: w.AddPartyItems, DelPartyItems: w.DelPartyItems}
	}
	if env.MsgType != "" && env.MsgType != "event" && env.InfoType == "" {
		return &MessageEvent{Envelope: env, Content: w.Content, MediaID: w.MediaID, PicURL: w.PicURL}
	}
	return &UnknownEvent{Envelope: env}
}
