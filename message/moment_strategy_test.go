package message_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func boolp(v bool) *bool { return &v }

func TestMomentStrategies(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	top, err := svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{
		StrategyName: "Sales", AdminList: []string{"boss"},
		Privilege: &message.MomentPrivilege{SendMoment: boolp(false)},
		Range:     []wecom.RangeNode{wecom.UserNode("a"), wecom.UserNode("b"), wecom.PartyNode(2)},
	})
	require.NoError(t, err)
	st, err := svc.GetMomentStrategy(t.Context(), top)
	require.NoError(t, err)
	assert.Equal(t, "Sales", st.StrategyName)
	assert.Equal(t, []string{"boss"}, st.AdminList)
	assert.Zero(t, st.ParentID)
	assert.InDelta(t, time.Now().Unix(), int64(st.CreateTime), 60)
	assert.Equal(t, &message.MomentPrivilege{ViewMomentList: boolp(true), SendMoment: boolp(false), ManageMomentCoverAndSign: boolp(true)},
		st.Privilege, "defaults true, except what was set")

	// A child manages a subset of its parent's range and inherits its privileges.
	child, err := svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{ParentID: top, StrategyName: "Sales North",
		AdminList: []string{"lead"}, Privilege: &message.MomentPrivilege{SendMoment: boolp(true)}, Range: []wecom.RangeNode{wecom.UserNode("a")}})
	require.NoError(t, err)
	cst, err := svc.GetMomentStrategy(t.Context(), child)
	require.NoError(t, err)
	assert.Equal(t, top, cst.ParentID)
	assert.Equal(t, boolp(false), cst.Privilege.SendMoment)
	_, err = svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{ParentID: top, StrategyName: "x",
		AdminList: []string{"lead"}, Range: []wecom.RangeNode{wecom.UserNode("c")}})
	testkit.WantCode(t, err, 40058)

	// Five levels at most.
	parent := child
	for level := 3; level <= 5; level++ {
		parent, err = svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{ParentID: parent, StrategyName: fmt.Sprint("level ", level),
			AdminList: []string{"lead"}, Range: []wecom.RangeNode{wecom.UserNode("a")}})
		require.NoError(t, err, "level %d", level)
	}
	_, err = svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{ParentID: parent, StrategyName: "level 6",
		AdminList: []string{"lead"}, Range: []wecom.RangeNode{wecom.UserNode("a")}})
	testkit.WantCode(t, err, 40058)

	// List and range, page by page.
	srv.Corp(srv.CorpID).SetContactPageLimit(2)
	var ids []int
	for id, err := range svc.ListMomentStrategiesIter(t.Context(), nil) {
		require.NoError(t, err)
		ids = append(ids, id)
	}
	assert.Len(t, ids, 5)
	assert.Equal(t, top, ids[0])
	var nodes []wecom.RangeNode
	for n, err := range svc.GetMomentStrategyRangeIter(t.Context(), &message.GetMomentStrategyRangeRequest{StrategyID: top}) {
		require.NoError(t, err)
		nodes = append(nodes, *n)
	}
	assert.Equal(t, []wecom.RangeNode{wecom.UserNode("a"), wecom.UserNode("b"), wecom.PartyNode(2)}, nodes)
	assert.Equal(t, 2, srv.Count("/cgi-bin/externalcontact/moment_strategy/get_range"))

	// Edit: rename, replace admins, change the range.
	require.NoError(t, svc.EditMomentStrategy(t.Context(), &message.EditMomentStrategyRequest{StrategyID: top, StrategyName: "Sales East",
		AdminList: []string{"boss", "deputy"}, RangeAdd: []wecom.RangeNode{wecom.UserNode("c")},
		RangeDel: []wecom.RangeNode{wecom.PartyNode(2)}}))
	st, err = svc.GetMomentStrategy(t.Context(), top)
	require.NoError(t, err)
	assert.Equal(t, "Sales East", st.StrategyName)
	assert.Equal(t, []string{"boss", "deputy"}, st.AdminList)
	rng, err := svc.GetMomentStrategyRange(t.Context(), &message.GetMomentStrategyRangeRequest{StrategyID: top, Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, []wecom.RangeNode{wecom.UserNode("a"), wecom.UserNode("b")}, rng.Range, "pages of 2")
	assert.NotEmpty(t, rng.NextCursor)

	// A group with children cannot go; leaves can.
	testkit.WantCode(t, svc.DelMomentStrategy(t.Context(), top), 40058)
	require.NoError(t, svc.DelMomentStrategy(t.Context(), parent))
	_, err = svc.GetMomentStrategy(t.Context(), parent)
	testkit.WantCode(t, err, 40058)

	nodes3001 := make([]wecom.RangeNode, 3001)
	for i := range nodes3001 {
		nodes3001[i] = wecom.UserNode(fmt.Sprint("u", i))
	}
	for i, bad := range []error{
		first(svc.CreateMomentStrategy(t.Context(), nil)),
		first(svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{AdminList: []string{"a"}, Range: nodes3001[:1]})),
		first(svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{StrategyName: "n", Range: nodes3001[:1]})),
		first(svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{StrategyName: "n", AdminList: []string{"a"}})),
		first(svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{StrategyName: "n", AdminList: make([]string, 21), Range: nodes3001[:1]})),
		first(svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{StrategyName: "n", AdminList: []string{"a"}, Range: nodes3001})),
		first(svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{StrategyName: "n", AdminList: []string{"a"},
			Range: []wecom.RangeNode{{Type: wecom.RangeUser, PartyID: 3}}})),
		svc.EditMomentStrategy(t.Context(), nil),
		svc.EditMomentStrategy(t.Context(), &message.EditMomentStrategyRequest{StrategyID: top}),
		svc.EditMomentStrategy(t.Context(), &message.EditMomentStrategyRequest{StrategyID: top, RangeAdd: []wecom.RangeNode{{Type: 3}}}),
		svc.EditMomentStrategy(t.Context(), &message.EditMomentStrategyRequest{StrategyID: top, AdminList: make([]string, 21)}),
		first(svc.GetMomentStrategy(t.Context(), 0)),
		first(svc.GetMomentStrategyRange(t.Context(), nil)),
		first(svc.GetMomentStrategyRange(t.Context(), &message.GetMomentStrategyRangeRequest{StrategyID: 1, Limit: -1})),
		first(svc.ListMomentStrategies(t.Context(), &message.ListMomentStrategiesRequest{Limit: -1})),
		svc.DelMomentStrategy(t.Context(), 0),
	} {
		assert.ErrorIs(t, bad, message.ErrInvalidArgument, "case %d", i)
	}
}

// TestMomentStrategies_CreateAndEditAreSerial: WeCom documents create and
// edit as serial calls; the Service never has two of them in flight.
func TestMomentStrategies_CreateAndEditAreSerial(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	flight := &inFlight{base: srv.HTTPClient().Transport, match: func(p string) bool {
		return strings.HasSuffix(p, "moment_strategy/create") || strings.HasSuffix(p, "moment_strategy/edit")
	}}
	svc := message.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: flight})))
	for _, p := range []string{"create", "edit"} {
		srv.Fail("/cgi-bin/externalcontact/moment_strategy/"+p, wecomtest.Fault{Latency: 3 * time.Millisecond, Times: -1})
	}
	top, err := svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{StrategyName: "top", AdminList: []string{"boss"},
		Range: []wecom.RangeNode{wecom.PartyNode(1)}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, errs[i] = svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{StrategyName: fmt.Sprint("g", i),
					AdminList: []string{"boss"}, Range: []wecom.RangeNode{wecom.UserNode(fmt.Sprint("u", i))}})
			} else {
				errs[i] = svc.EditMomentStrategy(t.Context(), &message.EditMomentStrategyRequest{StrategyID: top, RangeAdd: []wecom.RangeNode{wecom.UserNode(fmt.Sprint("u", i))}})
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, flight.Max(), "one create or edit at a time")
	assert.Equal(t, 9, srv.Count("/cgi-bin/externalcontact/moment_strategy/create"))
}
