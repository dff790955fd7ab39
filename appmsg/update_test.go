package appmsg_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func acceptCard(taskID string) *appmsg.TemplateCard {
	return &appmsg.TemplateCard{
		CardType:   appmsg.CardButtonInteraction,
		TaskID:     taskID,
		MainTitle:  &appmsg.CardMainTitle{Title: "A new customer was assigned to you"},
		ButtonList: []appmsg.CardButton{{Text: "Accept", Key: "accept"}, {Text: "Decline", Key: "decline", Style: 2}},
	}
}

// The whole round: a card is sent, the member presses its button, the
// event reaches the callback, the handler updates the card through the
// event's response code once, and a second update with that code is
// refused, by the Service before sending and by WeCom when sent anyway.
func TestCardPressedHandledUpdatedOnceRefusedTwice(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, svc := fakeCorp(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))

	var (
		mu     sync.Mutex
		events []*callback.TemplateCardEvent
	)
	corp := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnTemplateCard(func(ctx context.Context, ev *callback.TemplateCardEvent) error {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
			if ev.EventKey != "accept" {
				return nil
			}
			_, err := svc.UpdateTemplateCard(ctx, &appmsg.UpdateTemplateCardRequest{UserIDs: []string{ev.FromUserName},
				ResponseCode: ev.ResponseCode, IssuedAt: ev.Time(), ReplaceName: "Accepted"})
			return err
		})
	})
	sent, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan", "lisi"}, Message: acceptCard("assign-1")})
	require.NoError(t, err)
	require.NotEmpty(t, sent.ResponseCode, "an interaction card answers a response code")

	press, err := corp.AppMessages().PressButton(t.Context(), "zhangsan", "assign-1", "accept")
	require.NoError(t, err)
	mu.Lock()
	require.Len(t, events, 1)
	ev := events[0]
	mu.Unlock()
	assert.Equal(t, callback.KindTemplateCardEvent, ev.Kind())
	assert.Equal(t, "zhangsan", ev.FromUserName)
	assert.Equal(t, "assign-1", ev.TaskID)
	assert.Equal(t, "button_interaction", ev.CardType)
	assert.Equal(t, "accept", ev.EventKey)
	assert.Equal(t, press.ResponseCode, ev.ResponseCode)
	assert.Equal(t, srv.CorpID, ev.CorpID())

	am := corp.AppMessages()
	got := am.Received("zhangsan")
	require.Len(t, got, 1)
	assert.Equal(t, "Accepted", got[0].ReplacedButton)
	assert.Equal(t, 1, got[0].Updates, "updated once")
	assert.Empty(t, am.Received("lisi")[0].ReplacedButton, "only the member named")
	assert.Equal(t, 1, srv.Count("message/update_template_card"))

	// The same code again: refused before anything is sent.
	_, err = svc.UpdateTemplateCard(t.Context(), &appmsg.UpdateTemplateCardRequest{UserIDs: []string{"zhangsan"},
		ResponseCode: ev.ResponseCode, IssuedAt: ev.Time(), ReplaceName: "Accepted again"})
	require.ErrorIs(t, err, appmsg.ErrResponseCodeUsed)
	testkit.WantInvalid(t, err, appmsg.ErrInvalidArgument)
	assert.Equal(t, 1, srv.Count("message/update_template_card"))

	// A client that has not seen the code used sends it, and WeCom refuses it.
	other := appmsg.New(srv.Client(wecom.WithAgentID(wecomtest.DefaultAgentID)))
	_, err = other.UpdateTemplateCard(t.Context(), &appmsg.UpdateTemplateCardRequest{UserIDs: []string{"zhangsan"},
		ResponseCode: ev.ResponseCode, ReplaceName: "Accepted again"})
	testkit.WantCode(t, err, wecom.CodeInvalidParameter)
	assert.Equal(t, 1, am.Received("zhangsan")[0].Updates)

	// The greyed-out card cannot be pressed again.
	_, err = am.PressButton(t.Context(), "zhangsan", "assign-1", "accept")
	require.ErrorIs(t, err, wecomtest.ErrCardClosed)
}

// Answering the push greys out the pressed button for that member, with
// no response code spent and no API call.
func TestCardPressAnsweredWithThePassiveReply(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	corp := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnTemplateCard(func(ctx context.Context, ev *callback.TemplateCardEvent) error {
			return ev.ReplyButton(ctx, "Declined")
		})
	})
	_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan", "lisi"}, Message: acceptCard("assign-2")})
	require.NoError(t, err)
	press, err := corp.AppMessages().PressButton(t.Context(), "lisi", "assign-2", "decline")
	require.NoError(t, err)
	assert.Equal(t, "Declined", press.ReplacedButton)
	got := corp.AppMessages().Received("lisi")
	assert.Equal(t, "Declined", got[0].ReplacedButton)
	assert.Empty(t, corp.AppMessages().Received("zhangsan")[0].ReplacedButton)
	assert.Zero(t, srv.Count("message/update_template_card"))

	// the press's code is still unspent: it updates the card once
	_, err = svc.UpdateTemplateCard(t.Context(), &appmsg.UpdateTemplateCardRequest{UserIDs: []string{"lisi"},
		ResponseCode: press.ResponseCode, TemplateCard: &appmsg.TemplateCard{CardType: appmsg.CardTextNotice,
			MainTitle: &appmsg.CardMainTitle{Title: "Declined; reassigned"}, CardAction: &appmsg.CardAction{Type: 1, URL: "https://example.com"}}})
	require.NoError(t, err)
	assert.Equal(t, 2, corp.AppMessages().Received("lisi")[0].Updates)
}

// The response code Send answers updates every recipient's card within 72
// hours of the send, and is refused before sending after that.
func TestResponseCodeLivesSeventyTwoHours(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, svc := fakeCorp(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	sent, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan", "lisi"}, Message: acceptCard("assign-3")})
	require.NoError(t, err)
	clk.Advance(72 * time.Hour)
	_, err = svc.UpdateTemplateCard(t.Context(), &appmsg.UpdateTemplateCardRequest{AtAll: true, ResponseCode: sent.ResponseCode, ReplaceName: "Closed"})
	require.ErrorIs(t, err, appmsg.ErrResponseCodeExpired)
	assert.Contains(t, err.Error(), "72 hours")
	assert.Zero(t, srv.Count("message/update_template_card"))

	sent, err = svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan", "lisi"}, Message: acceptCard("assign-4")})
	require.NoError(t, err)
	clk.Advance(71 * time.Hour)
	_, err = svc.UpdateTemplateCard(t.Context(), &appmsg.UpdateTemplateCardRequest{AtAll: true, ResponseCode: sent.ResponseCode, ReplaceName: "Closed"})
	require.NoError(t, err)
	am := srv.Corp(srv.CorpID).AppMessages()
	for _, u := range []string{"zhangsan", "lisi"} {
		got := am.Received(u)
		assert.Equal(t, "Closed", got[len(got)-1].ReplacedButton, u)
	}
}

// A code WeCom refused with an errcode is given back: it was not spent.
func TestRefusedUpdateGivesTheCodeBack(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	sent, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: acceptCard("assign-5")})
	require.NoError(t, err)
	srv.Fail("/cgi-bin/message/update_template_card", wecomtest.Fault{Errcode: wecom.CodeNoContactPrivilege})
	req := &appmsg.UpdateTemplateCardRequest{UserIDs: []string{"zhangsan"}, ResponseCode: sent.ResponseCode, ReplaceName: "Done"}
	_, err = svc.UpdateTemplateCard(t.Context(), req)
	testkit.WantCode(t, err, wecom.CodeNoContactPrivilege)
	_, err = svc.UpdateTemplateCard(t.Context(), req)
	require.NoError(t, err)
}

// A pick from a card's top-right menu comes as template_card_menu_event.
func TestCardMenuPick(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	picked := make(chan *callback.TemplateCardEvent, 1)
	corp := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnTemplateCardMenu(func(_ context.Context, ev *callback.TemplateCardEvent) error {
			picked <- ev
			return nil
		})
	})
	card := &appmsg.TemplateCard{CardType: appmsg.CardTextNotice, TaskID: "report-1",
		MainTitle:  &appmsg.CardMainTitle{Title: "Weekly report: store 2"},
		ActionMenu: &appmsg.CardActionMenu{Desc: "Reports", ActionList: []appmsg.CardMenuAction{{Text: "Stop these", Key: "unsubscribe"}}},
		CardAction: &appmsg.CardAction{Type: 1, URL: "https://example.com/r/2"}}
	_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToParty: []int{2}, Message: card})
	require.NoError(t, err)
	press, err := corp.AppMessages().PressButton(t.Context(), "lisi", "report-1", "unsubscribe")
	require.NoError(t, err)
	assert.True(t, press.Menu)
	ev := <-picked
	assert.Equal(t, callback.KindTemplateCardMenuEvent, ev.Kind())
	assert.Equal(t, "unsubscribe", ev.EventKey)
	assert.Equal(t, "text_notice", ev.CardType)
}

// A vote comes back with the options chosen.
func TestCardVoteComesBackWithTheChoices(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	voted := make(chan *callback.TemplateCardEvent, 1)
	corp := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnTemplateCard(func(_ context.Context, ev *callback.TemplateCardEvent) error {
			voted <- ev
			return nil
		})
	})
	card := &appmsg.TemplateCard{CardType: appmsg.CardVoteInteraction, TaskID: "vote-1",
		MainTitle:    &appmsg.CardMainTitle{Title: "Which follow-up?"},
		Checkbox:     &appmsg.CardCheckbox{QuestionKey: "q", Mode: 1, OptionList: []appmsg.CardCheckOption{{ID: "call", Text: "Call"}, {ID: "visit", Text: "Visit"}}},
		SubmitButton: &appmsg.CardSubmitButton{Text: "Submit", Key: "submit"}}
	_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: card})
	require.NoError(t, err)
	_, err = corp.AppMessages().PressButton(t.Context(), "zhangsan", "vote-1", "submit",
		wecomtest.CardChoice{QuestionKey: "q", OptionIDs: []string{"call", "visit"}})
	require.NoError(t, err)
	ev := <-voted
	assert.Equal(t, []callback.SelectedItem{{QuestionKey: "q", OptionIDs: []string{"call", "visit"}}}, ev.SelectedItems)
}
