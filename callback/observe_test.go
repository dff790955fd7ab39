package callback_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	obsToken  = "QDG6eK"
	obsAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	obsCorpID = "wwobservecorp001"
)

// pushRecorder is a callback.Observer keeping what it saw.
type pushRecorder struct {
	mu     sync.Mutex
	pushes []callback.PushInfo
	runs   []callback.RunInfo
}

func (r *pushRecorder) Pushed(_ context.Context, p callback.PushInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pushes = append(r.pushes, p)
}

func (r *pushRecorder) Ran(_ context.Context, ri callback.RunInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, ri)
}

func (r *pushRecorder) snapshot() ([]callback.PushInfo, []callback.RunInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]callback.PushInfo(nil), r.pushes...), append([]callback.RunInfo(nil), r.runs...)
}

// observedHandler serves a Handler with rec as its Observer and returns a
// Pusher to it.
func observedHandler(t *testing.T, rec *pushRecorder, opts ...callback.Option) (*callback.Handler, *httptest.Server, *wecomtest.Pusher) {
	t.Helper()
	h, err := callback.NewHandler(obsToken, obsAESKey,
		append([]callback.Option{callback.WithReceiverID(obsCorpID), callback.WithObserver(rec)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := wecomtest.NewPusher(srv.URL, obsToken, obsAESKey, obsCorpID)
	p.Client = srv.Client()
	p.Attempts = 1
	return h, srv, p
}

func addContactXML(ext string) []byte {
	return wecomtest.AddExternalContactXML(obsCorpID, "zhangsan", ext, "channel-a", "WELCOME", time.Unix(1700000000, 0))
}

func TestCallbackObserverSeesPushes(t *testing.T) {
	t.Parallel()
	rec := &pushRecorder{}
	h, srv, p := observedHandler(t, rec)
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { return nil })
	ctx := t.Context()

	_, err := p.Push(ctx, addContactXML("wmA"))
	require.NoError(t, err)
	_, err = p.Push(ctx, addContactXML("wmA")) // WeCom's re-send of the same push
	require.NoError(t, err)
	// A push with a bad signature.
	body, q, err := p.Envelope(addContactXML("wmB"), "1700000000", "nonce1")
	require.NoError(t, err)
	q.Set("msg_signature", "0000000000000000000000000000000000000000")
	resp, err := srv.Client().Post(srv.URL+"?"+q.Encode(), "text/xml", bytes.NewReader(body))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	pushes, runs := rec.snapshot()
	assert.Empty(t, runs, "no queue")
	require.Len(t, pushes, 3)
	first, dup, bad := pushes[0], pushes[1], pushes[2]
	assert.Equal(t, callback.PushHandled, first.Outcome)
	assert.Equal(t, http.StatusOK, first.Status)
	assert.Equal(t, callback.KindChangeExternalContact, first.Kind)
	assert.Equal(t, callback.ChangeAddExternalContact, first.ChangeType)
	assert.Equal(t, callback.DedupFresh, first.Dedup)
	assert.Equal(t, -1, first.QueueDepth)
	assert.Positive(t, first.Latency)
	assert.NoError(t, first.Err)

	assert.Equal(t, callback.PushDuplicate, dup.Outcome)
	assert.Equal(t, callback.DedupDone, dup.Dedup)

	assert.Equal(t, callback.PushRefused, bad.Outcome)
	assert.Equal(t, http.StatusForbidden, bad.Status)
	assert.ErrorIs(t, bad.Err, callback.ErrBadSignature)
	assert.Equal(t, callback.EventKind(""), bad.Kind)
	assert.Equal(t, callback.DedupOff, bad.Dedup)
}

func TestCallbackObserverSeesFailedSyncPushes(t *testing.T) {
	t.Parallel()
	rec := &pushRecorder{}
	h, _, p := observedHandler(t, rec)
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { return errors.New("database down") })
	_, err := p.Push(t.Context(), addContactXML("wmA"))
	require.Error(t, err)
	pushes, _ := rec.snapshot()
	require.Len(t, pushes, 1)
	assert.Equal(t, callback.PushFailed, pushes[0].Outcome)
	assert.Equal(t, http.StatusInternalServerError, pushes[0].Status)
	assert.ErrorContains(t, pushes[0].Err, "database down")
}

func TestCallbackObserverSeesQueuedRuns(t *testing.T) {
	t.Parallel()
	rec := &pushRecorder{}
	release := make(chan struct{})
	h, _, p := observedHandler(t, rec, callback.WithWorkers(1, 8))
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		<-release
		if ev.ExternalUserID == "wmFail" {
			return errors.New("database down")
		}
		return nil
	})
	ctx := t.Context()
	for _, ext := range []string{"wmA", "wmB", "wmFail"} {
		_, err := p.Push(ctx, addContactXML(ext))
		require.NoError(t, err)
	}
	close(release)
	require.Eventually(t, func() bool { _, runs := rec.snapshot(); return len(runs) == 3 }, 5*time.Second, time.Millisecond)
	pushes, runs := rec.snapshot()
	require.Len(t, pushes, 3)
	for _, pi := range pushes {
		assert.Equal(t, callback.PushQueued, pi.Outcome)
		assert.Equal(t, http.StatusOK, pi.Status)
		assert.Equal(t, callback.DedupFresh, pi.Dedup)
	}
	// The first push is taken by the worker at once (which then waits), so
	// the other two wait in the queue.
	assert.Equal(t, 1, pushes[1].QueueDepth)
	assert.Equal(t, 2, pushes[2].QueueDepth)
	outcomes := map[callback.RunOutcome]int{}
	for _, ri := range runs {
		outcomes[ri.Outcome]++
		assert.Equal(t, 1, ri.Attempt)
		assert.Equal(t, callback.KindChangeExternalContact, ri.Kind)
		assert.Positive(t, ri.QueueLag)
		assert.GreaterOrEqual(t, ri.QueueDepth, 0)
	}
	assert.Equal(t, map[callback.RunOutcome]int{callback.RunHandled: 2, callback.RunFailed: 1}, outcomes)
}
