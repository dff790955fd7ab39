package testkit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// HangGuard is how long Recv waits before it fails the test. It guards
// against a hang (a handler that never runs, a signal never sent); it is
// not a timing assertion, and a test never relies on it passing.
const HangGuard = 10 * time.Second

// Recv takes one value from ch and returns it (the zero value once ch is
// closed). It fails the test when nothing arrives within HangGuard: tests
// wait on channels the code under test signals, never on sleeps.
//
//	running := make(chan struct{})
//	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
//		close(running)
//		<-release
//		return nil
//	})
//	...
//	testkit.Recv(t, running) // the handler is running now
func Recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(HangGuard)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		require.FailNow(t, "nothing arrived", "waited %v for a value on a channel", HangGuard)
		var zero T
		return zero
	}
}
