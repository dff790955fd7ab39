// Package testkit is what the SDK's tests share: a fake WeCom with a client
// wired to it, seeding, a fake clock, the last request's body, a guarded
// channel receive (Recv) and error expectations.
//
//	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"))
//	svc := contact.New(c)
//	ids := testkit.Seed(t, srv, 3, "zhangsan")
//	name, err := svc.CustomerName(t.Context(), ids[0])
//	require.NoError(t, err)
//	_, err = svc.CustomerName(t.Context(), "")
//	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
//
// It is test support: it imports wecom, callback and wecomtest, never an API
// package (contact, groupchat, message, acquisition...), so that each of
// those can use it from its own tests. Every call that builds the fake's
// world (members, customers, groups, quota, apps, callbacks) is in world.go,
// the one file to follow when wecomtest's world-building methods change.
package testkit

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Option configures Setup.
type Option func(*config)

type config struct {
	server []wecomtest.Option
	client []wecom.Option
	staff  []string
}

// WithServerOptions passes options to the fake (wecomtest.WithClock,
// wecomtest.WithTokenTTL...).
func WithServerOptions(opts ...wecomtest.Option) Option {
	return func(c *config) { c.server = append(c.server, opts...) }
}

// WithClientOptions passes options to the client, after the ones that wire
// it to the fake (so they win).
func WithClientOptions(opts ...wecom.Option) Option {
	return func(c *config) { c.client = append(c.client, opts...) }
}

// WithStaff enables members with customer contact (客户联系) in the fake's
// default corp before Setup returns.
func WithStaff(userIDs ...string) Option {
	return func(c *config) { c.staff = append(c.staff, userIDs...) }
}

// WithClock runs the fake on clk: the times it stamps (customers added,
// codes issued, tasks created) and the windows it enforces (tokens, welcome
// codes) follow clk, not the wall clock.
func WithClock(clk *Clock) Option {
	return WithServerOptions(wecomtest.WithClock(clk.Now))
}

// Setup starts a fake WeCom that is closed when the test ends and returns
// it with a client of its default corp wired to it: loopback only, and
// retries that wait milliseconds (wecomtest.FastRetry) so that tests of
// retries stay fast.
func Setup(t testing.TB, opts ...Option) (*wecomtest.Server, *wecom.Client) {
	t.Helper()
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	srv := wecomtest.NewServer(t, cfg.server...)
	if len(cfg.staff) > 0 {
		Staff(t, srv, cfg.staff...)
	}
	return srv, srv.Client(cfg.client...)
}

// LastBody decodes the JSON body of the last request the fake got for path
// and fails the test when there is none: for asserting on a field the SDK
// sent (or left out).
func LastBody(t testing.TB, srv *wecomtest.Server, path string) map[string]any {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			var m map[string]any
			require.NoError(t, json.Unmarshal(reqs[i].Body, &m), "%s: body %q", path, reqs[i].Body)
			return m
		}
	}
	require.FailNow(t, "no request for "+path)
	return nil
}

// Raw posts body to path through c as a read, bypassing every check of the
// API packages, to see what the fake (or WeCom) answers to a request the
// SDK would refuse.
func Raw(t testing.TB, c *wecom.Client, path string, body any) error {
	t.Helper()
	return c.Do(t.Context(), &wecom.Request{Path: path, Body: body, Op: wecom.OpRead})
}
