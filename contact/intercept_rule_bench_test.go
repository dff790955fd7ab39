package contact_test

import (
	"encoding/json"
	"testing"

	"github.com/scrmkit/scrm/contact"
)

// A get_intercept_rule answer of a rule with 300 words and 200 users.
var interceptRuleJSON = func() []byte {
	words := make([]string, 300)
	for i := range words {
		words[i] = "敏感词敏感词"
	}
	users := make([]string, 200)
	for i := range users {
		users[i] = "zhangsan"
	}
	b, _ := json.Marshal(map[string]any{"rule_id": 8000001, "rule_name": "rulename", "word_list": words,
		"extra_rule": map[string]any{"semantics_list": []int{1, 2, 3}}, "intercept_type": 1,
		"applicable_range": map[string]any{"user_list": users, "department_list": []int{2, 3}}, "create_time": 1600000000})
	return b
}()

// BenchmarkInterceptRuleDecode decodes with InterceptRule's UnmarshalJSON,
// which takes rule_id as a number or a string.
func BenchmarkInterceptRuleDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r contact.InterceptRule
		if err := json.Unmarshal(interceptRuleJSON, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInterceptRuleDecodeReference decodes the same answer into a
// plain struct of the same fields (rule_id as a json.Number): the reference
// for the cost of the tolerant decoder.
func BenchmarkInterceptRuleDecodeReference(b *testing.B) {
	type plain struct {
		RuleID    json.Number `json:"rule_id"`
		RuleName  string      `json:"rule_name"`
		WordList  []string    `json:"word_list"`
		ExtraRule *struct {
			SemanticsList []int `json:"semantics_list"`
		} `json:"extra_rule"`
		InterceptType   int `json:"intercept_type"`
		ApplicableRange struct {
			UserList       []string `json:"user_list"`
			DepartmentList []int    `json:"department_list"`
		} `json:"applicable_range"`
		CreateTime int64 `json:"create_time"`
	}
	b.ReportAllocs()
	for b.Loop() {
		var r plain
		if err := json.Unmarshal(interceptRuleJSON, &r); err != nil {
			b.Fatal(err)
		}
	}
}
