package kf_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// windowWorld is a customer who wrote once, delivered through an Inbox.
func windowWorld(t *testing.T) (*kfWorld, *kf.Inbox, string) {
	t.Helper()
	w := newKFWorld(t)
	in, err := kf.NewInbox(kf.New(w.c), func(context.Context, *kf.Message) error { return nil })
	require.NoError(t, err)
	w.serve(t, in)
	entry, err := w.kf.OpenLink(t.Context(), w.link, "")
	require.NoError(t, err)
	_, err = w.kf.Write(t.Context(), w.account, entry.ExternalUserID, wecomtest.KFText("还在吗"))
	require.NoError(t, err)
	return w, in, entry.ExternalUserID
}

func text(account, ext, s string) *kf.SendMsgRequest {
	return &kf.SendMsgRequest{OpenKfID: account, ToUser: ext, Text: &kf.Text{Content: s}}
}

// 47 h 59 min after the customer's message the send goes out; at 48 h 1
// min it is refused before calling WeCom.
func TestSendWindowCloses48HoursAfterTheCustomersMessage(t *testing.T) {
	t.Parallel()
	w, in, ext := windowWorld(t)
	ctx := t.Context()

	w.clk.Advance(47*time.Hour + 59*time.Minute)
	_, err := in.SendMsg(ctx, text(w.account, ext, "在的，请问有什么可以帮您？"))
	require.NoError(t, err)
	require.Len(t, w.kf.Sent(w.account, ext), 1)

	w.clk.Advance(2 * time.Minute)
	_, err = in.SendMsg(ctx, text(w.account, ext, "too late"))
	require.ErrorIs(t, err, kf.ErrOutsideSendWindow)
	var werr *kf.SendWindowError
	require.ErrorAs(t, err, &werr)
	assert.Equal(t, kf.WindowExpired, werr.Reason)
	assert.ErrorContains(t, err, "wait for them to write again")
	assert.Equal(t, 1, w.srv.Count("kf/send_msg"), "refused before calling WeCom")

	// The fake agrees: the raw call is refused with 95002.
	_, err = kf.New(w.c).SendMsg(ctx, text(w.account, ext, "raw"))
	testkit.WantCode(t, err, wecom.CodeKFSendTimeLimit)

	// The customer's next message opens a new window.
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("我又来了"))
	require.NoError(t, err)
	_, err = in.SendMsg(ctx, text(w.account, ext, "欢迎回来"))
	require.NoError(t, err)
}

// Five messages go out after the customer's message; the sixth is refused
// before calling WeCom, until the customer writes again.
func TestSendWindowAllowsFiveMessages(t *testing.T) {
	t.Parallel()
	w, in, ext := windowWorld(t)
	ctx := t.Context()
	for i := range 5 {
		_, err := in.SendMsg(ctx, text(w.account, ext, "reply"))
		require.NoError(t, err, "message %d", i+1)
	}
	win, ok, err := in.SendWindow(ctx, w.account, ext)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 5, win.Sent)
	assert.Equal(t, 0, win.Remaining(w.clk.Now()))

	_, err = in.SendMsg(ctx, text(w.account, ext, "sixth"))
	var werr *kf.SendWindowError
	require.ErrorAs(t, err, &werr)
	assert.Equal(t, kf.WindowFull, werr.Reason)
	assert.Equal(t, 5, w.srv.Count("kf/send_msg"))
	assert.Equal(t, int64(1), in.Stats().Refused)

	_, err = kf.New(w.c).SendMsg(ctx, text(w.account, ext, "raw sixth"))
	testkit.WantCode(t, err, wecom.CodeKFSendCountLimit)

	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("还有一个问题"))
	require.NoError(t, err)
	_, err = in.SendMsg(ctx, text(w.account, ext, "请说"))
	require.NoError(t, err)
}

// Without a message of the customer's on record, nothing is sent.
func TestSendWindowNeedsACustomerMessage(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	in, err := kf.NewInbox(kf.New(w.c), func(context.Context, *kf.Message) error { return nil })
	require.NoError(t, err)
	w.serve(t, in)
	entry, err := w.kf.OpenLink(t.Context(), w.link, "")
	require.NoError(t, err)
	_, err = in.SendMsg(t.Context(), text(w.account, entry.ExternalUserID, "hello?"))
	var werr *kf.SendWindowError
	require.ErrorAs(t, err, &werr)
	assert.Equal(t, kf.WindowNoMessage, werr.Reason)
	assert.Equal(t, 0, w.srv.Count("kf/send_msg"))
}

// A send WeCom refuses gives its place in the window back; concurrent
// sends never take more than five places.
func TestSendWindowPlacesUnderRefusalsAndConcurrency(t *testing.T) {
	t.Parallel()
	w, in, ext := windowWorld(t)
	ctx := t.Context()
	w.srv.Fail("kf/send_msg", wecomtest.Fault{Errcode: 40058})
	_, err := in.SendMsg(ctx, text(w.account, ext, "refused"))
	testkit.WantCode(t, err, 40058)
	win, _, err := in.SendWindow(ctx, w.account, ext)
	require.NoError(t, err)
	assert.Equal(t, 0, win.Sent, "the refused send gave its place back")

	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = in.SendMsg(ctx, text(w.account, ext, "burst"))
		}()
	}
	wg.Wait()
	sent, refused := 0, 0
	for _, err := range results {
		if errors.Is(err, kf.ErrOutsideSendWindow) {
			refused++
			continue
		}
		require.NoError(t, err, "unexpected error")
		sent++
	}
	assert.Equal(t, 5, sent)
	assert.Equal(t, 3, refused)
	assert.Len(t, w.kf.Sent(w.account, ext), 5)
}
