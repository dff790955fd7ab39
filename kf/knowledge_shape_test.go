package kf_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
)

func TestKnowledgeGroupShapes(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/knowledge/add_group", Body: `{"name":"分组名"}`},
		`{"errcode":0,"errmsg":"ok","group_id":"GROUP_ID"}`)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/knowledge/mod_group", Body: `{"group_id":"GROUP_ID","name":"新分组名"}`}, "")
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/knowledge/del_group", Body: `{"group_id":"GROUP_ID"}`}, "")
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/knowledge/list_group", Body: `{"cursor":"CURSOR","limit":100,"group_id":"GROUP_ID"}`},
		`{"errcode":0,"errmsg":"ok","next_cursor":"NEXT_CURSOR","has_more":1,"group_list":[{"group_id":"GROUP_ID","name":"NAME","is_default":1},{"group_id":"GROUP_ID2","name":"NAME2","is_default":0}]}`)
	svc := kf.New(c)
	id, err := svc.KnowledgeAddGroup(t.Context(), &kf.KnowledgeAddGroupRequest{Name: "分组名"})
	require.NoError(t, err)
	assert.Equal(t, "GROUP_ID", id)
	require.NoError(t, svc.KnowledgeModGroup(t.Context(), &kf.KnowledgeModGroupRequest{GroupID: "GROUP_ID", Name: "新分组名"}))
	require.NoError(t, svc.KnowledgeDelGroup(t.Context(), "GROUP_ID"))
	page, err := svc.KnowledgeListGroups(t.Context(), &kf.KnowledgeListGroupsRequest{Cursor: "CURSOR", Limit: 100, GroupID: "GROUP_ID"})
	require.NoError(t, err)
	assert.Equal(t, &kf.KnowledgeListGroupsResponse{NextCursor: "NEXT_CURSOR", HasMore: true,
		GroupList: []kf.KnowledgeGroup{{GroupID: "GROUP_ID", Name: "NAME", IsDefault: true}, {GroupID: "GROUP_ID2", Name: "NAME2"}}}, page)
}

func TestKnowledgeIntentShapes(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/knowledge/add_intent",
		Body: `{"group_id":"GROUP_ID","question":{"text":{"content":"主问题"}},"similar_questions":{"items":[{"text":{"content":"相似问题1"}},{"text":{"content":"相似问题2"}}]},"answers":[{"text":{"content":"问题的回复"},"attachments":[{"msgtype":"image","image":{"media_id":"MEDIA_ID"}}]}]}`},
		`{"errcode":0,"errmsg":"ok","intent_id":"INTENT_ID"}`)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/knowledge/mod_intent",
		Body: `{"intent_id":"INTENT_ID","similar_questions":{"items":[]}}`}, "")
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/knowledge/del_intent", Body: `{"intent_id":"INTENT_ID"}`}, "")
	svc := kf.New(c)
	id, err := svc.KnowledgeAddIntent(t.Context(), &kf.KnowledgeAddIntentRequest{GroupID: "GROUP_ID", Question: "主问题",
		SimilarQuestions: []string{"相似问题1", "相似问题2"},
		Answers:          []kf.Answer{{Text: "问题的回复", Attachments: []kf.Attachment{{MsgType: kf.MsgImage, Image: &kf.AttachmentMedia{MediaID: "MEDIA_ID"}}}}}})
	require.NoError(t, err)
	assert.Equal(t, "INTENT_ID", id)
	// An empty, non-nil list of similar questions removes them all.
	require.NoError(t, svc.KnowledgeModIntent(t.Context(), &kf.KnowledgeModIntentRequest{IntentID: "INTENT_ID", SimilarQuestions: []string{}}))
	require.NoError(t, svc.KnowledgeDelIntent(t.Context(), "INTENT_ID"))
}

// list_intent's example nests similar_questions and answers inside
// question while its table puts them beside it: both read the same.
func TestKnowledgeListIntentsReadsBothShapes(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	bodies := answerInTurn(t, m, "/cgi-bin/kf/knowledge/list_intent",
		`{"errcode":0,"errmsg":"ok","next_cursor":"NEXT","has_more":1,"intent_list":[{"group_id":"G","intent_id":"I1","question":{"text":{"content":"主问题"},"similar_questions":{"items":[{"text":{"content":"相似问题1"}}]},"answers":[{"text":{"content":"问题的回复"},"attachments":[{"msgtype":"image","image":{"name":"图片（仅返回名字）.jpg"}}]}]}}]}`,
		`{"errcode":0,"errmsg":"ok","next_cursor":"","has_more":0,"intent_list":[{"group_id":"G","intent_id":"I2","question":{"text":{"content":"问题二"}},"similar_questions":{"items":[{"text":{"content":"相似"}}]},"answers":[{"text":{"content":"回复二"}}]}]}`)
	var got []*kf.Intent
	for in, err := range kf.New(c).KnowledgeListIntentsIter(t.Context(), &kf.KnowledgeListIntentsRequest{GroupID: "G"}) {
		require.NoError(t, err)
		got = append(got, in)
	}
	require.Len(t, got, 2)
	assert.Equal(t, &kf.Intent{GroupID: "G", IntentID: "I1", Question: "主问题", SimilarQuestions: []string{"相似问题1"},
		Answers: []kf.Answer{{Text: "问题的回复", Attachments: []kf.Attachment{{MsgType: kf.MsgImage, Image: &kf.AttachmentMedia{Name: "图片（仅返回名字）.jpg"}}}}}}, got[0])
	assert.Equal(t, []string{"相似"}, got[1].SimilarQuestions)
	assert.Equal(t, "回复二", got[1].Answers[0].Text)
	assert.Equal(t, []string{`{"group_id":"G"}`, `{"cursor":"NEXT","group_id":"G"}`}, *bodies)
}
