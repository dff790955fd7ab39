package redisstore

import (
	"context"
	"strings"
	"time"

	"github.com/scrmkit/scrm/internal/dedupkey"
	"github.com/scrmkit/scrm/wecom"
)

// claimStore is a Queue's DedupStore: the queue's Store, with callback's
// de-dup keys moved into the queue's hash slot. callback names a push's
// records scrm:callback:seen:<hash> and scrm:callback:seen:<hash>:ran;
// here they are scrm:callback:seen:{<queue>}:<hash>[:ran], in the slot of
// the queue's streams (<prefix>queue:{<queue>}), so that the script that
// claims a push and appends it touches one slot on Redis Cluster. Other
// keys pass through unchanged. The keys keep callback's prefix, so that
// the Store leaves them unencrypted, as the scripts need.
type claimStore struct {
	s   *Store
	tag string // "{<queue>}:"
}

var _ wecom.Store = (*claimStore)(nil)

// name is the Store key (before the Store's prefix) of callback's key.
func (c *claimStore) name(key string) string {
	if rest, ok := strings.CutPrefix(key, dedupkey.Prefix); ok && !strings.HasPrefix(rest, "{") {
		return dedupkey.Prefix + c.tag + rest
	}
	return key
}

// Get implements wecom.Store.
func (c *claimStore) Get(ctx context.Context, key string) (string, bool, error) {
	return c.s.Get(ctx, c.name(key))
}

// Set implements wecom.Store.
func (c *claimStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	return c.s.Set(ctx, c.name(key), value, ttl)
}

// Delete implements wecom.Store.
func (c *claimStore) Delete(ctx context.Context, key string) error {
	return c.s.Delete(ctx, c.name(key))
}

// CompareAndSwap implements wecom.Store.
func (c *claimStore) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	return c.s.CompareAndSwap(ctx, c.name(key), old, value, ttl)
}
