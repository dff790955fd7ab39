package contact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/scrmkit/scrm/wecom"
)

// Checkpoint is a position in a Sync: the batch of members being read and
// the batch/get_by_user cursor inside it. It is a plain value: store it
// (e.g. as JSON) and pass it to Sync to go on from there.
//
// A cursor is only valid for the userid_list it was issued for. On resume
// Sync recomputes the batch; when it differs from the one the cursor belongs
// to (a member joined or left inside it, another WithBatchUsers, or a
// checkpoint stored before Batch existed), the cursor is dropped and that
// batch is read again from its first page: records of that batch may come
// again, none is skipped.
type Checkpoint struct {
	// UserIndex is the index, in the sorted list of follow users, of the
	// first member of the batch.
	UserIndex int `json:"user_index"`
	// UserID is that member's userid; on resume the batch is found by it
	// when the follow-user list has changed in between.
	UserID string `json:"user_id,omitempty"`
	// Cursor is the batch/get_by_user cursor of the next page of the batch
	// ("" for its first page).
	Cursor string `json:"cursor,omitempty"`
	// Batch identifies the batch Cursor was issued for: a digest of its
	// userids (see batchID). Set whenever Cursor is.
	Batch string `json:"batch,omitempty"`
}

// String describes the position for logs; it holds no secret.
func (c Checkpoint) String() string {
	var b strings.Builder
	switch {
	case c.UserIndex == 0 && c.UserID == "":
		b.WriteString("the start")
	case c.UserID == "":
		fmt.Fprintf(&b, "member #%d", c.UserIndex+1)
	default:
		fmt.Fprintf(&b, "member #%d (%s)", c.UserIndex+1, c.UserID)
	}
	if c.Cursor != "" {
		fmt.Fprintf(&b, ", within its batch %s (cursor %q)", c.Batch, c.Cursor)
	}
	return b.String()
}

// batchID is a short digest of a batch's userids, in order: 16 hex digits
// of SHA-256 over the userids, each followed by a NUL byte.
func batchID(batch []string) string {
	h := sha256.New()
	for _, u := range batch {
		h.Write([]byte(u))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// SyncPage is one page of a Sync: up to a page of records (WithPageSize),
// one per customer and follow member, and the Checkpoint to resume from
// once they are processed.
type SyncPage struct {
	Records []CustomerRecord
	// Unlicensed lists members of the current batch that WeCom reported
	// without an interop licence (互通许可): their customers are not in the
	// sync. Each is reported once per sync, on the first page that shows it;
	// a batch whose members all lack one (WeCom's 701008) comes as a page
	// with no records, all of them here, and the sync goes on.
	Unlicensed []string
	// Next is where to resume after this page. Save it only after the
	// records are stored: while the follow-user list is unchanged, resuming
	// from it neither repeats nor skips one (see Checkpoint otherwise).
	Next Checkpoint
}

// SyncError is the error a Sync yields when a call fails. Checkpoint is the
// position of the page that failed; resuming from it repeats no record that
// was yielded and loses none.
type SyncError struct {
	Checkpoint Checkpoint
	Err        error
}

// Error describes the failure and where to resume.
func (e *SyncError) Error() string {
	what := "failed"
	if errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
		what = "was stopped"
	}
	return fmt.Sprintf("contact: sync %s at %v: %v; resume from contact.CheckpointOf(err) with Sync(ctx, &checkpoint)", what, e.Checkpoint, e.Err)
}

// Unwrap returns the failed call's error (e.g. a *wecom.Error).
func (e *SyncError) Unwrap() error { return e.Err }

// CheckpointOf returns the checkpoint carried by an error of Sync.
func CheckpointOf(err error) (Checkpoint, bool) {
	var se *SyncError
	if errors.As(err, &se) {
		return se.Checkpoint, true
	}
	return Checkpoint{}, false
}

// SyncOption tunes a Sync: WithBatchUsers, WithPageSize.
type SyncOption func(*syncConfig)

type syncConfig struct {
	batchUsers int
	pageSize   int
}

// WithBatchUsers sets how many members each batch/get_by_user call names
// (default and maximum 100; n <= 0 keeps the default).
func WithBatchUsers(n int) SyncOption {
	return func(c *syncConfig) { c.batchUsers = n }
}

// WithPageSize sets the page size of batch/get_by_user (default and maximum
// 100; n <= 0 keeps the default).
func WithPageSize(n int) SyncOption {
	return func(c *syncConfig) { c.pageSize = n }
}

// Sync streams every customer record of the corp: every member with the
// customer-contact feature (get_follow_user_list, sorted), in batches of 100
// (WithBatchUsers), and for each batch every page of batch/get_by_user
// (WithPageSize). Pages are yielded as they arrive, so memory stays constant
// whatever the corp's size. A customer followed by several members comes
// once per member. Members without an interop licence (互通许可) have their
// customers left out by WeCom; Sync reports them in SyncPage.Unlicensed and
// goes on, also when a whole batch lacks licences.
//
// from is nil for a full sync, or a checkpoint from an earlier SyncPage.Next
// or SyncError. After an error the iteration stops; resume with the error's
// checkpoint (CheckpointOf). Retries of single calls are the client's.
//
// Resuming is exact while the follow-user list and the options are
// unchanged. If the member a checkpoint names has left, the sync restarts at
// the next member's batch; if the batch a checkpoint's cursor was issued for
// has changed (a member joined or left inside it, another WithBatchUsers),
// that batch restarts from its first page. Either way records of that batch
// may come again and none is skipped.
//
// Members are read in the order of their userids, and a resume goes on from
// the checkpoint's member: a member who gets the customer-contact feature
// between a failed run and its resume is read by the resume when their
// userid sorts after the checkpoint's member (in a later batch, or in the
// checkpoint's batch, which then restarts), and is not read at all when it
// sorts before it. Their customers come with the next full sync (from nil);
// a sync that must include them resumes nothing and starts again. A member
// who leaves in between is not read again; records already yielded stay.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92994
func (s *Service) Sync(ctx context.Context, from *Checkpoint, opts ...SyncOption) iter.Seq2[*SyncPage, error] {
	var cfg syncConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return func(yield func(*SyncPage, error) bool) {
		n, limit := cfg.batchUsers, cfg.pageSize
		if n <= 0 || n > MaxBatchUsers {
			n = MaxBatchUsers
		}
		if limit <= 0 || limit > maxBatchLimit {
			limit = maxBatchLimit
		}
		var start Checkpoint
		if from != nil {
			start = *from
		}
		if start.UserIndex < 0 {
			yield(nil, &SyncError{Checkpoint: start, Err: check.Invalidf("checkpoint has a negative UserIndex")})
			return
		}
		users, err := s.ListFollowUsers(ctx)
		if err != nil {
			yield(nil, &SyncError{Checkpoint: start, Err: err})
			return
		}
		users = slices.Clone(users)
		slices.Sort(users)
		users = slices.Compact(users)

		idx, cursor := start.UserIndex, start.Cursor
		if start.UserID != "" {
			i, found := slices.BinarySearch(users, start.UserID)
			if !found {
				cursor = "" // the cursor belonged to another batch
			}
			idx = i
		}
		reported := map[string]struct{}{} // unlicensed members already reported
		for idx < len(users) {
			batch := users[idx:min(idx+n, len(users))]
			id := batchID(batch)
			if cursor != "" && start.Batch != id {
				// the cursor was issued for another userid_list (or the
				// checkpoint does not say which): read this batch again
				cursor = ""
			}
			for {
				here := Checkpoint{UserIndex: idx, UserID: batch[0], Cursor: cursor}
				if cursor != "" {
					here.Batch = id
				}
				resp, err := s.BatchGetByUser(ctx, &BatchGetByUserRequest{UserIDList: batch, Cursor: cursor, Limit: limit})
				if wecom.ErrorCode(err) == wecom.CodeNoInteropLicense {
					// Every member of the batch lacks a licence: report
					// them and go on with the next batch.
					resp, err = &BatchGetByUserResponse{FailInfo: &BatchFailInfo{UnlicensedUserIDList: batch}}, nil
				}
				if err != nil {
					yield(nil, &SyncError{Checkpoint: here, Err: err})
					return
				}
				last := resp.NextCursor == "" || resp.NextCursor == cursor
				next := Checkpoint{UserIndex: idx, UserID: batch[0], Cursor: resp.NextCursor, Batch: id}
				if last {
					next = Checkpoint{UserIndex: idx + len(batch)}
					if next.UserIndex < len(users) {
						next.UserID = users[next.UserIndex]
					}
				}
				var fresh []string
				for _, u := range resp.Unlicensed() {
					if _, seen := reported[u]; !seen {
						reported[u] = struct{}{}
						fresh = append(fresh, u)
					}
				}
				if len(resp.ExternalContactList) > 0 || len(fresh) > 0 || last {
					if !yield(&SyncPage{Records: resp.ExternalContactList, Unlicensed: fresh, Next: next}, nil) {
						return
					}
				}
				if last {
					break
				}
				cursor = resp.NextCursor
			}
			idx += len(batch)
			cursor = ""
		}
	}
}
