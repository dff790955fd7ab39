package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/redisstore"
)

// This file is the one place the deadletters commands touch redisstore:
// when the queue's dead-letter API changes, only this file changes.

// deadLetter is a parked push as the deadletters commands show it.
type deadLetter struct {
	ID         string
	Delivery   callback.Delivery // the push as WeCom sent it, still encrypted
	ReceivedAt time.Time
	FailedAt   time.Time
	Attempts   int
	Err        string // the last handler error
}

// deadLetters is what the commands need of a queue.
type deadLetters interface {
	// list returns up to n dead letters after the id after ("" from the
	// first), oldest first.
	list(ctx context.Context, after string, n int) ([]deadLetter, error)
	// replay puts the dead letter back in the queue and returns its new id.
	replay(ctx context.Context, id string) (string, error)
	// drop deletes the dead letter.
	drop(ctx context.Context, id string) error
	close() error
}

// errNoDeadLetter matches the error of replay and drop for an unknown id.
func isNoDeadLetter(err error) bool { return errors.Is(err, redisstore.ErrNoDeadLetter) }

// redisFlags say where the queue is.
type redisFlags struct {
	addr, password, prefix, queue, key string
	db                                 int
}

func (f *redisFlags) register(cmd *cobra.Command) {
	fs := cmd.PersistentFlags()
	envFlag(fs, &f.addr, "redis-addr", "REDIS_ADDR", "the Redis server (host:port)", false)
	envFlag(fs, &f.password, "redis-password", "REDIS_PASSWORD", "the Redis password", true)
	fs.IntVar(&f.db, "redis-db", 0, "the Redis database number")
	envFlag(fs, &f.prefix, "redis-prefix", "REDIS_PREFIX", "the key prefix the application gives redisstore.WithPrefix (default "+redisstore.DefaultPrefix+")", false)
	envFlag(fs, &f.queue, "queue", "", "the queue's name, as given to redisstore.WithName (default "+redisstore.DefaultQueueName+")", false)
	envFlag(fs, &f.key, "redis-key", "REDIS_ENCRYPTION_KEY", "base64 of the store's encryption key (redisstore.WithEncryptionKey), if it has one", true)
}

// redisQueue adapts redisstore.Queue.
type redisQueue struct {
	rdb *redis.Client
	q   *redisstore.Queue
}

func openDeadLetters(ctx context.Context, a *app, f *redisFlags) (deadLetters, error) {
	if f.addr == "" {
		return nil, usageError{errors.New("where is Redis? give --redis-addr ($REDIS_ADDR)")}
	}
	opts := []redisstore.Option{redisstore.WithLogger(a.logger())}
	if f.prefix != "" {
		opts = append(opts, redisstore.WithPrefix(f.prefix))
	}
	if f.key != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(f.key))
		if err != nil {
			return nil, usageError{errors.New("--redis-key ($REDIS_ENCRYPTION_KEY) is not base64")}
		}
		opts = append(opts, redisstore.WithEncryptionKey(key))
	}
	rdb := redis.NewClient(&redis.Options{Addr: f.addr, Password: f.password, DB: f.db})
	store, err := redisstore.New(ctx, rdb, opts...)
	if err != nil {
		_ = rdb.Close()
		if errors.Is(err, redisstore.ErrNoKey) {
			return nil, errors.New("the store at " + f.addr + " is encrypted: give its key with --redis-key ($REDIS_ENCRYPTION_KEY)")
		}
		return nil, fmt.Errorf("opening the queue at %s: %w", f.addr, err)
	}
	var qo []redisstore.QueueOption
	if f.queue != "" {
		qo = append(qo, redisstore.WithName(f.queue))
	}
	q, err := store.NewQueue(qo...)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	return &redisQueue{rdb: rdb, q: q}, nil
}

func (r *redisQueue) list(ctx context.Context, after string, n int) ([]deadLetter, error) {
	dls, err := r.q.ListDeadLetters(ctx, after, n)
	if err != nil {
		return nil, err
	}
	out := make([]deadLetter, len(dls))
	for i, d := range dls {
		out[i] = deadLetter{ID: d.ID, Delivery: d.Delivery, ReceivedAt: d.ReceivedAt, FailedAt: d.FailedAt,
			Attempts: d.Attempts, Err: d.Err}
	}
	return out, nil
}

func (r *redisQueue) replay(ctx context.Context, id string) (string, error) {
	return r.q.Replay(ctx, id)
}

func (r *redisQueue) drop(ctx context.Context, id string) error { return r.q.DeleteDeadLetter(ctx, id) }

func (r *redisQueue) close() error { return r.rdb.Close() }
