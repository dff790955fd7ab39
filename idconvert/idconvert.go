package idconvert

import (
	"context"
	"errors"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service calls the id conversions for one corp, with the token of the app
// whose client it was built from (see the package doc for which app may
// call what). It is safe for concurrent use.
type Service struct {
	c *wecom.Client
}

// New returns a Service that calls WeCom through c.
func New(c *wecom.Client) *Service { return &Service{c: c} }

// Client returns the client the Service calls through.
func (s *Service) Client() *wecom.Client { return s.c }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("idconvert: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "idconvert", Sentinel: ErrInvalidArgument}

// Per-call limits of the list-taking conversions. GetNewExternalUserIDMany
// chunks by itself; the others take at most this many ids per call.
const (
	// MaxIDs is the most ids one call of GetNewExternalUserID,
	// GroupChatGetNewExternalUserID, GetExternalTagID or
	// BatchOpenUserIDToUserID takes (WeCom recommends 200).
	MaxIDs = 1000
	// MaxPendingIDs is the most external_userids one call of
	// BatchExternalUserIDToPendingID takes.
	MaxPendingIDs = 100
)

// idList refuses an empty list and one longer than max.
func idList(name string, ids []string, max int) error {
	if len(ids) == 0 {
		return check.Invalidf("%s: no ids given", name)
	}
	return api.MaxItems(check, name, ids, max)
}

// SubjectType says whose mini program or official account a unionid/openid
// pair comes from.
type SubjectType int

// Subject types.
const (
	SubjectCorp     SubjectType = 0 // the authorizing corp's (the default)
	SubjectProvider SubjectType = 1 // the service provider's
)

// UnionIDToExternalUserIDRequest asks for the external_userid of a WeChat
// user.
type UnionIDToExternalUserIDRequest struct {
	UnionID     string      `json:"unionid"`      // required
	OpenID      string      `json:"openid"`       // required; from the same mini program / official account as UnionID
	SubjectType SubjectType `json:"subject_type"` // owner of that mini program / official account
}

// UnionIDToExternalUserIDResponse is the answer: ExternalUserID when the
// user is already a customer of the corp, else PendingID, valid 90 days,
// for correlating the user once they become one (it is not an
// external_userid; BatchExternalUserIDToPendingID links the two).
type UnionIDToExternalUserIDResponse struct {
	ExternalUserID string `json:"external_userid"`
	PendingID      string `json:"pending_id"`
}

// UnionIDToExternalUserID converts a WeChat unionid (with its openid) to the
// provider-subject external_userid. Third-party and agent-developed apps
// only. Rate limits: 100,000/hour, 480,000/day and 7.5 million/month, per
// corp for SubjectCorp (shared by all providers) and per provider for
// SubjectProvider.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97108
func (s *Service) UnionIDToExternalUserID(ctx context.Context, req *UnionIDToExternalUserIDRequest) (*UnionIDToExternalUserIDResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("UnionID", req.UnionID), check.Required("OpenID", req.OpenID)); err != nil {
		return nil, err
	}
	if req.SubjectType != SubjectCorp && req.SubjectType != SubjectProvider {
		return nil, check.Invalidf("SubjectType %d is neither SubjectCorp (0) nor SubjectProvider (1)", req.SubjectType)
	}
	var out UnionIDToExternalUserIDResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/idconvert/unionid_to_external_userid", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UnionIDToExternalUserIDV1Request asks the older corp-subject conversion
// for the external_userid of a WeChat user.
type UnionIDToExternalUserIDV1Request struct {
	UnionID string `json:"unionid"` // required
	OpenID  string `json:"openid"`  // required; from the same mini program, which must be the corp's
}

// UnionIDToExternalUserIDV1 converts the unionid and openid of a WeChat user
// who signed in to the corp's own mini program into the external_userid the
// calling third-party or agent-developed app sees. This is the older
// corp-subject conversion (企业主体unionid转换, the endpoint
// externalcontact/unionid_to_external_userid), superseded by
// UnionIDToExternalUserID; the result is "" when the user is not a
// customer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93274
func (s *Service) UnionIDToExternalUserIDV1(ctx context.Context, req *UnionIDToExternalUserIDV1Request) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("UnionID", req.UnionID), check.Required("OpenID", req.OpenID)); err != nil {
		return "", err
	}
	var out externalUserIDBody
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/unionid_to_external_userid", req, &out); err != nil {
		return "", err
	}
	return out.ExternalUserID, nil
}

// ExternalUserIDPair maps a corp-subject external_userid to the
// provider-subject one.
type ExternalUserIDPair struct {
	ExternalUserID    string `json:"external_userid"`
	NewExternalUserID string `json:"new_external_userid"`
}

// GetNewExternalUserIDRequest lists corp-subject external_userids to
// convert.
type GetNewExternalUserIDRequest struct {
	// ExternalUserIDList holds 1 to MaxIDs ids (WeCom recommends 200).
	ExternalUserIDList []string `json:"external_userid_list"`
}

// GetNewExternalUserID converts corp-subject external_userids to
// provider-subject ones. Ids that are already provider-subject come back
// unchanged; ids WeCom cannot convert (a follow member outside the app's
// visible range) are left out of the answer. Only third-party and
// agent-developed apps may call it, and a third-party app no longer may
// once its id migration is marked finished.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97107
func (s *Service) GetNewExternalUserID(ctx context.Context, req *GetNewExternalUserIDRequest) ([]ExternalUserIDPair, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := idList("ExternalUserIDList", req.ExternalUserIDList, MaxIDs); err != nil {
		return nil, err
	}
	var out itemsBody
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/get_new_external_userid", req, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// ErrNotConverted is the Err of a GetNewExternalUserIDMany result whose id
// WeCom's answer left out: it could not convert it (the customer's follow
// member is outside the app's visible range, or the id is not the corp's).
var ErrNotConverted = errors.New("idconvert: WeCom did not convert this id")

// GetNewExternalUserIDMany converts any number of corp-subject
// external_userids, as an id migration must for every id stored before the
// upgrade: in.ExternalUserIDList is split into calls of MaxIDs, at most
// concurrency at a time (wecom.DefaultBatchConcurrency when <= 0), under
// the client's limiter. The result has one entry per id, in order: Value is
// the provider-subject id; Err is ErrNotConverted when WeCom's answer left
// the id out, or the error of its whole call. The error is for a request
// refused before anything is sent (ErrInvalidArgument); the results are nil
// then.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97107
func (s *Service) GetNewExternalUserIDMany(ctx context.Context, in *GetNewExternalUserIDRequest, concurrency int) ([]wecom.BatchResult[string, string], error) {
	if in == nil {
		return nil, check.Invalidf("request is nil")
	}
	if len(in.ExternalUserIDList) == 0 {
		return nil, check.Invalidf("ExternalUserIDList: no ids given")
	}
	return wecom.Batch(ctx, in.ExternalUserIDList, MaxIDs, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, string]) error {
			pairs, err := s.GetNewExternalUserID(ctx, &GetNewExternalUserIDRequest{ExternalUserIDList: chunk})
			if err != nil {
				return err
			}
			converted := make(map[string]string, len(pairs))
			for _, p := range pairs {
				converted[p.ExternalUserID] = p.NewExternalUserID
			}
			for i := range out {
				if v, ok := converted[out[i].Item]; ok {
					out[i].Value = v
				} else {
					out[i].Err = ErrNotConverted
				}
			}
			return nil
		}), nil
}

// GroupChatGetNewExternalUserIDRequest lists members of one customer group
// to convert.
type GroupChatGetNewExternalUserIDRequest struct {
	ChatID string `json:"chat_id"` // required
	// ExternalUserIDList holds 1 to MaxIDs corp-subject ids of members who
	// are nobody's customer.
	ExternalUserIDList []string `json:"external_userid_list"`
}

// GroupChatGetNewExternalUserID is GetNewExternalUserID for members of a
// customer group who are nobody's customer. The group's owner must be in
// the app's visible range.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97107
func (s *Service) GroupChatGetNewExternalUserID(ctx context.Context, req *GroupChatGetNewExternalUserIDRequest) ([]ExternalUserIDPair, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("ChatID", req.ChatID),
		idList("ExternalUserIDList", req.ExternalUserIDList, MaxIDs)); err != nil {
		return nil, err
	}
	var out itemsBody
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/groupchat/get_new_external_userid", req, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

type itemsBody struct {
	Items []ExternalUserIDPair `json:"items"`
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
func (s *Service) ToServiceExternalUserID(ctx context.Context, externalUserID string) (string, error) {
	if err := check.Required("externalUserID", externalUserID); err != nil {
		return "", err
	}
	var out externalUserIDBody
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/to_service_external_userid", externalUserIDBody{externalUserID}, &out); err != nil {
		return "", err
	}
	return out.ExternalUserID, nil
}

// FromServiceExternalUserID converts a provider-subject external_userid,
// obtained by the agent-developed or third-party app sourceAgentID, to the
// corp-subject one. Call it with a self-built app's client; the customer's
// follow member (or group owner) must be visible to both apps.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95884
func (s *Service) FromServiceExternalUserID(ctx context.Context, externalUserID string, sourceAgentID int) (string, error) {
	if err := check.Required("externalUserID", externalUserID); err != nil {
		return "", err
	}
	if sourceAgentID <= 0 {
		return "", check.Invalidf("sourceAgentID %d: the agentid of the app that obtained the id is required", sourceAgentID)
	}
	body := struct {
		ExternalUserID string `json:"external_userid"`
		SourceAgentID  int    `json:"source_agentid"`
	}{externalUserID, sourceAgentID}
	var out externalUserIDBody
	if err := api.Read(ctx, s.c, "/cgi-bin/externalcontact/from_service_external_userid", body, &out); err != nil {
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

// GetExternalTagIDRequest lists corp-subject tag or tag-group ids to
// convert.
type GetExternalTagIDRequest struct {
	ExternalTagIDList []string `json:"external_tagid_list"` // 1 to MaxIDs ids
}

// GetExternalTagIDResponse is the answer of GetExternalTagID.
type GetExternalTagIDResponse struct {
	Items []ExternalTagIDPair `json:"items"`
	// InvalidExternalTagIDList holds the ids that could not be converted.
	InvalidExternalTagIDList []string `json:"invalid_external_tagid_list"`
}

// GetExternalTagID converts corp-subject customer tag or tag-group ids to
// provider-subject ones. Ids already provider-subject come back unchanged.
// Third-party and agent-developed apps with the 客户基础信息 permission.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96169
func (s *Service) GetExternalTagID(ctx context.Context, req *GetExternalTagIDRequest) (*GetExternalTagIDResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := idList("ExternalTagIDList", req.ExternalTagIDList, MaxIDs); err != nil {
		return nil, err
	}
	var out GetExternalTagIDResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/idconvert/external_tagid", req, &out); err != nil {
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

// BatchOpenUserIDToUserIDRequest lists open_userids to convert.
type BatchOpenUserIDToUserIDRequest struct {
	OpenUserIDList []string `json:"open_userid_list"` // 1 to MaxIDs ids
	// SourceAgentID is the agentid of the agent-developed or third-party app
	// that obtained the ids; 0 leaves it out, as for the open_userids an
	// intelligent robot (智能机器人) receives.
	SourceAgentID int `json:"source_agentid,omitempty"`
}

// BatchOpenUserIDToUserIDResponse is the answer of BatchOpenUserIDToUserID.
type BatchOpenUserIDToUserIDResponse struct {
	UserIDList []OpenUserIDPair `json:"userid_list"`
	// InvalidOpenUserIDList holds the ids that could not be converted
	// (WeCom lists a plain userid given by mistake here too).
	InvalidOpenUserIDList []string `json:"invalid_open_userid_list"`
}

// BatchOpenUserIDToUserID converts open_userids obtained by an
// agent-developed or third-party app to the corp's plain userids. Call it
// with a self-built app's client; each member must be in the visible range
// of both apps.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95884
func (s *Service) BatchOpenUserIDToUserID(ctx context.Context, req *BatchOpenUserIDToUserIDRequest) (*BatchOpenUserIDToUserIDResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := idList("OpenUserIDList", req.OpenUserIDList, MaxIDs); err != nil {
		return nil, err
	}
	if req.SourceAgentID < 0 {
		return nil, check.Invalidf("SourceAgentID %d is negative", req.SourceAgentID)
	}
	var out BatchOpenUserIDToUserIDResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/batch/openuserid_to_userid", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PendingIDPair maps an external_userid to the pending_id that
// UnionIDToExternalUserID gave for the same WeChat user before they became
// a customer.
type PendingIDPair struct {
	ExternalUserID string `json:"external_userid"`
	PendingID      string `json:"pending_id"`
}

// BatchExternalUserIDToPendingIDRequest lists customers to look up.
type BatchExternalUserIDToPendingIDRequest struct {
	// ChatID, when set, limits the lookup to members of that customer
	// group: only its owner must be in the app's visible range, and ids
	// outside the group are ignored. Without it, the customers' follow
	// members must be.
	ChatID         string   `json:"chat_id,omitempty"`
	ExternalUserID []string `json:"external_userid"` // 1 to MaxPendingIDs ids
}

// BatchExternalUserIDToPendingID looks up, for customers, the pending_id
// that UnionIDToExternalUserID returned for them while they were not yet
// customers, linking unionid → pending_id → external_userid. A pending_id
// lives 90 days; customers without one are left out of the answer.
// Third-party and agent-developed apps only.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97108
// (section "external_userid查询pending_id", which could not be read on the
// official page; its fields follow the page 97357 describes for the
// upstream/downstream twin and agree with other SDKs).
func (s *Service) BatchExternalUserIDToPendingID(ctx context.Context, req *BatchExternalUserIDToPendingIDRequest) ([]PendingIDPair, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := idList("ExternalUserID", req.ExternalUserID, MaxPendingIDs); err != nil {
		return nil, err
	}
	var out struct {
		Result []PendingIDPair `json:"result"`
	}
	if err := api.Read(ctx, s.c, "/cgi-bin/idconvert/batch/external_userid_to_pending_id", req, &out); err != nil {
		return nil, err
	}
	return out.Result, nil
}
