package message_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

func TestShape_ListMomentStrategies(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("moment_strategy/list", `{"cursor":"C","limit":1000}`),
		`{"errcode":0,"errmsg":"ok","strategy":[{"strategy_id":1},{"strategy_id":2}],"next_cursor":"N"}`)
	resp, err := svc.ListMomentStrategies(t.Context(), &message.ListMomentStrategiesRequest{Cursor: "C", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, &message.ListMomentStrategiesResponse{Strategy: []message.StrategyRef{{StrategyID: 1}, {StrategyID: 2}}, NextCursor: "N"}, resp)
}

func TestShape_GetMomentStrategy(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("moment_strategy/get", `{"strategy_id":1}`),
		`{"errcode":0,"errmsg":"ok","strategy":{"strategy_id":1,"parent_id":0,"strategy_name":"NAME","create_time":1557838797,
		"admin_list":["zhangsan","lisi"],"privilege":{"view_moment_list":true,"send_moment":true,"manage_moment_cover_and_sign":false}}}`)
	st, err := svc.GetMomentStrategy(t.Context(), 1)
	require.NoError(t, err)
	assert.Equal(t, &message.MomentStrategy{StrategyID: 1, StrategyName: "NAME", CreateTime: 1557838797, AdminList: []string{"zhangsan", "lisi"},
		Privilege: &message.MomentPrivilege{ViewMomentList: boolp(true), SendMoment: boolp(true), ManageMomentCoverAndSign: boolp(false)}}, st)
}

func TestShape_GetMomentStrategyRange(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("moment_strategy/get_range", `{"strategy_id":1,"cursor":"C","limit":1000}`),
		`{"errcode":0,"errmsg":"ok","range":[{"type":1,"userid":"zhangsan"},{"type":2,"partyid":1}],"next_cursor":"N"}`)
	resp, err := svc.GetMomentStrategyRange(t.Context(), &message.GetMomentStrategyRangeRequest{StrategyID: 1, Cursor: "C", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.PartyNode(1)}, resp.Range)
}

func TestShape_CreateMomentStrategy(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("moment_strategy/create", `{"parent_id":3,"strategy_name":"NAME","admin_list":["zhangsan","lisi"],
		"privilege":{"send_moment":true,"view_moment_list":false},"range":[{"type":1,"userid":"zhangsan"},{"type":2,"partyid":1}]}`),
		`{"errcode":0,"errmsg":"ok","strategy_id":7}`)
	id, err := svc.CreateMomentStrategy(t.Context(), &message.CreateMomentStrategyRequest{ParentID: 3, StrategyName: "NAME", AdminList: []string{"zhangsan", "lisi"},
		Privilege: &message.MomentPrivilege{SendMoment: boolp(true), ViewMomentList: boolp(false)},
		Range:     []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.PartyNode(1)}})
	require.NoError(t, err)
	assert.Equal(t, 7, id)
}

func TestShape_EditMomentStrategy(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("moment_strategy/edit", `{"strategy_id":1,"strategy_name":"NAME","admin_list":["zhangsan"],
		"privilege":{"manage_moment_cover_and_sign":true},"range_add":[{"type":1,"userid":"zhangsan"}],"range_del":[{"type":2,"partyid":2}]}`), "")
	require.NoError(t, svc.EditMomentStrategy(t.Context(), &message.EditMomentStrategyRequest{StrategyID: 1, StrategyName: "NAME", AdminList: []string{"zhangsan"},
		Privilege: &message.MomentPrivilege{ManageMomentCoverAndSign: boolp(true)},
		RangeAdd:  []wecom.RangeNode{wecom.UserNode("zhangsan")}, RangeDel: []wecom.RangeNode{wecom.PartyNode(2)}}))
}

func TestShape_DelMomentStrategy(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("moment_strategy/del", `{"strategy_id":1}`), "")
	require.NoError(t, svc.DelMomentStrategy(t.Context(), 1))
}
