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
