package kf

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Customer is a WeChat customer of customer service.
type Customer struct {
	ExternalUserID string `json:"external_userid"`
	Nickname       string `json:"nickname"`
	// Avatar is the avatar's URL; not given to third-party and
	// agent-developed apps.
	Avatar string `json:"avatar,omitempty"`
	// Gender is 0 unknown, 1 male, 2 female; third-party and
	// agent-developed apps always get 0.
	Gender int `json:"gender"`
	// UnionID is the WeChat unionid, given only when the corp has bound a
	// WeChat developer account (微信开发者ID), and not to third-party and
	// agent-developed apps.
	UnionID string `json:"unionid,omitempty"`
	// EnterSessionContext is the customer's last entry within 48 hours,
	// when asked for (CustomerBatchGetRequest.NeedEnterSessionContext).
	EnterSessionContext *EnterSessionContext `json:"enter_session_context,omitempty"`
}

// EnterSessionContext is how a customer last entered a session.
type EnterSessionContext struct {
	Scene          string         `json:"scene,omitempty"`
	SceneParam     string         `json:"scene_param,omitempty"`
	WechatChannels *ChannelsEntry `json:"wechat_channels,omitempty"`
}

// CustomerBatchGetRequest lists customers to read.
type CustomerBatchGetRequest struct {
	// ExternalUserIDList holds 1 to MaxCustomers customers (the Many form
	// takes any number).
	ExternalUserIDList []string
	// NeedEnterSessionContext asks for each customer's last entry within
	// 48 hours (EnterSessionContext).
	NeedEnterSessionContext bool
}

// MarshalJSON writes WeCom's need_enter_session_context as 0 or 1.
func (r CustomerBatchGetRequest) MarshalJSON() ([]byte, error) {
	need := 0
	if r.NeedEnterSessionContext {
		need = 1
	}
	return json.Marshal(struct {
		ExternalUserIDList []string `json:"external_userid_list"`
		Need               int      `json:"need_enter_session_context,omitempty"`
	}{r.ExternalUserIDList, need})
}

// CustomerBatchGetResponse is the customers WeCom read.
type CustomerBatchGetResponse struct {
	CustomerList []Customer `json:"customer_list"`
	// InvalidExternalUserID holds the ids WeCom could not read: a customer
	// must have entered a session with, or written to, an account within
	// the past 48 hours.
	InvalidExternalUserID []string `json:"invalid_external_userid"`
}

// CustomerBatchGet reads customers (获取客户基础信息). Only customers who
// entered a session or wrote within 48 hours can be read; others come back
// in InvalidExternalUserID. A 营销获客 app reads only the customers it
// brought.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95159
func (s *Service) CustomerBatchGet(ctx context.Context, req *CustomerBatchGetRequest) (*CustomerBatchGetResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := customerIDs(req.ExternalUserIDList); err != nil {
		return nil, err
	}
	var out CustomerBatchGetResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/customer/batchget", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func customerIDs(ids []string) error {
	if len(ids) == 0 {
		return check.Invalidf("ExternalUserIDList: no ids given")
	}
	for i, id := range ids {
		if id == "" {
			return check.Invalidf("ExternalUserIDList[%d] is empty", i)
		}
	}
	return api.MaxItems(check, "ExternalUserIDList", ids, MaxCustomers)
}

// ErrInvalidCustomer is the Err of a CustomerBatchGetMany result WeCom
// listed as invalid: not a customer who entered a session or wrote within
// the past 48 hours.
var ErrInvalidCustomer = errors.New("kf: WeCom cannot read this customer (no session entered nor message written in the past 48 hours)")

// CustomerBatchGetMany reads any number of customers: req's list is split
// into calls of MaxCustomers, at most concurrency at a time
// (wecom.DefaultBatchConcurrency when <= 0). The result has one entry per
// id, in order: the customer, or ErrInvalidCustomer for an id WeCom
// listed as invalid, or the error of its whole call. The error is for a
// request refused before anything was sent.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95159
func (s *Service) CustomerBatchGetMany(ctx context.Context, req *CustomerBatchGetRequest, concurrency int) ([]wecom.BatchResult[string, *Customer], error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if len(req.ExternalUserIDList) == 0 {
		return nil, check.Invalidf("ExternalUserIDList: no ids given")
	}
	for i, id := range req.ExternalUserIDList {
		if id == "" {
			return nil, check.Invalidf("ExternalUserIDList[%d] is empty", i)
		}
	}
	return wecom.Batch(ctx, req.ExternalUserIDList, MaxCustomers, concurrency,
		func(ctx context.Context, chunk []string, out []wecom.BatchResult[string, *Customer]) error {
			resp, err := s.CustomerBatchGet(ctx, &CustomerBatchGetRequest{ExternalUserIDList: chunk, NeedEnterSessionContext: req.NeedEnterSessionContext})
			if err != nil {
				return err
			}
			got := make(map[string]*Customer, len(resp.CustomerList))
			for i := range resp.CustomerList {
				got[resp.CustomerList[i].ExternalUserID] = &resp.CustomerList[i]
			}
			for i := range out {
				if c, ok := got[out[i].Item]; ok {
					out[i].Value = c
				} else {
					out[i].Err = ErrInvalidCustomer
				}
			}
			return nil
		}), nil
}

// UpgradeServiceRange is the 升级服务 configuration: the members and the
// customer groups an account may recommend to its customers.
type UpgradeServiceRange struct {
	MemberUserIDs       []string // member_range.userid_list
	MemberDepartmentIDs []int    // member_range.department_id_list
	GroupChatIDs        []string // groupchat_range.chat_id_list
}

// CustomerGetUpgradeServiceConfigResponse is the 升级服务 configuration.
type CustomerGetUpgradeServiceConfigResponse struct {
	UpgradeServiceRange
}

// UnmarshalJSON reads the configuration. The page's table names the
// departments department_list, its example department_id_list: both are
// read.
func (r *CustomerGetUpgradeServiceConfigResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		MemberRange struct {
			UserIDList       []string `json:"userid_list"`
			DepartmentIDList []int    `json:"department_id_list"`
			DepartmentList   []int    `json:"department_list"`
		} `json:"member_range"`
		GroupChatRange struct {
			ChatIDList []string `json:"chat_id_list"`
		} `json:"groupchat_range"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	deps := w.MemberRange.DepartmentIDList
	if len(deps) == 0 {
		deps = w.MemberRange.DepartmentList
	}
	r.UpgradeServiceRange = UpgradeServiceRange{MemberUserIDs: w.MemberRange.UserIDList, MemberDepartmentIDs: deps,
		GroupChatIDs: w.GroupChatRange.ChatIDList}
	return nil
}

// CustomerGetUpgradeServiceConfig reads the 升级服务 configuration (a GET):
// the members and groups CustomerUpgradeService may recommend.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94674
func (s *Service) CustomerGetUpgradeServiceConfig(ctx context.Context) (*CustomerGetUpgradeServiceConfigResponse, error) {
	var out CustomerGetUpgradeServiceConfigResponse
	if err := api.Get(ctx, s.c, "/cgi-bin/kf/customer/get_upgrade_service_config", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpgradeType is what a customer is recommended: a member or a group.
type UpgradeType int

const (
	UpgradeMember    UpgradeType = 1 // 专员服务: add a member as a contact
	UpgradeGroupChat UpgradeType = 2 // 客户群服务: join a customer group
)

// UpgradeMemberTarget is the member a customer is recommended.
type UpgradeMemberTarget struct {
	UserID  string `json:"userid"`            // required: configured in 升级服务 (95021 otherwise)
	Wording string `json:"wording,omitempty"` // the recommendation's text
}

// UpgradeGroupChatTarget is the group a customer is recommended.
type UpgradeGroupChatTarget struct {
	ChatID  string `json:"chat_id"`           // required: configured in 升级服务 (95021 otherwise)
	Wording string `json:"wording,omitempty"` // the recommendation's text
}

// CustomerUpgradeServiceRequest recommends a member or a group to a
// customer in a session.
type CustomerUpgradeServiceRequest struct {
	OpenKfID       string      `json:"open_kfid"`       // required
	ExternalUserID string      `json:"external_userid"` // required
	Type           UpgradeType `json:"type"`            // required
	// Member is required with UpgradeMember and only then.
	Member *UpgradeMemberTarget `json:"member,omitempty"`
	// GroupChat is required with UpgradeGroupChat and only then.
	GroupChat *UpgradeGroupChatTarget `json:"groupchat,omitempty"`
}

// CustomerUpgradeService shows the customer a card recommending a member
// (专员) or a customer group, as the servicer's 升级服务 button does. The
// member or group must be in the 升级服务 configuration (95021).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94674
func (s *Service) CustomerUpgradeService(ctx context.Context, req *CustomerUpgradeServiceRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID), check.Required("ExternalUserID", req.ExternalUserID)); err != nil {
		return err
	}
	switch req.Type {
	case UpgradeMember:
		if req.Member == nil || req.GroupChat != nil {
			return check.Invalidf("Type UpgradeMember takes Member (and no GroupChat)")
		}
		if err := check.Required("Member.UserID", req.Member.UserID); err != nil {
			return err
		}
	case UpgradeGroupChat:
		if req.GroupChat == nil || req.Member != nil {
			return check.Invalidf("Type UpgradeGroupChat takes GroupChat (and no Member)")
		}
		if err := check.Required("GroupChat.ChatID", req.GroupChat.ChatID); err != nil {
			return err
		}
	default:
		return check.Invalidf("Type %d is neither UpgradeMember (1) nor UpgradeGroupChat (2)", req.Type)
	}
	return api.Write(ctx, s.c, "/cgi-bin/kf/customer/upgrade_service", req, nil)
}

// CustomerCancelUpgradeServiceRequest names a customer's session.
type CustomerCancelUpgradeServiceRequest struct {
	OpenKfID       string `json:"open_kfid"`       // required
	ExternalUserID string `json:"external_userid"` // required
}

// CustomerCancelUpgradeService withdraws the recommendation
// CustomerUpgradeService showed the customer.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94674
func (s *Service) CustomerCancelUpgradeService(ctx context.Context, req *CustomerCancelUpgradeServiceRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID), check.Required("ExternalUserID", req.ExternalUserID)); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/kf/customer/cancel_upgrade_service", req, nil)
}
