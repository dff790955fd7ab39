package acquisition_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestShapeGetChatInfo(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/externalcontact/customer_acquisition/get_chat_info", Body: `{"chat_key":"CHAT_KEY"}`},
		`{"errcode":0,"errmsg":"ok","userid":"zhangsan","external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACAAA","chat_info":{"recv_msg_cnt":3,"link_id":"caXXXXXXX","state":"STATE"}}`)
	info, err := svc.GetChatInfo(t.Context(), "CHAT_KEY")
	require.NoError(t, err)
	assert.Equal(t, &acquisition.GetChatInfoResponse{UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mACAAA",
		ChatInfo: acquisition.ChatInfo{RecvMsgCnt: 3, LinkID: "caXXXXXXX", State: "STATE"}}, info)
}
