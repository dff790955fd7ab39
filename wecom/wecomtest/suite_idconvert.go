package wecomtest

import (
	"net/http"
	"strings"
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
		if id, ok := c.s.suite.unionIDs[c.corp.ID+"\x00"+req.UnionID]; ok {
			return map[string]any{"external_userid": toServiceUserID(id)}, nil
		}
		return map[string]any{"pending_id": pseudoID("pd", c.corp.ID, req.UnionID)}, nil
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
}
