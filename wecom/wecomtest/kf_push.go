package wecomtest

import (
	"strconv"
	"time"
)

// KFMsgOrEventXML returns the decrypted XML of a kf_msg_or_event push, as
// WeCom sends it: an account (openKfID) has new messages, to read with
// sync_msg and token (valid 10 minutes).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94670
func KFMsgOrEventXML(corpID, token, openKfID string, at time.Time) []byte {
	return []byte("<xml><ToUserName><![CDATA[" + corpID + "]]></ToUserName>" +
		"<CreateTime>" + strconv.FormatInt(at.Unix(), 10) + "</CreateTime>" +
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>" +
		"<Token><![CDATA[" + token + "]]></Token><OpenKfId><![CDATA[" + openKfID + "]]></OpenKfId></xml>")
}
