package message_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// setup starts a fake WeCom (testkit.Setup) and returns it with a Service
// wired to it.
func setup(t testing.TB, opts ...testkit.Option) (*wecomtest.Server, *message.Service) {
	t.Helper()
	srv, c := testkit.Setup(t, opts...)
	return srv, message.New(c)
}

// tag creates a corp tag named name and marks it on customers exts as
// member userID sees them; it returns the tag id. It goes through the
// contact package, so that the fake's contact state holds the tags.
func tag(t testing.TB, srv *wecomtest.Server, name, userID string, exts ...string) string {
	t.Helper()
	cs := contact.New(srv.Client())
	g, err := cs.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "group " + name, Tag: []contact.NewTag{{Name: name}}})
	require.NoError(t, err)
	require.Len(t, g.Tag, 1)
	id := g.Tag[0].ID
	for _, ext := range exts {
		require.NoError(t, cs.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: userID, ExternalUserID: ext, AddTag: []string{id}}))
	}
	return id
}

// text is a short Text.
func text(s string) *message.Text { return &message.Text{Content: s} }

// shape returns a Service over a client whose transport is an httpmock
// expecting exactly the requests registered with the returned Mock.
func shape(t *testing.T) (*message.Service, *shapetest.Mock) {
	c, m := shapetest.New(t)
	return message.New(c), m
}

func post(path, body string) shapetest.Call {
	return shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/" + path, Body: body}
}

// TestNewWithMediaCache: a Service uploads through the MediaCache it is
// given; without one (or with nil) through a cache of its own over the
// client's Store.
func TestNewWithMediaCache(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	const upload = "/cgi-bin/media/upload"
	file := func() *wecom.MediaSource { return wecom.MediaFromBytes("sale.png", []byte("…png…")) }

	// A cache whose calls all fail (its margin is invalid): the Service's
	// upload is refused by it, and nothing is sent.
	bad := wecom.NewMediaCache(c, wecom.WithRefreshMargin(-time.Second))
	svc := message.New(c, message.WithMediaCache(bad))
	assert.Same(t, bad, svc.MediaCache())
	assert.Same(t, c, svc.Client())
	_, err := svc.Attachment(t.Context(), message.MsgImage, file())
	require.ErrorContains(t, err, "refresh margin")
	assert.Zero(t, srv.Count(upload))

	// The default cache (nil options are skipped, a nil cache is ignored).
	own := message.New(c, nil, message.WithMediaCache(nil))
	require.NotNil(t, own.MediaCache())
	first, err := own.Attachment(t.Context(), message.MsgImage, file())
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(upload))

	// A cache over another Store is shared by the Services given it: one
	// upload of its own, then none.
	shared := wecom.NewMediaCache(srv.Client(wecom.WithStore(wecom.NewMemoryStore())))
	a, b := message.New(c, message.WithMediaCache(shared)), message.New(c, message.WithMediaCache(shared))
	second, err := a.Attachment(t.Context(), message.MsgImage, file())
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(upload), "not the default cache's entry")
	assert.NotEqual(t, first, second)
	third, err := b.Attachment(t.Context(), message.MsgImage, file())
	require.NoError(t, err)
	assert.Equal(t, second, third)
	assert.Equal(t, 2, srv.Count(upload), "one upload through the shared cache")
}

// TestPageLimitsAboveTheMaximumAreClamped: a page size above an endpoint's
// maximum is sent as the maximum, the same way on every paged method. The
// mass-send and Moments record pages document that WeCom takes its default
// for a larger one (「超过最大值时取默认值」), which would silently give
// smaller pages than asked.
func TestPageLimitsAboveTheMaximumAreClamped(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ctx := t.Context()
	const base = "/cgi-bin/externalcontact/"
	for _, tc := range []struct {
		path string
		want float64
		call func() error
	}{
		{"get_groupmsg_list_v2", 100, func() error {
			_, err := svc.ListGroupMsgs(ctx, &message.ListGroupMsgsRequest{StartTime: 1, EndTime: 2, Limit: 5000})
			return err
		}},
		{"get_groupmsg_task", 1000, func() error {
			_, err := svc.GetGroupMsgTask(ctx, &message.GetGroupMsgTaskRequest{MsgID: "m", Limit: 5000})
			return err
		}},
		{"get_groupmsg_send_result", 1000, func() error {
			_, err := svc.GetGroupMsgSendResult(ctx, &message.GetGroupMsgSendResultRequest{MsgID: "m", UserID: "u", Limit: 5000})
			return err
		}},
		{"get_moment_list", 20, func() error {
			_, err := svc.ListMoments(ctx, &message.ListMomentsRequest{StartTime: 1, EndTime: 2, Limit: 5000})
			return err
		}},
		{"get_moment_task", 1000, func() error {
			_, err := svc.GetMomentTask(ctx, &message.GetMomentTaskRequest{MomentID: "m", Limit: 5000})
			return err
		}},
		{"get_moment_customer_list", 1000, func() error {
			_, err := svc.ListMomentCustomers(ctx, &message.ListMomentCustomersRequest{MomentID: "m", UserID: "u", Limit: 5000})
			return err
		}},
		{"get_moment_send_result", 5000, func() error {
			_, err := svc.GetMomentSendResult(ctx, &message.GetMomentSendResultRequest{MomentID: "m", UserID: "u", Limit: 9000})
			return err
		}},
		{"moment_strategy/list", 1000, func() error {
			_, err := svc.ListMomentStrategies(ctx, &message.ListMomentStrategiesRequest{Limit: 5000})
			return err
		}},
		{"moment_strategy/get_range", 1000, func() error {
			_, err := svc.GetMomentStrategyRange(ctx, &message.GetMomentStrategyRangeRequest{StrategyID: 1, Limit: 5000})
			return err
		}},
	} {
		srv.ResetRequests()
		_ = tc.call() // the answer does not matter: what was sent does
		assert.Equal(t, tc.want, testkit.LastBody(t, srv, base+tc.path)["limit"], tc.path)
	}
}
