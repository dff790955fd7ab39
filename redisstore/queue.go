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
	"github.com/scrmkit/scrm/internal/dedupkey"
	"github.com/scrmkit/scrm/wecom"
)

// QueueOption configures a Queue (NewQueue). Options only record settings;
// NewQueue reports the invalid ones.
type QueueOption func(*queueConfig)

// queueConfig is a Queue's settings, defaults filled in.
type queueConfig struct {
	name              string
	group             string
	consumer          string
	workers           int
	maxAttempts       int
	backoff           time.Duration
	visibilityTimeout time.Duration
	pollInterval      time.Duration
	maxLen            int64
	deadLetterMaxLen  int64
	noWorkers         bool
	// fault, when set (tests only), is called at the named points of a
	// push's way through the queue (see the fault* constants), so that a
	// test can stop the process there.
	fault func(point string)
}

// The points where a test's fault hook is called.
const (
	faultClaim  = "claim"  // a push verified, before its claim+append script
	faultStored = "stored" // the push stored and claimed, before the Handler answers
	faultRead   = "read"   // a push read by a worker, before its handlers run
	faultRan    = "ran"    // its handlers returned, before done+acknowledge
	faultAcked  = "acked"  // acknowledged
)

// withFault calls f at each fault point (tests only).
func withFault(f func(point string)) QueueOption { return func(c *queueConfig) { c.fault = f } }

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

// WithName names the queue (default DefaultQueueName, "callback"); give each
// callback URL's Handler its own. The stream is <prefix>queue:{<name>} and
// the dead letters <prefix>queue:{<name>}:dead (one hash slot on a
// cluster).
func WithName(name string) QueueOption { return func(c *queueConfig) { c.name = name } }

// WithGroup sets the consumer group every instance reads through (default
// DefaultQueueGroup, "handlers").
func WithGroup(group string) QueueOption { return func(c *queueConfig) { c.group = group } }

// WithConsumer names this instance in the group (default: host name,
// process id and a random suffix). Names must differ between instances.
func WithConsumer(consumer string) QueueOption {
	return func(c *queueConfig) { c.consumer = consumer }
}

// WithWorkers sets how many pushes this instance runs at once (default
// DefaultQueueWorkers, 4; at least 1).
func WithWorkers(n int) QueueOption { return func(c *queueConfig) { c.workers = n } }

// WithoutWorkers makes this instance's Queue store pushes and run none: the
// receiving role of a deployment that splits its instances, whose HTTP
// servers only verify, de-duplicate and store pushes, while worker
// processes (a Handler given a Queue with workers, serving no HTTP) run
// them. Stored pushes wait for a worker of any instance.
func WithoutWorkers() QueueOption { return func(c *queueConfig) { c.noWorkers = true } }

// WithMaxAttempts sets how many times a push's handlers run before it is
// moved to the dead letters (default DefaultMaxAttempts, 5; at least 1).
// Runs cut short by a crashed or stalled instance count too.
func WithMaxAttempts(n int) QueueOption { return func(c *queueConfig) { c.maxAttempts = n } }

// WithBackoff sets the wait before the first retry, doubled for each
// further one and capped at the visibility timeout (default DefaultBackoff,
// 1 s; 0 retries at once).
func WithBackoff(d time.Duration) QueueOption { return func(c *queueConfig) { c.backoff = d } }

// WithVisibilityTimeout sets how long a push taken by an instance that stops
// answering stays with it before another instance claims it (default
// DefaultVisibilityTimeout, 1 min; at least 10 ms). A running handler keeps
// its push by renewing the claim every third of it, so it may run longer.
func WithVisibilityTimeout(d time.Duration) QueueOption {
	return func(c *queueConfig) { c.visibilityTimeout = d }
}

// WithPollInterval bounds how long a read waits for new pushes and how often
// pushes due for a retry or left by a crashed instance are looked for
// (default DefaultPollInterval, 1 s; at least 1 ms).
func WithPollInterval(d time.Duration) QueueOption {
	return func(c *queueConfig) { c.pollInterval = d }
}

// WithMaxLen bounds the pushes waiting or running (default
// DefaultQueueMaxLen, 100,000; 0 for no bound): beyond it ClaimAndEnqueue
// and Enqueue fail with callback.ErrQueueFull and the Handler answers 503,
// so that WeCom re-sends later.
func WithMaxLen(n int64) QueueOption { return func(c *queueConfig) { c.maxLen = n } }

// WithDeadLetterMaxLen bounds the dead-letter stream, dropping the oldest
// beyond it (approximately; default 0: no bound).
func WithDeadLetterMaxLen(n int64) QueueOption {
	return func(c *queueConfig) { c.deadLetterMaxLen = n }
}

// maxErrLen bounds the error text kept with a dead letter.
const maxErrLen = 1024

// Stream fields. A push is kept as WeCom sent it (still encrypted).
const (
	fSig      = "sig"
	fTS       = "ts"
	fNonce    = "nonce"
	fEnc      = "enc"
	fAt       = "at"       // received, Unix ms
	fKey      = "key"      // the push's de-dup key as callback names it (Delivery.DedupKey)
	fTTL      = "ttl"      // the de-dup lifetime, ms: how long the done mark lives
	fBase     = "base"     // runs made before this entry was stored (a replay; a push stored again)
	fAttempts = "attempts" // dead letters: runs made
	fErr      = "err"      // dead letters: the last error
	fFailed   = "failed"   // dead letters: Unix ms
	fSource   = "source"   // dead letters: the stream entry id it had
)

// Queue is a callback.Queue on a Redis stream, shared by every instance
// whose Handler uses a Queue of the same name: give it to
// callback.WithQueue. It is a callback.ClaimingQueue: it keeps the
// Handler's de-dup claims itself (DedupStore), so that claiming a push and
// storing it are one Redis script, with nothing between them for a crash
// to split.
//
// ClaimAndEnqueue appends the push as WeCom sent it (signature, timestamp,
// nonce and the encrypted body; no plaintext is stored), with its de-dup
// key, and claims the key in the same script, before the Handler answers
// "success"; a re-send finds the push stored (or handled) and is answered
// "success" without storing it again. Workers on every instance read
// pushes in batches through one consumer group, run their handlers and,
// when they succeed, mark the key done and acknowledge (and delete) the
// push in one script. A failed run is retried after the backoff
// (WithBackoff), doubled each time, by whichever instance claims it first;
// after the last attempt (WithMaxAttempts), or at once for a push that can
// no longer be opened (callback.ErrUndeliverable), it moves to the
// dead-letter stream, which ListDeadLetters lists and Replay sends back. A
// push taken by an instance that crashed is claimed (XAUTOCLAIM) by another
// after the visibility timeout (WithVisibilityTimeout). Together with the
// Handler's de-duplication each push's handlers complete once; handlers
// should still be idempotent, since an instance can crash after its
// handlers succeeded and before it acknowledged (the push then runs again
// on another instance).
//
// Without workers (WithoutWorkers) the Queue only stores: see the package
// doc's "Instance roles".
type Queue struct {
	s          *Store
	o          queueConfig
	stream     string
	dead       string
	claims     *claimStore
	claimEvery time.Duration
	claimBatch batcher[claimCall]
	ackBatch   batcher[ackCall]

	mu      sync.Mutex
	run     func(context.Context, *callback.Delivery) error
	started bool
	closed  bool
	stop    chan struct{} // closed by Close
	fetched chan struct{} // closed when the fetch loop returned
	wg      sync.WaitGroup
}

var _ callback.ClaimingQueue = (*Queue)(nil)

// NewQueue returns a durable callback queue on the store's Redis, with
// the defaults for every setting not given. It reports invalid settings and
// starts nothing: the Handler given it (callback.WithQueue) starts its
// workers and Handler.Close stops them.
func (s *Store) NewQueue(opts ...QueueOption) (*Queue, error) {
	o := queueConfig{
		name: DefaultQueueName, group: DefaultQueueGroup, workers: DefaultQueueWorkers,
		maxAttempts: DefaultMaxAttempts, backoff: DefaultBackoff, visibilityTimeout: DefaultVisibilityTimeout,
		pollInterval: DefaultPollInterval, maxLen: DefaultQueueMaxLen,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.consumer == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = crand.Read(b[:])
		o.consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	var bad []string
	if o.name == "" {
		bad = append(bad, "WithName: empty name")
	}
	if o.group == "" {
		bad = append(bad, "WithGroup: empty group")
	}
	if o.workers < 1 {
		bad = append(bad, fmt.Sprintf("WithWorkers(%d): at least 1", o.workers))
	}
	if o.maxAttempts < 1 {
		bad = append(bad, fmt.Sprintf("WithMaxAttempts(%d): at least 1", o.maxAttempts))
	}
	if o.backoff < 0 {
		bad = append(bad, fmt.Sprintf("WithBackoff(%v): negative", o.backoff))
	}
	if o.visibilityTimeout < 10*time.Millisecond {
		bad = append(bad, fmt.Sprintf("WithVisibilityTimeout(%v): at least 10ms", o.visibilityTimeout))
	}
	if o.pollInterval < time.Millisecond {
		bad = append(bad, fmt.Sprintf("WithPollInterval(%v): at least 1ms", o.pollInterval))
	}
	if o.maxLen < 0 {
		bad = append(bad, fmt.Sprintf("WithMaxLen(%d): negative", o.maxLen))
	}
	if o.deadLetterMaxLen < 0 {
		bad = append(bad, fmt.Sprintf("WithDeadLetterMaxLen(%d): negative", o.deadLetterMaxLen))
	}
	if s.encrypted(dedupkey.Prefix + "{" + o.name + "}:0") {
		bad = append(bad, "WithEncryptedKeys encrypts the callback de-dup keys (scrm:callback:seen:...), which the queue's scripts read: leave them unencrypted")
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("redisstore: NewQueue: %s", strings.Join(bad, "; "))
	}
	base := s.key("queue:{" + o.name + "}")
	q := &Queue{s: s, o: o, stream: base, dead: base + ":dead", claims: &claimStore{s: s, tag: "{" + o.name + "}:"},
		claimEvery: min(o.pollInterval, o.visibilityTimeout/4),
		stop:       make(chan struct{}), fetched: make(chan struct{})}
	q.claimBatch = batcher[claimCall]{max: maxClaimBatch, flush: q.flushClaims}
	q.ackBatch = batcher[ackCall]{max: maxAckBatch, flush: q.flushAcks}
	return q, nil
}

// The most pushes one script claims and stores, or acknowledges.
const (
	maxClaimBatch = 64
	maxAckBatch   = 128
)

// Name returns the queue's name (WithName).
func (q *Queue) Name() string { return q.o.name }

// Consumer returns this instance's name in the consumer group
// (WithConsumer, or the one made up from host, process id and a random
// suffix).
func (q *Queue) Consumer() string { return q.o.consumer }

// enqueueScript appends a push unless MaxLen pushes are waiting or running.
// KEYS[1] stream; ARGV[1] MaxLen (0: none); ARGV[2...] fields and values.
var enqueueScript = redis.NewScript(`
local maxlen = tonumber(ARGV[1])
if maxlen > 0 and redis.call('XLEN', KEYS[1]) >= maxlen then
  return false
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))`)

// claimEnqueueScript claims pushes' de-dup keys and appends the pushes,
// each in one step, unless a push is handled or stored; MaxLen bounds the
// pushes waiting or running. A claim that names no stored push (a delivery
// handled before its answer that did not finish, a release after a
// failure, a stored copy gone) is taken over: the push is stored again,
// counted as run once before (base 1), so that its run reads what
// succeeded before. Several concurrent pushes share one call (batcher).
// KEYS[1] stream, KEYS[2] dead letters, KEYS[3...] the claims, one per
// push; ARGV[1] MaxLen (0: none), ARGV[2] how many fields and values each
// push has (n), then per push its claim's lifetime (ms) and its n fields
// and values. Returns one code per push: 0 full, 1 stored, 2 stored
// before, 3 handled.
var claimEnqueueScript = redis.NewScript(`
local maxlen = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local out = {}
local a = 3
for k = 3, #KEYS do
  local ttl = ARGV[a]
  local first, last = a + 1, a + n
  a = last + 1
  local code = nil
  local again = false
  local v = redis.call('GET', KEYS[k])
  if v then
    if v == '` + dedupkey.Done + `' then code = 3 end
    local id = string.match(v, '^` + dedupkey.Queued + `(.+)$')
    local where = KEYS[1]
    if not id then
      id = string.match(v, '^` + dedupkey.Parked + `(.+)$')
      where = KEYS[2]
    end
    if not code and id then
      local e = redis.pcall('XRANGE', where, id, id)
      if type(e) == 'table' and not e.err and #e > 0 then code = 2 end
    end
    again = true
  end
  if not code and maxlen > 0 and redis.call('XLEN', KEYS[1]) >= maxlen then code = 0 end
  if not code then
    local id
    if again then
      id = redis.call('XADD', KEYS[1], '*', '` + fBase + `', '1', unpack(ARGV, first, last))
    else
      id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, first, last))
    end
    redis.call('SET', KEYS[k], '` + dedupkey.Queued + `' .. id, 'PX', ttl)
    code = 1
  end
  out[#out + 1] = code
end
return out`)

// claimFields is how many fields and values a push has in
// claimEnqueueScript's arguments.
const claimFields = 14

// claimCall is one push in a claimEnqueueScript batch.
type claimCall struct {
	d    *callback.Delivery
	ttl  int64 // ms
	code int64 // the script's answer
}

// flushClaims claims and stores a batch of pushes in one script.
func (q *Queue) flushClaims(ctx context.Context, batch []*batchCall[claimCall]) {
	keys := make([]string, 2, 2+len(batch))
	keys[0], keys[1] = q.stream, q.dead
	args := make([]any, 2, 2+len(batch)*(1+claimFields))
	args[0], args[1] = q.o.maxLen, claimFields
	now := time.Now().UnixMilli()
	for _, c := range batch {
		d := c.in.d
		keys = append(keys, q.claimKey(d.DedupKey))
		args = append(args, c.in.ttl,
			fSig, d.MsgSignature, fTS, d.Timestamp, fNonce, d.Nonce, fEnc, d.Encrypt,
			fAt, now, fKey, d.DedupKey, fTTL, c.in.ttl)
	}
	codes, err := claimEnqueueScript.Run(ctx, q.s.rdb, keys, args...).Int64Slice()
	if err == nil && len(codes) != len(batch) {
		err = fmt.Errorf("unexpected answer %v", codes)
	}
	for i, c := range batch {
		if err != nil {
			c.err = err
			continue
		}
		c.in.code = codes[i]
	}
}

// DedupStore implements callback.ClaimingQueue: the Store the Handler
// keeps its other de-dup records in. It is the queue's Store, with the
// de-dup keys (scrm:callback:seen:<hash>) placed in the queue's hash slot
// (scrm:callback:seen:{<name>}:<hash>), so that the claim and the stream
// are in one slot on Redis Cluster too. A Handler given the Queue uses it
// whatever WithDedupStore says (it keeps that option's lifetime).
func (q *Queue) DedupStore() wecom.Store { return q.claims }

// ClaimAndEnqueue implements callback.ClaimingQueue: one script claims
// d.DedupKey for ttl and appends the push, unless the push is handled
// (callback.ClaimDone) or stored and not yet handled
// (callback.ClaimPending). A push whose claim names nothing stored is
// stored (see callback.ClaimingQueue). When Redis fails nothing is stored
// or claimed, and the error says so: the Handler answers 503 and WeCom
// re-sends the push. A Delivery without DedupKey is enqueued unclaimed.
func (q *Queue) ClaimAndEnqueue(ctx context.Context, d *callback.Delivery, ttl time.Duration) (callback.ClaimResult, error) {
	if d == nil {
		return 0, errors.New("redisstore: nil delivery")
	}
	if d.DedupKey == "" {
		return callback.ClaimStored, q.Enqueue(ctx, d)
	}
	if q.closing() {
		return 0, callback.ErrClosed
	}
	q.faultAt(faultClaim)
	ms := expiry(ttl).Milliseconds()
	if ms <= 0 {
		ms = callback.DefaultDedupTTL.Milliseconds()
	}
	c := &batchCall[claimCall]{in: claimCall{d: d, ttl: ms}}
	if err := q.claimBatch.do(c); err != nil {
		return 0, fmt.Errorf("redisstore: claiming and storing a push: %w", err)
	}
	switch code := c.in.code; code {
	case 0:
		return 0, callback.ErrQueueFull
	case 1:
		q.faultAt(faultStored)
		return callback.ClaimStored, nil
	case 2:
		return callback.ClaimPending, nil
	case 3:
		return callback.ClaimDone, nil
	default:
		return 0, fmt.Errorf("redisstore: claiming and storing a push: unexpected answer %d", code)
	}
}

func (q *Queue) closing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

func (q *Queue) faultAt(point string) {
	if q.o.fault != nil {
		q.o.fault(point)
	}
}

// Enqueue implements callback.Queue: the push is in Redis when it returns
// nil. It claims nothing: a Handler calls ClaimAndEnqueue instead.
func (q *Queue) Enqueue(ctx context.Context, d *callback.Delivery) error {
	if d == nil {
		return errors.New("redisstore: nil delivery")
	}
	if q.closing() {
		return callback.ErrClosed
	}
	err := enqueueScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.maxLen,
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
	if q.closed {
		return callback.ErrClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.ensureGroup(ctx); err != nil {
		return err
	}
	q.run, q.started = run, true
	if q.o.noWorkers {
		close(q.fetched)
		return nil
	}
	go q.fetchLoop()
	return nil
}

func (q *Queue) ensureGroup(ctx context.Context) error {
	err := q.s.rdb.XGroupCreateMkStream(ctx, q.stream, q.o.group, "0").Err()
	if err != nil && !isBusyGroup(err) {
		return fmt.Errorf("redisstore: creating consumer group %s on %s: %w", q.o.group, q.stream, err)
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
	if !q.closed {
		q.closed = true
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
	if !started || q.o.noWorkers {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := delConsumerScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.group, q.o.consumer).Result(); err != nil && !errors.Is(err, redis.Nil) {
		q.s.logger.DebugContext(ctx, "redisstore: removing the queue consumer failed", "consumer", q.o.consumer, "err", err)
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
