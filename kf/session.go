package kf

import (
	"context"
	"fmt"

	"github.com/scrmkit/scrm/internal/api"
)

// ServiceState is the state of a customer's session (会话状态) with an
// account.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94669
type ServiceState int

// The five session states. A session is one customer's conversation with
// one account: from their first message for 48 hours, or until it is
// ended (by a servicer, or through the API).
const (
	// StateUntreated (未处理): a new session, the customer has written.
	// The app may answer through the API (send_msg), put it in the queue,
	// or hand it to a servicer who is receiving.
	StateUntreated ServiceState = 0
	// StateBot (由智能助手接待): answered by the bot (the API); it may
	// still go to the queue or to a servicer.
	StateBot ServiceState = 1
	// StateQueued (待接入池排队中): waiting in the queue for a servicer; it
	// may be handed to one.
	StateQueued ServiceState = 2
	// StateServicer (由人工接待): with a servicer; it may go to another
	// servicer or end.
	StateServicer ServiceState = 3
	// StateEnded (已结束/未开始): ended, or not started (the customer
	// entered but has not written). The API cannot move it; the customer's
	// next message makes it StateUntreated, a servicer's message from the
	// WeCom client StateServicer.
	StateEnded ServiceState = 4
)

// String names the state as WeCom's page does, in English.
func (s ServiceState) String() string {
	switch s {
	case StateUntreated:
		return "untreated"
	case StateBot:
		return "bot"
	case StateQueued:
		return "queued"
	case StateServicer:
		return "servicer"
	case StateEnded:
		return "ended"
	}
	return fmt.Sprintf("ServiceState(%d)", int(s))
}

// CanTransition reports whether WeCom lets service_state/trans move a
// session from one state to another, as its state table reads: from
// StateUntreated to the bot, the queue or a servicer; from StateBot to the
// queue or a servicer; from StateQueued to a servicer; from StateServicer
// to another servicer or to the end; and to StateEnded from StateUntreated,
// StateBot and StateQueued, which the page's flow chart shows and its
// table does not name (it could not be confirmed in text; WeCom answers
// 95016 if it refuses). Nothing moves a StateEnded session, and nothing
// moves a session back to StateUntreated.
func CanTransition(from, to ServiceState) bool {
	switch from {
	case StateUntreated:
		return to == StateBot || to == StateQueued || to == StateServicer || to == StateEnded
	case StateBot:
		return to == StateQueued || to == StateServicer || to == StateEnded
	case StateQueued:
		return to == StateServicer || to == StateEnded
	case StateServicer:
		return to == StateServicer || to == StateEnded
	}
	return false
}

// GetServiceStateRequest names one customer's session with an account.
type GetServiceStateRequest struct {
	OpenKfID       string `json:"open_kfid"`       // required
	ExternalUserID string `json:"external_userid"` // required: the WeChat customer
}

// GetServiceStateResponse is a session's state.
type GetServiceStateResponse struct {
	ServiceState ServiceState `json:"service_state"`
	// ServicerUserID is the servicer (a third-party app sees the
	// open_userid); only for StateServicer.
	ServicerUserID string `json:"servicer_userid,omitempty"`
}

// GetServiceState reads the state of a customer's session.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94669
func (s *Service) GetServiceState(ctx context.Context, req *GetServiceStateRequest) (*GetServiceStateResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := api.FirstErr(checkOpenKfID(req.OpenKfID), check.Required("ExternalUserID", req.ExternalUserID)); err != nil {
		return nil, err
	}
	var out GetServiceStateResponse
	if err := api.Read(ctx, s.c, "/cgi-bin/kf/service_state/get", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ServiceStateTransRequest moves a session to another state.
type ServiceStateTransRequest struct {
	OpenKfID       string       `json:"open_kfid"`       // required
	ExternalUserID string       `json:"external_userid"` // required
	ServiceState   ServiceState `json:"service_state"`   // StateBot to StateEnded
	// ServicerUserID is required for StateServicer and only then: a
	// servicer of the account who is receiving (95019 otherwise) and
	// activated in WeCom (95014 otherwise).
	ServicerUserID string `json:"servicer_userid,omitempty"`
}

// ServiceStateTransResponse carries the code of an event reply.
type ServiceStateTransResponse struct {
	// MsgCode is returned when a session first moves to StateQueued or
	// StateServicer (a reply such as a queue notice, usable within 48
	// hours, text only) and when it moves to StateEnded (a closing message,
	// within 20 seconds, text or menu): send it once with SendMsgOnEvent
	// while the session is still in that state.
	MsgCode string `json:"msg_code,omitempty"`
}

// ServiceStateTrans moves a customer's session to req.ServiceState. It
// checks what can be checked without reading the session: the target is
// a state WeCom moves to, and a servicer is named for StateServicer only.
// Whether the move is allowed from the current state is WeCom's answer
// (95016); MoveSession reads the state first and refuses a move
// CanTransition does not allow before sending it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94669
func (s *Service) ServiceStateTrans(ctx context.Context, req *ServiceStateTransRequest) (*ServiceStateTransResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := transInput(req.OpenKfID, req.ExternalUserID, req.ServiceState, req.ServicerUserID); err != nil {
		return nil, err
	}
	var out ServiceStateTransResponse
	if err := api.Write(ctx, s.c, "/cgi-bin/kf/service_state/trans", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func transInput(openKfID, externalUserID string, to ServiceState, servicer string) error {
	if err := api.FirstErr(checkOpenKfID(openKfID), check.Required("ExternalUserID", externalUserID)); err != nil {
		return err
	}
	if to < StateBot || to > StateEnded {
		return check.Invalidf("ServiceState %v: a session can be moved to the bot (1), the queue (2), a servicer (3) or the end (4)", to)
	}
	if to == StateServicer && servicer == "" {
		return check.Invalidf("ServicerUserID is required to hand a session to a servicer (state 3)")
	}
	if to != StateServicer && servicer != "" {
		return check.Invalidf("ServicerUserID is only for state 3 (a servicer), not %v", to)
	}
	return nil
}

// MoveSessionRequest moves a session, checked against its current state.
type MoveSessionRequest struct {
	OpenKfID       string       // required
	ExternalUserID string       // required
	To             ServiceState // StateBot to StateEnded
	ServicerUserID string       // required for StateServicer and only then
}

// MoveSessionResponse is the move MoveSession made.
type MoveSessionResponse struct {
	From    ServiceState // the state the session was in
	To      ServiceState
	MsgCode string // see ServiceStateTransResponse.MsgCode
}

// ErrTransition is matched (errors.Is) by MoveSession's error when the
// session's current state does not allow the move (CanTransition): nothing
// was sent to service_state/trans.
var ErrTransition = fmt.Errorf("%w: WeCom does not allow this session-state move", ErrInvalidArgument)

// MoveSession moves a customer's session as ServiceStateTrans does, after
// reading its current state (service_state/get) and refusing, before
// sending, a move CanTransition does not allow: a StateEnded session (the
// customer must write first), a session already handed to that servicer,
// or a move back to the queue. Two calls; another app or a servicer may
// still move the session in between, and WeCom then answers 95016.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/94669
func (s *Service) MoveSession(ctx context.Context, req *MoveSessionRequest) (*MoveSessionResponse, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := transInput(req.OpenKfID, req.ExternalUserID, req.To, req.ServicerUserID); err != nil {
		return nil, err
	}
	cur, err := s.GetServiceState(ctx, &GetServiceStateRequest{OpenKfID: req.OpenKfID, ExternalUserID: req.ExternalUserID})
	if err != nil {
		return nil, err
	}
	if !CanTransition(cur.ServiceState, req.To) {
		return nil, fmt.Errorf("%w: the session of %s is %v; it cannot move to %v%s", ErrTransition,
			req.ExternalUserID, cur.ServiceState, req.To, transHint(cur.ServiceState))
	}
	if cur.ServiceState == StateServicer && req.To == StateServicer && cur.ServicerUserID == req.ServicerUserID {
		return nil, fmt.Errorf("%w: the session of %s is with %s already", ErrTransition, req.ExternalUserID, req.ServicerUserID)
	}
	out, err := s.ServiceStateTrans(ctx, &ServiceStateTransRequest{OpenKfID: req.OpenKfID, ExternalUserID: req.ExternalUserID,
		ServiceState: req.To, ServicerUserID: req.ServicerUserID})
	if err != nil {
		return nil, err
	}
	return &MoveSessionResponse{From: cur.ServiceState, To: req.To, MsgCode: out.MsgCode}, nil
}

func transHint(from ServiceState) string {
	if from == StateEnded {
		return " (an ended or not yet started session moves only when the customer writes)"
	}
	return ""
}
