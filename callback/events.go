package callback

import (
	"strconv"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// EventKind names what was pushed: the Event of an app event (MsgType
// "event"), the InfoType of a third-party command event, or the MsgType of a
// user message.
type EventKind string

// Event kinds with typed events in this package. Others arrive as
// *UnknownEvent.
const (
	KindChangeExternalContact EventKind = "change_external_contact"
	KindChangeExternalChat    EventKind = "change_external_chat"
	KindChangeExternalTag     EventKind = "change_external_tag"
	KindCustomerAcquisition   EventKind = "customer_acquisition"
	KindSuiteTicket           EventKind = "suite_ticket"
	KindCreateAuth            EventKind = "create_auth"
	KindChangeAuth            EventKind = "change_auth"
	KindCancelAuth            EventKind = "cancel_auth"
	KindResetPermanentCode    EventKind = "reset_permanent_code"
	KindChangeContact         EventKind = "change_contact"
)

// ChangeType is the ChangeType element: what happened within an event kind.
type ChangeType string

// ChangeTypes of change_external_contact.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
const (
	ChangeAddExternalContact     ChangeType = "add_external_contact"
	ChangeEditExternalContact    ChangeType = "edit_external_contact"
	ChangeAddHalfExternalContact ChangeType = "add_half_external_contact"
	ChangeDelExternalContact     ChangeType = "del_external_contact"
	ChangeDelFollowUser          ChangeType = "del_follow_user"
	ChangeTransferFail           ChangeType = "transfer_fail"
	ChangeMsgAuditApproved       ChangeType = "msg_audit_approved"
)

// ChangeTypes of change_external_chat (customer groups).
const (
	ChangeChatCreate  ChangeType = "create"
	ChangeChatUpdate  ChangeType = "update"
	ChangeChatDismiss ChangeType = "dismiss"
)

// ChangeTypes of change_external_tag (corp customer tags).
const (
	ChangeTagCreate  ChangeType = "create"
	ChangeTagUpdate  ChangeType = "update"
	ChangeTagDelete  ChangeType = "delete"
	ChangeTagShuffle ChangeType = "shuffle"
)

// ChangeTypes of customer_acquisition (获客助手).
const (
	ChangeBalanceLow          ChangeType = "balance_low"
	ChangeBalanceExhausted    ChangeType = "balance_exhausted"
	ChangeBalanceIncreased    ChangeType = "balance_increased"
	ChangeLinkUnavailable     ChangeType = "link_unavailable"
	ChangeDeleteLink          ChangeType = "delete_link"
	ChangeQuotaExpireSoon     ChangeType = "quota_expire_soon"
	ChangeOpenProfile         ChangeType = "open_profile"
	ChangeFriendRequest       ChangeType = "friend_request"
	ChangeCustomerStartChat   ChangeType = "customer_start_chat"
	ChangeMessageFromCustomer ChangeType = "message_from_customer"
)

// ChangeTypes of customer_acquisition that only the acquisition component
// of a third-party provider receives (99485, updated 2025-11-05): the
// provider's own usage running low, exhausted or consumed, and a change of
// the price the provider pays per link use. The values are the ones other
// SDKs use: the sections of 99485 that hold them could not be read.
const (
	ChangeServiceBalanceLow       ChangeType = "service_balance_low"
	ChangeServiceBalanceExhausted ChangeType = "service_balance_exhausted"
	ChangeServiceBalanceConsumed  ChangeType = "service_balance_consumed"
	ChangeChangePrice             ChangeType = "change_price"
)

// ChangeTypes of change_contact (third-party contact sync).
const (
	ChangeCreateUser  ChangeType = "create_user"
	ChangeUpdateUser  ChangeType = "update_user"
	ChangeDeleteUser  ChangeType = "delete_user"
	ChangeCreateParty ChangeType = "create_party"
	ChangeUpdateParty ChangeType = "update_party"
	ChangeDeleteParty ChangeType = "delete_party"
	ChangeUpdateTag   ChangeType = "update_tag"
)

// UpdateDetail says what changed in a change_external_chat update.
type UpdateDetail string

// UpdateDetail values.
const (
	UpdateAddMember    UpdateDetail = "add_member"
	UpdateDelMember    UpdateDetail = "del_member"
	UpdateChangeOwner  UpdateDetail = "change_owner"
	UpdateChangeName   UpdateDetail = "change_name"
	UpdateChangeNotice UpdateDetail = "change_notice"
)

// TagTarget says whether a change_external_tag event is about a tag or a tag group.
type TagTarget string

// TagTarget values.
const (
	TagTargetTag   TagTarget = "tag"
	TagTargetGroup TagTarget = "tag_group"
)

// DeleteSource is the Source of a del_external_contact event.
type DeleteSource string

// DeleteByTransfer: the customer was removed from the handover member by an
// on-the-job transfer.
const DeleteByTransfer DeleteSource = "DELETE_BY_TRANSFER"

// FailReason is the FailReason of a transfer_fail event.
type FailReason string

// FailReason values.
const (
	FailCustomerRefused     FailReason = "customer_refused"
	FailCustomerLimitExceed FailReason = "customer_limit_exceed"
)

// Event is any decrypted push. Its concrete type is one of the *...Event
// types of this package; kinds without one arrive as *UnknownEvent.
type Event interface {
	// Header returns the envelope fields common to every push.
	Header() *Envelope
}

// Envelope holds the fields common to every push, in both forms: the app
// form (ToUserName, FromUserName, CreateTime, MsgType, Event) and the
// third-party command form (SuiteId, AuthCorpId, InfoType, TimeStamp).
type Envelope struct {
	ToUserName   string         // corp id (app form)
	FromUserName string         // "sys" for system events, else a userid (app form)
	CreateTime   wecom.UnixTime // when the push was made (app form)
	MsgType      string         // "event" for events (app form)
	Event        string         // the event kind (app form)
	AgentID      string         // the app's agent id, when present
	MsgID        string         // MsgId of user messages
	SuiteID      string         // SuiteId (third-party form)
	AuthCorpID   string         // AuthCorpId: the authorized corp (third-party form)
	InfoType     string         // the event kind (third-party form)
	TimeStamp    wecom.UnixTime // when the push was made (third-party form)
	ChangeType   ChangeType     // ChangeType, when the kind has one

	// ReceiveID is the receiver id found at the end of the decrypted
	// message (corp id, suite id, ...). Set by Handler; empty from ParseEvent.
	ReceiveID string
	// Raw is the decrypted XML, exactly as WeCom sent it.
	Raw string
}

// Header implements Event.
func (e *Envelope) Header() *Envelope { return e }

// Kind returns InfoType for third-party command events, Event for app
// events and MsgType for user messages.
func (e *Envelope) Kind() EventKind {
	switch {
	case e.InfoType != "":
		return EventKind(e.InfoType)
	case e.MsgType == "event" || e.Event != "":
		return EventKind(e.Event)
	default:
		return EventKind(e.MsgType)
	}
}

// CorpID returns the corp the push is about: AuthCorpId in the third-party
// form, ToUserName in the app form.
func (e *Envelope) CorpID() string {
	if e.AuthCorpID != "" {
		return e.AuthCorpID
	}
	if e.InfoType != "" {
		return ""
	}
	return e.ToUserName
}

// Time returns when the push was made: CreateTime or, in the third-party
// form, TimeStamp; the zero Time when the push carries neither.
func (e *Envelope) Time() time.Time {
	if e.CreateTime != 0 {
		return e.CreateTime.Time()
	}
	return e.TimeStamp.Time()
}

// ExternalContactEvent is change_external_contact: a customer was added,
// edited or deleted, or a transfer failed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
type ExternalContactEvent struct {
	Envelope
	UserID         string       // the member (follow user)
	ExternalUserID string       // the customer
	State          string       // the contact way's state or the acquisition link's customer_channel
	WelcomeCode    string       // for send_welcome_msg; valid for 20 seconds
	Source         DeleteSource // del_external_contact only
	FailReason     FailReason   // transfer_fail only
}

// ExternalChatEvent is change_external_chat: a customer group was created,
// updated or dismissed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
type ExternalChatEvent struct {
	Envelope
	ChatID        string
	UpdateDetail  UpdateDetail // update only
	JoinScene     int64        // add_member: 0 invited by a member, 3 joined by QR code
	QuitScene     int64        // del_member: 0 left, 1 removed
	MemChangeCnt  int64        // members who joined or left
	MemChangeList []string     // ids of the members who joined or left
	LastMemVer    string       // member-list version before the change
	CurMemVer     string       // member-list version after the change
}

// ExternalTagEvent is change_external_tag: a corp customer tag or tag group
// was created, updated, deleted, or re-ordered (shuffle).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
type ExternalTagEvent struct {
	Envelope
	ID         string    // tag or group id; for shuffle, empty = the order of all groups changed
	TagType    TagTarget // tag or tag_group (not for shuffle)
	StrategyID string    // the tag's strategy group, when it has one
}

// CustomerAcquisitionEvent is customer_acquisition (获客助手): in the app
// form (Event, self-built and agent-developed apps, 97299) or the
// third-party form (InfoType on the command URL, 97402; the acquisition
// component, 99485). ChangeType says which of these happened; each sets the
// fields named:
//
//   - balance_low (fewer than 20 uses left), balance_exhausted,
//     balance_increased (from 0 to more): no fields;
//   - link_unavailable, delete_link (deleted in the admin console; deleting
//     through the API pushes nothing): LinkID;
//   - quota_expire_soon: ExpireTime, ExpireQuotaNum;
//   - open_profile (a customer opened the member's profile through a link;
//     some industries only), friend_request (a customer sent a friend
//     request through a link whose customer_channel is set): LinkID, State;
//   - customer_start_chat (the member's first message from the customer):
//     UserID, ExternalUserID, LinkID;
//   - message_from_customer (further messages): ChatKey, the input of
//     customer_acquisition/get_chat_info, valid 30 minutes (100135, 101361);
//     older pushes also carried UserID, ExternalUserID and ChatSeq;
//   - the component's service_balance_low, service_balance_exhausted,
//     service_balance_consumed (LinkID, State, OnceKey) and change_price
//     (Price in fen, EffectiveTime).
//
// Read on the official pages: the envelopes, the balance events, open_profile
// (LinkId, State), friend_request (LinkId) and the ChatKey name. The other
// fields are the ones other SDKs read: the sections of 97299, 97402 and 99485
// that document them could not be read. Counts and prices are kept as sent,
// so that a value that does not parse never loses the event (the methods
// convert them); a time that does not parse reads as 0 (the zero Time), the
// element as sent being in Raw.
// 99485's tables spell the InfoType customer_aqcuisition; its samples, and
// the pushes, say customer_acquisition.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
// and https://developer.work.weixin.qq.com/document/path/99485
type CustomerAcquisitionEvent struct {
	Envelope
	LinkID         string         // LinkId
	State          string         // the link's customer_channel
	UserID         string         // the member
	ExternalUserID string         // the customer
	ExpireTime     wecom.UnixTime // quota_expire_soon: when the quota expires
	ExpireQuotaNum string         // quota_expire_soon: how many uses expire
	// ChatKey (message_from_customer) identifies the conversation for
	// customer_acquisition/get_chat_info for 30 minutes. Treat it as a
	// credential: do not log it.
	ChatKey       string
	ChatSeq       string         // message_from_customer (older pushes): how many messages the member got
	OnceKey       string         // service_balance_consumed: the once_key of the use
	Price         string         // change_price: the new price per use, in fen
	EffectiveTime wecom.UnixTime // change_price: when the price applies
}

// ExpiringQuota returns ExpireQuotaNum, and false when it is absent or not
// a number.
func (e *CustomerAcquisitionEvent) ExpiringQuota() (int64, bool) { return intField(e.ExpireQuotaNum) }

// PriceFen returns Price (fen), and false when it is absent or not a number.
func (e *CustomerAcquisitionEvent) PriceFen() (int64, bool) { return intField(e.Price) }

func intField(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// unixField reads a time sent as a string of unix seconds; 0 when it is
// absent or not a number.
func unixField(s string) wecom.UnixTime {
	n, ok := intField(s)
	if !ok {
		return 0
	}
	return wecom.UnixTime(n)
}

// SuiteTicketEvent is suite_ticket, pushed every 10 minutes to a third-party
// app's command URL; keep the newest ticket (valid 30 minutes).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
type SuiteTicketEvent struct {
	Envelope
	SuiteTicket string
}

// CreateAuthEvent is create_auth: a corp installed the app. Record AuthCode
// (valid 10 minutes) and answer within 1000 ms; exchange it for the permanent
// code asynchronously.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
type CreateAuthEvent struct {
	Envelope
	AuthCode  string
	State     string
	ExtraInfo string
}

// ChangeAuthEvent is change_auth: an authorization changed; call get_auth_info.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
type ChangeAuthEvent struct {
	Envelope
	State     string
	ExtraInfo string
}

// CancelAuthEvent is cancel_auth: a corp removed the app.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
type CancelAuthEvent struct {
	Envelope
}

// ResetPermanentCodeEvent is reset_permanent_code: an agent-developed app's
// secret was reset; exchange AuthCode (valid 10 minutes) for the new one.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97175
type ResetPermanentCodeEvent struct {
	Envelope
	AuthCode string
}

// ChangeContactEvent is change_contact: a member, department or tag of an
// authorized corp changed. Fields beyond these are in Raw.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90639
type ChangeContactEvent struct {
	Envelope
	UserID        string
	OpenUserID    string
	NewUserID     string
	Name          string
	Department    string // comma-separated department ids
	ID            string // department id (party events)
	ParentID      string
	TagID         string
	AddUserItems  string
	DelUserItems  string
	AddPartyItems string
	DelPartyItems string
}

// MessageEvent is a user's message to the app (MsgType other than "event").
// Only the common fields are typed; the rest is in Raw.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96467
type MessageEvent struct {
	Envelope
	Content string
	MediaID string
	PicURL  string
}

// UnknownEvent is any push without a typed event here. It is delivered to
// the default handler, never dropped.
type UnknownEvent struct {
	Envelope
}
