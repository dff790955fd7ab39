// Package contact wraps WeCom's customer-contact (客户联系) APIs: customers
// and their follow users, remarks, corp and rule-group (strategy) tags,
// channel codes 「联系我」, customer inheritance (在职/离职继承), the member
// contact statistics, customer rule groups (客户联系规则组), product albums
// (商品图册), sensitive-word rules (聊天敏感词) and served contacts, plus a
// resumable bulk sync of every customer of a corp.
//
//	svc := contact.New(wecom.New(corpID, secret))
//	ids, err := svc.List(ctx, "zhangsan")
//
// Every method takes a context first and typed requests by pointer, and
// returns typed structs; WeCom's errcode != 0 comes back as *wecom.Error,
// input refused before sending matches ErrInvalidArgument. Reads are
// retried by the client; creates (add_contact_way, add_corp_tag,
// customer_strategy/create, transfers...) are never re-sent once they may
// have reached WeCom, and a create whose outcome is unknown fails with a
// *wecom.MaybeCreatedError naming where to look for it.
//
// Methods named after an endpoint make one call; …Iter walks every page
// (GetIter, BatchGetByUserIter, ListContactWaysIter...); …Many splits any
// number of inputs into calls (BatchGetByUserMany, MarkTagMany,
// TransferCustomerMany). The helpers combine calls: Sync streams every
// customer of the corp with resumable checkpoints, ApplyTaxonomy makes the
// corp's tags match a list kept as data, Channels keeps one contact way
// per marketing channel and applies its tags and remark to each customer
// who scans it, CustomerName reads a customer's name once for the
// helpers handling one new customer, Select picks customers by a tag
// combination WeCom's tag_filter cannot say (none of some tags), and
// Transfers follows customer transfers until each outcome is final.
//
// A request that takes a media id WeCom forgets after three days (a
// remark's picture, a product album's images, a temporary session's closing
// message) also takes the file (RemarkRequest.RemarkPicUpload,
// ImageUpload, ConclusionImage.Upload, ConclusionMiniProgram.PicUpload):
// every call sends the id the Service's wecom.MediaCache holds for the
// file, uploaded once and again before it expires, and after WeCom's 40007
// uploads it again and sends the request once more (see
// Service.MediaCache; New takes a cache to share, WithMediaCache).
package contact

import (
	"errors"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls the customer-contact endpoints for one corp. It is safe for
// concurrent use.
type Service struct {
	c     *wecom.Client
	names nameCache // CustomerName's (customer_name.go)
	media *wecom.MediaCache
}

// Option configures a Service.
type Option func(*Service)

// WithMediaCache makes the Service upload files (a remark's picture,
// product album images, a contact way's closing message) through m, to
// share one cache with other packages or to set its refresh margin
// (default: a wecom.MediaCache of its own over the client's Store; nil
// keeps it).
func WithMediaCache(m *wecom.MediaCache) Option {
	return func(s *Service) {
		if m != nil {
			s.media = m
		}
	}
}

// New returns a Service that calls WeCom through c and uploads files
// through a wecom.MediaCache over c's Store (WithMediaCache to give
// another). Its helpers (Channels, CustomerName's cache, the statistics
// window) read the time on c's clock (wecom.WithClock).
func New(c *wecom.Client, opts ...Option) *Service {
	s := &Service{c: c}
	if c != nil {
		s.names.now = c.Now
	}
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
// request takes a media id that lives three days it also takes the file:
// RemarkRequest.RemarkPicUpload (temporary media), AttachmentImage.Upload
// (a product album image, uploaded with upload_attachment),
// ConclusionImage.Upload and ConclusionMiniProgram.PicUpload (a contact
// way's closing message). Each call sends the media id the cache holds
// for the file, uploaded once and again shortly before WeCom forgets it;
// when WeCom answers 40007 for it all the same, the files are uploaded
// again and the request sent once more (WeCom refused the first, so
// nothing is created twice). The caller's request is never modified: one
// built once works on any day, while a media id dies after three.
func (s *Service) MediaCache() *wecom.MediaCache { return s.media }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("contact: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "contact", Sentinel: ErrInvalidArgument}

// The per-call list sizes a caller needs to split its input; BatchGetByUserMany
// and TransferCustomerMany split by them.
const (
	// MaxBatchUsers is the most member userids one batch/get_by_user call
	// takes.
	MaxBatchUsers = 100
	// MaxTransferCustomers is the most customers one transfer call moves.
	MaxTransferCustomers = 100
)

// Documented limits checked before calling WeCom; each is named in the doc
// of the field it bounds and in the error that refuses a value beyond it.
const (
	maxBatchLimit      = 100 // page size of batch/get_by_user
	maxStateLen        = 30  // contact-way state, in characters
	maxContactWayUsers = 100 // members one contact way may name
	maxTagNameLen      = 30  // tag or tag-group name, in characters

	// Closing messages (Conclusions) of temporary-session contact ways, in
	// bytes of UTF-8.
	maxConclusionTextBytes      = 4000 // text.content
	maxConclusionLinkTitleBytes = 128  // link.title
	maxConclusionLinkDescBytes  = 512  // link.desc
	maxConclusionMiniTitleBytes = 64   // miniprogram.title
)

// IsNotFound reports whether err is WeCom's answer that the tag, tag group
// (40068, invalid tag or group id) or contact way (41044, invalid
// config_id) named in the call does not exist.
//
// Deletes (DelCorpTag, DelStrategyTag, DelContactWay) are repeated by the
// client when an attempt may have failed in transit; if the first attempt
// had in fact succeeded, the repetition is told the thing does not exist.
// After a delete, an error for which IsNotFound is true means it is gone.
func IsNotFound(err error) bool {
	switch wecom.ErrorCode(err) {
	case wecom.CodeInvalidTagID, wecom.CodeInvalidConfigID:
		return true
	}
	return false
}
