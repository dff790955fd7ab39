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
// Every method takes a context first and returns typed structs; WeCom's
// errcode != 0 comes back as *wecom.Error. Reads are retried by the client,
// creates (add_contact_way, add_corp_tag, transfers) are never re-sent once
// they may have reached WeCom.
package contact

import (
	"context"
	"errors"
	"net/url"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls the customer-contact endpoints for one corp. It is safe for
// concurrent use.
type Service struct {
	c     *wecom.Client
	names nameCache // CustomerName's (customer_name.go)
}

// New returns a Service that calls WeCom through c.
func New(c *wecom.Client) *Service { return &Service{c: c} }

// Client returns the client the Service calls through.
func (s *Service) Client() *wecom.Client { return s.c }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("contact: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "contact", Sentinel: ErrInvalidArgument}

func invalidf(format string, args ...any) error { return check.Invalidf(format, args...) }

// Documented limits checked before calling WeCom.
const (
	// MaxBatchUsers is the most member userids batch/get_by_user takes.
	MaxBatchUsers = 100
	// MaxBatchLimit is the largest page size of batch/get_by_user.
	MaxBatchLimit = 100
	// MaxTransferCustomers is the most customers one transfer call moves.
	MaxTransferCustomers = 100
	// MaxStateLen is the longest contact-way state, in characters.
	MaxStateLen = 30
	// MaxContactWayUsers is the most members one contact way may name.
	MaxContactWayUsers = 100
	// MaxTagNameLen is the longest tag or tag-group name, in characters.
	MaxTagNameLen = 30
	// MaxStatsIDs is the most userids (and the most partyids) of
	// get_user_behavior_data.
	MaxStatsIDs = 100
	// MaxStatsDays is how far back, in days, get_user_behavior_data has data.
	MaxStatsDays = 180

	// Closing messages (Conclusions) of temporary-session contact ways, in
	// bytes of UTF-8.
	MaxConclusionTextBytes      = 4000 // text.content
	MaxConclusionLinkTitleBytes = 128  // link.title
	MaxConclusionLinkDescBytes  = 512  // link.desc
	MaxConclusionMiniTitleBytes = 64   // miniprogram.title
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

func required(name, v string) error { return check.Required(name, v) }

func maxChars(name, v string, n int) error { return check.MaxChars(name, v, n) }

func maxBytes(name, v string, n int) error { return check.MaxBytes(name, v, n) }

func maxItems[T any](name string, v []T, n int) error { return api.MaxItems(check, name, v, n) }

func firstErr(errs ...error) error { return api.FirstErr(errs...) }

// read calls a POST endpoint that only reads (safe to repeat).
func (s *Service) read(ctx context.Context, path string, body, out any) error {
	return api.Read(ctx, s.c, path, body, out)
}

// idempotent calls a POST endpoint whose repetition leaves the same state.
func (s *Service) idempotent(ctx context.Context, path string, body, out any) error {
	return api.Idempotent(ctx, s.c, path, body, out)
}

// write calls a POST endpoint that creates something: never re-sent once it
// may have reached WeCom.
func (s *Service) write(ctx context.Context, path string, body, out any) error {
	return api.Write(ctx, s.c, path, body, out)
}

// get calls a GET endpoint.
func (s *Service) get(ctx context.Context, path string, q url.Values, out any) error {
	return api.Get(ctx, s.c, path, q, out)
}

// Bool returns a pointer to v, for the request fields whose server default
// is true (SkipVerify, MarkSource): nil leaves WeCom's default in place.
func Bool(v bool) *bool { return &v }

// Uint32 returns a pointer to v, for the request fields where 0 is a value
// to send and nil leaves the current one (EditCorpTagRequest.Order).
func Uint32(v uint32) *uint32 { return &v }
