package wecom

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// The agent id (agentid, 应用ID) names an app inside a corp. Application
// messages (message/send) and the calls about one app's cards and menus
// carry it, and WeCom refuses an agentid that is not the app whose token
// made the call (errcode 301002). Where it comes from depends on the kind
// of app:
//
//   - a self-built app (自建应用), or an agent-developed app built with New
//     and its permanent code as secret: the app's settings page in the
//     admin console shows it; give it with WithAgentID;
//   - a corp client of a Suite (third-party or agent-developed template):
//     WeCom assigns one per installation and answers it in
//     service/v2/get_auth_info (auth_info.agent[0].agentid); the suite reads
//     it once per corp and keeps it in its Store (Suite.AgentID), dropping
//     it when the corp's permanent code changes or the corp is forgotten.

// ErrNoAgentID is returned by Client.AgentID when the client has no agent
// id: give a self-built app's with WithAgentID.
var ErrNoAgentID = errors.New("wecom: no agent id: give the app's agentid (admin console, the app's page) with wecom.WithAgentID")

// WithAgentID sets the agent id (agentid) of the self-built or
// agent-developed app the client calls as, for the calls that name their
// app (application messages). A value <= 0 is reported by Client.AgentID.
// Given to NewSuite it is not used: each authorized corp's agent id comes
// from its authorization (Suite.AgentID).
func WithAgentID(agentID int) Option { return func(o *options) { o.agentID = agentID } }

// AgentID returns the agent id of the app the client calls as: the one
// given with WithAgentID, or, for a corp client of a Suite, the one WeCom
// assigned at installation (Suite.AgentID, which may call WeCom once).
// Without one it returns ErrNoAgentID.
func (c *Client) AgentID(ctx context.Context) (int, error) {
	if src := c.opts.agentSource; src != nil {
		return src(ctx)
	}
	switch id := c.opts.agentID; {
	case id > 0:
		return id, nil
	case id < 0:
		return 0, fmt.Errorf("wecom: WithAgentID(%d): an agent id is a positive number (the app's agentid in the admin console)", id)
	}
	return 0, ErrNoAgentID
}

// agentIDKey is where the agent id of corpID's installation is kept.
func (s *Suite) agentIDKey(corpID string) string {
	return "wecom:suite:" + s.id + ":corp:" + corpID + ":agentid"
}

// agentSource is the AgentID source of corpID's client.
func (s *Suite) agentSource(corpID string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) { return s.AgentID(ctx, corpID) }
}

// AgentID returns the agent id of the suite's app in corpID: the one kept in
// the Store, or else the first agent of service/v2/get_auth_info, which it
// then keeps (until the corp's permanent code changes or ForgetCorp). A
// corp whose authorization lists no agent (a contact-sync app, say) gets
// an error.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100795
func (s *Suite) AgentID(ctx context.Context, corpID string) (int, error) {
	v, ok, err := s.store.Get(ctx, s.agentIDKey(corpID))
	if err != nil {
		return 0, fmt.Errorf("wecom: suite %s: corp %s: read agent id: %w", s.id, corpID, err)
	}
	if ok {
		if id, err := strconv.Atoi(v); err == nil && id > 0 {
			return id, nil
		}
	}
	info, err := s.GetAuthInfo(ctx, corpID)
	if err != nil {
		return 0, err
	}
	if len(info.AuthInfo.Agent) == 0 || info.AuthInfo.Agent[0].AgentID <= 0 {
		return 0, fmt.Errorf("wecom: suite %s: corp %s: the authorization lists no app (auth_info.agent is empty): there is no agent id to send as", s.id, corpID)
	}
	id := info.AuthInfo.Agent[0].AgentID
	if err := s.SetAgentID(ctx, corpID, id); err != nil {
		s.logger.Warn("wecom: keeping the agent id failed; it is read again next time", "suite", s.id, "corp", corpID, "error", err)
	}
	return id, nil
}

// SetAgentID keeps agentID as the agent id of the suite's app in corpID,
// for an id known otherwise (the auth_info of the older
// service/get_permanent_code answer, or a migration).
func (s *Suite) SetAgentID(ctx context.Context, corpID string, agentID int) error {
	if corpID == "" || agentID <= 0 {
		return fmt.Errorf("wecom: suite %s: SetAgentID: a corp id and a positive agent id are required", s.id)
	}
	return s.store.Set(ctx, s.agentIDKey(corpID), strconv.Itoa(agentID), 0)
}

// forgetAgentID drops the kept agent id of corpID (a new permanent code may
// come with a new installation, and so a new agent id).
func (s *Suite) forgetAgentID(ctx context.Context, corpID string) {
	if err := s.store.Delete(ctx, s.agentIDKey(corpID)); err != nil {
		s.logger.Warn("wecom: dropping the kept agent id failed", "suite", s.id, "corp", corpID, "error", err)
	}
}
