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
		if err := xml.Unmarshal(b, &env); err != nil {
			t.Error(err)
		}
		q := r.URL.Query()
		if q.Get("msg_signature") != wecomtest.CallbackSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
			t.Error("bad signature")
		}
		msg, rid := open(t, cbKey, env.Encrypt)
		var ev acqEvent
		if err := xml.Unmarshal([]byte(msg), &ev); err != nil {
			t.Errorf("%v: %s", err, msg)
		}
		if rid != wecomtest.DefaultCorpID || ev.ToUserName != rid {
			t.Errorf("receiveid %q, ToUserName %q", rid, ev.ToUserName)
		}
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
// configured callback.
func acqRig(t *testing.T) (*wecomtest.Server, *wecomtest.AcquisitionCallback, *receiver, string) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.AddStaff(srv.CorpID, "zhangsan"))
	var out struct {
		Link struct {
			LinkID string `json:"link_id"`
		} `json:"link"`
	}
	require.NoError(t, srv.Client().Post(context.Background(), "/cgi-bin/externalcontact/customer_acquisition/create_link",
		map[string]any{"link_name": "rig", "range": map[string]any{"user_list": []string{"zhangsan"}}}, &out))
	rc := &receiver{}
	cb := srv.ConfigureAcquisitionCallback(srv.CorpID, rc.serve(t).URL, cbToken, cbKey)
	return srv, cb, rc, out.Link.LinkID
}

func TestAcquisitionTapPushesTheAddAndQuotaEvents(t *testing.T) {
	t.Parallel()
	srv, cb, rc, link := acqRig(t)
	ctx := context.Background()
	_, err := cb.TapLink(ctx, link, "ad")
	require.ErrorIs(t, err, wecomtest.ErrQuotaExhausted)
	assert.Empty(t, rc.take(), "nothing is pushed for a tap that adds nobody")

	require.NoError(t, cb.GrantQuota(ctx, 20, time.Now().AddDate(0, 1, 0)))
	assert.Equal(t, []string{wecomtest.AcqBalanceIncreased}, changes(rc.take()))
	require.NoError(t, cb.GrantQuota(ctx, 1, time.Now().AddDate(0, 2, 0)))
	assert.Empty(t, rc.take(), "balance_increased only from 0")

	tap, err := cb.TapLink(ctx, link, "ad-7")
	require.NoError(t, err)
	evs := rc.take()
	require.Equal(t, []string{wecomtest.AcqOpenProfile, wecomtest.AcqFriendRequest, "add_external_contact"}, changes(evs))
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
	assert.Equal(t, []string{"zhangsan"}, srv.Followers(srv.CorpID, tap.ExternalUserID))

	_, err = cb.TapLink(ctx, link, "")
	require.NoError(t, err)
	assert.Equal(t, []string{wecomtest.AcqOpenProfile, "add_external_contact", wecomtest.AcqBalanceLow}, changes(rc.take()),
		"no friend_request without a channel; balance_low as it drops below 20")
	for range 19 {
		_, err = cb.TapLink(ctx, link, "x")
		require.NoError(t, err)
	}
	evs = rc.take()
	assert.Equal(t, wecomtest.AcqBalanceExhausted, evs[len(evs)-1].ChangeType)
	assert.NotContains(t, changes(evs[:len(evs)-1]), wecomtest.AcqBalanceLow, "balance_low once")
	assert.Zero(t, srv.AcquisitionBalance(srv.CorpID))
}

func TestAcquisitionMessagesPushStartChatAndChatKeys(t *testing.T) {
	t.Parallel()
	srv, cb, rc, link := acqRig(t)
	ctx := context.Background()
	_, err := srv.GrantAcquisitionQuota(srv.CorpID, 5, time.Now().AddDate(0, 1, 0))
	require.NoError(t, err)
	tap, err := cb.TapLink(ctx, link, "s")
	require.NoError(t, err)
	rc.take()
	for range 10 {
		_, err := cb.CustomerMessage(ctx, tap.ExternalUserID, tap.UserID)
		require.NoError(t, err)
	}
	evs := rc.take()
	require.Equal(t, []string{wecomtest.AcqCustomerStartChat, wecomtest.AcqMessageFromCustomer,
		wecomtest.AcqMessageFromCustomer, wecomtest.AcqMessageFromCustomer}, changes(evs))
	assert.Equal(t, tap.ExternalUserID, evs[0].ExternalUserID)
	assert.Equal(t, "zhangsan", evs[0].UserID)
	assert.Equal(t, link, evs[0].LinkID)
	for i, n := range wecomtest.RepeatedMessageCounts {
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
	srv, cb, rc, link := acqRig(t)
	ctx := context.Background()
	_, err := srv.GrantAcquisitionQuota(srv.CorpID, 7, now.Add(3*24*time.Hour))
	require.NoError(t, err)
	_, err = srv.GrantAcquisitionQuota(srv.CorpID, 9, now.Add(40*24*time.Hour))
	require.NoError(t, err)
	soon, err := cb.PushQuotaExpireSoon(ctx)
	require.NoError(t, err)
	require.Len(t, soon, 1)
	evs := rc.take()
	require.Equal(t, []string{wecomtest.AcqQuotaExpireSoon}, changes(evs))
	assert.Equal(t, now.Add(3*24*time.Hour).Unix(), evs[0].ExpireTime)
	assert.EqualValues(t, 7, evs[0].ExpireQuotaNum)

	require.NoError(t, cb.MakeLinkUnavailable(ctx, link))
	evs = rc.take()
	require.Equal(t, []string{wecomtest.AcqLinkUnavailable}, changes(evs))
	assert.Equal(t, link, evs[0].LinkID)
	_, err = cb.TapLink(ctx, link, "")
	assert.ErrorIs(t, err, wecomtest.ErrLinkUnavailable)

	require.NoError(t, cb.DeleteLinkInAdmin(ctx, link))
	evs = rc.take()
	require.Equal(t, []string{wecomtest.AcqDeleteLink}, changes(evs))
	assert.Equal(t, link, evs[0].LinkID)
	_, err = cb.TapLink(ctx, link, "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	assert.ErrorIs(t, cb.MakeLinkUnavailable(ctx, link), wecomtest.ErrNotFound)
	assert.Empty(t, rc.take())
}

func TestAcquisitionHelpersRefuseUnknowns(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	_, err := srv.GrantAcquisitionQuota("wwnobody", 1, time.Now().Add(time.Hour))
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	_, err = srv.GrantAcquisitionQuota(srv.CorpID, 0, time.Now().Add(time.Hour))
	assert.Error(t, err)
	_, err = srv.TapAcquisitionLink(srv.CorpID, "canope", "")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	_, err = srv.AcquisitionCustomerMessage("wwnobody", "wm", "u")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	assert.ErrorIs(t, srv.SetMarketingApp("wwnobody", "", wecomtest.AcquisitionPermit{}), wecomtest.ErrNotFound)
	assert.ErrorIs(t, srv.DeleteAcquisitionLinkInAdmin(srv.CorpID, "canope"), wecomtest.ErrNotFound)
	_, err = srv.AcquisitionLinkApp(srv.CorpID, "canope")
	assert.ErrorIs(t, err, wecomtest.ErrNotFound)
	assert.Zero(t, srv.AcquisitionBalance("wwnobody"))
	assert.Nil(t, srv.ExpiringAcquisitionQuotas("wwnobody", time.Hour))
}

// A link whose members all left adds nobody.
func TestAcquisitionTapNeedsAnActiveMember(t *testing.T) {
	t.Parallel()
	srv, _, _, link := acqRig(t)
	_, err := srv.GrantAcquisitionQuota(srv.CorpID, 5, time.Now().AddDate(0, 1, 0))
	require.NoError(t, err)
	require.NoError(t, srv.ResignStaff(srv.CorpID, "zhangsan"))
	_, err = srv.TapAcquisitionLink(srv.CorpID, link, "")
	assert.ErrorContains(t, err, "no active member")
	assert.EqualValues(t, 5, srv.AcquisitionBalance(srv.CorpID), "no quota used")
}

func TestCustomerAcquisitionXMLLeavesOutZeroFields(t *testing.T) {
	t.Parallel()
	x := string(wecomtest.CustomerAcquisitionXML("wwc", wecomtest.AcqBalanceLow, wecomtest.AcquisitionEventFields{}, time.Unix(1403610513, 0)))
	assert.Equal(t, "<xml><ToUserName><![CDATA[wwc]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"+
		"<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[customer_acquisition]]></Event>"+
		"<ChangeType><![CDATA[balance_low]]></ChangeType></xml>", x)
	x = string(wecomtest.CustomerAcquisitionXML("wwc", wecomtest.AcqQuotaExpireSoon,
		wecomtest.AcquisitionEventFields{ExpireTime: 1700000000, ExpireQuotaNum: 5}, time.Unix(1, 0)))
	assert.Contains(t, x, "<ExpireTime>1700000000</ExpireTime><ExpireQuotaNum>5</ExpireQuotaNum>")
}
