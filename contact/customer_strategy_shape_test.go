package contact_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

func TestListCustomerStrategiesShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_strategy/list", Body: `{"cursor":"CURSOR","limit":1000}`},
		`{"errcode":0,"errmsg":"ok","strategy":[{"strategy_id":1},{"strategy_id":2}],"next_cursor":"NEXT_CURSOR"}`)
	resp, err := svc.ListCustomerStrategies(t.Context(), &contact.ListCustomerStrategiesRequest{Cursor: "CURSOR", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, &contact.ListCustomerStrategiesResponse{Strategy: []contact.CustomerStrategyRef{{StrategyID: 1}, {StrategyID: 2}}, NextCursor: "NEXT_CURSOR"}, resp)
}

func TestGetCustomerStrategyShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_strategy/get", Body: `{"strategy_id":1}`},
		`{"errcode":0,"errmsg":"ok","strategy":{"strategy_id":1,"parent_id":0,"strategy_name":"NAME","create_time":1557838797,
		"admin_list":["zhangsan","lisi"],"privilege":{"view_customer_list":true,"view_customer_data":true,"view_room_list":true,
		"contact_me":true,"join_room":true,"share_customer":false,"oper_resign_customer":true,"oper_resign_group":true,
		"send_customer_msg":true,"edit_welcome_msg":true,"view_behavior_data":true,"view_room_data":true,"send_group_msg":true,
		"room_deduplication":true,"rapid_reply":true,"onjob_customer_transfer":true,"edit_anti_spam_rule":true,
		"export_customer_list":true,"export_customer_data":true,"export_customer_group_list":true,"manage_customer_tag":true}}}`)
	g, err := svc.GetCustomerStrategy(t.Context(), 1)
	require.NoError(t, err)
	priv := *contact.AllCustomerStrategyPrivileges()
	priv.ShareCustomer = false
	assert.Equal(t, &contact.CustomerStrategy{StrategyID: 1, StrategyName: "NAME", CreateTime: wecom.UnixTime(1557838797),
		AdminList: []string{"zhangsan", "lisi"}, Privilege: &priv}, g)
}

func TestGetCustomerStrategyRangeShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_strategy/get_range", Body: `{"strategy_id":1,"cursor":"CURSOR","limit":1000}`},
		`{"errcode":0,"errmsg":"ok","range":[{"type":1,"userid":"zhangsan"},{"type":2,"partyid":1}],"next_cursor":"NEXT_CURSOR"}`)
	resp, err := svc.GetCustomerStrategyRange(t.Context(), &contact.GetCustomerStrategyRangeRequest{StrategyID: 1, Cursor: "CURSOR", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.PartyNode(1)}, resp.Range)
	assert.Equal(t, "NEXT_CURSOR", resp.NextCursor)
}

func TestCreateCustomerStrategyShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_strategy/create", Body: `{
		"strategy_name":"NAME","admin_list":["zhangsan","lisi"],
		"privilege":{"view_customer_list":true,"view_customer_data":true,"view_room_list":true,"contact_me":true,"join_room":true,
		"share_customer":false,"oper_resign_customer":true,"oper_resign_group":true,"send_customer_msg":true,"edit_welcome_msg":true,
		"view_behavior_data":true,"view_room_data":true,"send_group_msg":true,"room_deduplication":true,"rapid_reply":true,
		"onjob_customer_transfer":true,"edit_anti_spam_rule":true,"export_customer_list":true,"export_customer_data":true,
		"export_customer_group_list":true,"manage_customer_tag":true},
		"range":[{"type":1,"userid":"zhangsan"},{"type":2,"partyid":1}]}`},
		`{"errcode":0,"errmsg":"ok","strategy_id":1}`)
	priv := contact.AllCustomerStrategyPrivileges()
	priv.ShareCustomer = false
	id, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "NAME", AdminList: []string{"zhangsan", "lisi"},
		Privilege: priv, Range: []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.PartyNode(1)}})
	require.NoError(t, err)
	assert.Equal(t, 1, id)

	// A child: parent_id sent, privilege and range left out when unset.
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_strategy/create",
		Body: `{"parent_id":1,"strategy_name":"child","admin_list":["a"]}`}, `{"errcode":0,"errmsg":"ok","strategy_id":2}`)
	_, err = svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{ParentID: 1, StrategyName: "child", AdminList: []string{"a"}})
	require.NoError(t, err)
}

func TestEditCustomerStrategyShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_strategy/edit", Body: `{
		"strategy_id":1,"strategy_name":"NAME","admin_list":["zhangsan","lisi"],
		"range_add":[{"type":1,"userid":"zhangsan"},{"type":2,"partyid":1}],
		"range_del":[{"type":1,"userid":"lisi"},{"type":2,"partyid":2}]}`}, "")
	require.NoError(t, svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: 1, StrategyName: "NAME",
		AdminList: []string{"zhangsan", "lisi"},
		RangeAdd:  []wecom.RangeNode{wecom.UserNode("zhangsan"), wecom.PartyNode(1)},
		RangeDel:  []wecom.RangeNode{wecom.UserNode("lisi"), wecom.PartyNode(2)}}))
}

func TestDelCustomerStrategyShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_strategy/del", Body: `{"strategy_id":1}`}, "")
	require.NoError(t, svc.DelCustomerStrategy(t.Context(), 1))
}
