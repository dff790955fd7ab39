package kf

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeSyncMsg feeds sync_msg answers to the decoder: it never panics;
// every message it returns keeps its JSON in Raw, has at most the one body
// its MsgType names, and names its customer.
func FuzzDecodeSyncMsg(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok","next_cursor":"4gw7MepFLfgF2VC5npN","has_more":1,"msg_list":[` +
			`{"msgid":"from_msgid_4622416642169452483","open_kfid":"wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q","external_userid":"wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw",` +
			`"send_time":1615478585,"origin":3,"msgtype":"text","text":{"content":"你好","menu_id":"101"}}]}`,
		`{"next_cursor":"","has_more":0,"msg_list":[{"msgid":"e1","send_time":1,"origin":4,"msgtype":"event",` +
			`"event":{"event_type":"enter_session","open_kfid":"wk1","external_userid":"wm1","scene":"123","welcome_code":"aaa"}}]}`,
		`{"msg_list":[{"msgid":"m","msgtype":"image","image":{"media_id":2}}]}`,
		`{"msg_list":[{"msgid":"m","msgtype":"msgmenu","msgmenu":{"head_content":"h","list":[{"type":"click","click":{"id":"1","content":"c"}}]}}]}`,
		`{"msg_list":[{"msgid":"m","msgtype":"unknown_kind","unknown_kind":{}}]}`,
		`{"has_more":true}`,
		`{"msg_list":[null,{"msgtype":"text","text":null}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r SyncMsgResponse
		if json.Unmarshal(b, &r) != nil {
			return
		}
		for i := range r.MsgList {
			m := &r.MsgList[i]
			if m.Raw != nil {
				require.True(t, json.Valid(m.Raw), "message %d: Raw is not JSON: %q", i, m.Raw)
			}
			bodies := map[MsgType]bool{
				MsgText: m.Text != nil, MsgImage: m.Image != nil, MsgVoice: m.Voice != nil, MsgVideo: m.Video != nil,
				MsgFile: m.File != nil, MsgLocation: m.Location != nil, MsgLink: m.Link != nil,
				MsgBusinessCard: m.BusinessCard != nil, MsgMiniProgram: m.MiniProgram != nil, MsgMenu: m.Menu != nil,
				MsgChannelsShopProduct: m.ChannelsShopProduct != nil, MsgChannelsShopOrder: m.ChannelsShopOrder != nil,
				MsgMergedMsg: m.MergedMsg != nil, MsgChannels: m.Channels != nil, MsgNote: m.Note != nil, MsgEvent: m.Event != nil,
			}
			for typ, set := range bodies {
				if set {
					require.Equal(t, m.MsgType, typ, "message %d of type %q has a %q body", i, m.MsgType, typ)
				}
			}
			kfID, ext := m.Customer()
			if m.Event == nil {
				require.Equal(t, m.OpenKfID, kfID, "message %d: Customer() = %q, %q", i, kfID, ext)
				require.Equal(t, m.ExternalUserID, ext, "message %d: Customer() = %q, %q", i, kfID, ext)
			}
		}
	})
}
