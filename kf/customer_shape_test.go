package kf_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
)

func TestCustomerBatchGetShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/customer/batchget",
		Body: `{"external_userid_list":["wmxxxxxxxxxxxxxxxxxxxxxx","zhangsan"],"need_enter_session_context":1}`},
		`{"errcode":0,"errmsg":"ok","customer_list":[{"external_userid":"wmxxxxxxxxxxxxxxxxxxxxxx","nickname":"张三","avatar":"http://xxxxx","gender":1,"unionid":"oxasdaosaosdasdasdasd","enter_session_context":{"scene":"123","scene_param":"abc","wechat_channels":{"nickname":"进入会话的视频号名称","shop_nickname":"视频号小店名称","scene":1}}}],"invalid_external_userid":["zhangsan"]}`)
	resp, err := kf.New(c).CustomerBatchGet(t.Context(), &kf.CustomerBatchGetRequest{
		ExternalUserIDList: []string{"wmxxxxxxxxxxxxxxxxxxxxxx", "zhangsan"}, NeedEnterSessionContext: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"zhangsan"}, resp.InvalidExternalUserID)
	require.Len(t, resp.CustomerList, 1)
	got := resp.CustomerList[0]
	assert.Equal(t, "张三", got.Nickname)
	assert.Equal(t, 1, got.Gender)
	assert.Equal(t, &kf.EnterSessionContext{Scene: "123", SceneParam: "abc",
		WechatChannels: &kf.ChannelsEntry{Nickname: "进入会话的视频号名称", ShopNickname: "视频号小店名称", Scene: kf.ChannelsHome}}, got.EnterSessionContext)
}

// The Many form chunks by 100 and reports the ids WeCom listed as invalid.
func TestCustomerBatchGetManyChunksAndNamesInvalidIDs(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	ids := make([]string, 150)
	for i := range ids {
		ids[i] = "wm" + strconv.Itoa(i)
	}
	var first, second string
	first = `{"errcode":0,"errmsg":"ok","customer_list":[`
	for i := 0; i < 100; i++ {
		if i > 0 {
			first += ","
		}
		first += `{"external_userid":"wm` + strconv.Itoa(i) + `","nickname":"n"}`
	}
	first += `],"invalid_external_userid":[]}`
	second = `{"errcode":0,"errmsg":"ok","customer_list":[{"external_userid":"wm100","nickname":"n"}],"invalid_external_userid":["wm101"]}`
	bodies := answerInTurn(t, m, "/cgi-bin/kf/customer/batchget", first, second)
	res, err := kf.New(c).CustomerBatchGetMany(t.Context(), &kf.CustomerBatchGetRequest{ExternalUserIDList: ids}, 1)
	require.NoError(t, err)
	require.Len(t, res, 150)
	assert.Equal(t, "wm0", res[0].Value.ExternalUserID)
	assert.Equal(t, "wm100", res[100].Value.ExternalUserID)
	assert.ErrorIs(t, res[101].Err, kf.ErrInvalidCustomer)
	assert.ErrorIs(t, res[149].Err, kf.ErrInvalidCustomer)
	assert.Len(t, *bodies, 2)
	_, err = kf.New(c).CustomerBatchGet(t.Context(), &kf.CustomerBatchGetRequest{ExternalUserIDList: ids})
	require.ErrorIs(t, err, kf.ErrInvalidArgument)
	assert.ErrorContains(t, err, "at most 100")
}

func TestCustomerGetUpgradeServiceConfigShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/kf/customer/get_upgrade_service_config"},
		`{"errcode":0,"errmsg":"ok","member_range":{"userid_list":["zhangsan","lisi"],"department_id_list":[2,3]},"groupchat_range":{"chat_id_list":["wraaaaaaaaaaaaaaaa","wrbbbbbbbbbbbbbbb"]}}`)
	cfg, err := kf.New(c).CustomerGetUpgradeServiceConfig(t.Context())
	require.NoError(t, err)
	assert.Equal(t, kf.UpgradeServiceRange{MemberUserIDs: []string{"zhangsan", "lisi"}, MemberDepartmentIDs: []int{2, 3},
		GroupChatIDs: []string{"wraaaaaaaaaaaaaaaa", "wrbbbbbbbbbbbbbbb"}}, cfg.UpgradeServiceRange)
}

func TestCustomerUpgradeServiceShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/customer/upgrade_service",
		Body: `{"open_kfid":"kfxxxxxxxxxxxxxx","external_userid":"wmxxxxxxxxxxxxxxxxxx","type":1,"member":{"userid":"zhangsan","wording":"你好，我是你的专属服务专员zhangsan"}}`}, "")
	require.NoError(t, kf.New(c).CustomerUpgradeService(t.Context(), &kf.CustomerUpgradeServiceRequest{OpenKfID: "kfxxxxxxxxxxxxxx",
		ExternalUserID: "wmxxxxxxxxxxxxxxxxxx", Type: kf.UpgradeMember, Member: &kf.UpgradeMemberTarget{UserID: "zhangsan", Wording: "你好，我是你的专属服务专员zhangsan"}}))
}

func TestCustomerCancelUpgradeServiceShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/customer/cancel_upgrade_service",
		Body: `{"open_kfid":"kfxxxxxxxxxxxxxx","external_userid":"wmxxxxxxxxxxxxxxxxxx"}`}, "")
	require.NoError(t, kf.New(c).CustomerCancelUpgradeService(t.Context(), &kf.CustomerCancelUpgradeServiceRequest{OpenKfID: "kfxxxxxxxxxxxxxx",
		ExternalUserID: "wmxxxxxxxxxxxxxxxxxx"}))
}
