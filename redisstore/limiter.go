package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/wecom"
)

// Limiter is a wecom.Limiter shared by every instance using the same Redis
// and prefix: WeCom counts calls per corp and per API across all of a
// caller's servers, and so does this limiter.
//
// It has the semantics of wecom.MemoryLimiter: for each corp and API path,
// one token bucket per limit (per minute, per hour) that never lets more
// than the limit through in any window of that length (a burst of a tenth
// of the limit, the rest spread evenly over the window). The buckets are
// kept as GCRA "theoretical arrival times" in one Redis hash per corp and
// path, updated by one atomic script per call, with Redis's clock; a call
// that must wait reserves its slot, so waiting callers on every instance
// go out in order. A hash expires once its buckets are full again, so
// idle corps and paths cost no memory.
//
// Every instance must be given the same limits. When Redis fails, Wait
// falls back to an in-process MemoryLimiter with the same limits (and logs
// a warning at most once a minute): calls go on, each instance within the
// full budget, rather than all failing. While Redis fails, the limiter
// asks it again once a second (one call probes), so that calls do not
// each pay for a failing round trip.
type Limiter struct {
	s         *Store
	def       wecom.Limit
	overrides map[string]wecom.Limit
	minute    time.Duration // the windows of PerMinute and PerHour (tests shrink them)
	hour      time.Duration
	fallback  *wecom.MemoryLimiter

	mu       sync.Mutex
	lastWarn time.Time
}

var _ wecom.Limiter = (*Limiter)(nil)

// NewLimiter returns a Limiter with def as the limit of every API path
// (wecom.DefaultLimit(): 10,000 a minute and 150,000 an hour per corp) except
// those in overrides (keyed by path, e.g.
// "/cgi-bin/externalcontact/add_moment_task"). Give it to every client with
// wecom.WithLimiter; a Suite shares its limiter with its corps.
func (s *Store) NewLimiter(def wecom.Limit, overrides map[string]wecom.Limit) *Limiter {
	o := make(map[string]wecom.Limit, len(overrides))
	for p, l := range overrides {
		o[normalizePath(p)] = l
	}
	return &Limiter{s: s, def: def, overrides: o, minute: time.Minute, hour: time.Hour,
		fallback: wecom.NewMemoryLimiter(def, overrides)}
}

// normalizePath turns "externalcontact/list", "cgi-bin/externalcontact/list"
// and "/cgi-bin/externalcontact/list?x=1" into "/cgi-bin/externalcontact/list",
// as the wecom client does before calling Wait.
func normalizePath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimLeft(p, "/")
	if !strings.HasPrefix(p, "cgi-bin/") {
		p = "cgi-bin/" + p
	}
	return "/" + p
}

// gcraScript takes one call from every bucket of a corp and path, or
// reports how long to wait. Times are in microseconds of Redis's clock.
//
// KEYS[1]: the hash of the buckets (field i: bucket i's theoretical
// arrival time). ARGV[1]: the longest wait the caller accepts (-1: any);
// ARGV[2]: the number of buckets; then per bucket its emission interval
// (window / rate) and its burst.
//
// Returns {0, wait}: reserved, go out after wait; {1, wait}: not reserved,
// the wait would be longer than the caller accepts.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local maxwait = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local wait = 0
local fields = {}
for i = 1, n do fields[i] = tostring(i) end
local cur = redis.call('HMGET', KEYS[1], unpack(fields))
local tats = {}
local set = {}
local last = now
for i = 1, n do
  local T = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local tat = tonumber(cur[i] or '0') or 0
  if tat < now then tat = now end
  local new = tat + T
  local w = new - burst * T - now
  if w > wait then wait = w end
  tats[i] = new
  if new > last then last = new end
end
if maxwait >= 0 and wait > maxwait then
  return {1, math.ceil(wait)}
end
for i = 1, n do
  set[2 * i - 1] = fields[i]
  set[2 * i] = string.format('%.0f', tats[i])
end
redis.call('HSET', KEYS[1], unpack(set))
redis.call('PEXPIRE', KEYS[1], math.ceil((last - now) / 1000) + 1000)
return {0, math.ceil(wait)}`)

// rule is one token bucket: interval between calls (µs) and burst.
type rule struct {
	interval float64
	burst    int
}

// bucketRule mirrors wecom's in-memory bucket: never more than n calls in
// any window w: a burst of n/10 (at least 1), the rest spread over w.
func bucketRule(n int, w time.Duration) (rule, bool) {
	if n <= 0 {
		return rule{}, false
	}
	burst := max(n/10, 1)
	per := float64(n-burst) / w.Seconds()
	if per <= 0 {
		per = 1 / w.Seconds()
	}
	return rule{interval: 1e6 / per, burst: burst}, true
}

func (l *Limiter) rules(path string) []rule {
	lim, ok := l.overrides[path]
	if !ok {
		lim = l.def
	}
	var rs []rule
	if r, ok := bucketRule(lim.PerMinute, l.minute); ok {
		rs = append(rs, r)
	}
	if r, ok := bucketRule(lim.PerHour, l.hour); ok {
		rs = append(rs, r)
	}
	return rs
}

// Wait implements wecom.Limiter: it blocks until one call to path for
// corpID may go out, or ctx ends. When the wait would outlast ctx's
// deadline it returns a *wecom.RateLimitError at once, without taking a
// slot, as wecom.MemoryLimiter does. A wait cut short by ctx otherwise
// returns ctx.Err() and leaves its slot taken: the shared budget errs on
// the safe side.
func (l *Limiter) Wait(ctx context.Context, corpID, path string) error {
	path = normalizePath(path)
	rs := l.rules(path)
	if len(rs) == 0 {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !l.s.tryRedis() {
		return l.fallback.Wait(ctx, corpID, path)
	}
	maxWait := int64(-1)
	if dl, ok := ctx.Deadline(); ok {
		maxWait = max(time.Until(dl).Microseconds(), 0)
	}
	args := make([]any, 0, 2+2*len(rs))
	args = append(args, maxWait, len(rs))
	for _, r := range rs {
		args = append(args, strconv.FormatFloat(r.interval, 'f', 3, 64), r.burst)
	}
	res, err := gcraScript.Run(ctx, l.s.rdb, []string{l.s.key("limit:" + corpID + ":" + path)}, args...).Int64Slice()
	if err != nil || len(res) != 2 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			err = fmt.Errorf("unexpected answer %v", res)
		} else {
			l.s.redisFailed()
		}
		l.warn(ctx, corpID, path, err)
		return l.fallback.Wait(ctx, corpID, path)
	}
	l.s.redisAnswered()
	wait := time.Duration(res[1]) * time.Microsecond
	if res[0] == 1 {
		return &wecom.RateLimitError{Path: path, Wait: wait}
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (l *Limiter) warn(ctx context.Context, corpID, path string, err error) {
	l.mu.Lock()
	now := time.Now()
	quiet := now.Sub(l.lastWarn) < time.Minute
	if !quiet {
		l.lastWarn = now
	}
	l.mu.Unlock()
	if !quiet {
		l.s.logger.WarnContext(ctx, "redisstore: shared limiter unavailable; limiting this instance alone until Redis answers",
			"corp", corpID, "path", path, "err", err)
	}
}
