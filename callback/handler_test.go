package callback_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
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

const (
	token  = "QDG6eK"
	aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	corpID = "wx5823bf96d3bd56c7"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newHandler(t *testing.T, opts ...callback.Option) *callback.Handler {
	t.Helper()
	h, err := callback.NewHandler(token, aesKey, append([]callback.Option{callback.WithLogger(quiet)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

func serve(t *testing.T, h http.Handler, receiveID string) (*httptest.Server, *wecomtest.Pusher) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := wecomtest.NewPusher(srv.URL, token, aesKey, receiveID)
	p.Client = srv.Client()
	p.Timeout = 2 * time.Second
	return srv, p
}

func addEvent(ext string) []byte {
	return wecomtest.AddExternalContactXML(corpID, "zhangsan", ext, "channel-a", "WELCOME", time.Unix(1700000000, 0))
}

func TestNewHandlerRequiresReceiverConfig(t *testing.T) {
	t.Parallel()
	_, err := callback.NewHandler(token, aesKey)
	require.ErrorIs(t, err, callback.ErrNoReceiverCheck, "no receiver option")
	_, err = callback.NewHandler(token, aesKey, callback.WithReceiverID(""))
	require.Error(t, err, "empty receiver id accepted")
	_, err = callback.NewHandler(token, "bad", callback.WithReceiverID(corpID))
	require.ErrorIs(t, err, callback.ErrInvalidAESKey, "bad key")
	_, err = callback.NewHandler(token, aesKey, callback.InsecureSkipReceiverCheck())
	require.NoError(t, err)
	_, err = callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithWorkers(0, 1))
	require.Error(t, err, "zero workers accepted")
}

func TestURLVerificationOfficialVector(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	target := "/cb?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=" +
		"P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	require.Equal(t, 200, rec.Code, "%d %q", rec.Code, rec.Body.String())
	require.Equal(t, "1616140317555161061", rec.Body.String(), "%d %q", rec.Code, rec.Body.String())
	// bare plaintext: exactly the bytes, no quotes, BOM or newline
	require.Equal(t, []byte("1616140317555161061"), rec.Body.Bytes(), "body is not bare")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.Replace(target, "5c45", "5c46", 1), nil))
	require.Equal(t, http.StatusForbidden, rec.Code, "bad signature")
	// receiver mismatch: a handler for another corp refuses the same request
	other := newHandler(t, callback.WithReceiverID("wwOTHER"))
	rec = httptest.NewRecorder()
	other.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	require.Equal(t, http.StatusForbidden, rec.Code, "receiver mismatch")
}

func TestPostOfficialVector(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	var got *callback.MessageEvent
	h.OnMessage("text", func(_ context.Context, m *callback.MessageEvent) error { got = m; return nil })
	body := `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/cb?msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149", strings.NewReader(body)))
	require.Equal(t, 200, rec.Code, "%d %q", rec.Code, rec.Body.String())
	require.Equal(t, "success", rec.Body.String(), "%d %q", rec.Code, rec.Body.String())
	require.NotNil(t, got)
	require.Equal(t, "hello", got.Content, "%+v", got)
	require.Equal(t, corpID, got.ReceiveID, "%+v", got)
}

func TestPushAddExternalContactEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	var got []*callback.ExternalContactEvent
	var mu sync.Mutex
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		return nil
	})
	var others atomic.Int32
	h.OnExternalContact(func(context.Context, *callback.ExternalContactEvent) error { others.Add(1); return nil }, callback.ChangeDelFollowUser)
	_, p := serve(t, h, corpID)
	res, err := p.Push(t.Context(), addEvent("wmA"))
	require.NoError(t, err, "%+v", res)
	require.Equal(t, "success", res.Body(), "%+v %v", res, err)
	require.Len(t, got, 1)
	require.Equal(t, "wmA", got[0].ExternalUserID, "%+v", got)
	require.Equal(t, "channel-a", got[0].State, "%+v", got)
	require.Equal(t, "WELCOME", got[0].WelcomeCode, "%+v", got)
	require.Equal(t, "zhangsan", got[0].UserID, "%+v", got)
	require.Equal(t, int32(0), others.Load(), "del_follow_user handler ran for add_external_contact")
}

func TestBadRequestsAreRefusedWithoutCallingHandlers(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(b)
	}), nil))
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithLogger(logger))
	var calls atomic.Int32
	h.OnDefault(func(context.Context, callback.Event) error { calls.Add(1); return nil })
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { calls.Add(1); return nil })
	p := wecomtest.NewPusher("", token, aesKey, corpID)
	body, q, err := p.Envelope(addEvent("x"), "1700000000", "42")
	require.NoError(t, err)
	post := func(query url.Values, b []byte) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/cb?"+query.Encode(), bytes.NewReader(b)))
		return rec
	}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range q {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	badSig := with("msg_signature", strings.Repeat("a", 40))
	rec := post(badSig, body)
	assert.False(t, rec.Code != http.StatusForbidden && rec.Code != http.StatusUnauthorized, "bad signature: %d", rec.Code)
	rec = post(with("nonce", "43"), body)
	assert.Equal(t, http.StatusForbidden, rec.Code, "tampered nonce")
	// plaintext body, signed over an empty Encrypt: refused, never parsed
	plain := addEvent("plain")
	rec = post(with("msg_signature", wecomtest.CallbackSignature(token, "1700000000", "42", "")), plain)
	assert.Equal(t, http.StatusBadRequest, rec.Code, "plaintext body")
	logMu.Lock()
	assert.Contains(t, logs.String(), callback.ErrMissingEncrypt.Error(), "plaintext body not refused as such")
	logMu.Unlock()
	rec = post(q, []byte("<xml><Encrypt>"))
	assert.Equal(t, http.StatusBadRequest, rec.Code, "malformed XML")
	// malformed ciphertext with a valid signature
	junk := "AAAA"
	rec = post(with("msg_signature", wecomtest.CallbackSignature(token, "1700000000", "42", junk)), []byte("<xml><Encrypt>"+junk+"</Encrypt></xml>"))
	assert.Equal(t, http.StatusBadRequest, rec.Code, "malformed ciphertext")
	// decrypts to something that is not XML
	enc, _ := p.Encrypt([]byte("<xml><A></B></xml>"))
	rec = post(with("msg_signature", wecomtest.CallbackSignature(token, "1700000000", "42", enc)), []byte("<xml><Encrypt>"+enc+"</Encrypt></xml>"))
	assert.Equal(t, http.StatusBadRequest, rec.Code, "malformed inner XML")
	big := append([]byte("<xml><Encrypt>"), bytes.Repeat([]byte("A"), callback.MaxBodySize)...)
	rec = post(q, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "big body")
	rec = post(url.Values{}, body)
	assert.Equal(t, http.StatusBadRequest, rec.Code, "no query")
	// another corp's receiveid, correctly signed and encrypted
	p2 := wecomtest.NewPusher("", token, aesKey, "wwOTHERCORP")
	body2, q2, _ := p2.Envelope(addEvent("y"), "1700000000", "42")
	rec = post(q2, body2)
	assert.Equal(t, http.StatusForbidden, rec.Code, "receiver mismatch")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/cb", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, "PUT")
	require.Equal(t, int32(0), calls.Load(), "handlers ran %d times for refused requests", calls.Load())
	rec = post(q, body)
	require.Equal(t, 200, rec.Code, "the good request: %d, %d calls", rec.Code, calls.Load())
	require.Equal(t, int32(1), calls.Load(), "the good request: %d, %d calls", rec.Code, calls.Load())
}

func TestTimestampWindowRejectsReplays(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithTimestampWindow(5*time.Minute),
		callback.WithClock(func() time.Time { return now }))
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { calls.Add(1); return nil })
	p := wecomtest.NewPusher("", token, aesKey, corpID)
	for _, tc := range []struct {
		ts   int64
		want int
	}{{now.Unix() - 3600, 403}, {now.Unix() + 3600, 403}, {now.Unix() - 60, 200}} {
		body, q, _ := p.Envelope(addEvent(strconv.FormatInt(tc.ts, 10)), strconv.FormatInt(tc.ts, 10), "1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/cb?"+q.Encode(), bytes.NewReader(body)))
		assert.Equal(t, tc.want, rec.Code, "ts %d: %d", tc.ts, rec.Code)
	}
	require.Equal(t, int32(1), calls.Load())
}

func TestReceiverSetAndFunc(t *testing.T) {
	t.Parallel()
	authorized := map[string]bool{"wwCorpA": true, "wwCorpB": true}
	h := newHandler(t, callback.WithReceiverIDs("suite1", "provider"),
		callback.WithReceiverFunc(func(id string) bool { return authorized[id] }))
	var seen sync.Map
	h.OnDefault(func(_ context.Context, ev callback.Event) error { seen.Store(ev.Header().ReceiveID, true); return nil })
	for id, ok := range map[string]bool{"suite1": true, "provider": true, "wwCorpA": true, "wwCorpB": true, "wwCorpC": false} {
		p := wecomtest.NewPusher("", token, aesKey, id)
		body, q, _ := p.Envelope([]byte("<xml><InfoType>x</InfoType><AuthCorpId>"+id+"</AuthCorpId></xml>"), "1", "2")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/cb?"+q.Encode(), bytes.NewReader(body)))
		assert.Equal(t, ok, rec.Code == 200, "%s: %d", id, rec.Code)
		_, got := seen.Load(id)
		assert.Equal(t, ok, got, "%s: handled", id)
	}
}

func TestCommandEventsDispatch(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID("suite1"))
	var ticket, code string
	h.OnSuiteTicket(func(_ context.Context, ev *callback.SuiteTicketEvent) error { ticket = ev.SuiteTicket; return nil })
	h.OnCreateAuth(func(_ context.Context, ev *callback.CreateAuthEvent) error {
		code = ev.AuthCode + "/" + ev.State
		return nil
	})
	_, p := serve(t, h, "suite1")
	at := time.Unix(1700000000, 0)
	_, err := p.Push(t.Context(), wecomtest.SuiteTicketXML("suite1", "TICKET", at))
	require.NoError(t, err)
	_, err = p.Push(t.Context(), wecomtest.CreateAuthXML("suite1", "AUTH", "st", at))
	require.NoError(t, err)
	require.Equal(t, "TICKET", ticket, "%q %q", ticket, code)
	require.Equal(t, "AUTH/st", code, "%q %q", ticket, code)
}

func TestUnknownEventsReachDefaultRaw(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	var raw string
	var typed bool
	h.OnDefault(func(_ context.Context, ev callback.Event) error {
		_, typed = ev.(*callback.UnknownEvent)
		raw = ev.Header().Raw
		return nil
	})
	_, p := serve(t, h, corpID)
	x := "<xml><ToUserName>c</ToUserName><MsgType>event</MsgType><Event>something_new</Event><Foo>1</Foo></xml>"
	res, err := p.Push(t.Context(), []byte(x))
	require.NoError(t, err, fmt.Sprint(res, err))
	require.Equal(t, 200, res.Status(), fmt.Sprint(res, err))
	require.Equal(t, x, raw, "%q %v", raw, typed)
	require.True(t, typed, "%q", raw)
}

// pushUntilOK pushes plaintext again and again (one attempt each) until it
// is acknowledged, as WeCom's later re-sends would, and returns the result.
func pushUntilOK(t *testing.T, p *wecomtest.Pusher, plaintext []byte) *wecomtest.PushResult {
	t.Helper()
	q := *p
	q.Attempts = 1
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := q.Push(context.Background(), plaintext)
		if err == nil {
			return res
		}
		require.False(t, time.Now().After(deadline), "never acknowledged: %+v %v", res, err)
		time.Sleep(10 * time.Millisecond)
	}
}

// giveUpWhileRunning delivers plaintext once and gives up waiting for the
// answer (as WeCom does after 5 s) as soon as running is closed, that is
// while the handler still runs: what a slow handler looks like to WeCom,
// without a race between a sleep and a timeout. It returns the delivery's
// error.
func giveUpWhileRunning(t *testing.T, p *wecomtest.Pusher, plaintext []byte, running <-chan struct{}) error {
	t.Helper()
	q := *p
	q.Attempts = 1
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := q.Push(ctx, plaintext)
		done <- err
	}()
	testkit.Recv(t, running)
	cancel()
	return testkit.Recv(t, done)
}

// WeCom re-sends a push that was answered late; the handler runs once. The
// re-sends that arrive while it runs are answered 503 (synchronous mode), a
// later one "success".
func TestDedupOfLateAnswerResends(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	running, release := make(chan struct{}), make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // before the server's Close, which waits for the request
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
		if calls.Add(1) == 1 {
			close(running)
			<-release // slower than the pusher's patience
		}
		return nil
	})
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	require.Error(t, giveUpWhileRunning(t, p, addEvent("dup"), running), "the first delivery was answered")
	for i := range 2 {
		res, err := p.Push(t.Context(), addEvent("dup"))
		require.Error(t, err, "re-send %d during the first run was acknowledged", i+1)
		require.Equal(t, http.StatusServiceUnavailable, res.Status(), "re-send %d during the first run: %q", i+1, res.Body())
	}
	unblock()
	res := pushUntilOK(t, p, addEvent("dup"))
	require.Equal(t, "success", res.Body(), "%+v", res)
	require.Equal(t, int32(1), calls.Load(), "handler runs")
	// a different event in the same second is not a duplicate
	_, err := p.Push(t.Context(), addEvent("other"))
	require.NoError(t, err)
	require.Equal(t, int32(2), calls.Load(), "distinct event deduplicated")
}

// Synchronous mode: a re-send that finds the first delivery still running
// is not acknowledged, because the first run may fail; when it does, a
// later re-send is handled again and the event is not lost.
func TestSyncResendWhileFirstRunIsPending(t *testing.T) {
	t.Parallel()
	hooked := make(chan error, 4)
	h := newHandler(t, callback.WithReceiverID(corpID),
		callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) { hooked <- err }))
	running, release := make(chan struct{}), make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // before the server's Close, which waits for the request
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
		if calls.Add(1) == 1 {
			close(running)
			<-release // WeCom gives up on this attempt meanwhile
			return errors.New("database down")
		}
		return nil
	})
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	require.Error(t, giveUpWhileRunning(t, p, addEvent("slow-fail"), running), "the first delivery was answered")
	res, err := p.Push(t.Context(), addEvent("slow-fail"))
	require.Error(t, err, "a re-send was acknowledged while the first run was pending: %+v", res.Attempts)
	require.False(t, res.OK, "a re-send was acknowledged while the first run was pending: %+v", res.Attempts)
	require.Equal(t, http.StatusServiceUnavailable, res.Status(), "%+v", res.Attempts)
	require.Equal(t, int32(1), calls.Load(), "the re-send ran the handler while the first run was pending")
	// WeCom keeps re-sending; once the first run failed, the event is handled again
	unblock()
	pushUntilOK(t, p, addEvent("slow-fail"))
	require.Equal(t, int32(2), calls.Load(), "handler runs")
	// The first run's failure reaches the error hook once. The claim is
	// released before the hook is called, so the re-send may have been
	// handled first: wait for the hook rather than count it now.
	require.ErrorContains(t, testkit.Recv(t, hooked), "database down")
	require.Empty(t, hooked, "error hook calls after the first")
}

// Worker mode: the first delivery was acknowledged when queued, so a re-send
// that finds it pending is acknowledged too, and the handler runs once.
func TestWorkersAcknowledgeResendWhilePending(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithWorkers(1, 1))
	release := make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock)
	started := make(chan struct{}, 1)
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
		calls.Add(1)
		started <- struct{}{}
		<-release
		return nil
	})
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	for i := range 2 {
		res, err := p.Push(context.Background(), addEvent("queued"))
		require.NoError(t, err, "delivery %d: %+v", i+1, res)
		require.Equal(t, "success", res.Body(), "delivery %d: %+v %v", i+1, res, err)
		if i == 0 {
			<-started
		}
	}
	unblock()
	require.NoError(t, h.Close(context.Background()))
	require.Equal(t, int32(1), calls.Load(), "calls")
}

// A failed handler releases its claim: the re-send is processed again.
func TestFailedHandlerIsRetried(t *testing.T) {
	t.Parallel()
	var hooked atomic.Int32
	h := newHandler(t, callback.WithReceiverID(corpID),
		callback.WithErrorHook(func(context.Context, callback.Event, error) { hooked.Add(1) }))
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
		if calls.Add(1) == 1 {
			return errors.New("database down")
		}
		return nil
	})
	_, p := serve(t, h, corpID)
	res, err := p.Push(t.Context(), addEvent("retry"))
	require.NoError(t, err, "%+v", res)
	require.Len(t, res.Attempts, 2, "%+v %v", res, err)
	require.Equal(t, 500, res.Attempts[0].Status, "%+v %v", res, err)
	require.Equal(t, int32(2), calls.Load(), "calls %d hooks %d", calls.Load(), hooked.Load())
	require.Equal(t, int32(1), hooked.Load(), "calls %d hooks %d", calls.Load(), hooked.Load())
	// now done: a further re-send is a duplicate
	_, err = p.Push(t.Context(), addEvent("retry"))
	require.NoError(t, err, "after success: %d", calls.Load())
	require.Equal(t, int32(2), calls.Load(), "after success: %d %v", calls.Load(), err)
}

func TestPanickingHandlerIsAFailure(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { panic("boom") })
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	res, _ := p.Push(t.Context(), addEvent("panic"))
	require.Equal(t, 500, res.Status())
}

func TestClosedSyncHandlerRefuses(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { calls.Add(1); return nil })
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	require.NoError(t, h.Close(t.Context()))
	res, _ := p.Push(t.Context(), addEvent("closed"))
	require.Equal(t, http.StatusServiceUnavailable, res.Status(), "%d, %d calls", res.Status(), calls.Load())
	require.Equal(t, int32(0), calls.Load(), "%d, %d calls", res.Status(), calls.Load())
}

func TestWithoutDedup(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithoutDedup())
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { calls.Add(1); return nil })
	_, p := serve(t, h, corpID)
	for range 2 {
		_, err := p.Push(t.Context(), addEvent("same"))
		require.NoError(t, err)
	}
	require.Equal(t, int32(2), calls.Load())
}

// Dedup through a shared store: two handlers (two instances) see one event once.
func TestDedupSharedStore(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	var calls atomic.Int32
	fn := func(context.Context, *callback.ExternalContactEvent) error { calls.Add(1); return nil }
	h1 := newHandler(t, callback.WithReceiverID(corpID), callback.WithDedupStore(store, time.Minute))
	h2 := newHandler(t, callback.WithReceiverID(corpID), callback.WithDedupStore(store, time.Minute))
	h1.OnAddExternalContact(fn)
	h2.OnAddExternalContact(fn)
	_, p1 := serve(t, h1, corpID)
	_, p2 := serve(t, h2, corpID)
	ev := addEvent("shared")
	_, err := p1.Push(t.Context(), ev)
	require.NoError(t, err)
	_, err = p2.Push(t.Context(), ev)
	require.NoError(t, err)
	require.Equal(t, int32(1), calls.Load())
}

func TestWorkersAnswerBeforeSlowHandlers(t *testing.T) {
	t.Parallel()
	var hookErr atomic.Value
	store := wecom.NewMemoryStore()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithWorkers(1, 1), callback.WithDedupStore(store, time.Minute),
		callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) { hookErr.Store(err) }))
	release := make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // runs before the handler's Close, even when the test fails early
	started := make(chan struct{}, 4)
	var calls atomic.Int32
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		calls.Add(1)
		started <- struct{}{}
		<-release
		if ev.ExternalUserID == "fail" {
			return errors.New("slow failure")
		}
		return nil
	})
	_, p := serve(t, h, corpID)
	p.Timeout = time.Second
	p.Attempts = 1
	// 1st: taken by the worker, which blocks; answered at once
	t0 := time.Now()
	res, err := p.Push(context.Background(), addEvent("fail"))
	require.NoError(t, err, fmt.Sprint(res, err))
	require.Equal(t, "success", res.Body(), fmt.Sprint(res, err))
	<-started
	// 2nd: waits in the queue (size 1); answered at once
	res, err = p.Push(context.Background(), addEvent("b"))
	require.NoError(t, err, fmt.Sprint(res, err))
	require.Equal(t, "success", res.Body(), fmt.Sprint(res, err))
	require.LessOrEqual(t, time.Since(t0), 500*time.Millisecond, "answers waited for the handler")
	// 3rd: queue full -> 503, so WeCom re-sends later
	res, _ = p.Push(context.Background(), addEvent("c"))
	require.Equal(t, http.StatusServiceUnavailable, res.Status(), "queue full")
	unblock()
	require.NoError(t, h.Close(context.Background()))
	require.Equal(t, int32(2), calls.Load(), "calls")
	e, _ := hookErr.Load().(error)
	require.Error(t, e, "hook")
	require.Contains(t, e.Error(), "slow failure", "hook: %v", e)
	// a closed handler refuses pushes
	res, _ = p.Push(context.Background(), addEvent("c"))
	require.Equal(t, http.StatusServiceUnavailable, res.Status(), "after close")
	// the claims of the event refused for a full queue, of the failed one and
	// of the refusals after Close were released: another instance sharing the
	// store handles those events; the one handled is a duplicate there
	h2 := newHandler(t, callback.WithReceiverID(corpID), callback.WithDedupStore(store, time.Minute))
	var handled sync.Map
	h2.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		handled.Store(ev.ExternalUserID, true)
		return nil
	})
	_, p2 := serve(t, h2, corpID)
	p2.Attempts = 1
	for _, ext := range []string{"c", "fail", "b"} {
		res, err := p2.Push(context.Background(), addEvent(ext))
		require.NoError(t, err, "%s on the second instance: %+v", ext, res)
		require.Equal(t, "success", res.Body(), "%s on the second instance: %+v %v", ext, res, err)
	}
	_, c := handled.Load("c")
	_, f := handled.Load("fail")
	_, b := handled.Load("b")
	require.True(t, c, "second instance handled c %v, fail %v, b %v; want true, true, false", c, f, b)
	require.True(t, f, "second instance handled c %v, fail %v, b %v; want true, true, false", c, f, b)
	require.False(t, b, "second instance handled c %v, fail %v, b %v; want true, true, false", c, f, b)
}

func TestStatusCode(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]int{
		nil: 200, callback.ErrBadSignature: 403, callback.ErrReceiverMismatch: 403, callback.ErrStaleTimestamp: 403,
		callback.ErrBadPadding: 400, callback.ErrMissingEncrypt: 400, callback.ErrBadXML: 400, callback.ErrQueueFull: 503,
	} {
		got := callback.StatusCode(err)
		assert.Equal(t, want, got, "%v: %d", err, got)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(b)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithLogger(logger))
	require.NoError(t, err)
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { return errors.New("fail") })
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	_, _ = p.Push(t.Context(), addEvent("secret-customer"))
	_, p2 := serve(t, h, "wwOTHER")
	p2.Attempts = 1
	_, _ = p2.Push(t.Context(), addEvent("x"))
	mu.Lock()
	defer mu.Unlock()
	s := buf.String()
	require.Contains(t, s, "handler failed", "no failure log")
	for _, secret := range []string{token, aesKey, "secret-customer", "WELCOME"} {
		require.NotContains(t, s, secret, "log contains")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// A callback URL with a query string of its own (one URL per tenant, say)
// keeps it: the Pusher adds its parameters instead of appending a second "?".
func TestPusherKeepsTheURLQuery(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { calls.Add(1); return nil })
	var tenants sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenants.Store(r.Method+" "+r.URL.Query().Get("tenant"), true)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p := wecomtest.NewPusher(srv.URL+"/cb?tenant=a", token, aesKey, corpID)
	p.Client = srv.Client()
	p.Attempts = 1
	pushed, err := p.Push(context.Background(), addEvent("q"))
	require.NoError(t, err, "%+v", pushed)
	require.Equal(t, int32(1), calls.Load(), "calls")
	req, err := p.VerifyURLRequest(context.Background(), "5927460289013")
	require.NoError(t, err)
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, "URL check: %d %q", res.StatusCode, b)
	require.Equal(t, "5927460289013", string(b), "URL check: %d %q", res.StatusCode, b)
	for _, k := range []string{"POST a", "GET a"} {
		_, ok := tenants.Load(k)
		require.True(t, ok, "%s: the URL's own query was lost", k)
	}
}

func TestNewHandlerRefusesContradictoryOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]callback.Option{
		"zero handler timeout":     {callback.WithHandlerTimeout(0)},
		"negative handler timeout": {callback.WithHandlerTimeout(-time.Second)},
		"dedup store without dedup": {callback.WithDedupStore(wecom.NewMemoryStore(), time.Minute),
			callback.WithoutDedup()},
		"without dedup, then a dedup store": {callback.WithoutDedup(),
			callback.WithDedupStore(wecom.NewMemoryStore(), time.Minute)},
	} {
		_, err := callback.NewHandler(token, aesKey, append(opts, callback.WithReceiverID(corpID))...)
		assert.Error(t, err, "%s: accepted", name)
	}
}

// A timestamp window during which a push stays acceptable for longer than
// its de-dup entry lives would let a captured push be replayed once the
// entry expired: NewHandler refuses it.
func TestTimestampWindowMustNotOutlastDedup(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	for _, tc := range []struct {
		name string
		opts []callback.Option
		ok   bool
	}{
		{"default ttl, 5 min", []callback.Option{callback.WithTimestampWindow(5 * time.Minute)}, true},
		{"default ttl, 6 min", []callback.Option{callback.WithTimestampWindow(6 * time.Minute)}, false},
		{"default ttl, 1 h", []callback.Option{callback.WithTimestampWindow(time.Hour)}, false},
		{"default ttl, 200 years", []callback.Option{callback.WithTimestampWindow(200 * 365 * 24 * time.Hour)}, false},
		{"store ttl 0 means default", []callback.Option{callback.WithDedupStore(store, 0), callback.WithTimestampWindow(6 * time.Minute)}, false},
		{"store ttl 1 min", []callback.Option{callback.WithDedupStore(store, time.Minute), callback.WithTimestampWindow(5 * time.Minute)}, false},
		{"store ttl 1 h", []callback.Option{callback.WithTimestampWindow(30 * time.Minute), callback.WithDedupStore(store, time.Hour)}, true},
		{"no dedup", []callback.Option{callback.WithoutDedup(), callback.WithTimestampWindow(time.Hour)}, true},
	} {
		_, err := callback.NewHandler(token, aesKey, append(tc.opts, callback.WithReceiverID(corpID))...)
		assert.Equal(t, tc.ok, err == nil, "%s: %v", tc.name, err)
		assert.False(t, err != nil && !strings.Contains(err.Error(), "de-dup"), "%s: unclear error: %v", tc.name, err)
	}
}

// A captured push's Encrypt, signed like an echostr, sent as a URL check: it
// decrypts, but the Handler refuses to echo the event XML.
func TestURLCheckRefusesAPushCiphertext(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), nil))
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithLogger(logger))
	p := wecomtest.NewPusher("", token, aesKey, corpID)
	get := func(q url.Values) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cb?"+q.Encode(), nil))
		return rec
	}
	for name, plain := range map[string][]byte{
		"event XML":         addEvent("secret-customer"),
		"129 bytes, no XML": bytes.Repeat([]byte("7"), 129),
		"short, with a tag": []byte("1<b"),
	} {
		enc, err := p.Encrypt(plain)
		require.NoError(t, err)
		q := url.Values{"msg_signature": {wecomtest.CallbackSignature(token, "1700000000", "42", enc)},
			"timestamp": {"1700000000"}, "nonce": {"42"}, "echostr": {enc}}
		rec := get(q)
		assert.Equal(t, http.StatusBadRequest, rec.Code, "%s: %q", name, rec.Body.String())
		assert.NotContains(t, rec.Body.String(), string(plain), name)
		assert.LessOrEqual(t, rec.Body.Len(), 64, "%s: %q", name, rec.Body.String())
	}
	// a real push's envelope, its Encrypt re-sent as echostr
	body, q, err := p.Envelope(addEvent("secret-customer"), "1700000000", "43")
	require.NoError(t, err)
	var env struct{ Encrypt string }
	require.NoError(t, xml.Unmarshal(body, &env))
	q.Set("echostr", env.Encrypt)
	rec := get(q)
	require.Equal(t, http.StatusBadRequest, rec.Code, "captured push: %d %q", rec.Code, rec.Body.String())
	require.NotContains(t, rec.Body.String(), "secret-customer", "captured push: %d %q", rec.Code, rec.Body.String())
	mu.Lock()
	assert.NotContains(t, logs.String(), "secret-customer", "log")
	assert.Contains(t, logs.String(), "level=WARN", "log")
	mu.Unlock()
	// an echostr of 128 bytes is still a URL check
	echo := strings.Repeat("9", 128)
	enc, _ := p.Encrypt([]byte(echo))
	ok := url.Values{"msg_signature": {wecomtest.CallbackSignature(token, "1700000000", "44", enc)},
		"timestamp": {"1700000000"}, "nonce": {"44"}, "echostr": {enc}}
	rec = get(ok)
	require.Equal(t, 200, rec.Code, "128-byte echostr: %d %q", rec.Code, rec.Body.String())
	require.Equal(t, echo, rec.Body.String(), "128-byte echostr: %d %q", rec.Code, rec.Body.String())
}

// ctxStore refuses calls whose context is done, as a network store does.
type ctxStore struct{ *wecom.MemoryStore }

func (s ctxStore) Get(ctx context.Context, key string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	return s.MemoryStore.Get(ctx, key)
}

func (s ctxStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryStore.Set(ctx, key, value, ttl)
}

func (s ctxStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryStore.Delete(ctx, key)
}

func (s ctxStore) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return s.MemoryStore.CompareAndSwap(ctx, key, old, value, ttl)
}

// A handler that uses up its WithHandlerTimeout still gets its claim
// released (on failure) or marked done (on success): the store calls have
// their own context.
func TestStoreCallsOutliveTheHandlerTimeout(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithHandlerTimeout(30*time.Millisecond),
		callback.WithDedupStore(ctxStore{wecom.NewMemoryStore()}, time.Minute))
	var mu sync.Mutex
	calls := map[string]int{}
	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		mu.Lock()
		calls[ev.ExternalUserID]++
		n := calls[ev.ExternalUserID]
		mu.Unlock()
		<-ctx.Done() // uses up its time
		if ev.ExternalUserID == "fails" && n == 1 {
			return ctx.Err()
		}
		return nil
	})
	count := func(id string) int {
		mu.Lock()
		defer mu.Unlock()
		return calls[id]
	}
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	res, _ := p.Push(t.Context(), addEvent("fails"))
	require.Equal(t, http.StatusInternalServerError, res.Status(), "failing run: %+v", res)
	// released: WeCom's re-send is handled again
	res, err := p.Push(t.Context(), addEvent("fails"))
	require.NoError(t, err, "re-send after a timed-out failure: %+v %v, %d calls", res, err, count("fails"))
	require.Equal(t, 2, count("fails"), "re-send after a timed-out failure: %+v %v, %d calls", res, err, count("fails"))
	res, err = p.Push(t.Context(), addEvent("ok"))
	require.NoError(t, err, "slow success: %+v", res)
	require.Equal(t, 1, count("ok"), "slow success: %+v %v", res, err)
	// done: a re-send is acknowledged without a second run
	res, err = p.Push(t.Context(), addEvent("ok"))
	require.NoError(t, err, "re-send after a slow success: %+v %v, %d calls", res, err, count("ok"))
	require.Equal(t, "success", res.Body(), "re-send after a slow success: %+v %v, %d calls", res, err, count("ok"))
	require.Equal(t, 1, count("ok"), "re-send after a slow success: %+v %v, %d calls", res, err, count("ok"))
}

// panicLog is a slog.Handler that panics on every record.
type panicLog struct{}

func (panicLog) Enabled(context.Context, slog.Level) bool  { return true }
func (panicLog) Handle(context.Context, slog.Record) error { panic("logger down") }
func (l panicLog) WithAttrs([]slog.Attr) slog.Handler      { return l }
func (l panicLog) WithGroup(string) slog.Handler           { return l }

// A panic in the error hook (or the logger) on a worker goroutine is
// recovered: the process survives and the workers go on.
func TestErrorHookAndLoggerPanicsAreRecovered(t *testing.T) {
	t.Parallel()
	for name, logger := range map[string]*slog.Logger{"quiet logger": quiet, "panicking logger": slog.New(panicLog{})} {
		for _, workers := range []bool{true, false} {
			var calls, hooks atomic.Int32
			opts := []callback.Option{callback.WithReceiverID(corpID), callback.WithLogger(logger),
				callback.WithErrorHook(func(context.Context, callback.Event, error) { hooks.Add(1); panic("hook down") })}
			want := 500
			if workers {
				opts = append(opts, callback.WithWorkers(1, 4))
				want = 200
			}
			h := newHandler(t, opts...)
			h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
				calls.Add(1)
				return errors.New("fail")
			})
			_, p := serve(t, h, corpID)
			p.Attempts = 1
			for i := range 3 {
				res, _ := p.Push(t.Context(), addEvent("hook-"+strconv.Itoa(i)))
				require.Equal(t, want, res.Status(), "%s, workers %v: push %d: %+v", name, workers, i, res.Attempts)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			err := h.Close(ctx)
			cancel()
			require.NoError(t, err, "%s, workers %v: Close %v, %d calls, %d hooks", name, workers, err, calls.Load(), hooks.Load())
			require.Equal(t, int32(3), calls.Load(), "%s, workers %v: Close %v, %d calls, %d hooks", name, workers, err, calls.Load(), hooks.Load())
			require.Equal(t, int32(3), hooks.Load(), "%s, workers %v: Close %v, %d calls, %d hooks", name, workers, err, calls.Load(), hooks.Load())
		}
	}
}

// In synchronous mode Close waits for the handlers already running.
func TestCloseWaitsForSynchronousHandlers(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
		close(started)
		<-release
		time.Sleep(20 * time.Millisecond)
		finished.Store(true)
		return nil
	})
	_, p := serve(t, h, corpID)
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // before the server's Close, which waits for the request
	p.Attempts = 1
	pushed := make(chan *wecomtest.PushResult, 1)
	go func() {
		res, _ := p.Push(context.Background(), addEvent("closing"))
		pushed <- res
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, h.Close(ctx), context.DeadlineExceeded, "Close while a handler runs")
	unblock()
	err := h.Close(context.Background())
	require.NoError(t, err, "Close returned %v before the handler finished (%v)", err, finished.Load())
	require.True(t, finished.Load(), "Close returned %v before the handler finished (%v)", err, finished.Load())
	res := <-pushed
	require.Equal(t, "success", res.Body(), "the running push: %+v", res)
	res, _ = p.Push(context.Background(), addEvent("after"))
	require.Equal(t, http.StatusServiceUnavailable, res.Status(), "after Close: %+v", res)
}

// Without WithLogger the package writes nothing, not even to slog.Default.
func TestHandlerIsSilentByDefault(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	srv, p := serve(t, h, corpID)
	p.Attempts = 1
	_, _ = p.Push(context.Background(), addEvent("wmSILENT")) // no handler: logged at Info
	bad := wecomtest.NewPusher(srv.URL, "wrongtoken", aesKey, corpID)
	bad.Attempts = 1
	_, _ = bad.Push(context.Background(), addEvent("wmSILENT2")) // refused: logged at Warn
	assert.Empty(t, buf.String())
}
