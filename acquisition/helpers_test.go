package acquisition_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// setup starts a fake WeCom with members zhangsan, lisi and wangwu and 1000
// units of quota, and returns it with a Service of its self-built app.
func setup(t testing.TB, opts ...wecom.Option) (*wecomtest.Server, *acquisition.Service) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi", "wangwu"))
	_, err := srv.Corp(srv.CorpID).Acquisition().GrantQuota(t.Context(), 1000, time.Now().AddDate(0, 6, 0))
	require.NoError(t, err)
	return srv, acquisition.New(srv.Client(opts...))
}

// newLink creates a link for the given members.
func newLink(t testing.TB, svc *acquisition.Service, name string, users ...string) *acquisition.Link {
	t.Helper()
	l, err := svc.CreateLink(context.Background(), &acquisition.CreateLinkRequest{
		LinkName: name, Range: acquisition.Range{UserList: users}})
	require.NoError(t, err)
	return l
}

// thirdPartyApp installs a third-party suite in the default corp and returns
// a Service of that app: a second app of the same corp.
func thirdPartyApp(t testing.TB, srv *wecomtest.Server, suiteID string) *acquisition.Service {
	t.Helper()
	srv.AddSuite(suiteID, "suite-secret")
	s := wecom.NewSuite(suiteID, "suite-secret", srv.SuiteOptions()...)
	ctx := context.Background()
	require.NoError(t, s.SetTicket(ctx, srv.Suite(suiteID).IssueTicket()))
	authCode, err := srv.Suite(suiteID).Install(ctx, srv.CorpID, "")
	require.NoError(t, err)
	_, err = s.HandleCreateAuth(ctx, authCode)
	require.NoError(t, err)
	return acquisition.New(s.Corp(srv.CorpID))
}

// lastBody decodes the body of the last request the server got for path.
func lastBody(t testing.TB, srv *wecomtest.Server, path string) map[string]any {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			var m map[string]any
			require.NoError(t, json.Unmarshal(reqs[i].Body, &m), "%s body %q", path, reqs[i].Body)
			return m
		}
	}
	t.Fatalf("no request for %s", path)
	return nil
}

// raw posts body to path through the client, bypassing the SDK's checks,
// to see what the fake answers.
func raw(t testing.TB, srv *wecomtest.Server, path string, body any) error {
	t.Helper()
	return srv.Client().Do(context.Background(), &wecom.Request{Path: path, Body: body, Op: wecom.OpRead})
}

func wecomtestFault(code int) wecomtest.Fault { return wecomtest.Fault{Errcode: code} }

// clock is a settable clock for the fake, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
