package wecom

import (
	"context"
	"fmt"
	"net/http"
)

// maxConvertIDs is the documented cap of the list-taking conversion calls.
const maxConvertIDs = 1000

// IDConverter converts ids between a corp's id space and a service
// provider's (third-party and agent-developed apps see encrypted,
// provider-specific external_userids and tag ids). Build it from the client
// of the app that may call each endpoint: a corp client from Suite.Corp or an
// agent-developed app's client for most; a self-built app's client for
// FromServiceExternalUserID.
type IDConverter struct {
	c *Client
}

// NewIDConverter returns an IDConverter calling through c.
func NewIDConverter(c *Client) *IDConverter { return &IDConverter{c: c} }

// SubjectType says whose mini program or official account a unionid/openid
// pair comes from.
type SubjectType int

const (
	SubjectCorp     SubjectType = 0 // the authorizing corp's (the default)
	SubjectProvider SubjectType = 1 // the service provider's
)

// UnionIDRequest asks for the external_userid of a WeChat user.
type UnionIDRequest struct {
	UnionID     string      `json:"unionid"`      // required
	OpenID      string      `json:"openid"`       // required; from the same mini program / official account as UnionID
	SubjectType SubjectType `json:"subject_type"` // owner of that mini program / official account
}

// UnionIDResult is the answer: ExternalUserID when the user is already a
// customer of the corp, else PendingID, valid 90 days, for correlating the
// user once they become one (it is not an external_userid).
type UnionIDResult struct {
	ExternalUserID string `json:"external_userid"`
	PendingID      string `json:"pending_id"`
}

// UnionIDToExternalUserID converts a WeChat unionid (with its openid) to the
// provider-subject external_userid. Rate limits: 100,000/hour, 480,000/day
// and 7.5 million/month, per corp for SubjectCorp (shared by all providers)
// and per provider for SubjectProvider.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97108
func (s *IDConverter) UnionIDToExternalUserID(ctx context.Context, req UnionIDRequest) (*UnionIDResult, error) {
	if req.UnionID == "" || req.OpenID == "" {
		return nil, fmt.Errorf("wecom: unionid_to_external_userid: unionid and openid are both required")
	}
	if req.SubjectType != SubjectCorp && req.SubjectType != SubjectProvider {
		return nil, fmt.Errorf("wecom: unionid_to_external_userid: subject_type %d is neither 0 nor 1", req.SubjectType)
	}
	var out UnionIDResult
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/idconvert/unionid_to_external_userid", Body: req, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ExternalUserIDPair maps a corp-subject external_userid to the
// provider-subject one.
type ExternalUserIDPair struct {
	ExternalUserID    string `json:"external_userid"`
	NewExternalUserID string `json:"new_external_userid"`
}

func checkIDList(what string, ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("wecom: %s: no ids given", what)
	}
	if len(ids) > maxConvertIDs {
		return fmt.Errorf("wecom: %s: %d ids given, at most %d per call", what, len(ids), maxConvertIDs)
	}
	return nil
}

// NewExternalUserIDs converts corp-subject external_userids to
// provider-subject ones (at most 1000 per call, 200 recommended). Ids that
// are already provider-subject come back unchanged. Only third-party and
// agent-developed apps may call it, and a third-party app no longer may once
// its id migration is marked finished.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97107
func (s *IDConverter) NewExternalUserIDs(ctx context.Context, externalUserIDs []string) ([]ExternalUserIDPair, error) {
	if err := checkIDList("get_new_external_userid", externalUserIDs); err != nil {
		return nil, err
	}
	body := struct {
		List []string `json:"external_userid_list"`
	}{externalUserIDs}
	var out struct {
		Items []ExternalUserIDPair `json:"items"`
	}
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/get_new_external_userid", Body: body, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}

// GroupChatNewExternalUserIDs is NewExternalUserIDs for members of the
// customer group chatID who are nobody's customer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97107
func (s *IDConverter) GroupChatNewExternalUserIDs(ctx context.Context, chatID string, externalUserIDs []string) ([]ExternalUserIDPair, error) {
	if chatID == "" {
		return nil, fmt.Errorf("wecom: groupchat/get_new_external_userid: chat_id is required")
	}
	if err := checkIDList("groupchat/get_new_external_userid", externalUserIDs); err != nil {
		return nil, err
	}
	body := struct {
		ChatID string   `json:"chat_id"`
		List   []string `json:"external_userid_list"`
	}{chatID, externalUserIDs}
	var out struct {
		Items []ExternalUserIDPair `json:"items"`
	}
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/groupchat/get_new_external_userid", Body: body, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}

type externalUserIDBody struct {
	ExternalUserID string `json:"external_userid"`
}

// ToServiceExternalUserID converts an external_userid obtained by a
// not-yet-upgraded agent-developed app to the one the provider's
// third-party app sees in the same corp. Call it with the agent-developed
// app's client.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95195
func (s *IDConverter) ToServiceExternalUserID(ctx context.Context, externalUserID string) (string, error) {
	if externalUserID == "" {
		return "", fmt.Errorf("wecom: to_service_external_userid: external_userid is required")
	}
	var out externalUserIDBody
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/to_service_external_userid", Body: externalUserIDBody{externalUserID}, Out: &out, Op: OpRead})
	if err != nil {
		return "", err
	}
	return out.ExternalUserID, nil
}

// FromServiceExternalUserID converts a provider-subject external_userid,
// obtained by the agent-developed or third-party app sourceAgentID, to the
// corp-subject one. Call it with a self-built app's client.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95884
func (s *IDConverter) FromServiceExternalUserID(ctx context.Context, externalUserID string, sourceAgentID int) (string, error) {
	if externalUserID == "" || sourceAgentID == 0 {
		return "", fmt.Errorf("wecom: from_service_external_userid: external_userid and source_agentid are required")
	}
	body := struct {
		ExternalUserID string `json:"external_userid"`
		SourceAgentID  int    `json:"source_agentid"`
	}{externalUserID, sourceAgentID}
	var out externalUserIDBody
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/from_service_external_userid", Body: body, Out: &out, Op: OpRead})
	if err != nil {
		return "", err
	}
	return out.ExternalUserID, nil
}

// ExternalTagIDPair maps a corp-subject customer tag (or tag group) id to
// the provider-subject one.
type ExternalTagIDPair struct {
	ExternalTagID     string `json:"external_tagid"`
	OpenExternalTagID string `json:"open_external_tagid"`
}

// ExternalTagIDResult is the answer of ExternalTagIDs.
type ExternalTagIDResult struct {
	Items   []ExternalTagIDPair `json:"items"`
	Invalid []string            `json:"invalid_external_tagid_list"` // ids that could not be converted
}

// ExternalTagIDs converts corp-subject customer tag or tag-group ids (at
// most 1000) to provider-subject ones. Ids already provider-subject come
// back unchanged. Needs the 客户基础信息 permission.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96169
func (s *IDConverter) ExternalTagIDs(ctx context.Context, tagIDs []string) (*ExternalTagIDResult, error) {
	if err := checkIDList("idconvert/external_tagid", tagIDs); err != nil {
		return nil, err
	}
	body := struct {
		List []string `json:"external_tagid_list"`
	}{tagIDs}
	var out ExternalTagIDResult
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/idconvert/external_tagid", Body: body, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// OpenUserIDPair maps a provider-subject (encrypted) open_userid to the
// corp's userid.
type OpenUserIDPair struct {
	OpenUserID string `json:"open_userid"`
	UserID     string `json:"userid"`
}

// OpenUserIDResult is the answer of BatchOpenUserIDToUserID.
type OpenUserIDResult struct {
	UserIDList []OpenUserIDPair `json:"userid_list"`
	// InvalidOpenUserIDList holds the ids that could not be converted
	// (WeCom lists a plain userid given by mistake here too).
	InvalidOpenUserIDList []string `json:"invalid_open_userid_list"`
}

// BatchOpenUserIDToUserID converts open_userids (at most 1000) obtained by
// the agent-developed or third-party app sourceAgentID to the corp's plain
// userids. Call it with a self-built app's client; each member must be in
// the visible range of both apps. sourceAgentID 0 leaves source_agentid out,
// as for the open_userids an intelligent robot (智能机器人) receives.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95884
func (s *IDConverter) BatchOpenUserIDToUserID(ctx context.Context, openUserIDs []string, sourceAgentID int) (*OpenUserIDResult, error) {
	if err := checkIDList("batch/openuserid_to_userid", openUserIDs); err != nil {
		return nil, err
	}
	if sourceAgentID < 0 {
		return nil, fmt.Errorf("wecom: batch/openuserid_to_userid: source_agentid %d is negative", sourceAgentID)
	}
	body := struct {
		List          []string `json:"open_userid_list"`
		SourceAgentID int      `json:"source_agentid,omitempty"`
	}{openUserIDs, sourceAgentID}
	var out OpenUserIDResult
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/batch/openuserid_to_userid", Body: body, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// maxPendingIDs is the documented cap of external_userid_to_pending_id.
const maxPendingIDs = 100

// PendingIDPair maps an external_userid to the pending_id that
// UnionIDToExternalUserID gave for the same WeChat user before they became
// a customer.
type PendingIDPair struct {
	ExternalUserID string `json:"external_userid"`
	PendingID      string `json:"pending_id"`
}

// BatchExternalUserIDToPendingID looks up, for customers (at most 100), the
// pending_id that UnionIDToExternalUserID returned for them while they were
// not yet customers, linking unionid → pending_id → external_userid. A
// pending_id lives 90 days; customers without one are left out of the
// answer. With chatID set, only the owner of that customer group must be in
// the app's visible range and ids outside the group are ignored; without
// it, the customers' follow users must be. Third-party and agent-developed
// apps only.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97108
// (section "external_userid查询pending_id", which could not be read on the
// official page; its fields follow the page 97357 describes for the
// upstream/downstream twin and agree with other SDKs).
func (s *IDConverter) BatchExternalUserIDToPendingID(ctx context.Context, chatID string, externalUserIDs []string) ([]PendingIDPair, error) {
	if len(externalUserIDs) == 0 {
		return nil, fmt.Errorf("wecom: idconvert/batch/external_userid_to_pending_id: no ids given")
	}
	if len(externalUserIDs) > maxPendingIDs {
		return nil, fmt.Errorf("wecom: idconvert/batch/external_userid_to_pending_id: %d ids given, at most %d per call", len(externalUserIDs), maxPendingIDs)
	}
	body := struct {
		ChatID string   `json:"chat_id,omitempty"`
		List   []string `json:"external_userid"`
	}{chatID, externalUserIDs}
	var out struct {
		Result []PendingIDPair `json:"result"`
	}
	err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/idconvert/batch/external_userid_to_pending_id", Body: body, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return out.Result, nil
}

// UnionID3rdRequest asks for the external_userids of a WeChat user who uses
// the provider's mini program or official account.
type UnionID3rdRequest struct {
	UnionID string `json:"unionid"` // required
	OpenID  string `json:"openid"`  // required; from the same mini program / official account
	// CorpID limits the answer to one authorizing corp; WeCom asks for it
	// whenever it is known (it is faster) and requires it for customer
	// groups. Empty searches every corp that authorized the suite.
	CorpID string `json:"corpid,omitempty"`
}

// CorpExternalUserID is a customer's external_userid in one corp.
type CorpExternalUserID struct {
	CorpID         string `json:"corpid"`
	ExternalUserID string `json:"external_userid"`
}

// UnionIDToExternalUserID3rd converts a WeChat unionid and openid of the
// provider's own subject into the external_userids the suite sees, one per
// corp where the user is a customer (or parent, or in a customer group). It
// is a suite_access_token call. WeCom allows 50,000 calls an hour and
// 240,000 a day per provider and wants them triggered by the user, never
// run in bulk.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95878
func (s *Suite) UnionIDToExternalUserID3rd(ctx context.Context, req UnionID3rdRequest) ([]CorpExternalUserID, error) {
	if req.UnionID == "" || req.OpenID == "" {
		return nil, fmt.Errorf("wecom: unionid_to_external_userid_3rd: unionid and openid are both required")
	}
	var out struct {
		Info []CorpExternalUserID `json:"external_userid_info"`
	}
	err := s.api.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/service/externalcontact/unionid_to_external_userid_3rd", Body: req, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return out.Info, nil
}
