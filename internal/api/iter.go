package api

import (
	"context"
	"errors"
	"iter"
)

// Iter walks every page of a paged endpoint and yields a pointer to each
// item of each page, in order: the body of every …Iter method.
//
//	func (s *Service) ListContactsIter(ctx context.Context, req *ListContactsRequest) iter.Seq2[*ServedContact, error] {
//		return api.Iter(ctx, req, s.ListContacts, func(r *ListContactsRequest) *string { return &r.Cursor },
//			func(p *ListContactsResponse) ([]ServedContact, string) { return p.InfoList, p.NextCursor })
//	}
//
// page is the endpoint's one-page method; cursor points at the request's
// cursor field (a string cursor, or an int offset); items returns a page's
// items and the cursor of the next page, the zero value ("" or 0) when there
// is none.
//
// The contract of every …Iter method (CONTRIBUTING.md, rule 3):
//
//   - req may be nil (a zero request); it is copied when Iter is called
//     (a shallow copy: its slices are shared, never written) and never
//     modified;
//   - the walk starts at req's cursor (or offset), and ranging over the
//     iterator again starts there again;
//   - it is lazy: nothing is sent before the loop starts, and a break
//     sends nothing more;
//   - the items yielded point into the page as decoded (no copy);
//   - a failed page is yielded once as (nil, err) and the walk stops; the
//     page method's own check of the request is that first error;
//   - it stops when the next cursor is the zero value or one already
//     fetched in this walk (a server answering the same cursor forever
//     would otherwise loop), as wecom.Paginate does.
func Iter[Req, Resp, T any, C comparable](ctx context.Context, req *Req,
	page func(context.Context, *Req) (*Resp, error),
	cursor func(*Req) *C,
	items func(*Resp) ([]T, C)) iter.Seq2[*T, error] {
	if page == nil || cursor == nil || items == nil {
		return ErrSeq[*T](errors.New("api: Iter needs a page method, a cursor field and the page's items"))
	}
	var r Req
	if req != nil {
		r = *req
	}
	start := *cursor(&r)
	return func(yield func(*T, error) bool) {
		var zero C
		at := start
		seen := map[C]struct{}{at: {}}
		for {
			p := r
			*cursor(&p) = at
			resp, err := page(ctx, &p)
			if err == nil && resp == nil {
				err = errors.New("api: a page method returned neither a page nor an error")
			}
			if err != nil {
				yield(nil, err)
				return
			}
			list, next := items(resp)
			for i := range list {
				if !yield(&list[i], nil) {
					return
				}
			}
			if next == zero {
				return
			}
			if _, dup := seen[next]; dup {
				return
			}
			seen[next] = struct{}{}
			at = next
		}
	}
}

// IDs turns an iterator over page items into one over their ids, for the
// …Iter methods of pages that hold only ids (rule 3: iter.Seq2[ID, error]):
//
//	ways := api.Iter(ctx, req, s.ListContactWays, ...)
//	return api.IDs(ways, func(w *ContactWayRef) string { return w.ConfigID })
//
// An error is yielded once, as (zero ID, err), and the walk stops; a break
// stops the walk underneath.
func IDs[T, ID any](seq iter.Seq2[*T, error], id func(*T) ID) iter.Seq2[ID, error] {
	if seq == nil || id == nil {
		return ErrSeq[ID](errors.New("api: IDs needs an iterator and an id function"))
	}
	return func(yield func(ID, error) bool) {
		for it, err := range seq {
			if err != nil {
				var zero ID
				yield(zero, err)
				return
			}
			if !yield(id(it), nil) {
				return
			}
		}
	}
}
