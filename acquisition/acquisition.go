// Package acquisition wraps WeCom's customer-acquisition assistant (获客助手):
// acquisition links (获客链接) that WeChat users tap to add a member, the
// customers that came through a link, the corp's usage quota, per-link
// statistics, the chat details behind the "member received repeated
// messages" event, and the member range of a marketing-acquisition
// (营销获客) app. Channels keeps one link per marketing channel and resolves
// customers back to their channel.
//
//	svc := acquisition.New(wecom.New(corpID, secret))
//	link, err := svc.CreateLink(ctx, &acquisition.CreateLinkRequest{
//		LinkName: "spring fair",
//		Range:    acquisition.Range{UserList: []string{"zhangsan"}},
//	})
//
// Since December 2023 an app sees and changes only the links it created
// itself (list_link lists only those; get, update_link, delete_link and
// customer refuse other apps' links). The calls need a self-built app listed
// under 客户联系 "可调用应用", or a third-party / agent-developed app with the
// 获客助手 permission; the customer-contact system app (客户联系 secret) is
// refused. A marketing-acquisition app (2025-11) additionally needs the
// 建联客户信息 permission to manage links, and is the only kind that may call
// GetPermit.
//
// Every method takes a context first and returns typed structs; WeCom's
// errcode != 0 comes back as *wecom.Error. Bad input is refused before
// anything is sent with an error matching ErrInvalidArgument.
package acquisition

import (
	"context"
	"errors"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls the customer-acquisition endpoints for one corp and app. It
// is safe for concurrent use.
type Service struct {
	c *wecom.Client
}

// New returns a Service that calls WeCom through c.
func New(c *wecom.Client) *Service { return &Service{c: c} }

// Client returns the client the Service calls through.
func (s *Service) Client() *wecom.Client { return s.c }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("acquisition: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "acquisition", Sentinel: ErrInvalidArgument}

func invalidf(format string, args ...any) error { return check.Invalidf(format, args...) }

// Documented limits checked before calling WeCom.
const (
	// MaxLinkNameLen is the longest link_name, in characters.
	MaxLinkNameLen = 30
	// MaxRangeUsers is the most members a link's range may cover; WeCom
	// counts the members of range.department_list too, which only it can
	// check.
	MaxRangeUsers = 500
	// MaxPriorityUsers is the most members of priority_option.priority_userid_list.
	MaxPriorityUsers = 1000
	// MaxListLinksLimit is the largest page size of list_link.
	MaxListLinksLimit = 100
	// MaxCustomersLimit is the largest page size of customer_acquisition/customer.
	MaxCustomersLimit = 1000
	// MaxChannelBytes is the longest customer_channel WeCom keeps, in bytes;
	// a longer one is cut, so the state a customer comes back with would no
	// longer match.
	MaxChannelBytes = 64
	// MaxStatisticDays is the widest window of statistic: start_time and
	// end_time may be at most 30 days apart.
	MaxStatisticDays = 30
	// MaxStatisticAgeDays is how far back statistic has data: the last 180
	// days.
	MaxStatisticAgeDays = 180
	// BalanceLowThreshold is the remaining quota below which WeCom pushes
	// the balance_low event.
	BalanceLowThreshold = 20
)

// ChatKeyValidity is how long the ChatKey of a "member received repeated
// messages" (message_from_customer) event can be exchanged with GetChatInfo.
const ChatKeyValidity = 30 * time.Minute

func required(name, v string) error { return check.Required(name, v) }

func maxChars(name, v string, n int) error { return check.MaxChars(name, v, n) }

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

// Bool returns a pointer to v, for the request fields whose server default
// is true (SkipVerify, MarkSource): nil leaves WeCom's default in place.
func Bool(v bool) *bool { return &v }
