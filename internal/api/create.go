package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// createSlack widens the window in which a create that may have reached
// WeCom was made, for the difference between the client's clock and WeCom's.
const createSlack = 5 * time.Minute

// Create calls a POST endpoint that creates something (add_contact_way,
// add_msg_template, customer_acquisition/create_link...): never re-sent once
// it may have reached WeCom. Such a failure becomes a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown) whose window
// is read on c's clock (Client.Now) and whose Hint is hint(since, until):
// how to find out whether the thing was created, typically the list call
// and the window to list. Every other outcome is returned as it is.
func Create(ctx context.Context, c *wecom.Client, path string, body, out any, hint func(since, until time.Time) string) error {
	start := c.Now()
	err := Write(ctx, c, path, body, out)
	if err == nil || !errors.Is(err, wecom.ErrOutcomeUnknown) {
		return err
	}
	since, until := start.Add(-createSlack), c.Now().Add(createSlack)
	h := "look for one created " + Window(since, until)
	if hint != nil {
		h = hint(since, until)
	}
	return &wecom.MaybeCreatedError{Path: path, Since: since, Until: until, Hint: h, Err: err}
}

// Window formats a creation window for a hint as WeCom's list calls take
// it, with the same times readable: "start_time=1764... end_time=1764...
// (2025-11-20T10:00:00Z to 2025-11-20T10:10:00Z)".
func Window(since, until time.Time) string {
	return fmt.Sprintf("start_time=%d end_time=%d (%s to %s)", since.Unix(), until.Unix(),
		since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
}
