package wecom

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryStore_CompareAndSwap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemoryStore()
	if ok, _ := m.CompareAndSwap(ctx, "k", "", "v1", 0); !ok {
		t.Fatal("swap into an absent key failed")
	}
	if ok, _ := m.CompareAndSwap(ctx, "k", "", "v2", 0); ok {
		t.Fatal("absent-only swap overwrote a value")
	}
	if ok, _ := m.CompareAndSwap(ctx, "k", "other", "v2", 0); ok {
		t.Fatal("swap with a wrong old value succeeded")
	}
	if ok, _ := m.CompareAndSwap(ctx, "k", "v1", "", 0); !ok {
		t.Fatal("swap to empty (delete) failed")
	}
	if _, ok, _ := m.Get(ctx, "k"); ok {
		t.Fatal("empty swap did not delete")
	}
	_ = m.Set(ctx, "t", "x", 20*time.Millisecond)
	time.Sleep(40 * time.Millisecond)
	if _, ok, _ := m.Get(ctx, "t"); ok {
		t.Fatal("ttl ignored")
	}
}

func TestMemoryStore_LockExcludesAndHonoursContext(t *testing.T) {
	t.Parallel()
	m := NewMemoryStore()
	var inside, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := m.Lock(context.Background(), "k", time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			if n := inside.Add(1); n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
			unlock() // a second call is harmless
		}()
	}
	wg.Wait()
	if peak.Load() != 1 {
		t.Fatalf("%d holders at once", peak.Load())
	}
	unlock, _ := m.Lock(context.Background(), "k", time.Second)
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.Lock(ctx, "k", time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	other, err := m.Lock(context.Background(), "other", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	other()
}
