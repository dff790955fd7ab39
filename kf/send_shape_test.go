package kf_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
)

// Every message type send_msg takes, with MsgType left to the body.
func TestSendMsgShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		req  kf.SendMsgRequest
		body string
	}{
		{"text", kf.SendMsgRequest{Text: &kf.Text{Content: "你购买的物品已发货，可点击链接查看物流状态"}},
			`"msgtype":"text","text":{"content":"你购买的物品已发货，可点击链接查看物流状态"}`},
		{"image", kf.SendMsgRequest{Image: &kf.Image{MediaID: "MEDIA_ID"}}, `"msgtype":"image","image":{"media_id":"MEDIA_ID"}`},
		{"voice", kf.SendMsgRequest{Voice: &kf.Voice{MediaID: "MEDIA_ID"}}, `"msgtype":"voice","voice":{"media_id":"MEDIA_ID"}`},
		{"video", kf.SendMsgRequest{Video: &kf.Video{MediaID: "MEDIA_ID"}}, `"msgtype":"video","video":{"media_id":"MEDIA_ID"}`},
		{"file", kf.SendMsgRequest{File: &kf.File{MediaID: "MEDIA_ID"}}, `"msgtype":"file","file":{"media_id":"MEDIA_ID"}`},
		{"link", kf.SendMsgRequest{Link: &kf.WebLink{Title: "企业如何增长？", Desc: "企业通过企业微信增长客户", URL: "https://work.weixin.qq.com", ThumbMediaID: "MEDIA_ID"}},
			`"msgtype":"link","link":{"title":"企业如何增长？","desc":"企业通过企业微信增长客户","url":"https://work.weixin.qq.com","thumb_media_id":"MEDIA_ID"}`},
		{"miniprogram", kf.SendMsgRequest{MiniProgram: &kf.MiniProgram{AppID: "APPID", Title: "欢迎报名夏令营", ThumbMediaID: "MEDIA_ID", PagePath: "PAGE_PATH"}},
			`"msgtype":"miniprogram","miniprogram":{"appid":"APPID","title":"欢迎报名夏令营","thumb_media_id":"MEDIA_ID","pagepath":"PAGE_PATH"}`},
		{"msgmenu", kf.SendMsgRequest{Menu: &kf.Menu{HeadContent: "您对本次服务是否满意呢? ", TailContent: "欢迎再次光临",
			List: []kf.MenuItem{kf.ClickItem("101", "满意"), kf.ViewItem("https://work.weixin.qq.com", "点击跳转到自助查询页面"),
				kf.MiniProgramItem("wx123123123123123", "pages/index?userid=zhangsan&orderid=123123123", "点击打开小程序查询更多"), kf.TextItem("纯文本")}}},
			`"msgtype":"msgmenu","msgmenu":{"head_content":"您对本次服务是否满意呢? ","list":[{"type":"click","click":{"id":"101","content":"满意"}},{"type":"view","view":{"url":"https://work.weixin.qq.com","content":"点击跳转到自助查询页面"}},{"type":"miniprogram","miniprogram":{"appid":"wx123123123123123","pagepath":"pages/index?userid=zhangsan&orderid=123123123","content":"点击打开小程序查询更多"}},{"type":"text","text":{"content":"纯文本"}}],"tail_content":"欢迎再次光临"}`},
		{"location", kf.SendMsgRequest{Location: &kf.Location{Name: "测试小区", Address: "实例小区，不真实存在，经纬度无意义", Latitude: 0, Longitude: 0}},
			`"msgtype":"location","location":{"name":"测试小区","address":"实例小区，不真实存在，经纬度无意义","latitude":0,"longitude":0}`},
		{"ca_link", kf.SendMsgRequest{CALink: &kf.CALink{LinkURL: "https://work.weixin.qq.com/ca/cawcde123"}},
			`"msgtype":"ca_link","ca_link":{"link_url":"https://work.weixin.qq.com/ca/cawcde123"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, m := shapetest.New(t)
			m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/send_msg",
				Body: `{"touser":"EXTERNAL_USERID","open_kfid":"OPEN_KFID","msgid":"MSGID",` + tc.body + `}`},
				`{"errcode":0,"errmsg":"ok","msgid":"MSGID"}`)
			req := tc.req
			req.ToUser, req.OpenKfID, req.MsgID = "EXTERNAL_USERID", "OPEN_KFID", "MSGID"
			id, err := kf.New(c).SendMsg(t.Context(), &req)
			require.NoError(t, err)
			assert.Equal(t, "MSGID", id)
			assert.Empty(t, req.MsgType, "the caller's request is not modified")
		})
	}
}

func TestSendMsgOnEventShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/send_msg_on_event",
		Body: `{"code":"CODE","msgid":"MSG_ID","msgtype":"text","text":{"content":"欢迎咨询"}}`},
		`{"errcode":0,"errmsg":"ok","msgid":"MSG_ID"}`)
	id, err := kf.New(c).SendMsgOnEvent(t.Context(), &kf.SendMsgOnEventRequest{Code: "CODE", MsgID: "MSG_ID",
		EventReply: kf.EventReply{Text: &kf.Text{Content: "欢迎咨询"}}})
	require.NoError(t, err)
	assert.Equal(t, "MSG_ID", id)
}
