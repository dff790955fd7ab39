package wecom

import (
	"context"
	"time"
)

// serialLockTTL bounds how long a serial lock outlives a holder that died.
const serialLockTTL = 2 * time.Minute

// Serial runs fn while holding the lock called name for the client's corp,
// for the calls WeCom documents as serial (仅支持串行调用: creating and
// editing customer and Moments rule groups, say). With a Store that is a
// Locker (the default MemoryStore within a process; redisstore across
// instances) every client of the corp sharing the Store waits its turn, so
// API Services built per request still run such calls one at a time. With a
// Store that cannot lock, calls through this client are serialised. Serial
// gives up with ctx.Err() when ctx ends before the lock is held; a lock
// whose holder died is released after two minutes. It is one of the
// extension points for packages built on a Client (see Client).
func (c *Client) Serial(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	key := "wecom:serial:" + c.corpID + ":" + name
	if l, ok := c.opts.store.(Locker); ok {
		unlock, err := l.Lock(ctx, key, serialLockTTL)
		if err != nil {
			return err
		}
		defer unlock()
		return fn(ctx)
	}
	ch := c.serialChan(key)
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ch }()
	return fn(ctx)
}

// serialChan returns the one-slot channel that serialises key within this
// client when the Store has no locks.
func (c *Client) serialChan(key string) chan struct{} {
	v, _ := c.serial.LoadOrStore(key, make(chan struct{}, 1))
	return v.(chan struct{})
}
