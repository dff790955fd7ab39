package mirror

import (
	"context"
	"fmt"
	"slices"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
)

// ReconcileReport is what one Reconcile call did.
type ReconcileReport struct {
	Generation int64
	// Resumed is set when the call went on from a stopped run's Checkpoint.
	Resumed bool
	// Relations and Groups count the rows this call upserted.
	Relations, Groups int
	// SkippedOneWay counts relations WeCom listed that their customer had
	// deleted (see the package doc).
	SkippedOneWay int
	// DeletedRelations and DeletedGroups count what the sweep removed.
	DeletedRelations, DeletedGroups int
	// Unlicensed are members whose relations WeCom's bulk read left out;
	// the sink keeps theirs.
	Unlicensed []string
}

// Reconcile brings the sink in step with WeCom (see the package doc): it
// goes on from the sink's Checkpoint when the last run stopped, else starts
// the next generation. It saves the Checkpoint after every page, so that an
// error (the report then says what was done) loses nothing: call Reconcile
// again. Run one at a time per sink.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92120
func (m *Mirror) Reconcile(ctx context.Context) (*ReconcileReport, error) {
	cp, err := m.sink.LoadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("mirror: load checkpoint: %w", err)
	}
	rep := &ReconcileReport{}
	if cp == nil || cp.Done {
		var gen int64 = 1
		if cp != nil {
			gen = cp.Generation + 1
		}
		cp = &Checkpoint{Generation: gen, StartedAt: m.now()}
		if err := m.sink.SaveCheckpoint(ctx, cp); err != nil {
			return nil, fmt.Errorf("mirror: save checkpoint: %w", err)
		}
	} else {
		rep.Resumed = true
	}
	rep.Generation = cp.Generation
	if !cp.CustomersDone {
		if err := m.reconcileCustomers(ctx, cp, rep); err != nil {
			return rep, err
		}
	}
	if !cp.GroupsDone {
		if err := m.reconcileGroups(ctx, cp, rep); err != nil {
			return rep, err
		}
	}
	rep.Unlicensed = cp.Unlicensed
	n, err := m.sink.SweepRelations(ctx, cp.Generation, cp.StartedAt, cp.Unlicensed)
	if err != nil {
		return rep, fmt.Errorf("mirror: sweep relations: %w", err)
	}
	rep.DeletedRelations = n
	unseen, err := m.sink.UnseenGroups(ctx, cp.Generation, cp.StartedAt)
	if err != nil {
		return rep, fmt.Errorf("mirror: unseen groups: %w", err)
	}
	for _, id := range unseen {
		// groupchat/list leaves out a resigned owner's groups: ask for
		// each before deleting it.
		_, err := m.groups.Get(ctx, &groupchat.GetRequest{ChatID: id})
		switch {
		case groupchat.IsNotFound(err):
			if err := m.sink.DeleteGroup(ctx, id); err != nil {
				return rep, fmt.Errorf("mirror: delete group %s: %w", id, err)
			}
			rep.DeletedGroups++
		case err != nil:
			return rep, fmt.Errorf("mirror: group %s: %w", id, err)
		default:
			if err := m.refreshGroup(ctx, id, cp.Generation); err != nil {
				return rep, fmt.Errorf("mirror: group %s: %w", id, err)
			}
			rep.Groups++
		}
	}
	cp.Done = true
	if err := m.sink.SaveCheckpoint(ctx, cp); err != nil {
		return rep, fmt.Errorf("mirror: save checkpoint: %w", err)
	}
	return rep, nil
}

func (m *Mirror) reconcileCustomers(ctx context.Context, cp *Checkpoint, rep *ReconcileReport) error {
	oneWay := map[string]map[string]int64{} // per member, read once per run
	readSince := m.now()
	for page, err := range m.contacts.Sync(ctx, cp.Customers, m.syncOpts...) {
		if err != nil {
			if at, ok := contact.CheckpointOf(err); ok {
				cp.Customers = &at
				if serr := m.sink.SaveCheckpoint(ctx, cp); serr != nil {
					m.log.WarnContext(ctx, "mirror: could not save the reconcile's checkpoint", "error", serr)
				}
			}
			return fmt.Errorf("mirror: reconcile generation %d: %w", cp.Generation, err)
		}
		for i := range page.Records {
			rec := &page.Records[i]
			user, ext := rec.FollowInfo.UserID, rec.ExternalContact.ExternalUserID
			if m.deletedSince(user, ext, readSince) {
				continue // an event deleted it after this page was read
			}
			set, ok := oneWay[user]
			if !ok {
				var err error
				if set, err = m.oneWaySet(ctx, user); err != nil {
					return fmt.Errorf("mirror: %w", err)
				}
				oneWay[user] = set
			}
			if at, found := set[ext]; found && at >= rec.FollowInfo.CreateTime.Time().Unix() {
				rep.SkippedOneWay++
				continue
			}
			if err := m.sink.UpsertRelation(ctx, relationOf(rec, readSince, cp.Generation)); err != nil {
				return fmt.Errorf("mirror: upsert %s/%s: %w", user, ext, err)
			}
			rep.Relations++
		}
		for _, u := range page.Unlicensed {
			if !slices.Contains(cp.Unlicensed, u) {
				cp.Unlicensed = append(cp.Unlicensed, u)
			}
		}
		next := page.Next
		cp.Customers = &next
		if err := m.sink.SaveCheckpoint(ctx, cp); err != nil {
			return fmt.Errorf("mirror: save checkpoint: %w", err)
		}
		readSince = m.now()
	}
	cp.CustomersDone = true
	return m.sink.SaveCheckpoint(ctx, cp)
}

func (m *Mirror) reconcileGroups(ctx context.Context, cp *Checkpoint, rep *ReconcileReport) error {
	for {
		page, err := m.groups.List(ctx, &groupchat.ListRequest{Cursor: cp.GroupCursor})
		if err != nil {
			return fmt.Errorf("mirror: reconcile generation %d: groups: %w", cp.Generation, err)
		}
		for _, ref := range page.GroupChatList {
			if err := m.refreshGroup(ctx, ref.ChatID, cp.Generation); err != nil {
				return fmt.Errorf("mirror: reconcile generation %d: group %s: %w", cp.Generation, ref.ChatID, err)
			}
			rep.Groups++
		}
		if page.NextCursor == "" || page.NextCursor == cp.GroupCursor {
			break
		}
		cp.GroupCursor = page.NextCursor
		if err := m.sink.SaveCheckpoint(ctx, cp); err != nil {
			return fmt.Errorf("mirror: save checkpoint: %w", err)
		}
	}
	cp.GroupsDone = true
	return m.sink.SaveCheckpoint(ctx, cp)
}
