package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/callback"
)

// entry is one push read from the stream, with the run it is on.
type entry struct {
	id      string
	fields  map[string]string
	attempt int
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

// ackScript acknowledges and deletes a push.
// KEYS[1] stream; ARGV: group, id.
var ackScript = redis.NewScript(`
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`)

// deadScript moves a push this consumer holds to the dead letters.
// KEYS[1] stream, KEYS[2] dead letters; ARGV: group, consumer, id,
// dead-letter max length (0: none), then fields and values to add.
var deadScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #p == 0 then return 0 end
local e = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
if #e == 0 then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
  return 0
end
local f = e[1][2]
for i = 5, #ARGV do f[#f + 1] = ARGV[i] end
local maxlen = tonumber(ARGV[4])
if maxlen > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', unpack(f))
else
  redis.call('XADD', KEYS[2], '*', unpack(f))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1`)

// fetchLoop reads pushes while workers are free and runs each on a
// goroutine of its own, at most Workers at a time.
func (q *Queue) fetchLoop() {
	defer close(q.fetched)
	ctx := context.Background()
	slots := make(chan struct{}, q.o.workers)
	cursor := "0-0"
	var lastClaim time.Time
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
		if time.Since(lastClaim) >= q.claimEvery {
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
			if errors.Is(err, redis.ErrClosed) {
				q.s.logger.Warn("redisstore: queue stops: the Redis client was closed", "queue", q.o.name)
				return
			}
			q.s.logger.Warn("redisstore: reading the queue failed; trying again", "queue", q.o.name, "err", err, "wait", errWait)
			if !q.sleep(errWait) {
				return
			}
			errWait = min(2*errWait, 30*time.Second)
			continue
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
		es = append(es, entry{id: id, fields: pairs(fv), attempt: int(max(n, 1))})
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
			es = append(es, entry{id: m.ID, fields: f, attempt: 1})
		}
	}
	return es, nil
}

// process runs one push's handlers and records the outcome.
func (q *Queue) process(e entry) {
	ctx := context.Background()
	log := q.s.logger.With("queue", q.o.name, "id", e.id, "attempt", e.attempt)
	if e.attempt > q.o.maxAttempts {
		q.bury(ctx, e, fmt.Sprintf("redisstore: taken %d times without finishing (instances stopped or stalled while running it)", e.attempt-1), e.attempt-1)
		return
	}
	d := &callback.Delivery{MsgSignature: e.fields[fSig], Timestamp: e.fields[fTS], Nonce: e.fields[fNonce],
		Encrypt: e.fields[fEnc], Attempt: e.attempt}

	hbStop := make(chan struct{})
	hbDone := make(chan struct{})
	go q.heartbeat(e, hbStop, hbDone)
	err := q.safeRun(ctx, d)
	close(hbStop)
	<-hbDone

	switch {
	case err == nil:
		if aerr := ackScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.group, e.id).Err(); aerr != nil {
			log.Warn("redisstore: acknowledging a handled push failed; another instance may run it again", "err", aerr)
		}
	case errors.Is(err, callback.ErrUndeliverable), e.attempt >= q.o.maxAttempts:
		q.bury(ctx, e, err.Error(), e.attempt)
	default:
		wait := q.backoff(e.attempt)
		idle := q.o.visibilityTimeout - wait
		if terr := touchScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.group, q.o.consumer, e.id,
			idle.Milliseconds(), e.attempt).Err(); terr != nil {
			log.Warn("redisstore: scheduling a retry failed; the push is retried after the visibility timeout", "err", terr)
		}
		log.Debug("redisstore: push failed; retrying later", "wait", wait)
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

// heartbeat renews the claim on e while its handlers run.
func (q *Queue) heartbeat(e entry, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(q.o.visibilityTimeout / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), q.o.visibilityTimeout/3)
			n, err := touchScript.Run(ctx, q.s.rdb, []string{q.stream}, q.o.group, q.o.consumer, e.id, 0, e.attempt).Int()
			cancel()
			if err != nil {
				q.s.logger.Warn("redisstore: renewing the claim on a running push failed", "queue", q.o.name, "id", e.id, "err", err)
			} else if n == 0 {
				q.s.logger.Warn("redisstore: a running push was claimed by another instance (handler slower than the visibility timeout while renewals failed?)",
					"queue", q.o.name, "id", e.id)
			}
		}
	}
}

// bury moves e to the dead letters with the reason.
func (q *Queue) bury(ctx context.Context, e entry, reason string, attempts int) {
	if len(reason) > maxErrLen {
		reason = reason[:maxErrLen]
	}
	n, err := deadScript.Run(ctx, q.s.rdb, []string{q.stream, q.dead}, q.o.group, q.o.consumer, e.id, q.o.deadLetterMaxLen,
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
