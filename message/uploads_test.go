package message_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	pathUpload       = "/cgi-bin/media/upload"
	pathUploadAttach = "/cgi-bin/media/upload_attachment"
	day              = 24 * time.Hour
)

// onClock is a fake WeCom and a Service that share clk: uploads are dated,
// and expire, on it.
func onClock(t testing.TB, clk *testkit.Clock) (*wecomtest.Server, *message.Service) {
	t.Helper()
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)),
		testkit.WithStaff("zhangsan"))
	testkit.Seed(t, srv, 1, "zhangsan")
	return srv, message.New(c)
}

// welcomeEvent is a new customer of userID with a fresh welcome code, at
// clk's time.
func welcomeEvent(t testing.TB, srv *wecomtest.Server, clk *testkit.Clock, userID string) *callback.ExternalContactEvent {
	t.Helper()
	ext := testkit.Seed(t, srv, 1, userID)[0]
	ev := &callback.ExternalContactEvent{UserID: userID, ExternalUserID: ext,
		WelcomeCode: srv.Corp(srv.CorpID).Messages().IssueWelcomeCode(userID, ext)}
	ev.ChangeType = callback.ChangeAddExternalContact
	ev.CreateTime = wecom.UnixTime(clk.Now().Unix())
	return ev
}

// sentCover is the pic_media_id of the mini-program card of the last
// welcome sent.
func sentCover(t testing.TB, srv *wecomtest.Server) string {
	t.Helper()
	body := testkit.LastBody(t, srv, pathSendWelcome)
	atts, _ := body["attachments"].([]any)
	require.Len(t, atts, 1)
	mp, _ := atts[0].(map[string]any)["miniprogram"].(map[string]any)
	id, _ := mp["pic_media_id"].(string)
	require.NotEmpty(t, id)
	return id
}

var card = message.MiniProgram{Title: "Spring sale", AppID: "wx8bd80126147dfAAA", Page: "/pages/sale.html"}

func cover() *wecom.MediaSource {
	return wecom.MediaFromBytes("cover.png", []byte("\x89PNG spring cover"))
}

// A welcome rule set at start-up with a mini-program card whose cover is a
// file greets on day 1 and on day 4: the cover is uploaded once at
// start-up and once more when its media id is about to expire.
func TestWelcomes_MiniProgramCoverOutlivesItsMediaID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Time{})
	srv, svc := onClock(t, clk)
	mp := card
	mp.PicUpload = cover()
	w, err := message.NewWelcomes(svc, message.WelcomeRules{Default: &message.Welcome{
		Text: "Welcome!", Attachments: []message.Attachment{message.MiniProgramAttachment(mp)}}})
	require.NoError(t, err)
	require.NoError(t, w.Prepare(ctx))
	require.Equal(t, 1, srv.Count(pathUpload))

	res := w.Send(ctx, welcomeEvent(t, srv, clk, "zhangsan"))
	require.Equal(t, message.WelcomeSent, res.Outcome, "day 1: %v", res.Err)
	first := sentCover(t, srv)

	clk.Advance(3 * day) // day 4: the first upload has expired
	res = w.Send(ctx, welcomeEvent(t, srv, clk, "zhangsan"))
	require.Equal(t, message.WelcomeSent, res.Outcome, "day 4: %v", res.Err)
	assert.NotEqual(t, first, sentCover(t, srv), "day 4 sent the expired cover")
	assert.Equal(t, 2, srv.Count(pathUpload), "the cover is uploaded again once")
	assert.Len(t, srv.Corp(srv.CorpID).Messages().WelcomesSent(), 2)
}

// The fake refuses a media id three days after its upload with WeCom's
// 40007, everywhere a temporary media id is taken; the same content given
// as a file is uploaded again and accepted.
func TestUploads_AFourDayOldMediaIDIsRefusedAFileIsNot(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Time{})
	srv, svc := onClock(t, clk)
	c := svc.Client()
	raw, err := c.UploadMedia(ctx, wecom.MediaImage, "cover.png", strings.NewReader("\x89PNG spring cover"))
	require.NoError(t, err)
	moment, err := c.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, "look.jpg", strings.NewReader("jpeg of the look"))
	require.NoError(t, err)
	clk.Advance(4 * day)

	rawCard := card
	rawCard.PicMediaID = raw.MediaID
	err = svc.SendWelcomeMsg(ctx, &message.SendWelcomeMsgRequest{WelcomeCode: welcomeEvent(t, srv, clk, "zhangsan").WelcomeCode,
		Attachments: []message.Attachment{message.MiniProgramAttachment(rawCard)}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	_, err = svc.AddMsgTemplate(ctx, &message.AddMsgTemplateRequest{Sender: "zhangsan",
		Attachments: []message.Attachment{message.ImageAttachment(raw.MediaID)}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	_, err = svc.AddGroupWelcomeTemplate(ctx, &message.AddGroupWelcomeTemplateRequest{
		GroupWelcomeTemplate: message.GroupWelcomeTemplate{Image: &message.Image{MediaID: raw.MediaID}}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)
	_, err = svc.AddMomentTask(ctx, &message.AddMomentTaskRequest{
		Attachments: []message.MomentAttachment{{MsgType: message.MsgImage, Image: &message.MomentMedia{MediaID: moment.MediaID}}}})
	testkit.WantCode(t, err, wecom.CodeInvalidMediaID)

	fileCard := card
	fileCard.PicUpload = cover()
	require.NoError(t, svc.SendWelcomeMsg(ctx, &message.SendWelcomeMsgRequest{WelcomeCode: welcomeEvent(t, srv, clk, "zhangsan").WelcomeCode,
		Attachments: []message.Attachment{message.MiniProgramAttachment(fileCard)}}))
	assert.NotEqual(t, raw.MediaID, sentCover(t, srv))
}

// Mass sends, group welcome templates and Moments posts built once with
// files keep working after the media ids have expired: each call on day 4
// uploads the files again, once.
func TestUploads_RequestsBuiltOnceWorkOnDayFour(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Time{})
	srv, svc := onClock(t, clk)
	poster := wecom.MediaFromBytes("poster.png", []byte("\x89PNG poster of the sale"))
	mp := card
	mp.PicUpload = cover()
	mass := &message.AddMsgTemplateRequest{Sender: "zhangsan", Text: text("Sale!"),
		Attachments: []message.Attachment{message.ImageUpload(poster), message.MiniProgramAttachment(mp),
			message.FileUpload(wecom.MediaFromBytes("terms.pdf", []byte("%PDF terms of the sale")))}}
	tmpl := message.GroupWelcomeTemplate{Text: text("Hi %NICKNAME%"), Image: &message.Image{Upload: poster}}
	post := &message.AddMomentTaskRequest{Text: text("New collection"),
		Attachments: []message.MomentAttachment{message.MomentImageUpload(wecom.MediaFromBytes("look.jpg", []byte("jpeg of the look")))}}

	for i, when := range []string{"day 1", "day 4"} {
		if i == 1 {
			clk.Advance(3 * day)
		}
		_, err := svc.AddMsgTemplate(ctx, mass)
		require.NoError(t, err, when)
		id, err := svc.AddGroupWelcomeTemplate(ctx, &message.AddGroupWelcomeTemplateRequest{GroupWelcomeTemplate: tmpl})
		require.NoError(t, err, when)
		require.NoError(t, svc.EditGroupWelcomeTemplate(ctx, &message.EditGroupWelcomeTemplateRequest{TemplateID: id, GroupWelcomeTemplate: tmpl}), when)
		_, err = svc.AddMomentTask(ctx, post)
		require.NoError(t, err, when)
		assert.Equal(t, 3*(i+1), srv.Count(pathUpload), "%s: poster, cover and terms uploaded once each", when)
		assert.Equal(t, i+1, srv.Count(pathUploadAttach), "%s: the Moments image uploaded once", when)
	}
	assert.Empty(t, mass.Attachments[0].Image.MediaID, "the caller's request is left as it was")
	assert.Empty(t, tmpl.Image.MediaID, "the caller's template is left as it was")
	assert.Empty(t, post.Attachments[0].Image.MediaID, "the caller's post is left as it was")
}

// When WeCom refuses a media id the cache still holds (40007: the
// client's clock is behind WeCom's, say), the files are uploaded again and
// the request sent once more.
func TestUploads_ARefusedCachedMediaIDIsUploadedAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	wecomClock := testkit.NewClock(time.Time{})
	ours := testkit.NewClock(wecomClock.Now().Add(-day)) // a day behind
	srv, c := testkit.Setup(t, testkit.WithClock(wecomClock), testkit.WithClientOptions(wecom.WithClock(ours.Now)),
		testkit.WithStaff("zhangsan"))
	testkit.Seed(t, srv, 1, "zhangsan")
	svc := message.New(c)
	req := &message.AddMsgTemplateRequest{Sender: "zhangsan", Attachments: []message.Attachment{message.ImageUpload(cover())}}
	_, err := svc.AddMsgTemplate(ctx, req)
	require.NoError(t, err)
	wecomClock.Advance(3 * day)
	ours.Advance(3 * day) // the cache thinks the id has a day left

	_, err = svc.AddMsgTemplate(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(pathUpload))
	assert.Equal(t, 3, srv.Count("/cgi-bin/externalcontact/add_msg_template"), "the refused create is sent once more")
}

// Rules replaced at runtime take effect for the next event, whole, while
// welcomes are being sent: each welcome carries one rule set's text and
// card, never a mix.
func TestWelcomes_SetRulesWhileWelcoming(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	svc := message.New(c)
	rule := func(name string) message.WelcomeRules {
		return message.WelcomeRules{Default: &message.Welcome{Text: "rules " + name,
			Attachments: []message.Attachment{message.LinkAttachment(message.LinkCard{Title: "card " + name, URL: "https://shop.invalid/" + name})}}}
	}
	w, err := message.NewWelcomes(svc, rule("A"))
	require.NoError(t, err)
	require.Equal(t, message.WelcomeSent, w.Send(ctx, event(t, srv, "zhangsan")).Outcome)
	require.NoError(t, w.SetRules(rule("B")))
	require.Equal(t, message.WelcomeSent, w.Send(ctx, event(t, srv, "zhangsan")).Outcome)
	assert.Equal(t, "rules B", testkit.LastBody(t, srv, pathSendWelcome)["text"].(map[string]any)["content"], "the next event uses the new rules")

	err = w.SetRules(message.WelcomeRules{Default: &message.Welcome{}})
	testkit.WantInvalid(t, err, message.ErrInvalidArgument)
	require.Equal(t, message.WelcomeSent, w.Send(ctx, event(t, srv, "zhangsan")).Outcome)
	assert.Equal(t, "rules B", testkit.LastBody(t, srv, pathSendWelcome)["text"].(map[string]any)["content"], "refused rules change nothing")

	events := make([]*callback.ExternalContactEvent, 40)
	for i := range events {
		events[i] = event(t, srv, "zhangsan")
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			assert.NoError(t, w.SetRules(rule(fmt.Sprint(i%2))))
		}
	})
	for _, ev := range events {
		wg.Go(func() { assert.Equal(t, message.WelcomeSent, w.Send(context.WithoutCancel(ctx), ev).Outcome) })
	}
	wg.Wait()
	for _, r := range srv.Requests() {
		if r.Path != pathSendWelcome {
			continue
		}
		var body struct {
			Text        struct{ Content string }
			Attachments []struct{ Link struct{ Title string } }
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		require.Len(t, body.Attachments, 1)
		assert.Equal(t, "rules "+body.Attachments[0].Link.Title[len("card "):], body.Text.Content, "a welcome mixed two rule sets")
	}
}
