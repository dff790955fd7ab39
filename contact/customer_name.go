package contact

import (
	"context"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/scrmkit/scrm/internal/api"
)

// How CustomerName keeps names.
const (
	// customerNameTTL is how long a name read is kept: long enough for
	// the helpers handling one add_external_contact event (the welcome's
	// %NICKNAME%, the channel's remark {name}) to share one read, short
	// enough that a renamed customer shows the new name soon.
	customerNameTTL = 30 * time.Second
	// customerNameCacheSize is the most names kept at once; the oldest
	// go first.
	customerNameCacheSize = 4096
	// customerNameReadTimeout bounds a read that several callers share,
	// which runs on whatever any one of them may cancel.
	customerNameReadTimeout = 30 * time.Second
)

// CustomerName returns a customer's name (the WeChat nickname, or the name
// of a WeCom user of another corp), read with externalcontact/get (its
// first page: the name does not need the follow users).
//
// A name read is kept in the Service for 30 s (4096 names at most), and
// callers asking for the same customer while a read is in flight share
// it: the helpers handling one new customer (message.Welcomes filling
// %NICKNAME% through message.WithNameSource, contact.Channels filling a
// remark's {name}) read the customer once between them when they use the
// same Service. A caller whose ctx ends stops waiting; the read goes on
// for the others (at most 30 s). Errors are not kept: the next call reads
// again.
//
// It satisfies message.NameSource.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92114
func (s *Service) CustomerName(ctx context.Context, externalUserID string) (string, error) {
	if err := check.Required("externalUserID", externalUserID); err != nil {
		return "", err
	}
	return s.names.get(ctx, externalUserID, s.readCustomerName)
}

// readCustomerName reads the name with externalcontact/get.
func (s *Service) readCustomerName(ctx context.Context, externalUserID string) (string, error) {
	var out struct {
		ExternalContact struct {
			Name string `json:"name"`
		} `json:"external_contact"`
	}
	q := url.Values{"external_userid": {externalUserID}}
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/get", q, &out); err != nil {
		return "", err
	}
	return out.ExternalContact.Name, nil
}

// nameCache keeps customers' names for customerNameTTL, at most
// customerNameCacheSize of them, and makes concurrent reads of one
// customer one read. Its zero value is ready to use.
type nameCache struct {
	mu     sync.Mutex
	names  map[string]cachedName
	order  []queuedName // the names as stored, oldest first: one TTL, so also by expiry
	flight singleflight.Group

	now    func() time.Time            // the client's clock (New); nil: time.Now
	onWait func(externalUserID string) // nil; tests see a caller wait for a read
}

type cachedName struct {
	name  string
	until time.Time
}

type queuedName struct {
	id    string
	until time.Time
}

func (nc *nameCache) clock() time.Time {
	if nc.now != nil {
		return nc.now()
	}
	return time.Now()
}

// get returns the kept name of id, or reads it with read: once for all the
// callers asking while the read is in flight.
func (nc *nameCache) get(ctx context.Context, id string, read func(context.Context, string) (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if name, ok := nc.lookup(id); ok {
		return name, nil
	}
	ch := nc.flight.DoChan(id, func() (any, error) {
		if name, ok := nc.lookup(id); ok {
			return name, nil // kept by a read that ended after this caller's lookup
		}
		// The read is shared: one caller's cancellation must not fail
		// the others, so it runs on its own bounded context.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), customerNameReadTimeout)
		defer cancel()
		name, err := read(rctx, id)
		if err != nil {
			return "", err
		}
		nc.store(id, name)
		return name, nil
	})
	if nc.onWait != nil {
		nc.onWait(id)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (nc *nameCache) lookup(id string) (string, bool) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	e, ok := nc.names[id]
	if !ok || !nc.clock().Before(e.until) {
		return "", false
	}
	return e.name, true
}

func (nc *nameCache) store(id, name string) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	now := nc.clock()
	if nc.names == nil {
		nc.names = map[string]cachedName{}
	}
	// Drop the expired names and, beyond the cap, the oldest. A queued
	// entry that no longer matches its name's (stored again since) is
	// only dropped from the queue.
	for len(nc.order) > 0 {
		q := nc.order[0]
		if now.Before(q.until) && len(nc.names) < customerNameCacheSize {
			break
		}
		nc.order = nc.order[1:]
		if e, ok := nc.names[q.id]; ok && e.until.Equal(q.until) {
			delete(nc.names, q.id)
		}
	}
	until := now.Add(customerNameTTL)
	nc.names[id] = cachedName{name: name, until: until}
	nc.order = append(nc.order, queuedName{id: id, until: until})
}
