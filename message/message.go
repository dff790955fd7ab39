// Package message wraps WeCom's customer-messaging APIs: mass sends to
// customers and customer groups (企业群发) with a fan-out over any audience
// and an aggregator of their results, new-customer welcome messages and
// group welcome templates (欢迎语), Moments posts (客户朋友圈) with a poller
// for their creation jobs, and Moments rule groups (朋友圈规则组).
//
//	svc := message.New(wecom.New(corpID, secret))
//	tasks, err := svc.MassSend(ctx, &message.MassSendRequest{...})
//
// Every method takes a context first and returns typed structs; WeCom's
// errcode != 0 comes back as *wecom.Error and input refused before sending
// matches ErrInvalidArgument. Reads are retried by the client. Creates
// (add_msg_template, add_moment_task, group_welcome_template/add,
// moment_strategy/create) are never re-sent once they may have reached
// WeCom: such an error matches wecom.ErrOutcomeUnknown and is a
// *wecom.MaybeCreatedError naming the time window to list to find out
// whether the thing was created. Every …Iter method walks all pages of its
// page method from the request's cursor.
//
// Files for attachments are uploaded through a wecom.MediaCache, so that a
// file used by many sends is uploaded once every three days; New takes one
// to share (WithMediaCache). Wherever a request takes a temporary media id
// it also takes the file (ImageUpload, MiniProgram.PicUpload,
// MomentImageUpload...): a request, a welcome rule or a template built once
// with files works on any day, while a media id dies after three.
//
// Welcomes greets new customers by rules from the add_external_contact
// event, beside the channel helpers of contact and acquisition on the same
// callback.Handler, in any order of registration: the Handler runs them
// concurrently and re-runs only the ones that failed. It knows nothing of
// those packages: a channel helper is a ChannelResolver, and the
// contact.Service that names customers is a NameSource.
package message

import (
	"errors"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls the messaging endpoints for one corp. It is safe for
// concurrent use and cheap to build: rule-group edits are kept serial and
// reminders counted per corp, through the client's Store, on the client's
// clock (wecom.WithClock).
type Service struct {
	c     *wecom.Client
	media *wecom.MediaCache
}

// Option configures a Service.
type Option func(*Service)

// WithMediaCache makes the Service upload attachment files through m, to
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

// New returns a Service that calls WeCom through c and uploads attachment
// files through a wecom.MediaCache over c's Store (WithMediaCache to give
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

// MediaCache returns the cache attachment files are uploaded through.
func (s *Service) MediaCache() *wecom.MediaCache { return s.media }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("message: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "message", Sentinel: ErrInvalidArgument}
