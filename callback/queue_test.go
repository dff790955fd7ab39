package callback_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
)

// storingQueue stands in for a durable queue: it keeps only the four
// strings of each push, as a store would, and hands back Deliveries of its
// own; runs happen when the test calls drain.
type storingQueue struct {
	mu      sync.Mutex
	run     func(context.Context, *callback.Delivery) error
	stored  []callback.Delivery
	refuse  error
	results []error
	closed  atomic.Int32
}

func (q *storingQueue) Start(run func(context.Context, *callback.Delivery) error) error {
	q.run = run
	return nil
}

func (q *storingQueue) Enqueue(_ context.Context, d *callback.Delivery) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.refuse != nil {
		return q.refuse
	}
	q.stored = append(q.stored, callback.Delivery{MsgSignature: d.MsgSignature, Timestamp: d.Timestamp, Nonce: d.Nonce, Encrypt: d.Encrypt})
	return nil
}

func (q *storingQueue) Close(context.Context) error { q.closed.Add(1); return nil }

// drain runs every stored delivery once, with the given attempt number.
func (q *storingQueue) drain(attempt int) []error {
	q.mu.Lock()
	ds := append([]callback.Delivery(nil), q.stored...)
	q.mu.Unlock()
	var errs []error
	for i := range ds {
		d := ds[i]
		d.Attempt = attempt
		errs = append(errs, q.run(context.Background(), &d))
	}
	return errs
}

func TestQueueGetsThePushStillEncrypted(t *testing.T) {
	t.Parallel()
	q := &storingQueue{}
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithQueue(q))
	var calls atomic.Int32
	var attempts []int
	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		d, ok := callback.DeliveryFromContext(ctx)
		require.True(t, ok)
		attempts = append(attempts, d.Attempt)
		assert.Equal(t, "queued-1", ev.ExternalUserID)
		assert.Equal(t, corpID, ev.ReceiveID)
		if calls.Add(1) == 1 {
			return errors.New("database down")
		}
		return nil
	})
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	res, err := p.Push(t.Context(), addEvent("queued-1"))
	require.NoError(t, err)
	require.Equal(t, "success", res.Body())
	require.Len(t, q.stored, 1)
	assert.NotContains(t, q.stored[0].Encrypt, "queued-1", "the queue must get ciphertext")
	assert.Zero(t, calls.Load(), "answered before any handler ran")

	// a re-send while the push waits in the queue is answered and not queued again
	res, err = p.Push(t.Context(), addEvent("queued-1"))
	require.NoError(t, err)
	require.Equal(t, "success", res.Body())
	require.Len(t, q.stored, 1)

	// the first run fails: the claim is kept, so a re-send is still not queued
	errs := q.drain(1)
	require.Error(t, errs[0])
	assert.NotErrorIs(t, errs[0], callback.ErrUndeliverable)
	_, _ = p.Push(t.Context(), addEvent("queued-1"))
	require.Len(t, q.stored, 1)

	// the retry succeeds; a run after that (an unacknowledged success run
	// again by another instance) finds the event done and calls nothing
	require.NoError(t, q.drain(2)[0])
	require.NoError(t, q.drain(3)[0])
	assert.Equal(t, int32(2), calls.Load())
	assert.Equal(t, []int{1, 2}, attempts)

	require.NoError(t, h.Close(t.Context()))
	assert.Equal(t, int32(1), q.closed.Load(), "Close closes the queue")
}

func TestOpenDeliveryAndUndeliverablePushes(t *testing.T) {
	t.Parallel()
	q := &storingQueue{}
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithQueue(q))
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { calls.Add(1); return nil })
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	_, err := p.Push(t.Context(), addEvent("dead-1"))
	require.NoError(t, err)
	require.Len(t, q.stored, 1)

	ev, err := h.OpenDelivery(&q.stored[0])
	require.NoError(t, err)
	require.Equal(t, "dead-1", ev.(*callback.ExternalContactEvent).ExternalUserID)

	bad := q.stored[0]
	first := "A"
	if bad.Encrypt[0] == 'A' { // change it whatever it was
		first = "B"
	}
	bad.Encrypt = first + bad.Encrypt[1:]
	_, err = h.OpenDelivery(&bad)
	require.ErrorIs(t, err, callback.ErrUndeliverable)
	require.ErrorIs(t, err, callback.ErrBadSignature)
	_, err = h.OpenDelivery(nil)
	require.ErrorIs(t, err, callback.ErrUndeliverable)

	q.stored[0] = bad
	require.ErrorIs(t, q.drain(1)[0], callback.ErrUndeliverable)
	assert.Zero(t, calls.Load())
}

// A queue that refuses a push gets it answered 503 with its claim released,
// so WeCom's re-send is queued once the queue takes pushes again.
func TestQueueRefusalAnswers503(t *testing.T) {
	t.Parallel()
	q := &storingQueue{refuse: errors.New("redis: connection refused")}
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithQueue(q))
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	res, _ := p.Push(t.Context(), addEvent("refused"))
	require.Equal(t, http.StatusServiceUnavailable, res.Status())
	require.NotContains(t, res.Body(), "connection refused", "the queue's error stays in the log")
	q.mu.Lock()
	q.refuse = nil
	q.mu.Unlock()
	res, err := p.Push(t.Context(), addEvent("refused"))
	require.NoError(t, err)
	require.Equal(t, "success", res.Body())
	require.Len(t, q.stored, 1)
}

type failingStart struct{ storingQueue }

func (*failingStart) Start(func(context.Context, *callback.Delivery) error) error {
	return errors.New("no redis")
}

func TestWithQueueOptions(t *testing.T) {
	t.Parallel()
	_, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithQueue(nil))
	require.Error(t, err)
	_, err = callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithQueue(&failingStart{}))
	require.ErrorContains(t, err, "no redis")

	// the last of WithWorkers and WithQueue wins
	q := &storingQueue{}
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithWorkers(2, 2), callback.WithQueue(q))
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	_, err = p.Push(t.Context(), addEvent("last-wins"))
	require.NoError(t, err)
	require.Len(t, q.stored, 1)

	q2 := &storingQueue{}
	h2 := newHandler(t, callback.WithReceiverID(corpID), callback.WithQueue(q2), callback.WithWorkers(1, 1))
	done := make(chan struct{})
	h2.OnAddExternalContact(func(ctx context.Context, _ *callback.ExternalContactEvent) error {
		d, ok := callback.DeliveryFromContext(ctx)
		assert.True(t, ok)
		assert.Equal(t, 1, d.Attempt)
		close(done)
		return nil
	})
	_, p2 := serve(t, h2, corpID)
	p2.Attempts = 1
	_, err = p2.Push(t.Context(), addEvent("workers-win"))
	require.NoError(t, err)
	<-done
	require.Empty(t, q2.stored)
}

// The workers of a closed in-process queue still handle what was queued;
// pushes after Close are refused.
func TestMemoryQueueDrainsOnClose(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithWorkers(1, 8), callback.WithDedupStore(store, time.Minute))
	release := make(chan struct{})
	var calls atomic.Int32
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
		<-release
		calls.Add(1)
		return nil
	})
	_, p := serve(t, h, corpID)
	p.Attempts = 1
	for _, ext := range []string{"d1", "d2", "d3"} {
		res, err := p.Push(t.Context(), addEvent(ext))
		require.NoError(t, err)
		require.Equal(t, "success", res.Body())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	require.ErrorIs(t, h.Close(ctx), context.DeadlineExceeded)
	cancel()
	res, _ := p.Push(t.Context(), addEvent("d4"))
	require.Equal(t, http.StatusServiceUnavailable, res.Status())
	close(release)
	require.NoError(t, h.Close(t.Context()))
	require.Equal(t, int32(3), calls.Load())
}
