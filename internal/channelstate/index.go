package channelstate

import (
	"context"
	"encoding/json"
	"slices"
)

// The index is one Store value: the JSON array of the channels that have a
// record, sorted. It is changed with CompareAndSwap, so instances adding
// channels at once do not lose each other's.

func (r *Registry[T]) indexKey() string { return r.Prefix + "index" }

// Channels returns the channels that have a record, sorted (Index only).
func (r *Registry[T]) Channels(ctx context.Context) ([]string, error) {
	list, _, corrupt, err := r.readIndex(ctx)
	if err == nil && corrupt {
		err = r.errorf("the stored channel index is corrupt; Ensure each channel again to rebuild it")
	}
	return list, err
}

// Records returns the record of every channel in the index, ordered by
// channel name; a channel whose record is gone (or not made yet) is left
// out.
func (r *Registry[T]) Records(ctx context.Context) ([]*T, error) {
	names, err := r.Channels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(names))
	for _, n := range names {
		rec, ok, err := r.Lookup(ctx, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// readIndex reads the index; a corrupt one is reported with its raw value,
// so that the next change replaces it.
func (r *Registry[T]) readIndex(ctx context.Context) (list []string, raw string, corrupt bool, err error) {
	raw, ok, err := r.Store.Get(ctx, r.indexKey())
	if err != nil || !ok {
		return nil, "", false, err
	}
	if raw == "" {
		// An empty value cannot be swapped (CompareAndSwap's old "" means
		// absent): drop it.
		return nil, "", true, r.Store.Delete(ctx, r.indexKey())
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, raw, true, nil
	}
	return list, raw, false, nil
}

func (r *Registry[T]) addIndex(ctx context.Context, channel string) error {
	return r.changeIndex(ctx, func(list []string) ([]string, bool) {
		i, found := slices.BinarySearch(list, channel)
		if found {
			return list, false
		}
		return slices.Insert(list, i, channel), true
	})
}

func (r *Registry[T]) removeIndex(ctx context.Context, channel string) error {
	return r.changeIndex(ctx, func(list []string) ([]string, bool) {
		i, found := slices.BinarySearch(list, channel)
		if !found {
			return list, false
		}
		return slices.Delete(list, i, i+1), true
	})
}

func (r *Registry[T]) changeIndex(ctx context.Context, change func([]string) ([]string, bool)) error {
	for {
		list, raw, _, err := r.readIndex(ctx)
		if err != nil {
			return err
		}
		if !slices.IsSorted(list) {
			slices.Sort(list)
			list = slices.Compact(list)
		}
		next, changed := change(list)
		if !changed && raw != "" {
			return nil
		}
		val := ""
		if len(next) > 0 {
			b, _ := json.Marshal(next)
			val = string(b)
		}
		if val == raw {
			return nil
		}
		swapped, err := r.Store.CompareAndSwap(ctx, r.indexKey(), raw, val, 0)
		if err != nil {
			return err
		}
		if swapped {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
