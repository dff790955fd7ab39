package callback

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// memoryQueue is the in-process Queue behind WithWorkers: n goroutines fed
// by a channel of size pushes. Pushes live in this process only: those
// still queued when it ends are lost, and a failed run is not retried
// (WeCom was answered "success" and does not re-send).
type memoryQueue struct {
	n, size int

	mu      sync.RWMutex // guards started, closed and the send on jobs
	started bool
	closed  bool
	jobs    chan *Delivery
	done    chan struct{} // closed when every worker returned
	live    int
}

func newMemoryQueue(n, size int) *memoryQueue {
	return &memoryQueue{n: n, size: size, done: make(chan struct{})}
}

// Start implements Queue.
func (q *memoryQueue) Start(run func(ctx context.Context, d *Delivery) error) error {
	if run == nil {
		return errors.New("callback: queue started without a run function")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("callback: the WithWorkers queue serves one Handler and was started already")
	}
	if q.closed {
		return ErrClosed
	}
	q.started = true
	q.jobs = make(chan *Delivery, q.size)
	q.live = q.n
	for range q.n {
		go q.worker(run)
	}
	return nil
}

func (q *memoryQueue) worker(run func(ctx context.Context, d *Delivery) error) {
	defer func() {
		q.mu.Lock()
		q.live--
		if q.live == 0 {
			close(q.done)
		}
		q.mu.Unlock()
	}()
	for d := range q.jobs {
		q.runOne(run, d)
	}
}

// runOne is the last line of defence of the worker goroutine, where a
// panic would end the process (run recovers the handlers' own).
func (q *memoryQueue) runOne(run func(ctx context.Context, d *Delivery) error, d *Delivery) {
	defer func() { _ = recover() }()
	_ = run(context.Background(), d)
}

// depth is how many pushes wait.
func (q *memoryQueue) depth() int { return len(q.jobs) }

// Enqueue implements Queue: it never blocks; a full queue is ErrQueueFull.
func (q *memoryQueue) Enqueue(_ context.Context, d *Delivery) error {
	if d == nil {
		return errors.New("callback: nil delivery")
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return ErrClosed
	}
	if !q.started {
		return fmt.Errorf("callback: queue not started")
	}
	d.Attempt = 1
	select {
	case q.jobs <- d:
		return nil
	default:
		return ErrQueueFull
	}
}

// Close implements Queue: the workers still handle every queued push.
func (q *memoryQueue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		if q.started {
			close(q.jobs) // the workers drain it, then the last one closes done
		} else {
			close(q.done)
		}
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
