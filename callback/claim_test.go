package callback

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestPendingTTL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ timeout, ttl, want time.Duration }{
		{0, 10 * time.Minute, 15 * time.Second},           // three of WeCom's 5-second waits
		{20 * time.Second, 10 * time.Minute, time.Minute}, // three handler timeouts
		{30 * time.Millisecond, time.Minute, 90 * time.Millisecond},
		{time.Minute, time.Minute, time.Minute}, // never beyond the de-dup lifetime
		{0, 10 * time.Second, 10 * time.Second},
	} {
		assert.Equal(t, c.want, pendingTTL(c.timeout, c.ttl), "timeout %v, ttl %v", c.timeout, c.ttl)
	}
}

// storeCall is one write a recordingStore saw.
type storeCall struct {
	op, key, old, value string
	ttl                 time.Duration
}

// recordingStore is a MemoryStore that records every write and counts
// reads, and tells renewals (pending → pending) on a channel.
type recordingStore struct {
	*wecom.MemoryStore
	mu      sync.Mutex
	calls   []storeCall
	reads   int
	renewed chan struct{}
}

func newRecordingStore() *recordingStore {
	return &recordingStore{MemoryStore: wecom.NewMemoryStore(), renewed: make(chan struct{}, 16)}
}

func (s *recordingStore) record(c storeCall) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

func (s *recordingStore) Get(ctx context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.MemoryStore.Get(ctx, key)
}

func (s *recordingStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	s.record(storeCall{op: "set", key: key, value: value, ttl: ttl})
	return s.MemoryStore.Set(ctx, key, value, ttl)
}

func (s *recordingStore) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	ok, err := s.MemoryStore.CompareAndSwap(ctx, key, old, value, ttl)
	if ok {
		s.record(storeCall{op: "cas", key: key, old: old, value: value, ttl: ttl})
		if old == dedupPending && value == dedupPending {
			select {
			case s.renewed <- struct{}{}:
			default:
			}
		}
	}
	return ok, err
}

func (s *recordingStore) snapshot() ([]storeCall, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]storeCall(nil), s.calls...), s.reads
}

const (
	claimToken  = "QDG6eK"
	claimAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	claimCorpID = "wx5823bf96d3bd56c7"
)

func claimEvent(ext string) []byte {
	return wecomtest.AddExternalContactXML(claimCorpID, "zhangsan", ext, "channel-a", "WELCOME", time.Unix(1700000000, 0))
}

func claimHandler(t *testing.T, opts ...Option) (*Handler, *wecomtest.Pusher) {
	t.Helper()
	h, err := NewHandler(claimToken, claimAESKey, append([]Option{WithReceiverID(claimCorpID)}, opts...)...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Close(ctx)
	})
	p := wecomtest.NewPusher(srv.URL, claimToken, claimAESKey, claimCorpID)
	p.Client, p.Attempts, p.Timeout = srv.Client(), 1, 5*time.Second
	return h, p
}

// A push handled before its answer claims its key in a shared store for a
// few handler timeouts only (so that the claim of an instance that died
// mid-run frees soon), renews the claim while its handlers run, and marks
// the key done for the de-dup lifetime.
func TestInlineClaimLivesAFewHandlerTimeoutsAndIsRenewed(t *testing.T) {
	t.Parallel()
	store := newRecordingStore()
	h, p := claimHandler(t, WithDedupStore(store, time.Minute), WithHandlerTimeout(30*time.Millisecond))
	h.OnAddExternalContact(func(context.Context, *ExternalContactEvent) error {
		select { // outlive the pending lifetime's third: the claim is renewed
		case <-store.renewed:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("the claim was never renewed")
		}
	})
	res, err := p.Push(t.Context(), claimEvent("wmInline"))
	require.NoError(t, err)
	require.Equal(t, "success", res.Body())

	calls, _ := store.snapshot()
	require.GreaterOrEqual(t, len(calls), 3)
	key := calls[0].key
	assert.Equal(t, storeCall{op: "cas", key: key, old: "", value: dedupPending, ttl: 90 * time.Millisecond}, calls[0],
		"claimed for three handler timeouts")
	assert.Equal(t, storeCall{op: "cas", key: key, old: dedupPending, value: dedupPending, ttl: 90 * time.Millisecond}, calls[1],
		"renewed while the handler ran")
	assert.Equal(t, storeCall{op: "set", key: key, value: dedupDone, ttl: time.Minute}, calls[len(calls)-1],
		"done for the de-dup lifetime")
}

// claimingQueue is a ClaimingQueue in memory: ClaimAndEnqueue answers what
// the test sets, and stored deliveries run when the test calls runStored.
type claimingQueue struct {
	store  *recordingStore
	answer ClaimResult
	err    error

	mu      sync.Mutex
	run     func(context.Context, *Delivery) error
	stored  []*Delivery
	ttls    []time.Duration
	enqueue int // plain Enqueue calls
}

func (q *claimingQueue) Start(run func(context.Context, *Delivery) error) error {
	q.run = run
	return nil
}

func (q *claimingQueue) Enqueue(context.Context, *Delivery) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enqueue++
	return nil
}

func (q *claimingQueue) Close(context.Context) error { return nil }
func (q *claimingQueue) DedupStore() wecom.Store     { return q.store }

func (q *claimingQueue) ClaimAndEnqueue(_ context.Context, d *Delivery, ttl time.Duration) (ClaimResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return 0, q.err
	}
	if q.answer == ClaimStored {
		// as a store would: the four strings and the key
		q.stored = append(q.stored, &Delivery{MsgSignature: d.MsgSignature, Timestamp: d.Timestamp, Nonce: d.Nonce,
			Encrypt: d.Encrypt, DedupKey: d.DedupKey})
		q.ttls = append(q.ttls, ttl)
	}
	return q.answer, nil
}

// observed records the pushes an Observer saw.
type observed struct {
	NopObserver
	mu     sync.Mutex
	pushes []PushInfo
}

func (o *observed) Pushed(_ context.Context, p PushInfo) {
	o.mu.Lock()
	o.pushes = append(o.pushes, p)
	o.mu.Unlock()
}

func (o *observed) last() PushInfo {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pushes[len(o.pushes)-1]
}

// With a ClaimingQueue the Handler claims nothing itself: the queue claims
// and stores in one step; a push it could not store is answered 503 (never
// "success", which would stop WeCom's re-sends), one stored or handled
// before "success". The queue's store replaces WithDedupStore's.
func TestClaimingQueueClaimsAndStoresInOneStep(t *testing.T) {
	t.Parallel()
	other := newRecordingStore()
	q := &claimingQueue{store: newRecordingStore(), answer: ClaimStored}
	obs := &observed{}
	_, p := claimHandler(t, WithDedupStore(other, 2*time.Minute), WithQueue(q), WithObserver(obs))

	res, err := p.Push(t.Context(), claimEvent("wmClaimed"))
	require.NoError(t, err)
	assert.Equal(t, "success", res.Body())
	require.Len(t, q.stored, 1)
	assert.Equal(t, dedupKey(claimCorpID, claimEvent("wmClaimed")), q.stored[0].DedupKey)
	assert.Equal(t, []time.Duration{2 * time.Minute}, q.ttls, "the Handler's de-dup lifetime")
	assert.Equal(t, PushQueued, obs.last().Outcome)
	assert.Equal(t, DedupFresh, obs.last().Dedup)

	for _, c := range []struct {
		answer ClaimResult
		dedup  DedupResult
	}{{ClaimPending, DedupPending}, {ClaimDone, DedupDone}} {
		q.mu.Lock()
		q.answer = c.answer
		q.mu.Unlock()
		res, err := p.Push(t.Context(), claimEvent("wmClaimed"))
		require.NoError(t, err)
		assert.Equal(t, "success", res.Body())
		assert.Equal(t, PushDuplicate, obs.last().Outcome)
		assert.Equal(t, c.dedup, obs.last().Dedup)
	}

	q.mu.Lock()
	q.err = errors.New("redis: connection refused")
	q.mu.Unlock()
	res, err = p.Push(t.Context(), claimEvent("wmClaimed"))
	require.Error(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, res.Status())
	assert.NotContains(t, res.Body(), "connection refused", "the queue's error stays in the log")
	assert.Equal(t, PushUnavailable, obs.last().Outcome)

	calls, reads := q.store.snapshot()
	assert.Empty(t, calls, "no claim written beside the queue's")
	assert.Zero(t, reads)
	calls, reads = other.snapshot()
	assert.Empty(t, calls, "WithDedupStore's store is not used")
	assert.Zero(t, reads)
	assert.Zero(t, q.enqueue, "Enqueue is not called")
}

// A ClaimingQueue's first run reads no de-dup record and leaves the done
// mark to the queue; a later run reads what succeeded before and runs only
// the other functions.
func TestClaimingQueueRuns(t *testing.T) {
	t.Parallel()
	store := newRecordingStore()
	q := &claimingQueue{store: store, answer: ClaimStored}
	h, p := claimHandler(t, WithQueue(q))
	var mu sync.Mutex
	runs := map[string]int{}
	fail := true
	h.OnAddExternalContact(func(context.Context, *ExternalContactEvent) error {
		mu.Lock()
		defer mu.Unlock()
		runs["welcome"]++
		return nil
	})
	h.OnAddExternalContact(func(context.Context, *ExternalContactEvent) error {
		mu.Lock()
		defer mu.Unlock()
		runs["tag"]++
		if fail {
			return errors.New("tagging failed")
		}
		return nil
	})
	_, err := p.Push(t.Context(), claimEvent("wmRuns"))
	require.NoError(t, err)
	require.Len(t, q.stored, 1)
	d := q.stored[0]
	d.DedupKey = "" // the Handler sets it from the push itself
	d.Attempt = 1
	require.Error(t, q.run(t.Context(), d))
	assert.Equal(t, dedupKey(claimCorpID, claimEvent("wmRuns")), d.DedupKey)
	calls, reads := store.snapshot()
	assert.Zero(t, reads, "a first run reads nothing")
	require.Len(t, calls, 1, "the failure records what succeeded, and nothing else")
	assert.Equal(t, "set", calls[0].op)
	assert.Equal(t, d.DedupKey+dedupRanSuffix, calls[0].key)

	mu.Lock()
	fail = false
	mu.Unlock()
	d.Attempt = 2
	require.NoError(t, q.run(t.Context(), d))
	assert.Equal(t, map[string]int{"welcome": 1, "tag": 2}, runs, "the retry runs only the function that failed")
	calls, reads = store.snapshot()
	assert.Positive(t, reads, "a retry reads the record")
	assert.Len(t, calls, 1, "the done mark is the queue's")
}

// storedDelivery is the push of plaintext as a durable queue stores it.
func storedDelivery(t *testing.T, plaintext []byte) *Delivery {
	t.Helper()
	p := wecomtest.NewPusher("", claimToken, claimAESKey, claimCorpID)
	body, q, err := p.Envelope(plaintext, "1700000000", "nonce1")
	require.NoError(t, err)
	push, err := ParsePush(body)
	require.NoError(t, err)
	return &Delivery{MsgSignature: q.Get("msg_signature"), Timestamp: q.Get("timestamp"), Nonce: q.Get("nonce"),
		Encrypt: push.Encrypt, Attempt: 1}
}

// A queue's runs wait for the Handler's start (Start, a request, or a
// quiet second after the registrations), so that a backlog read at once by
// NewHandler's workers does not run before the functions are registered; a
// Handler closed before it started runs nothing (ErrClosed: the queue
// keeps the push).
func TestQueuedRunsWaitForTheStart(t *testing.T) {
	t.Parallel()
	q := &claimingQueue{store: newRecordingStore(), answer: ClaimStored}
	h, err := NewHandler(claimToken, claimAESKey, WithReceiverID(claimCorpID), WithQueue(q))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- q.run(context.Background(), storedDelivery(t, claimEvent("wmEarly"))) }()
	var runs sync.WaitGroup
	runs.Add(1)
	h.OnAddExternalContact(func(context.Context, *ExternalContactEvent) error {
		runs.Done()
		return nil
	})
	h.Start()
	require.NoError(t, <-done)
	runs.Wait() // the function registered after the run was read ran
	h.Start()   // again: nothing
	require.NoError(t, h.Close(t.Context()))

	closed, err := NewHandler(claimToken, claimAESKey, WithReceiverID(claimCorpID), WithQueue(&claimingQueue{store: newRecordingStore()}))
	require.NoError(t, err)
	qc := closed.cfg.queue.(*claimingQueue)
	closed.OnDefault(func(context.Context, Event) error {
		assert.Fail(t, "a Handler closed before its start ran a push")
		return nil
	})
	go func() { done <- qc.run(context.Background(), storedDelivery(t, claimEvent("wmNever"))) }()
	require.NoError(t, closed.Close(t.Context()))
	require.ErrorIs(t, <-done, ErrClosed)

	var zero Handler
	zero.Start() // not made by NewHandler: no panic
}
