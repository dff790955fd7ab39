package message_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

var bg = context.Background()

// setup starts a fake WeCom and returns it with a Service wired to it.
func setup(t testing.TB, opts ...wecomtest.Option) (*wecomtest.Server, *message.Service) {
	t.Helper()
	srv := wecomtest.NewServer(t, opts...)
	return srv, message.New(srv.Client())
}

// seed enables staff and adds n customers spread over them.
func seed(t testing.TB, srv *wecomtest.Server, n int, staff ...string) []string {
	t.Helper()
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff(staff...))
	ids, err := srv.Corp(srv.CorpID).SeedCustomers(n, staff)
	require.NoError(t, err)
	return ids
}

// tag creates a corp tag named name and marks it on customer ext as member
// userID sees him; it returns the tag id. It goes through the contact
// package, so that the fake's contact state holds the tags.
func tag(t testing.TB, srv *wecomtest.Server, name, userID string, exts ...string) string {
	t.Helper()
	cs := contact.New(srv.Client())
	g, err := cs.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "group " + name, Tag: []contact.NewTag{{Name: name}}})
	require.NoError(t, err)
	require.Len(t, g.Tag, 1)
	id := g.Tag[0].ID
	for _, ext := range exts {
		require.NoError(t, cs.MarkTag(bg, &contact.MarkTagRequest{UserID: userID, ExternalUserID: ext, AddTag: []string{id}}))
	}
	return id
}

// fakeClock is a clock tests move by hand; Sleep moves it instead of
// waiting, so that pollers run without real sleeping.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func wantCode(t testing.TB, err error, code int) {
	t.Helper()
	require.Equal(t, code, wecom.ErrorCode(err), "err = %v", err)
}

// text is a short Text.
func text(s string) *message.Text { return &message.Text{Content: s} }
