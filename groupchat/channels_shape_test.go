package groupchat_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/wecom"
)

func TestShapeChannels(t *testing.T) {
	svc, m := shape(t)
	chs, err := groupchat.NewChannels(svc, wecom.NewMemoryStore(), nil, groupchat.ChannelTemplate{})
	require.NoError(t, err)
	state := channelstate.Code("gc")("fair", 0)
	m.Expect(post("groupchat/add_join_way", `{"scene":2,"remark":"fair#`+state+`","auto_create_room":1,"room_base_name":"展",
		"room_base_id":1,"chat_id_list":["wrA"],"state":"`+state+`"}`), `{"errcode":0,"errmsg":"ok","config_id":"CFG"}`)
	m.Expect(post("groupchat/get_join_way", `{"config_id":"CFG"}`), `{"errcode":0,"errmsg":"ok","join_way":{"config_id":"CFG",
		"scene":2,"auto_create_room":1,"room_base_name":"展","room_base_id":1,"chat_id_list":["wrA"],"qr_code":"https://q/CFG","state":"`+state+`"}}`)
	code, err := chs.Ensure(t.Context(), groupchat.Channel{Name: "fair", ChatIDs: []string{"wrA"}, AutoCreateRoom: wecom.Ptr(true),
		RoomBaseName: "展", RoomBaseID: 1, Tags: []string{"et1"}})
	require.NoError(t, err)
	assert.Equal(t, "https://q/CFG", code.QRCode)

	m.Expect(post("groupchat/get", `{"chat_id":"wrA"}`), `{"errcode":0,"errmsg":"ok","group_chat":{"chat_id":"wrA","name":"n",
		"owner":"owner1","create_time":1,"member_list":[{"userid":"owner1","type":1,"join_time":1,"join_scene":1},
		{"userid":"wmJ","type":2,"join_time":2,"join_scene":3,"state":"`+state+`"}],"member_version":"v2"}}`)
	m.Expect(post("mark_tag", `{"userid":"owner1","external_userid":"wmJ","add_tag":["et1"]}`), "")
	ev := &callback.ExternalChatEvent{ChatID: "wrA", UpdateDetail: callback.UpdateAddMember, JoinScene: 3,
		MemChangeCnt: 1, MemChangeList: []string{"wmJ"}, LastMemVer: "v1", CurMemVer: "v2"}
	ev.ChangeType = callback.ChangeChatUpdate
	require.NoError(t, chs.HandleEvent(t.Context(), ev))
}
