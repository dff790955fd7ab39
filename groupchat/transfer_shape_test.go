package groupchat_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
)

func TestShapeTransfer(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/transfer", `{"chat_id_list":["wrA","wrB"],"new_owner":"zhangsan"}`),
		`{"errcode":0,"errmsg":"ok","failed_chat_list":[{"chat_id":"wrB","errcode":90500,"errmsg":"the owner of this chat is not resigned"}]}`)
	failed, err := svc.Transfer(t.Context(), &groupchat.TransferRequest{ChatIDList: []string{"wrA", "wrB"}, NewOwner: "zhangsan"})
	require.NoError(t, err)
	assert.Equal(t, []groupchat.FailedChat{{ChatID: "wrB", Errcode: 90500, Errmsg: "the owner of this chat is not resigned"}}, failed)
}

func TestShapeOnjobTransferMany(t *testing.T) {
	t.Parallel()
	svc, m := shape(t)
	m.Expect(post("groupchat/onjob_transfer", `{"chat_id_list":["wrA","wrB"],"new_owner":"zhangsan"}`),
		`{"errcode":0,"errmsg":"ok","failed_chat_list":[{"chat_id":"wrA","errcode":90501,"errmsg":"chat is not external group chat"}]}`)
	res, err := svc.OnjobTransferMany(t.Context(), &groupchat.OnjobTransferRequest{ChatIDList: []string{"wrA", "wrB"}, NewOwner: "zhangsan"}, 0)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, 90501, wecom.ErrorCode(res[0].Err))
	assert.Contains(t, res[0].Err.Error(), "chat is not external group chat")
	assert.NoError(t, res[1].Err)
}
