package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/dedupkey"
)

// entry is one push read from the stream, with the run it is on.
type entry struct {
	id     string
	fields map[string]string
	// deliveries counts this entry's runs, this one included (the
	// consumer group's delivery count); WithMaxAttempts bounds it.
	deliveries int
	// attempt numbers the push's runs, this one included: deliveries plus
	// the runs made before the entry was stored (a replayed dead letter, a
	// push stored again over an earlier claim).
	attempt int
}

// newEntry reads the run's numbers from the fields.
func newEntry(id string, fields map[string]string, deliveries int) entry {
	base, _ := strconv.Atoi(fields[fBase])
	return entry{id: id, fields: fields, deliveries: deliveries, attempt: max(base, 0) + deliveries}
}

// claimKey is the Redis key of e's de-dup claim ("" when it has none).
func (q *Queue) claimKey(dedupKey string) string {
	if dedupKey == "" {
		return ""
	}
	return q.s.key(q.claims.name(dedupKey))
}

// claimScript claims pushes idle for longer than the visibility timeout
// (left by a crashed instance, or failed ones whose backoff ran out) and
// returns each with its delivery count, which numbers the run.
// KEYS[1] stream; ARGV: group, consumer, min idle ms, start id, count.
// Returns {next start id, {id, {field, value, ...}, deliveries}, ...}.
var claimScript = redis.NewScript(`
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local out = {r[1]}
for _, e in ipairs(r[2]) do
  if type(e) == 'table' and e[1] then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    local n = 1
    if p[1] then n = p[1][4] end
    out[#out + 1] = {e[1], e[2], n}
  end
end
return out`)

// touchScript sets the idle time and delivery count of a push this
// consumer holds: idle 0 renews the claim while a handler runs;
// VisibilityTimeout - backoff makes a failed push claimable after backoff.
// KEYS[1] stream; ARGV: group, consumer, id, idle ms, delivery count.
var touchScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #p == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'RETRYCOUNT', ARGV[5], 'JUSTID')
return 1`)

// ackScript marks handled pushes' de-dup keys done and acknowledges and
// deletes the pushes, each in one step: no crash can leave one without the
// other. Several workers' pushes share one call (batcher).
// KEYS[1] stream, KEYS[2...] the claims; ARGV[1] group, then per push its
// id, the index in KEYS of its claim (0: none) and the done mark's
// lifetime, ms.
var ackScript = redis.NewScript(`
for i = 2, #ARGV, 3 do
  local k = tonumber(ARGV[i + 1])
  if k > 0 then
    redis.call('SET', KEYS[k], '` + dedupkey.Done + `', 'PX', ARGV[i + 2])
  end
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
  redis.call('XDEL', KEYS[1], ARGV[i])
end
return 1`)

// ackCall is one push in an ackScript batch.
type ackCall struct {
	id       string
	claimKey string // "" when it has none
	ttl      int64  // ms
}

// flushAcks marks done and acknowledges a batch of pushes in one script.
func (q *Queue) flushAcks(ctx context.Context, batch []*batchCall[ackCall]) {
	keys := make([]string, 1, 1+len(batch))
	keys[0] = q.stream
	args := make([]any, 1, 1+3*len(batch))
	args[0] = q.o.group
	for _, c := range batch {
		k := 0
		if c.in.claimKey != "" {
			keys = append(keys, c.in.claimKey)
			k = len(keys)
		}
		args = append(args, c.in.id, k, c.in.ttl)
	}
	err := ackScript.Run(ctx, q.s.rdb, keys, args...).Err()
	for _, c := range batch {
		c.err = err
	}
}

// deadScript moves a push this consumer holds to the dead letters; its
// claim then names the dead letter, so that WeCom's re-sends are still
// answered without storing the push again.
// KEYS[1] stream, KEYS[2] dead letters, KEYS[3] the claim (optional);
// ARGV: group, consumer, id, dead-letter max length (0: none), the claim's
// lifetime (ms), then fields and values to add.
var deadScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #p == 0 then return 0 end
local e = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
if #e == 0 then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
  return 0
end
local f = e[1][2]
for i = 6, #ARGV do f[#f + 1] = ARGV[i] end
local maxlen = tonumber(ARGV[4])
local id
if maxlen > 0 then
  id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', unpack(f))
else
  id = redis.call('XADD', KEYS[2], '*', unpack(f))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
if KEYS[3] and redis.call('GET', KEYS[3]) ~= '` + dedupkey.Done + `' then
  redis.call('SET', KEYS[3], '` + dedupkey.Parked + `' .. id, 'PX', ARGV[5])
end
return 1`)

// maxErrWait caps the wait between reads of a queue whose Redis fails.
const maxErrWait = 5 * time.Second

// The retries of a handled push's done mark and acknowledgement while Redis
// fails: from ackRetryMin, doubling, to ackRetryMax, until Redis answers or
// the Queue is closed.
const (
	ackRetryMin = 20 * time.Millisecond
	ackRetryMax = 250 * time.Millisecond
)

// claimGrace is how long an instance that lost Redis waits, once Redis
// answers again, before it claims pushes left idle past the visibility
// timeout: an outage leaves every running push idle, and their own
// instances' acknowledgements and renewals (retried every ackRetryMax at
// most, behind go-redis's pool, which dials a failed server again once a
// second) must land first, or the pushes would run twice.
const claimGrace = 5 * time.Second

// fetchLoop reads pushes while workers are free and runs each on a
// goroutine of its own, at most Workers at a time.
func (q *Queue) fetchLoop() {
	defer close(q.fetched)
	ctx := context.Background()
	slots := make(chan struct{}, q.o.workers)
	cursor := "0-0"
	var lastClaim time.Time
	var healthy time.Time // Redis answers since; zero: it failed last
	healthy = time.Now().Add(-claimGrace)
	errWait := q.o.pollInterval
	for {
		select {
		case slots <- struct{}{}:
		case <-q.stop:
			return
		}
		free := 1
	more:
		for free < q.o.workers {
			select {
			case slots <- struct{}{}:
				free++
			default:
				break more
			}
		}
		var es []entry
		var err error
		if time.Since(lastClaim) >= q.claimEvery && !healthy.IsZero() && time.Since(healthy) >= claimGrace {
			lastClaim = time.Now()
			es, cursor, err = q.claim(ctx, cursor, free)
		}
		if err == nil && len(es) == 0 && !q.stopping() {
			es, err = q.read(ctx, free)
		}
		for range free - len(es) {
			<-slots
		}
		if err != nil {
			if q.stopping() {
				return
			}
			if errors.Is(err, redis.ErrClosed) {
				q.s.logger.Warn("redisstore: queue stops: the Redis client was closed", "queue", q.o.name)
				return
			}
			healthy = time.Time{}
			q.s.logger.Warn("redisstore: reading the queue failed; trying again", "queue", q.o.name, "err", err, "wait", errWait)
			if !q.sleep(errWait) {
				return
			}
			errWait = min(2*errWait, max(maxErrWait, q.o.pollInterval))
			continue
		}
		if healthy.IsZero() {
			healthy = time.Now()
		}
		errWait = q.o.pollInterval
		for _, e := range es {
			q.wg.Add(1)
			go func() {
				defer func() { <-slots }()
				defer q.wg.Done()
				q.process(e)
			}()
		}
	}
}

// claim takes up to n pushes idle past the visibility timeout.
func (q *Queue) claim(ctx context.Context, cursor string, n int) ([]entry, string, error) {
	res, err := claimScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.group, q.o.consumer,
		q.o.visibilityTimeout.Milliseconds(), cursor, n).Slice()
	if err != nil {
		if isNoGroup(err) {
			return nil, "0-0", q.ensureGroup(ctx)
		}
		return nil, cursor, fmt.Errorf("claim: %w", err)
	}
	if len(res) == 0 {
		return nil, "0-0", nil
	}
	next, _ := res[0].(string)
	if next == "" {
		next = "0-0"
	}
	var es []entry
	for _, r := range res[1:] {
		t, ok := r.([]any)
		if !ok || len(t) != 3 {
			continue
		}
		id, _ := t[0].(string)
		fv, _ := t[1].([]any)
		n, _ := t[2].(int64)
		es = append(es, newEntry(id, pairs(fv), int(max(n, 1))))
	}
	return es, next, nil
}

func isNoGroup(err error) bool {
	return err != nil && strings.Contains(err.Error(), "NOGROUP") // inside a script the error may be wrapped
}

func pairs(fv []any) map[string]string {
	m := make(map[string]string, len(fv)/2)
	for i := 0; i+1 < len(fv); i += 2 {
		k, _ := fv[i].(string)
		v, _ := fv[i+1].(string)
		m[k] = v
	}
	return m
}

// read takes up to n new pushes, waiting up to PollInterval for one.
func (q *Queue) read(ctx context.Context, n int) ([]entry, error) {
	res, err := q.s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: q.o.group, Consumer: q.o.consumer, Streams: []string{q.stream, ">"},
		Count: int64(n), Block: q.o.pollInterval,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if isNoGroup(err) {
			return nil, q.ensureGroup(ctx)
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	var es []entry
	for _, st := range res {
		for _, m := range st.Messages {
			f := make(map[string]string, len(m.Values))
			for k, v := range m.Values {
				s, _ := v.(string)
				f[k] = s
			}
			es = append(es, newEntry(m.ID, f, 1))
		}
	}
	return es, nil
}

// process runs one push's handlers and records the outcome.
func (q *Queue) process(e entry) {
	ctx := context.Background()
	if e.deliveries > q.o.maxAttempts {
		q.bury(ctx, e, fmt.Sprintf("redisstore: taken %d times without finishing (instances stopped or stalled while running it)", e.deliveries-1), e.attempt-1)
		return
	}
	q.faultAt(faultRead)
	d := &callback.Delivery{MsgSignature: e.fields[fSig], Timestamp: e.fields[fTS], Nonce: e.fields[fNonce],
		Encrypt: e.fields[fEnc], Attempt: e.attempt, DedupKey: e.fields[fKey]}

	// The heartbeat renews the claim on e while its handlers run and, after
	// a success, until the done mark and acknowledgement landed.
	stopHeartbeat := q.heartbeat(e)
	err := q.safeRun(ctx, d)
	q.faultAt(faultRan)

	switch {
	case err == nil:
		q.ack(e, d.DedupKey)
		stopHeartbeat()
	case errors.Is(err, callback.ErrUndeliverable), e.deliveries >= q.o.maxAttempts:
		stopHeartbeat()
		q.bury(ctx, e, err.Error(), e.attempt)
	default:
		stopHeartbeat()
		wait := q.backoff(e.deliveries)
		idle := q.o.visibilityTimeout - wait
		if terr := touchScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.group, q.o.consumer, e.id,
			idle.Milliseconds(), e.deliveries).Err(); terr != nil {
			q.s.logger.Warn("redisstore: scheduling a retry failed; the push is retried after the visibility timeout",
				"queue", q.o.name, "id", e.id, "attempt", e.attempt, "err", terr)
		}
		q.s.logger.Debug("redisstore: push failed; retrying later", "queue", q.o.name, "id", e.id, "attempt", e.attempt, "wait", wait)
	}
}

func (q *Queue) safeRun(ctx context.Context, d *callback.Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("redisstore: handler run panicked: %v", p)
		}
	}()
	return q.run(ctx, d)
}

// backoff is the wait before the run after attempt, capped at the
// visibility timeout.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.o.backoff
	for i := 1; i < attempt && d < q.o.visibilityTimeout; i++ {
		d *= 2
	}
	return min(d, q.o.visibilityTimeout)
}

// ack marks a handled push's de-dup key done and acknowledges the push.
// While Redis fails it tries again (ackRetryMin to ackRetryMax apart) until
// Redis answers or the Queue is closed: an acknowledgement lost would have
// the push run again on another instance.
func (q *Queue) ack(e entry, dedupKey string) {
	ttl, _ := strconv.ParseInt(e.fields[fTTL], 10, 64)
	if ttl <= 0 {
		ttl = callback.DefaultDedupTTL.Milliseconds()
	}
	a := ackCall{id: e.id, claimKey: q.claimKey(dedupKey), ttl: ttl}
	wait := ackRetryMin
	for tries := 1; ; tries++ {
		err := q.ackBatch.do(&batchCall[ackCall]{in: a})
		if err == nil {
			if tries > 1 {
				q.s.logger.Info("redisstore: a handled push was acknowledged once Redis answered again",
					"queue", q.o.name, "id", e.id, "tries", tries)
			}
			q.faultAt(faultAcked)
			return
		}
		if tries == 1 {
			q.s.logger.Warn("redisstore: acknowledging a handled push failed; trying again until Redis answers",
				"queue", q.o.name, "id", e.id, "err", err)
		}
		if errors.Is(err, redis.ErrClosed) || !q.sleep(wait) {
			q.s.logger.Warn("redisstore: a handled push was not acknowledged (the queue was closed while Redis failed); another instance will run it again",
				"queue", q.o.name, "id", e.id, "err", err)
			return
		}
		wait = min(2*wait, ackRetryMax)
	}
}

// heartbeat renews the claim on e every third of the visibility timeout
// until the returned function is called (which waits for a renewal in
// progress), so that no other instance claims a push whose handlers run.
func (q *Queue) heartbeat(e entry) (stop func()) {
	every := q.o.visibilityTimeout / 3
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	renew := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		n, err := touchScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.group, q.o.consumer, e.id, 0, e.deliveries).Int()
		cancel()
		if err != nil {
			q.s.logger.Warn("redisstore: renewing the claim on a running push failed", "queue", q.o.name, "id", e.id, "err", err)
		} else if n == 0 {
			q.s.logger.Warn("redisstore: a running push was claimed by another instance (handler slower than the visibility timeout while renewals failed?)",
				"queue", q.o.name, "id", e.id)
		}
		t.Reset(every)
	}
	mu.Lock()
	t = time.AfterFunc(every, renew)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}

// bury moves e to the dead letters with the reason.
func (q *Queue) bury(ctx context.Context, e entry, reason string, attempts int) {
	if len(reason) > maxErrLen {
		reason = reason[:maxErrLen]
	}
	keys := []string{q.stream, q.dead}
	if k := q.claimKey(e.fields[fKey]); k != "" {
		keys = append(keys, k)
	}
	ttl, _ := strconv.ParseInt(e.fields[fTTL], 10, 64)
	if ttl <= 0 {
		ttl = callback.DefaultDedupTTL.Milliseconds()
	}
	n, err := deadScript.Run(ctx, q.s.rdb, keys, q.o.group, q.o.consumer, e.id, q.o.deadLetterMaxLen, ttl,
		fAttempts, attempts, fErr, reason, fFailed, time.Now().UnixMilli(), fSource, e.id).Int()
	switch {
	case err != nil:
		q.s.logger.Error("redisstore: moving a push to the dead letters failed; it is retried after the visibility timeout",
			"queue", q.o.name, "id", e.id, "err", err)
	case n == 0:
		q.s.logger.Warn("redisstore: a push to move to the dead letters is held by another instance now", "queue", q.o.name, "id", e.id)
	default:
		q.s.logger.Error("redisstore: push moved to the dead letters", "queue", q.o.name, "id", e.id, "attempts", attempts)
	}
}

// parseMillis reads a Unix-ms field.
func parseMillis(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}
