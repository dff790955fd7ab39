package redisstore

import (
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
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	cbToken  = "QDG6eK"
	cbAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	cbCorpID = "wx5823bf96d3bd56c7"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestHandler(t testing.TB, opts ...callback.Option) *callback.Handler {
	t.Helper()
	all := append([]callback.Option{callback.WithReceiverID(cbCorpID), callback.WithLogger(quiet)}, opts...)
	h, err := callback.NewHandler(cbToken, cbAESKey, all...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.Close(ctx)
	})
	return h
}

func servePusher(t testing.TB, h http.Handler) *wecomtest.Pusher {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := wecomtest.NewPusher(srv.URL, cbToken, cbAESKey, cbCorpID)
	p.Client = srv.Client()
	p.Timeout = 5 * time.Second
	p.Attempts = 1
	return p
}

func addEvent(ext string) []byte {
	return wecomtest.AddExternalContactXML(cbCorpID, "zhangsan", ext, "channel-a", "WELCOME", time.Unix(1700000000, 0))
}

// fastQueue are queue settings for tests: short waits, few attempts. The
// visibility timeout stays at a second: on a loaded machine (the race
// detector, other jobs) a shorter one lets another instance claim a push
// whose handler is still running, and run it a second time.
func fastQueue(name string, more ...QueueOption) []QueueOption {
	return append([]QueueOption{WithName(name), WithWorkers(2), WithMaxAttempts(3), WithBackoff(10 * time.Millisecond),
		WithVisibilityTimeout(time.Second), WithPollInterval(20 * time.Millisecond)}, more...)
}

// instance is one simulated server: its own Redis client, Store, Queue and
// Handler.
type instance struct {
	store *Store
	queue *Queue
	h     *callback.Handler
	p     *wecomtest.Pusher
}

func newInstance(t *testing.T, b backend, prefix string, qo []QueueOption, register func(h *callback.Handler)) *instance {
	t.Helper()
	s := open(t, b, prefix, WithEncryptionKey(testKey(9)), WithLogger(quiet))
	q, err := s.NewQueue(qo...)
	require.NoError(t, err)
	h := newTestHandler(t, callback.WithDedupStore(s, time.Minute), callback.WithQueue(q))
	register(h)
	return &instance{store: s, queue: q, h: h, p: servePusher(t, h)}
}

// eventually polls cond every 10 ms for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		require.False(t, time.Now().After(deadline), "timed out waiting for %s", what)
		time.Sleep(10 * time.Millisecond)
	}
}

func stats(t *testing.T, q *Queue) QueueStats {
	t.Helper()
	st, err := q.Stats(context.Background())
	require.NoError(t, err)
	return st
}

func TestQueueRunsPushesFromRedis(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var mu sync.Mutex
		got := map[string]int{}
		in := newInstance(t, b, prefix, fastQueue("basic"), func(h *callback.Handler) {
			h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
				d, ok := callback.DeliveryFromContext(ctx)
				assert.True(t, ok)
				assert.Equal(t, 1, d.Attempt)
				mu.Lock()
				got[ev.ExternalUserID]++
				mu.Unlock()
				return nil
			})
		})
		for i := range 5 {
			res, err := in.p.Push(t.Context(), addEvent(fmt.Sprint("wm", i)))
			require.NoError(t, err)
			require.Equal(t, "success", res.Body())
		}
		eventually(t, "5 events handled", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 5
		})
		eventually(t, "stream emptied", func() bool { return stats(t, in.queue) == QueueStats{} })
		for k, n := range got {
			assert.Equal(t, 1, n, k)
		}
	})
}

// Pushes are stored as WeCom sent them: nothing in Redis holds the
// plaintext while a push waits.
func TestQueueKeepsPushesEncrypted(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		s := open(t, b, prefix)
		q, err := s.NewQueue(fastQueue("atrest")...)
		require.NoError(t, err)
		// not started: the push stays in Redis
		h := newTestHandler(t, callback.WithDedupStore(s, time.Minute), callback.WithQueue(&unstarted{q}))
		p := servePusher(t, h)
		_, err = p.Push(t.Context(), addEvent("wmSECRETCUSTOMER"))
		require.NoError(t, err)
		msgs, err := s.rdb.XRange(t.Context(), q.stream, "-", "+").Result()
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		for k, v := range msgs[0].Values {
			assert.NotContains(t, v, "wmSECRETCUSTOMER", k)
			assert.NotContains(t, v, "zhangsan", k)
		}
		ev, err := h.OpenDelivery(&callback.Delivery{MsgSignature: msgs[0].Values[fSig].(string), Timestamp: msgs[0].Values[fTS].(string),
			Nonce: msgs[0].Values[fNonce].(string), Encrypt: msgs[0].Values[fEnc].(string)})
		require.NoError(t, err)
		assert.Equal(t, "wmSECRETCUSTOMER", ev.(*callback.ExternalContactEvent).ExternalUserID)
	})
}

// unstarted is a Queue whose workers never start.
type unstarted struct{ *Queue }

func (u *unstarted) Start(func(context.Context, *callback.Delivery) error) error { return nil }

// A callback pushed to two instances sharing Redis (a re-send landing on the
// other one, or both at once) runs once.
func TestTwoInstancesRunAPushOnce(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var mu sync.Mutex
		runs := map[string]int{}
		reg := func(h *callback.Handler) {
			h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
				mu.Lock()
				runs[ev.ExternalUserID]++
				mu.Unlock()
				return nil
			})
		}
		a := newInstance(t, b, prefix, fastQueue("twice"), reg)
		c := newInstance(t, b, prefix, fastQueue("twice"), reg)
		const events = 20
		var wg sync.WaitGroup
		for i := range events {
			ev := addEvent(fmt.Sprint("wmTwice", i))
			for _, in := range []*instance{a, c} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := in.p.Push(t.Context(), ev)
					assert.NoError(t, err)
					assert.Equal(t, "success", res.Body())
				}()
			}
		}
		wg.Wait()
		eventually(t, "every event handled", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(runs) == events
		})
		eventually(t, "stream emptied", func() bool { return stats(t, a.queue).Queued == 0 })
		mu.Lock()
		defer mu.Unlock()
		for k, n := range runs {
			assert.Equal(t, 1, n, k)
		}
	})
}

// A failing run is retried with backoff on any instance; a success after
// that is final.
func TestQueueRetriesFailures(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var mu sync.Mutex
		var attempts []int
		in := newInstance(t, b, prefix, fastQueue("retry"), func(h *callback.Handler) {
			h.OnAddExternalContact(func(ctx context.Context, _ *callback.ExternalContactEvent) error {
				d, _ := callback.DeliveryFromContext(ctx)
				mu.Lock()
				defer mu.Unlock()
				attempts = append(attempts, d.Attempt)
				if len(attempts) < 3 {
					return errors.New("database down")
				}
				return nil
			})
		})
		_, err := in.p.Push(t.Context(), addEvent("wmRetry"))
		require.NoError(t, err)
		eventually(t, "third run succeeded and was acknowledged", func() bool { return stats(t, in.queue) == QueueStats{} })
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, []int{1, 2, 3}, attempts)
	})
}

// A handler that always fails ends in the dead letters after MaxAttempts
// runs; the application lists, opens and replays it.
func TestQueueDeadLettersAndReplay(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var fixed atomic.Bool
		var runs, ok atomic.Int32
		var hooks atomic.Int32
		s := open(t, b, prefix, WithEncryptionKey(testKey(9)), WithLogger(quiet))
		q, err := s.NewQueue(fastQueue("dead")...)
		require.NoError(t, err)
		h := newTestHandler(t, callback.WithDedupStore(s, time.Minute), callback.WithQueue(q),
			callback.WithErrorHook(func(context.Context, callback.Event, error) { hooks.Add(1) }))
		h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
			runs.Add(1)
			if !fixed.Load() {
				return errors.New("bug in handler")
			}
			ok.Add(1)
			return nil
		})
		p := servePusher(t, h)
		_, err = p.Push(t.Context(), addEvent("wmDead"))
		require.NoError(t, err)
		eventually(t, "a dead letter", func() bool { return stats(t, q).DeadLetters == 1 })
		assert.Equal(t, int32(3), runs.Load())
		assert.Equal(t, int32(3), hooks.Load())
		assert.Equal(t, QueueStats{DeadLetters: 1}, stats(t, q))

		dls, err := q.ListDeadLetters(t.Context(), "", 10)
		require.NoError(t, err)
		require.Len(t, dls, 1)
		dl := dls[0]
		assert.Equal(t, 3, dl.Attempts)
		assert.Contains(t, dl.Err, "bug in handler")
		assert.False(t, dl.ReceivedAt.IsZero())
		assert.False(t, dl.FailedAt.Before(dl.ReceivedAt))
		ev, err := h.OpenDelivery(&dl.Delivery)
		require.NoError(t, err)
		assert.Equal(t, "wmDead", ev.(*callback.ExternalContactEvent).ExternalUserID)
		more, err := q.ListDeadLetters(t.Context(), dl.ID, 10)
		require.NoError(t, err)
		assert.Empty(t, more)

		// a re-send of the push is still not queued again (its claim is kept)
		_, err = p.Push(t.Context(), addEvent("wmDead"))
		require.NoError(t, err)
		assert.Equal(t, int64(0), stats(t, q).Queued)

		fixed.Store(true)
		_, err = q.Replay(t.Context(), dl.ID)
		require.NoError(t, err)
		eventually(t, "replayed push handled", func() bool { return ok.Load() == 1 })
		eventually(t, "queue empty", func() bool { return stats(t, q) == QueueStats{} })
		_, err = q.Replay(t.Context(), dl.ID)
		require.ErrorIs(t, err, ErrNoDeadLetter)
		require.ErrorIs(t, q.DeleteDeadLetter(t.Context(), dl.ID), ErrNoDeadLetter)
	})
}

// A stored push that can no longer be opened is parked at once.
func TestUndeliverablePushIsParkedAtOnce(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var runs atomic.Int32
		in := newInstance(t, b, prefix, fastQueue("undeliverable"), func(h *callback.Handler) {
			h.OnDefault(func(context.Context, callback.Event) error { runs.Add(1); return nil })
		})
		require.NoError(t, in.queue.Enqueue(t.Context(), &callback.Delivery{MsgSignature: "00", Timestamp: "1", Nonce: "n", Encrypt: "garbage"}))
		eventually(t, "parked", func() bool { return stats(t, in.queue).DeadLetters == 1 })
		dls, err := in.queue.ListDeadLetters(t.Context(), "", 0)
		require.NoError(t, err)
		require.Len(t, dls, 1)
		assert.Equal(t, 1, dls[0].Attempts)
		assert.Contains(t, dls[0].Err, "cannot be opened")
		require.NoError(t, in.queue.DeleteDeadLetter(t.Context(), dls[0].ID))
		assert.Equal(t, QueueStats{}, stats(t, in.queue))
		assert.Zero(t, runs.Load())
	})
}

// An instance killed while a handler runs (its Redis connection gone, so it
// neither acknowledges nor renews its claim) does not lose the push: another
// instance claims it after the visibility timeout and completes it.
func TestKilledInstanceDoesNotLoseThePush(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		started := make(chan struct{}, 1)
		release := make(chan struct{})
		var completedOnB atomic.Int32
		a := newInstance(t, b, prefix, fastQueue("crash"), func(h *callback.Handler) {
			h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
				started <- struct{}{}
				<-release // the process dies here
				return errors.New("killed")
			})
		})
		t.Cleanup(func() { close(release) }) // before A's Close (cleanups run last-in first-out)
		_, err := a.p.Push(context.Background(), addEvent("wmCrash"))
		require.NoError(t, err)
		<-started
		// kill A: its Redis connection goes, its workers stop without an ACK
		require.NoError(t, a.store.rdb.Close())

		c := newInstance(t, b, prefix, fastQueue("crash"), func(h *callback.Handler) {
			h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
				d, _ := callback.DeliveryFromContext(ctx)
				assert.Equal(t, 2, d.Attempt, "the run cut short counts")
				assert.Equal(t, "wmCrash", ev.ExternalUserID)
				completedOnB.Add(1)
				return nil
			})
		})
		eventually(t, "B completed the push", func() bool { return completedOnB.Load() == 1 })
		eventually(t, "queue empty", func() bool { return stats(t, c.queue) == QueueStats{} })
	})
}

// Beyond WithMaxLen the Handler answers 503 so WeCom re-sends later.
func TestQueueFullAnswers503(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		s := open(t, b, prefix)
		q, err := s.NewQueue(fastQueue("full", WithMaxLen(1))...)
		require.NoError(t, err)
		h := newTestHandler(t, callback.WithDedupStore(s, time.Minute), callback.WithQueue(&unstarted{q}))
		p := servePusher(t, h)
		res, err := p.Push(t.Context(), addEvent("wmFull1"))
		require.NoError(t, err)
		require.Equal(t, "success", res.Body())
		res, _ = p.Push(t.Context(), addEvent("wmFull2"))
		require.Equal(t, http.StatusServiceUnavailable, res.Status())
		require.ErrorIs(t, q.Enqueue(t.Context(), &callback.Delivery{}), callback.ErrQueueFull)
	})
}

func TestQueueOptionAndLifecycle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, testPrefix(t, b))
		for name, bad := range map[string]QueueOption{
			"WithWorkers": WithWorkers(0), "WithMaxAttempts": WithMaxAttempts(-2), "WithBackoff": WithBackoff(-1),
			"WithVisibilityTimeout": WithVisibilityTimeout(time.Millisecond), "WithPollInterval": WithPollInterval(0),
			"WithMaxLen": WithMaxLen(-1), "WithDeadLetterMaxLen": WithDeadLetterMaxLen(-1),
			"WithName": WithName(""), "WithGroup": WithGroup(""),
		} {
			_, err := s.NewQueue(WithName("ok"), bad)
			require.ErrorContains(t, err, name)
		}
		// Every invalid setting is named at once.
		_, err := s.NewQueue(WithWorkers(-1), WithMaxAttempts(0))
		require.ErrorContains(t, err, "WithWorkers(-1)")
		require.ErrorContains(t, err, "WithMaxAttempts(0)")

		q, err := s.NewQueue(nil)
		require.NoError(t, err)
		assert.Equal(t, DefaultQueueName, q.Name())
		assert.Equal(t, DefaultQueueGroup, q.o.group)
		assert.Equal(t, DefaultQueueWorkers, q.o.workers)
		assert.Equal(t, DefaultMaxAttempts, q.o.maxAttempts)
		assert.Equal(t, DefaultBackoff, q.o.backoff)
		assert.Equal(t, DefaultVisibilityTimeout, q.o.visibilityTimeout)
		assert.Equal(t, DefaultPollInterval, q.o.pollInterval)
		assert.Equal(t, int64(DefaultQueueMaxLen), q.o.maxLen)
		assert.NotEmpty(t, q.Consumer())
		assert.Equal(t, s.Prefix()+"queue:{callback}", q.stream)

		named, err := s.NewQueue(WithName("orders"), WithGroup("g"), WithConsumer("instance-1"), WithMaxLen(0))
		require.NoError(t, err)
		assert.Equal(t, "orders", named.Name())
		assert.Equal(t, "instance-1", named.Consumer())
		assert.Equal(t, "g", named.o.group)
		assert.Zero(t, named.o.maxLen, "0: no bound")
		assert.Equal(t, s.Prefix()+"queue:{orders}", named.stream)

		q2, err := s.NewQueue(fastQueue("life")...)
		require.NoError(t, err)
		require.Error(t, q2.Start(nil))
		run := func(context.Context, *callback.Delivery) error { return nil }
		require.NoError(t, q2.Start(run))
		require.Error(t, q2.Start(run), "a queue serves one Handler")
		require.NoError(t, q2.Close(t.Context()))
		require.NoError(t, q2.Close(t.Context()), "Close twice")
		require.ErrorIs(t, q2.Enqueue(t.Context(), &callback.Delivery{}), callback.ErrClosed)
		// the consumer left the group
		cons, err := s.rdb.XInfoConsumers(t.Context(), q2.stream, q2.o.group).Result()
		require.NoError(t, err)
		assert.Empty(t, cons)

		q3, err := s.NewQueue(fastQueue("never")...)
		require.NoError(t, err)
		require.NoError(t, q3.Close(t.Context()), "closing an unstarted queue")
		require.ErrorIs(t, q3.Start(run), callback.ErrClosed)
	})
}

func TestBackoffDoublesUpToTheVisibilityTimeout(t *testing.T) {
	t.Parallel()
	q := &Queue{o: queueConfig{backoff: time.Second, visibilityTimeout: 5 * time.Second}}
	var got []time.Duration
	for a := 1; a <= 5; a++ {
		got = append(got, q.backoff(a))
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}, got)
}

// A stream deleted under running workers (a FLUSHALL, say) is re-created
// with its group, and pushes flow again.
func TestQueueSurvivesALostStream(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := testPrefix(t, b)
		var runs atomic.Int32
		in := newInstance(t, b, prefix, fastQueue("lost"), func(h *callback.Handler) {
			h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { runs.Add(1); return nil })
		})
		require.NoError(t, in.store.rdb.Del(t.Context(), in.queue.stream).Err())
		time.Sleep(50 * time.Millisecond) // let a read fail on the missing group
		_, err := in.p.Push(t.Context(), addEvent("wmLost"))
		require.NoError(t, err)
		eventually(t, "handled after the stream came back", func() bool { return runs.Load() == 1 })
	})
}
