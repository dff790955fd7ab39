package callback_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The official sample of a template_card_event (90240), with the selected
// items of a vote.
const templateCardSample = `<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>123456789</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[template_card_event]]></Event>
<EventKey><![CDATA[key111]]></EventKey>
<TaskId><![CDATA[taskid111]]></TaskId>
<CardType><![CDATA[text_notice]]></CardType>
<ResponseCode><![CDATA[ResponseCode]]></ResponseCode>
<AgentID>1</AgentID>
<SelectedItems>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey1]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId1]]></OptionId>
            <OptionId><![CDATA[OptionId2]]></OptionId>
        </OptionIds>
    </SelectedItem>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey2]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId3]]></OptionId>
        </OptionIds>
    </SelectedItem>
</SelectedItems>
</xml>`

func TestParseTemplateCardEvent(t *testing.T) {
	t.Parallel()
	ev := parse[*callback.TemplateCardEvent](t, templateCardSample)
	assert.Equal(t, callback.KindTemplateCardEvent, ev.Kind())
	assert.Equal(t, "FromUser", ev.FromUserName)
	assert.Equal(t, "toUser", ev.CorpID())
	assert.Equal(t, "1", ev.AgentID)
	assert.Equal(t, wecom.UnixTime(123456789), ev.CreateTime)
	assert.Equal(t, "key111", ev.EventKey)
	assert.Equal(t, "taskid111", ev.TaskID)
	assert.Equal(t, "text_notice", ev.CardType)
	assert.Equal(t, "ResponseCode", ev.ResponseCode)
	assert.Equal(t, []callback.SelectedItem{
		{QuestionKey: "QuestionKey1", OptionIDs: []string{"OptionId1", "OptionId2"}},
		{QuestionKey: "QuestionKey2", OptionIDs: []string{"OptionId3"}},
	}, ev.SelectedItems)

	menu := parse[*callback.TemplateCardEvent](t, string(wecomtest.CardEventXML(wecomtest.CardEvent{CorpID: corpID, UserID: "zhangsan",
		AgentID: 1000002, Menu: true, TaskID: "t", CardType: "news_notice", EventKey: "mute", ResponseCode: "rc", At: time.Unix(1700000000, 0)})))
	assert.Equal(t, callback.KindTemplateCardMenuEvent, menu.Kind())
	assert.Equal(t, "mute", menu.EventKey)
	assert.Empty(t, menu.SelectedItems)
}

// UpdateButtonReply is the update_button reply to the member who pressed,
// from the corp, with CDATA that survives any text.
func TestUpdateButtonReply(t *testing.T) {
	t.Parallel()
	ev := parse[*callback.TemplateCardEvent](t, templateCardSample)
	assert.Equal(t, `<xml><ToUserName><![CDATA[FromUser]]></ToUserName><FromUserName><![CDATA[toUser]]></FromUserName>`+
		`<CreateTime>123456789</CreateTime><MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已处理]]></ReplaceName>`+
		`</Button></xml>`, string(ev.UpdateButtonReply("已处理")))
	assert.Contains(t, string(ev.UpdateButtonReply("a]]>b")), "<![CDATA[a]]]]><![CDATA[>b]]>")

	require.ErrorIs(t, ev.ReplyButton(context.Background(), "x"), callback.ErrNoPassiveReply)
}

// A handler's ReplyButton becomes the answer to the push, encrypted for
// the corp; without it the answer is "success"; when a handler fails the
// answer is 500 and carries no reply.
func TestHandlerAnswersWithThePassiveReply(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID))
	h.OnTemplateCard(func(ctx context.Context, ev *callback.TemplateCardEvent) error {
		switch ev.EventKey {
		case "reply":
			return ev.ReplyButton(ctx, "Done")
		case "fail":
			if err := ev.ReplyButton(ctx, "never sent"); err != nil {
				return err
			}
			return errors.New("boom")
		}
		return nil
	})
	_, p := serve(t, h, corpID)
	push := func(key string) (*wecomtest.PushResult, error) {
		return p.Push(context.Background(), wecomtest.CardEventXML(wecomtest.CardEvent{CorpID: corpID, UserID: "zhangsan",
			AgentID: 1000002, TaskID: "t-" + key, CardType: "button_interaction", EventKey: key, ResponseCode: "rc", At: time.Unix(1700000000, 0)}))
	}

	res, err := push("reply")
	require.NoError(t, err)
	plain, err := p.OpenReply(res.Body())
	require.NoError(t, err, "the reply decrypts with the corp as receiver: %q", res.Body())
	assert.Contains(t, string(plain), "<MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[Done]]></ReplaceName></Button>")
	assert.Contains(t, string(plain), "<ToUserName><![CDATA[zhangsan]]></ToUserName>")

	res, err = push("plain")
	require.NoError(t, err)
	assert.Equal(t, "success", res.Body())

	p.Attempts = 1
	res, _ = push("fail")
	assert.Equal(t, http.StatusInternalServerError, res.Status())
	assert.NotContains(t, res.Body(), "<xml>")
}

// With workers, the push is answered before it is handled: no reply can
// ride on the answer, and ReplyButton says so.
func TestReplyButtonWithWorkers(t *testing.T) {
	t.Parallel()
	h := newHandler(t, callback.WithReceiverID(corpID), callback.WithWorkers(1, 4))
	errs := make(chan error, 1)
	h.OnTemplateCard(func(ctx context.Context, ev *callback.TemplateCardEvent) error {
		errs <- ev.ReplyButton(ctx, "Done")
		return nil
	})
	_, p := serve(t, h, corpID)
	res, err := p.Push(context.Background(), []byte(templateCardSample))
	require.NoError(t, err)
	assert.Equal(t, "success", res.Body())
	require.ErrorIs(t, <-errs, callback.ErrNoPassiveReply)
}
