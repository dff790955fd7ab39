package appmsg_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	pathUpload = "/cgi-bin/media/upload"
	pathSend   = "/cgi-bin/message/send"
	day        = 24 * time.Hour
)

// onClock is the fake corp and a Service on one moved clock: uploads are
// dated, and expire, on it.
func onClock(t *testing.T) (*wecomtest.Server, *appmsg.Service, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, svc := fakeCorp(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	return srv, svc, clk
}

func file(name string) *wecom.MediaSource {
	return wecom.MediaFromBytes(name, []byte("content of "+name))
}

// attachmentCard is a text notice with a line that downloads att.
func attachmentCard(att appmsg.CardHorizontalContent) *appmsg.TemplateCard {
	att.Type, att.KeyName, att.Value = 2, "Terms", "terms.pdf"
	return &appmsg.TemplateCard{CardType: appmsg.CardTextNotice, MainTitle: &appmsg.CardMainTitle{Title: "New terms"},
		HorizontalContentList: []appmsg.CardHorizontalContent{att}, CardAction: &appmsg.CardAction{Type: 1, URL: "https://shop.invalid/terms"}}
}

// Messages built once with files (an image, a voice, a video, a file, an
// mpnews thumbnail, a card's attachment) are sent by Send, SendMany,
// Notify and UpdateTemplateCard on day 1 and on day 4: each file is
// uploaded once a day it is needed and never written into the caller's
// message.
func TestUploads_MessagesBuiltOnceWorkOnDayFour(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, svc, clk := onClock(t)
	n, err := appmsg.NewNotifier(svc)
	require.NoError(t, err)
	thumb, terms := file("thumb.png"), file("terms.pdf")
	voice := &appmsg.Voice{Upload: file("hello.amr")}
	news := &appmsg.MpNews{Articles: []appmsg.MpArticle{{Title: "Weekly", ThumbUpload: thumb, Content: "<p>week</p>"},
		{Title: "Also", ThumbUpload: thumb, Content: "<p>also</p>"}}}
	card := attachmentCard(appmsg.CardHorizontalContent{Upload: terms})
	msgs := []appmsg.Message{appmsg.Image{Upload: file("poster.png")}, voice,
		&appmsg.Video{Upload: file("howto.mp4"), Title: "How to"}, appmsg.File{Upload: file("price-list.xlsx")}, news, card}

	for i, when := range []string{"day 1", "day 4"} {
		if i == 1 {
			clk.Advance(3 * day)
		}
		for _, m := range msgs {
			_, err := svc.Send(ctx, &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: m})
			require.NoError(t, err, "%s: Send %T", when, m)
			res, err := svc.SendMany(ctx, &appmsg.SendRequest{ToUser: []string{"zhangsan", "lisi"}, Message: m}, 0)
			require.NoError(t, err)
			for _, r := range res {
				require.NoError(t, r.Err, "%s: SendMany %T", when, m)
			}
			_, err = n.Notify(ctx, "wangwu", m)
			require.NoError(t, err, "%s: Notify %T", when, m)
		}
		sent, err := svc.Send(ctx, &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: acceptCard("accept-" + when[4:])})
		require.NoError(t, err)
		update := acceptCard("accept-" + when[4:])
		update.HorizontalContentList = []appmsg.CardHorizontalContent{{Type: 2, KeyName: "Contract", Value: "terms.pdf", Upload: terms}}
		_, err = svc.UpdateTemplateCard(ctx, &appmsg.UpdateTemplateCardRequest{UserIDs: []string{"zhangsan"},
			ResponseCode: sent.ResponseCode, TemplateCard: update})
		require.NoError(t, err, "%s: UpdateTemplateCard", when)
		assert.Equal(t, 6*(i+1), srv.Count(pathUpload), "%s: each of the six files uploaded once", when)
	}
	assert.Empty(t, voice.MediaID, "the caller's message is left as it was")
	assert.Empty(t, news.Articles[0].ThumbMediaID)
	assert.Empty(t, card.HorizontalContentList[0].MediaID)
	assert.Len(t, srv.Corp(srv.CorpID).AppMessages().Received("wangwu"), 12)
}

// The fake refuses a media id three days after its upload with WeCom's
// 40007 wherever a message names one; the same content given as a file is
// uploaded again and accepted.
func TestUploads_AFourDayOldMediaIDIsRefusedAFileIsNot(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, svc, clk := onClock(t)
	png := "\x89PNG spring poster"
	raw, err := svc.Client().UploadMedia(ctx, wecom.MediaImage, "poster.png", strings.NewReader(png))
	require.NoError(t, err)
	clk.Advance(4 * day)

	for _, m := range []appmsg.Message{appmsg.Image{MediaID: raw.MediaID},
		appmsg.MpNews{Articles: []appmsg.MpArticle{{Title: "Weekly", ThumbMediaID: raw.MediaID, Content: "<p>week</p>"}}},
		attachmentCard(appmsg.CardHorizontalContent{MediaID: raw.MediaID})} {
		_, err := svc.Send(ctx, &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: m})
		testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	}
	assert.Empty(t, srv.Corp(srv.CorpID).AppMessages().Received("zhangsan"))

	_, err = svc.Send(ctx, &appmsg.SendRequest{ToUser: []string{"zhangsan"},
		Message: appmsg.Image{Upload: wecom.MediaFromBytes("poster.png", []byte(png))}})
	require.NoError(t, err)
	body := testkit.LastBody(t, srv, pathSend)["image"].(map[string]any)
	assert.NotEqual(t, raw.MediaID, body["media_id"])
	assert.Len(t, body, 1, "the file itself is not sent: only media_id")
}

// When WeCom refuses a media id the cache still holds (40007: the
// client's clock is behind WeCom's), the file is uploaded again and the
// message sent once more; the member gets it once.
func TestUploads_ARefusedCachedMediaIDIsUploadedAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	wecomClock := testkit.NewClock(time.Time{})
	ours := testkit.NewClock(wecomClock.Now().Add(-day)) // a day behind
	srv, svc := fakeCorp(t, testkit.WithClock(wecomClock), testkit.WithClientOptions(wecom.WithClock(ours.Now)))
	req := &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: &appmsg.File{Upload: file("price-list.xlsx")}}
	_, err := svc.Send(ctx, req)
	require.NoError(t, err)
	wecomClock.Advance(3 * day)
	ours.Advance(3 * day) // the cache thinks the id has a day left

	_, err = svc.Send(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathUpload))
	assert.Equal(t, 3, srv.Count(pathSend), "the refused send is sent once more")
	assert.Len(t, srv.Corp(srv.CorpID).AppMessages().Received("zhangsan"), 2)
}

// A send that may have reached WeCom is never sent again, files or not;
// WeCom's second 40007 is returned after one more send.
func TestUploads_OnlyARefusalIsSentAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, svc, _ := onClock(t)
	req := &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: appmsg.Image{Upload: file("poster.png")}}

	srv.Fail(pathSend, wecomtest.Fault{Drop: true})
	_, err := svc.Send(ctx, req)
	testkit.WantOutcomeUnknown(t, err)
	assert.Equal(t, 1, srv.Count(pathSend))

	srv.Fail(pathSend, wecomtest.Fault{Errcode: wecom.CodeInvalidMediaID, Times: 2})
	_, err = svc.Send(ctx, req)
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	assert.Equal(t, 3, srv.Count(pathSend))
	assert.Equal(t, 2, srv.Count(pathUpload), "uploaded again after the first refusal")
	assert.Empty(t, srv.Corp(srv.CorpID).AppMessages().Received("zhangsan"))
}

// A file is refused where WeCom takes no media (a card line that is not
// an attachment), and a media message needs its id or its file.
func TestUploads_Checks(t *testing.T) {
	t.Parallel()
	srv, svc, _ := onClock(t)
	card := attachmentCard(appmsg.CardHorizontalContent{Upload: file("terms.pdf")})
	card.HorizontalContentList[0].Type = 1
	card.HorizontalContentList[0].URL = "https://shop.invalid/terms"
	for _, m := range []appmsg.Message{card, appmsg.Image{}, appmsg.Voice{}, appmsg.Video{}, appmsg.File{},
		appmsg.MpNews{Articles: []appmsg.MpArticle{{Title: "t", Content: "c"}}}, attachmentCard(appmsg.CardHorizontalContent{})} {
		_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: m})
		testkit.WantInvalid(t, err, appmsg.ErrInvalidArgument)
	}
	assert.Zero(t, srv.Count(pathSend)+srv.Count(pathUpload))
}
