// Package acquisition wraps WeCom's customer-acquisition assistant (获客助手):
// acquisition links (获客链接) that WeChat users tap to add a member, the
// customers that came through a link, the corp's usage quota, per-link
// statistics, the chat details behind the "member received repeated
// messages" event, the member range of a marketing-acquisition (营销获客)
// app, and for third-party providers the acquisition component (获客助手组件:
// GetCompAuthInfo, CreateOnceKey, and Component for the calls made with the
// component's own suite token). Channels keeps one link per marketing
// channel and resolves customers back to their channel.
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
// errcode != 0 comes back as *wecom.Error, and IsNotFound tells a link or
// chat key that does not exist. Bad input is refused before anything is
// sent with an error matching ErrInvalidArgument.
package acquisition

import (
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

// MaxStatisticSpanDays is the widest window of one GetStatistic call, in
// days (StartTime and EndTime at most 30 days apart): ask for a longer
// period in several windows.
const MaxStatisticSpanDays = 30

// Documented limits checked before calling WeCom; each is named in the doc
// of the field it limits and in the error that refuses it.
const (
	maxLinkNameLen    = 30   // link_name, in characters
	maxRangeUsers     = 500  // members a link's range covers (departments count with their head count; only WeCom can check those)
	maxPriorityUsers  = 1000 // priority_option.priority_userid_list
	maxListLinksLimit = 100  // list_link's page size
	maxCustomersLimit = 1000 // customer_acquisition/customer's page size
	// maxChannelBytes is the longest customer_channel WeCom keeps, in bytes;
	// a longer one is cut, so the state a customer comes back with would no
	// longer match.
	maxChannelBytes     = 64
	maxStatisticAgeDays = 180 // how far back statistic has data
)

// BalanceLowThreshold is the remaining quota below which WeCom pushes
// the balance_low event.
const BalanceLowThreshold = 20

// ChatKeyValidity is how long the ChatKey of a "member received repeated
// messages" (message_from_customer) event can be exchanged with GetChatInfo.
const ChatKeyValidity = 30 * time.Minute

// IsNotFound reports whether err is WeCom's answer that the link or the
// chat key named in the call does not exist (any more): a link never
// created, deleted (in the admin console, or by an earlier attempt of
// DeleteLink), or a ChatKey older than ChatKeyValidity. WeCom's pages name
// no errcode of their own for these; WeCom answers 40058 (invalid
// parameter, wecom.CodeInvalidParameter), which IsNotFound takes as "not
// found" only from the calls whose one parameter is that id: Get,
// DeleteLink and GetChatInfo. Any other 40058 is a malformed request.
//
// A link of another app (since 2023-12 an app sees only its own) is
// refused with 48002 instead, for which IsNotFound is false.
func IsNotFound(err error) bool {
	var e *wecom.Error
	return errors.As(err, &e) && e.Code == wecom.CodeInvalidParameter && idOnly(e.Path)
}

// idOnly reports whether path is an endpoint whose one parameter is an id.
func idOnly(path string) bool {
	switch path {
	case getPath, deleteLinkPath, getChatInfoPath:
		return true
	}
	return false
}

// Endpoints whose one parameter is an id (IsNotFound).
const (
	getPath         = "/cgi-bin/externalcontact/customer_acquisition/get"
	deleteLinkPath  = "/cgi-bin/externalcontact/customer_acquisition/delete_link"
	getChatInfoPath = "/cgi-bin/externalcontact/customer_acquisition/get_chat_info"
)
