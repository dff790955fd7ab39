package api

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const createPath = "/cgi-bin/externalcontact/add_msg_template"

func TestCreateWindowIsOnTheClientsClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	srv := wecomtest.NewServer(t)
	c := srv.Client(wecom.WithClock(func() time.Time { return at }))
	srv.Fail(createPath, wecomtest.Fault{Drop: true})
	var since, until time.Time
	err := Create(t.Context(), c, createPath, struct{}{}, nil, func(s, u time.Time) string {
		since, until = s, u
		return "list it " + Window(s, u)
	})
	var mc *wecom.MaybeCreatedError
	require.ErrorAs(t, err, &mc)
	assert.ErrorIs(t, err, wecom.ErrOutcomeUnknown)
	assert.Equal(t, createPath, mc.Path)
	assert.Equal(t, at.Add(-createSlack), mc.Since)
	assert.Equal(t, at.Add(createSlack), mc.Until)
	assert.Equal(t, mc.Since, since, "the hint is written from the same window")
	assert.Equal(t, mc.Until, until)
	assert.Equal(t, "list it start_time=1763632500 end_time=1763633100 (2025-11-20T09:55:00Z to 2025-11-20T10:05:00Z)", mc.Hint)
	assert.Contains(t, err.Error(), mc.Hint)
	assert.Equal(t, 1, srv.Count(createPath), "never re-sent")
}

func TestCreatePassesOtherOutcomesThrough(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	c := srv.Client()
	hint := func(time.Time, time.Time) string { assert.Fail(t, "hint written for a definite outcome"); return "" }

	// A definite refusal: nothing was created, the *wecom.Error as it is.
	srv.Fail(createPath, wecomtest.Fault{Errcode: wecom.CodeAPIForbidden})
	err := Create(t.Context(), c, createPath, struct{}{}, nil, hint)
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))
	var mc *wecom.MaybeCreatedError
	assert.False(t, errors.As(err, &mc))

	// Success.
	type tag struct {
		Name string `json:"name"`
	}
	body := struct {
		GroupName string `json:"group_name"`
		Tag       []tag  `json:"tag"`
	}{"g", []tag{{"t"}}}
	var out struct {
		TagGroup struct {
			GroupID string `json:"group_id"`
		} `json:"tag_group"`
	}
	require.NoError(t, Create(t.Context(), c, "/cgi-bin/externalcontact/add_corp_tag", body, &out, hint))
	assert.NotEmpty(t, out.TagGroup.GroupID)

	// Without a hint function the window is still named.
	srv.Fail(createPath, wecomtest.Fault{HTTPStatus: 502})
	err = Create(t.Context(), c, createPath, struct{}{}, nil, nil)
	require.ErrorAs(t, err, &mc)
	assert.Contains(t, mc.Hint, "start_time=")
}
