package wecom_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// noLockStore is a Store that cannot lock.
type noLockStore struct{ s *wecom.MemoryStore }

func (n noLockStore) Get(ctx context.Context, k string) (string, bool, error) { return n.s.Get(ctx, k) }
func (n noLockStore) Set(ctx context.Context, k, v string, ttl time.Duration) error {
	return n.s.Set(ctx, k, v, ttl)
}
func (n noLockStore) Delete(ctx context.Context, k string) error { return n.s.Delete(ctx, k) }
func (n noLockStore) CompareAndSwap(ctx context.Context, k, o, v string, ttl time.Duration) (bool, error) {
	return n.s.CompareAndSwap(ctx, k, o, v, ttl)
}

// maxInFlight runs 16 Serial calls of name spread over clients and returns
// how many ran at once at most.
func maxInFlight(t *testing.T, clients []*wecom.Client, name string) int32 {
	var in, peak atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := clients[i%len(clients)].Serial(context.Background(), name, func(context.Context) error {
				n := in.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(2 * time.Millisecond)
				in.Add(-1)
				return nil
			})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	return peak.Load()
}

func TestSerialAcrossClientsOfACorp(t *testing.T) {
	t.Parallel()
	store := wecom.NewMemoryStore()
	a := wecom.New("wwserial", "s1", wecom.WithStore(store))
	b := wecom.New("wwserial", "s2", wecom.WithStore(store)) // another app of the corp, same Store
	assert.EqualValues(t, 1, maxInFlight(t, []*wecom.Client{a, b}, "customer_strategy"))

	// Another corp does not wait for this one.
	other := wecom.New("wwother", "s", wecom.WithStore(store))
	held, hold := make(chan struct{}), make(chan struct{})
	defer close(hold)
	go func() {
		_ = a.Serial(context.WithoutCancel(t.Context()), "customer_strategy", func(context.Context) error {
			close(held)
			<-hold
			return nil
		})
	}()
	<-held // a holds the corp's customer_strategy turn until the test ends
	done := make(chan struct{})
	go func() {
		_ = other.Serial(t.Context(), "customer_strategy", func(context.Context) error { return nil })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		require.Fail(t, "another corp waited")
	}
	// A waiter whose context ends gives up.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	err := b.Serial(ctx, "customer_strategy", func(context.Context) error { return nil })
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestSerialWithoutALockingStore(t *testing.T) {
	t.Parallel()
	c := wecom.New("wwserial", "s", wecom.WithStore(noLockStore{wecom.NewMemoryStore()}))
	assert.EqualValues(t, 1, maxInFlight(t, []*wecom.Client{c}, "moment_strategy"))
}
