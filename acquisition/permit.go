package acquisition

import (
	"context"

	"github.com/scrmkit/scrm/internal/api"
)

// Permit is the range of members customers may connect with (客户可建联成员),
// as the admin configured it for a marketing-acquisition (营销获客) app.
type Permit struct {
	// UserList holds member userids. The doc's table types it uint64[],
	// its example shows userid strings; userids are strings.
	UserList []string `json:"user_list"`
	// DepartmentList holds department ids; list a department's members
	// through the contacts API.
	DepartmentList []int `json:"department_list"`
	TagList        []int `json:"tag_list"` // member tag ids
}

// GetPermit returns the members a marketing-acquisition app may hand
// customers to (endpoint customer_acquisition_app/get_permit, a GET). Only
// marketing-acquisition (营销获客) apps may call it, since 2025-11.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/101146
func (s *Service) GetPermit(ctx context.Context) (*Permit, error) {
	var out Permit
	if err := api.Get(ctx, s.c, "/cgi-bin/externalcontact/customer_acquisition_app/get_permit", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
