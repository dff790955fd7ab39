package message_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
)

func TestShape_AddMsgTemplate(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("add_msg_template", `{"chat_type":"single","tag_filter":{"group_list":[{"tag_list":["et1","et2"]},{"tag_list":["et3"]}]},
		"sender":"zhangsan","allow_select":true,"text":{"content":"hi"},
		"attachments":[{"msgtype":"image","image":{"media_id":"M1"}},
		{"msgtype":"link","link":{"title":"T","picurl":"https://p.invalid/c","desc":"D","url":"https://l.invalid"}},
		{"msgtype":"miniprogram","miniprogram":{"title":"MP","pic_media_id":"M2","appid":"wx1","page":"/index"}},
		{"msgtype":"video","video":{"media_id":"M3"}},{"msgtype":"file","file":{"media_id":"M4"}}]}`),
		`{"errcode":0,"errmsg":"ok","fail_list":["wmX"],"msgid":"msgA"}`)
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{
		ChatType: message.ChatSingle, Sender: "zhangsan", AllowSelect: true, Text: text("hi"),
		TagFilter: &message.TagFilter{GroupList: []message.TagFilterGroup{{TagList: []string{"et1", "et2"}}, {TagList: []string{"et3"}}}},
		Attachments: []message.Attachment{
			message.ImageAttachment("M1"),
			message.LinkAttachment(message.LinkCard{Title: "T", PicURL: "https://p.invalid/c", Desc: "D", URL: "https://l.invalid"}),
			message.MiniProgramAttachment(message.MiniProgram{Title: "MP", PicMediaID: "M2", AppID: "wx1", Page: "/index"}),
			message.VideoAttachment("M3"), message.FileAttachment("M4"),
		},
	})
	require.NoError(t, err)
	assert.Equal(t, &message.AddMsgTemplateResponse{FailList: []string{"wmX"}, MsgID: "msgA"}, resp)
}

func TestShape_AddMsgTemplateGroup(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("add_msg_template", `{"chat_type":"group","chat_id_list":["wr1","wr2"],"sender":"owner",
		"attachments":[{"msgtype":"image","image":{"pic_url":"https://wework.qpic.cn/x"}}]}`), `{"errcode":0,"errmsg":"ok","msgid":"msgG"}`)
	_, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ChatType: message.ChatGroup, Sender: "owner",
		ChatIDList: []string{"wr1", "wr2"}, Attachments: []message.Attachment{message.ImageURLAttachment("https://wework.qpic.cn/x")}})
	require.NoError(t, err)
}
