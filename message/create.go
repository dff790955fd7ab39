package message

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// createSlack widens the window in which a create that may have reached
// WeCom was made, for the difference between our clock and WeCom's.
const createSlack = 5 * time.Minute

// MaybeCreatedError is the error of a create (add_msg_template,
// add_moment_task, group_welcome_template/add, moment_strategy/create) that
// failed after the request may have reached WeCom: WeCom may or may not
// have created the thing. It matches wecom.ErrOutcomeUnknown; the SDK never
// re-sends such a request, because WeCom would create a second task.
//
// Find out before creating it again: list what was created between Since
// and Until (Hint says with which call) and look for it.
type MaybeCreatedError struct {
	Path         string    // the endpoint, e.g. /cgi-bin/externalcontact/add_msg_template
	Since, Until time.Time // the creation time, if it happened, lies in between
	Hint         string    // how to look
	Err          error     // the underlying failure; matches wecom.ErrOutcomeUnknown
}

func (e *MaybeCreatedError) Error() string {
	return fmt.Sprintf("%v; it was not re-sent: to find out whether it was created, %s", e.Err, e.Hint)
}

func (e *MaybeCreatedError) Unwrap() error { return e.Err }

// create calls a create endpoint; an outcome-unknown failure becomes a
// *MaybeCreatedError whose hint hint writes from the window.
func (s *Service) create(ctx context.Context, path string, body, out any, hint func(since, until time.Time) string) error {
	start := s.clock()
	err := s.write(ctx, path, body, out)
	if err == nil || !errors.Is(err, wecom.ErrOutcomeUnknown) {
		return err
	}
	since, until := start.Add(-createSlack), s.clock().Add(createSlack)
	return &MaybeCreatedError{Path: path, Since: since, Until: until, Hint: hint(since, until), Err: err}
}

// windowHint formats a time window for a hint.
func windowHint(since, until time.Time) string {
	return fmt.Sprintf("start_time=%d end_time=%d (%s to %s)", since.Unix(), until.Unix(),
		since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
}
