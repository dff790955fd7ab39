// Package groupchat wraps WeCom's customer-group (客户群) APIs: the groups
// and their members, group join ways 「加入群聊」 (group channel codes, 群活码),
// the inheritance of groups whose owner left or changes job (离职/在职继承),
// the group statistics, and a Tracker that keeps every group's member list
// current from change_external_chat callbacks.
//
//	svc := groupchat.New(wecom.New(corpID, secret))
//	for ref, err := range svc.ListIter(ctx, &groupchat.ListRequest{Limit: 1000}) {
//		...
//	}
//
// Every method takes a context first and returns typed structs; WeCom's
// errcode != 0 comes back as *wecom.Error. Reads are retried by the client;
// creates and transfers (add_join_way, groupchat/transfer,
// groupchat/onjob_transfer) are never re-sent once they may have reached
// WeCom. Input WeCom would refuse is refused before sending with an error
// matching ErrInvalidArgument.
package groupchat

import (
	"context"
	"errors"
	"iter"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls the customer-group endpoints for one corp. It is safe for
// concurrent use.
type Service struct {
	c *wecom.Client
}

// New returns a Service that calls WeCom through c.
func New(c *wecom.Client) *Service { return &Service{c: c} }

// Client returns the client the Service calls through.
func (s *Service) Client() *wecom.Client { return s.c }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("groupchat: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "groupchat", Sentinel: ErrInvalidArgument}

func invalidf(format string, args ...any) error { return check.Invalidf(format, args...) }

// Documented limits checked before calling WeCom.
const (
	// MaxListLimit is the largest page of groupchat/list (its Limit is
	// required, 1 to 1000).
	MaxListLimit = 1000
	// MaxOwnerFilter is the most owner userids of an owner filter (list and
	// statistics).
	MaxOwnerFilter = 100
	// MaxJoinWayChats is the most groups one join way may name (41091 beyond).
	MaxJoinWayChats = 5
	// MaxStateLen is the longest join-way state, in characters.
	MaxStateLen = 30
	// MaxRemarkLen is the longest join-way remark, in characters (WeCom
	// would cut a longer one; it is refused here instead).
	MaxRemarkLen = 30
	// MaxRoomBaseNameLen is the longest name prefix of auto-created groups,
	// in characters.
	MaxRoomBaseNameLen = 40
	// MaxTransferChats is the most groups one transfer call moves.
	MaxTransferChats = 100
	// MaxStatisticLimit is the largest page of groupchat/statistic.
	MaxStatisticLimit = 1000
	// MaxStatisticDays is how far back, in days, WeCom keeps group
	// statistics.
	MaxStatisticDays = 180
	// MaxStatisticSpanDays is the longest statistics window, in days.
	MaxStatisticSpanDays = 30
)

// IsNotFound reports whether err is WeCom's answer that the group (40050,
// 90501 not a customer group) or the join way (41044, invalid config_id)
// named in the call does not exist.
//
// DelJoinWay is repeated by the client when an attempt may have failed in
// transit; if the first attempt had in fact deleted the join way, the
// repetition is told it does not exist. After a delete, an error for which
// IsNotFound is true means it is gone.
func IsNotFound(err error) bool {
	switch wecom.ErrorCode(err) {
	case wecom.CodeChatNotFound, wecom.CodeNotCustomerGroup, wecom.CodeInvalidConfigID:
		return true
	}
	return false
}

func required(name, v string) error { return check.Required(name, v) }

func maxChars(name, v string, n int) error { return check.MaxChars(name, v, n) }

func maxItems[T any](name string, v []T, n int) error { return api.MaxItems(check, name, v, n) }

func noEmpty(name string, v []string) error {
	for i, s := range v {
		if s == "" {
			return invalidf("%s[%d] is empty", name, i)
		}
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

// write calls a POST endpoint that creates or moves something: never
// re-sent once it may have reached WeCom.
func (s *Service) write(ctx context.Context, path string, body, out any) error {
	return api.Write(ctx, s.c, path, body, out)
}

// Bool returns a pointer to v, for the request fields whose server default
// is true (AutoCreateRoom, MarkSource): nil leaves WeCom's default in place.
func Bool(v bool) *bool { return &v }

// boolInt is WeCom's 0/1 spelling of a flag; nil stays unsent.
func boolInt(b *bool) *int {
	if b == nil {
		return nil
	}
	v := 0
	if *b {
		v = 1
	}
	return &v
}

// errSeq is an iterator that yields err once.
func errSeq[T any](err error) iter.Seq2[T, error] { return api.ErrSeq[T](err) }
