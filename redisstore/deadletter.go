package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/dedupkey"
)

// DeadLetter is a push whose handlers kept failing (or that could no
// longer be opened), parked in the dead-letter stream. Delivery holds the
// push still encrypted: Handler.OpenDelivery decrypts and parses it.
type DeadLetter struct {
	ID         string // id in the dead-letter stream; give it to Replay
	Delivery   callback.Delivery
	ReceivedAt time.Time // when the Handler queued it
	FailedAt   time.Time // when it was parked
	Attempts   int       // runs made
	// Err is the text of the last error (at most 1 KiB), as the handler
	// returned it: keep customer data out of handler errors.
	Err string
}

// ErrNoDeadLetter is returned by Replay and DeleteDeadLetter for an id
// that is not in the dead-letter stream.
var ErrNoDeadLetter = errors.New("redisstore: no such dead letter")

// ListDeadLetters returns up to n dead letters (n <= 0: 100), oldest
// first, starting after the id after ("" from the first).
func (q *Queue) ListDeadLetters(ctx context.Context, after string, n int) ([]DeadLetter, error) {
	if n <= 0 {
		n = 100
	}
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := q.s.rdb.XRangeN(ctx, q.dead, start, "+", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: listing dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, deadLetter(m))
	}
	return out, nil
}

// DeadLetter returns the dead letter id, or an error matching
// ErrNoDeadLetter.
func (q *Queue) DeadLetter(ctx context.Context, id string) (*DeadLetter, error) {
	msgs, err := q.s.rdb.XRangeN(ctx, q.dead, id, id, 1).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: reading dead letter %s: %w", id, err)
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoDeadLetter, id)
	}
	dl := deadLetter(msgs[0])
	return &dl, nil
}

func deadLetter(m redis.XMessage) DeadLetter {
	f := func(k string) string { s, _ := m.Values[k].(string); return s }
	att, _ := strconv.Atoi(f(fAttempts))
	return DeadLetter{
		ID: m.ID,
		Delivery: callback.Delivery{MsgSignature: f(fSig), Timestamp: f(fTS), Nonce: f(fNonce), Encrypt: f(fEnc),
			Attempt: att, DedupKey: f(fKey)},
		ReceivedAt: parseMillis(f(fAt)),
		FailedAt:   parseMillis(f(fFailed)),
		Attempts:   att,
		Err:        f(fErr),
	}
}

// replayScript moves a dead letter back to the stream as a new push, whose
// runs continue its count (base: the runs it had), and points the push's
// claim at it.
// KEYS[1] stream, KEYS[2] dead letters, KEYS[3] the claim (optional);
// ARGV[1] the dead letter's id, ARGV[2] the claim's lifetime, ms, unless
// the dead letter has its own.
var replayScript = redis.NewScript(`
local e = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #e == 0 then return false end
local f = e[1][2]
local keep = {}
local base = '0'
local ttl = ARGV[2]
for i = 1, #f, 2 do
  local k = f[i]
  if k == 'sig' or k == 'ts' or k == 'nonce' or k == 'enc' or k == 'at' or k == 'key' or k == 'ttl' then
    keep[#keep + 1] = k
    keep[#keep + 1] = f[i + 1]
    if k == 'ttl' and tonumber(f[i + 1]) then ttl = f[i + 1] end
  elseif k == 'attempts' then
    base = f[i + 1]
  end
end
keep[#keep + 1] = 'base'
keep[#keep + 1] = base
local id = redis.call('XADD', KEYS[1], '*', unpack(keep))
redis.call('XDEL', KEYS[2], ARGV[1])
if KEYS[3] and redis.call('GET', KEYS[3]) ~= '` + dedupkey.Done + `' then
  redis.call('SET', KEYS[3], '` + dedupkey.Queued + `' .. id, 'PX', ttl)
end
return id`)

// Replay sends the dead letter id back to the queue, with all its attempts
// (WithMaxAttempts) to run again, and returns its new id in the stream. Its
// runs go on counting (Delivery.Attempt), and only the handler functions
// that have not succeeded for it run, while the record of those lives (the
// de-dup lifetime). Fix what made it fail first.
func (q *Queue) Replay(ctx context.Context, id string) (string, error) {
	dl, err := q.DeadLetter(ctx, id)
	if err != nil {
		return "", err
	}
	keys := []string{q.stream, q.dead}
	if k := q.claimKey(dl.Delivery.DedupKey); k != "" {
		keys = append(keys, k)
	}
	ttl := callback.DefaultDedupTTL.Milliseconds()
	newID, err := replayScript.Run(ctx, q.s.rdb, keys, id, ttl).Text()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("%w: %s", ErrNoDeadLetter, id)
	}
	if err != nil {
		return "", fmt.Errorf("redisstore: replaying dead letter %s: %w", id, err)
	}
	return newID, nil
}

// DeleteDeadLetter drops the dead letter id for good.
func (q *Queue) DeleteDeadLetter(ctx context.Context, id string) error {
	n, err := q.s.rdb.XDel(ctx, q.dead, id).Result()
	if err != nil {
		return fmt.Errorf("redisstore: deleting dead letter %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", ErrNoDeadLetter, id)
	}
	return nil
}

// QueueStats counts a queue's pushes.
type QueueStats struct {
	Queued      int64 // in the stream: waiting, running or waiting for a retry
	Pending     int64 // taken by a worker and not acknowledged (running or waiting for a retry)
	DeadLetters int64
}

// Stats counts the queue's pushes across every instance.
func (q *Queue) Stats(ctx context.Context) (QueueStats, error) {
	var st QueueStats
	pipe := q.s.rdb.Pipeline()
	xl := pipe.XLen(ctx, q.stream)
	dl := pipe.XLen(ctx, q.dead)
	pe := pipe.XPending(ctx, q.stream, q.o.group)
	_, err := pipe.Exec(ctx)
	if err != nil && !isNoGroup(err) && !errors.Is(err, redis.Nil) {
		return st, fmt.Errorf("redisstore: queue stats: %w", err)
	}
	st.Queued, st.DeadLetters = xl.Val(), dl.Val()
	if p := pe.Val(); p != nil {
		st.Pending = p.Count
	}
	return st, nil
}
