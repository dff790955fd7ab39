package callback_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// push delivers plaintext to h directly and returns the status.
func push(t *testing.T, h http.Handler, receiveID, plaintext string) int {
	t.Helper()
	p := wecomtest.NewPusher("", token, aesKey, receiveID)
	body, q, err := p.Envelope([]byte(plaintext), "1700000000", "7")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/cb?"+q.Encode(), bytes.NewReader(body)))
	return rec.Code
}

// Every typed registration receives its kind (and only the change types
// asked for); other pushes fall through to the default handler.
func TestTypedRegistrations(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverIDs(corpID, "suite1"))
	var got []string
	rec := func(s string) { got = append(got, s) }
	h.OnExternalChat(func(_ context.Context, e *callback.ExternalChatEvent) error {
		rec("chat:" + string(e.ChangeType) + ":" + e.ChatID)
		return nil
	}, callback.ChangeChatDismiss)
	h.OnExternalTag(func(_ context.Context, e *callback.ExternalTagEvent) error {
		rec("tag:" + string(e.ChangeType) + ":" + string(e.TagType))
		return nil
	})
	h.OnCustomerAcquisition(func(_ context.Context, e *callback.CustomerAcquisitionEvent) error {
		rec("acq:" + e.LinkID + ":" + e.State)
		return nil
	}, callback.ChangeFriendRequest)
	h.OnChangeAuth(func(_ context.Context, e *callback.ChangeAuthEvent) error {
		rec("change_auth:" + e.AuthCorpID)
		return nil
	})
	h.OnCancelAuth(func(_ context.Context, e *callback.CancelAuthEvent) error {
		rec("cancel_auth:" + e.AuthCorpID)
		return nil
	})
	h.OnResetPermanentCode(func(_ context.Context, e *callback.ResetPermanentCodeEvent) error {
		rec("reset:" + e.AuthCode)
		return nil
	})
	h.OnChangeContact(func(_ context.Context, e *callback.ChangeContactEvent) error {
		rec("contact:" + string(e.ChangeType) + ":" + e.UserID)
		return nil
	}, callback.ChangeCreateUser, callback.ChangeDeleteUser)
	h.On("msgaudit_notify", func(_ context.Context, e callback.Event) error {
		_, unknown := e.(*callback.UnknownEvent)
		if unknown {
			rec("generic:" + string(e.Header().Kind()))
		}
		return nil
	})
	h.OnDefault(func(_ context.Context, e callback.Event) error {
		rec("default:" + string(e.Header().Kind()) + ":" + string(e.Header().ChangeType))
		return nil
	})
	app := func(event, rest string) string {
		return "<xml><ToUserName>" + corpID + "</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000</CreateTime>" +
			"<MsgType>event</MsgType><Event>" + event + "</Event>" + rest + "</xml>"
	}
	cmd := func(info, rest string) string {
		return "<xml><SuiteId>suite1</SuiteId><AuthCorpId>wwA</AuthCorpId><InfoType>" + info + "</InfoType><TimeStamp>1700000000</TimeStamp>" + rest + "</xml>"
	}
	pushes := []struct{ rid, xml string }{
		{corpID, app("change_external_chat", "<ChatId>c1</ChatId><ChangeType>dismiss</ChangeType>")},
		{corpID, app("change_external_chat", "<ChatId>c2</ChatId><ChangeType>create</ChangeType>")}, // filtered out: default
		{corpID, app("change_external_tag", "<Id>t</Id><TagType>tag_group</TagType><ChangeType>delete</ChangeType>")},
		{corpID, app("customer_acquisition", "<ChangeType>friend_request</ChangeType><LinkId>L1</LinkId><State>s</State>")},
		{"suite1", cmd("change_auth", "")},
		{"suite1", cmd("cancel_auth", "")},
		{"suite1", "<xml><SuiteId>dk1</SuiteId><AuthCode>AC</AuthCode><InfoType>reset_permanent_code</InfoType><TimeStamp>1</TimeStamp></xml>"},
		{"suite1", cmd("change_contact", "<ChangeType>create_user</ChangeType><UserID>u1</UserID>")},
		{"suite1", cmd("change_contact", "<ChangeType>update_party</ChangeType><Id>2</Id>")}, // filtered out: default
		{corpID, app("msgaudit_notify", "")},
	}
	for _, p := range pushes {
		if code := push(t, h, p.rid, p.xml); code != 200 {
			t.Fatalf("%s: %d", p.xml, code)
		}
	}
	want := []string{"chat:dismiss:c1", "default:change_external_chat:create", "tag:delete:tag_group", "acq:L1:s",
		"change_auth:wwA", "cancel_auth:wwA", "reset:AC", "contact:create_user:u1", "default:change_contact:update_party",
		"generic:msgaudit_notify"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q\nwant %q", got, want)
		}
	}
}

func TestHandlerTimeoutAndAnswer(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithHandlerTimeout(time.Minute), callback.WithAnswer(""))
	var deadline bool
	h.OnAddExternalContact(func(ctx context.Context, _ *callback.ExternalContactEvent) error {
		_, deadline = ctx.Deadline()
		return nil
	})
	_, p := serve(t, h, corpID)
	res, err := p.Push(context.Background(), addEvent("t"))
	if err != nil || res.Body() != "" || res.Status() != 200 {
		t.Fatal(res, err)
	}
	if !deadline {
		t.Fatal("handler context has no deadline")
	}
}

// A passive reply built by the Handler carries the event's receiver id, as
// WeCom's own library's replies do: a receiver-checking Crypto decrypts it.
func TestPassiveReplyWithHandlerCrypto(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	if h.Crypto().ReceiveID() != "" {
		t.Fatal("the handler's Crypto should not check receivers itself")
	}
	evs := make(chan callback.Event, 1)
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error { evs <- ev; return nil })
	_, p := serve(t, h, corpID)
	if _, err := p.Push(context.Background(), addEvent("reply")); err != nil {
		t.Fatal(err)
	}
	ev := <-evs
	r, err := h.EncryptReply(ev, []byte("<xml><MsgType>text</MsgType></xml>"), "1700000000", "9")
	if err != nil {
		t.Fatal(err)
	}
	c, err := callback.NewCrypto(token, aesKey, corpID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decrypt(r.MsgSignature, r.TimeStamp, r.Nonce, r.Encrypt)
	if err != nil || string(got) != "<xml><MsgType>text</MsgType></xml>" {
		t.Fatal(string(got), err)
	}
	other, _ := callback.NewCrypto(token, aesKey, "wwOTHER")
	if _, err := other.Decrypt(r.MsgSignature, r.TimeStamp, r.Nonce, r.Encrypt); !errors.Is(err, callback.ErrReceiverMismatch) {
		t.Fatalf("another receiver: %v", err)
	}
	if wecomtest.CallbackSignature(token, r.TimeStamp, r.Nonce, r.Encrypt) != r.MsgSignature {
		t.Fatal("signature differs from WeCom's recipe")
	}
	if _, err := h.EncryptReply(nil, []byte("<xml/>"), "1", "2"); err == nil {
		t.Fatal("nil event accepted")
	}
}
