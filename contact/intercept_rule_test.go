package contact_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

// WeCom's documented limits, which the package keeps unexported.
const (
	maxInterceptWords       = 300   // words of a rule
	maxInterceptRuleNameLen = 20    // a rule name, in characters
	maxInterceptWordLen     = 32    // a word, in characters
	maxInterceptRules       = 100   // rules of a corp
	maxInterceptRuleUsers   = 10000 // userids of one rule in all
)

func TestInterceptRuleLifecycle(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	id, err := svc.AddInterceptRule(t.Context(), &contact.AddInterceptRuleRequest{
		RuleName: "no poaching", WordList: []string{"加微信", "转账"},
		SemanticsList:   []contact.InterceptSemantics{contact.SemanticsPhone, contact.SemanticsRedPacket},
		InterceptType:   contact.InterceptWarnAndBlock,
		ApplicableRange: &contact.InterceptRange{UserList: []string{"zhangsan"}, DepartmentList: []int{2}},
	})
	require.NoError(t, err)
	require.NotEmpty(t, id)
	// On add the semantics are top level and the range is whole.
	assert.Equal(t, map[string]any{"rule_name": "no poaching", "word_list": []any{"加微信", "转账"},
		"semantics_list": []any{1.0, 3.0}, "intercept_type": 1.0,
		"applicable_range": map[string]any{"user_list": []any{"zhangsan"}, "department_list": []any{2.0}}},
		testkit.LastBody(t, srv, "/cgi-bin/externalcontact/add_intercept_rule"))

	list, err := svc.ListInterceptRules(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, id, list[0].RuleID)
	assert.Equal(t, "no poaching", list[0].RuleName)
	assert.NotZero(t, list[0].CreateTime)
	assert.Equal(t, "GET", srv.Requests()[len(srv.Requests())-1].Method)

	// The fake answers get's rule_id as a number, as the docs' example does.
	r, err := svc.GetInterceptRule(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, id, r.RuleID)
	assert.Equal(t, []string{"加微信", "转账"}, r.WordList)
	require.NotNil(t, r.ExtraRule)
	assert.Equal(t, []contact.InterceptSemantics{contact.SemanticsPhone, contact.SemanticsRedPacket}, r.ExtraRule.SemanticsList)
	assert.Equal(t, contact.InterceptWarnAndBlock, r.InterceptType)
	assert.Equal(t, contact.InterceptRange{UserList: []string{"zhangsan"}, DepartmentList: []int{2}}, r.ApplicableRange)

	// On update the semantics sit in extra_rule (an empty list clears them)
	// and the range changes by additions and removals.
	require.NoError(t, svc.UpdateInterceptRule(t.Context(), &contact.UpdateInterceptRuleRequest{
		RuleID: id, InterceptType: contact.InterceptWarnOnly, ExtraRule: &contact.InterceptExtraRule{},
		AddApplicableRange:    &contact.InterceptRange{UserList: []string{"lisi"}},
		RemoveApplicableRange: &contact.InterceptRange{DepartmentList: []int{2}},
	}))
	assert.Equal(t, map[string]any{"rule_id": id, "intercept_type": 2.0, "extra_rule": map[string]any{"semantics_list": []any{}},
		"add_applicable_range": map[string]any{"user_list": []any{"lisi"}}, "remove_applicable_range": map[string]any{"department_list": []any{2.0}}},
		testkit.LastBody(t, srv, "/cgi-bin/externalcontact/update_intercept_rule"))
	r, err = svc.GetInterceptRule(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "no poaching", r.RuleName)
	assert.Equal(t, []string{"加微信", "转账"}, r.WordList, "words not sent are kept")
	assert.Empty(t, r.ExtraRule.SemanticsList)
	assert.Equal(t, contact.InterceptWarnOnly, r.InterceptType)
	assert.Equal(t, []string{"zhangsan", "lisi"}, r.ApplicableRange.UserList)
	assert.Empty(t, r.ApplicableRange.DepartmentList)

	require.NoError(t, svc.UpdateInterceptRule(t.Context(), &contact.UpdateInterceptRuleRequest{RuleID: id, RuleName: "renamed",
		WordList: []string{"私下交易"}, ExtraRule: &contact.InterceptExtraRule{SemanticsList: []contact.InterceptSemantics{contact.SemanticsEmail}}}))
	r, err = svc.GetInterceptRule(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "renamed", r.RuleName)
	assert.Equal(t, []string{"私下交易"}, r.WordList)
	assert.Equal(t, []contact.InterceptSemantics{contact.SemanticsEmail}, r.ExtraRule.SemanticsList)

	require.NoError(t, svc.DelInterceptRule(t.Context(), id))
	_, err = svc.GetInterceptRule(t.Context(), id)
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
	list, err = svc.ListInterceptRules(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
}

// Every app reads every rule; only the creating app changes it.
func TestInterceptRuleOwnApp(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	selfBuilt := contact.New(c)
	thirdParty := installSuite(t, srv)
	id, err := thirdParty.AddInterceptRule(t.Context(), &contact.AddInterceptRuleRequest{RuleName: "r", WordList: []string{"w"},
		InterceptType: contact.InterceptWarnOnly, ApplicableRange: &contact.InterceptRange{DepartmentList: []int{1}}})
	require.NoError(t, err)
	list, err := selfBuilt.ListInterceptRules(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, 1)
	_, err = selfBuilt.GetInterceptRule(t.Context(), id)
	require.NoError(t, err)
	testkit.WantCode(t, selfBuilt.UpdateInterceptRule(t.Context(), &contact.UpdateInterceptRuleRequest{RuleID: id, RuleName: "x"}), 60011)
	testkit.WantCode(t, selfBuilt.DelInterceptRule(t.Context(), id), 60011)
	require.NoError(t, thirdParty.DelInterceptRule(t.Context(), id))
}

func TestInterceptRuleLimits(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	rng := &contact.InterceptRange{UserList: []string{"a"}}
	words := make([]string, maxInterceptWords+1)
	for i := range words {
		words[i] = "w"
	}
	many := make([]string, contact.MaxInterceptRangeNodes+1)
	depts := make([]int, contact.MaxInterceptRangeNodes+1)
	ok := contact.AddInterceptRuleRequest{RuleName: "r", WordList: []string{"w"}, InterceptType: contact.InterceptWarnOnly, ApplicableRange: rng}
	with := func(f func(*contact.AddInterceptRuleRequest)) *contact.AddInterceptRuleRequest {
		r := ok
		f(&r)
		return &r
	}
	adds := []*contact.AddInterceptRuleRequest{
		nil,
		with(func(r *contact.AddInterceptRuleRequest) { r.RuleName = "" }),
		with(func(r *contact.AddInterceptRuleRequest) {
			r.RuleName = strings.Repeat("规", maxInterceptRuleNameLen+1)
		}),
		with(func(r *contact.AddInterceptRuleRequest) { r.WordList = nil }),
		with(func(r *contact.AddInterceptRuleRequest) { r.WordList = words }),
		with(func(r *contact.AddInterceptRuleRequest) { r.WordList = []string{""} }),
		with(func(r *contact.AddInterceptRuleRequest) {
			r.WordList = []string{strings.Repeat("词", maxInterceptWordLen+1)}
		}),
		with(func(r *contact.AddInterceptRuleRequest) { r.SemanticsList = []contact.InterceptSemantics{4} }),
		with(func(r *contact.AddInterceptRuleRequest) { r.InterceptType = 0 }),
		with(func(r *contact.AddInterceptRuleRequest) { r.InterceptType = 3 }),
		with(func(r *contact.AddInterceptRuleRequest) { r.ApplicableRange = nil }),
		with(func(r *contact.AddInterceptRuleRequest) { r.ApplicableRange = &contact.InterceptRange{} }),
		with(func(r *contact.AddInterceptRuleRequest) { r.ApplicableRange = &contact.InterceptRange{UserList: many} }),
		with(func(r *contact.AddInterceptRuleRequest) {
			r.ApplicableRange = &contact.InterceptRange{DepartmentList: depts}
		}),
	}
	for i, r := range adds {
		_, err := svc.AddInterceptRule(t.Context(), r)
		assert.ErrorIs(t, err, contact.ErrInvalidArgument, "add %d", i)
	}
	updates := []*contact.UpdateInterceptRuleRequest{
		nil,
		{RuleName: "r"},
		{RuleID: "1", RuleName: strings.Repeat("x", 21)},
		{RuleID: "1", WordList: words},
		{RuleID: "1", InterceptType: 5},
		{RuleID: "1", ExtraRule: &contact.InterceptExtraRule{SemanticsList: []contact.InterceptSemantics{0}}},
		{RuleID: "1", AddApplicableRange: &contact.InterceptRange{UserList: many}},
		{RuleID: "1", RemoveApplicableRange: &contact.InterceptRange{DepartmentList: depts}},
	}
	for i, r := range updates {
		assert.ErrorIs(t, svc.UpdateInterceptRule(t.Context(), r), contact.ErrInvalidArgument, "update %d", i)
	}
	_, err := svc.GetInterceptRule(t.Context(), "")
	assert.ErrorIs(t, err, contact.ErrInvalidArgument)
	assert.ErrorIs(t, svc.DelInterceptRule(t.Context(), ""), contact.ErrInvalidArgument)
	assert.Empty(t, srv.Requests(), "invalid input reached WeCom")

	// At their edges the limits pass.
	edge := with(func(r *contact.AddInterceptRuleRequest) {
		r.RuleName = strings.Repeat("规", maxInterceptRuleNameLen)
		r.WordList = append(words[:maxInterceptWords-1:maxInterceptWords-1], strings.Repeat("词", maxInterceptWordLen))
		r.ApplicableRange = &contact.InterceptRange{UserList: many[:contact.MaxInterceptRangeNodes]}
	})
	for i := range edge.ApplicableRange.UserList {
		edge.ApplicableRange.UserList[i] = "u"
	}
	_, err = svc.AddInterceptRule(t.Context(), edge)
	require.NoError(t, err)
}

// The fake answers the documented limits itself, for callers that bypass
// the SDK's checks: the corp's 100 rules, a rule's 10,000 userids.
func TestInterceptRuleFakeLimits(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	post := func(path string, body map[string]any) error {
		return svc.Client().Post(t.Context(), "/cgi-bin/externalcontact/"+path, body, nil)
	}
	rule := func(name string, words []string) map[string]any {
		return map[string]any{"rule_name": name, "word_list": words, "intercept_type": 1,
			"applicable_range": map[string]any{"user_list": []string{"a"}}}
	}
	testkit.WantCode(t, post("add_intercept_rule", rule(strings.Repeat("x", 21), []string{"w"})), wecom.CodeInvalidParameter)
	testkit.WantCode(t, post("add_intercept_rule", rule("r", []string{strings.Repeat("x", 33)})), wecom.CodeInvalidParameter)
	testkit.WantCode(t, post("add_intercept_rule", rule("r", make([]string, 301))), wecom.CodeInvalidParameter)
	testkit.WantCode(t, post("add_intercept_rule", map[string]any{"rule_name": "r", "word_list": []string{"w"}, "intercept_type": 1}), wecom.CodeInvalidParameter)

	var first string
	for i := range maxInterceptRules {
		id, err := svc.AddInterceptRule(t.Context(), &contact.AddInterceptRuleRequest{RuleName: "r", WordList: []string{"w"},
			InterceptType: contact.InterceptWarnOnly, ApplicableRange: &contact.InterceptRange{UserList: []string{"a"}}})
		require.NoError(t, err, "rule %d", i)
		if i == 0 {
			first = id
		}
	}
	testkit.WantCode(t, post("add_intercept_rule", rule("r", []string{"w"})), wecom.CodeInvalidParameter)

	// The rule holds "a"; fill it up to 10,000 userids, 1000 a call.
	var users []string
	for n := 1; n < maxInterceptRuleUsers; n++ {
		users = append(users, fmt.Sprintf("u%05d", n))
	}
	for len(users) > 0 {
		chunk := users[:min(len(users), contact.MaxInterceptRangeNodes)]
		users = users[len(chunk):]
		require.NoError(t, svc.UpdateInterceptRule(t.Context(), &contact.UpdateInterceptRuleRequest{RuleID: first,
			AddApplicableRange: &contact.InterceptRange{UserList: chunk}}))
	}
	err := svc.UpdateInterceptRule(t.Context(), &contact.UpdateInterceptRuleRequest{RuleID: first,
		AddApplicableRange: &contact.InterceptRange{UserList: []string{"one-more"}}})
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
}

func TestInterceptRuleIDForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`{"rule_id":"abc","rule_name":"n"}`, "abc"},
		{`{"rule_id":12345678901,"rule_name":"n"}`, "12345678901"},
		{`{"rule_id":null}`, ""},
		{`{}`, ""},
	} {
		var r contact.InterceptRule
		require.NoError(t, json.Unmarshal([]byte(tc.in), &r), tc.in)
		assert.Equal(t, tc.want, r.RuleID, tc.in)
		var s contact.InterceptRuleSummary
		require.NoError(t, json.Unmarshal([]byte(tc.in), &s), tc.in)
		assert.Equal(t, tc.want, s.RuleID, tc.in)
	}
	for _, in := range []string{`{"rule_id":1.5}`, `{"rule_id":true}`, `{"rule_id":{}}`, `{"rule_id":1e3}`} {
		var r contact.InterceptRule
		assert.Error(t, json.Unmarshal([]byte(in), &r), in)
	}
}

// FuzzInterceptRuleDecode feeds get_intercept_rule answers to the decoder:
// it never panics, and a rule it accepts keeps its id through a round trip.
func FuzzInterceptRuleDecode(f *testing.F) {
	for _, seed := range []string{
		`{"rule_id":1,"rule_name":"rulename","word_list":["敏感词1","敏感词2"],"extra_rule":{"semantics_list":[1,2,3]},"intercept_type":1,"applicable_range":{"user_list":["zhangshan"],"department_list":[2,3]}}`,
		`{"rule_id":"xxxx","rule_name":"r","create_time":1600000000}`,
		`{"rule_id":-7}`, `{"rule_id":"1"}`, `{"rule_id":18446744073709551616}`, `[]`, `{"rule_id":`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r contact.InterceptRule
		if json.Unmarshal(data, &r) != nil {
			return
		}
		b, err := json.Marshal(r)
		require.NoError(t, err)
		var again contact.InterceptRule
		require.NoError(t, json.Unmarshal(b, &again))
		assert.Equal(t, r.RuleID, again.RuleID)
	})
}
