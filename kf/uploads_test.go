package kf_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	pathUpload  = "/cgi-bin/media/upload"
	pathSendMsg = "/cgi-bin/kf/send_msg"
	day         = 24 * time.Hour
)

func file(name string) *wecom.MediaSource {
	return wecom.MediaFromBytes(name, []byte("content of "+name))
}

// Messages, an avatar and a knowledge-base answer built once with files
// (image, voice, video, file, a link's thumbnail, a mini program's cover,
// the avatar) are sent on day 1 and on day 4: each file is uploaded once a
// day it is needed and never written into the caller's request.
func TestUploads_RequestsBuiltOnceWorkOnDayFour(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newKFWorld(t)
	svc := kf.New(w.c)
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	ext := entry.ExternalUserID
	image, video, cover, avatar := file("poster.png"), file("howto.mp4"), file("cover.png"), file("avatar.png")
	link := &kf.WebLink{Title: "Returns", URL: "https://shop.invalid/returns", ThumbUpload: file("thumb.png")}
	mini := &kf.MiniProgram{AppID: "wx8bd80126147dfAAA", Title: "Shop", PagePath: "/pages/index", ThumbUpload: cover}
	msgs := []*kf.SendMsgRequest{{Image: &kf.Image{Upload: image}}, {Voice: &kf.Voice{Upload: file("hello.amr")}},
		{Video: &kf.Video{Upload: video}}, {File: &kf.File{Upload: file("price-list.xlsx")}}, {Link: link}, {MiniProgram: mini}}
	answer := []kf.Answer{{Text: "See the video", Attachments: []kf.Attachment{
		{MsgType: kf.MsgImage, Image: &kf.AttachmentMedia{Upload: image}},
		{MsgType: kf.MsgVideo, Video: &kf.AttachmentMedia{Upload: video}},
		{MsgType: kf.MsgMiniProgram, MiniProgram: mini}}}}
	group, err := svc.KnowledgeAddGroup(ctx, &kf.KnowledgeAddGroupRequest{Name: "售后"})
	require.NoError(t, err)

	for i, when := range []string{"day 1", "day 4"} {
		if i == 1 {
			w.clk.Advance(3 * day)
		}
		for j, m := range msgs {
			if j%3 == 0 { // at most five messages until the customer writes
				_, err := w.kf.Write(ctx, w.account, ext, wecomtest.KFText("还在吗"))
				require.NoError(t, err)
			}
			m.OpenKfID, m.ToUser = w.account, ext
			_, err := svc.SendMsg(ctx, m)
			require.NoError(t, err, "%s: message %d", when, j)
		}
		account, err := svc.AddAccount(ctx, &kf.AddAccountRequest{Name: "售后" + when[4:], Upload: avatar})
		require.NoError(t, err, when)
		require.NoError(t, svc.UpdateAccount(ctx, &kf.UpdateAccountRequest{OpenKfID: account, Upload: avatar}), when)
		intent, err := svc.KnowledgeAddIntent(ctx, &kf.KnowledgeAddIntentRequest{GroupID: group, Question: "怎么退货 " + when, Answers: answer})
		require.NoError(t, err, when)
		require.NoError(t, svc.KnowledgeModIntent(ctx, &kf.KnowledgeModIntentRequest{IntentID: intent, Answers: answer}), when)
		assert.Equal(t, 7*(i+1), w.srv.Count(pathUpload), "%s: each of the seven files uploaded once", when)
	}
	assert.Len(t, w.kf.Sent(w.account, ext), 12)
	assert.Empty(t, msgs[0].Image.MediaID, "the caller's request is left as it was")
	assert.Empty(t, link.ThumbMediaID)
	assert.Empty(t, mini.ThumbMediaID)
	assert.Empty(t, answer[0].Attachments[0].Image.MediaID)
}

// The fake refuses a media id three days after its upload with WeCom's
// 40007 (a message, an avatar, a knowledge-base answer); the same content
// given as a file is uploaded again and accepted.
func TestUploads_AFourDayOldMediaIDIsRefusedAFileIsNot(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newKFWorld(t)
	svc := kf.New(w.c)
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	ext := entry.ExternalUserID
	png := "\x89PNG spring poster"
	raw, err := w.c.UploadMedia(ctx, wecom.MediaImage, "poster.png", strings.NewReader(png))
	require.NoError(t, err)
	group, err := svc.KnowledgeAddGroup(ctx, &kf.KnowledgeAddGroupRequest{Name: "售后"})
	require.NoError(t, err)
	w.clk.Advance(4 * day)
	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("还在吗"))
	require.NoError(t, err)

	_, err = svc.SendMsg(ctx, &kf.SendMsgRequest{OpenKfID: w.account, ToUser: ext, Image: &kf.Image{MediaID: raw.MediaID}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	_, err = svc.AddAccount(ctx, &kf.AddAccountRequest{Name: "售后2", MediaID: raw.MediaID})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	_, err = svc.KnowledgeAddIntent(ctx, &kf.KnowledgeAddIntentRequest{GroupID: group, Question: "退货", Answers: []kf.Answer{{Text: "看图",
		Attachments: []kf.Attachment{{MsgType: kf.MsgImage, Image: &kf.AttachmentMedia{MediaID: raw.MediaID}}}}}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)

	_, err = svc.SendMsg(ctx, &kf.SendMsgRequest{OpenKfID: w.account, ToUser: ext,
		Image: &kf.Image{Upload: wecom.MediaFromBytes("poster.png", []byte(png))}})
	require.NoError(t, err)
	body := testkit.LastBody(t, w.srv, pathSendMsg)["image"].(map[string]any)
	assert.NotEqual(t, raw.MediaID, body["media_id"])
	assert.Len(t, body, 1, "the file itself is not sent: only media_id")
}

// When WeCom refuses a media id the cache still holds (40007: the
// client's clock is behind WeCom's), the file is uploaded again and the
// message sent once more; the customer gets it once.
func TestUploads_ARefusedCachedMediaIDIsUploadedAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	wecomClock := testkit.NewClock(time.Time{})
	ours := testkit.NewClock(wecomClock.Now().Add(-day)) // a day behind
	srv, c := testkit.Setup(t, testkit.WithClock(wecomClock), testkit.WithClientOptions(wecom.WithClock(ours.Now)))
	corp := srv.Corp(srv.CorpID).KF()
	account, err := corp.AddAccountInAdmin("售后客服")
	require.NoError(t, err)
	svc := kf.New(c)
	link, err := svc.AddContactWay(ctx, &kf.AddContactWayRequest{OpenKfID: account})
	require.NoError(t, err)
	entry, err := corp.OpenLink(ctx, link, "")
	require.NoError(t, err)
	req := &kf.SendMsgRequest{OpenKfID: account, ToUser: entry.ExternalUserID, File: &kf.File{Upload: file("price-list.xlsx")}}
	_, err = corp.Write(ctx, account, entry.ExternalUserID, wecomtest.KFText("价目表"))
	require.NoError(t, err)
	_, err = svc.SendMsg(ctx, req)
	require.NoError(t, err)
	wecomClock.Advance(3 * day)
	ours.Advance(3 * day) // the cache thinks the id has a day left
	_, err = corp.Write(ctx, account, entry.ExternalUserID, wecomtest.KFText("再发一次"))
	require.NoError(t, err)

	_, err = svc.SendMsg(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathUpload))
	assert.Equal(t, 3, srv.Count(pathSendMsg), "the refused send is sent once more")
	assert.Len(t, corp.Sent(account, entry.ExternalUserID), 2)
}

// A send that may have reached WeCom is never sent again, files or not.
func TestUploads_ASendThatMayHaveLandedIsNotSentAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newKFWorld(t)
	svc := kf.New(w.c)
	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	_, err = w.kf.Write(ctx, w.account, entry.ExternalUserID, wecomtest.KFText("在吗"))
	require.NoError(t, err)
	w.srv.Fail(pathSendMsg, wecomtest.Fault{Drop: true})
	_, err = svc.SendMsg(ctx, &kf.SendMsgRequest{OpenKfID: w.account, ToUser: entry.ExternalUserID, Image: &kf.Image{Upload: file("poster.png")}})
	testkit.WantOutcomeUnknown(t, err)
	assert.Equal(t, 1, w.srv.Count(pathSendMsg))
}
