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
