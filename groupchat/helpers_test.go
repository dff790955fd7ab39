package groupchat_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

var bg = context.Background()

// setup starts a fake WeCom with members that have customer contact and
// returns it with a Service wired to it.
func setup(t testing.TB, staff ...string) (*wecomtest.Server, *groupchat.Service) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	if len(staff) == 0 {
		staff = []string{"owner1", "owner2", "heir"}
	}
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff(staff...))
	return srv, groupchat.New(srv.Client())
}

// customers seeds n customers followed by the first staff member.
func customers(t testing.TB, srv *wecomtest.Server, n int, staff string) []string {
	t.Helper()
	ids, err := srv.Corp(srv.CorpID).SeedCustomers(n, []string{staff})
	require.NoError(t, err)
	return ids
}

// newChat creates a group owned by owner with members.
func newChat(t testing.TB, srv *wecomtest.Server, owner, name string, members ...string) string {
	t.Helper()
	id, err := srv.Corp(srv.CorpID).GroupChats().Create(bg, wecomtest.GroupChatSpec{Owner: owner, Name: name, Members: members})
	require.NoError(t, err)
	return id
}

// tracked is a fake WeCom whose change_external_chat events reach a
// callback handler with a Tracker registered on it.
type tracked struct {
	srv    *wecomtest.Server
	svc    *groupchat.Service
	tr     *groupchat.Tracker
	h      *callback.Handler
	pusher *wecomtest.Pusher
}

func setupTracked(t testing.TB, hopts []callback.Option, topts ...groupchat.TrackerOption) *tracked {
	t.Helper()
	srv, svc := setup(t)
	token, key := "groupchatToken", wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, key, append([]callback.Option{callback.WithReceiverID(srv.CorpID)}, hopts...)...)
	require.NoError(t, err)
	tr := groupchat.NewTracker(svc, topts...)
	tr.Register(h)
	cb := httptest.NewServer(h)
	t.Cleanup(cb.Close)
	p := srv.Corp(srv.CorpID).SetCallback(cb.URL, token, key).Pusher()
	p.Attempts = 1
	return &tracked{srv: srv, svc: svc, tr: tr, h: h, pusher: p}
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

func requireInvalid(t testing.TB, err error) {
	t.Helper()
	require.ErrorIs(t, err, groupchat.ErrInvalidArgument)
}

func requireCode(t testing.TB, err error, code int) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, wecom.ErrorCode(err), "err %v", err)
}

func ids(members []groupchat.Member) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.UserID
	}
	return out
}
