package kf_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
)

// syncAnswer holds one message of every kind the page lists, the newer
// kinds, every event, and a kind the package does not know.
const syncAnswer = `{"errcode":0,"errmsg":"ok","next_cursor":"4gw7MepFLfgF2VC5npN","has_more":1,"msg_list":[
{"msgid":"m1","open_kfid":"wk1","external_userid":"wm1","send_time":1615478585,"origin":3,"msgtype":"text","text":{"content":"hello","menu_id":"101"}},
{"msgid":"m2","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"image","image":{"media_id":"IMG"}},
{"msgid":"m3","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"voice","voice":{"media_id":"VOICE"}},
{"msgid":"m4","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"video","video":{"media_id":"VIDEO"}},
{"msgid":"m5","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"file","file":{"media_id":"FILE"}},
{"msgid":"m6","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"location","location":{"latitude":23.106021881103501,"longitude":113.320503234863,"name":"广州国际媒体港(广州市海珠区)","address":"广东省广州市海珠区滨江东路"}},
{"msgid":"m7","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"link","link":{"title":"TITLE","desc":"DESC","url":"https://example.com","pic_url":"https://example.com/pic"}},
{"msgid":"m8","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"business_card","business_card":{"userid":"zhangsan"}},
{"msgid":"m9","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"miniprogram","miniprogram":{"title":"TITLE","appid":"wx123","pagepath":"PAGE","thumb_media_id":"THUMB"}},
{"msgid":"m10","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":5,"servicer_userid":"zhangsan","msgtype":"msgmenu","msgmenu":{"head_content":"您对本次服务是否满意呢? ","list":[{"type":"click","click":{"id":"101","content":"满意"}},{"type":"view","view":{"url":"https://example.com","content":"点击跳转"}},{"type":"miniprogram","miniprogram":{"appid":"wx123","pagepath":"pages/index","content":"小程序"}},{"type":"text","text":{"content":"纯文本","no_newline":1}}],"tail_content":"欢迎再次光临"}},
{"msgid":"m11","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"channels_shop_product","channels_shop_product":{"product_id":"P1","head_image":"IMG","title":"T","sales_price":"100","shop_nickname":"S","shop_head_image":"SI"}},
{"msgid":"m12","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"channels_shop_order","channels_shop_order":{"order_id":"O1","product_titles":"T","price_wording":"¥1","state":"已支付","image_url":"IMG","shop_nickname":"S"}},
{"msgid":"m13","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"merged_msg","merged_msg":{"title":"聊天记录","item":[{"send_time":1615478500,"msgtype":"text","sender_name":"A","msg_content":"{\"text\":{\"content\":\"hi\"}}"}]}},
{"msgid":"m14","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"channels","channels":{"sub_type":1,"nickname":"N","title":"T"}},
{"msgid":"m15","open_kfid":"wk1","external_userid":"wm1","send_time":1615478586,"origin":3,"msgtype":"note","note":{}},
{"msgid":"e1","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"enter_session","open_kfid":"wk1","external_userid":"wm1","scene":"123","scene_param":"abc","welcome_code":"aaaaaa","wechat_channels":{"nickname":"N","scene":1}}},
{"msgid":"e2","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"msg_send_fail","open_kfid":"wk1","external_userid":"wm1","fail_msgid":"FAIL","fail_type":4}},
{"msgid":"e3","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"servicer_status_change","servicer_userid":"zhangsan","status":2,"stop_type":1,"open_kfid":"wk1"}},
{"msgid":"e4","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"session_status_change","open_kfid":"wk1","external_userid":"wm1","change_type":1,"new_servicer_userid":"zhangsan","msg_code":"CODE"}},
{"msgid":"e5","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"user_recall_msg","open_kfid":"wk1","external_userid":"wm1","recall_msgid":"m1"}},
{"msgid":"e6","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"servicer_recall_msg","open_kfid":"wk1","external_userid":"wm1","recall_msgid":"m10","servicer_userid":"zhangsan"}},
{"msgid":"e7","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"reject_customer_msg_switch_change","servicer_userid":"zhangsan","open_kfid":"wk1","external_userid":"wm1","reject_switch":1}},
{"msgid":"e8","send_time":1615478587,"origin":4,"msgtype":"event","event":{"event_type":"some_new_event","open_kfid":"wk1","novel":true}},
{"msgid":"x1","open_kfid":"wk1","external_userid":"wm1","send_time":1615478588,"origin":3,"msgtype":"hologram","hologram":{"depth":3}}
]}`

func TestSyncMsgShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/sync_msg",
		Body: `{"cursor":"4gw7MepFLfgF2VC5npN","token":"ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR","limit":1000,"voice_format":1,"open_kfid":"wkxxxxxx"}`},
		syncAnswer)
	resp, err := kf.New(c).SyncMsg(t.Context(), &kf.SyncMsgRequest{Cursor: "4gw7MepFLfgF2VC5npN",
		Token: "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR", Limit: 1000, VoiceFormat: kf.VoiceSilk, OpenKfID: "wkxxxxxx"})
	require.NoError(t, err)
	assert.Equal(t, "4gw7MepFLfgF2VC5npN", resp.NextCursor)
	assert.True(t, resp.HasMore)
	require.Len(t, resp.MsgList, 24)
	by := map[string]*kf.Message{}
	for i := range resp.MsgList {
		msg := &resp.MsgList[i]
		assert.NotEmpty(t, msg.Raw, msg.MsgID)
		by[msg.MsgID] = msg
	}

	assert.Equal(t, &kf.Text{Content: "hello", MenuID: "101"}, by["m1"].Text)
	assert.Equal(t, kf.OriginCustomer, by["m1"].Origin)
	assert.Equal(t, wecom.UnixTime(1615478585), by["m1"].SendTime)
	assert.Equal(t, &kf.Image{MediaID: "IMG"}, by["m2"].Image)
	assert.Equal(t, &kf.Voice{MediaID: "VOICE"}, by["m3"].Voice)
	assert.Equal(t, &kf.Video{MediaID: "VIDEO"}, by["m4"].Video)
	assert.Equal(t, &kf.File{MediaID: "FILE"}, by["m5"].File)
	assert.InDelta(t, 23.1060218811035, by["m6"].Location.Latitude, 1e-9)
	assert.Equal(t, "广东省广州市海珠区滨江东路", by["m6"].Location.Address)
	assert.Equal(t, &kf.WebLink{Title: "TITLE", Desc: "DESC", URL: "https://example.com", PicURL: "https://example.com/pic"}, by["m7"].Link)
	assert.Equal(t, &kf.BusinessCard{UserID: "zhangsan"}, by["m8"].BusinessCard)
	assert.Equal(t, &kf.MiniProgram{Title: "TITLE", AppID: "wx123", PagePath: "PAGE", ThumbMediaID: "THUMB"}, by["m9"].MiniProgram)
	menu := by["m10"].Menu
	require.NotNil(t, menu)
	assert.Equal(t, kf.OriginServicer, by["m10"].Origin)
	assert.Equal(t, "zhangsan", by["m10"].ServicerUserID)
	assert.Equal(t, []kf.MenuItem{kf.ClickItem("101", "满意"), kf.ViewItem("https://example.com", "点击跳转"),
		kf.MiniProgramItem("wx123", "pages/index", "小程序"), {Type: kf.MenuText, Text: &kf.MenuTextItem{Content: "纯文本", NoNewline: 1}}}, menu.List)
	assert.Equal(t, "P1", by["m11"].ChannelsShopProduct.ProductID)
	assert.Equal(t, "已支付", by["m12"].ChannelsShopOrder.State)
	assert.Equal(t, "聊天记录", by["m13"].MergedMsg.Title)
	assert.Len(t, by["m13"].MergedMsg.Item, 1)
	assert.Equal(t, &kf.ChannelsFeed{SubType: 1, Nickname: "N", Title: "T"}, by["m14"].Channels)
	assert.NotNil(t, by["m15"].Note)

	enter := by["e1"].Event
	require.NotNil(t, enter)
	assert.Equal(t, kf.OriginEvent, by["e1"].Origin)
	assert.Equal(t, &kf.EventBody{EventType: kf.EventEnterSession, OpenKfID: "wk1", ExternalUserID: "wm1", Scene: "123",
		SceneParam: "abc", WelcomeCode: "aaaaaa", WechatChannels: &kf.ChannelsEntry{Nickname: "N", Scene: kf.ChannelsHome}}, enter)
	ok, ext := by["e1"].Customer()
	assert.Equal(t, []string{"wk1", "wm1"}, []string{ok, ext})
	assert.Equal(t, kf.FailSessionExpired, by["e2"].Event.FailType)
	assert.Equal(t, "FAIL", by["e2"].Event.FailMsgID)
	assert.Equal(t, kf.ServicerStopped, by["e3"].Event.Status)
	assert.Equal(t, kf.StopTypePause, by["e3"].Event.StopType)
	assert.Equal(t, kf.SessionTaken, by["e4"].Event.ChangeType)
	assert.Equal(t, "CODE", by["e4"].Event.MsgCode)
	assert.Equal(t, "m1", by["e5"].Event.RecallMsgID)
	assert.Equal(t, kf.EventServicerRecallMsg, by["e6"].Event.EventType)
	assert.Equal(t, 1, by["e7"].Event.RejectSwitch)
	// An event type the package does not know keeps its type and Raw.
	assert.Equal(t, kf.EventType("some_new_event"), by["e8"].Event.EventType)
	assert.Contains(t, string(by["e8"].Raw), `"novel":true`)
	// A message type it does not know is delivered with no body and its Raw.
	unknown := by["x1"]
	assert.Equal(t, kf.MsgType("hologram"), unknown.MsgType)
	assert.Nil(t, unknown.Text)
	assert.JSONEq(t, `{"msgid":"x1","open_kfid":"wk1","external_userid":"wm1","send_time":1615478588,"origin":3,"msgtype":"hologram","hologram":{"depth":3}}`, string(unknown.Raw))
}

// A body of another shape than documented fails only that body: the
// message keeps its envelope and Raw.
func TestSyncMsgKeepsAMessageWhoseBodyDoesNotDecode(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/sync_msg", Body: `{"open_kfid":"wk1"}`},
		`{"errcode":0,"errmsg":"ok","next_cursor":"c","has_more":0,"msg_list":[{"msgid":"m1","origin":3,"msgtype":"text","text":{"content":42}}]}`)
	resp, err := kf.New(c).SyncMsg(t.Context(), &kf.SyncMsgRequest{OpenKfID: "wk1"})
	require.NoError(t, err)
	require.Len(t, resp.MsgList, 1)
	assert.Equal(t, "m1", resp.MsgList[0].MsgID)
	assert.Nil(t, resp.MsgList[0].Text)
	assert.Contains(t, string(resp.MsgList[0].Raw), `"content":42`)
}
