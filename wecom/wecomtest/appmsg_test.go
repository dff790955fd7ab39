package wecomtest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func sendRaw(t *testing.T, c *wecom.Client, body string) (map[string]any, error) {
	t.Helper()
	var out map[string]any
	err := c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/message/send", Body: rawJSON(body), Out: &out, Op: wecom.OpRead})
	return out, err
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// The fake reaches the members named, the members of departments (and of
// their sub-departments) and of tags, and reports what it could not reach.
func TestAppMessageRecipients(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)
	dir := corp.Directory()
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 5, Name: "Sales"}))
	require.NoError(t, dir.AddDepartment(wecomtest.DepartmentSpec{ID: 6, ParentID: 5, Name: "Sales East"}))
	require.NoError(t, dir.AddMember(wecomtest.MemberSpec{UserID: "Alice", Name: "A", Departments: []int{6}}))
	require.NoError(t, corp.AddStaff("bob"))
	c := srv.Client()

	out, err := sendRaw(t, c, `{"touser":"bob|nobody","toparty":"5|77","totag":"9","msgtype":"text","agentid":1000002,"text":{"content":"hi"}}`)
	require.NoError(t, err)
	assert.Equal(t, "nobody", out["invaliduser"])
	assert.Equal(t, "77", out["invalidparty"])
	assert.Equal(t, "9", out["invalidtag"])
	assert.Len(t, corp.AppMessages().Received("alice"), 1, "userids are not case-sensitive")
	assert.Len(t, corp.AppMessages().Received("bob"), 1)

	_, err = sendRaw(t, c, `{"touser":"nobody","msgtype":"text","agentid":1000002,"text":{"content":"hi"}}`)
	assert.Equal(t, wecom.CodeAllRecipientsInvalid, wecom.ErrorCode(err))
	_, err = sendRaw(t, c, `{"touser":"bob","msgtype":"text","agentid":7,"text":{"content":"hi"}}`)
	assert.Equal(t, wecom.CodeAgentNotAllowed, wecom.ErrorCode(err))
	_, err = sendRaw(t, c, `{"touser":"bob","msgtype":"sticker","agentid":1000002}`)
	assert.Equal(t, 40008, wecom.ErrorCode(err))
	_, err = sendRaw(t, c, `{"touser":"bob","msgtype":"text","agentid":1000002,"txt":{"content":"hi"}}`)
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err), "a field WeCom does not know")
}

// Recalling works for a day.
func TestAppMessageRecallWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	srv := wecomtest.NewServer(t, wecomtest.WithClock(func() time.Time { return clock() }))
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("bob"))
	c := srv.Client(wecom.WithClock(func() time.Time { return clock() }))
	out, err := sendRaw(t, c, `{"touser":"bob","msgtype":"text","agentid":1000002,"text":{"content":"hi"}}`)
	require.NoError(t, err)
	now = now.Add(24 * time.Hour)
	err = c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/message/recall", Body: map[string]string{"msgid": out["msgid"].(string)}, Op: wecom.OpRead})
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
}

// A press the callback answers with a passive reply that does not decrypt
// for the corp is reported, and a press of a card nobody received too.
func TestPressButtonChecksTheReply(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	corp := srv.Corp(srv.CorpID)
	require.NoError(t, corp.AddStaff("bob"))
	_, err := corp.AppMessages().PressButton(t.Context(), "bob", "none", "k")
	require.ErrorIs(t, err, wecomtest.ErrNotFound)

	_, err = sendRaw(t, srv.Client(), `{"touser":"bob","msgtype":"template_card","agentid":1000002,"template_card":`+
		`{"card_type":"button_interaction","task_id":"t1","main_title":{"title":"T"},"button_list":[{"text":"OK","key":"ok"}]}}`)
	require.NoError(t, err)
	_, err = corp.AppMessages().PressButton(t.Context(), "bob", "t1", "nope")
	require.ErrorIs(t, err, wecomtest.ErrNotFound)

	// a callback answering with a reply whose signature is wrong: the fake
	// refuses it, as WeCom would
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `<xml><Encrypt><![CDATA[AAAA]]></Encrypt><MsgSignature><![CDATA[bad]]></MsgSignature>`+
			`<TimeStamp>1</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>`)
	}))
	t.Cleanup(hs.Close)
	corp.SetCallback(hs.URL, "tok", wecomtest.NewEncodingAESKey())
	press, err := corp.AppMessages().PressButton(t.Context(), "bob", "t1", "ok")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "passive reply"), err.Error())
	assert.NotEmpty(t, press.ResponseCode)
	assert.Empty(t, corp.AppMessages().Received("bob")[0].ReplacedButton)
}
