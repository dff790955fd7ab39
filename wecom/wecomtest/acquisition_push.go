package wecomtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Customer-acquisition (获客助手) ChangeTypes the fake pushes, named as
// package callback names them (Event customer_acquisition), with the
// elements each carries.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
const (
	ChangeBalanceLow          = "balance_low"           // quota dropped below 20
	ChangeBalanceExhausted    = "balance_exhausted"     // quota used up
	ChangeBalanceIncreased    = "balance_increased"     // quota went from 0 to more
	ChangeLinkUnavailable     = "link_unavailable"      // LinkId
	ChangeDeleteLink          = "delete_link"           // LinkId
	ChangeQuotaExpireSoon     = "quota_expire_soon"     // ExpireTime, ExpireQuotaNum
	ChangeOpenProfile         = "open_profile"          // LinkId, State
	ChangeFriendRequest       = "friend_request"        // LinkId, State (pushed only when State is set)
	ChangeCustomerStartChat   = "customer_start_chat"   // UserID, ExternalUserID, LinkId, State
	ChangeMessageFromCustomer = "message_from_customer" // UserID, ExternalUserID, LinkId, ChatSeq, ChatKey
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

// event is a customer_acquisition event of the corp at the server time at.
func (acq *Acquisition) event(change string, f AcquisitionEventFields, at time.Time) []byte {
	return CustomerAcquisitionXML(acq.c.id, change, f, at)
}

// PushQuotaExpireSoon plays WeCom's daily warning about quota that is about
// to expire (it warns 14, 7, 3, 2 and 1 days ahead): it pushes
// quota_expire_soon to the corp's callback for every batch of quota that
// expires within 14 days of the server clock and returns them. The corp
// must have a callback (Corp.SetCallback); ExpiringQuotas only reads them.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
func (acq *Acquisition) PushQuotaExpireSoon(ctx context.Context) ([]ExpiringAcquisitionQuota, error) {
	p := acq.c.Pusher()
	if p == nil {
		return nil, fmt.Errorf("wecomtest: corp %s has no callback (Corp.SetCallback)", acq.c.id)
	}
	soon := acq.ExpiringQuotas(14 * 24 * time.Hour)
	at := acq.c.s.clock()
	xmls := make([][]byte, len(soon))
	for i, q := range soon {
		xmls[i] = acq.event(ChangeQuotaExpireSoon, AcquisitionEventFields{ExpireTime: q.ExpireTime.Unix(), ExpireQuotaNum: q.Count}, at)
	}
	return soon, acq.c.push(ctx, p, xmls...)
}
