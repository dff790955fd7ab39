package contact_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// WeCom's documented limits, which the package keeps unexported.
const (
	maxStrategyAdmins     = 20   // admins of a rule group
	maxStrategyPageLimit  = 1000 // page size of customer_strategy/list and get_range
	maxStrategyDepth      = 5    // how deep rule groups nest
	maxStrategyRangeTotal = 3000 // range nodes of one rule group in all
)

func TestCustomerStrategyLifecycle(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)

	priv := contact.AllCustomerStrategyPrivileges()
	priv.ShareCustomer, priv.ExportCustomerList = false, false
	priv.ViewCustomerList = false // a base privilege: WeCom keeps it
	id, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{
		StrategyName: "East sales", AdminList: []string{"boss"}, Privilege: priv,
		Range: []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.UserNode("lisi"), wecom.PartyNode(3)},
	})
	require.NoError(t, err)
	require.Positive(t, id)

	g, err := svc.GetCustomerStrategy(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "East sales", g.StrategyName)
	assert.Equal(t, 0, g.ParentID)
	assert.Equal(t, []string{"boss"}, g.AdminList)
	assert.NotZero(t, g.CreateTime)
	want := *contact.AllCustomerStrategyPrivileges()
	want.ShareCustomer, want.ExportCustomerList = false, false
	assert.Equal(t, &want, g.Privilege)

	// A child manages part of its parent's range and inherits its
	// privileges whatever it sends.
	child, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{
		ParentID: id, StrategyName: "East sales / Li", AdminList: []string{"lead"},
		Privilege: &contact.CustomerStrategyPrivilege{}, Range: []wecom.RangeNode{wecom.UserNode("lisi")},
	})
	require.NoError(t, err)
	cg, err := svc.GetCustomerStrategy(t.Context(), child)
	require.NoError(t, err)
	assert.Equal(t, id, cg.ParentID)
	assert.Equal(t, &want, cg.Privilege)
	_, err = svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{
		ParentID: id, StrategyName: "x", AdminList: []string{"lead"}, Range: []wecom.RangeNode{wecom.UserNode("wangwu")},
	})
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)

	var ids []int
	for sid, err := range svc.ListCustomerStrategiesIter(t.Context(), &contact.ListCustomerStrategiesRequest{Limit: 1}) {
		require.NoError(t, err)
		ids = append(ids, sid)
	}
	assert.Equal(t, []int{id, child}, ids)

	// The range, two nodes a page.
	req := &contact.GetCustomerStrategyRangeRequest{StrategyID: id, Limit: 2}
	page, err := svc.GetCustomerStrategyRange(t.Context(), req)
	require.NoError(t, err)
	assert.Len(t, page.Range, 2)
	assert.NotEmpty(t, page.NextCursor)
	var nodes []wecom.RangeNode
	for n, err := range svc.GetCustomerStrategyRangeIter(t.Context(), req) {
		require.NoError(t, err)
		nodes = append(nodes, *n)
	}
	assert.Equal(t, []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.UserNode("lisi"), wecom.PartyNode(3)}, nodes)
	assert.Empty(t, req.Cursor, "the iterator must not modify the request")

	require.NoError(t, svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{
		StrategyID: id, StrategyName: "East", AdminList: []string{"boss", "deputy"},
		Privilege: contact.AllCustomerStrategyPrivileges(),
		RangeAdd:  []wecom.RangeNode{wecom.PartyNode(4)}, RangeDel: []wecom.RangeNode{wecom.UserNode("zhangsan")},
	}))
	g, err = svc.GetCustomerStrategy(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "East", g.StrategyName)
	assert.Equal(t, []string{"boss", "deputy"}, g.AdminList)
	assert.Equal(t, contact.AllCustomerStrategyPrivileges(), g.Privilege)
	nodes = nodes[:0]
	for n, err := range svc.GetCustomerStrategyRangeIter(t.Context(), &contact.GetCustomerStrategyRangeRequest{StrategyID: id}) {
		require.NoError(t, err)
		nodes = append(nodes, *n)
	}
	assert.Equal(t, []wecom.RangeNode{wecom.UserNode("lisi"), wecom.PartyNode(3), wecom.PartyNode(4)}, nodes)

	// An edit that sends only the name keeps everything else.
	require.NoError(t, svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: id, StrategyName: "East 2"}))
	g, err = svc.GetCustomerStrategy(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, []string{"boss", "deputy"}, g.AdminList)

	require.NoError(t, svc.DelCustomerStrategy(t.Context(), id))
	_, err = svc.GetCustomerStrategy(t.Context(), id)
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
	_, err = svc.GetCustomerStrategy(t.Context(), child)
	testkit.WantCode(t, err, wecom.CodeInvalidParameter) // the fake deletes the children too
	resp, err := svc.ListCustomerStrategies(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, resp.Strategy)
	assert.Empty(t, resp.NextCursor)
}

// installSuite authorizes a third-party app in the fake's default corp and
// returns a Service acting as that app.
func installSuite(t *testing.T, srv *wecomtest.Server) *contact.Service {
	t.Helper()
	const suiteID, secret = "wwsuitecontact01", "suite-secret"
	srv.AddSuite(suiteID, secret)
	s := wecom.NewSuite(suiteID, secret, srv.SuiteOptions()...)
	require.NoError(t, s.SetTicket(t.Context(), srv.Suite(suiteID).IssueTicket()))
	authCode, err := srv.Suite(suiteID).Install(t.Context(), srv.CorpID, "")
	require.NoError(t, err)
	_, err = s.HandleCreateAuth(t.Context(), authCode)
	require.NoError(t, err)
	return contact.New(s.Corp(srv.CorpID))
}

// Since 2023-12 an app sees and manages only the rule groups it created.
func TestCustomerStrategyOwnApp(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	selfBuilt := contact.New(c)
	thirdParty := installSuite(t, srv)

	mine, err := selfBuilt.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "mine", AdminList: []string{"a"}})
	require.NoError(t, err)
	theirs, err := thirdParty.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "theirs", AdminList: []string{"a"}})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Corp(srv.CorpID).StrategyCount())

	for _, tc := range []struct {
		svc          *contact.Service
		own, foreign int
	}{{selfBuilt, mine, theirs}, {thirdParty, theirs, mine}} {
		var ids []int
		for id, err := range tc.svc.ListCustomerStrategiesIter(t.Context(), nil) {
			require.NoError(t, err)
			ids = append(ids, id)
		}
		assert.Equal(t, []int{tc.own}, ids)
		_, err := tc.svc.GetCustomerStrategy(t.Context(), tc.foreign)
		testkit.WantCode(t, err, wecom.CodeInvalidParameter)
		_, err = tc.svc.GetCustomerStrategyRange(t.Context(), &contact.GetCustomerStrategyRangeRequest{StrategyID: tc.foreign})
		testkit.WantCode(t, err, wecom.CodeInvalidParameter)
		testkit.WantCode(t, tc.svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: tc.foreign, StrategyName: "x"}), wecom.CodeInvalidParameter)
		testkit.WantCode(t, tc.svc.DelCustomerStrategy(t.Context(), tc.foreign), wecom.CodeInvalidParameter)
	}
	assert.Equal(t, 2, srv.Corp(srv.CorpID).StrategyCount())
}

// inFlight counts the concurrent requests for paths ending in one of
// suffixes and remembers the most seen at once.
type inFlight struct {
	next     http.RoundTripper
	suffixes []string
	now, max atomic.Int32
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	watched := false
	for _, s := range f.suffixes {
		watched = watched || strings.HasSuffix(r.URL.Path, s)
	}
	if !watched {
		return f.next.RoundTrip(r)
	}
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		m := f.max.Load()
		if n <= m || f.max.CompareAndSwap(m, n) {
			break
		}
	}
	return f.next.RoundTrip(r)
}

// WeCom documents create and edit as serial calls: one Service never has
// two of them in flight, however many goroutines call it.
func TestCustomerStrategySerial(t *testing.T) {
	t.Parallel()
	srv, _ := testkit.Setup(t)
	counter := &inFlight{next: srv.HTTPClient().Transport, suffixes: []string{"/customer_strategy/create", "/customer_strategy/edit"}}
	svc := contact.New(srv.Client(wecom.WithHTTPClient(&http.Client{Transport: counter})))
	// Slow answers, so that calls would overlap if they could.
	srv.Fail("/cgi-bin/externalcontact/customer_strategy/create", wecomtest.Fault{Latency: 3 * time.Millisecond, Times: -1})
	srv.Fail("/cgi-bin/externalcontact/customer_strategy/edit", wecomtest.Fault{Latency: 3 * time.Millisecond, Times: -1})

	first, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "g0", AdminList: []string{"a"}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "g", AdminList: []string{"a"}})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			errs <- svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: first, RangeAdd: []wecom.RangeNode{wecom.PartyNode(i + 1)}})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), counter.max.Load(), "create/edit calls overlapped")
	assert.Equal(t, 9, srv.Corp(srv.CorpID).StrategyCount())

	// Reads are not held back.
	_, err = svc.ListCustomerStrategies(t.Context(), nil)
	require.NoError(t, err)
}

// A caller waiting for the rule-group lock gives up when its context ends,
// without sending anything.
func TestCustomerStrategySerialContext(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	release := make(chan struct{})
	entered := make(chan struct{})
	srv.Fail("/cgi-bin/externalcontact/customer_strategy/create", wecomtest.Fault{Latency: 50 * time.Millisecond})
	go func() {
		close(entered)
		_, _ = svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "slow", AdminList: []string{"a"}})
		close(release)
	}()
	<-entered
	// Wait until the slow create holds the lock (its request reached the
	// server).
	for srv.Count("/cgi-bin/externalcontact/customer_strategy/create") == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := svc.EditCustomerStrategy(ctx, &contact.EditCustomerStrategyRequest{StrategyID: 1, StrategyName: "x"})
	assert.True(t, errors.Is(err, context.Canceled), "err = %v", err)
	<-release
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/customer_strategy/edit"))
}

func TestCustomerStrategyCreateNotRepeated(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	srv.Fail("/cgi-bin/externalcontact/customer_strategy/create", wecomtest.Fault{Drop: true})
	_, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "g", AdminList: []string{"a"}})
	require.ErrorIs(t, err, wecom.ErrOutcomeUnknown)
	assert.Equal(t, 1, srv.Count("/cgi-bin/externalcontact/customer_strategy/create"))

	// Edit and del are repeated after a failure in transit.
	id, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "g", AdminList: []string{"a"}})
	require.NoError(t, err)
	srv.Fail("/cgi-bin/externalcontact/customer_strategy/edit", wecomtest.Fault{Errcode: -1})
	require.NoError(t, svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: id, StrategyName: "h"}))
	assert.Equal(t, 2, srv.Count("/cgi-bin/externalcontact/customer_strategy/edit"))
}

func TestCustomerStrategyLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	admins := make([]string, maxStrategyAdmins+1)
	nodes := make([]wecom.RangeNode, contact.MaxStrategyRangeNodes+1)
	for i := range admins {
		admins[i] = "u"
	}
	for i := range nodes {
		nodes[i] = wecom.PartyNode(i + 1)
	}
	creates := []*contact.CreateCustomerStrategyRequest{
		nil,
		{AdminList: []string{"a"}},
		{StrategyName: "g"},
		{StrategyName: "g", AdminList: admins},
		{StrategyName: "g", AdminList: []string{"a"}, Range: nodes},
		{StrategyName: "g", AdminList: []string{"a"}, ParentID: -1},
		{StrategyName: "g", AdminList: []string{"a"}, Range: []wecom.RangeNode{{Type: 1}}},
		{StrategyName: "g", AdminList: []string{"a"}, Range: []wecom.RangeNode{{Type: 2, PartyID: 1, UserID: "x"}}},
		{StrategyName: "g", AdminList: []string{"a"}, Range: []wecom.RangeNode{{Type: 3, PartyID: 1}}},
	}
	for i, r := range creates {
		_, err := svc.CreateCustomerStrategy(t.Context(), r)
		assert.ErrorIs(t, err, contact.ErrInvalidArgument, "create %d", i)
	}
	edits := []*contact.EditCustomerStrategyRequest{
		nil,
		{StrategyName: "x"},
		{StrategyID: 1, AdminList: admins},
		{StrategyID: 1, RangeAdd: nodes},
		{StrategyID: 1, RangeDel: nodes},
		{StrategyID: 1, RangeDel: []wecom.RangeNode{{Type: 1, PartyID: 2}}},
	}
	for i, r := range edits {
		assert.ErrorIs(t, svc.EditCustomerStrategy(t.Context(), r), contact.ErrInvalidArgument, "edit %d", i)
	}
	_, err := svc.ListCustomerStrategies(t.Context(), &contact.ListCustomerStrategiesRequest{Limit: -1})
	assert.ErrorIs(t, err, contact.ErrInvalidArgument)
	_, err = svc.GetCustomerStrategy(t.Context(), 0)
	assert.ErrorIs(t, err, contact.ErrInvalidArgument)
	assert.ErrorIs(t, svc.DelCustomerStrategy(t.Context(), -3), contact.ErrInvalidArgument)
	_, err = svc.GetCustomerStrategyRange(t.Context(), &contact.GetCustomerStrategyRangeRequest{StrategyID: 1, Limit: -1})
	assert.ErrorIs(t, err, contact.ErrInvalidArgument)
	yielded := 0
	for _, err := range svc.GetCustomerStrategyRangeIter(t.Context(), nil) {
		assert.ErrorIs(t, err, contact.ErrInvalidArgument)
		yielded++
	}
	assert.Equal(t, 1, yielded)
	assert.Empty(t, srv.Requests(), "invalid input reached WeCom")
}

// The fake answers the documented limits itself, for callers that bypass
// the SDK's checks.
func TestCustomerStrategyFakeLimits(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	post := func(path string, body map[string]any) error {
		return c.Post(t.Context(), "/cgi-bin/externalcontact/customer_strategy/"+path, body, nil)
	}
	admins := make([]string, 21)
	nodes := make([]map[string]any, 101)
	for i := range admins {
		admins[i] = "u"
	}
	for i := range nodes {
		nodes[i] = map[string]any{"type": 2, "partyid": i + 1}
	}
	testkit.WantCode(t, post("create", map[string]any{"strategy_name": "g", "admin_list": admins}), wecom.CodeInvalidParameter)
	testkit.WantCode(t, post("create", map[string]any{"strategy_name": "g", "admin_list": []string{"a"}, "range": nodes}), wecom.CodeInvalidParameter)
	testkit.WantCode(t, post("create", map[string]any{"strategy_name": "g", "admin_list": []string{"a"}, "bogus": 1}), wecom.CodeInvalidParameter)
	testkit.WantCode(t, post("list", map[string]any{"limit": 1001}), wecom.CodeInvalidParameter)

	// Groups nest at most five levels.
	parent := 0
	for depth := 1; depth <= maxStrategyDepth; depth++ {
		id, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{ParentID: parent, StrategyName: "level", AdminList: []string{"a"}})
		require.NoError(t, err, "depth %d", depth)
		parent = id
	}
	_, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{ParentID: parent, StrategyName: "too deep", AdminList: []string{"a"}})
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)

	// A range holds at most 3000 nodes.
	top, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "big", AdminList: []string{"a"}})
	require.NoError(t, err)
	for batch := range maxStrategyRangeTotal / contact.MaxStrategyRangeNodes {
		add := make([]wecom.RangeNode, contact.MaxStrategyRangeNodes)
		for i := range add {
			add[i] = wecom.PartyNode(batch*contact.MaxStrategyRangeNodes + i + 1)
		}
		require.NoError(t, svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: top, RangeAdd: add}))
	}
	err = svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: top, RangeAdd: []wecom.RangeNode{wecom.UserNode("one-more")}})
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
}
