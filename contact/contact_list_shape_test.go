package contact_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

func TestListContactsShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/contact_list", Body: `{"cursor":"CURSOR","limit":1000}`},
		`{"errcode":0,"errmsg":"ok","info_list":[
		{"is_customer":false,"name":"***开","tmp_openid":"TMP_ID","follow_userid":"USER_ID","chat_name":"外联群1","add_time":1694418699},
		{"is_customer":true,"tmp_openid":"TMP_ID","external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA","chat_id":"CHATID","add_time":1694418699}],
		"next_cursor":"NEXT_CURSOR"}`)
	resp, err := svc.ListContacts(t.Context(), &contact.ListContactsRequest{Cursor: "CURSOR", Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, &contact.ListContactsResponse{InfoList: []contact.ServedContact{
		{Name: "***开", TmpOpenID: "TMP_ID", FollowUserID: "USER_ID", ChatName: "外联群1", AddTime: wecom.UnixTime(1694418699)},
		{IsCustomer: true, TmpOpenID: "TMP_ID", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA", ChatID: "CHATID", AddTime: wecom.UnixTime(1694418699)},
	}, NextCursor: "NEXT_CURSOR"}, resp)
}
