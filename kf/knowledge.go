package kf

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// The knowledge base (知识库) of the customer-service bot: the groups and
// the question-and-answer intents of the admin console's 微信客服 → 机器人 →
// 知识库, under the console's rules: group names are unique, at most 100
// groups, a question appears in one group only, at most 200 intents per
// group. Self-built apps only: third-party and agent-developed apps may
// not call these (暂不支持).

// KnowledgeGroup is a knowledge-base group.
type KnowledgeGroup struct {
	GroupID string
	Name    string
	// IsDefault marks the group WeCom made itself: it cannot be renamed or
	// deleted.
	IsDefault bool
}

// UnmarshalJSON reads WeCom's is_default (0 or 1).
func (g *KnowledgeGroup) UnmarshalJSON(b []byte) error {
	var w struct {
		GroupID   string `json:"group_id"`
		Name      string `json:"name"`
		IsDefault int    `json:"is_default"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*g = KnowledgeGroup{GroupID: w.GroupID, Name: w.Name, IsDefault: w.IsDefault != 0}
	return nil
}

// KnowledgeAddGroupRequest names a new group.
type KnowledgeAddGroupRequest struct {
	Name string `json:"name"` // required, at most 12 characters, unique
}

// KnowledgeAddGroup creates a knowledge-base group and returns its id. A
// failure that may have reached WeCom is a *wecom.MaybeCreatedError: list
// the groups and look for the name before trying again.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
func (s *Service) KnowledgeAddGroup(ctx context.Context, req *KnowledgeAddGroupRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("Name", req.Name), check.MaxChars("Name", req.Name, maxKnowledgeName)); err != nil {
		return "", err
	}
	var out struct {
		GroupID string `json:"group_id"`
	}
	hint := func(_, _ time.Time) string {
		return "list the groups (KnowledgeListGroupsIter) and look for one named " + req.Name
	}
	if err := api.Create(ctx, s.c, "/cgi-bin/kf/knowledge/add_group", req, &out, hint); err != nil {
		return "", err
	}
	return out.GroupID, nil
}

// KnowledgeDelGroup deletes a group (not the default one).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
func (s *Service) KnowledgeDelGroup(ctx context.Context, groupID string) error {
	if err := check.Required("groupID", groupID); err != nil {
		return err
	}
	body := struct {
		GroupID string `json:"group_id"`
	}{groupID}
	return api.Idempotent(ctx, s.c, "/cgi-bin/kf/knowledge/del_group", body, nil)
}

// KnowledgeModGroupRequest renames a group.
type KnowledgeModGroupRequest struct {
	GroupID string `json:"group_id"` // required; not the default group
	Name    string `json:"name"`     // required, at most 12 characters, unique
}

// KnowledgeModGroup renames a group (not the default one).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
func (s *Service) KnowledgeModGroup(ctx context.Context, req *KnowledgeModGroupRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("GroupID", req.GroupID), check.Required("Name", req.Name),
		check.MaxChars("Name", req.Name, maxKnowledgeName)); err != nil {
		return err
	}
	return api.Idempotent(ctx, s.c, "/cgi-bin/kf/knowledge/mod_group", req, nil)
}

// KnowledgeListGroupsRequest pages through the groups.
type KnowledgeListGroupsRequest struct {
	Cursor string `json:"cursor,omitempty"`
	// Limit is 1 to 1,000 groups per page; 0 leaves WeCom's default, 500.
	Limit int `json:"limit,omitempty"`
	// GroupID reads that one group only.
	GroupID string `json:"group_id,omitempty"`
}

// KnowledgeListGroupsResponse is one page of groups.
type KnowledgeListGroupsResponse struct {
	NextCursor string
	HasMore    bool
	GroupList  []KnowledgeGroup
}

// UnmarshalJSON reads WeCom's has_more (0 or 1).
func (r *KnowledgeListGroupsResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		NextCursor string           `json:"next_cursor"`
		HasMore    int              `json:"has_more"`
		GroupList  []KnowledgeGroup `json:"group_list"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = KnowledgeListGroupsResponse{NextCursor: w.NextCursor, HasMore: w.HasMore != 0, GroupList: w.GroupList}
	return nil
}

// KnowledgeListGroups reads one page of groups.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
func (s *Service) KnowledgeListGroups(ctx context.Context, req *KnowledgeListGroupsRequest) (*KnowledgeListGroupsResponse, error) {
	if req == nil {
		req = &KnowledgeListGroupsRequest{}
	}
	if req.Limit < 0 || req.Limit > maxKnowledgePage {
		return nil, check.Invalidf("Limit %d: WeCom takes 1 to %d per page (0 for its default, 500)", req.Limit, maxKnowledgePage)
	}
	var out KnowledgeListGroupsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/knowledge/list_group", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// KnowledgeListGroupsIter walks every group from req's cursor on.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95971
func (s *Service) KnowledgeListGroupsIter(ctx context.Context, req *KnowledgeListGroupsRequest) iter.Seq2[*KnowledgeGroup, error] {
	return api.Iter(ctx, req, s.KnowledgeListGroups, func(r *KnowledgeListGroupsRequest) *string { return &r.Cursor },
		func(p *KnowledgeListGroupsResponse) ([]KnowledgeGroup, string) {
			return p.GroupList, nextIf(p.HasMore, p.NextCursor)
		})
}

// nextIf is the next cursor when WeCom says there is more, else none.
func nextIf(more bool, cursor string) string {
	if !more {
		return ""
	}
	return cursor
}

// Answer is an intent's answer: text and up to 4 attachments.
type Answer struct {
	Text        string       // required, at most 500 characters
	Attachments []Attachment // at most 4
}

// Attachment is an answer's attachment (问答附件): an image, a video, a
// link or a mini program; exactly the field its MsgType names is set.
// The page's appendix of attachment types could not be read; the member
// names are the ones other SDKs send.
type Attachment struct {
	MsgType     MsgType          `json:"msgtype"` // MsgImage, MsgVideo, MsgLink, MsgMiniProgram
	Image       *AttachmentMedia `json:"image,omitempty"`
	Video       *AttachmentMedia `json:"video,omitempty"`
	Link        *AttachmentLink  `json:"link,omitempty"`
	MiniProgram *MiniProgram     `json:"miniprogram,omitempty"`
}

// AttachmentMedia is an image or video attachment: a temporary media id
// to add, or the file to upload for one (Upload); KnowledgeListIntents
// answers with the file's name only.
type AttachmentMedia struct {
	MediaID string `json:"media_id,omitempty"`
	Name    string `json:"name,omitempty"` // read only
	// Upload is the image (at most 10 MB) or MP4 video (10 MB) file;
	// KnowledgeAddIntent and KnowledgeModIntent fill MediaID from the
	// Service's MediaCache (see Service.MediaCache).
	Upload *wecom.MediaSource `json:"-"`
}

// AttachmentLink is a link attachment.
type AttachmentLink struct {
	Title  string `json:"title"`
	PicURL string `json:"picurl,omitempty"`
	Desc   string `json:"desc,omitempty"`
	URL    string `json:"url"`
}

// Intent is a question and its answer (问答).
type Intent struct {
	GroupID          string
	IntentID         string
	Question         string
	SimilarQuestions []string
	Answers          []Answer
}

type wireText struct {
	Text struct {
		Content string `json:"content"`
	} `json:"text"`
}

func textOf(s string) wireText {
	var t wireText
	t.Text.Content = s
	return t
}

type wireSimilar struct {
	Items []wireText `json:"items"`
}

func similarOf(qs []string) *wireSimilar {
	if qs == nil {
		return nil
	}
	w := &wireSimilar{Items: make([]wireText, len(qs))}
	for i, q := range qs {
		w.Items[i] = textOf(q)
	}
	return w
}

type wireAnswer struct {
	Text struct {
		Content string `json:"content"`
	} `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

func answersOf(as []Answer) []wireAnswer {
	if as == nil {
		return nil
	}
	out := make([]wireAnswer, len(as))
	for i, a := range as {
		out[i].Text.Content = a.Text
		out[i].Attachments = a.Attachments
	}
	return out
}

func fromWire(sim *wireSimilar, ans []wireAnswer) ([]string, []Answer) {
	var qs []string
	if sim != nil {
		qs = make([]string, len(sim.Items))
		for i, it := range sim.Items {
			qs[i] = it.Text.Content
		}
	}
	var as []Answer
	if ans != nil {
		as = make([]Answer, len(ans))
		for i, a := range ans {
			as[i] = Answer{Text: a.Text.Content, Attachments: a.Attachments}
		}
	}
	return qs, as
}

// UnmarshalJSON reads an intent of list_intent. The page's table lists
// similar_questions and answers beside question, its example nests them
// inside question: both are read.
func (in *Intent) UnmarshalJSON(b []byte) error {
	var w struct {
		GroupID  string `json:"group_id"`
		IntentID string `json:"intent_id"`
		Question struct {
			wireText
			SimilarQuestions *wireSimilar `json:"similar_questions"`
			Answers          []wireAnswer `json:"answers"`
		} `json:"question"`
		SimilarQuestions *wireSimilar `json:"similar_questions"`
		Answers          []wireAnswer `json:"answers"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	sim, ans := w.SimilarQuestions, w.Answers
	if sim == nil {
		sim = w.Question.SimilarQuestions
	}
	if ans == nil {
		ans = w.Question.Answers
	}
	qs, as := fromWire(sim, ans)
	*in = Intent{GroupID: w.GroupID, IntentID: w.IntentID, Question: w.Question.Text.Content, SimilarQuestions: qs, Answers: as}
	return nil
}

// KnowledgeAddIntentRequest is a new intent.
type KnowledgeAddIntentRequest struct {
	GroupID string // required
	// Question is required, at most 200 characters, in no other group.
	Question string
	// SimilarQuestions are other wordings of it: at most 100, each at
	// most 200 characters.
	SimilarQuestions []string
	// Answers is required: WeCom takes exactly one for now.
	Answers []Answer
}

// MarshalJSON writes WeCom's nested shape.
func (r KnowledgeAddIntentRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		GroupID          string       `json:"group_id"`
		Question         wireText     `json:"question"`
		SimilarQuestions *wireSimilar `json:"similar_questions,omitempty"`
		Answers          []wireAnswer `json:"answers"`
	}{r.GroupID, textOf(r.Question), similarOf(r.SimilarQuestions), answersOf(r.Answers)})
}

// KnowledgeAddIntent adds an intent to a group and returns its id. A
// failure that may have reached WeCom is a *wecom.MaybeCreatedError: list
// the group's intents and look for the question before trying again. An
// attachment given as a file (AttachmentMedia.Upload,
// MiniProgram.ThumbUpload) is sent with the media id the MediaCache holds
// for it (see Service.MediaCache).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
func (s *Service) KnowledgeAddIntent(ctx context.Context, req *KnowledgeAddIntentRequest) (string, error) {
	if req == nil {
		return "", check.Invalidf("request is nil")
	}
	if err := api.FirstErr(check.Required("GroupID", req.GroupID), checkQuestion("Question", req.Question),
		checkSimilar(req.SimilarQuestions), checkAnswers(req.Answers, true)); err != nil {
		return "", err
	}
	var out struct {
		IntentID string `json:"intent_id"`
	}
	hint := func(_, _ time.Time) string {
		return "list the group's intents (KnowledgeListIntentsIter with GroupID) and look for the question " + req.Question
	}
	body := *req
	var refs []api.MediaRef
	body.Answers, refs = answersToSend(req.Answers)
	err := api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Create(ctx, s.c, "/cgi-bin/kf/knowledge/add_intent", &body, &out, hint)
	})
	if err != nil {
		return "", err
	}
	return out.IntentID, nil
}

func checkQuestion(name, q string) error {
	return api.FirstErr(check.Required(name, q), check.MaxChars(name, q, maxQuestion))
}

func checkSimilar(qs []string) error {
	if err := api.MaxItems(check, "SimilarQuestions", qs, maxSimilar); err != nil {
		return err
	}
	for i, q := range qs {
		if err := checkQuestion("SimilarQuestions["+strconv.Itoa(i)+"]", q); err != nil {
			return err
		}
	}
	return nil
}

func checkAnswers(as []Answer, required bool) error {
	if as == nil && !required {
		return nil
	}
	if len(as) != 1 {
		return check.Invalidf("Answers has %d answers; WeCom takes exactly 1 for now", len(as))
	}
	a := as[0]
	if err := api.FirstErr(check.Required("Answers[0].Text", a.Text), check.MaxChars("Answers[0].Text", a.Text, maxAnswer),
		api.MaxItems(check, "Answers[0].Attachments", a.Attachments, maxAttachments)); err != nil {
		return err
	}
	for i, at := range a.Attachments {
		if err := checkAttachment(i, &at); err != nil {
			return err
		}
	}
	return nil
}

func checkAttachment(i int, a *Attachment) error {
	set := 0
	for _, ok := range []bool{a.Image != nil, a.Video != nil, a.Link != nil, a.MiniProgram != nil} {
		if ok {
			set++
		}
	}
	ok := set == 1 && (a.MsgType == MsgImage && a.Image != nil || a.MsgType == MsgVideo && a.Video != nil ||
		a.MsgType == MsgLink && a.Link != nil || a.MsgType == MsgMiniProgram && a.MiniProgram != nil)
	if !ok {
		return check.Invalidf("Answers[0].Attachments[%d]: an attachment is an image, a video, a link or a mini program, with the body its MsgType (%q) names", i, a.MsgType)
	}
	name := fmt.Sprintf("Answers[0].Attachments[%d]", i)
	switch {
	case a.Image != nil:
		return check.RequiredMedia(name+".Image.MediaID", a.Image.MediaID, name+".Image.Upload", a.Image.Upload)
	case a.Video != nil:
		return check.RequiredMedia(name+".Video.MediaID", a.Video.MediaID, name+".Video.Upload", a.Video.Upload)
	}
	return nil
}

// KnowledgeDelIntent deletes an intent.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
func (s *Service) KnowledgeDelIntent(ctx context.Context, intentID string) error {
	if err := check.Required("intentID", intentID); err != nil {
		return err
	}
	body := struct {
		IntentID string `json:"intent_id"`
	}{intentID}
	return api.Idempotent(ctx, s.c, "/cgi-bin/kf/knowledge/del_intent", body, nil)
}

// KnowledgeModIntentRequest changes an intent. Each part is replaced as a
// whole (覆盖写): give all of it, or leave it out.
type KnowledgeModIntentRequest struct {
	IntentID string // required
	Question string // "" leaves it
	// SimilarQuestions replaces them: nil leaves them, an empty non-nil
	// slice removes them all.
	SimilarQuestions []string
	Answers          []Answer // nil leaves them; else exactly one
}

// MarshalJSON writes WeCom's nested shape, leaving out the parts not
// changed.
func (r KnowledgeModIntentRequest) MarshalJSON() ([]byte, error) {
	var q *wireText
	if r.Question != "" {
		t := textOf(r.Question)
		q = &t
	}
	return json.Marshal(struct {
		IntentID         string       `json:"intent_id"`
		Question         *wireText    `json:"question,omitempty"`
		SimilarQuestions *wireSimilar `json:"similar_questions,omitempty"`
		Answers          []wireAnswer `json:"answers,omitempty"`
	}{r.IntentID, q, similarOf(r.SimilarQuestions), answersOf(r.Answers)})
}

// KnowledgeModIntent replaces parts of an intent. Attachments given as
// files are sent as KnowledgeAddIntent sends them.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
func (s *Service) KnowledgeModIntent(ctx context.Context, req *KnowledgeModIntentRequest) error {
	if req == nil {
		return check.Invalidf("request is nil")
	}
	if err := check.Required("IntentID", req.IntentID); err != nil {
		return err
	}
	if req.Question == "" && req.SimilarQuestions == nil && req.Answers == nil {
		return check.Invalidf("nothing to change: give Question, SimilarQuestions or Answers")
	}
	if req.Question != "" {
		if err := checkQuestion("Question", req.Question); err != nil {
			return err
		}
	}
	if err := api.FirstErr(checkSimilar(req.SimilarQuestions), checkAnswers(req.Answers, false)); err != nil {
		return err
	}
	body := *req
	var refs []api.MediaRef
	body.Answers, refs = answersToSend(req.Answers)
	return api.SendMedia(ctx, s.c, s.media, refs, func() error {
		return api.Idempotent(ctx, s.c, "/cgi-bin/kf/knowledge/mod_intent", &body, nil)
	})
}

// KnowledgeListIntentsRequest pages through the intents.
type KnowledgeListIntentsRequest struct {
	Cursor   string `json:"cursor,omitempty"`
	Limit    int    `json:"limit,omitempty"`     // 1 to 1,000; 0 for WeCom's default, 500
	GroupID  string `json:"group_id,omitempty"`  // one group's intents only
	IntentID string `json:"intent_id,omitempty"` // that intent only
}

// KnowledgeListIntentsResponse is one page of intents. Attachments come
// with their names only (AttachmentMedia.Name).
type KnowledgeListIntentsResponse struct {
	NextCursor string
	HasMore    bool
	IntentList []Intent
}

// UnmarshalJSON reads WeCom's has_more (0 or 1).
func (r *KnowledgeListIntentsResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		NextCursor string   `json:"next_cursor"`
		HasMore    int      `json:"has_more"`
		IntentList []Intent `json:"intent_list"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = KnowledgeListIntentsResponse{NextCursor: w.NextCursor, HasMore: w.HasMore != 0, IntentList: w.IntentList}
	return nil
}

// KnowledgeListIntents reads one page of intents.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
func (s *Service) KnowledgeListIntents(ctx context.Context, req *KnowledgeListIntentsRequest) (*KnowledgeListIntentsResponse, error) {
	if req == nil {
		req = &KnowledgeListIntentsRequest{}
	}
	if req.Limit < 0 || req.Limit > maxKnowledgePage {
		return nil, check.Invalidf("Limit %d: WeCom takes 1 to %d per page (0 for its default, 500)", req.Limit, maxKnowledgePage)
	}
	var out KnowledgeListIntentsResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/knowledge/list_intent", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// KnowledgeListIntentsIter walks every intent from req's cursor on.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95972
func (s *Service) KnowledgeListIntentsIter(ctx context.Context, req *KnowledgeListIntentsRequest) iter.Seq2[*Intent, error] {
	return api.Iter(ctx, req, s.KnowledgeListIntents, func(r *KnowledgeListIntentsRequest) *string { return &r.Cursor },
		func(p *KnowledgeListIntentsResponse) ([]Intent, string) {
			return p.IntentList, nextIf(p.HasMore, p.NextCursor)
		})
}
