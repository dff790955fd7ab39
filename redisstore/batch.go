package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// batchTimeout bounds one round trip of a batch (its callers' contexts are
// not used: a batch serves several).
const batchTimeout = 5 * time.Second

// batcher gathers concurrent calls into round trips (group commit): a call
// that finds no round trip in flight makes one at once, with the calls
// waiting beside it; calls that arrive while it is in flight wait, and the
// first of them makes the next round trip with all of them (at most max).
// Under a serial load every call is a round trip of its own, with no
// added wait; under concurrent load a round trip serves many. It runs no
// goroutine of its own.
type batcher[T any] struct {
	max   int
	flush func(ctx context.Context, batch []*batchCall[T]) // sets each call's err (and results)

	mu      sync.Mutex
	waiting []*batchCall[T]
	busy    bool // a round trip is in flight, or its successor is being woken
}

// batchCall is one call in a batch.
type batchCall[T any] struct {
	in   T
	err  error
	wake chan bool // true: make the next round trip; false: done
}

// do makes c's round trip, alone or with others, and returns its error.
func (b *batcher[T]) do(c *batchCall[T]) error {
	c.wake = make(chan bool, 1)
	b.mu.Lock()
	b.waiting = append(b.waiting, c)
	if b.busy {
		b.mu.Unlock()
		if lead := <-c.wake; !lead {
			return c.err
		}
		b.mu.Lock()
	}
	b.busy = true
	// c is the first waiting call (the queue was empty, or it was woken to
	// lead): it goes in this round trip.
	n := min(len(b.waiting), b.max)
	batch := make([]*batchCall[T], n)
	copy(batch, b.waiting)
	rest := copy(b.waiting, b.waiting[n:])
	clear(b.waiting[rest:])
	b.waiting = b.waiting[:rest]
	b.mu.Unlock()

	b.run(batch)
	for _, x := range batch[1:] {
		x.wake <- false
	}
	b.mu.Lock()
	if len(b.waiting) > 0 {
		b.waiting[0].wake <- true
	} else {
		b.busy = false
	}
	b.mu.Unlock()
	return c.err
}

// run flushes batch; a panic in flush fails the batch's calls instead of
// leaving the callers waiting for it.
func (b *batcher[T]) run(batch []*batchCall[T]) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			for _, c := range batch {
				c.err = fmt.Errorf("redisstore: a batched round trip panicked: %v", p)
			}
		}
	}()
	b.flush(ctx, batch)
}
