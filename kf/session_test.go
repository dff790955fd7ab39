package kf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A session goes from the customer's message to the bot, the queue and a
// servicer, and ends; each move's code works once, in its state, and the
// moves WeCom forbids are refused before sending.
func TestSessionMovesAndTheirCodes(t *testing.T) {
	t.Parallel()
	w := newKFWorld(t)
	ctx := t.Context()
	svc := kf.New(w.c)
	testkit.Staff(t, w.srv, "zhangsan", "lisi")
	res, err := svc.AddServicer(ctx, &kf.AddServicerRequest{OpenKfID: w.account, UserIDList: []string{"zhangsan", "lisi", "ghost"}})
	require.NoError(t, err)
	require.NoError(t, res.ResultList[0].Err())
	testkit.WantCode(t, res.ResultList[2].Err(), 60111)

	entry, err := w.kf.OpenLink(ctx, w.link, "")
	require.NoError(t, err)
	ext := entry.ExternalUserID
	move := func(to kf.ServiceState, servicer string) (*kf.MoveSessionResponse, error) {
		return svc.MoveSession(ctx, &kf.MoveSessionRequest{OpenKfID: w.account, ExternalUserID: ext, To: to, ServicerUserID: servicer})
	}
	_, err = move(kf.StateBot, "")
	require.ErrorIs(t, err, kf.ErrTransition, "not started: the customer has not written")
	assert.Equal(t, 0, w.srv.Count("kf/service_state/trans"))

	_, err = w.kf.Write(ctx, w.account, ext, wecomtest.KFText("人工"))
	require.NoError(t, err)
	got, err := move(kf.StateQueued, "")
	require.NoError(t, err)
	assert.Equal(t, kf.StateUntreated, got.From)
	require.NotEmpty(t, got.MsgCode)
	_, err = svc.SendMsgOnEvent(ctx, &kf.SendMsgOnEventRequest{Code: got.MsgCode, EventReply: kf.EventReply{Text: &kf.Text{Content: "正在为您转接人工，请稍候"}}})
	require.NoError(t, err)

	_, err = move(kf.StateBot, "")
	require.ErrorIs(t, err, kf.ErrTransition, "the queue goes to a servicer or the end")

	require.NoError(t, w.kf.SetServicerStatus(ctx, w.account, "lisi", false))
	_, err = move(kf.StateServicer, "lisi")
	testkit.WantCode(t, err, wecom.CodeKFServicerNotReceiving)
	got, err = move(kf.StateServicer, "zhangsan")
	require.NoError(t, err)
	taken := got.MsgCode
	require.NotEmpty(t, taken)
	ses, ok := w.kf.Session(w.account, ext)
	require.True(t, ok)
	assert.Equal(t, 3, ses.State)
	assert.Equal(t, "zhangsan", ses.ServicerUserID)
	_, err = move(kf.StateServicer, "zhangsan")
	require.ErrorIs(t, err, kf.ErrTransition, "with zhangsan already")

	// The API may not write to a session with a servicer.
	_, err = svc.SendMsg(ctx, &kf.SendMsgRequest{OpenKfID: w.account, ToUser: ext, Text: &kf.Text{Content: "bot"}})
	testkit.WantCode(t, err, wecom.CodeKFSessionStateNoSend)

	end, err := move(kf.StateEnded, "")
	require.NoError(t, err)
	// The taken code works only while the session is with the servicer.
	_, err = svc.SendMsgOnEvent(ctx, &kf.SendMsgOnEventRequest{Code: taken, EventReply: kf.EventReply{Text: &kf.Text{Content: "late"}}})
	testkit.WantCode(t, err, wecom.CodeKFSessionStateNoSend)
	_, err = svc.SendMsgOnEvent(ctx, &kf.SendMsgOnEventRequest{Code: end.MsgCode, EventReply: kf.EventReply{Menu: &kf.Menu{HeadContent: "请评价", List: []kf.MenuItem{kf.ClickItem("good", "满意"), kf.ClickItem("bad", "不满意")}}}})
	require.NoError(t, err)
	sent := w.kf.Sent(w.account, ext)
	require.Len(t, sent, 2)
	assert.Equal(t, []string{"queue", "end"}, []string{sent[0].Code, sent[1].Code})

	st, err := svc.GetServiceState(ctx, &kf.GetServiceStateRequest{OpenKfID: w.account, ExternalUserID: ext})
	require.NoError(t, err)
	assert.Equal(t, kf.StateEnded, st.ServiceState)
}
