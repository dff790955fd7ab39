package callback_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// push delivers plaintext to h directly and returns the status.
func push(t *testing.T, h http.Handler, receiveID, plaintext string) int {
	t.Helper()
	p := wecomtest.NewPusher("", token, aesKey, receiveID)
	body, q, err := p.Envelope([]byte(plaintext), "1700000000", "7")
	require.NoError(t, err)
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
		code := push(t, h, p.rid, p.xml)
		require.Equal(t, 200, code, "%s: %d", p.xml, code)
	}
	want := []string{"chat:dismiss:c1", "default:change_external_chat:create", "tag:delete:tag_group", "acq:L1:s",
		"change_auth:wwA", "cancel_auth:wwA", "reset:AC", "contact:create_user:u1", "default:change_contact:update_party",
		"generic:msgaudit_notify"}
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i], got[i], "got %q\nwant %q", got, want)
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
	res, err := p.Push(t.Context(), addEvent("t"))
	require.NoError(t, err, fmt.Sprint(res, err))
	require.Empty(t, res.Body(), fmt.Sprint(res, err))
	require.Equal(t, 200, res.Status(), fmt.Sprint(res, err))
	require.True(t, deadline, "handler context has no deadline")
}

// A passive reply built by the Handler carries the event's receiver id, as
// WeCom's own library's replies do: a receiver-checking Crypto decrypts it.
func TestPassiveReplyWithHandlerCrypto(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	require.Empty(t, h.Crypto().ReceiveID(), "the handler's Crypto should not check receivers itself")
	evs := make(chan callback.Event, 1)
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error { evs <- ev; return nil })
	_, p := serve(t, h, corpID)
	_, err := p.Push(t.Context(), addEvent("reply"))
	require.NoError(t, err)
	ev := <-evs
	r, err := h.EncryptReply(ev, []byte("<xml><MsgType>text</MsgType></xml>"), "1700000000", "9")
	require.NoError(t, err)
	c, err := callback.NewCrypto(token, aesKey, corpID)
	require.NoError(t, err)
	got, err := c.Decrypt(r.MsgSignature, r.TimeStamp, r.Nonce, r.Encrypt)
	require.NoError(t, err, fmt.Sprint(string(got), err))
	require.Equal(t, "<xml><MsgType>text</MsgType></xml>", string(got), fmt.Sprint(string(got), err))
	other, _ := callback.NewCrypto(token, aesKey, "wwOTHER")
	_, err = other.Decrypt(r.MsgSignature, r.TimeStamp, r.Nonce, r.Encrypt)
	require.ErrorIs(t, err, callback.ErrReceiverMismatch, "another receiver")
	require.Equal(t, r.MsgSignature, wecomtest.CallbackSignature(token, r.TimeStamp, r.Nonce, r.Encrypt), "signature differs from WeCom's recipe")
	_, err = h.EncryptReply(nil, []byte("<xml/>"), "1", "2")
	require.Error(t, err, "nil event accepted")
}

// welcomeFn and tagFn stand for two helpers registered on one Handler (a
// welcome message and channel tagging): tagFn fails on its first call.
type twoFns struct {
	welcomes, tags atomic.Int32
	ran            chan string // each call's name, once it returned
}

func (f *twoFns) welcome(context.Context, *callback.ExternalContactEvent) error {
	f.welcomes.Add(1)
	f.ran <- "welcome"
	return nil
}

func (f *twoFns) tag(context.Context, *callback.ExternalContactEvent) error {
	defer func() { f.ran <- "tag" }()
	if f.tags.Add(1) == 1 {
		return errors.New("tag service down")
	}
	return nil
}

// register registers both, in the given order.
func (f *twoFns) register(h *callback.Handler, tagFirst bool) {
	if tagFirst {
		h.OnAddExternalContact(f.tag)
		h.OnAddExternalContact(f.welcome)
		return
	}
	h.OnAddExternalContact(f.welcome)
	h.OnAddExternalContact(f.tag)
}

// When one of two functions fails, the re-send runs only that one: the
// welcome goes out once, the tagging is tried twice; in either order of
// registration, with the de-dup table in process or in a shared store.
func TestResendRunsOnlyTheFunctionsThatFailed(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"local", "shared"} {
		for _, tagFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tagFirst=%t", store, tagFirst), func(t *testing.T) {
				t.Parallel()
				opts := []callback.Option{callback.WithReceiverID(corpID)}
				if store == "shared" {
					opts = append(opts, callback.WithDedupStore(wecom.NewMemoryStore(), time.Minute))
				}
				var hooked []*callback.HandlerError
				var mu sync.Mutex
				opts = append(opts, callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) {
					var he *callback.HandlerError
					require.ErrorAs(t, err, &he)
					mu.Lock()
					hooked = append(hooked, he)
					mu.Unlock()
				}))
				h := newHandler(t, opts...)
				f := &twoFns{ran: make(chan string, 8)}
				f.register(h, tagFirst)
				_, p := serve(t, h, corpID)

				res, err := p.Push(t.Context(), addEvent("wmPART"))
				require.NoError(t, err)
				require.Len(t, res.Attempts, 2)
				assert.Equal(t, http.StatusInternalServerError, res.Attempts[0].Status)
				assert.Equal(t, "success", res.Body())
				assert.Equal(t, int32(1), f.welcomes.Load(), "the welcome that succeeded is not sent again")
				assert.Equal(t, int32(2), f.tags.Load())

				// handled now: a further re-send runs nothing
				_, err = p.Push(t.Context(), addEvent("wmPART"))
				require.NoError(t, err)
				assert.Equal(t, int32(1), f.welcomes.Load())
				assert.Equal(t, int32(2), f.tags.Load())

				require.Len(t, hooked, 1)
				wantIndex := 1
				if tagFirst {
					wantIndex = 0
				}
				assert.Equal(t, wantIndex, hooked[0].Index)
				assert.Contains(t, hooked[0].Func, "(*twoFns).tag")
				assert.ErrorContains(t, hooked[0], "tag service down")
			})
		}
	}
}

// With the in-process queue (WithWorkers) a re-send after a partly failed
// run queues the push again and runs only the function that failed.
func TestWorkersResendRunsOnlyTheFunctionsThatFailed(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"local", "shared"} {
		for _, tagFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tagFirst=%t", store, tagFirst), func(t *testing.T) {
				t.Parallel()
				failed := make(chan error, 4)
				opts := []callback.Option{callback.WithReceiverID(corpID), callback.WithWorkers(2, 8),
					callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) { failed <- err })}
				if store == "shared" {
					opts = append(opts, callback.WithDedupStore(wecom.NewMemoryStore(), time.Minute))
				}
				h := newHandler(t, opts...)
				f := &twoFns{ran: make(chan string, 8)}
				f.register(h, tagFirst)
				_, p := serve(t, h, corpID)
				p.Attempts = 1

				res, err := p.Push(t.Context(), addEvent("wmQ"))
				require.NoError(t, err)
				require.Equal(t, "success", res.Body())
				got := []string{testkit.Recv(t, f.ran), testkit.Recv(t, f.ran)}
				assert.ElementsMatch(t, []string{"welcome", "tag"}, got)
				assert.ErrorContains(t, testkit.Recv(t, failed), "tag service down") // the claim is released by now

				_, err = p.Push(t.Context(), addEvent("wmQ")) // a re-send
				require.NoError(t, err)
				assert.Equal(t, "tag", testkit.Recv(t, f.ran))
				require.NoError(t, h.Close(t.Context()))
				assert.Equal(t, int32(1), f.welcomes.Load())
				assert.Equal(t, int32(2), f.tags.Load())
				assert.Empty(t, failed)
			})
		}
	}
}

// A durable queue's retry runs only the functions that have not succeeded;
// a run after the push was handled runs nothing.
func TestQueueRetryRunsOnlyTheFunctionsThatFailed(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"local", "shared"} {
		for _, tagFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tagFirst=%t", store, tagFirst), func(t *testing.T) {
				t.Parallel()
				q := &storingQueue{}
				opts := []callback.Option{callback.WithReceiverID(corpID), callback.WithQueue(q)}
				if store == "shared" {
					opts = append(opts, callback.WithDedupStore(wecom.NewMemoryStore(), time.Minute))
				}
				h := newHandler(t, opts...)
				f := &twoFns{ran: make(chan string, 8)}
				f.register(h, tagFirst)
				_, p := serve(t, h, corpID)
				p.Attempts = 1
				_, err := p.Push(t.Context(), addEvent("wmDQ"))
				require.NoError(t, err)

				err = q.drain(1)[0]
				var he *callback.HandlerError
				require.ErrorAs(t, err, &he)
				assert.Contains(t, he.Func, "(*twoFns).tag")
				// a re-send while the queue retries is not queued again
				_, _ = p.Push(t.Context(), addEvent("wmDQ"))
				require.Len(t, q.stored, 1)

				require.NoError(t, q.drain(2)[0])
				require.NoError(t, q.drain(3)[0])
				assert.Equal(t, int32(1), f.welcomes.Load())
				assert.Equal(t, int32(2), f.tags.Load())
			})
		}
	}
}

// Without de-duplication nothing is recorded: a re-send runs every
// function again.
func TestWithoutDedupResendRunsEveryFunction(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithoutDedup())
	f := &twoFns{ran: make(chan string, 8)}
	f.register(h, false)
	_, p := serve(t, h, corpID)
	res, err := p.Push(t.Context(), addEvent("wmND"))
	require.NoError(t, err)
	require.Len(t, res.Attempts, 2)
	assert.Equal(t, int32(2), f.welcomes.Load())
	assert.Equal(t, int32(2), f.tags.Load())
}

// A record of succeeded functions made by a program whose registrations
// differ (another version, mid-deployment) is not read with this one's
// indices: every function runs again rather than the wrong one skipped.
func TestRecordOfOtherRegistrationsIsIgnored(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	old := newHandler(t, callback.WithReceiverID(corpID), callback.WithDedupStore(store, time.Minute))
	f := &twoFns{ran: make(chan string, 8)}
	f.register(old, false)
	_, p := serve(t, old, corpID)
	p.Attempts = 1
	res, _ := p.Push(t.Context(), addEvent("wmV2"))
	require.Equal(t, http.StatusInternalServerError, res.Status())

	next := newHandler(t, callback.WithReceiverID(corpID), callback.WithDedupStore(store, time.Minute))
	f.register(next, true) // the same functions, the other way round
	_, p2 := serve(t, next, corpID)
	_, err := p2.Push(t.Context(), addEvent("wmV2"))
	require.NoError(t, err)
	assert.Equal(t, int32(2), f.welcomes.Load(), "the record is ignored: the welcome runs again")
	assert.Equal(t, int32(2), f.tags.Load())
}

// Two functions for one event run concurrently: one that waits for the
// other to have run does not block it, whichever was registered first.
func TestFunctionsOfOneEventDoNotWaitForEachOther(t *testing.T) {
	t.Parallel()
	for _, slowFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("slowFirst=%t", slowFirst), func(t *testing.T) {
			t.Parallel()
			h := newHandler(t, callback.WithReceiverID(corpID))
			fastDone := make(chan struct{})
			var sawFast atomic.Bool
			slow := func(context.Context, *callback.ExternalContactEvent) error {
				select {
				case <-fastDone:
					sawFast.Store(true)
					return nil
				case <-time.After(10 * time.Second): // a guard: sequential dispatch would end here
					return errors.New("the other function never ran while this one waited")
				}
			}
			fast := func(context.Context, *callback.ExternalContactEvent) error {
				close(fastDone)
				return nil
			}
			if slowFirst {
				h.OnAddExternalContact(slow)
				h.OnAddExternalContact(fast)
			} else {
				h.OnAddExternalContact(fast)
				h.OnAddExternalContact(slow)
			}
			_, p := serve(t, h, corpID)
			p.Attempts = 1
			p.Timeout = time.Minute
			res, err := p.Push(t.Context(), addEvent("wmSLOW"))
			require.NoError(t, err)
			assert.Equal(t, "success", res.Body())
			assert.True(t, sawFast.Load())
		})
	}
}

func failingHandler(context.Context, *callback.ExternalContactEvent) error {
	return errors.New("crm unreachable")
}

// The error hook and the log name each failed function: its index, its
// name, and a panic as a panic.
func TestHandlerErrorNamesTheFunction(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	var hooked []error
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID),
		callback.WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, nil))),
		callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) {
			mu.Lock()
			hooked = append(hooked, err)
			mu.Unlock()
		}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { return nil })
	h.OnAddExternalContact(failingHandler)
	h.OnExternalContact(func(context.Context, *callback.ExternalContactEvent) error { panic("nil map") })
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	res, _ := p.Push(t.Context(), addEvent("wmERR"))
	require.Equal(t, http.StatusInternalServerError, res.Status())

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, hooked, 2)
	var byIndex [3]*callback.HandlerError
	for _, err := range hooked {
		var he *callback.HandlerError
		require.ErrorAs(t, err, &he)
		byIndex[he.Index] = he
	}
	require.Nil(t, byIndex[0])
	require.NotNil(t, byIndex[1])
	require.NotNil(t, byIndex[2])
	assert.Equal(t, "callback_test.failingHandler", byIndex[1].Func)
	assert.Equal(t, "callback: handler #1 (callback_test.failingHandler) failed: crm unreachable", byIndex[1].Error())
	assert.Contains(t, byIndex[2].Error(), "panicked: nil map")
	assert.Contains(t, byIndex[2].Func, "TestHandlerErrorNamesTheFunction")
	assert.Contains(t, logs.String(), "func=callback_test.failingHandler")
	assert.Contains(t, logs.String(), "handler=2")
}

// syncWriter serialises writes from the goroutines of concurrent functions.
type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
