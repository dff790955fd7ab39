package contact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// MaxInterceptRangeNodes is the most userids, and the most departments,
// one call may name in a sensitive-word rule's range (ApplicableRange,
// AddApplicableRange, RemoveApplicableRange). A rule holds at most 10000
// userids in all (WeCom enforces it): grow its range with
// UpdateInterceptRule in steps of MaxInterceptRangeNodes, or name
// departments.
const MaxInterceptRangeNodes = 1000

// Documented limits of the sensitive-word rule endpoints. A corp has at
// most 100 rules (WeCom enforces it).
const (
	maxInterceptRuleNameLen = 20  // rule name, in characters
	maxInterceptWords       = 300 // words of a rule
	maxInterceptWordLen     = 32  // one word, in characters
)

// InterceptType is what happens when a member sends a sensitive word.
type InterceptType int

// Intercept types.
const (
	InterceptWarnAndBlock InterceptType = 1 // warn and do not send
	InterceptWarnOnly     InterceptType = 2 // warn only
)

// InterceptSemantics is a kind of content a rule catches besides its words.
type InterceptSemantics int

// Semantics rules.
const (
	SemanticsPhone     InterceptSemantics = 1 // phone numbers
	SemanticsEmail     InterceptSemantics = 2 // email addresses
	SemanticsRedPacket InterceptSemantics = 3 // red packets
)

// InterceptRange is who a rule applies to: members and departments, which
// must be in the app's visible range.
type InterceptRange struct {
	UserList       []string `json:"user_list,omitempty"`
	DepartmentList []int    `json:"department_list,omitempty"`
}

func (r *InterceptRange) validate(field string) error {
	if r == nil {
		return nil
	}
	return api.FirstErr(api.MaxItems(check, field+".UserList", r.UserList, MaxInterceptRangeNodes),
		api.MaxItems(check, field+".DepartmentList", r.DepartmentList, MaxInterceptRangeNodes))
}

func (r *InterceptRange) empty() bool {
	return r == nil || len(r.UserList) == 0 && len(r.DepartmentList) == 0
}

// InterceptExtraRule holds the semantics rules in update_intercept_rule and
// in get_intercept_rule's answer.
type InterceptExtraRule struct {
	// SemanticsList is sent even when empty: an empty list clears the
	// rule's semantics.
	SemanticsList []InterceptSemantics `json:"semantics_list"`
}

// MarshalJSON sends an empty list as [] (not null), which clears.
func (e InterceptExtraRule) MarshalJSON() ([]byte, error) {
	list := e.SemanticsList
	if list == nil {
		list = []InterceptSemantics{}
	}
	return json.Marshal(struct {
		SemanticsList []InterceptSemantics `json:"semantics_list"`
	}{list})
}

func validateRuleName(name string) error {
	return check.MaxChars("RuleName", name, maxInterceptRuleNameLen)
}

func validateWords(words []string) error {
	if err := api.MaxItems(check, "WordList", words, maxInterceptWords); err != nil {
		return err
	}
	for i, w := range words {
		if w == "" {
			return check.Invalidf("WordList[%d] is empty; words are 1 to %d characters", i, maxInterceptWordLen)
		}
		if err := check.MaxChars(fmt.Sprintf("WordList[%d]", i), w, maxInterceptWordLen); err != nil {
			return err
		}
	}
	return nil
}

func validateSemantics(list []InterceptSemantics) error {
	for i, v := range list {
		if v < SemanticsPhone || v > SemanticsRedPacket {
			return check.Invalidf("SemanticsList[%d] is %d; WeCom knows 1 (phone), 2 (email) and 3 (red packet)", i, v)
		}
	}
	return nil
}

func validateInterceptType(t InterceptType, optional bool) error {
	if (optional && t == 0) || t == InterceptWarnAndBlock || t == InterceptWarnOnly {
		return nil
	}
	return check.Invalidf("InterceptType is %d; WeCom knows 1 (warn and block) and 2 (warn only)", t)
}

// AddInterceptRuleRequest creates a sensitive-word rule. Its shape differs
// from UpdateInterceptRuleRequest's (see there).
type AddInterceptRuleRequest struct {
	RuleName      string               `json:"rule_name"`                // required, 1 to 20 characters
	WordList      []string             `json:"word_list"`                // required, 1 to 300 words of 1 to 32 characters
	SemanticsList []InterceptSemantics `json:"semantics_list,omitempty"` // top level here, unlike on update
	InterceptType InterceptType        `json:"intercept_type"`           // required
	// ApplicableRange is required and must name a member or a department.
	ApplicableRange *InterceptRange `json:"applicable_range"`
}

func (r *AddInterceptRuleRequest) validate() error {
	if r == nil {
		return check.Invalidf("request is nil")
	}
	if r.RuleName == "" {
		return check.Invalidf("RuleName is required")
	}
	if len(r.WordList) == 0 {
		return check.Invalidf("WordList is required: 1 to %d words", maxInterceptWords)
	}
	if r.ApplicableRange.empty() {
		return check.Invalidf("ApplicableRange must name a member or a department")
	}
	return api.FirstErr(validateRuleName(r.RuleName), validateWords(r.WordList), validateSemantics(r.SemanticsList),
		validateInterceptType(r.InterceptType, false), r.ApplicableRange.validate("ApplicableRange"))
}

// AddInterceptRule creates a sensitive-word rule and returns its rule_id.
// It is never re-sent once it may have reached WeCom: such an error is a
// *wecom.MaybeCreatedError (matching wecom.ErrOutcomeUnknown); look for the
// rule's name in ListInterceptRules before creating it again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
func (s *Service) AddInterceptRule(ctx context.Context, req *AddInterceptRuleRequest) (string, error) {
	if err := req.validate(); err != nil {
		return "", err
	}
	var out struct {
		RuleID ruleID `json:"rule_id"`
	}
	err := api.Create(ctx, s.c, "/cgi-bin/externalcontact/add_intercept_rule", req, &out, func(since, until time.Time) string {
		return fmt.Sprintf("list get_intercept_rule_list (ListInterceptRules) and look for the rule name %q with a create_time %s",
			req.RuleName, api.Window(since, until))
	})
	if err != nil {
		return "", err
	}
	return string(out.RuleID), nil
}

// InterceptRuleSummary is an entry of get_intercept_rule_list.
type InterceptRuleSummary struct {
	RuleID     string         `json:"rule_id"`
	RuleName   string         `json:"rule_name"`
	CreateTime wecom.UnixTime `json:"create_time"`
}

// UnmarshalJSON accepts rule_id as a string or a number.
func (r *InterceptRuleSummary) UnmarshalJSON(b []byte) error {
	type plain InterceptRuleSummary
	var v struct {
		plain
		RuleID ruleID `json:"rule_id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = InterceptRuleSummary(v.plain)
	r.RuleID = string(v.RuleID)
	return nil
}

// ListInterceptRules returns every sensitive-word rule of the corp (one
// GET, no paging).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
func (s *Service) ListInterceptRules(ctx context.Context) ([]InterceptRuleSummary, error) {
	var out struct {
		RuleList []InterceptRuleSummary `json:"rule_list"`
	}
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/get_intercept_rule_list", nil, &out); err != nil {
		return nil, err
	}
	return out.RuleList, nil
}

// InterceptRule is a sensitive-word rule (聊天敏感词) as get_intercept_rule
// returns it. A rule warns members, or blocks the message, when they send
// customers a listed word or a phone number, email address or red packet.
// Every app can read every rule of the corp (the range lists only members
// and departments in the app's visible range); an app may update and
// delete only the rules it created. A corp has at most 100 rules.
type InterceptRule struct {
	RuleID          string              `json:"rule_id"`
	RuleName        string              `json:"rule_name"`
	WordList        []string            `json:"word_list"`
	ExtraRule       *InterceptExtraRule `json:"extra_rule,omitempty"`
	InterceptType   InterceptType       `json:"intercept_type"`
	ApplicableRange InterceptRange      `json:"applicable_range"`
	// CreateTime is in the field table but not in the example.
	CreateTime wecom.UnixTime `json:"create_time,omitempty"`
}

// UnmarshalJSON accepts rule_id as a string or a number: the docs' example
// of get_intercept_rule has 1 where every other answer has a string.
func (r *InterceptRule) UnmarshalJSON(b []byte) error {
	type plain InterceptRule
	var v struct {
		plain
		RuleID ruleID `json:"rule_id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = InterceptRule(v.plain)
	r.RuleID = string(v.RuleID)
	return nil
}

type ruleIDBody struct {
	RuleID string `json:"rule_id"`
}

// GetInterceptRule returns one sensitive-word rule.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
func (s *Service) GetInterceptRule(ctx context.Context, ruleID string) (*InterceptRule, error) {
	if err := check.Required("ruleID", ruleID); err != nil {
		return nil, err
	}
	var out struct {
		Rule InterceptRule `json:"rule"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_intercept_rule", ruleIDBody{ruleID}, &out); err != nil {
		return nil, err
	}
	return &out.Rule, nil
}

// UpdateInterceptRuleRequest changes a sensitive-word rule. Only RuleID is
// required; zero fields are not sent and keep what is there.
//
// The update body is not the add body with an id:
//   - semantics: add takes a top-level semantics_list; update (like get's
//     answer) nests it in extra_rule, and an extra_rule with an empty list
//     clears them (InterceptExtraRule);
//   - range: add takes the whole applicable_range; update takes changes,
//     add_applicable_range and remove_applicable_range;
//   - every field but rule_id is optional on update; an empty word_list is
//     ignored there (it cannot empty the list).
type UpdateInterceptRuleRequest struct {
	RuleID   string `json:"rule_id"`
	RuleName string `json:"rule_name,omitempty"` // at most 20 characters
	// WordList, when not empty, replaces the words (1 to 300 of 1 to 32
	// characters); empty leaves them.
	WordList []string `json:"word_list,omitempty"`
	// ExtraRule, when set, replaces the semantics rules; with an empty
	// SemanticsList it removes them all. nil leaves them.
	ExtraRule     *InterceptExtraRule `json:"extra_rule,omitempty"`
	InterceptType InterceptType       `json:"intercept_type,omitempty"`
	// AddApplicableRange and RemoveApplicableRange change the range, at
	// most MaxInterceptRangeNodes userids and as many departments each; a
	// rule holds at most 10000 userids.
	AddApplicableRange    *InterceptRange `json:"add_applicable_range,omitempty"`
	RemoveApplicableRange *InterceptRange `json:"remove_applicable_range,omitempty"`
}

func (r *UpdateInterceptRuleRequest) validate() error {
	if r == nil {
		return check.Invalidf("request is nil")
	}
	errs := []error{check.Required("RuleID", r.RuleID), validateRuleName(r.RuleName), validateWords(r.WordList),
		validateInterceptType(r.InterceptType, true), r.AddApplicableRange.validate("AddApplicableRange"),
		r.RemoveApplicableRange.validate("RemoveApplicableRange")}
	if r.ExtraRule != nil {
		errs = append(errs, validateSemantics(r.ExtraRule.SemanticsList))
	}
	return api.FirstErr(errs...)
}

// UpdateInterceptRule changes a sensitive-word rule this app created. The
// client repeats it after a failure in transit: repeating it leaves the
// same rule.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
func (s *Service) UpdateInterceptRule(ctx context.Context, req *UpdateInterceptRuleRequest) error {
	if err := req.validate(); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/update_intercept_rule", req, nil)
}

// DelInterceptRule deletes a sensitive-word rule this app created. The
// client repeats it after a failure in transit; when the first attempt had
// deleted the rule, the repetition is told it does not exist.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
func (s *Service) DelInterceptRule(ctx context.Context, ruleID string) error {
	if err := check.Required("ruleID", ruleID); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/externalcontact/del_intercept_rule", ruleIDBody{ruleID}, nil)
}

// ruleID decodes a rule id sent as a JSON string or an integer.
type ruleID string

func (id *ruleID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ruleID(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("contact: rule_id %.40q is neither a string nor a number", b)
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return fmt.Errorf("contact: rule_id %.40q is not an integer", b)
		}
		*id = ruleID(n.String())
	}
	return nil
}
