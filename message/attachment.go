package message

import (
	"context"
	"strings"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// MaxAttachments is the most attachments one mass send or welcome message
// carries.
const MaxAttachments = 9

// Documented limits of message content (mass sends, welcome messages and
// group welcome templates), in bytes of UTF-8; each is named where its
// field is and in the error that refuses it.
const (
	maxTextBytes      = 4000 // text.content of a mass send or a welcome message
	maxLinkTitleBytes = 128
	maxLinkDescBytes  = 512
	// maxLinkURLBytes limits link.url and link.picurl of add_msg_template
	// (92135). send_welcome_msg's table (92137; read in a verbatim copy, the
	// stored official page shows only its top) and the group welcome
	// templates' give no length for them, so welcomes are not checked.
	maxLinkURLBytes          = 2048
	maxMiniProgramTitleBytes = 64
)

// MsgType is the kind of an attachment.
type MsgType string

const (
	MsgImage       MsgType = "image"
	MsgLink        MsgType = "link"
	MsgMiniProgram MsgType = "miniprogram"
	MsgVideo       MsgType = "video"
	MsgFile        MsgType = "file"
)

// Text is a text message. Group welcome templates replace %NICKNAME% in it
// with the customer's nickname; mass sends and welcome messages send it as
// written.
type Text struct {
	Content string `json:"content"`
}

// Attachment is one attachment of a mass send or welcome message: MsgType
// and the one matching field. Build it with the constructors: of a media id
// (ImageAttachment, VideoAttachment...), of a file (ImageUpload,
// VideoUpload, FileUpload; a mini-program card's cover is
// MiniProgram.PicUpload), or of a link (LinkAttachment).
//
// # Media ids expire, files do not
//
// A media id (media/upload) lives three days. An attachment of a file
// keeps the file: every send fills in the media id the Service's
// wecom.MediaCache holds for it, uploading the file once and again shortly
// before WeCom forgets it, so that an attachment built at start-up (a
// welcome rule, a recurring mass send) works on day four as on day one.
// When WeCom answers 40007 (it no longer knows a media id the cache still
// held) the files of the request are uploaded again and the request is
// sent once more. An attachment of a bare media id is sent as it is: keep
// the id alive yourself, or give the file instead.
type Attachment struct {
	MsgType     MsgType      `json:"msgtype"`
	Image       *Image       `json:"image,omitempty"`
	Link        *LinkCard    `json:"link,omitempty"`
	MiniProgram *MiniProgram `json:"miniprogram,omitempty"`
	Video       *Video       `json:"video,omitempty"`
	File        *File        `json:"file,omitempty"`
}

// Image is an image: a temporary media id, the file to upload for one
// (Upload), or the URL of an image uploaded with Client.UploadImage. WeCom
// uses MediaID when both are set; answers give MediaID when they can,
// PicURL otherwise.
type Image struct {
	MediaID string `json:"media_id,omitempty"`
	PicURL  string `json:"pic_url,omitempty"`
	// Upload is the image file (JPG or PNG, at most 10 MB); each send
	// fills MediaID from the MediaCache (see Attachment).
	Upload *wecom.MediaSource `json:"-"`
}

// LinkCard is a link card (图文消息) of a mass send, a welcome message or a
// group welcome template: a title, a cover, a description and the page it
// opens.
type LinkCard struct {
	Title  string `json:"title"`            // at most 128 bytes
	PicURL string `json:"picurl,omitempty"` // cover URL, at most 2048 bytes in mass sends
	Desc   string `json:"desc,omitempty"`   // at most 512 bytes
	URL    string `json:"url"`              // http(s) URL, at most 2048 bytes in mass sends
}

// MiniProgram is a mini-program card; the mini-program must be associated
// with the corp.
type MiniProgram struct {
	Title      string `json:"title"`        // at most 64 bytes
	PicMediaID string `json:"pic_media_id"` // cover, temporary media (520×416 recommended)
	AppID      string `json:"appid"`
	Page       string `json:"page"` // page path, e.g. "/pages/index.html"
	// PicUpload is the cover's image file; each send fills PicMediaID from
	// the MediaCache (see Attachment).
	PicUpload *wecom.MediaSource `json:"-"`
}

// Video is a video (temporary media, MP4, at most 10 MB).
type Video struct {
	MediaID string `json:"media_id"`
	// Upload is the video file; each send fills MediaID from the
	// MediaCache (see Attachment).
	Upload *wecom.MediaSource `json:"-"`
}

// File is a file (temporary media, at most 20 MB).
type File struct {
	MediaID string `json:"media_id"`
	// Upload is the file; each send fills MediaID from the MediaCache (see
	// Attachment).
	Upload *wecom.MediaSource `json:"-"`
}

// ImageAttachment is an image attachment of a temporary media id.
func ImageAttachment(mediaID string) Attachment {
	return Attachment{MsgType: MsgImage, Image: &Image{MediaID: mediaID}}
}

// ImageURLAttachment is an image attachment of a URL from Client.UploadImage.
func ImageURLAttachment(picURL string) Attachment {
	return Attachment{MsgType: MsgImage, Image: &Image{PicURL: picURL}}
}

// LinkAttachment is a link card attachment.
func LinkAttachment(l LinkCard) Attachment { return Attachment{MsgType: MsgLink, Link: &l} }

// MiniProgramAttachment is a mini-program card attachment; its cover is a
// media id (PicMediaID) or, to outlive the id's three days, a file
// (PicUpload).
func MiniProgramAttachment(m MiniProgram) Attachment {
	return Attachment{MsgType: MsgMiniProgram, MiniProgram: &m}
}

// VideoAttachment is a video attachment of a temporary media id.
func VideoAttachment(mediaID string) Attachment {
	return Attachment{MsgType: MsgVideo, Video: &Video{MediaID: mediaID}}
}

// FileAttachment is a file attachment of a temporary media id.
func FileAttachment(mediaID string) Attachment {
	return Attachment{MsgType: MsgFile, File: &File{MediaID: mediaID}}
}

// ImageUpload is an image attachment of a file (JPG or PNG, at most 10
// MB): every send uses the media id the MediaCache holds for it (see
// Attachment).
func ImageUpload(src *wecom.MediaSource) Attachment {
	return Attachment{MsgType: MsgImage, Image: &Image{Upload: src}}
}

// VideoUpload is a video attachment of a file (MP4, at most 10 MB): every
// send uses the media id the MediaCache holds for it (see Attachment).
func VideoUpload(src *wecom.MediaSource) Attachment {
	return Attachment{MsgType: MsgVideo, Video: &Video{Upload: src}}
}

// FileUpload is a file attachment of a file (at most 20 MB): every send
// uses the media id the MediaCache holds for it (see Attachment).
func FileUpload(src *wecom.MediaSource) Attachment {
	return Attachment{MsgType: MsgFile, File: &File{Upload: src}}
}

// Attachment uploads src as temporary media now (or finds it in the
// wecom.MediaCache) and returns it as an attachment of type typ: MsgImage,
// MsgVideo or MsgFile. The attachment holds the media id and src: sends
// made after the id has expired use the cache's new one (see Attachment),
// so it may be kept. ImageUpload and the like build the same attachment
// without uploading until the first send.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90253
func (s *Service) Attachment(ctx context.Context, typ MsgType, src *wecom.MediaSource) (Attachment, error) {
	var mt wecom.MediaType
	switch typ {
	case MsgImage:
		mt = wecom.MediaImage
	case MsgVideo:
		mt = wecom.MediaVideo
	case MsgFile:
		mt = wecom.MediaFile
	default:
		return Attachment{}, check.Invalidf("an attachment from a file is an image, a video or a file, not %q", typ)
	}
	if src == nil {
		return Attachment{}, check.Invalidf("nil media source")
	}
	md, err := s.media.UploadMedia(ctx, mt, src)
	if err != nil {
		return Attachment{}, err
	}
	switch typ {
	case MsgImage:
		return Attachment{MsgType: MsgImage, Image: &Image{MediaID: md.MediaID, Upload: src}}, nil
	case MsgVideo:
		return Attachment{MsgType: MsgVideo, Video: &Video{MediaID: md.MediaID, Upload: src}}, nil
	}
	return Attachment{MsgType: MsgFile, File: &File{MediaID: md.MediaID, Upload: src}}, nil
}

// clone copies a and the object it points to.
func (a Attachment) clone() Attachment {
	if a.Image != nil {
		c := *a.Image
		a.Image = &c
	}
	if a.Link != nil {
		c := *a.Link
		a.Link = &c
	}
	if a.MiniProgram != nil {
		c := *a.MiniProgram
		a.MiniProgram = &c
	}
	if a.Video != nil {
		c := *a.Video
		a.Video = &c
	}
	if a.File != nil {
		c := *a.File
		a.File = &c
	}
	return a
}

// validateText checks text against max bytes; text may be nil.
func validateText(text *Text, max int) error {
	if text == nil {
		return nil
	}
	return check.MaxBytes("Text.Content", text.Content, max)
}

// validateAttachments checks a message's attachments; urlLimits applies
// add_msg_template's 2048-byte limit on link urls (mass sends only).
func validateAttachments(as []Attachment, urlLimits bool) error {
	if err := api.MaxItems(check, "Attachments", as, MaxAttachments); err != nil {
		return err
	}
	for i := range as {
		if err := as[i].validate(urlLimits); err != nil {
			return check.Invalidf("Attachments[%d]: %s", i, strings.TrimPrefix(err.Error(), "message: "))
		}
	}
	return nil
}

// validate checks that the attachment holds exactly the object its MsgType
// names, with the documented required fields and limits (urlLimits: see
// validateAttachments).
func (a *Attachment) validate(urlLimits bool) error {
	set := 0
	for _, p := range []bool{a.Image != nil, a.Link != nil, a.MiniProgram != nil, a.Video != nil, a.File != nil} {
		if p {
			set++
		}
	}
	var match bool
	switch a.MsgType {
	case MsgImage:
		match = a.Image != nil
	case MsgLink:
		match = a.Link != nil
	case MsgMiniProgram:
		match = a.MiniProgram != nil
	case MsgVideo:
		match = a.Video != nil
	case MsgFile:
		match = a.File != nil
	default:
		return check.Invalidf("MsgType %q is not image, link, miniprogram, video or file", a.MsgType)
	}
	if !match || set != 1 {
		return check.Invalidf("MsgType %q needs exactly its own object (%s) set", a.MsgType, a.MsgType)
	}
	switch {
	case a.Image != nil:
		return a.Image.validate()
	case a.Link != nil:
		return a.Link.validate(urlLimits)
	case a.MiniProgram != nil:
		return a.MiniProgram.validate()
	case a.Video != nil:
		return a.Video.validate()
	}
	return a.File.validate()
}

func (im *Image) validate() error {
	if im.MediaID == "" && im.PicURL == "" && im.Upload == nil {
		return check.Invalidf("Image needs MediaID, Upload or PicURL")
	}
	return nil
}

func (v *Video) validate() error {
	if v.MediaID == "" && v.Upload == nil {
		return check.Invalidf("Video needs MediaID or Upload")
	}
	return nil
}

func (f *File) validate() error {
	if f.MediaID == "" && f.Upload == nil {
		return check.Invalidf("File needs MediaID or Upload")
	}
	return nil
}

// validate checks a link card; urlLimits applies add_msg_template's 2048-byte
// limit on url and picurl (the welcome APIs document none).
func (l *LinkCard) validate(urlLimits bool) error {
	if err := api.FirstErr(check.Required("Link.Title", l.Title), check.Required("Link.URL", l.URL),
		check.MaxBytes("Link.Title", l.Title, maxLinkTitleBytes), check.MaxBytes("Link.Desc", l.Desc, maxLinkDescBytes)); err != nil {
		return err
	}
	if urlLimits {
		if err := api.FirstErr(check.MaxBytes("Link.URL", l.URL, maxLinkURLBytes), check.MaxBytes("Link.PicURL", l.PicURL, maxLinkURLBytes)); err != nil {
			return err
		}
	}
	if !hasHTTPScheme(l.URL) {
		return check.Invalidf("Link.URL %q must start with http:// or https:// (WeCom answers 45034)", l.URL)
	}
	return nil
}

func (m *MiniProgram) validate() error {
	if m.PicMediaID == "" && m.PicUpload == nil {
		return check.Invalidf("MiniProgram needs PicMediaID or PicUpload (its cover)")
	}
	return api.FirstErr(check.Required("MiniProgram.Title", m.Title),
		check.Required("MiniProgram.AppID", m.AppID), check.Required("MiniProgram.Page", m.Page),
		check.MaxBytes("MiniProgram.Title", m.Title, maxMiniProgramTitleBytes))
}

func hasHTTPScheme(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
