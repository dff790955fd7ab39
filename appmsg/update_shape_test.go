package appmsg_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/internal/shapetest"
)

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
