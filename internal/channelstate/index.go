package channelstate

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/scrmkit/scrm/internal/kv"
)

// The index is one Store value: the JSON array of the names of the
// channels that have a record, sorted. It is changed through kv.Update
// (compare-and-swap), so instances adding channels at once do not lose
// each other's, and a corrupt index is rebuilt by the next change.

func (e *Engine[D, R]) indexKey() string { return e.cfg.Prefix + "index" }

// Names returns the names of the channels that have a record, sorted.
func (e *Engine[D, R]) Names(ctx context.Context) ([]string, error) {
	raw, ok, err := e.cfg.Store.Get(ctx, e.indexKey())
	if err != nil || !ok {
		return nil, err
	}
	list, corrupt := parseIndex(raw)
	if corrupt {
		return nil, e.errorf("the stored channel index is corrupt; Ensure each channel again to rebuild it")
	}
	return list, nil
}

// parseIndex decodes an index, sorted; corrupt is set for a value that is
// no JSON array of names, which a change replaces.
func parseIndex(raw string) (list []string, corrupt bool) {
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, true
	}
	if !slices.IsSorted(list) {
		slices.Sort(list)
		list = slices.Compact(list)
	}
	return list, false
}

func (e *Engine[D, R]) addIndex(ctx context.Context, name string) error {
	return e.changeIndex(ctx, name, true)
}

func (e *Engine[D, R]) removeIndex(ctx context.Context, name string) error {
	return e.changeIndex(ctx, name, false)
}

// errEmptyIndex ends a change of an index stored as "", which no
// compare-and-swap can replace (its old "" means absent).
var errEmptyIndex = errors.New("empty index")

func (e *Engine[D, R]) changeIndex(ctx context.Context, name string, add bool) error {
	change := func(raw string, ok bool) (string, error) {
		if ok && raw == "" {
			return "", errEmptyIndex
		}
		var list []string
		corrupt := false
		if ok {
			list, corrupt = parseIndex(raw)
		}
		i, found := slices.BinarySearch(list, name)
		switch {
		case add && !found:
			list = slices.Insert(list, i, name)
		case !add && found:
			list = slices.Delete(list, i, i+1)
		case !corrupt:
			return raw, nil
		}
		if len(list) == 0 {
			return "", nil
		}
		b, err := json.Marshal(list)
		return string(b), err
	}
	err := kv.Update(ctx, e.cfg.Store, e.indexKey(), 0, change)
	if errors.Is(err, errEmptyIndex) {
		if err := e.cfg.Store.Delete(ctx, e.indexKey()); err != nil {
			return err
		}
		err = kv.Update(ctx, e.cfg.Store, e.indexKey(), 0, change)
	}
	return err
}
