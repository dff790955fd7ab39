package appmsg

import (
	"fmt"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// MsgType is the msgtype of an application message.
type MsgType string

// The message types of message/send (90236; 90372 for third-party apps).
const (
	MsgText              MsgType = "text"
	MsgImage             MsgType = "image"
	MsgVoice             MsgType = "voice"
	MsgVideo             MsgType = "video"
	MsgFile              MsgType = "file"
	MsgTextCard          MsgType = "textcard"
	MsgNews              MsgType = "news"
	MsgMpNews            MsgType = "mpnews"
	MsgMarkdown          MsgType = "markdown"
	MsgMiniProgramNotice MsgType = "miniprogram_notice"
	MsgTemplateCard      MsgType = "template_card"
	MsgTemplateMsg       MsgType = "template_msg" // third-party apps only
)

// Message is one application message's content: *Text, *Image, *Voice,
// *Video, *File, *TextCard, *News, *MpNews, *Markdown, *MiniProgramNotice,
// *TemplateCard or *TemplateMsg (values work as well as pointers). Each is
// checked against the limits of 90236 before anything is sent. WeCom cuts
// an over-long text, title or description instead of refusing it; the SDK
// refuses it, so that a message is never delivered cut.
type Message interface {
	msgType() MsgType
	check() error
}

// Documented limits of the message bodies (90236), enforced before
// sending and named in the errors that refuse them.
const (
	maxTextBytes        = 2048      // text.content, markdown.content
	maxTitleBytes       = 128       // video, textcard and article titles
	maxDescriptionBytes = 512       // video, textcard and article descriptions, mpnews digest
	maxURLBytes         = 2048      // textcard and article urls, template_msg url
	maxBtnTxtChars      = 4         // textcard.btntxt
	maxArticles         = 8         // news and mpnews articles
	maxAuthorBytes      = 64        // mpnews author
	maxMpContentBytes   = 666 << 10 // mpnews content: 666 K bytes
	maxNoticeItems      = 10        // miniprogram_notice content_item
)

// Text is a text message: Content, at most 2048 bytes, may hold links
// (<a href="...">) and id-translation placeholders (UserName,
// DepartmentName).
type Text struct {
	Content string `json:"content"`
}

func (Text) msgType() MsgType { return MsgText }
func (m Text) check() error {
	return api.FirstErr(check.Required("Text.Content", m.Content), check.MaxBytes("Text.Content", m.Content, maxTextBytes))
}

// Image is an image message: a temporary media id (media/upload, type
// image), or the file to upload for one (Upload).
type Image struct {
	MediaID string `json:"media_id"`
	// Upload is the image file (JPG or PNG, at most 10 MB); each send
	// fills MediaID from the Service's MediaCache (see Service.MediaCache).
	Upload *wecom.MediaSource `json:"-"`
}

func (Image) msgType() MsgType { return MsgImage }
func (m Image) check() error {
	return check.RequiredMedia("Image.MediaID", m.MediaID, "Image.Upload", m.Upload)
}

// Voice is a voice message: a temporary media id (media/upload, type
// voice, AMR), or the file to upload for one (Upload).
type Voice struct {
	MediaID string `json:"media_id"`
	// Upload is the AMR file (at most 2 MB, 60 seconds); each send fills
	// MediaID from the Service's MediaCache.
	Upload *wecom.MediaSource `json:"-"`
}

func (Voice) msgType() MsgType { return MsgVoice }
func (m Voice) check() error {
	return check.RequiredMedia("Voice.MediaID", m.MediaID, "Voice.Upload", m.Upload)
}

// Video is a video message: a temporary media id (media/upload, type
// video) or the file to upload for one (Upload), with an optional title
// (at most 128 bytes) and description (512 bytes).
type Video struct {
	MediaID     string `json:"media_id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// Upload is the MP4 file (at most 10 MB); each send fills MediaID from
	// the Service's MediaCache.
	Upload *wecom.MediaSource `json:"-"`
}

func (Video) msgType() MsgType { return MsgVideo }
func (m Video) check() error {
	return api.FirstErr(check.RequiredMedia("Video.MediaID", m.MediaID, "Video.Upload", m.Upload),
		check.MaxBytes("Video.Title", m.Title, maxTitleBytes),
		check.MaxBytes("Video.Description", m.Description, maxDescriptionBytes))
}

// File is a file message: a temporary media id (media/upload, type file),
// or the file to upload for one (Upload).
type File struct {
	MediaID string `json:"media_id"`
	// Upload is the file (at most 20 MB); each send fills MediaID from the
	// Service's MediaCache.
	Upload *wecom.MediaSource `json:"-"`
}

func (File) msgType() MsgType { return MsgFile }
func (m File) check() error {
	return check.RequiredMedia("File.MediaID", m.MediaID, "File.Upload", m.Upload)
}

// TextCard is a text card: a title (at most 128 bytes), a description (512
// bytes; WeCom renders the <div class="gray|normal|highlight"> classes)
// and the link it opens (http or https, at most 2048 bytes), with an
// optional button text (at most 4 characters; WeCom's default is 详情).
type TextCard struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	BtnTxt      string `json:"btntxt,omitempty"`
}

func (TextCard) msgType() MsgType { return MsgTextCard }
func (m TextCard) check() error {
	return api.FirstErr(check.Required("TextCard.Title", m.Title), check.MaxBytes("TextCard.Title", m.Title, maxTitleBytes),
		check.Required("TextCard.Description", m.Description),
		check.MaxBytes("TextCard.Description", m.Description, maxDescriptionBytes),
		check.Required("TextCard.URL", m.URL), check.MaxBytes("TextCard.URL", m.URL, maxURLBytes),
		charsIn("TextCard.BtnTxt", m.BtnTxt, 0, maxBtnTxtChars))
}

// News is a news message: 1 to 8 articles, shown as one card (the first
// large, the others small).
type News struct {
	Articles []Article `json:"articles"`
}

// Article is one article of a News message: a title (at most 128 bytes), a
// description (512 bytes), a picture URL (JPG or PNG; 1068×455 large,
// 150×150 small), and either a link (URL, at most 2048 bytes) or a page of
// a mini program linked to the app (AppID and PagePath, which win over
// URL).
type Article struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	PicURL      string `json:"picurl,omitempty"`
	AppID       string `json:"appid,omitempty"`
	PagePath    string `json:"pagepath,omitempty"`
}

func (News) msgType() MsgType { return MsgNews }
func (m News) check() error {
	if len(m.Articles) == 0 || len(m.Articles) > maxArticles {
		return check.Invalidf("News has %d articles; WeCom takes 1 to %d", len(m.Articles), maxArticles)
	}
	for i, a := range m.Articles {
		name := fmt.Sprintf("News.Articles[%d]", i)
		if err := api.FirstErr(check.Required(name+".Title", a.Title), check.MaxBytes(name+".Title", a.Title, maxTitleBytes),
			check.MaxBytes(name+".Description", a.Description, maxDescriptionBytes),
			check.MaxBytes(name+".URL", a.URL, maxURLBytes)); err != nil {
			return err
		}
		if (a.AppID == "") != (a.PagePath == "") {
			return check.Invalidf("%s: AppID and PagePath go together (a mini program page)", name)
		}
		if a.URL == "" && a.AppID == "" {
			return check.Invalidf("%s: give a URL or a mini program page (AppID and PagePath)", name)
		}
	}
	return nil
}

// MpNews is a news message whose articles are kept by WeCom (图文消息
// mpnews): 1 to 8 articles with their content, opened inside WeCom.
type MpNews struct {
	Articles []MpArticle `json:"articles"`
}

// MpArticle is one article of an MpNews message: a title (at most 128
// bytes), a thumbnail (ThumbMediaID, a temporary image media id, or its
// file, ThumbUpload), an author (64 bytes), the page "read more" opens, the
// content (HTML, at most 666 K bytes) and a digest (512 bytes).
type MpArticle struct {
	Title            string `json:"title"`
	ThumbMediaID     string `json:"thumb_media_id"`
	Author           string `json:"author,omitempty"`
	ContentSourceURL string `json:"content_source_url,omitempty"`
	Content          string `json:"content"`
	Digest           string `json:"digest,omitempty"`
	// ThumbUpload is the thumbnail's image file; each send fills
	// ThumbMediaID from the Service's MediaCache.
	ThumbUpload *wecom.MediaSource `json:"-"`
}

func (MpNews) msgType() MsgType { return MsgMpNews }
func (m MpNews) check() error {
	if len(m.Articles) == 0 || len(m.Articles) > maxArticles {
		return check.Invalidf("MpNews has %d articles; WeCom takes 1 to %d", len(m.Articles), maxArticles)
	}
	for i, a := range m.Articles {
		name := fmt.Sprintf("MpNews.Articles[%d]", i)
		if err := api.FirstErr(check.Required(name+".Title", a.Title), check.MaxBytes(name+".Title", a.Title, maxTitleBytes),
			check.RequiredMedia(name+".ThumbMediaID", a.ThumbMediaID, name+".ThumbUpload", a.ThumbUpload),
			check.MaxBytes(name+".Author", a.Author, maxAuthorBytes),
			check.Required(name+".Content", a.Content), check.MaxBytes(name+".Content", a.Content, maxMpContentBytes),
			check.MaxBytes(name+".Digest", a.Digest, maxDescriptionBytes)); err != nil {
			return err
		}
	}
	return nil
}

// Markdown is a markdown message (WeCom's subset: headings, bold, links,
// code, quotes, <font color="info|comment|warning">), at most 2048 bytes.
// WeCom's client shows it; the WeChat plugin does not.
type Markdown struct {
	Content string `json:"content"`
}

func (Markdown) msgType() MsgType { return MsgMarkdown }
func (m Markdown) check() error {
	return api.FirstErr(check.Required("Markdown.Content", m.Content), check.MaxBytes("Markdown.Content", m.Content, maxTextBytes))
}

// MiniProgramNotice is a mini program notice (小程序通知消息). Only the
// token of a mini program app linked to the corp may send it; other apps
// are refused by WeCom. Title and Description are 4 to 12 characters, at
// most 10 items, each key at most 10 characters and value 30.
type MiniProgramNotice struct {
	AppID             string       `json:"appid"`
	Page              string       `json:"page,omitempty"` // empty: the notice opens nothing
	Title             string       `json:"title"`
	Description       string       `json:"description,omitempty"`
	EmphasisFirstItem bool         `json:"emphasis_first_item,omitempty"`
	ContentItem       []NoticeItem `json:"content_item,omitempty"`
}

// NoticeItem is one key-value line of a MiniProgramNotice.
type NoticeItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func (MiniProgramNotice) msgType() MsgType { return MsgMiniProgramNotice }
func (m MiniProgramNotice) check() error {
	if err := api.FirstErr(check.Required("MiniProgramNotice.AppID", m.AppID),
		check.Required("MiniProgramNotice.Title", m.Title), charsIn("MiniProgramNotice.Title", m.Title, 4, 12)); err != nil {
		return err
	}
	if m.Description != "" {
		if err := charsIn("MiniProgramNotice.Description", m.Description, 4, 12); err != nil {
			return err
		}
	}
	if err := api.MaxItems(check, "MiniProgramNotice.ContentItem", m.ContentItem, maxNoticeItems); err != nil {
		return err
	}
	for i, it := range m.ContentItem {
		name := fmt.Sprintf("MiniProgramNotice.ContentItem[%d]", i)
		if err := api.FirstErr(check.Required(name+".Key", it.Key), charsIn(name+".Key", it.Key, 0, 10),
			charsIn(name+".Value", it.Value, 0, 30)); err != nil {
			return err
		}
	}
	return nil
}

// TemplateMsg is a template message (模板消息, msgtype template_msg): a
// message of a template the service provider registered in its admin
// console and WeCom approved. Third-party apps only; self-built apps are
// refused by WeCom. TemplateID is at most 64 bytes; a link (URL, http or
// https, at most 2048 bytes) or a mini program page (MiniProgram, which
// wins) is required; 1 to 5 items, each key 1 to 20 characters and value 1
// to 40, matching the template. Members outside the app's visible range
// can be reached through SendRequest.SelectedTicketList.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94515
type TemplateMsg struct {
	TemplateID  string                  `json:"template_id"`
	URL         string                  `json:"url,omitempty"`
	MiniProgram *TemplateMsgMiniProgram `json:"miniprogram,omitempty"`
	ContentItem []TemplateMsgItem       `json:"content_item"`
}

// TemplateMsgMiniProgram is the mini program page a TemplateMsg opens: a
// mini program linked to the app, and a page of it.
type TemplateMsgMiniProgram struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath"`
}

// TemplateMsgItem is one key-value item of a TemplateMsg.
type TemplateMsgItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func (TemplateMsg) msgType() MsgType { return MsgTemplateMsg }
func (m TemplateMsg) check() error {
	if err := api.FirstErr(check.Required("TemplateMsg.TemplateID", m.TemplateID),
		check.MaxBytes("TemplateMsg.TemplateID", m.TemplateID, 64),
		check.MaxBytes("TemplateMsg.URL", m.URL, maxURLBytes)); err != nil {
		return err
	}
	if m.URL == "" && m.MiniProgram == nil {
		return check.Invalidf("TemplateMsg: give a URL or a MiniProgram page")
	}
	if mp := m.MiniProgram; mp != nil {
		if err := api.FirstErr(check.Required("TemplateMsg.MiniProgram.AppID", mp.AppID),
			check.Required("TemplateMsg.MiniProgram.PagePath", mp.PagePath)); err != nil {
			return err
		}
	}
	if n := len(m.ContentItem); n == 0 || n > 5 {
		return check.Invalidf("TemplateMsg has %d content items; WeCom takes 1 to 5 (as the template says)", n)
	}
	for i, it := range m.ContentItem {
		name := fmt.Sprintf("TemplateMsg.ContentItem[%d]", i)
		if err := api.FirstErr(charsIn(name+".Key", it.Key, 1, 20), charsIn(name+".Value", it.Value, 1, 40)); err != nil {
			return err
		}
	}
	return nil
}

// UserName returns the id-translation placeholder of a member
// ($userName=USERID$): WeCom shows the member's name in its place. Third-
// party and agent-developed apps, which may not read members' names (since
// 2022-06-20), write names this way; set SendRequest.EnableIDTrans. It
// works in text content, the title and description of textcards, news and
// mpnews articles (and mpnews content), mini program notices, template
// messages and template cards, and nowhere else (90236, id转译说明).
func UserName(userID string) string { return "$userName=" + userID + "$" }

// DepartmentName returns the id-translation placeholder of a department
// ($departmentName=ID$): WeCom shows the department's name in its place.
// See UserName for where it works.
func DepartmentName(departmentID int) string {
	return fmt.Sprintf("$departmentName=%d$", departmentID)
}
