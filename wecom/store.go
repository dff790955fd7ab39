package wecom

import (
	"context"
	"sync"
	"time"

	gocache "github.com/patrickmn/go-cache"
)

// Store keeps what must outlive one call and may be shared by several server
// instances: access tokens, suite tickets, permanent codes. Keys are built by
// the SDK and never contain secrets, tokens or permanent codes; values may
// (a token, a permanent code), so a Store must be treated as secret storage.
//
// The default is an in-memory store (NewMemoryStore). redisstore
// provides one that several instances share.
type Store interface {
	// Get returns the value stored under key, and false when there is none
	// or it has expired.
	Get(ctx context.Context, key string) (string, bool, error)
	// Set stores value under key. A ttl of 0 means no expiry.
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// CompareAndSwap sets key to value only if its current value is old
	// (old == "" means: only if key is absent or expired). It reports
	// whether the swap happened. An empty value deletes the key.
	CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error)
}

// Locker is implemented by stores that can hold a lock across instances
// (redisstore does). When the Store given to a Client implements it, a token
// fetch takes the lock so that only one instance calls gettoken at a time.
type Locker interface {
	// Lock blocks until the lock named key is held or ctx ends. The lock
	// expires after ttl even if unlock is never called.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// MemoryStore is the default Store: process-local, backed by go-cache. It
// is also a Locker, so that clients of one process sharing it (a Suite's
// corp clients, say) fetch each token once.
type MemoryStore struct {
	mu sync.Mutex // serialises CompareAndSwap against Set/Delete
	c  *gocache.Cache

	lmu   sync.Mutex
	locks map[string]chan struct{} // held locks; closed on release
}

// NewMemoryStore returns an empty in-memory Store. Expired entries are swept
// every minute.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{c: gocache.New(gocache.NoExpiration, time.Minute), locks: map[string]chan struct{}{}}
}

// Lock implements Locker for the process: it blocks until no one else in
// this process holds key, or ctx ends. The ttl is not needed in-process
// (the lock dies with the process) and is ignored; call unlock once done.
func (m *MemoryStore) Lock(ctx context.Context, key string, _ time.Duration) (func(), error) {
	for {
		m.lmu.Lock()
		if m.locks == nil {
			m.locks = map[string]chan struct{}{}
		}
		held, busy := m.locks[key]
		if !busy {
			ch := make(chan struct{})
			m.locks[key] = ch
			m.lmu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					m.lmu.Lock()
					delete(m.locks, key)
					m.lmu.Unlock()
					close(ch)
				})
			}, nil
		}
		m.lmu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func ttlOf(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return gocache.NoExpiration
	}
	return ttl
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, key string) (string, bool, error) {
	v, ok := m.c.Get(key)
	if !ok {
		return "", false, nil
	}
	return v.(string), true, nil
}

// Set implements Store.
func (m *MemoryStore) Set(_ context.Context, key, value string, ttl time.Duration) error {
	m.mu.Lock()
	m.c.Set(key, value, ttlOf(ttl))
	m.mu.Unlock()
	return nil
}

// Delete implements Store.
func (m *MemoryStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	m.c.Delete(key)
	m.mu.Unlock()
	return nil
}

// CompareAndSwap implements Store.
func (m *MemoryStore) CompareAndSwap(_ context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.c.Get(key)
	if old == "" {
		if ok {
			return false, nil
		}
	} else if !ok || cur.(string) != old {
		return false, nil
	}
	if value == "" {
		m.c.Delete(key)
	} else {
		m.c.Set(key, value, ttlOf(ttl))
	}
	return true, nil
}
