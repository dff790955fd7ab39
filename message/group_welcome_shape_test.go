package message_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/message"
)

func TestShape_AddGroupWelcomeTemplate(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/add", `{"text":{"content":"Hi %NICKNAME%"},"image":{"media_id":"M"},
		"link":{"title":"T","url":"https://l.invalid"},"miniprogram":{"title":"MP","pic_media_id":"M2","appid":"wx1","page":"/p"},
		"file":{"media_id":"F"},"video":{"media_id":"V"},"agentid":1000014,"notify":0}`),
		`{"errcode":0,"errmsg":"ok","template_id":"msgXXX"}`)
	no := false
	id, err := svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("Hi %NICKNAME%"), Image: &message.Image{MediaID: "M"},
			Link:        &message.LinkCard{Title: "T", URL: "https://l.invalid"},
			MiniProgram: &message.MiniProgram{Title: "MP", PicMediaID: "M2", AppID: "wx1", Page: "/p"},
			File:        &message.File{MediaID: "F"}, Video: &message.Video{MediaID: "V"}},
		AgentID: 1000014, Notify: &no,
	})
	require.NoError(t, err)
	assert.Equal(t, "msgXXX", id)

	svc, m = shape(t)
	m.Expect(post("group_welcome_template/add", `{"text":{"content":"x"},"notify":1}`), `{"errcode":0,"errmsg":"ok","template_id":"t"}`)
	yes := true
	_, err = svc.AddGroupWelcomeTemplate(t.Context(), &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("x")}, Notify: &yes})
	require.NoError(t, err)
}

func TestShape_EditGroupWelcomeTemplate(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/edit", `{"template_id":"T1","text":{"content":"new"},"agentid":5}`), "")
	require.NoError(t, svc.EditGroupWelcomeTemplate(t.Context(), &message.EditGroupWelcomeTemplateRequest{TemplateID: "T1",
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Text: text("new")}, AgentID: 5}))
}

func TestShape_GetGroupWelcomeTemplate(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/get", `{"template_id":"T1"}`),
		`{"errcode":0,"errmsg":"ok","text":{"content":"hi"},"image":{"pic_url":"https://p.invalid/i"},"file":{"media_id":"F"}}`)
	g, err := svc.GetGroupWelcomeTemplate(t.Context(), "T1")
	require.NoError(t, err)
	assert.Equal(t, &message.GroupWelcomeTemplate{Text: text("hi"), Image: &message.Image{PicURL: "https://p.invalid/i"}, File: &message.File{MediaID: "F"}}, g)
}

func TestShape_DelGroupWelcomeTemplate(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("group_welcome_template/del", `{"template_id":"T1"}`), "")
	require.NoError(t, svc.DelGroupWelcomeTemplate(t.Context(), "T1", 0))
}
