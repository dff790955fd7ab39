package contact_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestBatchGetByUserDecodesFailInfo(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/batch/get_by_user",
		Body: `{"userid_list":["a","b"],"limit":10}`},
		`{"errcode":0,"errmsg":"ok","external_contact_list":[],"next_cursor":"","fail_info":{"unlicensed_userid_list":["b"]}}`)
	resp, err := contact.New(c).BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a", "b"}, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, resp.FailInfo.UnlicensedUserIDList)
}

// check_follow_user's request and answer as 96312 shows them.
func TestCheckFollowUserShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/check_follow_user",
		Body: `{"userid":["zhangsan","lissi"],"partyid":[1]}`},
		`{"errcode":0,"errmsg":"ok","authorized":{"userid":["lisi"]},"unauthorized":{"userid":["zhangsan"],"partyid":[1]}}`)
	resp, err := contact.New(c).CheckFollowUser(t.Context(), &contact.CheckFollowUserRequest{UserID: []string{"zhangsan", "lissi"}, PartyID: []int{1}})
	require.NoError(t, err)
	assert.Equal(t, contact.CheckFollowUserResponse{Authorized: contact.FollowUserScope{UserID: []string{"lisi"}},
		Unauthorized: contact.FollowUserScope{UserID: []string{"zhangsan"}, PartyID: []int{1}}}, *resp)
}
