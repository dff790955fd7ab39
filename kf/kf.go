package kf

import (
	"errors"
	"regexp"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls WeChat customer service (微信客服) for one corp, with the
// token of the app whose client it was built from (see the package doc for
// which app may call what). It is safe for concurrent use.
type Service struct {
	c     *wecom.Client
	media *wecom.MediaCache
}

// Option configures a Service.
type Option func(*Service)

// WithMediaCache makes the Service upload the files of messages, avatars
// and answers (Image.Upload, AddAccountRequest.Upload,
// AttachmentMedia.Upload...) through m, to share one cache with other
// packages or to set its refresh margin (default: a wecom.MediaCache of
// its own over the client's Store; nil keeps it).
func WithMediaCache(m *wecom.MediaCache) Option {
	return func(s *Service) {
		if m != nil {
			s.media = m
		}
	}
}

// New returns a Service that calls WeCom through c and uploads files
// through a wecom.MediaCache over c's Store (WithMediaCache to give
// another).
func New(c *wecom.Client, opts ...Option) *Service {
	s := &Service{c: c}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.media == nil {
		s.media = wecom.NewMediaCache(c)
	}
	return s
}

// Client returns the client the Service calls through.
func (s *Service) Client() *wecom.Client { return s.c }

// MediaCache returns the cache files are uploaded through. Wherever a
// request takes a temporary media id it also takes the file (Image.Upload,
// Voice.Upload, Video.Upload, File.Upload, WebLink.ThumbUpload,
// MiniProgram.ThumbUpload, AddAccountRequest.Upload,
// UpdateAccountRequest.Upload, AttachmentMedia.Upload): each call sends
// the media id the cache holds for the file, uploaded once and again
// shortly before WeCom forgets it (three days after the upload); when
// WeCom answers 40007 for it all the same, the files are uploaded again
// and the request sent once more (WeCom refused the first, so nothing is
// sent twice). The caller's request is never modified: one built once
// works on any day, while a media id dies after three.
func (s *Service) MediaCache() *wecom.MediaCache { return s.media }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("kf: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "kf", Sentinel: ErrInvalidArgument}

// IsNotFound reports whether err is WeCom saying the customer-service
// account does not exist (95004: another corp's, or deleted) or the
// open_kfid is not one (95000).
func IsNotFound(err error) bool {
	switch wecom.ErrorCode(err) {
	case wecom.CodeKFAccountNotFound, wecom.CodeKFInvalidOpenKfID:
		return true
	}
	return false
}

// Limits WeCom documents for one call. The exported ones are the sizes a
// caller chunks its input by; the others are checked where the field is
// and named in the error that refuses them.
const (
	// MaxServicers is the most userids, and the most department ids, one
	// AddServicer or DelServicer call takes (可填充个数：0 ~ 100).
	MaxServicers = 100
	// MaxCustomers is the most external_userids one CustomerBatchGet call
	// takes; CustomerBatchGetMany chunks by it.
	MaxCustomers = 100

	maxAccountName     = 16   // characters (不多于16个字符)
	maxMediaID         = 128  // bytes
	maxOpenKfID        = 64   // bytes
	maxScene           = 32   // bytes, [0-9a-zA-Z_-]*
	maxSceneParam      = 128  // bytes before urlencoding
	maxAccountPage     = 100  // account/list limit (1 ~ 100)
	maxSyncLimit       = 1000 // sync_msg limit (默认值和最大值都为1000)
	maxSyncCursor      = 64   // bytes
	maxSyncToken       = 128  // bytes
	maxMsgID           = 32   // bytes, [0-9a-zA-Z_-]*
	maxTextBytes       = 2048 // send_msg text.content
	maxMenuItems       = 10   // 95008
	maxMenuText        = 1024 // head_content, tail_content
	maxURL             = 2048 // bytes
	maxKnowledgeName   = 12   // characters
	maxQuestion        = 200  // characters
	maxAnswer          = 500  // characters
	maxSimilar         = 100  // similar questions
	maxAttachments     = 4    // per answer
	maxKnowledgePage   = 1000 // list_group, list_intent limit
	statisticSpanDays  = 31   // [start_time, end_time], both ends included
	statisticRangeDays = 180  // the oldest day that can be read
)

// idChars is the alphabet of scene values and msgids ([0-9a-zA-Z_-]*).
var idChars = regexp.MustCompile(`^[0-9a-zA-Z_-]*$`)

// token refuses a value with characters outside [0-9a-zA-Z_-] or longer
// than max bytes.
func token(name, v string, max int) error {
	if err := check.MaxBytes(name, v, max); err != nil {
		return err
	}
	if !idChars.MatchString(v) {
		return check.Invalidf("%s %q: WeCom allows only letters, digits, '_' and '-'", name, v)
	}
	return nil
}

// checkOpenKfID refuses an empty or over-long open_kfid.
func checkOpenKfID(v string) error {
	return api.FirstErr(check.Required("OpenKfID", v), check.MaxBytes("OpenKfID", v, maxOpenKfID))
}
