package appmsg_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/testkit"
)

// Input WeCom would refuse, or cut, is refused before anything is sent,
// with an error that says what to change.
func TestSendRefusesBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	to := []string{"zhangsan"}
	many := make([]string, appmsg.MaxUsers+1)
	for i := range many {
		many[i] = "u" + itoa(i)
	}
	nineArticles := make([]appmsg.Article, 9)
	for i := range nineArticles {
		nineArticles[i] = appmsg.Article{Title: "t", URL: "https://example.com"}
	}
	cases := []struct {
		name string
		req  *appmsg.SendRequest
		want string
	}{
		{"nil request", nil, "request is nil"},
		{"no message", &appmsg.SendRequest{ToUser: to}, "Message is required"},
		{"nil message", &appmsg.SendRequest{ToUser: to, Message: (*appmsg.Markdown)(nil)}, "Message is required"},
		{"no recipient", &appmsg.SendRequest{Message: appmsg.Text{Content: "x"}}, "no recipient"},
		{"all and users", &appmsg.SendRequest{ToAll: true, ToUser: to, Message: appmsg.Text{Content: "x"}}, "leave ToUser, ToParty and ToTag empty"},
		{"@all as a user", &appmsg.SendRequest{ToUser: []string{"@all"}, Message: appmsg.Text{Content: "x"}}, "use ToAll"},
		{"too many users", &appmsg.SendRequest{ToUser: many, Message: appmsg.Text{Content: "x"}}, "ToUser has 1001 items; WeCom allows at most 1000"},
		{"text too long", &appmsg.SendRequest{ToUser: to, Message: appmsg.Text{Content: strings.Repeat("字", 700)}}, "Text.Content is 2100 bytes long; WeCom allows at most 2048"},
		{"empty markdown", &appmsg.SendRequest{ToUser: to, Message: appmsg.Markdown{}}, "Markdown.Content is required"},
		{"nine articles", &appmsg.SendRequest{ToUser: to, Message: appmsg.News{Articles: nineArticles}}, "News has 9 articles; WeCom takes 1 to 8"},
		{"article without link", &appmsg.SendRequest{ToUser: to, Message: appmsg.News{Articles: []appmsg.Article{{Title: "t"}}}}, "give a URL or a mini program page"},
		{"button text", &appmsg.SendRequest{ToUser: to, Message: appmsg.TextCard{Title: "t", Description: "d", URL: "https://e", BtnTxt: "查看详情吧"}}, "TextCard.BtnTxt is 5 characters long; WeCom allows at most 4"},
		{"notice title", &appmsg.SendRequest{ToUser: to, Message: appmsg.MiniProgramNotice{AppID: "wx", Title: "短"}}, "MiniProgramNotice.Title is 1 characters long; WeCom takes 4 to 12"},
		{"card without type", &appmsg.SendRequest{ToUser: to, Message: &appmsg.TemplateCard{}}, "TemplateCard.CardType is required"},
		{"card without task", &appmsg.SendRequest{ToUser: to, Message: &appmsg.TemplateCard{CardType: appmsg.CardButtonInteraction,
			ButtonList: []appmsg.CardButton{{Text: "OK", Key: "ok"}}}}, "TemplateCard.TaskID is required"},
		{"task id characters", &appmsg.SendRequest{ToUser: to, Message: &appmsg.TemplateCard{CardType: appmsg.CardButtonInteraction, TaskID: "任务 1",
			ButtonList: []appmsg.CardButton{{Text: "OK", Key: "ok"}}}}, "WeCom takes letters, digits and _-@ only"},
		{"seven buttons", &appmsg.SendRequest{ToUser: to, Message: &appmsg.TemplateCard{CardType: appmsg.CardButtonInteraction, TaskID: "t",
			ButtonList: make([]appmsg.CardButton, 7)}}, "TemplateCard.ButtonList has 7 items; WeCom allows at most 6"},
		{"notice without action", &appmsg.SendRequest{ToUser: to, Message: &appmsg.TemplateCard{CardType: appmsg.CardTextNotice,
			MainTitle: &appmsg.CardMainTitle{Title: "t"}}}, "needs a CardAction"},
		{"vote without submit", &appmsg.SendRequest{ToUser: to, Message: &appmsg.TemplateCard{CardType: appmsg.CardVoteInteraction, TaskID: "t",
			Checkbox: &appmsg.CardCheckbox{QuestionKey: "q", OptionList: []appmsg.CardCheckOption{{ID: "a", Text: "A"}}}}}, "needs a SubmitButton"},
		{"safe internal", &appmsg.SendRequest{ToUser: to, Safe: appmsg.SafeInternal, Message: appmsg.Text{Content: "x"}}, "mpnews messages only"},
		{"dup interval", &appmsg.SendRequest{ToUser: to, EnableDuplicateCheck: true, DuplicateCheckInterval: 5 * time.Hour,
			Message: appmsg.Text{Content: "x"}}, "WeCom takes up to 4h0m0s"},
		{"tickets", &appmsg.SendRequest{ToUser: to, SelectedTicketList: []string{"t"}, Message: appmsg.Text{Content: "x"}}, "template_msg messages only"},
		{"template msg items", &appmsg.SendRequest{ToUser: to, Message: appmsg.TemplateMsg{TemplateID: "t", URL: "https://e"}}, "WeCom takes 1 to 5"},
	}
	for _, tc := range cases {
		_, err := svc.Send(t.Context(), tc.req)
		testkit.WantInvalid(t, err, appmsg.ErrInvalidArgument)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.True(t, strings.HasPrefix(err.Error(), "appmsg: "), tc.name)
	}
	assert.Zero(t, srv.Count("message/send"))
}

// A field holding an id-translation placeholder is not held to a
// character limit: WeCom counts it after translation.
func TestCharacterLimitsSkipPlaceholders(t *testing.T) {
	t.Parallel()
	_, svc := fakeCorp(t)
	_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, EnableIDTrans: true,
		Message: appmsg.MiniProgramNotice{AppID: "wx", Title: appmsg.UserName("zhangsan") + "的客户已分配"}})
	require.NoError(t, err)
	assert.Equal(t, "$userName=zhangsan$", appmsg.UserName("zhangsan"))
	assert.Equal(t, "$departmentName=12$", appmsg.DepartmentName(12))
}

func TestUpdateTemplateCardRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, svc := fakeCorp(t)
	cases := []struct {
		req  *appmsg.UpdateTemplateCardRequest
		want string
	}{
		{nil, "request is nil"},
		{&appmsg.UpdateTemplateCardRequest{AtAll: true, ReplaceName: "x"}, "ResponseCode is required"},
		{&appmsg.UpdateTemplateCardRequest{ResponseCode: "rc", ReplaceName: "x"}, "name whose cards to update"},
		{&appmsg.UpdateTemplateCardRequest{ResponseCode: "rc", AtAll: true}, "give exactly one of ReplaceName"},
		{&appmsg.UpdateTemplateCardRequest{ResponseCode: "rc", AtAll: true, ReplaceName: "x", TemplateCard: &appmsg.TemplateCard{}}, "give exactly one of ReplaceName"},
		{&appmsg.UpdateTemplateCardRequest{ResponseCode: "rc", AtAll: true, TemplateCard: &appmsg.TemplateCard{CardType: "poster"}}, `CardType "poster"`},
	}
	for _, tc := range cases {
		_, err := svc.UpdateTemplateCard(t.Context(), tc.req)
		testkit.WantInvalid(t, err, appmsg.ErrInvalidArgument)
		assert.Contains(t, err.Error(), tc.want)
	}
	assert.Zero(t, srv.Count("message/update_template_card"))
}
