package wecomtest_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// kfRig is a fake on a clock the test moves, with one account and a link.
type kfRig struct {
	srv     *wecomtest.Server
	c       *wecom.Client
	kf      *wecomtest.KF
	account string
	link    string
	mu      sync.Mutex
	now     time.Time
}

func (r *kfRig) clock() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }

func (r *kfRig) advance(d time.Duration) { r.mu.Lock(); r.now = r.now.Add(d); r.mu.Unlock() }

func newKFRig(t *testing.T) *kfRig {
	t.Helper()
	r := &kfRig{now: time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)}
	r.srv = wecomtest.NewServer(t, wecomtest.WithClock(r.clock))
	r.c = r.srv.Client(wecom.WithClock(r.clock))
	r.kf = r.srv.Corp(r.srv.CorpID).KF()
	var err error
	r.account, err = r.kf.AddAccountInAdmin("客服")
	require.NoError(t, err)
	var out struct {
		URL string `json:"url"`
	}
	require.NoError(t, r.post("kf/add_contact_way", map[string]string{"open_kfid": r.account, "scene": "s1"}, &out))
	r.link = out.URL
	return r
}

func (r *kfRig) post(path string, body, out any) error {
	return r.c.Post(context.Background(), "/cgi-bin/"+path, body, out)
}

// kfReceiver is a callback URL that decrypts (independently of package
// callback) and records the plaintexts it gets.
type kfReceiver struct {
	mu  sync.Mutex
	got []string
}

func (rc *kfReceiver) serve(t *testing.T, corp *wecomtest.Corp) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env struct{ Encrypt string }
		assert.NoError(t, xml.Unmarshal(b, &env))
		q := r.URL.Query()
		assert.Equal(t, wecomtest.CallbackSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt), q.Get("msg_signature"),
			"bad signature")
		msg, _ := open(t, cbKey, env.Encrypt)
		rc.mu.Lock()
		rc.got = append(rc.got, msg)
		rc.mu.Unlock()
		_, _ = io.WriteString(w, "success")
	}))
	t.Cleanup(srv.Close)
	corp.SetCallback(srv.URL, cbToken, cbKey)
}

func (rc *kfReceiver) plaintexts() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.got...)
}

type kfPage struct {
	NextCursor string            `json:"next_cursor"`
	HasMore    int               `json:"has_more"`
	MsgList    []json.RawMessage `json:"msg_list"`
}

func (r *kfRig) sync(t *testing.T, cursor, token string) (*kfPage, error) {
	t.Helper()
	var p kfPage
	err := r.post("kf/sync_msg", map[string]any{"open_kfid": r.account, "cursor": cursor, "token": token}, &p)
	return &p, err
}

func TestKFOpenLinkPushesEnterSessionWithSceneAndWelcomeCode(t *testing.T) {
	t.Parallel()
	r := newKFRig(t)
	rc := &kfReceiver{}
	rc.serve(t, r.srv.Corp(r.srv.CorpID))
	entry, err := r.kf.OpenLink(t.Context(), r.link+"&scene_param="+url.QueryEscape("a=1&b=2"), "")
	require.NoError(t, err)
	require.NotEmpty(t, entry.WelcomeCode)
	xmls := rc.plaintexts()
	require.Len(t, xmls, 1)
	assert.Contains(t, xmls[0], "<Event><![CDATA[kf_msg_or_event]]></Event>")
	assert.Contains(t, xmls[0], "<OpenKfId><![CDATA["+r.account+"]]></OpenKfId>")
	token := between(xmls[0], "<Token><![CDATA[", "]]>")

	p, err := r.sync(t, "", token)
	require.NoError(t, err)
	require.Len(t, p.MsgList, 1)
	var m struct {
		MsgID   string `json:"msgid"`
		Origin  int    `json:"origin"`
		MsgType string `json:"msgtype"`
		Event   struct {
			EventType   string `json:"event_type"`
			Scene       string `json:"scene"`
			SceneParam  string `json:"scene_param"`
			WelcomeCode string `json:"welcome_code"`
		} `json:"event"`
	}
	require.NoError(t, json.Unmarshal(p.MsgList[0], &m))
	assert.Equal(t, entry.MsgID, m.MsgID)
	assert.Equal(t, 4, m.Origin)
	assert.Equal(t, "enter_session", m.Event.EventType)
	assert.Equal(t, "s1", m.Event.Scene)
	assert.Equal(t, "a=1&b=2", m.Event.SceneParam)
	assert.Equal(t, entry.WelcomeCode, m.Event.WelcomeCode)

	// A customer who wrote within 48 hours gets no new welcome_code.
	_, err = r.kf.Write(t.Context(), r.account, entry.ExternalUserID, wecomtest.KFText("hi"))
	require.NoError(t, err)
	again, err := r.kf.OpenLink(t.Context(), r.link, entry.ExternalUserID)
	require.NoError(t, err)
	assert.Empty(t, again.WelcomeCode)
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	return s[:strings.Index(s, to)]
}

// Tokens: valid 10 minutes, for the pushed account; pulls without one are
// limited.
func TestKFSyncMsgTokens(t *testing.T) {
	t.Parallel()
	r := newKFRig(t)
	rc := &kfReceiver{}
	rc.serve(t, r.srv.Corp(r.srv.CorpID))
	_, err := r.kf.OpenLink(t.Context(), r.link, "")
	require.NoError(t, err)
	token := between(rc.plaintexts()[0], "<Token><![CDATA[", "]]>")

	_, err = r.sync(t, "", "ENCforged")
	assert.Equal(t, wecom.CodeKFInvalidMsgToken, wecom.ErrorCode(err))
	r.advance(wecomtest.KFTokenLife)
	_, err = r.sync(t, "", token)
	assert.Equal(t, wecom.CodeKFInvalidMsgToken, wecom.ErrorCode(err), "10 minutes later")

	for range wecomtest.KFTokenlessSyncLimit {
		_, err = r.sync(t, "", "")
		require.NoError(t, err)
	}
	_, err = r.sync(t, "", "")
	assert.True(t, wecom.IsRateLimited(err), "the strict limit without a token: %v", err)
	r.advance(time.Minute)
	_, err = r.sync(t, "", "")
	require.NoError(t, err)
}

// Cursors and has_more walk the messages; a cursor behind messages older
// than three days is refused.
func TestKFSyncMsgCursorsAndRetention(t *testing.T) {
	t.Parallel()
	r := newKFRig(t)
	r.kf.SetSyncPageSize(2)
	entry, err := r.kf.OpenLink(t.Context(), r.link, "")
	require.NoError(t, err)
	for _, s := range []string{"1", "2", "3"} {
		_, err := r.kf.Write(t.Context(), r.account, entry.ExternalUserID, wecomtest.KFText(s))
		require.NoError(t, err)
	}
	p, err := r.sync(t, "", "")
	require.NoError(t, err)
	assert.Len(t, p.MsgList, 2)
	assert.Equal(t, 1, p.HasMore)
	p2, err := r.sync(t, p.NextCursor, "")
	require.NoError(t, err)
	assert.Len(t, p2.MsgList, 2)
	assert.Equal(t, 0, p2.HasMore)
	p3, err := r.sync(t, p2.NextCursor, "")
	require.NoError(t, err)
	assert.Empty(t, p3.MsgList)
	assert.Equal(t, p2.NextCursor, p3.NextCursor)

	// Four days later: the old cursor lost a message WeCom no longer keeps.
	_, err = r.kf.Write(t.Context(), r.account, entry.ExternalUserID, wecomtest.KFText("4"))
	require.NoError(t, err)
	r.advance(4 * 24 * time.Hour)
	_, err = r.kf.Write(t.Context(), r.account, entry.ExternalUserID, wecomtest.KFText("5"))
	require.NoError(t, err)
	_, err = r.sync(t, p2.NextCursor, "")
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
	fresh, err := r.sync(t, "", "")
	require.NoError(t, err)
	require.Len(t, fresh.MsgList, 1, "only the message of the past three days")
	assert.Contains(t, string(fresh.MsgList[0]), `"content":"5"`)
}

// send_msg: in states 0 and 1, within 48 hours, five messages; the session
// moves to the bot.
func TestKFSendMsgWindowAndStates(t *testing.T) {
	t.Parallel()
	r := newKFRig(t)
	entry, err := r.kf.OpenLink(t.Context(), r.link, "")
	require.NoError(t, err)
	ext := entry.ExternalUserID
	send := func() error {
		return r.post("kf/send_msg", map[string]any{"touser": ext, "open_kfid": r.account, "msgtype": "text",
			"text": map[string]string{"content": "hi"}}, nil)
	}
	assert.Equal(t, wecom.CodeKFSessionStateNoSend, wecom.ErrorCode(send()), "the customer has not written")
	_, err = r.kf.Write(t.Context(), r.account, ext, wecomtest.KFText("hi"))
	require.NoError(t, err)
	for range wecomtest.KFSendLimit {
		require.NoError(t, send())
	}
	ses, _ := r.kf.Session(r.account, ext)
	assert.Equal(t, 1, ses.State, "answered by the API: the bot's")
	assert.Equal(t, wecom.CodeKFSendCountLimit, wecom.ErrorCode(send()))
	_, err = r.kf.Write(t.Context(), r.account, ext, wecomtest.KFText("again"))
	require.NoError(t, err)
	r.advance(wecomtest.KFSendWindow)
	assert.Equal(t, wecom.CodeKFSendTimeLimit, wecom.ErrorCode(send()))

	// Unknown fields and menus over the limits are refused.
	err = r.post("kf/send_msg", map[string]any{"touser": ext, "open_kfid": r.account, "msgtype": "text",
		"text": map[string]string{"content": "hi", "colour": "red"}}, nil)
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
	items := make([]map[string]any, 11)
	for i := range items {
		items[i] = map[string]any{"type": "click", "click": map[string]string{"id": "x", "content": "x"}}
	}
	_, err = r.kf.Write(t.Context(), r.account, ext, wecomtest.KFText("third"))
	require.NoError(t, err)
	err = r.post("kf/send_msg", map[string]any{"touser": ext, "open_kfid": r.account, "msgtype": "msgmenu",
		"msgmenu": map[string]any{"list": items}}, nil)
	assert.Equal(t, 95008, wecom.ErrorCode(err))
}

func TestKFServicersAccountsAndKnowledge(t *testing.T) {
	t.Parallel()
	r := newKFRig(t)
	require.NoError(t, r.srv.Corp(r.srv.CorpID).AddStaff("zhangsan"))
	var res struct {
		ResultList []struct {
			UserID  string `json:"userid"`
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		} `json:"result_list"`
	}
	body := map[string]any{"open_kfid": r.account, "userid_list": []string{"zhangsan", "nobody"}}
	require.NoError(t, r.post("kf/servicer/add", body, &res))
	require.Len(t, res.ResultList, 2)
	assert.Equal(t, 0, res.ResultList[0].ErrCode)
	assert.Equal(t, 60111, res.ResultList[1].ErrCode)
	require.NoError(t, r.post("kf/servicer/add", body, &res))
	assert.Equal(t, "ignored", res.ResultList[0].ErrMsg)
	assert.Equal(t, []string{"zhangsan"}, r.kf.Servicers(r.account))
	var list struct {
		ServicerList []map[string]any `json:"servicer_list"`
	}
	require.NoError(t, r.c.Get(t.Context(), "/cgi-bin/kf/servicer/list", url.Values{"open_kfid": {r.account}}, &list))
	assert.Len(t, list.ServicerList, 1)

	err := r.post("kf/account/del", map[string]string{"open_kfid": "wknope"}, nil)
	assert.Equal(t, wecom.CodeKFAccountNotFound, wecom.ErrorCode(err))

	var g struct {
		GroupID string `json:"group_id"`
	}
	require.NoError(t, r.post("kf/knowledge/add_group", map[string]string{"name": "售后"}, &g))
	err = r.post("kf/knowledge/add_group", map[string]string{"name": "售后"}, nil)
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err), "names are unique")
	var groups struct {
		GroupList []struct {
			Name      string `json:"name"`
			IsDefault int    `json:"is_default"`
		} `json:"group_list"`
	}
	require.NoError(t, r.post("kf/knowledge/list_group", map[string]any{}, &groups))
	require.Len(t, groups.GroupList, 2)
	assert.Equal(t, 1, groups.GroupList[0].IsDefault, "WeCom's own default group")

	err = r.post("kf/customer/upgrade_service", map[string]any{"open_kfid": r.account, "external_userid": "wmnobody", "type": 1,
		"member": map[string]string{"userid": "zhangsan"}}, nil)
	assert.Equal(t, 40096, wecom.ErrorCode(err))
}
