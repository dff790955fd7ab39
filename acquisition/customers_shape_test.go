package acquisition_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestShapeListCustomers(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathCustomers, Body: `{"link_id":"LINK_ID","limit":1000,"cursor":"CURSOR"}`},
		`{"errcode":0,"errmsg":"ok","customer_list":[
		{"external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACAAA","userid":"zhangsan","chat_status":0,"state":"CHANNEL_A"},
		{"external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mBCBBB","userid":"rocky","chat_status":1,"state":"CHANNEL_A"}],"next_cursor":"CURSOR2"}`)
	out, err := svc.ListCustomers(t.Context(), &acquisition.ListCustomersRequest{LinkID: "LINK_ID", Limit: 1000, Cursor: "CURSOR"})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.ListCustomersResponse{CustomerList: []acquisition.Customer{
		{ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mACAAA", UserID: "zhangsan", ChatStatus: acquisition.ChatNotStarted, State: "CHANNEL_A"},
		{ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mBCBBB", UserID: "rocky", ChatStatus: acquisition.ChatStarted, State: "CHANNEL_A"},
	}, NextCursor: "CURSOR2"}, out)
}
