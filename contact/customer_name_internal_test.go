package contact

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
)

// names is a name source that counts its reads and can hold them.
type names struct {
	reads   atomic.Int32
	release chan struct{} // nil: answer at once
	ctxErrs chan error    // the read's context error when released
}

func (n *names) read(ctx context.Context, id string) (string, error) {
	n.reads.Add(1)
	if n.release != nil {
		<-n.release
		n.ctxErrs <- ctx.Err()
	}
	return "name of " + id, nil
}

// waitFor waits for a signal on ch, or fails the test after a while
// instead of hanging it.
func waitFor(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no caller waits on the read")
	}
}

func TestNameCacheKeepsANameForItsTTL(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	nc := &nameCache{now: clk.Now}
	src := &names{}
	get := func() string {
		name, err := nc.get(t.Context(), "wm1", src.read)
		require.NoError(t, err)
		return name
	}
	assert.Equal(t, "name of wm1", get())
	clk.Advance(customerNameTTL - time.Second)
	get()
	assert.Equal(t, int32(1), src.reads.Load(), "kept within the window")
	clk.Advance(time.Second)
	assert.Equal(t, "name of wm1", get())
	assert.Equal(t, int32(2), src.reads.Load(), "read again once the window has passed")
}

func TestNameCacheIsBounded(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	nc := &nameCache{now: clk.Now}
	src := &names{}
	for i := range customerNameCacheSize + 10 {
		_, err := nc.get(t.Context(), fmt.Sprint("wm", i), src.read)
		require.NoError(t, err)
	}
	assert.Len(t, nc.names, customerNameCacheSize)
	_, kept := nc.lookup("wm0")
	assert.False(t, kept, "the oldest went first")
	_, kept = nc.lookup(fmt.Sprint("wm", customerNameCacheSize+9))
	assert.True(t, kept)

	// Expired names go when the next one is stored.
	clk.Advance(customerNameTTL)
	_, err := nc.get(t.Context(), "wmLate", src.read)
	require.NoError(t, err)
	assert.Len(t, nc.names, 1)
	assert.Len(t, nc.order, 1)
}

func TestNameCacheCallersShareTheReadInFlight(t *testing.T) {
	t.Parallel()
	nc := &nameCache{}
	src := &names{release: make(chan struct{}), ctxErrs: make(chan error, 1)}
	const callers = 8
	var waiting atomic.Int32
	nc.onWait = func(string) { waiting.Add(1) }

	got := make(chan string, callers)
	for range callers {
		go func() {
			name, err := nc.get(t.Context(), "wm1", src.read)
			assert.NoError(t, err)
			got <- name
		}()
	}
	// Every caller waits on the one read, which is held.
	require.Eventually(t, func() bool { return waiting.Load() == callers }, 10*time.Second, time.Millisecond)
	close(src.release)
	for range callers {
		assert.Equal(t, "name of wm1", <-got)
	}
	assert.Equal(t, int32(1), src.reads.Load())
	assert.NoError(t, <-src.ctxErrs)
}

func TestNameCacheACallerThatGivesUpFailsNoOther(t *testing.T) {
	t.Parallel()
	nc := &nameCache{}
	src := &names{release: make(chan struct{}), ctxErrs: make(chan error, 1)}
	waits := make(chan struct{}, 2)
	nc.onWait = func(string) { waits <- struct{}{} }

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := nc.get(ctx, "wm1", src.read)
		first <- err
	}()
	waitFor(t, waits)
	second := make(chan string, 1)
	go func() {
		name, err := nc.get(t.Context(), "wm1", src.read)
		assert.NoError(t, err)
		second <- name
	}()
	waitFor(t, waits)
	cancel()
	assert.ErrorIs(t, <-first, context.Canceled, "the first caller stops waiting")
	close(src.release)
	assert.NoError(t, <-src.ctxErrs, "the read it started is not cancelled")
	assert.Equal(t, "name of wm1", <-second)
	assert.Equal(t, int32(1), src.reads.Load())

	_, err := nc.get(ctx, "wm2", src.read)
	assert.ErrorIs(t, err, context.Canceled, "an ended context reads nothing")
	assert.Equal(t, int32(1), src.reads.Load())
}
