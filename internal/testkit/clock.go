package testkit

import (
	"context"
	"sync"
	"time"
)

// Clock is a clock a test moves by hand, safe for concurrent use: give
// Now to whatever takes a clock (WithClock, wecomtest.WithClock, a
// helper's WithClock option) and Sleep to whatever takes a sleep, so that
// waits pass at once and leave a record.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewClock returns a Clock reading start. A zero start reads 2025-11-20
// 10:00 UTC: a fixed day, so that no test depends on the day it runs.
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	}
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d forward (back when d < 0).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Sleep advances the clock by d instead of waiting, and records d. It
// returns ctx's error, without advancing, when ctx has ended.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// Sleeps returns the durations Sleep was asked for, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
