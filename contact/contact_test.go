package contact_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

// loseAnswer delivers the first request for path to the server and then
// drops its answer, as a connection reset after WeCom acted would.
type loseAnswer struct {
	path string
	once sync.Once
}

var errAnswerLost = errors.New("connection reset after the request was sent")

func (l *loseAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, l.path) {
		return resp, err
	}
	lost := false
	l.once.Do(func() { lost = true })
	if !lost {
		return resp, nil
	}
	resp.Body.Close()
	return nil, errAnswerLost
}

// TestDeleteAnswerLost deletes a contact way, a corp tag and a rule-group
// tag whose first answer is lost: the client repeats the delete, WeCom
// answers "not found", and IsNotFound tells the caller the thing is gone.
func TestDeleteAnswerLost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path string
		del        func(*testing.T, *contact.Service) (error, func() bool)
	}{
		{"contact way", "/del_contact_way", func(t *testing.T, svc *contact.Service) (error, func() bool) {
			w, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"a"}})
			require.NoError(t, err)
			return svc.DelContactWay(t.Context(), w.ConfigID), func() bool {
				_, err := svc.GetContactWay(t.Context(), w.ConfigID)
				return contact.IsNotFound(err)
			}
		}},
		{"corp tag", "/del_corp_tag", func(t *testing.T, svc *contact.Service) (error, func() bool) {
			g, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "G", Tag: []contact.NewTag{{Name: "x"}, {Name: "y"}}})
			require.NoError(t, err)
			return svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{TagID: []string{g.Tag[0].ID}}), func() bool {
				gs, err := svc.ListCorpTags(t.Context(), nil)
				return err == nil && len(gs) == 1 && len(gs[0].Tag) == 1
			}
		}},
		{"rule-group tag", "/del_strategy_tag", func(t *testing.T, svc *contact.Service) (error, func() bool) {
			g, err := svc.AddStrategyTag(t.Context(), &contact.AddStrategyTagRequest{StrategyID: 1, GroupName: "G", Tag: []contact.NewTag{{Name: "x"}}})
			require.NoError(t, err)
			return svc.DelStrategyTag(t.Context(), &contact.DelStrategyTagRequest{GroupID: []string{g.GroupID}}), func() bool {
				gs, err := svc.ListStrategyTags(t.Context(), nil)
				return err == nil && len(gs) == 0
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := testkit.Setup(t, testkit.WithStaff("a"),
				testkit.WithClientOptions(wecom.WithHTTPClient(&http.Client{Transport: &loseAnswer{path: tc.path}})))
			svc := contact.New(c)
			err, gone := tc.del(t, svc)
			require.Error(t, err, "the repeated delete succeeded; want WeCom's not-found answer")
			assert.True(t, contact.IsNotFound(err), "the repeated delete: %v", err)
			assert.Equal(t, 2, srv.Count("/cgi-bin/externalcontact"+tc.path), "delete calls: the lost one and its repetition")
			assert.True(t, gone(), "not deleted")
		})
	}
}

func TestIsNotFound(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t, testkit.WithStaff("a"))
	svc := contact.New(c)
	for _, err := range []error{
		svc.DelContactWay(t.Context(), "cwnone"),
		svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{TagID: []string{"etnone"}}),
		svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{GroupID: []string{"etnone"}}),
		svc.DelStrategyTag(t.Context(), &contact.DelStrategyTagRequest{TagID: []string{"stnone"}}),
		svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: "etnone", Name: "x"}),
	} {
		assert.True(t, contact.IsNotFound(err), "%v", err)
	}
	for _, err := range []error{
		nil,
		errors.New("other"),
		&wecom.Error{Code: 40058},
		&wecom.Error{Code: -1},
		svc.DelCorpTag(t.Context(), nil), // refused before sending
	} {
		assert.False(t, contact.IsNotFound(err), "%v", err)
	}
	assert.True(t, contact.IsNotFound(&wecom.Error{Code: wecom.CodeInvalidConfigID}))
	assert.True(t, contact.IsNotFound(&wecom.Error{Code: wecom.CodeInvalidTagID}))
}

// shapeService is a Service on a recording mock (package shapetest), for
// the *_shape_test.go files: each checks the exact request an endpoint
// method sends and decodes WeCom's documented example answer.
func shapeService(t *testing.T) (*contact.Service, *shapetest.Mock) {
	t.Helper()
	c, m := shapetest.New(t)
	return contact.New(c), m
}

// post is the expected call of a POST to externalcontact/path with body.
func post(path, body string) shapetest.Call {
	return shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/" + path, Body: body}
}

// TestPageLimitsAboveTheMaximumAreClamped: a page size above an endpoint's
// maximum is sent as the maximum (WeCom takes its default, or refuses, for
// a larger one), the same way on every paged method, and the caller's
// request is left as it was.
func TestPageLimitsAboveTheMaximumAreClamped(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ctx := t.Context()
	const base = "/cgi-bin/externalcontact/"
	ways := &contact.ListContactWaysRequest{Limit: 5000}
	strategies := &contact.ListCustomerStrategiesRequest{Limit: 5000}
	rng := &contact.GetCustomerStrategyRangeRequest{StrategyID: 1, Limit: 5000}
	batch := &contact.BatchGetByUserRequest{UserIDList: []string{"a"}, Limit: 5000}
	unassigned := &contact.ListUnassignedRequest{PageSize: 5000}
	albums := &contact.ListProductAlbumsRequest{Limit: 5000}
	for _, tc := range []struct {
		path, field string
		want        float64
		call        func() error
	}{
		{"list_contact_way", "limit", 1000, func() error { _, err := svc.ListContactWays(ctx, ways); return err }},
		{"customer_strategy/list", "limit", 1000, func() error { _, err := svc.ListCustomerStrategies(ctx, strategies); return err }},
		{"customer_strategy/get_range", "limit", 1000, func() error { _, err := svc.GetCustomerStrategyRange(ctx, rng); return err }},
		{"batch/get_by_user", "limit", 100, func() error { _, err := svc.BatchGetByUser(ctx, batch); return err }},
		{"get_unassigned_list", "page_size", 1000, func() error { _, err := svc.ListUnassigned(ctx, unassigned); return err }},
		{"get_product_album_list", "limit", 100, func() error { _, err := svc.ListProductAlbums(ctx, albums); return err }},
		{"batch/get_by_user", "limit", 100, func() error { _, err := svc.BatchGetByUserMany(ctx, batch, 1); return err }},
	} {
		srv.ResetRequests()
		_ = tc.call() // the answer does not matter: what was sent does
		assert.Equal(t, tc.want, testkit.LastBody(t, srv, base+tc.path)[tc.field], tc.path)
	}
	for _, n := range []int{ways.Limit, strategies.Limit, rng.Limit, batch.Limit, unassigned.PageSize, albums.Limit} {
		assert.Equal(t, 5000, n, "the request is not modified")
	}
}
