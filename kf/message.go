package kf

import (
	"encoding/json"
	"fmt"

	"github.com/scrmkit/scrm/wecom"
)

// Origin says who sent a message sync_msg returns.
type Origin int

const (
	OriginCustomer Origin = 3 // 微信客户发送: the WeChat customer
	OriginEvent    Origin = 4 // 系统推送的事件消息: an event (MsgType MsgEvent)
	OriginServicer Origin = 5 // 接待人员在企业微信客户端发送: a servicer, from the WeCom client
)

// Message is one message or event sync_msg returns: a customer's message,
// a servicer's message sent from the WeCom client, or an event (MsgType
// MsgEvent). Messages sent through send_msg are not returned.
//
// Exactly the body named by MsgType is set. A type this package does not
// know leaves every body nil: the message is still delivered, with Raw
// holding it as WeCom sent it, never dropped.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
type Message struct {
	MsgID string `json:"msgid"`
	// OpenKfID and ExternalUserID name the account and the customer; for
	// an event they are in the event's body (EventBody) instead.
	OpenKfID       string `json:"open_kfid,omitempty"`
	ExternalUserID string `json:"external_userid,omitempty"`
	// SendTime is when the message was sent (WeCom's clock).
	SendTime wecom.UnixTime `json:"send_time"`
	Origin   Origin         `json:"origin"`
	// ServicerUserID is the servicer who sent it from the WeCom client
	// (OriginServicer).
	ServicerUserID string  `json:"servicer_userid,omitempty"`
	MsgType        MsgType `json:"msgtype"`

	Text                *Text                `json:"text,omitempty"`
	Image               *Image               `json:"image,omitempty"`
	Voice               *Voice               `json:"voice,omitempty"`
	Video               *Video               `json:"video,omitempty"`
	File                *File                `json:"file,omitempty"`
	Location            *Location            `json:"location,omitempty"`
	Link                *WebLink             `json:"link,omitempty"`
	BusinessCard        *BusinessCard        `json:"business_card,omitempty"`
	MiniProgram         *MiniProgram         `json:"miniprogram,omitempty"`
	Menu                *Menu                `json:"msgmenu,omitempty"`
	ChannelsShopProduct *ChannelsShopProduct `json:"channels_shop_product,omitempty"`
	ChannelsShopOrder   *ChannelsShopOrder   `json:"channels_shop_order,omitempty"`
	MergedMsg           *MergedMsg           `json:"merged_msg,omitempty"`
	Channels            *ChannelsFeed        `json:"channels,omitempty"`
	Note                *Note                `json:"note,omitempty"`
	Event               *EventBody           `json:"event,omitempty"`

	// Raw is the message as WeCom sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a message and keeps its JSON in Raw. A body that
// does not decode (a field of another type than documented) fails only
// that body: it is left nil, and the message keeps its envelope and Raw.
func (m *Message) UnmarshalJSON(b []byte) error {
	type envelope struct {
		MsgID          string         `json:"msgid"`
		OpenKfID       string         `json:"open_kfid"`
		ExternalUserID string         `json:"external_userid"`
		SendTime       wecom.UnixTime `json:"send_time"`
		Origin         Origin         `json:"origin"`
		ServicerUserID string         `json:"servicer_userid"`
		MsgType        MsgType        `json:"msgtype"`
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("kf: a sync_msg message is not a JSON object of the documented shape: %w", err)
	}
	*m = Message{MsgID: env.MsgID, OpenKfID: env.OpenKfID, ExternalUserID: env.ExternalUserID, SendTime: env.SendTime,
		Origin: env.Origin, ServicerUserID: env.ServicerUserID, MsgType: env.MsgType, Raw: append(json.RawMessage(nil), b...)}
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) != nil {
		return nil
	}
	body, ok := fields[string(env.MsgType)]
	if !ok {
		return nil
	}
	switch env.MsgType {
	case MsgText:
		m.Text = decodeBody[Text](body)
	case MsgImage:
		m.Image = decodeBody[Image](body)
	case MsgVoice:
		m.Voice = decodeBody[Voice](body)
	case MsgVideo:
		m.Video = decodeBody[Video](body)
	case MsgFile:
		m.File = decodeBody[File](body)
	case MsgLocation:
		m.Location = decodeBody[Location](body)
	case MsgLink:
		m.Link = decodeBody[WebLink](body)
	case MsgBusinessCard:
		m.BusinessCard = decodeBody[BusinessCard](body)
	case MsgMiniProgram:
		m.MiniProgram = decodeBody[MiniProgram](body)
	case MsgMenu:
		m.Menu = decodeBody[Menu](body)
	case MsgChannelsShopProduct:
		m.ChannelsShopProduct = decodeBody[ChannelsShopProduct](body)
	case MsgChannelsShopOrder:
		m.ChannelsShopOrder = decodeBody[ChannelsShopOrder](body)
	case MsgMergedMsg:
		m.MergedMsg = decodeBody[MergedMsg](body)
	case MsgChannels:
		m.Channels = decodeBody[ChannelsFeed](body)
	case MsgNote:
		m.Note = decodeBody[Note](body)
	case MsgEvent:
		m.Event = decodeBody[EventBody](body)
	}
	return nil
}

func decodeBody[T any](b json.RawMessage) *T {
	v := new(T)
	if json.Unmarshal(b, v) != nil {
		return nil
	}
	return v
}

// Customer returns the account and the customer the message is about: the
// message's own, or for an event its body's.
func (m *Message) Customer() (openKfID, externalUserID string) {
	if m.Event != nil {
		return first(m.OpenKfID, m.Event.OpenKfID), first(m.ExternalUserID, m.Event.ExternalUserID)
	}
	return m.OpenKfID, m.ExternalUserID
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// EventType is the type of an event (EventBody.EventType).
type EventType string

// Event types sync_msg returns.
const (
	// EventEnterSession: a customer entered a session (opened the
	// account's link, or a 视频号 entry): Scene, SceneParam, WelcomeCode,
	// WechatChannels.
	EventEnterSession EventType = "enter_session"
	// EventMsgSendFail: a message sent through the API did not reach the
	// customer: FailMsgID, FailType.
	EventMsgSendFail EventType = "msg_send_fail"
	// EventServicerStatusChange: a servicer started or stopped receiving:
	// ServicerUserID, Status, StopType.
	EventServicerStatusChange EventType = "servicer_status_change"
	// EventSessionStatusChange: a servicer changed a session in the WeCom
	// client: ChangeType, OldServicerUserID, NewServicerUserID, MsgCode.
	EventSessionStatusChange EventType = "session_status_change"
	// EventUserRecallMsg: the customer recalled a message: RecallMsgID.
	EventUserRecallMsg EventType = "user_recall_msg"
	// EventServicerRecallMsg: a servicer recalled a message: RecallMsgID,
	// ServicerUserID.
	EventServicerRecallMsg EventType = "servicer_recall_msg"
	// EventRejectCustomerMsgSwitchChange: a servicer started or stopped
	// refusing the customer's messages: ServicerUserID, RejectSwitch.
	EventRejectCustomerMsgSwitchChange EventType = "reject_customer_msg_switch_change"
)

// FailType says why a message did not reach the customer (msg_send_fail).
type FailType int

// Failure reasons. 11 to 13 are the newest; WeCom may add more.
const (
	FailUnknown              FailType = 0  // 未知原因
	FailAccountDeleted       FailType = 1  // 客服帐号已删除
	FailAppClosed            FailType = 2  // 应用已关闭
	FailSessionExpired       FailType = 4  // 会话已过期，超过48小时
	FailSessionClosed        FailType = 5  // 会话已关闭
	FailOverFive             FailType = 6  // 超过5条限制
	FailNoChannels           FailType = 7  // 未绑定视频号
	FailUnverified           FailType = 8  // 主体未验证
	FailNoChannelsUnverified FailType = 9  // 未绑定视频号且主体未验证
	FailRejected             FailType = 10 // 用户拒收
	FailNoMemberLoggedIn     FailType = 11 // 企业未有成员登录企业微信App
	FailComponentForbidden   FailType = 12 // 客服组件禁发的消息类型
	FailSecurity             FailType = 13 // 安全限制
)

// ServicerStatus is a servicer's new status in servicer_status_change
// (numbered differently from ReceptionStatus, as WeCom does).
type ServicerStatus int

const (
	ServicerReceiving ServicerStatus = 1 // 接待中
	ServicerStopped   ServicerStatus = 2 // 停止接待 (StopType says how)
)

// SessionChange is what a servicer did to a session in the WeCom client
// (session_status_change).
type SessionChange int

const (
	SessionTaken       SessionChange = 1 // 从接待池接入会话: taken from the queue (MsgCode)
	SessionTransferred SessionChange = 2 // 转接会话: handed to another servicer
	SessionEnded       SessionChange = 3 // 结束会话: ended (MsgCode)
	SessionRejoined    SessionChange = 4 // 重新接入已结束/已转接会话: taken up again
)

// ChannelsScene is where a customer came from in 视频号.
type ChannelsScene int

const (
	ChannelsHome         ChannelsScene = 1 // 视频号主页
	ChannelsLiveProducts ChannelsScene = 2 // 视频号直播间商品列表页
	ChannelsShowcase     ChannelsScene = 3 // 视频号商品橱窗页
	ChannelsShopProducts ChannelsScene = 4 // 视频号小店商品详情页
	ChannelsShopOrders   ChannelsScene = 5 // 视频号小店订单页
)

// ChannelsEntry is the 视频号 a customer entered from.
type ChannelsEntry struct {
	Nickname     string        `json:"nickname,omitempty"`      // the 视频号's name (scenes 1 to 3)
	ShopNickname string        `json:"shop_nickname,omitempty"` // the shop's name (scenes 4 and 5)
	Scene        ChannelsScene `json:"scene,omitempty"`
}

// EventBody is the body of an event message (MsgType MsgEvent). The
// fields each EventType sets are listed with it; an event type this
// package does not know keeps EventType and the common fields, and the
// message's Raw holds the rest.
//
// The event names are the page's; their fields are those of the page's
// copies in other SDKs (wechatpy, silenceper, WxJava), which agree with
// each other: the sections of 94670 that list them could not be read on
// the official page itself.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
type EventBody struct {
	EventType      EventType `json:"event_type"`
	OpenKfID       string    `json:"open_kfid,omitempty"`
	ExternalUserID string    `json:"external_userid,omitempty"`
	ServicerUserID string    `json:"servicer_userid,omitempty"`

	// Scene is the account link's scene (AddContactWayRequest.Scene);
	// SceneParam the link's scene_param, decoded (SceneURL).
	Scene      string `json:"scene,omitempty"`
	SceneParam string `json:"scene_param,omitempty"`
	// WelcomeCode is set when the customer may be welcomed through the API
	// (no welcome in the past 48 hours, and no message to the account):
	// send it with SendMsgOnEvent within 20 seconds, once.
	WelcomeCode    string         `json:"welcome_code,omitempty"`
	WechatChannels *ChannelsEntry `json:"wechat_channels,omitempty"`

	FailMsgID string   `json:"fail_msgid,omitempty"` // msg_send_fail
	FailType  FailType `json:"fail_type,omitempty"`  // msg_send_fail

	Status   ServicerStatus `json:"status,omitempty"`    // servicer_status_change
	StopType StopType       `json:"stop_type,omitempty"` // servicer_status_change, with ServicerStopped

	ChangeType        SessionChange `json:"change_type,omitempty"`         // session_status_change
	OldServicerUserID string        `json:"old_servicer_userid,omitempty"` // change types 2, 3, 4
	NewServicerUserID string        `json:"new_servicer_userid,omitempty"` // change types 1, 2, 4
	// MsgCode (change types 1 and 3) is the code of a reply (taken) or a
	// closing message (ended) for SendMsgOnEvent.
	MsgCode string `json:"msg_code,omitempty"`

	RecallMsgID string `json:"recall_msgid,omitempty"` // user_recall_msg, servicer_recall_msg

	// RejectSwitch is 1 when the servicer started refusing the customer's
	// messages, 0 when they stopped (reject_customer_msg_switch_change).
	RejectSwitch int `json:"reject_switch,omitempty"`
}
