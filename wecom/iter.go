package wecom

import (
	"context"
	"errors"
	"iter"
)

// PageFunc fetches the page that starts at cursor ("" for the first page) and
// returns its items and the cursor of the next page ("" when there is none).
type PageFunc[T any] func(ctx context.Context, cursor string) (items []T, next string, err error)

// Paginate turns a cursor-paged endpoint into an iterator. It is lazy: no
// request is made until the loop starts. Iteration ends when the next cursor
// is empty or one already seen (a server answering the same cursor forever
// would otherwise loop). A failed page is yielded once as (zero, err) and
// iteration stops; the caller's break stops it too.
//
//	for c, err := range wecom.Paginate(ctx, "", fetch) {
//		if err != nil {
//			return err
//		}
//		...
//	}
func Paginate[T any](ctx context.Context, start string, fetch PageFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if fetch == nil {
			var zero T
			yield(zero, errors.New("wecom: Paginate: nil page function"))
			return
		}
		cursor := start
		seen := map[string]struct{}{}
		for {
			items, next, err := fetch(ctx, cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" || next == cursor {
				return
			}
			if _, dup := seen[next]; dup {
				return
			}
			seen[cursor] = struct{}{}
			cursor = next
		}
	}
}
