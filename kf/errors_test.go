package kf_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
)

// Documented limits are checked before sending, and the error names the
// limit; nothing reaches WeCom (the mock has no route: a request would
// fail differently).
func TestInputRefusedBeforeSendingNamesTheLimit(t *testing.T) {
	t.Parallel()
	c, _ := shapetest.New(t, wecom.WithClock(func() time.Time { return time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC) }))
	svc := kf.New(c)
	ctx := t.Context()
	long := func(n int) string { return strings.Repeat("x", n) }
	menu := func(n int) *kf.Menu {
		m := &kf.Menu{}
		for range n {
			m.List = append(m.List, kf.ClickItem("id", "c"))
		}
		return m
	}
	cases := []struct {
		name string
		call func(context.Context) error
		want string
	}{
		{"account name", func(ctx context.Context) error {
			_, err := svc.AddAccount(ctx, &kf.AddAccountRequest{Name: strings.Repeat("客", 17), MediaID: "m"})
			return err
		}, "Name is 17 characters long; WeCom allows at most 16"},
		{"media id", func(ctx context.Context) error {
			_, err := svc.AddAccount(ctx, &kf.AddAccountRequest{Name: "n", MediaID: long(129)})
			return err
		}, "MediaID is 129 bytes long; WeCom allows at most 128"},
		{"account page", func(ctx context.Context) error {
			_, err := svc.ListAccounts(ctx, &kf.ListAccountsRequest{Limit: 101})
			return err
		}, "1 to 100 accounts per page"},
		{"scene chars", func(ctx context.Context) error {
			_, err := svc.AddContactWay(ctx, &kf.AddContactWayRequest{OpenKfID: "wk", Scene: "春季"})
			return err
		}, "only letters, digits"},
		{"scene length", func(ctx context.Context) error {
			_, err := svc.AddContactWay(ctx, &kf.AddContactWayRequest{OpenKfID: "wk", Scene: long(33)})
			return err
		}, "at most 32"},
		{"scene param", func(context.Context) error {
			_, err := kf.SceneURL("https://work.weixin.qq.com/kf/x?enc_scene=E", long(129))
			return err
		}, "at most 128"},
		{"servicers", func(ctx context.Context) error {
			_, err := svc.AddServicer(ctx, &kf.AddServicerRequest{OpenKfID: "wk", UserIDList: make([]string, 101)})
			return err
		}, "at most 100 per call"},
		{"servicers none", func(ctx context.Context) error {
			_, err := svc.DelServicer(ctx, &kf.DelServicerRequest{OpenKfID: "wk"})
			return err
		}, "at least one"},
		{"trans servicer", func(ctx context.Context) error {
			_, err := svc.ServiceStateTrans(ctx, &kf.ServiceStateTransRequest{OpenKfID: "wk", ExternalUserID: "wm", ServiceState: kf.StateServicer})
			return err
		}, "ServicerUserID is required"},
		{"trans target", func(ctx context.Context) error {
			_, err := svc.ServiceStateTrans(ctx, &kf.ServiceStateTransRequest{OpenKfID: "wk", ExternalUserID: "wm", ServiceState: kf.StateUntreated})
			return err
		}, "can be moved to the bot (1)"},
		{"sync limit", func(ctx context.Context) error {
			_, err := svc.SyncMsg(ctx, &kf.SyncMsgRequest{OpenKfID: "wk", Limit: 1001})
			return err
		}, "1 to 1000 messages"},
		{"text bytes", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", Text: &kf.Text{Content: long(2049)}})
			return err
		}, "2049 bytes long; WeCom allows at most 2048"},
		{"two bodies", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", Text: &kf.Text{Content: "a"}, Image: &kf.Image{MediaID: "m"}})
			return err
		}, "several message bodies"},
		{"msgtype mismatch", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", MsgType: kf.MsgImage, Text: &kf.Text{Content: "a"}})
			return err
		}, `MsgType "image" but the body set is "text"`},
		{"menu items", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", Menu: menu(11)})
			return err
		}, "11 items; WeCom allows at most 10 (95008)"},
		{"menu item body", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", Menu: &kf.Menu{List: []kf.MenuItem{{Type: kf.MenuClick, View: &kf.MenuViewItem{URL: "u", Content: "c"}}}}})
			return err
		}, "does not match its body"},
		{"link scheme", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", Link: &kf.WebLink{Title: "t", URL: "ftp://x", ThumbMediaID: "m"}})
			return err
		}, "http:// and https://"},
		{"latitude", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", Location: &kf.Location{Latitude: 91}})
			return err
		}, "outside -90 to 90"},
		{"msgid", func(ctx context.Context) error {
			_, err := svc.SendMsg(ctx, &kf.SendMsgRequest{ToUser: "wm", OpenKfID: "wk", MsgID: long(33), Text: &kf.Text{Content: "a"}})
			return err
		}, "MsgID is 33 bytes long; WeCom allows at most 32"},
		{"event reply image", func(ctx context.Context) error {
			_, err := svc.SendMsgOnEvent(ctx, &kf.SendMsgOnEventRequest{Code: "c", EventReply: kf.EventReply{MsgType: kf.MsgImage}})
			return err
		}, "no message body"},
		{"customers", func(ctx context.Context) error {
			_, err := svc.CustomerBatchGet(ctx, &kf.CustomerBatchGetRequest{ExternalUserIDList: make([]string, 3)})
			return err
		}, "ExternalUserIDList[0] is empty"},
		{"upgrade type", func(ctx context.Context) error {
			return svc.CustomerUpgradeService(ctx, &kf.CustomerUpgradeServiceRequest{OpenKfID: "wk", ExternalUserID: "wm", Type: kf.UpgradeMember,
				GroupChat: &kf.UpgradeGroupChatTarget{ChatID: "wr"}})
		}, "takes Member"},
		{"statistics today", func(ctx context.Context) error {
			today := time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC).Unix()
			_, err := svc.GetCorpStatistic(ctx, &kf.GetCorpStatisticRequest{OpenKfID: "wk", DayRange: kf.DayRange{StartTime: wecom.UnixTime(today - 86400), EndTime: wecom.UnixTime(today)}})
			return err
		}, "up to yesterday"},
		{"statistics span", func(ctx context.Context) error {
			end := time.Date(2025, 11, 10, 0, 0, 0, 0, time.UTC).Unix()
			_, err := svc.GetServicerStatistic(ctx, &kf.GetServicerStatisticRequest{OpenKfID: "wk", DayRange: kf.DayRange{StartTime: wecom.UnixTime(end - 40*86400), EndTime: wecom.UnixTime(end)}})
			return err
		}, "more than 31 days"},
		{"knowledge name", func(ctx context.Context) error {
			_, err := svc.KnowledgeAddGroup(ctx, &kf.KnowledgeAddGroupRequest{Name: strings.Repeat("组", 13)})
			return err
		}, "13 characters long; WeCom allows at most 12"},
		{"two answers", func(ctx context.Context) error {
			_, err := svc.KnowledgeAddIntent(ctx, &kf.KnowledgeAddIntentRequest{GroupID: "g", Question: "q", Answers: []kf.Answer{{Text: "a"}, {Text: "b"}}})
			return err
		}, "exactly 1"},
		{"attachments", func(ctx context.Context) error {
			a := kf.Attachment{MsgType: kf.MsgImage, Image: &kf.AttachmentMedia{MediaID: "m"}}
			_, err := svc.KnowledgeAddIntent(ctx, &kf.KnowledgeAddIntentRequest{GroupID: "g", Question: "q", Answers: []kf.Answer{{Text: "a", Attachments: []kf.Attachment{a, a, a, a, a}}}})
			return err
		}, "5 items; WeCom allows at most 4"},
		{"mod nothing", func(ctx context.Context) error {
			return svc.KnowledgeModIntent(ctx, &kf.KnowledgeModIntentRequest{IntentID: "i"})
		}, "nothing to change"},
	}
	for _, tc := range cases {
		err := tc.call(ctx)
		testkit.WantInvalid(t, err, kf.ErrInvalidArgument)
		assert.ErrorContains(t, err, tc.want, tc.name)
		assert.True(t, strings.HasPrefix(err.Error(), "kf: "), tc.name)
	}
}

func TestIsNotFound(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	err := kf.New(w.c).DelAccount(t.Context(), "wkgone")
	require.Error(t, err)
	assert.True(t, kf.IsNotFound(err))
	assert.False(t, kf.IsNotFound(nil))
}
