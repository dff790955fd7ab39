package redisstore

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/callback"
)

// QueueOptions configures a Queue. Zero fields take the defaults.
type QueueOptions struct {
	// Name of the queue (default "callback"); give each callback URL's
	// Handler its own. The stream is <prefix>queue:{<name>} and the dead
	// letters <prefix>queue:{<name>}:dead (one hash slot on a cluster).
	Name string
	// Group is the consumer group every instance reads through (default
	// "handlers").
	Group string
	// Consumer names this instance in the group (default: host name,
	// process id and a random suffix). Names must differ between
	// instances.
	Consumer string
	// Workers is how many pushes this instance runs at once (default 4).
	Workers int
	// MaxAttempts is how many times a push's handlers run before it is
	// moved to the dead letters (default 5). Runs cut short by a crashed
	// or stalled instance count too.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled for each
	// further one and capped at VisibilityTimeout (default 1 s).
	Backoff time.Duration
	// VisibilityTimeout is how long a push taken by an instance that stops
	// answering stays with it before another instance claims it (default
	// 1 min). A running handler keeps its push by renewing the claim every
	// third of it, so it may run longer.
	VisibilityTimeout time.Duration
	// PollInterval bounds how long a read waits for new pushes and how
	// often pushes due for a retry or left by a crashed instance are
	// looked for (default 1 s).
	PollInterval time.Duration
	// MaxLen bounds the pushes waiting or running (default 100,000):
	// beyond it Enqueue fails with callback.ErrQueueFull and the Handler
	// answers 503, so that WeCom re-sends later.
	MaxLen int64
	// DeadLetterMaxLen bounds the dead-letter stream, dropping the oldest
	// beyond it (approximately; default 0: no bound).
	DeadLetterMaxLen int64
}

// Queue defaults.
const (
	DefaultQueueName         = "callback"
	DefaultQueueGroup        = "handlers"
	DefaultQueueWorkers      = 4
	DefaultMaxAttempts       = 5
	DefaultBackoff           = time.Second
	DefaultVisibilityTimeout = time.Minute
	DefaultPollInterval      = time.Second
	DefaultQueueMaxLen       = 100_000
)

// maxErrLen bounds the error text kept with a dead letter.
const maxErrLen = 1024

// Stream fields. A push is kept as WeCom sent it (still encrypted).
const (
	fSig      = "sig"
	fTS       = "ts"
	fNonce    = "nonce"
	fEnc      = "enc"
	fAt       = "at"       // received, Unix ms
	fAttempts = "attempts" // dead letters: runs made
	fErr      = "err"      // dead letters: the last error
	fFailed   = "failed"   // dead letters: Unix ms
	fSource   = "source"   // dead letters: the stream entry id it had
)

// Queue is a callback.Queue on a Redis stream, shared by every instance
// whose Handler uses a Queue of the same name: give it to
// callback.WithQueue.
//
// Enqueue appends the push as WeCom sent it (signature, timestamp, nonce
// and the encrypted body; no plaintext is stored) before the Handler
// answers "success". Workers on every instance read pushes through one
// consumer group, run their handlers and acknowledge (and delete) a push
// when they succeed. A failed run is retried after Backoff, doubled each
// time, by whichever instance claims it first; after MaxAttempts runs, or
// at once for a push that can no longer be opened (callback.ErrUndeliverable),
// it moves to the dead-letter stream, which ListDeadLetters lists and
// Replay sends back. A push taken by an instance that crashed is claimed
// (XAUTOCLAIM) by another after VisibilityTimeout. Together with the
// Handler's de-duplication (give it the same Store with
// callback.WithDedupStore) each push's handlers complete once; handlers
// should still be idempotent, since an instance can crash after its
// handlers succeeded and before it acknowledged.
type Queue struct {
	s          *Store
	o          QueueOptions
	stream     string
	dead       string
	claimEvery time.Duration

	mu      sync.Mutex
	run     func(context.Context, *callback.Delivery) error
	started bool
	closing bool
	stop    chan struct{} // closed by Close
	fetched chan struct{} // closed when the fetch loop returned
	wg      sync.WaitGroup
}

var _ callback.Queue = (*Queue)(nil)

// NewQueue returns a durable callback queue on the store's Redis. It
// starts nothing: the Handler given it (callback.WithQueue) starts its
// workers and Handler.Close stops them.
func (s *Store) NewQueue(o QueueOptions) (*Queue, error) {
	if o.Name == "" {
		o.Name = DefaultQueueName
	}
	if o.Group == "" {
		o.Group = DefaultQueueGroup
	}
	if o.Consumer == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = crand.Read(b[:])
		o.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if o.Workers == 0 {
		o.Workers = DefaultQueueWorkers
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.VisibilityTimeout == 0 {
		o.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MaxLen == 0 {
		o.MaxLen = DefaultQueueMaxLen
	}
	switch {
	case o.Workers < 1, o.MaxAttempts < 1, o.Backoff < 0, o.MaxLen < 0, o.DeadLetterMaxLen < 0:
		return nil, fmt.Errorf("redisstore: QueueOptions %+v: Workers and MaxAttempts must be positive, Backoff, MaxLen and DeadLetterMaxLen not negative", o)
	case o.VisibilityTimeout < 10*time.Millisecond || o.PollInterval < time.Millisecond:
		return nil, fmt.Errorf("redisstore: QueueOptions: VisibilityTimeout %v (at least 10ms) or PollInterval %v (at least 1ms) too short", o.VisibilityTimeout, o.PollInterval)
	}
	base := s.key("queue:{" + o.Name + "}")
	return &Queue{s: s, o: o, stream: base, dead: base + ":dead",
		claimEvery: min(o.PollInterval, o.VisibilityTimeout/4),
		stop:       make(chan struct{}), fetched: make(chan struct{})}, nil
}

// Options returns the queue's settings, defaults filled in.
func (q *Queue) Options() QueueOptions { return q.o }

// enqueueScript appends a push unless MaxLen pushes are waiting or running.
// KEYS[1] stream; ARGV[1] MaxLen (0: none); ARGV[2...] fields and values.
var enqueueScript = redis.NewScript(`
local maxlen = tonumber(ARGV[1])
if maxlen > 0 and redis.call('XLEN', KEYS[1]) >= maxlen then
  return false
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))`)

// Enqueue implements callback.Queue: the push is in Redis when it returns nil.
func (q *Queue) Enqueue(ctx context.Context, d *callback.Delivery) error {
	if d == nil {
		return errors.New("redisstore: nil delivery")
	}
	q.mu.Lock()
	closing := q.closing
	q.mu.Unlock()
	if closing {
		return callback.ErrClosed
	}
	err := enqueueScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.MaxLen,
		fSig, d.MsgSignature, fTS, d.Timestamp, fNonce, d.Nonce, fEnc, d.Encrypt,
		fAt, time.Now().UnixMilli()).Err()
	if errors.Is(err, redis.Nil) {
		return callback.ErrQueueFull
	}
	if err != nil {
		return fmt.Errorf("redisstore: enqueue: %w", err)
	}
	return nil
}

// Start implements callback.Queue: it creates the consumer group if needed
// and starts this instance's workers.
func (q *Queue) Start(run func(context.Context, *callback.Delivery) error) error {
	if run == nil {
		return errors.New("redisstore: queue started without a run function")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("redisstore: queue started twice; give each Handler a Queue of its own")
	}
	if q.closing {
		return callback.ErrClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.ensureGroup(ctx); err != nil {
		return err
	}
	q.run, q.started = run, true
	go q.fetchLoop()
	return nil
}

func (q *Queue) ensureGroup(ctx context.Context) error {
	err := q.s.rdb.XGroupCreateMkStream(ctx, q.stream, q.o.Group, "0").Err()
	if err != nil && !isBusyGroup(err) {
		return fmt.Errorf("redisstore: creating consumer group %s on %s: %w", q.o.Group, q.stream, err)
	}
	return nil
}

func isBusyGroup(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP")
}

// Close implements callback.Queue: it stops reading (within PollInterval)
// and waits for the handlers running here. Pushes still in Redis stay
// there for the other instances (or this one's next start).
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closing {
		q.closing = true
		close(q.stop)
		if !q.started {
			close(q.fetched)
		}
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		<-q.fetched
		q.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	q.forgetConsumer(ctx)
	return nil
}

// forgetConsumer removes this instance's name from the group once it holds
// no push, so that names of past processes do not pile up.
func (q *Queue) forgetConsumer(ctx context.Context) {
	q.mu.Lock()
	started := q.started
	q.mu.Unlock()
	if !started {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := delConsumerScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.Group, q.o.Consumer).Result(); err != nil && !errors.Is(err, redis.Nil) {
		q.s.logger.DebugContext(ctx, "redisstore: removing the queue consumer failed", "consumer", q.o.Consumer, "err", err)
	}
}

// delConsumerScript deletes a consumer that has nothing pending.
// KEYS[1] stream; ARGV group, consumer.
var delConsumerScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1`)

func (q *Queue) stopping() bool {
	select {
	case <-q.stop:
		return true
	default:
		return false
	}
}

// sleep waits d or until Close; false when closing.
func (q *Queue) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-q.stop:
		return false
	case <-t.C:
		return true
	}
}
