// Package groupchat wraps WeCom's customer-group (客户群) APIs: the groups
// and their members, group join ways 「加入群聊」 (group channel codes, 群活码),
// the inheritance of groups whose owner left or changes job (离职/在职继承),
// the group statistics, a Tracker that keeps every group's member list
// current from change_external_chat callbacks, and Channels, one join way
// per marketing channel.
//
//	svc := groupchat.New(wecom.New(corpID, secret))
//	for ref, err := range svc.ListIter(ctx, &groupchat.ListRequest{Limit: 1000}) {
//		...
//	}
//
// Every method takes a context first and returns typed structs; WeCom's
// errcode != 0 comes back as *wecom.Error, and IsNotFound tells a group or
// join way that does not exist. Reads are retried by the client; creates
// and transfers (add_join_way, groupchat/transfer, groupchat/onjob_transfer)
// are never re-sent once they may have reached WeCom. Input WeCom would
// refuse is refused before sending with an error matching
// ErrInvalidArgument.
//
// Tracker and Channels are callback handlers (Register): a Handler runs
// the functions registered for one event concurrently, and when one fails
// the event comes again and only the functions that have not yet succeeded
// run again. Register a Channels or its Tracker, not both, on one Handler;
// what else handles change_external_chat events on that Handler, and in
// which order it was registered, makes no difference to them.
package groupchat

import (
	"errors"

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

// Per-call list sizes a caller may need to split its input by.
const (
	// MaxOwnerFilter is the most owner userids of one owner filter
	// (OwnerFilter, of List and GetStatistic): list the groups of more
	// owners in several calls.
	MaxOwnerFilter = 100
	// MaxTransferChats is the most groups one Transfer or OnjobTransfer
	// call moves; TransferMany and OnjobTransferMany split by it.
	MaxTransferChats = 100
	// MaxStatisticSpanDays is the longest window of one statistics call
	// (GetStatistic, GetStatisticGroupByDay), in days: ask for a longer
	// period in several windows.
	MaxStatisticSpanDays = 30
)

// Documented limits checked before calling WeCom; each is named in the doc
// of the field it limits and in the error that refuses it.
const (
	maxListLimit       = 1000 // groupchat/list's page size: required, 1 to 1000
	maxJoinWayChats    = 5    // groups of one join way (41091 beyond)
	maxStateLen        = 30   // a join way's state, in characters
	maxRemarkLen       = 30   // a join way's remark, in characters (WeCom would cut a longer one)
	maxRoomBaseNameLen = 40   // the name prefix of auto-created groups, in characters
	maxStatisticLimit  = 1000 // groupchat/statistic's page size (0: WeCom's default, 500)
	maxStatisticDays   = 180  // how far back WeCom keeps group statistics, in days
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

// noEmpty refuses an empty id in a list of ids.
func noEmpty(name string, v []string) error {
	for i, s := range v {
		if s == "" {
			return check.Invalidf("%s[%d] is empty", name, i)
		}
	}
	return nil
}

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
