package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/dedupkey"
)

// pushKey is the de-dup key callback gives the push of plaintext.
func pushKey(plaintext []byte) string {
	sum := sha256.Sum256(append([]byte(cbCorpID+"\x00"), plaintext...))
	return dedupkey.Prefix + hex.EncodeToString(sum[:])
}

// A claim that names no stored push (left by a delivery that died while
// handled before its answer, by an older version that claimed and stored
// in two steps, or naming an entry that is gone) does not turn the re-send
// away: the re-send stores the push, and its run, counted as a
// redelivery, reads what succeeded before. A claim that names a stored or
// parked push, or says done, makes the re-send a duplicate.
func TestResendOverAClaimWithNothingStored(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, c := range []struct {
			name   string
			claim  string
			stored bool
		}{
			{"pending", dedupkey.Pending, true},
			{"failed", dedupkey.Failed, true},
			{"queued entry gone", dedupkey.Queued + "1-1", true},
			{"parked entry gone", dedupkey.Parked + "1-1", true},
			{"damaged id", dedupkey.Queued + "not-an-id", true},
			{"done", dedupkey.Done, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				prefix := testPrefix(t, b)
				var attempts []int
				var mu sync.Mutex
				in := newInstance(t, b, prefix, fastQueue("abandoned"), func(h *callback.Handler) {
					h.OnAddExternalContact(func(ctx context.Context, _ *callback.ExternalContactEvent) error {
						d, _ := callback.DeliveryFromContext(ctx)
						mu.Lock()
						attempts = append(attempts, d.Attempt)
						mu.Unlock()
						return nil
					})
				})
				ev := addEvent("wmAbandoned")
				claims := in.queue.DedupStore()
				require.NoError(t, claims.Set(t.Context(), pushKey(ev), c.claim, time.Minute))
				res, err := in.p.Push(t.Context(), ev)
				require.NoError(t, err)
				assert.Equal(t, "success", res.Body())
				if !c.stored {
					assert.Equal(t, QueueStats{}, stats(t, in.queue), "a duplicate is not stored")
					return
				}
				eventually(t, "the push ran", func() bool {
					mu.Lock()
					defer mu.Unlock()
					return len(attempts) == 1
				})
				eventually(t, "the stream emptied", func() bool { return stats(t, in.queue) == QueueStats{} })
				assert.Equal(t, []int{2}, attempts, "a redelivery")
				v, ok, err := claims.Get(t.Context(), pushKey(ev))
				require.NoError(t, err)
				require.True(t, ok)
				assert.Equal(t, dedupkey.Done, v)
			})
		}
	})
}

// The claim of a stored push lives the Handler's de-dup lifetime; it and
// the stream are in one hash slot ({name}), so that the script that claims
// and stores works on Redis Cluster.
func TestClaimKeysShareTheQueueSlot(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		s := open(t, b, prefix, WithLogger(quiet))
		q, err := s.NewQueue(fastQueue("slot")...)
		require.NoError(t, err)
		h := newTestHandler(t, callback.WithDedupStore(s, 3*time.Minute), callback.WithQueue(&unstarted{q}))
		p := servePusher(t, h)
		ev := addEvent("wmSlot")
		_, err = p.Push(t.Context(), ev)
		require.NoError(t, err)
		key := prefix + dedupkey.Prefix + "{slot}:" + pushKey(ev)[len(dedupkey.Prefix):]
		assert.Equal(t, key, q.claimKey(pushKey(ev)))
		v, err := s.rdb.Get(t.Context(), key).Result()
		require.NoError(t, err)
		msgs, err := s.rdb.XRange(t.Context(), q.stream, "-", "+").Result()
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		assert.Equal(t, dedupkey.Queued+msgs[0].ID, v)
		assert.Equal(t, pushKey(ev), msgs[0].Values[fKey])
		ttl, err := s.rdb.PTTL(t.Context(), key).Result()
		require.NoError(t, err)
		assert.InDelta(t, float64(3*time.Minute), float64(ttl), float64(10*time.Second))

		// keys other than callback's pass through the queue's store
		require.NoError(t, q.DedupStore().Set(t.Context(), "other", "v", 0))
		got, ok, err := s.Get(t.Context(), "other")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "v", got)
	})
}

// A queue refuses a Store that would encrypt the claims its scripts read.
func TestQueueRefusesEncryptedClaims(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, testPrefix(t, b), WithEncryptionKey(testKey(3)), WithEncryptedKeys(func(string) bool { return true }))
		_, err := s.NewQueue()
		require.ErrorContains(t, err, "WithEncryptedKeys")
	})
}

// A parked push keeps its claim: re-sends are duplicates; replayed, it
// runs on with its count and only the functions that had not succeeded;
// the run's success marks the key done.
func TestReplayedDeadLetterRunsOnlyWhatFailed(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var fixed atomic.Bool
		var welcomes, tags atomic.Int32
		var lastAttempt atomic.Int32
		in := newInstance(t, b, prefix, fastQueue("replayed", WithMaxAttempts(2)), func(h *callback.Handler) {
			h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
				welcomes.Add(1)
				return nil
			})
			h.OnAddExternalContact(func(ctx context.Context, _ *callback.ExternalContactEvent) error {
				tags.Add(1)
				d, _ := callback.DeliveryFromContext(ctx)
				lastAttempt.Store(int32(d.Attempt))
				if !fixed.Load() {
					return errors.New("tagging is down")
				}
				return nil
			})
		})
		ev := addEvent("wmReplayed")
		_, err := in.p.Push(t.Context(), ev)
		require.NoError(t, err)
		eventually(t, "parked", func() bool { return stats(t, in.queue).DeadLetters == 1 })
		v, _, err := in.queue.DedupStore().Get(t.Context(), pushKey(ev))
		require.NoError(t, err)
		dls, err := in.queue.ListDeadLetters(t.Context(), "", 0)
		require.NoError(t, err)
		require.Len(t, dls, 1)
		assert.Equal(t, dedupkey.Parked+dls[0].ID, v)
		assert.Equal(t, pushKey(ev), dls[0].Delivery.DedupKey)
		one, err := in.queue.DeadLetter(t.Context(), dls[0].ID)
		require.NoError(t, err)
		assert.Equal(t, dls[0], *one)
		_, err = in.queue.DeadLetter(t.Context(), "1-1")
		require.ErrorIs(t, err, ErrNoDeadLetter)

		res, err := in.p.Push(t.Context(), ev)
		require.NoError(t, err)
		assert.Equal(t, "success", res.Body())
		assert.Equal(t, QueueStats{DeadLetters: 1}, stats(t, in.queue), "a re-send of a parked push is a duplicate")

		fixed.Store(true)
		_, err = in.queue.Replay(t.Context(), dls[0].ID)
		require.NoError(t, err)
		eventually(t, "the replay ran", func() bool { return stats(t, in.queue) == QueueStats{} })
		assert.Equal(t, int32(1), welcomes.Load(), "the welcome succeeded before and is not sent again")
		assert.Equal(t, int32(3), tags.Load())
		assert.Equal(t, int32(3), lastAttempt.Load(), "the runs go on counting")
		v, _, err = in.queue.DedupStore().Get(t.Context(), pushKey(ev))
		require.NoError(t, err)
		assert.Equal(t, dedupkey.Done, v)
	})
}

// Concurrent pushes share round trips: a batch serves the calls that
// arrived while the previous one was in flight, each getting its own
// answer, and a serial caller is never held back.
func TestBatcherGathersConcurrentCalls(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var flushes atomic.Int32
	var sizes []int
	var mu sync.Mutex
	bt := batcher[int]{max: 4, flush: func(_ context.Context, batch []*batchCall[int]) {
		if flushes.Add(1) == 1 {
			<-release // hold the first round trip while others arrive
		}
		mu.Lock()
		sizes = append(sizes, len(batch))
		mu.Unlock()
		for _, c := range batch {
			if c.in%2 == 1 {
				c.err = fmt.Errorf("odd %d", c.in)
			}
		}
	}}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	wg.Go(func() { errs[0] = bt.do(&batchCall[int]{in: 0}) })
	for flushes.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < 10; i++ {
		wg.Go(func() { errs[i] = bt.do(&batchCall[int]{in: i}) })
	}
	for { // all nine wait for the first round trip
		bt.mu.Lock()
		n := len(bt.waiting)
		bt.mu.Unlock()
		if n == 9 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if i%2 == 1 {
			assert.EqualError(t, err, fmt.Sprintf("odd %d", i))
		} else {
			assert.NoError(t, err)
		}
	}
	assert.Equal(t, []int{1, 4, 4, 1}, sizes, "nine waiting calls go in batches of at most four")
	assert.NoError(t, bt.do(&batchCall[int]{in: 2}), "alone, a call is its own round trip")
	assert.False(t, bt.busy)
}

// A worker that starts with pushes waiting in Redis runs none of them
// before its handler functions are registered and the Handler started:
// before, NewHandler's workers ran the backlog at once, found no function
// for it, and marked it handled.
func TestBacklogWaitsForTheHandlerStart(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		rs := open(t, b, prefix, WithLogger(quiet))
		rq, err := rs.NewQueue(fastQueue("backlog", WithoutWorkers())...)
		require.NoError(t, err)
		p := servePusher(t, newTestHandler(t, callback.WithQueue(rq)))
		_, err = p.Push(t.Context(), addEvent("wmBacklog"))
		require.NoError(t, err)

		ws := open(t, b, prefix, WithLogger(quiet))
		wq, err := ws.NewQueue(fastQueue("backlog")...)
		require.NoError(t, err)
		h := newTestHandler(t, callback.WithQueue(wq))
		eventually(t, "the worker took the push", func() bool { return stats(t, wq).Pending == 1 })
		var runs atomic.Int32
		h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
			runs.Add(1)
			return nil
		})
		h.Start()
		eventually(t, "the push ran", func() bool { return runs.Load() == 1 })
		eventually(t, "the stream emptied", func() bool { return stats(t, wq) == QueueStats{} })
	})
}
