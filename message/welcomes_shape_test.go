package message_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

// A welcome whose text names the customer reads the name through its name
// source (contact.Service: externalcontact/get), then sends.
func TestShape_WelcomesSend(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/externalcontact/get", Query: url.Values{"external_userid": {"wmNEW"}}},
		`{"errcode":0,"errmsg":"ok","external_contact":{"external_userid":"wmNEW","name":"韩梅梅","type":1},"follow_user":[]}`)
	m.Expect(post("send_welcome_msg", `{"welcome_code":"WC1","text":{"content":"韩梅梅，欢迎！"},
		"attachments":[{"msgtype":"link","link":{"title":"T","url":"https://l.invalid"}}]}`), "")
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{Text: "%NICKNAME%，欢迎！",
		Attachments: []message.Attachment{message.LinkAttachment(message.LinkCard{Title: "T", URL: "https://l.invalid"})}}},
		message.WithNameSource(contact.New(svc.Client())))
	require.NoError(t, err)
	ev := &callback.ExternalContactEvent{UserID: "zhangsan", ExternalUserID: "wmNEW", WelcomeCode: "WC1"}
	ev.ChangeType = callback.ChangeAddExternalContact
	ev.CreateTime = wecom.UnixTime(time.Now().Unix())
	res := w.Send(t.Context(), ev)
	assert.Equal(t, message.WelcomeSent, res.Outcome, "%v", res.Err)
}
