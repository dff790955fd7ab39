package wecom_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

func TestPtr(t *testing.T) {
	t.Parallel()
	p := wecom.Ptr(false)
	require.NotNil(t, p)
	assert.False(t, *p)
	assert.Equal(t, uint32(0), *wecom.Ptr(uint32(0)))
	assert.NotSame(t, wecom.Ptr(1), wecom.Ptr(1), "a new variable each time")
}

// The range node is WeCom's {"type", "userid", "partyid"}: a member node
// carries no partyid and a department node no userid.
func TestRangeNodeJSON(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		node wecom.RangeNode
		json string
	}{
		{wecom.UserNode("zhangsan"), `{"type":1,"userid":"zhangsan"}`},
		{wecom.PartyNode(3), `{"type":2,"partyid":3}`},
	} {
		b, err := json.Marshal(c.node)
		require.NoError(t, err)
		assert.JSONEq(t, c.json, string(b))
		var back wecom.RangeNode
		require.NoError(t, json.Unmarshal([]byte(c.json), &back))
		assert.Equal(t, c.node, back)
	}
	assert.Equal(t, wecom.RangeUser, wecom.UserNode("a").Type)
	assert.Equal(t, wecom.RangeParty, wecom.PartyNode(1).Type)
}
