package kf

import "github.com/scrmkit/scrm/wecom"

// The bodies of messages, as sync_msg reads them and send_msg sends them.
// One type serves both directions where WeCom uses one shape; a field that
// only one direction has says so.

// MsgType is a message's type: the name of its body in WeCom's JSON.
type MsgType string

// Message types. sync_msg returns the ones its page lists (文本、图片、
// 语音、视频、文件、位置、链接、名片、小程序、菜单、事件) and, in newer
// pushes, 视频号 products and orders, forwarded chat records, 视频号 posts
// and notes; send_msg sends text, media, link, mini-program, menu,
// location and 获客链接 messages; send_msg_on_event text and menus.
const (
	MsgText                MsgType = "text"
	MsgImage               MsgType = "image"
	MsgVoice               MsgType = "voice"
	MsgVideo               MsgType = "video"
	MsgFile                MsgType = "file"
	MsgLocation            MsgType = "location"
	MsgLink                MsgType = "link"
	MsgBusinessCard        MsgType = "business_card"
	MsgMiniProgram         MsgType = "miniprogram"
	MsgMenu                MsgType = "msgmenu"
	MsgChannelsShopProduct MsgType = "channels_shop_product"
	MsgChannelsShopOrder   MsgType = "channels_shop_order"
	MsgMergedMsg           MsgType = "merged_msg"
	MsgChannels            MsgType = "channels"
	MsgNote                MsgType = "note"
	MsgCALink              MsgType = "ca_link"
	MsgEvent               MsgType = "event"
)

// Text is a text message.
type Text struct {
	// Content is the text; send_msg takes at most 2,048 bytes.
	Content string `json:"content"`
	// MenuID (received only) is the id of the menu item the customer
	// tapped, when the text is the reply a click item sends.
	MenuID string `json:"menu_id,omitempty"`
}

// Image is an image message: a temporary media id (media/get downloads a
// received one; send a temporary image uploaded with media/upload, or its
// file, Upload). sync_msg gives a text notice instead of an image over 2
// MB.
type Image struct {
	MediaID string `json:"media_id"`
	// Upload (sent only) is the image file (at most 10 MB); each send
	// fills MediaID from the Service's MediaCache (see Service.MediaCache).
	Upload *wecom.MediaSource `json:"-"`
}

// Voice is a voice message (AMR, or Silk when SyncMsgRequest.VoiceFormat
// asks for it); over 2 MB it arrives as a text notice. A voice to send is
// a temporary media id or its AMR file (Upload).
type Voice struct {
	MediaID string `json:"media_id"`
	// Upload (sent only) is the AMR file (at most 2 MB); each send fills
	// MediaID from the Service's MediaCache.
	Upload *wecom.MediaSource `json:"-"`
}

// Video is a video message; over 10 MB it arrives as a text notice. A
// video to send is a temporary media id or its MP4 file (Upload).
type Video struct {
	MediaID string `json:"media_id"`
	// Upload (sent only) is the MP4 file (at most 10 MB); each send fills
	// MediaID from the Service's MediaCache.
	Upload *wecom.MediaSource `json:"-"`
}

// File is a file message; over 20 MB it arrives as a text notice. A file
// to send is a temporary media id or the file itself (Upload).
type File struct {
	MediaID string `json:"media_id"`
	// Upload (sent only) is the file (at most 20 MB); each send fills
	// MediaID from the Service's MediaCache.
	Upload *wecom.MediaSource `json:"-"`
}

// Location is a location message.
type Location struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
	// Latitude is -90 to 90, required to send.
	Latitude float64 `json:"latitude"`
	// Longitude is -180 to 180, required to send.
	Longitude float64 `json:"longitude"`
}

// WebLink is a link message (图文链接).
type WebLink struct {
	// Title is required to send; over 128 bytes WeCom cuts it.
	Title string `json:"title"`
	// Desc is the description; over 512 bytes WeCom cuts it.
	Desc string `json:"desc,omitempty"`
	// URL is required to send: at most 2,048 bytes, http:// or https://.
	URL string `json:"url"`
	// PicURL (received only) is the thumbnail's URL.
	PicURL string `json:"pic_url,omitempty"`
	// ThumbMediaID (sent only, required unless ThumbUpload is set) is the
	// thumbnail: a temporary image.
	ThumbMediaID string `json:"thumb_media_id,omitempty"`
	// ThumbUpload (sent only) is the thumbnail's image file; each send
	// fills ThumbMediaID from the Service's MediaCache.
	ThumbUpload *wecom.MediaSource `json:"-"`
}

// BusinessCard is a member's business card (名片) a customer received and
// forwarded.
type BusinessCard struct {
	UserID string `json:"userid"`
}

// MiniProgram is a mini-program card.
type MiniProgram struct {
	// AppID is required to send: a mini program linked to the corp.
	AppID string `json:"appid"`
	// Title is at most 64 bytes (longer is cut).
	Title string `json:"title,omitempty"`
	// PagePath is the page the card opens; required to send.
	PagePath string `json:"pagepath"`
	// ThumbMediaID is the cover, a temporary image (520×416 suggested);
	// required to send, unless ThumbUpload is set.
	ThumbMediaID string `json:"thumb_media_id"`
	// ThumbUpload (sent only) is the cover's image file; each send fills
	// ThumbMediaID from the Service's MediaCache.
	ThumbUpload *wecom.MediaSource `json:"-"`
}

// CALink is a 获客链接 message: a link made by the customer acquisition
// assistant (获客助手, package acquisition). The page lists the type; its
// body field is the one other SDKs send and could not be confirmed on it.
type CALink struct {
	LinkURL string `json:"link_url"`
}

// Menu is a menu message (菜单消息): text around up to 10 items the
// customer taps.
type Menu struct {
	HeadContent string     `json:"head_content,omitempty"` // at most 1,024 bytes
	List        []MenuItem `json:"list"`                   // at most 10 items (95008)
	TailContent string     `json:"tail_content,omitempty"` // at most 1,024 bytes
}

// MenuItemType is the kind of a menu item.
type MenuItemType string

// Menu item kinds.
const (
	// MenuClick sends the item's Content back as the customer's text
	// message, with MenuID set to the item's ID.
	MenuClick MenuItemType = "click"
	// MenuView opens a web page.
	MenuView MenuItemType = "view"
	// MenuMiniProgram opens a mini-program page.
	MenuMiniProgram MenuItemType = "miniprogram"
	// MenuText is plain text inside the menu, not tappable.
	MenuText MenuItemType = "text"
)

// MenuItem is one item of a menu; exactly the field of its Type is set.
// ClickItem, ViewItem, MiniProgramItem and TextItem build them.
type MenuItem struct {
	Type        MenuItemType         `json:"type"`
	Click       *MenuClickItem       `json:"click,omitempty"`
	View        *MenuViewItem        `json:"view,omitempty"`
	MiniProgram *MenuMiniProgramItem `json:"miniprogram,omitempty"`
	Text        *MenuTextItem        `json:"text,omitempty"`
}

// MenuClickItem replies with a text message from the customer.
type MenuClickItem struct {
	// ID is echoed as Text.MenuID: 1 to 128 bytes (one SDK says 64; the
	// page's limit could not be confirmed, the SDK checks 128).
	ID string `json:"id"`
	// Content is the item's label and the customer's reply, 1 to 128 bytes.
	Content string `json:"content"`
}

// MenuViewItem opens a URL.
type MenuViewItem struct {
	URL     string `json:"url"`     // 1 to 2,048 bytes
	Content string `json:"content"` // the label, 1 to 1,024 bytes
}

// MenuMiniProgramItem opens a mini-program page.
type MenuMiniProgramItem struct {
	AppID    string `json:"appid"`    // 1 to 32 bytes
	PagePath string `json:"pagepath"` // 1 to 1,024 bytes
	Content  string `json:"content"`  // the label, 1 to 1,024 bytes
}

// MenuTextItem is a line of text in the menu. The item kind is newer than
// the page's copies that could be read; its fields are the ones other
// SDKs send.
type MenuTextItem struct {
	// Content is 1 to 256 bytes; "\n" (backslash and n) breaks the line.
	Content string `json:"content"`
	// NoNewline is 1 to keep the next item on the same line (0, the
	// default, starts a new one).
	NoNewline int `json:"no_newline,omitempty"`
}

// ClickItem returns a click item: tapping it sends content back as the
// customer's text, with MenuID id.
func ClickItem(id, content string) MenuItem {
	return MenuItem{Type: MenuClick, Click: &MenuClickItem{ID: id, Content: content}}
}

// ViewItem returns an item that opens url.
func ViewItem(url, content string) MenuItem {
	return MenuItem{Type: MenuView, View: &MenuViewItem{URL: url, Content: content}}
}

// MiniProgramItem returns an item that opens a mini-program page.
func MiniProgramItem(appID, pagePath, content string) MenuItem {
	return MenuItem{Type: MenuMiniProgram, MiniProgram: &MenuMiniProgramItem{AppID: appID, PagePath: pagePath, Content: content}}
}

// TextItem returns a line of text.
func TextItem(content string) MenuItem {
	return MenuItem{Type: MenuText, Text: &MenuTextItem{Content: content}}
}

// ChannelsShopProduct is a 视频号 shop product a customer sent. Its fields
// are the ones other SDKs read: the page's section could not be read.
type ChannelsShopProduct struct {
	ProductID     string `json:"product_id"`
	HeadImage     string `json:"head_image"`
	Title         string `json:"title"`
	SalesPrice    string `json:"sales_price"` // in fen (分), as sent
	ShopNickname  string `json:"shop_nickname"`
	ShopHeadImage string `json:"shop_head_image"`
}

// ChannelsShopOrder is a 视频号 shop order a customer sent. Fields as for
// ChannelsShopProduct.
type ChannelsShopOrder struct {
	OrderID       string `json:"order_id"`
	ProductTitles string `json:"product_titles"`
	PriceWording  string `json:"price_wording"`
	State         string `json:"state"`
	ImageURL      string `json:"image_url"`
	ShopNickname  string `json:"shop_nickname"`
}

// MergedMsg is a forwarded chat record (聊天记录). Fields as other SDKs
// read them.
type MergedMsg struct {
	Title string          `json:"title"`
	Item  []MergedMsgItem `json:"item"`
}

// MergedMsgItem is one message of a forwarded chat record.
type MergedMsgItem struct {
	SendTime   int64  `json:"send_time"`
	MsgType    string `json:"msgtype"`
	SenderName string `json:"sender_name"`
	// MsgContent is the message's body as a JSON string, as WeCom sends it.
	MsgContent string `json:"msg_content"`
}

// ChannelsFeed is a 视频号 post a customer shared. Fields as other SDKs
// read them.
type ChannelsFeed struct {
	SubType  int    `json:"sub_type"` // 1 post, 2 live, 3 card (other SDKs' reading)
	Nickname string `json:"nickname"`
	Title    string `json:"title"`
}

// Note is a note (笔记) a customer shared; WeCom sends its body empty as
// far as other SDKs show.
type Note struct{}
