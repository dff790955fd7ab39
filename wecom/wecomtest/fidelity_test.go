package wecomtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// fidPost posts body to path with the default corp's app and returns the
// errcode of the answer (0 for success) and decodes it into out.
func fidPost(t *testing.T, srv *wecomtest.Server, path string, body, out any) int {
	t.Helper()
	return wecom.ErrorCode(srv.Client().Post(t.Context(), path, body, out))
}

// The Moments text is checked in characters and in bytes (96351: at most
// 2000 characters and 4000 bytes).
func TestFidelityMomentTextIsCheckedInBytesToo(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const path = "/cgi-bin/externalcontact/add_moment_task"
	post := func(text string) int {
		return fidPost(t, srv, path, map[string]any{"text": map[string]any{"content": text}}, nil)
	}
	assert.Equal(t, 40058, post(strings.Repeat("字", 2000)), "2000 characters, 6000 bytes")
	assert.Equal(t, 40058, post(strings.Repeat("x", 2001)), "2001 characters")
	assert.Equal(t, 0, post(strings.Repeat("字", 1333)), "1333 characters, 3999 bytes")
	assert.Equal(t, 0, post(strings.Repeat("x", 2000)))
	require.Equal(t, 4, srv.Count(path))
}

// VerifyURL performs the URL check, as Push performs a push: it succeeds
// only when the callback answers the echo.
func TestFidelityVerifyURLPerformsTheCheck(t *testing.T) {
	t.Parallel()
	key := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler("fidToken", key, callback.WithReceiverID("wwfid"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	good := httptest.NewServer(h)
	t.Cleanup(good.Close)
	res, err := wecomtest.NewPusher(good.URL, "fidToken", key, "wwfid").VerifyURL(t.Context(), "1616140317555161061")
	require.NoError(t, err)
	assert.True(t, res.OK)
	assert.Equal(t, "1616140317555161061", res.Body())
	require.Len(t, res.Attempts, 1)

	var gets atomic.Int32
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
		}
		_, _ = w.Write([]byte("success"))
	}))
	t.Cleanup(bad.Close)
	res, err = wecomtest.NewPusher(bad.URL, "fidToken", key, "wwfid").VerifyURL(t.Context(), "42")
	require.Error(t, err)
	assert.False(t, res.OK)
	assert.EqualValues(t, 1, gets.Load(), "one GET")
	_, err = wecomtest.NewPusher(bad.URL, "fidToken", "short", "wwfid").VerifyURL(t.Context(), "42")
	require.Error(t, err)
}

// WaitRelation and WaitWelcome wait for what another goroutine does
// through the API, and end with the context.
func TestFidelityWaitRelationAndWaitWelcome(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)
	ids, err := corp.SeedCustomers(1, []string{"alice"})
	require.NoError(t, err)
	code := corp.Messages().IssueWelcomeCode("alice", ids[0])

	type welcome struct {
		w   wecomtest.SentWelcome
		err error
	}
	gotWelcome := make(chan welcome, 1)
	go func() {
		w, err := corp.Messages().WaitWelcome(t.Context(), ids[0])
		gotWelcome <- welcome{w, err}
	}()
	type relation struct {
		r   wecomtest.Relation
		err error
	}
	gotRelation := make(chan relation, 1)
	go func() {
		r, err := corp.WaitRelation(t.Context(), "alice", ids[0], func(r wecomtest.Relation) bool { return r.Remark == "VIP" })
		gotRelation <- relation{r, err}
	}()
	require.Zero(t, fidPost(t, srv, "/cgi-bin/externalcontact/send_welcome_msg",
		map[string]any{"welcome_code": code, "text": map[string]any{"content": "hello"}}, nil))
	require.Zero(t, fidPost(t, srv, "/cgi-bin/externalcontact/remark",
		map[string]any{"userid": "alice", "external_userid": ids[0], "remark": "VIP"}, nil))
	w := <-gotWelcome
	require.NoError(t, w.err)
	assert.Equal(t, "hello", w.w.Text)
	assert.Equal(t, "alice", w.w.UserID)
	r := <-gotRelation
	require.NoError(t, r.err)
	assert.Equal(t, "VIP", r.r.Remark)

	// The context ends a wait that nothing satisfies.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = corp.Messages().WaitWelcome(ctx, "wmNobody")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = corp.WaitRelation(ctx, "alice", ids[0], func(r wecomtest.Relation) bool { return r.Remark == "never" })
	assert.ErrorIs(t, err, context.Canceled)
	// A relation that went away does not satisfy a nil condition.
	require.NoError(t, corp.CustomerDeletesMember(t.Context(), ids[0], "alice"))
	_, err = corp.WaitRelation(ctx, "alice", ids[0], nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// The deletion events are WeCom's change_external_contact XML.
func TestFidelityDeletionEventsXML(t *testing.T) {
	t.Parallel()
	at := time.Unix(1403610513, 0)
	assert.Equal(t, "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"+
		"<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>"+
		"<ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"+
		"<ExternalUserID><![CDATA[wmA]]></ExternalUserID></xml>", string(wecomtest.DelFollowUserXML("ww1", "zhangsan", "wmA", at)))
	assert.Contains(t, string(wecomtest.DelExternalContactXML("ww1", "zhangsan", "wmA", "DELETE_BY_TRANSFER", at)),
		"<ChangeType><![CDATA[del_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"+
			"<ExternalUserID><![CDATA[wmA]]></ExternalUserID><Source><![CDATA[DELETE_BY_TRANSFER]]></Source></xml>")
	assert.NotContains(t, string(wecomtest.DelExternalContactXML("ww1", "zhangsan", "wmA", "", at)), "Source")
}
