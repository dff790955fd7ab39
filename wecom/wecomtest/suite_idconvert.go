package wecomtest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// The fake's id spaces: a corp-subject external_userid "wm..." becomes the
// provider-subject "wmsvc_..." (and back); a tag id "et..." becomes
// "etsvc_...". Ids already in the provider's space come back unchanged.
const (
	svcUserPrefix = "wmsvc_"
	svcTagPrefix  = "etsvc_"
)

func toServiceUserID(id string) string {
	if strings.HasPrefix(id, svcUserPrefix) {
		return id
	}
	return svcUserPrefix + id
}

// ServiceExternalUserID is the provider-subject external_userid the fake
// gives for a corp-subject one.
func ServiceExternalUserID(corpSubjectID string) string { return toServiceUserID(corpSubjectID) }

type wsUserIDPair struct {
	ExternalUserID    string `json:"external_userid"`
	NewExternalUserID string `json:"new_external_userid"`
}

func (s *Server) routeIDConvert() {
	const maxIDs = 1000

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97108
	s.handle(http.MethodPost, "/cgi-bin/idconvert/unionid_to_external_userid", authCorp, func(c *call) (any, *apiError) {
		if c.s.appAuthLocked(c) == nil {
			return nil, errf(48002, "api forbidden: third-party or agent-developed apps only")
		}
		var req struct {
			UnionID     string `json:"unionid"`
			OpenID      string `json:"openid"`
			SubjectType *int   `json:"subject_type"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.UnionID == "" || req.OpenID == "" {
			return nil, errf(40058, "unionid and openid are required")
		}
		if st := req.SubjectType; st != nil && *st != 0 && *st != 1 {
			return nil, errf(40058, "invalid subject_type")
		}
		if id := c.s.customerByUnionIDLocked(c.corp, req.UnionID); id != "" {
			return map[string]any{"external_userid": toServiceUserID(id)}, nil
		}
		pending := pseudoID("pd", c.corp.ID, req.UnionID)
		c.corp.contact.idconv.pending[req.UnionID] = pendingRec{id: pending, issued: c.s.now()}
		return map[string]any{"pending_id": pending}, nil
	})

	convert := func(withChat bool) handlerFunc {
		return func(c *call) (any, *apiError) {
			if c.s.appAuthLocked(c) == nil {
				return nil, errf(48002, "api forbidden: third-party or agent-developed apps only")
			}
			var req struct {
				ChatID string   `json:"chat_id"`
				List   []string `json:"external_userid_list"`
			}
			if withChat {
				if e := c.decode(&req); e != nil {
					return nil, e
				}
				if req.ChatID == "" {
					return nil, errf(40058, "chat_id missing")
				}
			} else {
				var plain struct {
					List []string `json:"external_userid_list"`
				}
				if e := c.decode(&plain); e != nil {
					return nil, e
				}
				req.List = plain.List
			}
			if len(req.List) == 0 || len(req.List) > maxIDs {
				return nil, errf(40058, "external_userid_list must hold 1 to 1000 ids")
			}
			items := make([]wsUserIDPair, 0, len(req.List))
			for _, id := range req.List {
				items = append(items, wsUserIDPair{ExternalUserID: id, NewExternalUserID: toServiceUserID(id)})
			}
			return map[string]any{"items": items}, nil
		}
	}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97107
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/get_new_external_userid", authCorp, convert(false))
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/groupchat/get_new_external_userid", authCorp, convert(true))

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95195
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/to_service_external_userid", authCorp, func(c *call) (any, *apiError) {
		a := c.s.appAuthLocked(c)
		if a == nil || c.s.suite.corpTokens[c.r.URL.Query().Get("access_token")] != (corpAuthRef{}) {
			return nil, errf(48002, "api forbidden: agent-developed apps only")
		}
		var req struct {
			ExternalUserID string `json:"external_userid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.ExternalUserID == "" {
			return nil, errf(40058, "external_userid missing")
		}
		return map[string]any{"external_userid": toServiceUserID(req.ExternalUserID)}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95884
	s.handle(http.MethodPost, "/cgi-bin/externalcontact/from_service_external_userid", authCorp, func(c *call) (any, *apiError) {
		if c.s.appAuthLocked(c) != nil {
			return nil, errf(48002, "api forbidden: self-built apps only")
		}
		var req struct {
			ExternalUserID string `json:"external_userid"`
			SourceAgentID  int    `json:"source_agentid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.ExternalUserID == "" || req.SourceAgentID == 0 {
			return nil, errf(40058, "external_userid and source_agentid are required")
		}
		known := false
		for _, fs := range c.s.suite.suites {
			if a := fs.auths[c.corp.ID]; a != nil && !a.cancelled && a.agentID == req.SourceAgentID {
				known = true
			}
		}
		if !known {
			return nil, errf(40056, "invalid source_agentid")
		}
		if !strings.HasPrefix(req.ExternalUserID, svcUserPrefix) {
			return nil, errf(40096, "invalid external_userid")
		}
		return map[string]any{"external_userid": strings.TrimPrefix(req.ExternalUserID, svcUserPrefix)}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96169
	s.handle(http.MethodPost, "/cgi-bin/idconvert/external_tagid", authCorp, func(c *call) (any, *apiError) {
		if c.s.appAuthLocked(c) == nil {
			return nil, errf(48002, "api forbidden: third-party or agent-developed apps only")
		}
		var req struct {
			List []string `json:"external_tagid_list"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if len(req.List) == 0 || len(req.List) > maxIDs {
			return nil, errf(40058, "external_tagid_list must hold 1 to 1000 ids")
		}
		type pair struct {
			ExternalTagID     string `json:"external_tagid"`
			OpenExternalTagID string `json:"open_external_tagid"`
		}
		items, invalid := []pair{}, []string{}
		for _, id := range req.List {
			switch {
			case strings.HasPrefix(id, svcTagPrefix):
				items = append(items, pair{id, id})
			case strings.HasPrefix(id, "et"):
				items = append(items, pair{id, svcTagPrefix + id})
			default:
				invalid = append(invalid, id)
			}
		}
		return map[string]any{"items": items, "invalid_external_tagid_list": invalid}, nil
	})

	s.routeIDConvertMore()
}

// idconvState records what the id conversions issued in a corp; Server.mu
// guards it.
type idconvState struct {
	openUserIDs map[string]openUserRef // open_userid → whom it stands for
	pending     map[string]pendingRec  // unionid → pending_id issued for it
}

func newIDConvState() *idconvState {
	return &idconvState{openUserIDs: map[string]openUserRef{}, pending: map[string]pendingRec{}}
}

type openUserRef struct{ suite, userID string }

type pendingRec struct {
	id     string
	issued time.Time
}

// pendingLife is how long a pending_id links a unionid to the customer it
// becomes.
const pendingLife = 90 * 24 * time.Hour

// OpenUserID returns the open_userid (encrypted userid) the suite's app
// sees for member userID of corpID, as batch/openuserid_to_userid takes it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95884
func (su *Suite) OpenUserID(corpID, userID string) string {
	s, suiteID := su.s, su.id
	s.mu.Lock()
	defer s.mu.Unlock()
	id := pseudoID("wo", suiteID, corpID, userID)
	if c := s.corps[corpID]; c != nil {
		c.contact.idconv.openUserIDs[id] = openUserRef{suite: suiteID, userID: userID}
	}
	return id
}

// resolveOpenUserID finds whom open_userid id stands for: one issued by
// OpenUserID, or the id of a member or app admin the fake knows (as
// service/get_admin_list hands them out). s.mu is held.
func (s *Server) resolveOpenUserID(corp *corpState, id string) (openUserRef, bool) {
	if ref, ok := corp.contact.idconv.openUserIDs[id]; ok {
		return ref, true
	}
	for sid, fs := range s.suite.suites {
		a := fs.auths[corp.ID]
		if a == nil || a.cancelled {
			continue
		}
		users := slices.Clone(corp.contact.staffOrder)
		for _, ad := range a.admins {
			users = append(users, ad.UserID)
		}
		for _, u := range users {
			if pseudoID("wo", sid, corp.ID, u) == id {
				return openUserRef{suite: sid, userID: u}, true
			}
		}
	}
	return openUserRef{}, false
}

// customerByUnionIDLocked returns the corp-subject external_userid of the
// customer with unionID (linked with LinkUnionID, or a seeded WeChat
// customer), or "". s.mu is held.
func (s *Server) customerByUnionIDLocked(corp *corpState, unionID string) string {
	if id, ok := s.suite.unionIDs[corp.ID+"\x00"+unionID]; ok {
		return id
	}
	return corp.contact.byUnionID[unionID]
}

// unionIDOfLocked is the inverse of customerByUnionIDLocked. s.mu is held.
func (s *Server) unionIDOfLocked(corp *corpState, externalUserID string) string {
	prefix := corp.ID + "\x00"
	for k, v := range s.suite.unionIDs {
		if v == externalUserID && strings.HasPrefix(k, prefix) {
			return strings.TrimPrefix(k, prefix)
		}
	}
	if cu := corp.contact.customers[externalUserID]; cu != nil {
		return cu.contact.UnionID
	}
	return ""
}

func (s *Server) routeIDConvertMore() {
	const maxOpenUserIDs, maxPendingIDs = 1000, 100

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95884
	s.handle(http.MethodPost, "/cgi-bin/batch/openuserid_to_userid", authCorp, func(c *call) (any, *apiError) {
		if c.s.appAuthLocked(c) != nil {
			return nil, errf(48002, "api forbidden: self-built apps only")
		}
		var req struct {
			List          []string `json:"open_userid_list"`
			SourceAgentID int      `json:"source_agentid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if len(req.List) == 0 || len(req.List) > maxOpenUserIDs {
			return nil, errf(40058, "open_userid_list must hold 1 to 1000 ids")
		}
		source := ""
		if req.SourceAgentID != 0 {
			for sid, fs := range c.s.suite.suites {
				if a := fs.auths[c.corp.ID]; a != nil && !a.cancelled && a.agentID == req.SourceAgentID {
					source = sid
				}
			}
			if source == "" {
				return nil, errf(40056, "invalid source_agentid")
			}
		}
		type pair struct {
			OpenUserID string `json:"open_userid"`
			UserID     string `json:"userid"`
		}
		found, invalid := []pair{}, []string{}
		for _, id := range req.List {
			ref, ok := c.s.resolveOpenUserID(c.corp, id)
			if !ok || (source != "" && ref.suite != source) {
				invalid = append(invalid, id)
				continue
			}
			found = append(found, pair{id, ref.userID})
		}
		return map[string]any{"userid_list": found, "invalid_open_userid_list": invalid}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95878
	s.handle(http.MethodPost, "/cgi-bin/service/externalcontact/unionid_to_external_userid_3rd", authNone, func(c *call) (any, *apiError) {
		fs, e := c.suiteCall()
		if e != nil {
			return nil, e
		}
		var req struct {
			UnionID string `json:"unionid"`
			OpenID  string `json:"openid"`
			CorpID  string `json:"corpid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.UnionID == "" || req.OpenID == "" {
			return nil, errf(40058, "unionid and openid are required")
		}
		type info struct {
			CorpID         string `json:"corpid"`
			ExternalUserID string `json:"external_userid"`
		}
		out := []info{}
		var corps []string
		for id, a := range fs.auths {
			if !a.cancelled && (req.CorpID == "" || req.CorpID == id) {
				corps = append(corps, id)
			}
		}
		slices.Sort(corps)
		for _, id := range corps {
			corp := c.s.corps[id]
			if corp == nil {
				continue
			}
			if ext := c.s.customerByUnionIDLocked(corp, req.UnionID); ext != "" {
				out = append(out, info{id, toServiceUserID(ext)})
			}
		}
		return map[string]any{"external_userid_info": out}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97108
	s.handle(http.MethodPost, "/cgi-bin/idconvert/batch/external_userid_to_pending_id", authCorp, func(c *call) (any, *apiError) {
		if c.s.appAuthLocked(c) == nil {
			return nil, errf(48002, "api forbidden: third-party or agent-developed apps only")
		}
		var req struct {
			ChatID string   `json:"chat_id"`
			List   []string `json:"external_userid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if len(req.List) == 0 || len(req.List) > maxPendingIDs {
			return nil, errf(40058, "external_userid must hold 1 to 100 ids")
		}
		type pair struct {
			ExternalUserID string `json:"external_userid"`
			PendingID      string `json:"pending_id"`
		}
		out := []pair{}
		for _, id := range req.List {
			union := c.s.unionIDOfLocked(c.corp, strings.TrimPrefix(id, svcUserPrefix))
			rec, ok := c.corp.contact.idconv.pending[union]
			if union == "" || !ok || c.s.now().Sub(rec.issued) >= pendingLife {
				continue
			}
			out = append(out, pair{id, rec.id})
		}
		return map[string]any{"result": out}, nil
	})
}
