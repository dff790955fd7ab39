package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// WeCom's errcodes that the SDK, its API packages and its callers act on:
// the one table of them (the API packages keep none of their own). They are
// ints, as Error.Code is, so that errors.As(err, &e) && e.Code ==
// CodeFreqOutOfLimit compiles. The full list is WeCom's global error code
// page: https://developer.work.weixin.qq.com/document/path/90313
const (
	// CodeSystemBusy is "system busy": retried with backoff.
	CodeSystemBusy int = -1

	// Credentials and tokens.

	// CodeInvalidSecret is a wrong corp (or app) secret: a configuration
	// error, never retried; repeated gettoken calls with it get the IP banned.
	CodeInvalidSecret int = 40001
	// CodeInvalidCorpID is an unknown corp id.
	CodeInvalidCorpID int = 40013
	// CodeInvalidAccessToken is an access token WeCom does not accept: the
	// client drops it, fetches a new one and repeats the call once.
	CodeInvalidAccessToken int = 40014
	// CodeInvalidSuiteToken is a suite_access_token WeCom does not accept.
	CodeInvalidSuiteToken int = 40082
	// CodeInvalidPermanentCode is a permanent code WeCom does not accept:
	// the corp cancelled the authorization, or the code belongs to another
	// suite.
	CodeInvalidPermanentCode int = 40084
	// CodeInvalidSuiteTicket is a suite_ticket older than 30 minutes or
	// unknown.
	CodeInvalidSuiteTicket int = 40085
	// CodeAccessTokenMissing is a call without an access token.
	CodeAccessTokenMissing int = 41001
	// CodeAccessTokenExpired is an expired access token (refreshed like
	// CodeInvalidAccessToken).
	CodeAccessTokenExpired int = 42001
	// CodeSuiteTokenExpired is an expired suite_access_token.
	CodeSuiteTokenExpired int = 42009

	// Limits and permissions.

	// CodeFreqOutOfLimit is WeCom's frequency limit: IsRateLimited.
	CodeFreqOutOfLimit int = 45009
	// CodeMinuteQuota is WeChat's minute quota code; treated as a rate limit
	// if WeCom ever sends it.
	CodeMinuteQuota int = 45011
	// CodeConcurrencyLimit is too many concurrent calls: IsRateLimited.
	CodeConcurrencyLimit int = 45033
	// CodeAPIForbidden is an endpoint the app may not call (the wrong kind
	// of app, or a permission it lacks).
	CodeAPIForbidden int = 48002
	// CodeIPNotAllowed is a caller whose IP is not on the app's trusted-IP
	// list.
	CodeIPNotAllowed int = 60020
	// CodeNoInteropLicense is members without an interop licence (互通许可).
	CodeNoInteropLicense int = 701008

	// Arguments.

	// CodeInvalidMediaID is a media_id WeCom does not know (any more):
	// temporary media live three days.
	CodeInvalidMediaID int = 40007
	// CodeInvalidParameter is a request WeCom refused as malformed.
	CodeInvalidParameter int = 40058
	// CodeInvalidLinkURL is a link whose URL does not start with http:// or
	// https://.
	CodeInvalidLinkURL int = 45034

	// Customers, tags and contact ways.

	// CodeInvalidTagID is a tag or tag-group id that does not exist.
	CodeInvalidTagID int = 40068
	// CodeTagNameExists is a tag or tag-group name that exists already.
	CodeTagNameExists int = 40071
	// CodeInvalidConfigID is a contact way's or join way's config_id that
	// does not exist.
	CodeInvalidConfigID int = 41044
	// CodeNotExternalContact is a customer the member named does not have
	// ("not external contact").
	CodeNotExternalContact int = 84061

	// Customer groups.

	// CodeChatNotFound is a chat_id that does not exist.
	CodeChatNotFound int = 40050
	// CodeStatisticRangeTooLarge is a group-statistics range of more than
	// 1,000 members.
	CodeStatisticRangeTooLarge int = 81017
	// CodeTooManyJoinWayChats is a join way naming more than 5 groups.
	CodeTooManyJoinWayChats int = 41091
	// CodeOwnerNotResigned is a group handed over as resigned whose owner
	// has not resigned.
	CodeOwnerNotResigned int = 90500
	// CodeNotCustomerGroup is a chat that is not a customer group.
	CodeNotCustomerGroup int = 90501
	// CodeOwnerResigned is a group handed over in service whose owner has
	// resigned.
	CodeOwnerResigned int = 90502
	// CodeChatInheriting is a group being handed over already.
	CodeChatInheriting int = 90507
	// CodeChatInherited is a group handed over already.
	CodeChatInherited int = 90508

	// Messages, welcomes and Moments.

	// CodeInvalidWelcomeCode is a welcome code that expired (20 s after
	// the event) or was never issued.
	CodeInvalidWelcomeCode int = 41050
	// CodeWelcomeCodeUsed is a welcome code whose welcome was delivered
	// already ("externaluser has started chatting").
	CodeWelcomeCodeUsed int = 41051
	// CodeWelcomeInProgress is a welcome code another app is sending with
	// right now ("welcome msg is being distributed").
	CodeWelcomeInProgress int = 41096
	// CodeNotTemplateOwner is a group welcome template another app created.
	CodeNotTemplateOwner int = 41058
	// CodeInvalidMomentID is a moment_id WeCom does not know.
	CodeInvalidMomentID int = 41060
	// CodeMomentNotPostedByUser is a post the member named did not publish.
	CodeMomentNotPostedByUser int = 41061
	// CodeMomentNotYetPosted is a corp post the member named has not
	// published yet.
	CodeMomentNotYetPosted int = 41062
	// CodeMsgDispatching is a mass send still being handed to its senders:
	// ask for its records again later.
	CodeMsgDispatching int = 41063

	// Application messages and the address book.

	// CodeAllRecipientsInvalid is an application message none of whose
	// members, departments and tags the app may reach ("user & party & tag
	// all invalid"): nothing was sent.
	CodeAllRecipientsInvalid int = 81013
	// CodeNoContactPrivilege is a member, department or tag outside what
	// the app may see ("no privilege to access/modify contact/party/agent").
	CodeNoContactPrivilege int = 60011
	// CodeAgentNotAllowed is an agentid the token's app may not act for: the
	// message names another app than the one whose secret got the token.
	CodeAgentNotAllowed int = 301002
	// CodeUserNotFound is a userid the corp does not have.
	CodeUserNotFound int = 60111
	// CodeDepartmentNotFound is a department id the corp does not have
	// (部门ID不存在).
	CodeDepartmentNotFound int = 60003
	// CodeInvalidDepartmentID is a department id WeCom does not accept
	// (无效的部门id).
	CodeInvalidDepartmentID int = 60123

	// WeChat customer service (微信客服, package kf).

	// CodeKFInvalidOpenKfID is an open_kfid WeCom cannot read (不合法的open_kfid).
	CodeKFInvalidOpenKfID int = 95000
	// CodeKFSendCountLimit is a sixth send_msg after the customer's last
	// message: WeCom allows five until the customer writes again.
	CodeKFSendCountLimit int = 95001
	// CodeKFSendTimeLimit is a send_msg more than 48 hours after the
	// customer's last message.
	CodeKFSendTimeLimit int = 95002
	// CodeKFCustomerLimit is a corp that has not verified its subject and
	// reached the customers it may serve (可接待客户咨询数限制).
	CodeKFCustomerLimit int = 95003
	// CodeKFAccountNotFound is an open_kfid that does not exist: another
	// corp's, or a deleted account.
	CodeKFAccountNotFound int = 95004
	// CodeKFAccountLimit is a corp with as many customer-service accounts
	// as it may have.
	CodeKFAccountLimit int = 95005
	// CodeKFInvalidAccountName is an account name WeCom refuses.
	CodeKFInvalidAccountName int = 95006
	// CodeKFInvalidMsgToken is a sync_msg token that expired (it lives 10
	// minutes) or was never pushed (不合法的msgtoken).
	CodeKFInvalidMsgToken int = 95007
	// CodeKFMenuItemLimit is a menu message with more than 10 items.
	CodeKFMenuItemLimit int = 95008
	// CodeKFInvalidMenuItemType is a menu item of a type WeCom does not know.
	CodeKFInvalidMenuItemType int = 95009
	// CodeKFSessionEnded is a session that has ended (会话已经结束).
	CodeKFSessionEnded int = 95013
	// CodeKFNotServicer is a member who is not a servicer of the account,
	// or not activated in WeCom.
	CodeKFNotServicer int = 95014
	// CodeKFStateTransition is a session-state move WeCom does not allow
	// (不允许这种状态转移).
	CodeKFStateTransition int = 95016
	// CodeKFAPIDisabled is a corp whose 微信客服 API switch is off.
	CodeKFAPIDisabled int = 95017
	// CodeKFSessionStateNoSend is a send_msg in a session state that does
	// not allow it (queued, with a human, ended) or past 48 hours.
	CodeKFSessionStateNoSend int = 95018
	// CodeKFServicerNotReceiving is a servicer who stopped receiving or is
	// paused (已停止接待或暂时挂起).
	CodeKFServicerNotReceiving int = 95019
	// CodeKFUpgradeNotConfigured is a member or group chat that is not
	// configured in the corp's 升级服务 settings.
	CodeKFUpgradeNotConfigured int = 95021
)

// Error is returned for every response whose errcode is not 0. Use errors.As
// to get at it:
//
//	var we *wecom.Error
//	if errors.As(err, &we) && we.Code == wecom.CodeNotExternalContact { ... }
type Error struct {
	Code int    // errcode
	Msg  string // errmsg, verbatim (WeCom appends a hint useful for support)
	// Path is the endpoint that answered, e.g. "/cgi-bin/externalcontact/list".
	// It never carries a query string, so no access_token can leak through it.
	Path string
}

// Is makes an *Error with one of WeCom's frequency or concurrency limits
// (45009, 45011, 45033) match ErrRateLimited.
func (e *Error) Is(target error) bool {
	return target == ErrRateLimited && e.rateLimited()
}

func (e *Error) rateLimited() bool {
	switch e.Code {
	case CodeFreqOutOfLimit, CodeMinuteQuota, CodeConcurrencyLimit:
		return true
	}
	return false
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("wecom: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "errcode %d: %s", e.Code, e.Msg)
	switch e.Code {
	case CodeInvalidSecret:
		b.WriteString(" (the corp secret is wrong, was reset, or the app is disabled; not retried)")
	case CodeIPNotAllowed:
		b.WriteString(" (the caller's IP is not on the trusted-IP list)")
	case CodeNoInteropLicense:
		b.WriteString(" (the members named have no interop licence (互通许可); buy or assign one in the admin console)")
	}
	return b.String()
}

// Retryable reports whether the same request may succeed if sent again
// unchanged: system busy, frequency and concurrency limits.
func (e *Error) Retryable() bool {
	switch e.Code {
	case CodeSystemBusy, CodeFreqOutOfLimit, CodeMinuteQuota, CodeConcurrencyLimit:
		return true
	}
	return false
}

// HTTPError is returned when WeCom (or a proxy in front of it) answers with a
// non-200 HTTP status instead of a JSON envelope. WeCom's API answers 200,
// errors included, so another status comes from something in between (a
// gateway's 502 page, a proxy's redirect). A 5xx is retried for reads and
// makes a write's outcome unknown; a redirect (3xx) is never followed:
// WeCom's API does not redirect, and following would carry the call
// elsewhere.
type HTTPError struct {
	StatusCode int
	Path       string

	contentType string // of the answer, when it had one
	redirect    bool   // a 3xx, not followed
	redirectTo  string // scheme://host of its Location, or ""
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wecom: %s: unexpected HTTP status %d", e.Path, e.StatusCode)
	if e.contentType != "" {
		fmt.Fprintf(&b, " (%s)", e.contentType)
	}
	switch {
	case e.redirect || (e.StatusCode >= 300 && e.StatusCode < 400):
		b.WriteString(": a redirect")
		if e.redirectTo != "" {
			b.WriteString(" to ")
			b.WriteString(e.redirectTo)
		}
		b.WriteString("; WeCom's API never redirects, so the SDK does not follow (check WithBaseURL and any proxy in between)")
	case e.StatusCode >= 500:
		b.WriteString(": WeCom's API answers 200, so a gateway or proxy in between answered")
	}
	return b.String()
}

// ErrOutcomeUnknown is matched (errors.Is) by the error of a write that failed
// after the request may have reached WeCom: a timeout or reset after sending,
// a 5xx answer. The SDK never re-sends such a write, because WeCom's create
// calls (mass sends, Moments tasks, contact ways) are not idempotent: check
// whether the write took effect before trying again.
var ErrOutcomeUnknown = errors.New("wecom: request may have reached WeCom; outcome unknown, not re-sent")

type outcomeUnknownError struct {
	path string
	err  error
}

func (e *outcomeUnknownError) Error() string {
	return fmt.Sprintf("wecom: %s: request may have reached WeCom; outcome unknown, not re-sent: %v", e.path, e.err)
}
func (e *outcomeUnknownError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.err} }

// ErrorCode returns the WeCom errcode carried by err, or 0 when err is not
// (and does not wrap) an *Error.
func ErrorCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// IsTokenExpired reports whether err says the access token (or suite token)
// is invalid or expired: 40014, 42001, 40082, 42009. The client already
// refreshes and retries once on these; seeing one means the retry failed too.
func IsTokenExpired(err error) bool {
	switch ErrorCode(err) {
	case CodeInvalidAccessToken, CodeAccessTokenExpired, CodeInvalidSuiteToken, CodeSuiteTokenExpired:
		return true
	}
	return false
}

// ErrRateLimited is matched (errors.Is) by every error saying a call was
// refused for its frequency: WeCom's 45009, 45011 and 45033 (an *Error) and
// the client-side limiter's refusal (a *RateLimitError).
var ErrRateLimited = errors.New("wecom: rate limited")

// IsRateLimited reports whether err is one of WeCom's frequency or
// concurrency limits (45009, 45011, 45033) or the client-side limiter's
// refusal (*RateLimitError); errors.Is(err, ErrRateLimited) is the same
// test.
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// RateLimitError is returned, before anything is sent, when the client-side
// Limiter refuses a call: its turn would come after ctx's deadline, or the
// deadline passed while it waited. (A cancelled ctx gives ctx.Err().)
// Nothing reached WeCom: make the call again later or with a longer
// deadline, or raise the limit (WithRateLimit) if WeCom allows more. It
// matches ErrRateLimited; IsRetryable is false for it, since under the same
// deadline it would be refused again.
type RateLimitError struct {
	Path string        // the endpoint refused, e.g. /cgi-bin/externalcontact/add_moment_task
	Wait time.Duration // how long the call would have waited for its turn; 0 when the limiter did not say
	err  error         // the context's error, when the deadline passed while waiting
}

func (e *RateLimitError) Error() string {
	var b strings.Builder
	b.WriteString("wecom: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString("client-side rate limit: ")
	switch {
	case e.err != nil && e.Wait > 0:
		fmt.Fprintf(&b, "the context's deadline passed while waiting %v for the call's turn", e.Wait)
	case e.err != nil:
		b.WriteString("the context's deadline passed while waiting for the call's turn")
	case e.Wait > 0:
		fmt.Fprintf(&b, "the call's turn comes in %v, after the context's deadline", e.Wait)
	default:
		b.WriteString("the call's turn comes after the context's deadline")
	}
	b.WriteString("; not sent")
	return b.String()
}

// Is makes a *RateLimitError match ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// Unwrap returns context.DeadlineExceeded when the deadline passed while
// the call waited, else nil.
func (e *RateLimitError) Unwrap() error { return e.err }

// MaybeCreatedError is the error of a create (add_contact_way,
// add_msg_template, customer_acquisition/create_link...) that failed after
// the request may have reached WeCom: WeCom may or may not have created the
// thing. It matches ErrOutcomeUnknown; the SDK never re-sends such a
// request, because WeCom would create a second one.
//
// Find out before creating it again: look for what was created between
// Since and Until (Hint says with which call, or where WeCom offers no
// call).
type MaybeCreatedError struct {
	Path         string    // the endpoint, e.g. /cgi-bin/externalcontact/add_msg_template
	Since, Until time.Time // the creation time, if it happened, lies in between
	Hint         string    // how to look
	Err          error     // the underlying failure; matches ErrOutcomeUnknown
}

func (e *MaybeCreatedError) Error() string {
	return fmt.Sprintf("%v; it was not re-sent: to find out whether it was created, %s", e.Err, e.Hint)
}

// Unwrap returns the underlying failure, which matches ErrOutcomeUnknown.
func (e *MaybeCreatedError) Unwrap() error { return e.Err }

// IsInvalidSecret reports whether err says the secret given to New is wrong
// (40001). Retrying cannot help.
func IsInvalidSecret(err error) bool { return ErrorCode(err) == CodeInvalidSecret }

// IsRetryable reports whether sending the same request again may succeed:
// system busy (-1), rate limits, HTTP 5xx and transport failures. It is
// false for a write whose outcome is unknown (ErrOutcomeUnknown) and for a
// cancelled context. Whether a particular call is retried also depends on
// its Op: see Backoff.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrOutcomeUnknown) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable()
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500
	}
	var te *transportError
	return errors.As(err, &te) && !te.noRetry
}

// transportError is a failure below HTTP: dial, TLS, reset, timeout, an
// answer cut short, not JSON or too large. The wrapped error has every URL
// redacted.
type transportError struct {
	path    string
	written bool // the request was fully written before the failure
	noRetry bool // sending again cannot help (an answer too large)
	err     error
}

func isTransportError(err error) bool {
	var te *transportError
	return errors.As(err, &te)
}

func isHTTPError(err error) bool {
	var he *HTTPError
	return errors.As(err, &he)
}

func (e *transportError) Error() string {
	return fmt.Sprintf("wecom: %s: transport: %v", e.path, e.err)
}
func (e *transportError) Unwrap() error { return e.err }

// redactedParams are query parameters whose values never appear in errors or logs.
var redactedParams = [...]string{
	"access_token", "suite_access_token", "provider_access_token",
	"corpsecret", "secret", "suite_secret", "provider_secret", "permanent_code",
}

// redactURL returns raw with every secret query value replaced by REDACTED.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	changed := false
	for _, p := range redactedParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// sanitizeError rewrites the URL inside a *url.Error so that no token or
// secret survives in the message, keeping the inner error for errors.Is/As.
func sanitizeError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
	}
	return err
}
