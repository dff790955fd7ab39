package contact

// CustomerType is the kind of account a customer uses (external_contact.type).
type CustomerType int

// Customer types.
const (
	CustomerWeChat CustomerType = 1 // a WeChat (微信) user
	CustomerWeCom  CustomerType = 2 // a WeCom (企业微信) user of another corp
)

// Gender is a customer's gender as WeCom reports it.
type Gender int

// Genders.
const (
	GenderUnknown Gender = 0
	GenderMale    Gender = 1
	GenderFemale  Gender = 2
)

// AddWay is how a member came to have a customer (follow_user.add_way).
// Unknown values are kept as they come.
type AddWay int

// Add ways. Values from 15 up are not in the official table WeCom's docs
// publish offline; several SDKs agree on them.
const (
	AddWayUnknown            AddWay = 0
	AddWayQRCode             AddWay = 1   // scanned a QR code
	AddWayMobile             AddWay = 2   // searched a phone number
	AddWayCard               AddWay = 3   // business card share
	AddWayGroupChat          AddWay = 4   // from a group chat
	AddWayAddressBook        AddWay = 5   // phone address book
	AddWayWeChatContact      AddWay = 6   // WeChat contact
	AddWayThirdPartyService  AddWay = 8   // service staff added when a third-party app was installed
	AddWayEmail              AddWay = 9   // searched an email address
	AddWayWeChatChannels     AddWay = 10  // WeChat Channels (视频号)
	AddWaySchedule           AddWay = 11  // schedule participant
	AddWayMeeting            AddWay = 12  // meeting participant
	AddWayWeChatFriendWeCom  AddWay = 13  // WeCom account of a WeChat friend
	AddWaySmartHardware      AddWay = 14  // smart hardware dedicated service
	AddWayOnSiteService      AddWay = 15  // on-site service staff (unverified)
	AddWayAcquisitionLink    AddWay = 16  // customer-acquisition link 获客链接 (unverified)
	AddWayCustomDevelopment  AddWay = 17  // custom development (unverified)
	AddWayDemandReply        AddWay = 18  // demand reply (unverified)
	AddWayThirdPartyPreSales AddWay = 21  // third-party pre-sales service (unverified)
	AddWayPossiblePartner    AddWay = 22  // possible business partner (unverified)
	AddWayAcceptedRequest    AddWay = 24  // accepted a friend request (unverified)
	AddWayInternalShare      AddWay = 201 // shared by another member
	AddWayAdminAssigned      AddWay = 202 // assigned by an admin or owner
)

// TagType is the kind of a tag on a follow user (follow_user.tags[].type).
type TagType int

// Tag types.
const (
	TagCorp     TagType = 1 // corp tag 企业标签
	TagPersonal TagType = 2 // a member's own tag; WeCom returns no tag_id for it
	TagStrategy TagType = 3 // rule-group tag 规则组标签
)

// ExternalAttrType is the kind of an external_profile attribute.
type ExternalAttrType int

// External attribute types.
const (
	AttrText        ExternalAttrType = 0
	AttrWeb         ExternalAttrType = 1
	AttrMiniProgram ExternalAttrType = 2
)

// ChannelsSource is where a customer found a member on WeChat Channels
// (wechat_channels.source).
type ChannelsSource int

// WeChat Channels sources.
const (
	ChannelsSourceUnknown  ChannelsSource = 0
	ChannelsSourceHomepage ChannelsSource = 1 // the channel's homepage
	ChannelsSourceLive     ChannelsSource = 2 // a live room
)

// ContactWayType says whether a contact way serves one member or several.
type ContactWayType int

// Contact way types.
const (
	ContactWaySingle ContactWayType = 1 // one member (user has exactly one userid)
	ContactWayMulti  ContactWayType = 2 // several members and/or departments
)

// ContactWayScene is where a contact way is shown.
type ContactWayScene int

// Contact way scenes.
const (
	SceneMiniProgram ContactWayScene = 1 // a 「联系我」 button in a mini program
	SceneQRCode      ContactWayScene = 2 // a QR code
)

// TransferStatus is the state of one customer's handover (transfer_result).
type TransferStatus int

// Transfer statuses.
const (
	TransferDone         TransferStatus = 1 // taken over
	TransferWaiting      TransferStatus = 2 // waiting; TakeoverTime is when it happens
	TransferRefused      TransferStatus = 3 // the customer refused
	TransferLimitReached TransferStatus = 4 // the takeover member has too many customers
	TransferNoRecord     TransferStatus = 5 // no transfer record (in-service transfers only)
)

// String returns the status in words.
func (s TransferStatus) String() string {
	switch s {
	case TransferDone:
		return "done"
	case TransferWaiting:
		return "waiting"
	case TransferRefused:
		return "refused"
	case TransferLimitReached:
		return "limit reached"
	case TransferNoRecord:
		return "no record"
	}
	return "unknown"
}
