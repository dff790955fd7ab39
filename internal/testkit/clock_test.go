package testkit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/scrmkit/scrm/internal/testkit"
)

func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, start, testkit.NewClock(time.Time{}).Now(), "a fixed day by default")

	at := time.Date(2026, 2, 10, 4, 0, 0, 0, time.UTC)
	c := testkit.NewClock(at)
	assert.Equal(t, at, c.Now())
	c.Advance(time.Hour)
	assert.Equal(t, at.Add(time.Hour), c.Now())
	c.Advance(-2 * time.Hour)
	assert.Equal(t, at.Add(-time.Hour), c.Now())
	c.Set(start)
	assert.Equal(t, start, c.Now())

	assert.NoError(t, c.Sleep(t.Context(), time.Second))
	assert.NoError(t, c.Sleep(t.Context(), time.Minute))
	assert.Equal(t, start.Add(time.Minute+time.Second), c.Now(), "Sleep moves the clock")
	sleeps := c.Sleeps()
	assert.Equal(t, []time.Duration{time.Second, time.Minute}, sleeps)
	sleeps[0] = 0
	assert.Equal(t, time.Second, c.Sleeps()[0], "Sleeps returns a copy")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	before := c.Now()
	assert.ErrorIs(t, c.Sleep(ctx, time.Hour), context.Canceled)
	assert.Equal(t, before, c.Now(), "an ended context moves nothing")
	assert.Len(t, c.Sleeps(), 2)
}

func TestClockIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Time{})
	start := c.Now()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Advance(time.Second)
			_ = c.Sleep(t.Context(), time.Second)
			_ = c.Now()
			_ = c.Sleeps()
		}()
	}
	wg.Wait()
	assert.Equal(t, start.Add(100*time.Second), c.Now())
	assert.Len(t, c.Sleeps(), 50)
}
