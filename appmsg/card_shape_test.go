package appmsg_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/shapetest"
)

// Every card type has the fields WeCom names, under WeCom's names.
func TestTemplateCardShapeEveryCardType(t *testing.T) {
	t.Parallel()
	cards := map[string]struct {
		card *appmsg.TemplateCard
		json string
	}{
		"text_notice": {&appmsg.TemplateCard{CardType: appmsg.CardTextNotice,
			Source:          &appmsg.CardSource{IconURL: "https://i", Desc: "CRM", DescColor: 1},
			ActionMenu:      &appmsg.CardActionMenu{Desc: "more", ActionList: []appmsg.CardMenuAction{{Text: "Mute", Key: "mute"}}},
			TaskID:          "t1",
			MainTitle:       &appmsg.CardMainTitle{Title: "T"},
			QuoteArea:       &appmsg.CardQuoteArea{Type: 1, URL: "https://q", Title: "Q", QuoteText: "quote"},
			EmphasisContent: &appmsg.CardEmphasisContent{Title: "100", Desc: "customers"},
			SubTitleText:    "sub",
			HorizontalContentList: []appmsg.CardHorizontalContent{{KeyName: "Owner", Value: "zhangsan", Type: 3, UserID: "zhangsan"},
				{KeyName: "File", Value: "a.pdf", Type: 2, MediaID: "M"}},
			JumpList:   []appmsg.CardJump{{Type: 2, Title: "Open", AppID: "wx1", PagePath: "/p"}},
			CardAction: &appmsg.CardAction{Type: 1, URL: "https://c"}},
			`{"card_type":"text_notice","source":{"icon_url":"https://i","desc":"CRM","desc_color":1},"action_menu":{"desc":"more",` +
				`"action_list":[{"text":"Mute","key":"mute"}]},"task_id":"t1","main_title":{"title":"T"},"quote_area":{"type":1,` +
				`"url":"https://q","title":"Q","quote_text":"quote"},"emphasis_content":{"title":"100","desc":"customers"},` +
				`"sub_title_text":"sub","horizontal_content_list":[{"type":3,"keyname":"Owner","value":"zhangsan","userid":"zhangsan"},` +
				`{"type":2,"keyname":"File","value":"a.pdf","media_id":"M"}],"jump_list":[{"type":2,"title":"Open","appid":"wx1",` +
				`"pagepath":"/p"}],"card_action":{"type":1,"url":"https://c"}}`},
		"news_notice": {&appmsg.TemplateCard{CardType: appmsg.CardNewsNotice,
			MainTitle:           &appmsg.CardMainTitle{Title: "T"},
			CardImage:           &appmsg.CardImage{URL: "https://img", AspectRatio: 2.0},
			ImageTextArea:       &appmsg.CardImageTextArea{Type: 1, URL: "https://u", Title: "IT", Desc: "d", ImageURL: "https://i2"},
			VerticalContentList: []appmsg.CardVerticalContent{{Title: "V", Desc: "vd"}},
			CardAction:          &appmsg.CardAction{Type: 2, AppID: "wx1", PagePath: "/p"}},
			`{"card_type":"news_notice","main_title":{"title":"T"},"card_action":{"type":2,"appid":"wx1","pagepath":"/p"},` +
				`"image_text_area":{"type":1,"url":"https://u","title":"IT","desc":"d","image_url":"https://i2"},` +
				`"card_image":{"url":"https://img","aspect_ratio":2},"vertical_content_list":[{"title":"V","desc":"vd"}]}`},
		"button_interaction": {&appmsg.TemplateCard{CardType: appmsg.CardButtonInteraction, TaskID: "t2",
			MainTitle:       &appmsg.CardMainTitle{Title: "T"},
			ButtonSelection: &appmsg.CardSelect{QuestionKey: "q", Title: "Pick", SelectedID: "a", OptionList: []appmsg.CardOption{{ID: "a", Text: "A"}}},
			ButtonList:      []appmsg.CardButton{{Text: "OK", Key: "ok"}}},
			`{"card_type":"button_interaction","task_id":"t2","main_title":{"title":"T"},"button_selection":{"question_key":"q",` +
				`"title":"Pick","selected_id":"a","option_list":[{"id":"a","text":"A"}]},"button_list":[{"text":"OK","key":"ok"}]}`},
		"vote_interaction": {&appmsg.TemplateCard{CardType: appmsg.CardVoteInteraction, TaskID: "t3",
			MainTitle:    &appmsg.CardMainTitle{Title: "T"},
			Checkbox:     &appmsg.CardCheckbox{QuestionKey: "q", Mode: 1, OptionList: []appmsg.CardCheckOption{{ID: "a", Text: "A", IsChecked: true}, {ID: "b", Text: "B"}}},
			SubmitButton: &appmsg.CardSubmitButton{Text: "Vote", Key: "submit"}},
			`{"card_type":"vote_interaction","task_id":"t3","main_title":{"title":"T"},"checkbox":{"question_key":"q","mode":1,` +
				`"option_list":[{"id":"a","text":"A","is_checked":true},{"id":"b","text":"B"}]},"submit_button":{"text":"Vote","key":"submit"}}`},
		"multiple_interaction": {&appmsg.TemplateCard{CardType: appmsg.CardMultipleInteraction, TaskID: "t4",
			MainTitle:    &appmsg.CardMainTitle{Title: "T"},
			SelectList:   []appmsg.CardSelect{{QuestionKey: "q1", OptionList: []appmsg.CardOption{{ID: "a", Text: "A"}}}, {QuestionKey: "q2", OptionList: []appmsg.CardOption{{ID: "b", Text: "B"}}}},
			SubmitButton: &appmsg.CardSubmitButton{Key: "submit"}},
			`{"card_type":"multiple_interaction","task_id":"t4","main_title":{"title":"T"},"select_list":[{"question_key":"q1",` +
				`"option_list":[{"id":"a","text":"A"}]},{"question_key":"q2","option_list":[{"id":"b","text":"B"}]}],"submit_button":{"key":"submit"}}`},
	}
	for name, tc := range cards {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			svc, m := shapeService(t)
			m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/send",
				Body: `{"touser":"zhangsan","msgtype":"template_card","agentid":1000002,"template_card":` + tc.json + `}`},
				`{"errcode":0,"errmsg":"ok","msgid":"M"}`)
			_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, Message: tc.card})
			require.NoError(t, err)
		})
	}
}
