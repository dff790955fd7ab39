package kf

import (
	"context"
	"net/url"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// ReceptionStatus is a servicer's state in servicer/list.
type ReceptionStatus int

const (
	ReceptionOn  ReceptionStatus = 0 // 接待中: taking sessions
	ReceptionOff ReceptionStatus = 1 // 停止接待: stopped (StopType says how)
)

// StopType says how a servicer who is not receiving stopped.
type StopType int

const (
	StopTypeStop  StopType = 0 // 停止接待: stopped
	StopTypePause StopType = 1 // 暂时挂起: paused for a while
)

// Servicer is one servicer (接待人员) of an account: a member (UserID) or a
// whole department (DepartmentID).
type Servicer struct {
	// UserID is the member (a third-party app sees the open_userid); empty
	// for a department.
	UserID string `json:"userid,omitempty"`
	// DepartmentID is the department; 0 for a member.
	DepartmentID int `json:"department_id,omitempty"`
	// Status is the member's reception status; nil when WeCom did not say
	// (the calling app needs to manage the account to read it; a
	// third-party or agent-developed app also the 管理账号、分配会话和收发消息
	// permission).
	Status   *ReceptionStatus `json:"status,omitempty"`
	StopType StopType         `json:"stop_type,omitempty"` // when Status is ReceptionOff
}

// ServicerResult is WeCom's answer for one member or department of an
// AddServicer or DelServicer call: the call succeeds as a whole while each
// item may fail on its own.
type ServicerResult struct {
	UserID       string `json:"userid,omitempty"`
	DepartmentID int    `json:"department_id,omitempty"`
	ErrCode      int    `json:"errcode"`
	// ErrMsg is "success", "ignored" (already a servicer, or not one when
	// deleting) or WeCom's reason for the failure.
	ErrMsg string `json:"errmsg"`
}

// Err returns the item's failure as a *wecom.Error, or nil when it
// succeeded (or was ignored).
func (r *ServicerResult) Err() error {
	if r.ErrCode == 0 {
		return nil
	}
	return &wecom.Error{Code: r.ErrCode, Msg: r.ErrMsg}
}

// AddServicerRequest names members and departments to add as servicers
// of an account.
type AddServicerRequest struct {
	OpenKfID string `json:"open_kfid"` // required
	// UserIDList holds at most MaxServicers members (a third-party app
	// gives open_userids). Give it, DepartmentIDList, or both.
	UserIDList []string `json:"userid_list,omitempty"`
	// DepartmentIDList holds at most MaxServicers departments.
	DepartmentIDList []int `json:"department_id_list,omitempty"`
}

// AddServicerResponse has one result per member and department.
type AddServicerResponse struct {
	ResultList []ServicerResult `json:"result_list"`
}

// AddServicer adds members or departments as servicers (接待人员) of an
// account: at most 2,000 members and 20 departments per account. The
// members must be in the app's visible range. Each one's outcome is in
// the answer's ResultList (ServicerResult.Err).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94646
func (s *Service) AddServicer(ctx context.Context, req *AddServicerRequest) (*AddServicerResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := servicerInput(req.OpenKfID, req.UserIDList, req.DepartmentIDList); err != nil {
		return nil, err
	}
	var out AddServicerResponse
	if err := api.Idempotent(ctx, s.c, "/cgi-bin/kf/servicer/add", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DelServicerRequest names members and departments to remove from an
// account's servicers.
type DelServicerRequest struct {
	OpenKfID         string   `json:"open_kfid"`                    // required
	UserIDList       []string `json:"userid_list,omitempty"`        // at most MaxServicers
	DepartmentIDList []int    `json:"department_id_list,omitempty"` // at most MaxServicers
}

// DelServicerResponse has one result per member and department.
type DelServicerResponse struct {
	ResultList []ServicerResult `json:"result_list"`
}

// DelServicer removes members or departments from an account's servicers;
// each one's outcome is in ResultList.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94647
func (s *Service) DelServicer(ctx context.Context, req *DelServicerRequest) (*DelServicerResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := servicerInput(req.OpenKfID, req.UserIDList, req.DepartmentIDList); err != nil {
		return nil, err
	}
	var out DelServicerResponse
	if err := api.Idempotent(ctx, s.c, "/cgi-bin/kf/servicer/del", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func servicerInput(openKfID string, users []string, deps []int) error {
	if err := api.FirstErr(checkOpenKfID(openKfID),
		api.MaxItems(check, "UserIDList", users, MaxServicers),
		api.MaxItems(check, "DepartmentIDList", deps, MaxServicers)); err != nil {
		return err
	}
	if len(users) == 0 && len(deps) == 0 {
		return check.Invalidf("give UserIDList, DepartmentIDList or both (WeCom needs at least one)")
	}
	for i, u := range users {
		if u == "" {
			return check.Invalidf("UserIDList[%d] is empty", i)
		}
	}
	for i, d := range deps {
		if d <= 0 {
			return check.Invalidf("DepartmentIDList[%d] is %d; department ids are positive", i, d)
		}
	}
	return nil
}

// ListServicers returns the servicers of an account (a GET).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94645
func (s *Service) ListServicers(ctx context.Context, openKfID string) ([]Servicer, error) {
	if err := checkOpenKfID(openKfID); err != nil {
		return nil, err
	}
	var out struct {
		ServicerList []Servicer `json:"servicer_list"`
	}
	if err := api.Get(ctx, s.c, "/cgi-bin/kf/servicer/list", url.Values{"open_kfid": {openKfID}}, &out); err != nil {
		return nil, err
	}
	return out.ServicerList, nil
}
