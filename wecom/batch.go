package wecom

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"
)

// BatchResult is the outcome for one item of a Batch.
type BatchResult[T, R any] struct {
	Item  T
	Value R
	Err   error
}

// BatchFunc processes one chunk. out has one element per item of chunk, with
// Item already set; the function fills in Value and, for items that failed on
// their own (a per-item errcode in WeCom's answer), Err. Returning an error
// marks every item of the chunk that has no Err yet with it.
type BatchFunc[T, R any] func(ctx context.Context, chunk []T, out []BatchResult[T, R]) error

// DefaultBatchConcurrency is how many chunks Batch runs at once unless told.
const DefaultBatchConcurrency = 4

// Batch splits items into chunks of at most size (WeCom's per-request limit,
// e.g. 100 userids) and runs fn on them, at most concurrency at a time
// (DefaultBatchConcurrency when concurrency <= 0). Calls made through a
// Client inside fn pass its rate limiter like any other call. One failing
// chunk does not stop the others; when ctx ends, chunks not yet started fail
// with ctx.Err(). The results are in the order of items.
func Batch[T, R any](ctx context.Context, items []T, size, concurrency int, fn BatchFunc[T, R]) []BatchResult[T, R] {
	out := make([]BatchResult[T, R], len(items))
	for i, it := range items {
		out[i].Item = it
	}
	if len(items) == 0 {
		return out
	}
	if fn == nil {
		markFailed(out, errors.New("wecom: Batch: nil chunk function"))
		return out
	}
	if size <= 0 {
		size = len(items)
	}
	if concurrency <= 0 {
		concurrency = DefaultBatchConcurrency
	}
	var g errgroup.Group
	g.SetLimit(concurrency)
	for lo := 0; lo < len(items); lo += size {
		hi := min(lo+size, len(items))
		chunk, res := items[lo:hi:hi], out[lo:hi:hi]
		if err := ctx.Err(); err != nil {
			markFailed(res, err)
			continue
		}
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				markFailed(res, err)
				return nil
			}
			if err := fn(ctx, chunk, res); err != nil {
				markFailed(res, err)
			}
			return nil
		})
	}
	_ = g.Wait() // chunk errors live in the results
	return out
}

func markFailed[T, R any](res []BatchResult[T, R], err error) {
	for i := range res {
		if res[i].Err == nil {
			res[i].Err = err
		}
	}
}
