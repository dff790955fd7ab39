package wecomtest_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// acqEvent is a pushed event as a receiver decodes it.
type acqEvent struct {
	ToUserName, FromUserName, MsgType, Event, ChangeType string
	CreateTime                                           int64
	UserID, ExternalUserID, State, WelcomeCode           string
	LinkID                                               string `xml:"LinkId"`
	ChatSeq                                              int
	ChatKey                                              string
	ExpireTime, ExpireQuotaNum                           int64
}

// receiver is a callback URL that decrypts (independently of package
// callback) and records what it gets.
type receiver struct {
	mu     sync.Mutex
	events []acqEvent
}

func (rc *receiver) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env struct{ Encrypt string }
		assert.NoError(t, xml.Unmarshal(b, &env))
		q := r.URL.Query()
		assert.Equal(t, wecomtest.CallbackSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt), q.Get("msg_signature"), "bad signature")
		msg, rid := open(t, cbKey, env.Encrypt)
		var ev acqEvent
		err := xml.Unmarshal([]byte(msg), &ev)
		assert.NoError(t, err, "%v: %s", err, msg)
		assert.Equal(t, wecomtest.DefaultCorpID, rid, "receiveid")
		assert.Equal(t, rid, ev.ToUserName, "ToUserName")
		rc.mu.Lock()
		rc.events = append(rc.events, ev)
		rc.mu.Unlock()
		_, _ = io.WriteString(w, "success")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (rc *receiver) take() []acqEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := rc.events
	rc.events = nil
	return out
}

func changes(evs []acqEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ChangeType
	}
	return out
}

// acqRig is a fake with one member, a link of the self-built app and a
// callback.
func acqRig(t *testing.T) (*wecomtest.Server, *wecomtest.Acquisition, *receiver, string) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	var out struct {
		Link struct {
			LinkID string `json:"link_id"`
		} `json:"link"`
	}
	require.NoError(t, srv.Client().Post(context.Background(), "/cgi-bin/externalcontact/customer_acquisition/create_link",
		map[string]any{"link_name": "rig", "range": map[string]any{"user_list": []string{"zhangsan"}}}, &out))
	rc := &receiver{}
	corp := srv.Corp(srv.CorpID).SetCallback(rc.serve(t).URL, cbToken, cbKey)
	return srv, corp.Acquisition(), rc, out.Link.LinkID
}

func TestAcquisitionTapPushesTheAddAndQuotaEvents(t *testing.T) {
	t.Parallel()
	srv, acq, rc, link := acqRig(t)
	ctx := t.Context()
	_, err := acq.TapLink(ctx, link, "ad")
	require.ErrorIs(t, err, wecomtest.ErrQuotaExhausted)
	assert.Empty(t, rc.take(), "nothing is pushed for a tap that adds nobody")

	increased, err := acq.GrantQuota(ctx, 20, time.Now().AddDate(0, 1, 0))
	require.NoError(t, err)
	assert.True(t, increased)
	assert.Equal(t, []string{wecomtest.ChangeBalanceIncreased}, changes(rc.take()))
	increased, err = acq.GrantQuota(ctx, 1, time.Now().AddDate(0, 2, 0))
	require.NoError(t, err)
	assert.False(t, increased)
	assert.Empty(t, rc.take(), "balance_increased only from 0")

	tap, err := acq.TapLink(ctx, link, "ad-7")
	require.NoError(t, err)
	evs := rc.take()
	require.Equal(t, []string{wecomtest.ChangeOpenProfile, wecomtest.ChangeFriendRequest, "add_external_contact"}, changes(evs))
	for _, e := range evs[:2] {
		assert.Equal(t, "customer_acquisition", e.Event)
		assert.Equal(t, "sys", e.FromUserName)
		assert.Equal(t, "event", e.MsgType)
		assert.Equal(t, link, e.LinkID)
		assert.Equal(t, "ad-7", e.State)
		assert.NotZero(t, e.CreateTime)
	}
	add := evs[2]
	assert.Equal(t, "change_external_contact", add.Event)
	assert.Equal(t, "zhangsan", add.UserID)
	assert.Equal(t, tap.ExternalUserID, add.ExternalUserID)
	assert.Equal(t, "ad-7", add.State, "the link's customer_channel is the add's State")
	assert.Equal(t, tap.WelcomeCode, add.WelcomeCode)
	assert.NotEmpty(t, add.WelcomeCode)
	assert.Equal(t, []string{"zhangsan"}, srv.Corp(srv.CorpID).Followers(tap.ExternalUserID))

	_, err = acq.TapLink(ctx, link, "")
	require.NoError(t, err)
	assert.Equal(t, []string{wecomtest.ChangeOpenProfile, "add_external_contact", wecomtest.ChangeBalanceLow}, changes(rc.take()),
		"no friend_request without a channel; balance_low as it drops below 20")
	for range 19 {
		_, err = acq.TapLink(ctx, link, "x")
		require.NoError(t, err)
	}
	evs = rc.take()
	assert.Equal(t, wecomtest.ChangeBalanceExhausted, evs[len(evs)-1].ChangeType)
	assert.NotContains(t, changes(evs[:len(evs)-1]), wecomtest.ChangeBalanceLow, "balance_low once")
	assert.Zero(t, acq.Balance())
}

func TestAcquisitionMessagesPushStartChatAndChatKeys(t *testing.T) {
	t.Parallel()
	srv, acq, rc, link := acqRig(t)
	ctx := t.Context()
	_, err := acq.GrantQuota(ctx, 5, time.Now().AddDate(0, 1, 0))
	require.NoError(t, err)
	rc.take()
	tap, err := acq.TapLink(ctx, link, "s")
	require.NoError(t, err)
	rc.take()
	for range 10 {
		_, err := acq.CustomerMessage(ctx, tap.ExternalUserID, tap.UserID)
		require.NoError(t, err)
	}
	evs := rc.take()
	require.Equal(t, []string{wecomtest.ChangeCustomerStartChat, wecomtest.ChangeMessageFromCustomer,
		wecomtest.ChangeMessageFromCustomer, wecomtest.ChangeMessageFromCustomer}, changes(evs))
	assert.Equal(t, tap.ExternalUserID, evs[0].ExternalUserID)
	assert.Equal(t, "zhangsan", evs[0].UserID)
	assert.Equal(t, link, evs[0].LinkID)
	for i, n := range wecomtest.RepeatedMessageCounts() {
		e := evs[i+1]
		assert.Equal(t, n, e.ChatSeq)
		assert.NotEmpty(t, e.ChatKey)
		assert.Equal(t, link, e.LinkID)
	}

	// the ChatKey opens get_chat_info
	var info struct {
		UserID   string `json:"userid"`
		ChatInfo struct {
			RecvMsgCnt int    `json:"recv_msg_cnt"`
			State      string `json:"state"`
		} `json:"chat_info"`
	}
	require.NoError(t, srv.Client().Do(ctx, &wecom.Request{Path: "/cgi-bin/externalcontact/customer_acquisition/get_chat_info",
		Body: map[string]string{"chat_key": evs[2].ChatKey}, Out: &info, Op: wecom.OpRead}))
	assert.Equal(t, "zhangsan", info.UserID)
	assert.Equal(t, 5, info.ChatInfo.RecvMsgCnt)
	assert.Equal(t, "s", info.ChatInfo.State)
}

func TestAcquisitionLinkAndQuotaEvents(t *testing.T) {
	t.Parallel()
	now := time.Now()
	_, acq, rc, link := acqRig(t)
	ctx := t.Context()
	_, err := acq.GrantQuota(ctx, 7, now.Add(3*24*time.Hour))
	require.NoError(t, err)
	_, err = acq.GrantQuota(ctx, 9, now.Add(40*24*time.Hour))
	require.NoError(t, err)
	rc.take()
	soon, err := acq.PushQuotaExpireSoon(ctx)
	require.NoError(t, err)
	require.Len(t, soon, 1)
	evs := rc.take()
	require.Equal(t, []string{wecomtest.ChangeQuotaExpireSoon}, changes(evs))
	assert.Equal(t, now.Add(3*24*time.Hour).Unix(), evs[0].ExpireTime)
	assert.EqualValues(t, 7, evs[0].ExpireQuotaNum)

	require.NoError(t, acq.MakeLinkUnavailable(ctx, link))
	evs = rc.take()
	require.Equal(t, []string{wecomtest.ChangeLinkUnavailable}, changes(evs))
	assert.Equal(t, link, evs[0].LinkID)
	_, err = acq.TapLink(ctx, link, "")
	assert.ErrorIs(t, err, wecomtest.ErrLinkUnavailable)

	require.NoError(t, acq.DeleteLinkInAdmin(ctx, link))
	evs = rc.take()
	require.Equal(t, []string{wecomtest.ChangeDeleteLink}, changes(evs))
	assert.Equal(t, link, evs[0].LinkID)
	_, err = acq.TapLink(ctx, link, "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	assert.ErrorIs(t, acq.MakeLinkUnavailable(ctx, link), wecomtest.ErrNotFound)
	assert.Empty(t, rc.take())
}

func TestAcquisitionHelpersRefuseUnknowns(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	_, err := srv.Corp("wwnobody").Acquisition().GrantQuota(t.Context(), 1, time.Now().Add(time.Hour))
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	_, err = srv.Corp(srv.CorpID).Acquisition().GrantQuota(t.Context(), 0, time.Now().Add(time.Hour))
	assert.Error(t, err)
	_, err = srv.Corp(srv.CorpID).Acquisition().TapLink(t.Context(), "canope", "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	_, err = srv.Corp("wwnobody").Acquisition().CustomerMessage(t.Context(), "wm", "u")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	assert.ErrorIs(t, srv.Corp("wwnobody").Acquisition().SetMarketingApp("", wecomtest.AcquisitionPermit{}), wecomtest.ErrNotFound)
	assert.ErrorIs(t, srv.Corp(srv.CorpID).Acquisition().DeleteLinkInAdmin(t.Context(), "canope"), wecomtest.ErrNotFound)
	_, err = srv.Corp(srv.CorpID).Acquisition().LinkApp("canope")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	assert.Zero(t, srv.Corp("wwnobody").Acquisition().Balance())
	assert.Nil(t, srv.Corp("wwnobody").Acquisition().ExpiringQuotas(time.Hour))
}

// A link whose members all left adds nobody.
func TestAcquisitionTapNeedsAnActiveMember(t *testing.T) {
	t.Parallel()
	srv, acq, _, link := acqRig(t)
	_, err := acq.GrantQuota(t.Context(), 5, time.Now().AddDate(0, 1, 0))
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("zhangsan"))
	_, err = acq.TapLink(t.Context(), link, "")
	assert.ErrorContains(t, err, "no active member")
	assert.EqualValues(t, 5, acq.Balance(), "no quota used")
}

// Without a callback the acts change the fake's state and push nothing;
// the tap's welcome code is one send_welcome_msg accepts, once.
func TestAcquisitionActsWithoutCallback(t *testing.T) {
	t.Parallel()
	srv, acq, rc, link := acqRig(t)
	srv.Corp(srv.CorpID).SetCallback("", "", "")
	require.Nil(t, srv.Corp(srv.CorpID).Pusher())
	ctx := t.Context()
	increased, err := acq.GrantQuota(ctx, 5, time.Now().AddDate(0, 1, 0))
	require.NoError(t, err)
	assert.True(t, increased)
	tap, err := acq.TapLink(ctx, link, "ad")
	require.NoError(t, err)
	m, err := acq.CustomerMessage(ctx, tap.ExternalUserID, tap.UserID)
	require.NoError(t, err)
	assert.True(t, m.First)
	require.NoError(t, acq.MakeLinkUnavailable(ctx, link))
	_, err = acq.PushQuotaExpireSoon(ctx)
	assert.ErrorContains(t, err, "no callback")
	assert.Empty(t, rc.take(), "nothing is pushed without a callback")

	msgs := srv.Corp(srv.CorpID).Messages()
	require.Equal(t, wecomtest.WelcomeCodeValid, msgs.WelcomeCode(tap.WelcomeCode))
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/send_welcome_msg",
		map[string]any{"welcome_code": tap.WelcomeCode, "text": map[string]string{"content": "hi"}}, nil))
	assert.Equal(t, wecomtest.WelcomeCodeUsed, msgs.WelcomeCode(tap.WelcomeCode))
	sent := msgs.WelcomesSent()
	require.Len(t, sent, 1)
	assert.Equal(t, tap.ExternalUserID, sent[0].ExternalUserID)
}

func TestCustomerAcquisitionXMLLeavesOutZeroFields(t *testing.T) {
	t.Parallel()
	x := string(wecomtest.CustomerAcquisitionXML("wwc", wecomtest.ChangeBalanceLow, wecomtest.AcquisitionEventFields{}, time.Unix(1403610513, 0)))
	assert.Equal(t, "<xml><ToUserName><![CDATA[wwc]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"+
		"<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[customer_acquisition]]></Event>"+
		"<ChangeType><![CDATA[balance_low]]></ChangeType></xml>", x)
	x = string(wecomtest.CustomerAcquisitionXML("wwc", wecomtest.ChangeQuotaExpireSoon,
		wecomtest.AcquisitionEventFields{ExpireTime: 1700000000, ExpireQuotaNum: 5}, time.Unix(1, 0)))
	assert.Contains(t, x, "<ExpireTime>1700000000</ExpireTime><ExpireQuotaNum>5</ExpireQuotaNum>")
}
