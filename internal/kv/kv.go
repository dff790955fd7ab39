// Package kv changes one value of a shared key-value store safely when
// several writers (goroutines, or instances sharing Redis) change it at
// once: read, change, compare-and-swap, and read again when another writer
// got there first. It is the one implementation of that loop behind the
// suite's ticket and authorized-corp index, the suite exchange's index and
// the channel index.
//
// It sits below package wecom and so declares the part of a store it needs
// itself; wecom.Store satisfies it.
package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Store is the part of a key-value store Update needs. CompareAndSwap sets
// key to value only if its current value is old ("" meaning absent), and an
// empty value deletes the key (wecom.Store's contract).
type Store interface {
	Get(ctx context.Context, key string) (string, bool, error)
	CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error)
}

// ErrContention is returned when the value kept changing under Update for
// MaxAttempts attempts.
var ErrContention = errors.New("kv: the value kept changing; not updated")

// ErrCorrupt is matched by the error UpdateJSON returns when the stored
// value is not the JSON of its type. The value is left alone: repairing it
// is the caller's decision.
var ErrCorrupt = errors.New("kv: stored value is corrupt")

// MaxAttempts bounds Update's read-change-swap rounds.
const MaxAttempts = 64

// maxBackoff bounds the wait between two rounds that lost to another writer.
const maxBackoff = 50 * time.Millisecond

// Update applies change to the value under key. change gets the current
// value (ok false when there is none) and returns the next one; "" deletes
// the key, and returning cur unchanged writes nothing. An error from change
// ends Update with that error. When another writer changed the value
// between the read and the swap, Update reads it again and calls change
// again, after a short jittered wait, at most MaxAttempts times.
func Update(ctx context.Context, s Store, key string, ttl time.Duration, change func(cur string, ok bool) (next string, err error)) error {
	return update(ctx, s, key, ttl, change, maxBackoff)
}

func update(ctx context.Context, s Store, key string, ttl time.Duration, change func(cur string, ok bool) (next string, err error), maxWait time.Duration) error {
	wait := min(time.Millisecond, maxWait)
	for range MaxAttempts {
		cur, ok, err := s.Get(ctx, key)
		if err != nil {
			return err
		}
		if !ok {
			cur = ""
		}
		next, err := change(cur, ok)
		if err != nil {
			return err
		}
		if next == cur {
			return nil
		}
		swapped, err := s.CompareAndSwap(ctx, key, cur, next, ttl)
		if err != nil {
			return err
		}
		if swapped {
			return nil
		}
		if err := sleep(ctx, wait/2+rand.N(wait/2+1)); err != nil {
			return err
		}
		wait = min(2*wait, maxWait)
	}
	return ErrContention
}

// UpdateJSON is Update for a value stored as the JSON of T. change gets
// the decoded value (the zero T and ok false when there is none) and
// returns the next one; nil deletes the key. A stored value that does not
// decode into T fails with an error matching ErrCorrupt, before change is
// called.
func UpdateJSON[T any](ctx context.Context, s Store, key string, ttl time.Duration, change func(cur T, ok bool) (next *T, err error)) error {
	return Update(ctx, s, key, ttl, func(raw string, ok bool) (string, error) {
		var cur T
		if ok && raw != "" {
			if err := json.Unmarshal([]byte(raw), &cur); err != nil {
				return "", fmt.Errorf("%w: %s: %v", ErrCorrupt, key, err)
			}
		}
		next, err := change(cur, ok && raw != "")
		if err != nil {
			return "", err
		}
		if next == nil {
			return "", nil
		}
		b, err := json.Marshal(next)
		if err != nil {
			return "", err
		}
		if ok && string(b) == raw {
			return raw, nil
		}
		return string(b), nil
	})
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
