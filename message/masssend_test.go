package message_test

import (
	"context"
	"errors"
	"strings"
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

const addPath = "/cgi-bin/externalcontact/add_msg_template"

// recipients reads the send results of one sender as id → status.
func recipients(t testing.TB, svc *message.Service, msgID, userID string) map[string]message.SendStatus {
	t.Helper()
	out := map[string]message.SendStatus{}
	for r, err := range svc.GetGroupMsgSendResultIter(t.Context(), &message.GetGroupMsgSendResultRequest{MsgID: msgID, UserID: userID}) {
		require.NoError(t, err)
		require.Equal(t, userID, r.UserID)
		id := r.ExternalUserID + r.ChatID
		out[id] = r.Status
		if r.Status == message.SendSent {
			assert.NotZero(t, r.SendTime, "a sent record has its send_time")
		} else {
			assert.Zero(t, r.SendTime)
		}
	}
	return out
}

func tasks(t testing.TB, svc *message.Service, msgID string) map[string]message.TaskStatus {
	t.Helper()
	out := map[string]message.TaskStatus{}
	for task, err := range svc.GetGroupMsgTaskIter(t.Context(), &message.GetGroupMsgTaskRequest{MsgID: msgID}) {
		require.NoError(t, err)
		out[task.UserID] = task.Status
	}
	return out
}

func TestAddMsgTemplate_CustomersAndConfirmation(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := testkit.Seed(t, srv, 5, "alice", "bob") // alice: 0,2,4; bob: 1,3
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{
		ExternalUserID: append(ids, "wmNobody"),
		Text:           text("Spring sale starts Monday"),
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"wmNobody"}, resp.FailList)
	require.NotEmpty(t, resp.MsgID)

	// Each customer goes to the member who has him; nobody has sent yet.
	assert.Equal(t, map[string]message.TaskStatus{"alice": message.TaskUnsent, "bob": message.TaskUnsent}, tasks(t, svc, resp.MsgID))
	assert.Equal(t, map[string]message.SendStatus{ids[0]: 0, ids[2]: 0, ids[4]: 0}, recipients(t, svc, resp.MsgID, "alice"))

	// alice confirms; bob's customer 3 stops being his customer first.
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, "alice"))
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("bob"))
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, "bob"))
	assert.Equal(t, map[string]message.TaskStatus{"alice": message.TaskSent, "bob": message.TaskSent}, tasks(t, svc, resp.MsgID))
	assert.Equal(t, map[string]message.SendStatus{ids[0]: 1, ids[2]: 1, ids[4]: 1}, recipients(t, svc, resp.MsgID, "alice"))
	assert.Equal(t, map[string]message.SendStatus{ids[1]: message.SendNotFriend, ids[3]: message.SendNotFriend},
		recipients(t, svc, resp.MsgID, "bob"))
	assert.Equal(t, 1, srv.Corp(srv.CorpID).Messages().MassSendsReceived(ids[0]))
	assert.Equal(t, 0, srv.Corp(srv.CorpID).Messages().MassSendsReceived(ids[1]))
}

func TestAddMsgTemplate_SenderAndTagFilter(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := testkit.Seed(t, srv, 6, "alice", "bob") // alice: 0,2,4; bob: 1,3,5
	vip := tag(t, srv, "VIP", "alice", ids[0], ids[2])
	north := tag(t, srv, "North", "alice", ids[2], ids[4])
	tag(t, srv, "Bob's VIP", "bob", ids[1]) // another member's tags do not count for alice
	send := func(r *message.AddMsgTemplateRequest) map[string]message.SendStatus {
		t.Helper()
		r.Text = text("hello")
		resp, err := svc.AddMsgTemplate(t.Context(), r)
		require.NoError(t, err)
		return recipients(t, svc, resp.MsgID, "alice")
	}
	// Sender alone: all his customers.
	assert.Len(t, send(&message.AddMsgTemplateRequest{Sender: "alice"}), 3)
	// OR inside a group.
	assert.Len(t, send(&message.AddMsgTemplateRequest{Sender: "alice", TagFilter: message.AnyTag(vip, north)}), 3)
	// AND across groups.
	and := &message.TagFilter{GroupList: []message.TagFilterGroup{{TagList: []string{vip}}, {TagList: []string{north}}}}
	assert.Equal(t, map[string]message.SendStatus{ids[2]: 0}, send(&message.AddMsgTemplateRequest{Sender: "alice", TagFilter: and}))
	// A tag filter alone selects across members.
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{TagFilter: message.AnyTag(vip), Text: text("hi")})
	require.NoError(t, err)
	assert.Equal(t, map[string]message.TaskStatus{"alice": 0}, tasks(t, svc, resp.MsgID))

	// WeCom's answers for what the SDK refuses: an unknown tag, an empty result.
	_, err = svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{TagFilter: message.AnyTag("etNoSuchTag"), Text: text("hi")})
	testkit.WantCode(t, err, 40068)
	_, err = svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ExternalUserID: []string{"wmNobody"}, Text: text("hi")})
	testkit.WantCode(t, err, 41048)
	_, err = svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "carol", Text: text("hi")})
	testkit.WantCode(t, err, 40058)
}

func TestAddMsgTemplate_Groups(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	testkit.Seed(t, srv, 0, "owner", "other")
	groupA, groupB := testkit.GroupChat(t, srv, "owner", "A"), testkit.GroupChat(t, srv, "owner", "B")
	others := testkit.GroupChat(t, srv, "other", "C")
	// Unknown chat ids, and groups the sender does not own, land in
	// fail_list as WeCom's do (92135: 「无效或无法发送的…chatid列表」).
	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ChatType: message.ChatGroup, Sender: "owner",
		ChatIDList: []string{groupA, groupB, "wrNoSuchGroup", others}, Attachments: []message.Attachment{
			message.LinkAttachment(message.LinkCard{Title: "Catalogue", URL: "https://example.invalid/c"})}})
	require.NoError(t, err)
	assert.Equal(t, []string{"wrNoSuchGroup", others}, resp.FailList)
	// A group send lists only what was sent.
	assert.Empty(t, recipients(t, svc, resp.MsgID, "owner"))
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, ""))
	assert.Equal(t, map[string]message.SendStatus{groupA: 1, groupB: 1}, recipients(t, svc, resp.MsgID, "owner"))
	assert.Equal(t, 1, srv.Corp(srv.CorpID).Messages().MassSendsReceived(groupA))

	// The fields of customer sends are ignored in a group send, as the
	// page says, not refused (the SDK refuses them, to catch the mistake).
	raw := map[string]any{"chat_type": "group", "sender": "owner", "chat_id_list": []string{groupA},
		"external_userid": []string{"wmSomeone"}, "allow_select": true, "text": map[string]any{"content": "hi"},
		"tag_filter": map[string]any{"group_list": []any{map[string]any{"tag_list": []string{"etAny"}}}}}
	var out struct {
		FailList []string `json:"fail_list"`
		MsgID    string   `json:"msgid"`
	}
	require.NoError(t, srv.Client().Post(t.Context(), addPath, raw, &out))
	assert.Empty(t, out.FailList)
	require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(out.MsgID, ""))
	assert.Equal(t, map[string]message.SendStatus{groupA: 1}, recipients(t, svc, out.MsgID, "owner"))
	// The group record is listed under chat_type group only.
	now := time.Now()
	win := &message.ListGroupMsgsRequest{StartTime: wecom.UnixTime(now.Add(-time.Hour).Unix()), EndTime: wecom.UnixTime(now.Add(time.Hour).Unix())}
	list, err := svc.ListGroupMsgs(t.Context(), win)
	require.NoError(t, err)
	assert.Empty(t, list.GroupMsgList)
	win.ChatType = message.ChatGroup
	list, err = svc.ListGroupMsgs(t.Context(), win)
	require.NoError(t, err)
	require.Len(t, list.GroupMsgList, 2)
	assert.Equal(t, "Catalogue", list.GroupMsgList[0].Attachments[0].Link.Title)
}

func TestAddMsgTemplate_RefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := testkit.Seed(t, srv, 1, "alice")
	many := func(n int) []string { return make([]string, n) }
	tooManyTags := message.AnyTag(many(101)...)
	nine := make([]message.Attachment, 10)
	for i := range nine {
		nine[i] = message.ImageAttachment("m")
	}
	hi := text("hi")
	bad := []*message.AddMsgTemplateRequest{
		nil,
		{Text: hi}, // nobody
		{Sender: "alice"},
		{Sender: "alice", ChatType: "broadcast", Text: hi},
		{ExternalUserID: ids, TagFilter: message.AnyTag("t"), Text: hi},
		{ExternalUserID: many(10_001), Text: hi},
		{Sender: "alice", ChatIDList: []string{"wr1"}, Text: hi},
		{ChatType: message.ChatGroup, ChatIDList: []string{"wr1"}, Text: hi},
		{ChatType: message.ChatGroup, Sender: "alice", ChatIDList: many(2001), Text: hi},
		{ChatType: message.ChatGroup, Sender: "alice", ExternalUserID: ids, Text: hi},
		{ChatType: message.ChatGroup, Sender: "alice", AllowSelect: true, Text: hi},
		{Sender: "alice", TagFilter: tooManyTags, Text: hi},
		{Sender: "alice", TagFilter: &message.TagFilter{}, Text: hi},
		{Sender: "alice", Text: text(strings.Repeat("字", 1334))}, // 4002 bytes
		{Sender: "alice", Attachments: nine},
		{Sender: "alice", Attachments: []message.Attachment{{MsgType: "voice"}}},
		{Sender: "alice", Attachments: []message.Attachment{{MsgType: message.MsgImage}}},
		{Sender: "alice", Attachments: []message.Attachment{{MsgType: message.MsgImage, Image: &message.Image{}}}},
		{Sender: "alice", Attachments: []message.Attachment{{MsgType: message.MsgVideo, Image: &message.Image{MediaID: "m"}}}},
		{Sender: "alice", Attachments: []message.Attachment{{MsgType: message.MsgImage, Image: &message.Image{MediaID: "m"}, File: &message.File{MediaID: "m"}}}},
		{Sender: "alice", Attachments: []message.Attachment{message.LinkAttachment(message.LinkCard{Title: "t", URL: "example.com"})}},
		{Sender: "alice", Attachments: []message.Attachment{message.LinkAttachment(message.LinkCard{Title: strings.Repeat("t", 129), URL: "https://e.invalid"})}},
		{Sender: "alice", Attachments: []message.Attachment{message.LinkAttachment(message.LinkCard{Title: "t", URL: "https://e.invalid/" + strings.Repeat("p", 2048)})}},
		{Sender: "alice", Attachments: []message.Attachment{message.MiniProgramAttachment(message.MiniProgram{Title: "t", AppID: "wx1", Page: "/p"})}},
		{Sender: "alice", Attachments: []message.Attachment{message.MiniProgramAttachment(message.MiniProgram{Title: strings.Repeat("t", 65), PicMediaID: "m", AppID: "wx1", Page: "/p"})}},
		{Sender: "alice", Attachments: []message.Attachment{message.VideoAttachment("")}},
	}
	for i, r := range bad {
		_, err := svc.AddMsgTemplate(t.Context(), r)
		require.ErrorIs(t, err, message.ErrInvalidArgument, "request %d", i)
	}
	assert.Zero(t, srv.Count(addPath), "refused before sending")

	// At the limits it is sent; the fake checks the same limits.
	md, err := srv.Client().UploadMedia(t.Context(), wecom.MediaImage, "a.png", strings.NewReader("png image"))
	require.NoError(t, err)
	atts := make([]message.Attachment, 9)
	for i := range atts {
		atts[i] = message.ImageAttachment(md.MediaID)
	}
	_, err = svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Text: text(strings.Repeat("a", 4000)), Attachments: atts})
	require.NoError(t, err)

	// Bypassing the SDK's checks, the fake answers with WeCom's codes.
	post := func(body map[string]any) error {
		body["sender"] = "alice"
		return srv.Client().Post(t.Context(), addPath, body, nil)
	}
	img := map[string]any{"msgtype": "image", "image": map[string]any{"media_id": md.MediaID}}
	ten := make([]any, 10)
	for i := range ten {
		ten[i] = img
	}
	testkit.WantCode(t, post(map[string]any{"attachments": ten}), 41064)
	testkit.WantCode(t, post(map[string]any{"attachments": []any{map[string]any{"msgtype": "voice", "voice": map[string]any{}}}}), 40058) // unknown field
	testkit.WantCode(t, post(map[string]any{"attachments": []any{map[string]any{"msgtype": "video", "image": map[string]any{"media_id": md.MediaID}}}}), 41065)
	testkit.WantCode(t, post(map[string]any{"attachments": []any{map[string]any{"msgtype": "image", "image": map[string]any{"media_id": "nope"}}}}), 40007)
	testkit.WantCode(t, post(map[string]any{"attachments": []any{map[string]any{"msgtype": "link", "link": map[string]any{"title": "t", "url": "example.com"}}}}), 45034)
	testkit.WantCode(t, post(map[string]any{"text": map[string]any{"content": strings.Repeat("a", 4001)}}), 40058)
	testkit.WantCode(t, post(map[string]any{"text": map[string]any{"content": "x"}, "external_userid": many(10_001)}), 40058)
	testkit.WantCode(t, post(map[string]any{"text": map[string]any{"content": "x"}, "tag_filter": map[string]any{
		"group_list": []any{map[string]any{"tag_list": many(101)}}}}), 40058)
	testkit.WantCode(t, post(map[string]any{"text": map[string]any{"content": "x"}, "chat_type": "group", "chat_id_list": many(2001)}), 40058)
}

func TestAddMsgTemplate_NeverResentOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	testkit.Seed(t, srv, 1, "alice")
	for _, f := range []wecomtest.Fault{{Drop: true}, {HTTPStatus: 502}, {Errcode: -1}} {
		srv.ResetRequests()
		srv.Fail(addPath, f)
		before := time.Now()
		_, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Text: text("hi")})
		require.ErrorIs(t, err, wecom.ErrOutcomeUnknown, "fault %+v", f)
		var mc *wecom.MaybeCreatedError
		require.True(t, errors.As(err, &mc))
		assert.Equal(t, addPath, mc.Path)
		assert.True(t, mc.Since.Before(before) && mc.Until.After(time.Now()), "window %v..%v", mc.Since, mc.Until)
		assert.Contains(t, err.Error(), "get_groupmsg_list_v2")
		assert.Contains(t, err.Error(), "chat_type=single")
		assert.Equal(t, 1, srv.Count(addPath), "fault %+v: sent once", f)
	}
	// A definite refusal is no such error.
	srv.Fail(addPath, wecomtest.Fault{Errcode: 48002})
	_, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", Text: text("hi")})
	testkit.WantCode(t, err, 48002)
	assert.False(t, errors.Is(err, wecom.ErrOutcomeUnknown))
}

// TestMonthlyQuota follows WeCom's rule since 2025-11: a customer receives
// as many mass sends a month as the month has days; the rest fail with
// status 3, and a new month starts afresh.
func TestMonthlyQuota(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Date(2026, 2, 10, 4, 0, 0, 0, time.UTC)) // February 2026: 28 days
	srv, svc := setup(t, testkit.WithClock(clock))
	ids := testkit.Seed(t, srv, 1, "alice")
	send := func() message.SendStatus {
		t.Helper()
		resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{ExternalUserID: ids, Text: text("news")})
		require.NoError(t, err)
		require.NoError(t, srv.Corp(srv.CorpID).Messages().ConfirmMassSend(resp.MsgID, "alice"))
		return recipients(t, svc, resp.MsgID, "alice")[ids[0]]
	}
	for i := range 28 {
		require.Equal(t, message.SendSent, send(), "send %d", i+1)
	}
	assert.Equal(t, message.SendQuotaReached, send())
	assert.Equal(t, 28, srv.Corp(srv.CorpID).Messages().MassSendsReceived(ids[0]))
	clock.Advance(20 * 24 * time.Hour) // March
	assert.Equal(t, message.SendSent, send())
	// The admin may lower it (e.g. one a day); the fake sets a monthly number.
	srv.Corp(srv.CorpID).Messages().SetMassSendQuota(1)
	assert.Equal(t, message.SendQuotaReached, send())
}

// TestChurnIsReportedNotAFriend follows the loss of a customer either way
// (客户流失): the customer deletes the member (del_follow_user) or the member
// deletes the customer (del_external_contact). The relation goes away, the
// event reaches the corp's callback, and a later mass send naming the
// customer reports it with status 2, 「因客户不是好友导致发送失败」 (93338).
func TestChurnIsReportedNotAFriend(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := testkit.Seed(t, srv, 3, "alice")
	events := make(chan string, 4)
	corp := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
			events <- string(ev.ChangeType) + " " + ev.UserID + " " + ev.ExternalUserID
			return nil
		}, callback.ChangeDelFollowUser, callback.ChangeDelExternalContact)
	})
	require.NoError(t, corp.CustomerDeletesMember(t.Context(), ids[0], "alice"))
	require.NoError(t, corp.MemberDeletesCustomer(t.Context(), "alice", ids[1]))
	assert.Equal(t, "del_follow_user alice "+ids[0], <-events)
	assert.Equal(t, "del_external_contact alice "+ids[1], <-events)
	for _, id := range ids[:2] {
		_, ok := corp.Relation("alice", id)
		assert.False(t, ok, "the relation with %s went away", id)
		assert.Empty(t, corp.Followers(id))
	}
	assert.ErrorIs(t, corp.CustomerDeletesMember(t.Context(), ids[0], "alice"), wecomtest.ErrNotFound, "deleted once")

	resp, err := svc.AddMsgTemplate(t.Context(), &message.AddMsgTemplateRequest{Sender: "alice", ExternalUserID: ids, Text: text("news")})
	require.NoError(t, err)
	assert.Empty(t, resp.FailList, "the customers are known: the send reports them")
	require.NoError(t, corp.Messages().ConfirmMassSend(resp.MsgID, "alice"))
	assert.Equal(t, map[string]message.SendStatus{ids[0]: message.SendNotFriend, ids[1]: message.SendNotFriend, ids[2]: message.SendSent},
		recipients(t, svc, resp.MsgID, "alice"))
}
