package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The acquisition component (获客助手组件) of a third-party provider: a suite
// the corp authorized to run acquisition links in the provider's scenes,
// paid by the corp's quota or by the provider (代支付, with one-use keys
// and a bill of what the provider paid).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99482

// AcquisitionComponent is how a corp authorized a provider's acquisition
// component, as get_comp_auth_info answers it (99610).
type AcquisitionComponent struct {
	// PayMode is who pays for the customers the links add: 0 the corp's
	// quota, 1 the provider (服务商代付), which create_once_key needs.
	PayMode int
	// Price is what the provider pays per customer in pay mode 1, in fen.
	Price int64
	// LinkAuthMode is 0 when the corp chose the links it authorized, 1
	// when the component has the links of the associated apps (AuthApps).
	LinkAuthMode int
	AuthApps     []int // agentids of the associated apps (LinkAuthMode 1)
}

// OnceKeyLife is how long a key of create_once_key can be used (99603:
// 「生成key之后需要在14天内使用」), once.
const OnceKeyLife = 14 * 24 * time.Hour

// ErrInvalidOnceKey is returned by Acquisition.TapLinkWithOnceKey for a
// key the component did not create for the link, or that was used or has
// expired.
var ErrInvalidOnceKey = errors.New("wecomtest: invalid once_key")

// acqComponent is one suite's component authorization in a corp.
type acqComponent struct {
	AcquisitionComponent
	bills []acqBill
}

type acqBill struct {
	Timestamp int64  `json:"timestamp"`
	LinkID    string `json:"link_id,omitempty"`
	State     string `json:"state,omitempty"`
	Price     int64  `json:"price"`
}

type acqOnceKey struct {
	suite, linkID string
	expires       time.Time
	used          bool
}

// AuthorizeComponent plays the corp authorizing suite suiteID as its
// acquisition component, as comp says: from then on a corp token the suite
// gets for the corp (get_corp_token) may call get_comp_auth_info and, in
// pay mode 1, create_once_key; get_bill_list (with the suite's own token)
// lists what the provider paid. Authorizing again replaces the terms.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99610
func (acq *Acquisition) AuthorizeComponent(suiteID string, comp AcquisitionComponent) error {
	s := acq.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	as, err := s.acquisitionLocked(acq.c.id)
	if err != nil {
		return err
	}
	if s.suite.suites[suiteID] == nil {
		return fmt.Errorf("%w: suite %q", ErrNotFound, suiteID)
	}
	if old := as.components[suiteID]; old != nil {
		old.AcquisitionComponent = comp
		return nil
	}
	as.components[suiteID] = &acqComponent{AcquisitionComponent: comp}
	return nil
}

// TapLinkWithOnceKey is TapLink through a link URL carrying once_key (a key
// of create_once_key): the provider pays for the customer instead of the
// corp's quota, and get_bill_list lists the use at the component's price
// with the link and the channel as state. A key works once, within
// OnceKeyLife, on the link it was made for; otherwise the tap fails with
// ErrInvalidOnceKey and nobody is added.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99603
func (acq *Acquisition) TapLinkWithOnceKey(ctx context.Context, linkID, channel, onceKey string) (*AcquisitionTap, error) {
	return acq.tap(ctx, linkID, channel, onceKey)
}

// payWithOnceKey spends onceKey for a customer added through link l;
// s.mu is held.
func (as *acquisitionState) payWithOnceKey(onceKey string, l *acqLink, channel string, now time.Time) error {
	k := as.onceKeys[onceKey]
	if k == nil || k.used || k.linkID != l.id || !now.Before(k.expires) {
		return ErrInvalidOnceKey
	}
	comp := as.components[k.suite]
	if comp == nil || comp.PayMode != 1 {
		return ErrInvalidOnceKey
	}
	k.used = true
	comp.bills = append(comp.bills, acqBill{Timestamp: now.Unix(), LinkID: l.id, State: channel, Price: comp.Price})
	return nil
}

// routeAcquisitionComponent serves the component's endpoints: two with a
// corp token the component got (get_comp_auth_info, create_once_key) and
// get_bill_list with its suite_access_token.
func (s *Server) routeAcquisitionComponent() {
	// component finds the calling app's component authorization: 48002
	// for an app the corp did not authorize as its component.
	component := func(c *call) (*acqComponent, *apiError) {
		comp := c.corp.acquisition.components[c.s.appLocked(c)]
		if comp == nil {
			return nil, errf(acqCodeForbidden, "api forbidden: only the corp's acquisition component may call it")
		}
		return comp, nil
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99610
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/get_comp_auth_info", authCorp, func(c *call) (any, *apiError) {
		comp, e := component(c)
		if e != nil {
			return nil, e
		}
		type app struct {
			AgentID int `json:"agentid"`
		}
		out := struct {
			PayMode      int   `json:"pay_mode"`
			Price        int64 `json:"price"`
			LinkAuthMode int   `json:"link_auth_mode"`
			AuthApps     []app `json:"auth_apps,omitempty"`
		}{PayMode: comp.PayMode, Price: comp.Price, LinkAuthMode: comp.LinkAuthMode}
		for _, id := range comp.AuthApps {
			out.AuthApps = append(out.AuthApps, app{id})
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99603
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/customer_acquisition/create_once_key", authCorp, func(c *call) (any, *apiError) {
		var req struct {
			LinkID string `json:"link_id"`
			KeyNum *int   `json:"key_num"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		comp, e := component(c)
		if e != nil {
			return nil, e
		}
		n := 100 // 「默认100,最大可填写1000」
		if req.KeyNum != nil {
			n = *req.KeyNum
		}
		as := c.corp.acquisition
		switch l := as.links[req.LinkID]; {
		case comp.PayMode != 1:
			return nil, errf(acqCodeForbidden, "api forbidden: the corp did not authorize the provider to pay (pay_mode 1)")
		case req.LinkID == "":
			return nil, errf(acqCodeInvalid, "link_id missing")
		case l == nil || l.deleted:
			return nil, errf(acqCodeInvalid, "invalid link_id")
		case n < 1 || n > 1000:
			return nil, errf(acqCodeInvalid, "key_num must be 1 to 1000")
		}
		keys := make([]string, n)
		expires := c.s.now().Add(OnceKeyLife)
		for i := range keys {
			keys[i] = c.s.newID("ENC")
			as.onceKeys[keys[i]] = &acqOnceKey{suite: c.s.appLocked(c), linkID: req.LinkID, expires: expires}
		}
		return struct {
			Keys []string `json:"keys"`
		}{keys}, nil
	})

	// get_bill_list takes the component's suite_access_token: the uses the
	// provider paid for in one authorizing corp, in begin_time..end_time (at
	// most 31 days apart), oldest first; next_cursor is left out after the
	// last page, as the page says.
	//
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99602
	s.handle(http.MethodPost, "/cgi-bin/service/customer_acquisition/get_bill_list", authNone, func(c *call) (any, *apiError) {
		fs, e := c.suiteCall()
		if e != nil {
			return nil, e
		}
		var req struct {
			BeginTime  int64  `json:"begin_time"`
			EndTime    int64  `json:"end_time"`
			AuthCorpID string `json:"auth_corpid"`
			Cursor     string `json:"cursor"`
			Limit      int    `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		switch {
		case req.AuthCorpID == "":
			return nil, errf(acqCodeInvalid, "auth_corpid missing")
		case req.BeginTime <= 0 || req.EndTime <= 0 || req.EndTime < req.BeginTime:
			return nil, errf(acqCodeInvalid, "invalid begin_time or end_time")
		case req.EndTime-req.BeginTime > 31*86400:
			return nil, errf(acqCodeInvalid, "begin_time and end_time may be at most 31 days apart")
		case req.Limit < 0 || req.Limit > 1000:
			return nil, errf(acqCodeInvalid, "limit must be at most 1000")
		}
		corp := c.s.corps[req.AuthCorpID]
		var comp *acqComponent
		if corp != nil {
			comp = corp.acquisition.components[fs.id]
		}
		if comp == nil {
			return nil, errf(acqCodeForbidden, "api forbidden: the corp did not authorize this component")
		}
		limit := req.Limit
		if limit == 0 {
			limit = 100
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		var all []acqBill
		for _, b := range comp.bills {
			if b.Timestamp >= req.BeginTime && b.Timestamp <= req.EndTime {
				all = append(all, b)
			}
		}
		page, next := pageOf(all, pos[0], limit)
		return struct {
			NextCursor string    `json:"next_cursor,omitempty"`
			BillList   []acqBill `json:"bill_list"`
		}{next, nonNil(page)}, nil
	})
}
