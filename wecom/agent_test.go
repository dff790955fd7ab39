package wecom_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestClientAgentID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	id, err := wecom.New("ww1", "s", wecom.WithAgentID(1000002)).AgentID(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1000002, id)

	_, err = wecom.New("ww1", "s").AgentID(ctx)
	require.ErrorIs(t, err, wecom.ErrNoAgentID)
	assert.Contains(t, err.Error(), "WithAgentID")

	_, err = wecom.New("ww1", "s", wecom.WithAgentID(-3)).AgentID(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "positive")
}

// A suite's corp client knows the agent id of its installation: read once
// from get_auth_info and kept in the Store, for every client and instance
// sharing it, until the corp is forgotten or its permanent code changes.
func TestSuiteCorpClientAgentID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t)
	const suiteID, corp = "wwsuiteagentid01", "wwagentcorp"
	srv.AddSuite(suiteID, "suite-secret")
	store := wecom.NewMemoryStore()
	suite := wecom.NewSuite(suiteID, "suite-secret", srv.SuiteOptions(wecom.WithStore(store))...)
	require.NoError(t, suite.SetTicket(ctx, srv.Suite(suiteID).IssueTicket()))
	code, err := srv.Suite(suiteID).Install(ctx, corp, "")
	require.NoError(t, err)
	_, err = suite.HandleCreateAuth(ctx, code)
	require.NoError(t, err)
	want := srv.Suite(suiteID).AgentID(corp)
	require.NotZero(t, want)

	id, err := suite.Corp(corp).AgentID(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, id)
	assert.Equal(t, 1, srv.Count("service/v2/get_auth_info"))

	// another instance of the service, on the same Store: no call
	other := wecom.NewSuite(suiteID, "suite-secret", srv.SuiteOptions(wecom.WithStore(store))...)
	id, err = other.Corp(corp).AgentID(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, id)
	assert.Equal(t, 1, srv.Count("service/v2/get_auth_info"))

	// forgotten with the corp
	require.NoError(t, suite.ForgetCorp(ctx, corp))
	_, ok, err := store.Get(ctx, "wecom:suite:"+suiteID+":corp:"+corp+":agentid")
	require.NoError(t, err)
	assert.False(t, ok)

	// known otherwise
	require.NoError(t, suite.SetAgentID(ctx, corp, 1000099))
	id, err = suite.AgentID(ctx, corp)
	require.NoError(t, err)
	assert.Equal(t, 1000099, id)
	// a new permanent code drops it
	require.NoError(t, suite.SetPermanentCode(ctx, corp, srv.Suite(suiteID).PermanentCode(corp)+"x"))
	_, ok, err = store.Get(ctx, "wecom:suite:"+suiteID+":corp:"+corp+":agentid")
	require.NoError(t, err)
	assert.False(t, ok)
	require.Error(t, suite.SetAgentID(ctx, corp, 0))
}
