package wecomtest

import (
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Sensitive-word rules (聊天敏感词). Every app reads every rule; an app
// updates and deletes only the rules it created (another app's answer
// 60011). Rule ids are digits: get_intercept_rule answers rule_id as a
// number, as the docs' example does, while add and the list send strings.
// WeCom names no errcode for its limits; the fake answers 40058.

// interceptState holds a corp's rules; Server.mu guards it.
type interceptState struct {
	rules map[string]*fakeRule
	order []string
	next  int
}

func newInterceptState() *interceptState {
	return &interceptState{rules: map[string]*fakeRule{}, next: 8000001}
}

type fakeRule struct {
	id, app   string
	name      string
	words     []string
	semantics []int
	itype     int
	users     []string
	depts     []int
	created   int64
}

type wireInterceptRange struct {
	UserList       []string `json:"user_list"`
	DepartmentList []int    `json:"department_list"`
}

// Documented limits.
const (
	maxRuleName      = 20
	maxRuleWords     = 300
	maxRuleWordLen   = 32
	maxRuleRangeCall = 1000
	maxRuleUsers     = 10000
	maxRulesPerCorp  = 100
)

func checkRuleName(name string) *apiError {
	if name == "" || utf8.RuneCountInString(name) > maxRuleName {
		return errf(40058, "rule_name must be 1 to 20 characters")
	}
	return nil
}

func checkRuleWords(words []string) *apiError {
	if len(words) == 0 || len(words) > maxRuleWords {
		return errf(40058, "word_list must hold 1 to 300 words")
	}
	for _, w := range words {
		if w == "" || utf8.RuneCountInString(w) > maxRuleWordLen {
			return errf(40058, "a word must be 1 to 32 characters")
		}
	}
	return nil
}

func checkSemantics(list []int) *apiError {
	for _, v := range list {
		if v < 1 || v > 3 {
			return errf(40058, "semantics_list takes 1, 2 and 3")
		}
	}
	return nil
}

func checkRuleRange(r *wireInterceptRange) *apiError {
	if r != nil && (len(r.UserList) > maxRuleRangeCall || len(r.DepartmentList) > maxRuleRangeCall) {
		return errf(40058, "at most 1000 userids and 1000 departments per call")
	}
	return nil
}

func (s *Server) routeContactIntercept() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/add_intercept_rule", func(c *call) (any, *apiError) {
		var req struct {
			RuleName        string              `json:"rule_name"`
			WordList        []string            `json:"word_list"`
			SemanticsList   []int               `json:"semantics_list"`
			InterceptType   int                 `json:"intercept_type"`
			ApplicableRange *wireInterceptRange `json:"applicable_range"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		st := c.corp.contact.intercepts
		for _, e := range []*apiError{checkRuleName(req.RuleName), checkRuleWords(req.WordList),
			checkSemantics(req.SemanticsList), checkRuleRange(req.ApplicableRange)} {
			if e != nil {
				return nil, e
			}
		}
		switch {
		case req.InterceptType != 1 && req.InterceptType != 2:
			return nil, errf(40058, "intercept_type must be 1 or 2")
		case req.ApplicableRange == nil || len(req.ApplicableRange.UserList)+len(req.ApplicableRange.DepartmentList) == 0:
			return nil, errf(40058, "applicable_range must name a member or a department")
		case len(st.rules) >= maxRulesPerCorp:
			return nil, errf(40058, "a corp has at most 100 sensitive-word rules")
		}
		r := &fakeRule{id: strconv.Itoa(st.next), app: c.appOf(), name: req.RuleName, words: req.WordList,
			semantics: req.SemanticsList, itype: req.InterceptType, users: req.ApplicableRange.UserList,
			depts: req.ApplicableRange.DepartmentList, created: c.s.now().Unix()}
		st.next++
		st.rules[r.id] = r
		st.order = append(st.order, r.id)
		return map[string]any{"rule_id": r.id}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
	s.handleContact(http.MethodGet, "/cgi-bin/externalcontact/get_intercept_rule_list", func(c *call) (any, *apiError) {
		type entry struct {
			RuleID     string `json:"rule_id"`
			RuleName   string `json:"rule_name"`
			CreateTime int64  `json:"create_time"`
		}
		st := c.corp.contact.intercepts
		list := []entry{}
		for _, id := range st.order {
			r := st.rules[id]
			list = append(list, entry{r.id, r.name, r.created})
		}
		return map[string]any{"rule_list": list}, nil
	})

	find := func(c *call, own bool) (*fakeRule, *apiError) {
		var req struct {
			RuleID string `json:"rule_id"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		r := c.corp.contact.intercepts.rules[req.RuleID]
		switch {
		case r == nil:
			return nil, errf(40058, "invalid rule_id")
		case own && r.app != c.appOf():
			return nil, errf(60011, "no privilege: the rule was created by another app")
		}
		return r, nil
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_intercept_rule", func(c *call) (any, *apiError) {
		r, e := find(c, false)
		if e != nil {
			return nil, e
		}
		num, _ := strconv.Atoi(r.id)
		rule := struct {
			RuleID    int      `json:"rule_id"` // a number, as in the docs' example
			RuleName  string   `json:"rule_name"`
			WordList  []string `json:"word_list"`
			ExtraRule struct {
				SemanticsList []int `json:"semantics_list"`
			} `json:"extra_rule"`
			InterceptType   int                `json:"intercept_type"`
			ApplicableRange wireInterceptRange `json:"applicable_range"`
			CreateTime      int64              `json:"create_time"`
		}{RuleID: num, RuleName: r.name, WordList: append([]string{}, r.words...), InterceptType: r.itype, CreateTime: r.created}
		rule.ApplicableRange.UserList = append([]string{}, r.users...)
		rule.ApplicableRange.DepartmentList = append([]int{}, r.depts...)
		rule.ExtraRule.SemanticsList = append([]int{}, r.semantics...)
		return map[string]any{"rule": rule}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/update_intercept_rule", func(c *call) (any, *apiError) {
		var req struct {
			RuleID    string   `json:"rule_id"`
			RuleName  *string  `json:"rule_name"`
			WordList  []string `json:"word_list"`
			ExtraRule *struct {
				SemanticsList []int `json:"semantics_list"`
			} `json:"extra_rule"`
			InterceptType         *int                `json:"intercept_type"`
			AddApplicableRange    *wireInterceptRange `json:"add_applicable_range"`
			RemoveApplicableRange *wireInterceptRange `json:"remove_applicable_range"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		r := c.corp.contact.intercepts.rules[req.RuleID]
		switch {
		case r == nil:
			return nil, errf(40058, "invalid rule_id")
		case r.app != c.appOf():
			return nil, errf(60011, "no privilege: the rule was created by another app")
		case req.InterceptType != nil && *req.InterceptType != 1 && *req.InterceptType != 2:
			return nil, errf(40058, "intercept_type must be 1 or 2")
		}
		checks := []*apiError{checkRuleRange(req.AddApplicableRange), checkRuleRange(req.RemoveApplicableRange)}
		if req.RuleName != nil {
			checks = append(checks, checkRuleName(*req.RuleName))
		}
		if len(req.WordList) > 0 { // documented: an empty word_list is ignored
			checks = append(checks, checkRuleWords(req.WordList))
		}
		if req.ExtraRule != nil {
			checks = append(checks, checkSemantics(req.ExtraRule.SemanticsList))
		}
		for _, e := range checks {
			if e != nil {
				return nil, e
			}
		}
		users, depts := slices.Clone(r.users), slices.Clone(r.depts)
		if rm := req.RemoveApplicableRange; rm != nil {
			users = slices.DeleteFunc(users, func(u string) bool { return slices.Contains(rm.UserList, u) })
			depts = slices.DeleteFunc(depts, func(d int) bool { return slices.Contains(rm.DepartmentList, d) })
		}
		if add := req.AddApplicableRange; add != nil {
			for _, u := range add.UserList {
				if !slices.Contains(users, u) {
					users = append(users, u)
				}
			}
			for _, d := range add.DepartmentList {
				if !slices.Contains(depts, d) {
					depts = append(depts, d)
				}
			}
		}
		if len(users) > maxRuleUsers {
			return nil, errf(40058, "a rule holds at most 10000 userids; use departments")
		}
		r.users, r.depts = users, depts
		if req.RuleName != nil {
			r.name = *req.RuleName
		}
		if len(req.WordList) > 0 {
			r.words = req.WordList
		}
		if req.ExtraRule != nil { // an empty list clears the semantics rules
			r.semantics = req.ExtraRule.SemanticsList
		}
		if req.InterceptType != nil {
			r.itype = *req.InterceptType
		}
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95097
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/del_intercept_rule", func(c *call) (any, *apiError) {
		r, e := find(c, true)
		if e != nil {
			return nil, e
		}
		st := c.corp.contact.intercepts
		delete(st.rules, r.id)
		st.order = removeString(st.order, r.id)
		return nil, nil
	})
}
