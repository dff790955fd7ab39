package contact

import "github.com/scrmkit/scrm/wecom"

// ExternalContact is a customer (external_contact).
type ExternalContact struct {
	ExternalUserID string       `json:"external_userid"`
	Name           string       `json:"name"`
	Avatar         string       `json:"avatar,omitempty"`
	Type           CustomerType `json:"type"`
	Gender         Gender       `json:"gender"`
	// UnionID is set for WeChat users when the corp bound a WeChat
	// open-platform account; third-party apps never get it.
	UnionID string `json:"unionid,omitempty"`
	// Position, CorpName, CorpFullName and ExternalProfile are set for WeCom
	// users only.
	Position        string           `json:"position,omitempty"`
	CorpName        string           `json:"corp_name,omitempty"`
	CorpFullName    string           `json:"corp_full_name,omitempty"`
	ExternalProfile *ExternalProfile `json:"external_profile,omitempty"`
}

// ExternalProfile is a WeCom user's public profile (对外属性).
type ExternalProfile struct {
	ExternalCorpName string          `json:"external_corp_name,omitempty"`
	WechatChannels   *ProfileChannel `json:"wechat_channels,omitempty"`
	ExternalAttr     []ExternalAttr  `json:"external_attr,omitempty"`
}

// ProfileChannel is the WeChat Channels account shown on a profile.
type ProfileChannel struct {
	Nickname string `json:"nickname"`
	Status   int    `json:"status,omitempty"`
}

// ExternalAttr is one attribute of an ExternalProfile; Type says which of
// Text, Web and MiniProgram is set.
type ExternalAttr struct {
	Type        ExternalAttrType      `json:"type"`
	Name        string                `json:"name"`
	Text        *AttrTextValue        `json:"text,omitempty"`
	Web         *AttrWebValue         `json:"web,omitempty"`
	MiniProgram *AttrMiniProgramValue `json:"miniprogram,omitempty"`
}

// AttrTextValue is a text attribute.
type AttrTextValue struct {
	Value string `json:"value"`
}

// AttrWebValue is a web link attribute.
type AttrWebValue struct {
	URL   string `json:"url"`
	Title string `json:"title"`
}

// AttrMiniProgramValue is a mini-program attribute.
type AttrMiniProgramValue struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath"`
	Title    string `json:"title"`
}

// FollowUser is one member's relation with a customer, as externalcontact/get
// returns it.
type FollowUser struct {
	UserID         string          `json:"userid"`
	Remark         string          `json:"remark"`
	Description    string          `json:"description"`
	CreateTime     wecom.UnixTime  `json:"createtime"`
	Tags           []FollowUserTag `json:"tags,omitempty"`
	RemarkCorpName string          `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string        `json:"remark_mobiles,omitempty"`
	// OperUserID is who started the relation: the member's userid when the
	// member added the customer, the customer's external_userid when the
	// customer added the member, the sharer or admin for 201/202.
	OperUserID     string          `json:"oper_userid"`
	AddWay         AddWay          `json:"add_way"`
	State          string          `json:"state,omitempty"`
	WechatChannels *WechatChannels `json:"wechat_channels,omitempty"`
}

// FollowUserTag is a tag a member put on a customer.
type FollowUserTag struct {
	GroupName string  `json:"group_name"`
	TagName   string  `json:"tag_name"`
	Type      TagType `json:"type"`
	TagID     string  `json:"tag_id,omitempty"` // empty for TagPersonal
}

// WechatChannels is the WeChat Channels account a customer came through
// (add_way 10).
type WechatChannels struct {
	Nickname string         `json:"nickname"`
	Source   ChannelsSource `json:"source"`
}

// FollowInfo is one member's relation with a customer as
// batch/get_by_user returns it: like FollowUser, but tags come as ids only
// (corp and rule-group tags; members' own tags are not returned).
type FollowInfo struct {
	UserID         string          `json:"userid"`
	Remark         string          `json:"remark"`
	Description    string          `json:"description"`
	CreateTime     wecom.UnixTime  `json:"createtime"`
	TagID          []string        `json:"tag_id,omitempty"`
	RemarkCorpName string          `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string        `json:"remark_mobiles,omitempty"`
	OperUserID     string          `json:"oper_userid"`
	AddWay         AddWay          `json:"add_way"`
	State          string          `json:"state,omitempty"`
	WechatChannels *WechatChannels `json:"wechat_channels,omitempty"`
}

// CustomerRecord pairs a customer with one member that follows it
// (an element of batch/get_by_user's external_contact_list).
type CustomerRecord struct {
	ExternalContact ExternalContact `json:"external_contact"`
	FollowInfo      FollowInfo      `json:"follow_info"`
}
