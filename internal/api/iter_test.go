package api

import (
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cursor endpoint as the area packages have them: a request with a
// cursor and other fields, a page of structs with the next cursor.
type listRequest struct {
	Cursor string
	Limit  int
	Tags   []string
}

type listItem struct{ ID string }

type listResponse struct {
	Items      []listItem
	NextCursor string
}

type page struct {
	ids  []string
	next string
}

// endpoint serves pages by cursor and records what it was asked.
type endpoint struct {
	pages map[string]page
	fail  map[string]error
	calls []listRequest   // the requests as received
	sent  []*listResponse // the pages as answered
	ctxs  []context.Context
}

func (e *endpoint) list(ctx context.Context, r *listRequest) (*listResponse, error) {
	e.calls = append(e.calls, *r)
	e.ctxs = append(e.ctxs, ctx)
	r.Limit, r.Cursor = -1, "scribbled" // must reach neither the caller nor the next page
	if err := e.fail[e.calls[len(e.calls)-1].Cursor]; err != nil {
		return nil, err
	}
	p, ok := e.pages[e.calls[len(e.calls)-1].Cursor]
	if !ok {
		return nil, errors.New("no such page")
	}
	resp := &listResponse{NextCursor: p.next}
	for _, id := range p.ids {
		resp.Items = append(resp.Items, listItem{ID: id})
	}
	e.sent = append(e.sent, resp)
	return resp, nil
}

func (e *endpoint) cursors() []string {
	out := []string{}
	for _, c := range e.calls {
		out = append(out, c.Cursor)
	}
	return out
}

func cursorOf(r *listRequest) *string { return &r.Cursor }

func itemsOf(p *listResponse) ([]listItem, string) { return p.Items, p.NextCursor }

func (e *endpoint) iter(ctx context.Context, req *listRequest) iter.Seq2[*listItem, error] {
	return Iter(ctx, req, e.list, cursorOf, itemsOf)
}

// walk ranges over seq to its end (never breaking, as a careless caller
// would) and returns the ids and the errors it saw.
func walk(seq iter.Seq2[*listItem, error]) (ids []string, errs []error) {
	ids = []string{}
	for it, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, it.ID)
	}
	return ids, errs
}

func TestIter(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name      string
		pages     map[string]page
		fail      map[string]error
		req       *listRequest
		wantIDs   []string
		wantCalls []string
		wantErr   error
	}{{
		name:      "a nil request walks from the first page to an empty cursor",
		pages:     map[string]page{"": {[]string{"a", "b"}, "c1"}, "c1": {[]string{"c"}, "c2"}, "c2": {[]string{"d"}, ""}},
		wantIDs:   []string{"a", "b", "c", "d"},
		wantCalls: []string{"", "c1", "c2"},
	}, {
		name:      "the walk starts at the request's cursor",
		pages:     map[string]page{"": {[]string{"a"}, "c1"}, "c1": {[]string{"b"}, ""}},
		req:       &listRequest{Cursor: "c1"},
		wantIDs:   []string{"b"},
		wantCalls: []string{"c1"},
	}, {
		name:      "an empty page with a next cursor goes on",
		pages:     map[string]page{"": {nil, "c1"}, "c1": {[]string{"a"}, ""}},
		wantIDs:   []string{"a"},
		wantCalls: []string{"", "c1"},
	}, {
		name:      "a repeated cursor stops the walk",
		pages:     map[string]page{"": {[]string{"a"}, "c1"}, "c1": {[]string{"b"}, "c2"}, "c2": {[]string{"c"}, "c1"}},
		wantIDs:   []string{"a", "b", "c"},
		wantCalls: []string{"", "c1", "c2"},
	}, {
		name:      "a next cursor equal to the current one stops the walk",
		pages:     map[string]page{"": {[]string{"a"}, "c1"}, "c1": {[]string{"b"}, "c1"}},
		wantIDs:   []string{"a", "b"},
		wantCalls: []string{"", "c1"},
	}, {
		name:      "the start cursor counts as seen",
		pages:     map[string]page{"c1": {[]string{"a"}, "c2"}, "c2": {[]string{"b"}, "c1"}},
		req:       &listRequest{Cursor: "c1"},
		wantIDs:   []string{"a", "b"},
		wantCalls: []string{"c1", "c2"},
	}, {
		name:      "a failed first page is one error",
		fail:      map[string]error{"": boom},
		wantIDs:   []string{},
		wantCalls: []string{""},
		wantErr:   boom,
	}, {
		name:      "a failed later page comes after the items before it, once",
		pages:     map[string]page{"": {[]string{"a", "b"}, "c1"}, "c2": {[]string{"c"}, ""}},
		fail:      map[string]error{"c1": boom},
		wantIDs:   []string{"a", "b"},
		wantCalls: []string{"", "c1"},
		wantErr:   boom,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &endpoint{pages: tc.pages, fail: tc.fail}
			ids, errs := walk(e.iter(t.Context(), tc.req))
			assert.Equal(t, tc.wantIDs, ids)
			assert.Equal(t, tc.wantCalls, e.cursors())
			if tc.wantErr == nil {
				assert.Empty(t, errs)
			} else {
				require.Len(t, errs, 1, "an error is yielded once, then the walk stops")
				assert.ErrorIs(t, errs[0], tc.wantErr)
			}
		})
	}
}

func TestIterIsLazyAndStopsOnBreak(t *testing.T) {
	t.Parallel()
	e := &endpoint{pages: map[string]page{"": {[]string{"a", "b"}, "c1"}, "c1": {[]string{"c"}, ""}}}
	seq := e.iter(t.Context(), nil)
	assert.Empty(t, e.calls, "nothing is sent before the loop starts")
	for range seq {
		break
	}
	assert.Equal(t, []string{""}, e.cursors(), "a break in the first page asks for no other")

	e.calls = nil
	n := 0
	for range seq {
		if n++; n == 2 {
			break
		}
	}
	assert.Equal(t, []string{""}, e.cursors(), "a break at the end of a page asks for no next page")
}

func TestIterLeavesTheRequestAlone(t *testing.T) {
	t.Parallel()
	e := &endpoint{pages: map[string]page{"c1": {[]string{"a"}, "c2"}, "c2": {[]string{"b"}, ""}}}
	req := &listRequest{Cursor: "c1", Limit: 10, Tags: []string{"t1"}}
	orig := *req
	seq := e.iter(t.Context(), req)

	ids, errs := walk(seq)
	require.Empty(t, errs)
	assert.Equal(t, []string{"a", "b"}, ids)
	assert.Equal(t, orig, *req, "the caller's request is not modified")
	for i, c := range e.calls {
		assert.Equal(t, 10, c.Limit, "page %d has the request's other fields, not what the page method wrote", i)
		assert.Equal(t, []string{"t1"}, c.Tags, "page %d", i)
	}

	// The request was copied when the iterator was made, and each range
	// starts over at its cursor.
	req.Cursor, req.Limit = "elsewhere", 99
	e.calls = nil
	ids, errs = walk(seq)
	require.Empty(t, errs)
	assert.Equal(t, []string{"a", "b"}, ids)
	assert.Equal(t, []string{"c1", "c2"}, e.cursors())
	assert.Equal(t, 10, e.calls[0].Limit)
}

func TestIterYieldsPointersIntoThePage(t *testing.T) {
	t.Parallel()
	e := &endpoint{pages: map[string]page{"": {[]string{"a", "b"}, "c1"}, "c1": {[]string{"c"}, ""}}}
	var got []*listItem
	for it, err := range e.iter(t.Context(), nil) {
		require.NoError(t, err)
		got = append(got, it)
	}
	require.Len(t, got, 3)
	assert.Same(t, &e.sent[0].Items[0], got[0])
	assert.Same(t, &e.sent[0].Items[1], got[1])
	assert.Same(t, &e.sent[1].Items[0], got[2])
}

type ctxKey struct{}

func TestIterCallsWithItsContext(t *testing.T) {
	t.Parallel()
	e := &endpoint{pages: map[string]page{"": {[]string{"a"}, "c1"}, "c1": {[]string{"b"}, ""}}}
	ctx := context.WithValue(t.Context(), ctxKey{}, "mine")
	_, errs := walk(e.iter(ctx, nil))
	require.Empty(t, errs)
	require.Len(t, e.ctxs, 2)
	for _, c := range e.ctxs {
		assert.Equal(t, "mine", c.Value(ctxKey{}))
	}
}

// An offset endpoint: the cursor is an int, 0 is the first page and "no
// next page" alike.
type offsetRequest struct {
	Offset, Limit int
}

type offsetResponse struct {
	Items      []int
	NextOffset int
}

func TestIterOverOffsets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		pages     map[int]offsetResponse
		req       *offsetRequest
		want      []int
		wantCalls []int
	}{{
		name:      "to a zero next offset",
		pages:     map[int]offsetResponse{0: {[]int{1, 2}, 2}, 2: {[]int{3, 4}, 4}, 4: {[]int{5}, 0}},
		want:      []int{1, 2, 3, 4, 5},
		wantCalls: []int{0, 2, 4},
	}, {
		name:      "from the request's offset",
		pages:     map[int]offsetResponse{2: {[]int{3, 4}, 4}, 4: {[]int{5}, 0}},
		req:       &offsetRequest{Offset: 2, Limit: 2},
		want:      []int{3, 4, 5},
		wantCalls: []int{2, 4},
	}, {
		name:      "until an offset comes back",
		pages:     map[int]offsetResponse{0: {[]int{1}, 1}, 1: {[]int{2}, 2}, 2: {[]int{3}, 1}},
		want:      []int{1, 2, 3},
		wantCalls: []int{0, 1, 2},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls []int
			statistic := func(_ context.Context, r *offsetRequest) (*offsetResponse, error) {
				calls = append(calls, r.Offset)
				p := tc.pages[r.Offset]
				return &p, nil
			}
			var got []int
			for n, err := range Iter(t.Context(), tc.req, statistic, func(r *offsetRequest) *int { return &r.Offset },
				func(p *offsetResponse) ([]int, int) { return p.Items, p.NextOffset }) {
				require.NoError(t, err)
				got = append(got, *n)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantCalls, calls)
		})
	}
}

func TestIterNeedsItsFunctions(t *testing.T) {
	t.Parallel()
	e := &endpoint{}
	for name, seq := range map[string]iter.Seq2[*listItem, error]{
		"page":   Iter[listRequest, listResponse, listItem, string](t.Context(), nil, nil, cursorOf, itemsOf),
		"cursor": Iter(t.Context(), nil, e.list, nil, itemsOf),
		"items":  Iter[listRequest, listResponse, listItem, string](t.Context(), nil, e.list, cursorOf, nil),
	} {
		ids, errs := walk(seq)
		assert.Empty(t, ids, name)
		assert.Len(t, errs, 1, name)
	}
	assert.Empty(t, e.calls)
}

func TestIterRefusesANilPage(t *testing.T) {
	t.Parallel()
	calls := 0
	nothing := func(context.Context, *listRequest) (*listResponse, error) { calls++; return nil, nil }
	ids, errs := walk(Iter(t.Context(), nil, nothing, cursorOf, itemsOf))
	assert.Empty(t, ids)
	assert.Len(t, errs, 1)
	assert.Equal(t, 1, calls)
}

func TestIDs(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	idOf := func(it *listItem) string { return it.ID }

	e := &endpoint{pages: map[string]page{"": {[]string{"a", "b"}, "c1"}, "c1": {[]string{"c"}, ""}}}
	var ids []string
	for id, err := range IDs(e.iter(t.Context(), nil), idOf) {
		require.NoError(t, err)
		ids = append(ids, id)
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)

	// An error is yielded once with the zero id, then nothing more.
	e = &endpoint{pages: map[string]page{"": {[]string{"a"}, "c1"}}, fail: map[string]error{"c1": boom}}
	var errs []error
	ids = nil
	for id, err := range IDs(e.iter(t.Context(), nil), idOf) {
		if err != nil {
			assert.Empty(t, id)
			errs = append(errs, err)
			continue
		}
		ids = append(ids, id)
	}
	assert.Equal(t, []string{"a"}, ids)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], boom)

	// A break stops the walk underneath.
	e = &endpoint{pages: map[string]page{"": {[]string{"a"}, "c1"}, "c1": {[]string{"b"}, ""}}}
	for range IDs(e.iter(t.Context(), nil), idOf) {
		break
	}
	assert.Equal(t, []string{""}, e.cursors())

	for _, seq := range []iter.Seq2[string, error]{IDs(nil, idOf), IDs[listItem, string](e.iter(t.Context(), nil), nil)} {
		n := 0
		for _, err := range seq {
			assert.Error(t, err)
			n++
		}
		assert.Equal(t, 1, n)
	}
}
