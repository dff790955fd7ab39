package appmsg_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

const agentID = 1000002

func shapeService(t *testing.T) (*appmsg.Service, *shapetest.Mock) {
	t.Helper()
	c, m := shapetest.New(t, wecom.WithAgentID(agentID))
	return appmsg.New(c), m
}

// Every message type goes out under its msgtype, with the recipients
// joined by '|' and the client's agent id.
func TestSendShapeEveryMessageType(t *testing.T) {
	t.Parallel()
	card := &appmsg.TemplateCard{
		CardType:  appmsg.CardButtonInteraction,
		TaskID:    "task-1",
		MainTitle: &appmsg.CardMainTitle{Title: "New customer", Desc: "assigned to you"},
		ButtonList: []appmsg.CardButton{
			{Text: "Accept", Style: 1, Key: "accept"},
			{Text: "Open", Type: 1, URL: "https://example.com/c/1"},
		},
	}
	cases := []struct {
		name string
		msg  appmsg.Message
		body string // the message object
	}{
		{"text", &appmsg.Text{Content: "hello"}, `{"content":"hello"}`},
		{"image", appmsg.Image{MediaID: "MEDIA"}, `{"media_id":"MEDIA"}`},
		{"voice", &appmsg.Voice{MediaID: "MEDIA"}, `{"media_id":"MEDIA"}`},
		{"video", &appmsg.Video{MediaID: "MEDIA", Title: "T", Description: "D"}, `{"media_id":"MEDIA","title":"T","description":"D"}`},
		{"file", &appmsg.File{MediaID: "MEDIA"}, `{"media_id":"MEDIA"}`},
		{"textcard", &appmsg.TextCard{Title: "T", Description: "D", URL: "https://example.com", BtnTxt: "更多"},
			`{"title":"T","description":"D","url":"https://example.com","btntxt":"更多"}`},
		{"news", &appmsg.News{Articles: []appmsg.Article{{Title: "T", URL: "https://example.com", PicURL: "https://example.com/p.png"}}},
			`{"articles":[{"title":"T","url":"https://example.com","picurl":"https://example.com/p.png"}]}`},
		{"mpnews", &appmsg.MpNews{Articles: []appmsg.MpArticle{{Title: "T", ThumbMediaID: "THUMB", Content: "<p>c</p>", Digest: "d"}}},
			`{"articles":[{"title":"T","thumb_media_id":"THUMB","content":"<p>c</p>","digest":"d"}]}`},
		{"markdown", &appmsg.Markdown{Content: "**bold**"}, `{"content":"**bold**"}`},
		{"miniprogram_notice", &appmsg.MiniProgramNotice{AppID: "wx123", Page: "pages/index", Title: "会议室预订成功",
			Description: "4月27日 16:16", EmphasisFirstItem: true, ContentItem: []appmsg.NoticeItem{{Key: "会议室", Value: "402"}}},
			`{"appid":"wx123","page":"pages/index","title":"会议室预订成功","description":"4月27日 16:16","emphasis_first_item":true,"content_item":[{"key":"会议室","value":"402"}]}`},
		{"template_card", card,
			`{"card_type":"button_interaction","task_id":"task-1","main_title":{"title":"New customer","desc":"assigned to you"},` +
				`"button_list":[{"text":"Accept","style":1,"key":"accept"},{"type":1,"text":"Open","url":"https://example.com/c/1"}]}`},
		{"template_msg", &appmsg.TemplateMsg{TemplateID: "tpl", URL: "https://example.com", ContentItem: []appmsg.TemplateMsgItem{{Key: "会议室", Value: "402"}}},
			`{"template_id":"tpl","url":"https://example.com","content_item":[{"key":"会议室","value":"402"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, m := shapeService(t)
			m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/send",
				Body: `{"touser":"zhangsan|lisi","toparty":"2|3","totag":"7","msgtype":"` + tc.name + `","agentid":1000002,"` + tc.name + `":` + tc.body + `}`},
				`{"errcode":0,"errmsg":"ok","invaliduser":"","invalidparty":"","invalidtag":"","msgid":"MSG"}`)
			r, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan", "lisi"}, ToParty: []int{2, 3}, ToTag: []int{7}, Message: tc.msg})
			require.NoError(t, err)
			assert.Equal(t, "MSG", r.MsgID)
			assert.True(t, r.Complete())
		})
	}
}

// The options of a send: @all, safe, id translation, the duplicate check,
// and the template message's tickets.
func TestSendShapeOptions(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/send",
		Body: `{"touser":"@all","msgtype":"text","agentid":1000002,"safe":1,"enable_id_trans":1,"enable_duplicate_check":1,` +
			`"duplicate_check_interval":600,"text":{"content":"hi $userName=zhangsan$"}}`}, `{"errcode":0,"errmsg":"ok","msgid":"M"}`)
	_, err := svc.Send(t.Context(), &appmsg.SendRequest{ToAll: true, Message: appmsg.Text{Content: "hi " + appmsg.UserName("zhangsan")},
		Safe: appmsg.SafeWatermarked, EnableIDTrans: true, EnableDuplicateCheck: true, DuplicateCheckInterval: 10 * time.Minute})
	require.NoError(t, err)

	svc, m = shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/send",
		Body: `{"touser":"zhangsan","msgtype":"template_msg","agentid":1000002,"selected_ticket_list":["T1"],"only_unauth":true,` +
			`"template_msg":{"template_id":"tpl","miniprogram":{"appid":"wxapp","pagepath":"/index"},"content_item":[{"key":"k","value":"v"}]}}`},
		`{"errcode":0,"errmsg":"ok","msgid":"M"}`)
	_, err = svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"zhangsan"}, SelectedTicketList: []string{"T1"}, OnlyUnauth: true,
		Message: &appmsg.TemplateMsg{TemplateID: "tpl", MiniProgram: &appmsg.TemplateMsgMiniProgram{AppID: "wxapp", PagePath: "/index"},
			ContentItem: []appmsg.TemplateMsgItem{{Key: "k", Value: "v"}}}})
	require.NoError(t, err)
}

// The recipients WeCom refused come back, each list split, never dropped;
// an interaction card's response code too.
func TestSendShapeAnswer(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/send",
		Body: `{"touser":"a|b|c|d","toparty":"9","totag":"8","msgtype":"text","agentid":1000002,"text":{"content":"x"}}`},
		`{"errcode":0,"errmsg":"ok","invaliduser":"a|b","invalidparty":"9","invalidtag":"8","unlicenseduser":"c","msgid":"M","response_code":"RC"}`)
	r, err := svc.Send(t.Context(), &appmsg.SendRequest{ToUser: []string{"a", "b", "c", "d"}, ToParty: []int{9}, ToTag: []int{8},
		Message: appmsg.Text{Content: "x"}})
	require.NoError(t, err)
	assert.Equal(t, &appmsg.Receipt{InvalidUsers: []string{"a", "b"}, InvalidParties: []string{"9"}, InvalidTags: []string{"8"},
		UnlicensedUsers: []string{"c"}, MsgID: "M", ResponseCode: "RC"}, r)
	assert.False(t, r.Complete())
}

func TestRecallShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/recall", Body: `{"msgid":"MSG"}`}, "")
	require.NoError(t, svc.Recall(t.Context(), "MSG"))
}

func TestUpdateTemplateCardShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/update_template_card",
		Body: `{"userids":["zhangsan"],"partyids":[2],"tagids":[3],"agentid":1000002,"response_code":"RC1","button":{"replace_name":"Accepted"}}`},
		`{"errcode":0,"errmsg":"ok","invaliduser":[]}`)
	r, err := svc.UpdateTemplateCard(t.Context(), &appmsg.UpdateTemplateCardRequest{UserIDs: []string{"zhangsan"}, PartyIDs: []int{2},
		TagIDs: []int{3}, ResponseCode: "RC1", ReplaceName: "Accepted"})
	require.NoError(t, err)
	assert.Empty(t, r.InvalidUsers)

	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/update_template_card",
		Body: `{"atall":1,"agentid":1000002,"response_code":"RC2","template_card":{"card_type":"text_notice",` +
			`"main_title":{"title":"Done"},"card_action":{"type":1,"url":"https://example.com"}}}`},
		`{"errcode":0,"errmsg":"ok","invaliduser":"lisi"}`)
	r, err = svc.UpdateTemplateCard(t.Context(), &appmsg.UpdateTemplateCardRequest{AtAll: true, ResponseCode: "RC2",
		TemplateCard: &appmsg.TemplateCard{CardType: appmsg.CardTextNotice, MainTitle: &appmsg.CardMainTitle{Title: "Done"},
			CardAction: &appmsg.CardAction{Type: 1, URL: "https://example.com"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"lisi"}, r.InvalidUsers, "the answer's invaliduser, whether a list or joined by '|'")
}

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

// SendMany splits 2,500 members and 150 departments into three calls: the
// i-th thousand members and the i-th hundred departments each.
func TestSendManyShapeChunks(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	users := make([]string, 2500)
	for i := range users {
		users[i] = "u" + itoa(i)
	}
	parties := make([]int, 150)
	for i := range parties {
		parties[i] = i + 2
	}
	joinU := func(lo, hi int) string {
		s := users[lo]
		for _, u := range users[lo+1 : hi] {
			s += "|" + u
		}
		return s
	}
	joinP := func(lo, hi int) string {
		s := itoa(parties[lo])
		for _, p := range parties[lo+1 : hi] {
			s += "|" + itoa(p)
		}
		return s
	}
	bodies := []string{
		`{"touser":"` + joinU(0, 1000) + `","toparty":"` + joinP(0, 100) + `","msgtype":"text","agentid":1000002,"text":{"content":"x"}}`,
		`{"touser":"` + joinU(1000, 2000) + `","toparty":"` + joinP(100, 150) + `","msgtype":"text","agentid":1000002,"text":{"content":"x"}}`,
		`{"touser":"` + joinU(2000, 2500) + `","msgtype":"text","agentid":1000002,"text":{"content":"x"}}`,
	}
	// shapetest registers one expectation per path: check the three bodies
	// through one responder instead.
	seen := map[string]bool{}
	m.Transport().RegisterResponder(http.MethodPost, shapetest.BaseURL+"/cgi-bin/message/send", func(r *http.Request) (*http.Response, error) {
		seen[normalizeJSON(t, readAll(r))] = true
		return jsonResponse(`{"errcode":0,"errmsg":"ok","msgid":"M` + itoa(len(seen)) + `"}`), nil
	})
	res, err := svc.SendMany(t.Context(), &appmsg.SendRequest{ToUser: users, ToParty: parties, Message: appmsg.Text{Content: "x"}}, 1)
	require.NoError(t, err)
	require.Len(t, res, 2650)
	for _, b := range bodies {
		assert.True(t, seen[normalizeJSON(t, b)], "a call with body %.80s...", b)
	}
	assert.Len(t, seen, 3)
	assert.Equal(t, appmsg.Recipient{Kind: appmsg.RecipientUser, ID: "u0"}, res[0].Item)
	assert.Equal(t, appmsg.Recipient{Kind: appmsg.RecipientParty, ID: "2"}, res[2500].Item)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

func jsonResponse(body string) *http.Response {
	resp := httpmock.NewStringResponse(http.StatusOK, body)
	resp.Header.Set("Content-Type", "application/json")
	return resp
}

// normalizeJSON re-encodes a JSON object with sorted keys.
func normalizeJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	require.NoError(t, json.NewDecoder(strings.NewReader(s)).Decode(&v), s)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
