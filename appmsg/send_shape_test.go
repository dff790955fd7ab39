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
