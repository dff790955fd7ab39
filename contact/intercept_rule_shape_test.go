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

func TestAddInterceptRuleShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/add_intercept_rule", Body: `{"rule_name":"rulename",
		"word_list":["敏感词1","敏感词2"],"semantics_list":[1,2,3],"intercept_type":1,
		"applicable_range":{"user_list":["zhangshan"],"department_list":[2,3]}}`},
		`{"errcode":0,"errmsg":"ok","rule_id":"xxx"}`)
	id, err := svc.AddInterceptRule(t.Context(), &contact.AddInterceptRuleRequest{RuleName: "rulename", WordList: []string{"敏感词1", "敏感词2"},
		SemanticsList: []contact.InterceptSemantics{contact.SemanticsPhone, contact.SemanticsEmail, contact.SemanticsRedPacket},
		InterceptType: contact.InterceptWarnAndBlock, ApplicableRange: &contact.InterceptRange{UserList: []string{"zhangshan"}, DepartmentList: []int{2, 3}}})
	require.NoError(t, err)
	assert.Equal(t, "xxx", id)
}

func TestListInterceptRulesShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/externalcontact/get_intercept_rule_list"},
		`{"errcode":0,"errmsg":"ok","rule_list":[{"rule_id":"xxxx","rule_name":"rulename","create_time":1600000000}]}`)
	list, err := svc.ListInterceptRules(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []contact.InterceptRuleSummary{{RuleID: "xxxx", RuleName: "rulename", CreateTime: wecom.UnixTime(1600000000)}}, list)
}

func TestGetInterceptRuleShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	// The docs' example answer, trailing comma removed: rule_id is a number here.
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/get_intercept_rule", Body: `{"rule_id":"xxx"}`},
		`{"errcode":0,"errmsg":"ok","rule":{"rule_id":1,"rule_name":"rulename","word_list":["敏感词1","敏感词2"],
		"extra_rule":{"semantics_list":[1,2,3]},"intercept_type":1,
		"applicable_range":{"user_list":["zhangshan"],"department_list":[2,3]}}}`)
	r, err := svc.GetInterceptRule(t.Context(), "xxx")
	require.NoError(t, err)
	assert.Equal(t, &contact.InterceptRule{RuleID: "1", RuleName: "rulename", WordList: []string{"敏感词1", "敏感词2"},
		ExtraRule:     &contact.InterceptExtraRule{SemanticsList: []contact.InterceptSemantics{1, 2, 3}},
		InterceptType: contact.InterceptWarnAndBlock, ApplicableRange: contact.InterceptRange{UserList: []string{"zhangshan"}, DepartmentList: []int{2, 3}}}, r)
}

func TestUpdateInterceptRuleShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/update_intercept_rule", Body: `{"rule_id":"xxxx",
		"rule_name":"rulename","word_list":["敏感词1","敏感词2"],"extra_rule":{"semantics_list":[1,2,3]},"intercept_type":1,
		"add_applicable_range":{"user_list":["zhangshan"],"department_list":[2,3]},
		"remove_applicable_range":{"user_list":["zhangshan"],"department_list":[2,3]}}`}, "")
	rng := &contact.InterceptRange{UserList: []string{"zhangshan"}, DepartmentList: []int{2, 3}}
	require.NoError(t, svc.UpdateInterceptRule(t.Context(), &contact.UpdateInterceptRuleRequest{RuleID: "xxxx", RuleName: "rulename",
		WordList: []string{"敏感词1", "敏感词2"}, ExtraRule: &contact.InterceptExtraRule{SemanticsList: []contact.InterceptSemantics{1, 2, 3}},
		InterceptType: contact.InterceptWarnAndBlock, AddApplicableRange: rng, RemoveApplicableRange: rng}))
	// Clearing the semantics sends an empty list, not null.
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/update_intercept_rule",
		Body: `{"rule_id":"y","extra_rule":{"semantics_list":[]}}`}, "")
	require.NoError(t, svc.UpdateInterceptRule(t.Context(), &contact.UpdateInterceptRuleRequest{RuleID: "y", ExtraRule: &contact.InterceptExtraRule{}}))
}

func TestDelInterceptRuleShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/del_intercept_rule", Body: `{"rule_id":"xxx"}`}, "")
	require.NoError(t, svc.DelInterceptRule(t.Context(), "xxx"))
}
