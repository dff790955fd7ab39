package wecomtest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Customer-acquisition (获客助手) ChangeTypes the fake pushes, as the docs
// name them (Event customer_acquisition).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
const (
	AcqBalanceLow          = "balance_low"           // quota dropped below 20
	AcqBalanceExhausted    = "balance_exhausted"     // quota used up
	AcqBalanceIncreased    = "balance_increased"     // quota went from 0 to more
	AcqLinkUnavailable     = "link_unavailable"      // LinkId
	AcqDeleteLink          = "delete_link"           // LinkId
	AcqQuotaExpireSoon     = "quota_expire_soon"     // ExpireTime, ExpireQuotaNum
	AcqOpenProfile         = "open_profile"          // LinkId, State
	AcqFriendRequest       = "friend_request"        // LinkId, State (pushed only when State is set)
	AcqCustomerStartChat   = "customer_start_chat"   // UserID, ExternalUserID, LinkId, State
	AcqMessageFromCustomer = "message_from_customer" // UserID, ExternalUserID, LinkId, ChatSeq, ChatKey
)

// AcquisitionEventFields are the elements of a customer_acquisition event
// besides the envelope; zero ones are left out.
type AcquisitionEventFields struct {
	LinkID         string // LinkId
	State          string // State: the customer_channel
	UserID         string // UserID: the member
	ExternalUserID string // ExternalUserID: the customer
	ChatSeq        int    // ChatSeq: messages received so far
	ChatKey        string // ChatKey: for get_chat_info, valid 30 minutes
	ExpireTime     int64  // ExpireTime: unix seconds
	ExpireQuotaNum int64  // ExpireQuotaNum
}

// CustomerAcquisitionXML returns the decrypted XML of a customer_acquisition
// event in the self-built app form, as WeCom sends it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
func CustomerAcquisitionXML(corpID, changeType string, f AcquisitionEventFields, at time.Time) []byte {
	var b strings.Builder
	cdata := func(name, v string) {
		if v != "" {
			b.WriteString("<" + name + "><![CDATA[" + v + "]]></" + name + ">")
		}
	}
	num := func(name string, v int64) {
		if v != 0 {
			b.WriteString("<" + name + ">" + strconv.FormatInt(v, 10) + "</" + name + ">")
		}
	}
	b.WriteString("<xml>")
	cdata("ToUserName", corpID)
	cdata("FromUserName", "sys")
	b.WriteString("<CreateTime>" + strconv.FormatInt(at.Unix(), 10) + "</CreateTime>")
	cdata("MsgType", "event")
	cdata("Event", "customer_acquisition")
	cdata("ChangeType", changeType)
	cdata("UserID", f.UserID)
	cdata("ExternalUserID", f.ExternalUserID)
	cdata("LinkId", f.LinkID)
	cdata("State", f.State)
	num("ChatSeq", int64(f.ChatSeq))
	cdata("ChatKey", f.ChatKey)
	num("ExpireTime", f.ExpireTime)
	num("ExpireQuotaNum", f.ExpireQuotaNum)
	b.WriteString("</xml>")
	return []byte(b.String())
}

// AcquisitionCallback plays WeCom's side of a corp's callback URL for the
// customer-acquisition assistant: it changes the fake's state as a customer,
// an admin or time would, and pushes what WeCom pushes then, encrypted with
// the callback's Token and EncodingAESKey and the corp id as receiveid.
//
//	cb := srv.ConfigureAcquisitionCallback(srv.CorpID, callbackURL, token, aesKey)
//	tap, err := cb.TapLink(ctx, linkID, "spring-fair") // open_profile, friend_request, add_external_contact, ...
//
// Every method returns the push error last; the state has changed even
// when the push failed. It is safe for concurrent use.
type AcquisitionCallback struct {
	srv    *Server
	corpID string
	// Pusher delivers the pushes; change its Attempts, Timeout or Client
	// before pushing if needed.
	Pusher *Pusher
}

// ConfigureAcquisitionCallback returns the customer-acquisition side of
// corpID's callback at url, configured with token and encodingAESKey.
func (s *Server) ConfigureAcquisitionCallback(corpID, url, token, encodingAESKey string) *AcquisitionCallback {
	return &AcquisitionCallback{srv: s, corpID: corpID, Pusher: NewPusher(url, token, encodingAESKey, corpID)}
}

func (cb *AcquisitionCallback) push(ctx context.Context, xmls ...[]byte) error {
	var errs []error
	for _, x := range xmls {
		if _, err := cb.Pusher.Push(ctx, x); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (cb *AcquisitionCallback) event(change string, f AcquisitionEventFields) []byte {
	return CustomerAcquisitionXML(cb.corpID, change, f, cb.srv.acquisitionNow())
}

// TapLink simulates a new WeChat user tapping the link with
// customer_channel=channel and adding a member (see
// Server.TapAcquisitionLink), and pushes, in order: open_profile,
// friend_request (only with a channel, as WeCom), add_external_contact with
// the channel as State and a welcome code, then balance_low or
// balance_exhausted when the add crossed them.
func (cb *AcquisitionCallback) TapLink(ctx context.Context, linkID, channel string) (*AcquisitionTap, error) {
	tap, err := cb.srv.TapAcquisitionLink(cb.corpID, linkID, channel)
	if err != nil {
		return nil, err
	}
	xmls := [][]byte{cb.event(AcqOpenProfile, AcquisitionEventFields{LinkID: linkID, State: tap.State})}
	if tap.State != "" {
		xmls = append(xmls, cb.event(AcqFriendRequest, AcquisitionEventFields{LinkID: linkID, State: tap.State}))
	}
	xmls = append(xmls, AddExternalContactXML(cb.corpID, tap.UserID, tap.ExternalUserID, tap.State,
		tap.WelcomeCode, cb.srv.acquisitionNow()))
	if tap.BalanceLow {
		xmls = append(xmls, cb.event(AcqBalanceLow, AcquisitionEventFields{}))
	}
	if tap.BalanceExhausted {
		xmls = append(xmls, cb.event(AcqBalanceExhausted, AcquisitionEventFields{}))
	}
	return tap, cb.push(ctx, xmls...)
}

// CustomerMessage simulates the customer sending the member one message
// (see Server.AcquisitionCustomerMessage) and pushes customer_start_chat
// for the first message and message_from_customer, with its ChatKey, at
// RepeatedMessageCounts.
func (cb *AcquisitionCallback) CustomerMessage(ctx context.Context, externalUserID, userID string) (*AcquisitionMessage, error) {
	m, err := cb.srv.AcquisitionCustomerMessage(cb.corpID, externalUserID, userID)
	if err != nil {
		return nil, err
	}
	var xmls [][]byte
	if m.First {
		xmls = append(xmls, cb.event(AcqCustomerStartChat, AcquisitionEventFields{
			UserID: userID, ExternalUserID: externalUserID, LinkID: m.LinkID, State: m.State}))
	}
	if m.ChatKey != "" {
		xmls = append(xmls, cb.event(AcqMessageFromCustomer, AcquisitionEventFields{
			UserID: userID, ExternalUserID: externalUserID, LinkID: m.LinkID, ChatSeq: m.Count, ChatKey: m.ChatKey}))
	}
	return m, cb.push(ctx, xmls...)
}

// GrantQuota gives the corp n units expiring at expires (see
// Server.GrantAcquisitionQuota) and pushes balance_increased when the
// balance was 0.
func (cb *AcquisitionCallback) GrantQuota(ctx context.Context, n int64, expires time.Time) error {
	increased, err := cb.srv.GrantAcquisitionQuota(cb.corpID, n, expires)
	if err != nil || !increased {
		return err
	}
	return cb.push(ctx, cb.event(AcqBalanceIncreased, AcquisitionEventFields{}))
}

// PushQuotaExpireSoon pushes quota_expire_soon for every batch of quota
// that expires within 14 days of the server clock (WeCom warns 14, 7, 3, 2
// and 1 days ahead) and returns them.
func (cb *AcquisitionCallback) PushQuotaExpireSoon(ctx context.Context) ([]ExpiringAcquisitionQuota, error) {
	soon := cb.srv.ExpiringAcquisitionQuotas(cb.corpID, 14*24*time.Hour)
	xmls := make([][]byte, len(soon))
	for i, q := range soon {
		xmls[i] = cb.event(AcqQuotaExpireSoon, AcquisitionEventFields{ExpireTime: q.ExpireTime.Unix(), ExpireQuotaNum: q.Count})
	}
	return soon, cb.push(ctx, xmls...)
}

// MakeLinkUnavailable makes the link stop adding customers (see
// Server.SetAcquisitionLinkUnavailable) and pushes link_unavailable.
func (cb *AcquisitionCallback) MakeLinkUnavailable(ctx context.Context, linkID string) error {
	if err := cb.srv.SetAcquisitionLinkUnavailable(cb.corpID, linkID); err != nil {
		return err
	}
	return cb.push(ctx, cb.event(AcqLinkUnavailable, AcquisitionEventFields{LinkID: linkID}))
}

// DeleteLinkInAdmin deletes the link as an admin does in the admin console
// and pushes delete_link (deleting through the API pushes nothing).
func (cb *AcquisitionCallback) DeleteLinkInAdmin(ctx context.Context, linkID string) error {
	if err := cb.srv.DeleteAcquisitionLinkInAdmin(cb.corpID, linkID); err != nil {
		return err
	}
	return cb.push(ctx, cb.event(AcqDeleteLink, AcquisitionEventFields{LinkID: linkID}))
}
