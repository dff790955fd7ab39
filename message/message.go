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
// (add_msg_template, add_moment_task, group_welcome_template/add) are never
// re-sent once they may have reached WeCom: such an error matches
// wecom.ErrOutcomeUnknown and is a *wecom.MaybeCreatedError naming the time window
// to list to find out whether the thing was created.
//
// Files for attachments are uploaded through a wecom.MediaCache, so that a
// file used by many sends is uploaded once every three days.
package message

import (
	"context"
	"errors"
	"iter"
	"net/url"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls the messaging endpoints for one corp. It is safe for
// concurrent use and cheap to build: rule-group edits are kept serial and
// reminders counted per corp, through the client's Store.
type Service struct {
	c     *wecom.Client
	media *wecom.MediaCache

	clock func() time.Time
}

// New returns a Service that calls WeCom through c and uploads attachment
// files through a wecom.MediaCache over c's Store.
func New(c *wecom.Client) *Service {
	return &Service{c: c, media: wecom.NewMediaCache(c), clock: time.Now}
}

// WithMediaCache makes the Service upload attachment files through m (to
// share one cache with other packages, or to set its margin) and returns
// the Service. Call it before the Service is used.
func (s *Service) WithMediaCache(m *wecom.MediaCache) *Service {
	if m != nil {
		s.media = m
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

func invalidf(format string, args ...any) error { return check.Invalidf(format, args...) }

func required(name, v string) error { return check.Required(name, v) }

func maxBytes(name, v string, n int) error { return check.MaxBytes(name, v, n) }

func maxChars(name, v string, n int) error { return check.MaxChars(name, v, n) }

func maxItems[T any](name string, v []T, n int) error { return api.MaxItems(check, name, v, n) }

func limitIn(name string, v, max int) error {
	if v < 0 || v > max {
		return invalidf("%s is %d; WeCom allows 1 to %d (0 for its default)", name, v, max)
	}
	return nil
}

func firstErr(errs ...error) error { return api.FirstErr(errs...) }

// read calls a POST endpoint that only reads (safe to repeat).
func (s *Service) read(ctx context.Context, path string, body, out any) error {
	return api.Read(ctx, s.c, path, body, out)
}

// idempotent calls a POST endpoint whose repetition leaves the same state.
func (s *Service) idempotent(ctx context.Context, path string, body, out any) error {
	return api.Idempotent(ctx, s.c, path, body, out)
}

// write calls a POST endpoint that creates something or whose repetition
// has an effect of its own: never re-sent once it may have reached WeCom.
func (s *Service) write(ctx context.Context, path string, body, out any) error {
	return api.Write(ctx, s.c, path, body, out)
}

// get calls a GET endpoint.
func (s *Service) get(ctx context.Context, path string, q url.Values, out any) error {
	return api.Get(ctx, s.c, path, q, out)
}

// errSeq is an iterator that yields err once.
func errSeq[T any](err error) iter.Seq2[T, error] { return api.ErrSeq[T](err) }

// pages turns a page method into an iterator over pointers to its items.
func pages[T any](ctx context.Context, start string, page func(ctx context.Context, cursor string) ([]T, string, error)) iter.Seq2[*T, error] {
	return wecom.Paginate(ctx, start, func(ctx context.Context, cursor string) ([]*T, string, error) {
		items, next, err := page(ctx, cursor)
		if err != nil {
			return nil, "", err
		}
		out := make([]*T, len(items))
		for i := range items {
			out[i] = &items[i]
		}
		return out, next, nil
	})
}
