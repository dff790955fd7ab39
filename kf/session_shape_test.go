package kf_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
)

func TestGetServiceStateShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/service_state/get",
		Body: `{"open_kfid":"wkxxxxxxxxxxxxxxxxxx","external_userid":"wmxxxxxxxxxxxxxxxxxx"}`},
		`{"errcode":0,"errmsg":"ok","service_state":3,"servicer_userid":"zhangsan"}`)
	st, err := kf.New(c).GetServiceState(t.Context(), &kf.GetServiceStateRequest{OpenKfID: "wkxxxxxxxxxxxxxxxxxx", ExternalUserID: "wmxxxxxxxxxxxxxxxxxx"})
	require.NoError(t, err)
	assert.Equal(t, &kf.GetServiceStateResponse{ServiceState: kf.StateServicer, ServicerUserID: "zhangsan"}, st)
}

func TestServiceStateTransShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/service_state/trans",
		Body: `{"open_kfid":"wkxxxxxxxxxxxxxxxxxx","external_userid":"wmxxxxxxxxxxxxxxxxxx","service_state":3,"servicer_userid":"zhangsan"}`},
		`{"errcode":0,"errmsg":"ok","msg_code":"MSG_CODE"}`)
	out, err := kf.New(c).ServiceStateTrans(t.Context(), &kf.ServiceStateTransRequest{OpenKfID: "wkxxxxxxxxxxxxxxxxxx",
		ExternalUserID: "wmxxxxxxxxxxxxxxxxxx", ServiceState: kf.StateServicer, ServicerUserID: "zhangsan"})
	require.NoError(t, err)
	assert.Equal(t, "MSG_CODE", out.MsgCode)
}

// MoveSession reads the state, refuses a move WeCom's table does not
// allow without calling trans, and sends an allowed one.
func TestMoveSessionChecksTheMoveBeforeSending(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	gets := answerInTurn(t, m, "/cgi-bin/kf/service_state/get",
		`{"errcode":0,"errmsg":"ok","service_state":4}`,
		`{"errcode":0,"errmsg":"ok","service_state":1}`)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/service_state/trans",
		Body: `{"open_kfid":"wk1","external_userid":"wm1","service_state":2}`}, `{"errcode":0,"errmsg":"ok","msg_code":"QUEUE"}`)
	svc := kf.New(c)
	req := &kf.MoveSessionRequest{OpenKfID: "wk1", ExternalUserID: "wm1", To: kf.StateQueued}
	_, err := svc.MoveSession(t.Context(), req)
	require.ErrorIs(t, err, kf.ErrTransition)
	require.ErrorIs(t, err, kf.ErrInvalidArgument)
	assert.ErrorContains(t, err, "moves only when the customer writes")
	out, err := svc.MoveSession(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, &kf.MoveSessionResponse{From: kf.StateBot, To: kf.StateQueued, MsgCode: "QUEUE"}, out)
	assert.Len(t, *gets, 2)
}

func TestCanTransitionFollowsTheStateTable(t *testing.T) {
	t.Parallel()
	allowed := map[kf.ServiceState][]kf.ServiceState{
		kf.StateUntreated: {kf.StateBot, kf.StateQueued, kf.StateServicer, kf.StateEnded},
		kf.StateBot:       {kf.StateQueued, kf.StateServicer, kf.StateEnded},
		kf.StateQueued:    {kf.StateServicer, kf.StateEnded},
		kf.StateServicer:  {kf.StateServicer, kf.StateEnded},
		kf.StateEnded:     nil,
	}
	for from := kf.StateUntreated; from <= kf.StateEnded; from++ {
		for to := kf.StateUntreated; to <= kf.StateEnded; to++ {
			assert.Equal(t, contains(allowed[from], to), kf.CanTransition(from, to), "%v → %v", from, to)
		}
	}
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
