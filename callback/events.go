package callback

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
	ToUserName   string     // corp id (app form)
	FromUserName string     // "sys" for system events, else a userid (app form)
	CreateTime   int64      // unix seconds (app form)
	MsgType      string     // "event" for events (app form)
	Event        string     // the event kind (app form)
	AgentID      string     // the app's agent id, when present
	MsgID        string     // MsgId of user messages
	SuiteID      string     // SuiteId (third-party form)
	AuthCorpID   string     // AuthCorpId: the authorized corp (third-party form)
	InfoType     string     // the event kind (third-party form)
	TimeStamp    int64      // unix seconds (third-party form)
	ChangeType   ChangeType // ChangeType, when the kind has one

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

// Time returns CreateTime or, in the third-party form, TimeStamp.
func (e *Envelope) Time() int64 {
	if e.CreateTime != 0 {
		return e.CreateTime
	}
	return e.TimeStamp
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

// CustomerAcquisitionEvent is customer_acquisition (获客助手 links).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
type CustomerAcquisitionEvent struct {
	Envelope
	LinkID         string
	State          string
	UserID         string
	ExternalUserID string
	// ExpireTime and ExpireQuotaNum (quota_expire_soon) are kept as sent:
	// their format is not documented, and a number that failed to parse
	// must not lose the event.
	ExpireTime     string
	ExpireQuotaNum string
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
