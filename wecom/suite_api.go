package wecom

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

// Limits the docs state for authorization codes.
const (
	minAuthCodeLen = 64  // auth_code: 64 to 512 bytes
	maxAuthCodeLen = 512 //
)

// PreAuthCode is a pre-authorization code for the install link.
type PreAuthCode struct {
	PreAuthCode string `json:"pre_auth_code"` // up to 512 bytes
	ExpiresIn   int    `json:"expires_in"`    // seconds (1200 in the docs' example)
}

// GetPreAuthCode returns a pre-authorization code, which goes into the
// install link (https://open.work.weixin.qq.com/3rdapp/install?suite_id=...&pre_auth_code=...).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90601
func (s *Suite) GetPreAuthCode(ctx context.Context) (*PreAuthCode, error) {
	var out PreAuthCode
	if err := s.api.Get(ctx, "/cgi-bin/service/get_pre_auth_code", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuthType is the kind of authorization a pre-auth code allows.
type AuthType int

const (
	AuthTypeFormal AuthType = 0 // formal authorization (the default; released apps must use it)
	AuthTypeTest   AuthType = 1 // test authorization: lets an unreleased app be installed
)

// SessionInfo configures one authorization session.
type SessionInfo struct {
	// AppID lists the apps of a legacy multi-app suite to authorize; empty
	// means all of them.
	AppID []int `json:"appid,omitempty"`
	// AuthType is sent even when 0.
	AuthType AuthType `json:"auth_type"`
}

// SetSessionInfo configures the authorization session of preAuthCode, e.g.
// AuthTypeTest to install an app that is not released yet.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90602
func (s *Suite) SetSessionInfo(ctx context.Context, preAuthCode string, info SessionInfo) error {
	if preAuthCode == "" {
		return fmt.Errorf("wecom: set_session_info: empty pre_auth_code")
	}
	if info.AuthType != AuthTypeFormal && info.AuthType != AuthTypeTest {
		return fmt.Errorf("wecom: set_session_info: auth_type %d is neither 0 (formal) nor 1 (test)", info.AuthType)
	}
	body := struct {
		PreAuthCode string      `json:"pre_auth_code"`
		SessionInfo SessionInfo `json:"session_info"`
	}{preAuthCode, info}
	return s.api.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/service/set_session_info", Body: body, Op: OpIdempotent})
}

// CorpRef names a corp: a reseller (dealer_corp_info) or the authorizing
// corp in the v2 answers.
type CorpRef struct {
	CorpID   string `json:"corpid"`
	CorpName string `json:"corp_name"`
}

// CorpSubjectType is the legal form of an authorizing corp.
type CorpSubjectType int

const (
	CorpSubjectCompany     CorpSubjectType = 1 // company (企业)
	CorpSubjectInstitution CorpSubjectType = 2 // government or public institution
	CorpSubjectOther       CorpSubjectType = 3 // other organisation
	CorpSubjectTeam        CorpSubjectType = 4 // team (团队号)
)

// AuthCorpInfo describes the authorizing corp. The v2 permanent-code answer
// carries CorpID and CorpName only.
type AuthCorpInfo struct {
	CorpID            string          `json:"corpid"` // the provider-specific (encrypted) corp id for third-party apps
	CorpName          string          `json:"corp_name"`
	CorpType          string          `json:"corp_type"` // "verified" or "unverified"
	CorpSquareLogoURL string          `json:"corp_square_logo_url"`
	CorpUserMax       int             `json:"corp_user_max"`
	CorpFullName      string          `json:"corp_full_name"` // being phased out: equals corp_name
	VerifiedEndTime   UnixTime        `json:"verified_end_time"`
	SubjectType       CorpSubjectType `json:"subject_type"`
	CorpWxQRCode      string          `json:"corp_wxqrcode"` // v1 only
	CorpScale         string          `json:"corp_scale"`
	CorpIndustry      string          `json:"corp_industry"`
	CorpSubIndustry   string          `json:"corp_sub_industry"`
	CorpExName        *CorpExName     `json:"corp_ex_name,omitempty"` // v2 only
}

// CorpExName holds the corp's other names (v2 get_auth_info).
type CorpExName struct {
	NameList string `json:"name_list"`
}

// AuthUserInfo is the admin who installed the app; WeCom may leave it out
// or leave its fields empty.
type AuthUserInfo struct {
	UserID     string `json:"userid"`
	OpenUserID string `json:"open_userid"`
	Name       string `json:"name"`
	Avatar     string `json:"avatar"`
}

// RegisterCodeInfo is present for installs through a promotion QR code.
type RegisterCodeInfo struct {
	RegisterCode string `json:"register_code"`
	TemplateID   string `json:"template_id"`
	State        string `json:"state"`
}

// AuthMode is how an app was authorized.
type AuthMode int

const (
	AuthModeAdmin  AuthMode = 0 // authorized by an admin
	AuthModeMember AuthMode = 1 // member authorization (成员授权)
)

// PrivilegeLevel is an app's contacts permission level.
type PrivilegeLevel int

const (
	PrivilegeBasicRead       PrivilegeLevel = 1 // contacts: basic information, read
	PrivilegeAllRead         PrivilegeLevel = 2 // all information, read (deprecated)
	PrivilegeAllReadWrite    PrivilegeLevel = 3 // all information, read and write
	PrivilegeSingleBasicRead PrivilegeLevel = 4 // single-member basic information, read
	PrivilegeAllWriteOnly    PrivilegeLevel = 5 // all information, write only (deprecated)
)

// AgentPrivilege is an installed app's visibility and permissions.
type AgentPrivilege struct {
	Level      PrivilegeLevel `json:"level"`
	AllowParty []int          `json:"allow_party"`
	AllowUser  []string       `json:"allow_user"`
	AllowTag   []int          `json:"allow_tag"`
	ExtraParty []int          `json:"extra_party"`
	ExtraUser  []string       `json:"extra_user"`
	ExtraTag   []int          `json:"extra_tag"`
}

// ShareType is how a shared install came about.
type ShareType int

const (
	ShareTypeCorpInterconnect ShareType = 0 // 企业互联
	ShareTypeUpDownstream     ShareType = 1 // 上下游
)

// SharedFrom is set when the app was installed by sharing from another corp.
type SharedFrom struct {
	CorpID    string    `json:"corpid"`
	ShareType ShareType `json:"share_type"`
}

// AuthAgent is one installed app of the suite in the corp.
type AuthAgent struct {
	AgentID          int             `json:"agentid"`
	Name             string          `json:"name"`
	RoundLogoURL     string          `json:"round_logo_url"`
	SquareLogoURL    string          `json:"square_logo_url"`
	AppID            int             `json:"appid"` // legacy multi-app suites only
	AuthMode         AuthMode        `json:"auth_mode"`
	IsCustomizedApp  bool            `json:"is_customized_app"`  // true for agent-developed apps
	AuthFromThirdApp bool            `json:"auth_from_thirdapp"` // agent-developed app authorized through a third-party app link
	Privilege        *AgentPrivilege `json:"privilege,omitempty"`
	SharedFrom       *SharedFrom     `json:"shared_from,omitempty"`
}

// AuthAgents is the auth_info object. Agent is empty for contact-sync apps
// that have no app entity.
type AuthAgents struct {
	Agent []AuthAgent `json:"agent"`
}

// AppStatus is the payment state of a paid app.
type AppStatus int

const (
	AppStatusUnpaid           AppStatus = 0 // not paid
	AppStatusTrial            AppStatus = 1 // time-limited trial
	AppStatusTrialExpired     AppStatus = 2 // trial expired
	AppStatusPaid             AppStatus = 3 // paid edition, in term
	AppStatusPaidExpired      AppStatus = 4 // paid edition expired
	AppStatusUnlimitedTrial   AppStatus = 5 // trial without time limit
	AppStatusOverLimit        AppStatus = 6 // in term, more users than paid for, for under 7 days
	AppStatusOverLimitExpired AppStatus = 7 // in term, more users than paid for, for 7 days or more
)

// EditionAgent is the edition in force for one app of a paid suite.
type EditionAgent struct {
	AgentID               int       `json:"agentid"`
	EditionID             string    `json:"edition_id"`
	EditionName           string    `json:"edition_name"`
	AppStatus             AppStatus `json:"app_status"`
	UserLimit             int       `json:"user_limit"`
	ExpiredTime           UnixTime  `json:"expired_time"`
	IsVirtualVersion      bool      `json:"is_virtual_version"`
	IsSharedFromOtherCorp bool      `json:"is_shared_from_other_corp"`
}

// EditionInfo is present for apps with a payment policy.
type EditionInfo struct {
	Agent []EditionAgent `json:"agent"`
}

// PermanentCodeInfo is the answer of service/v2/get_permanent_code.
// PermanentCode is a secret (for an agent-developed app it is the app's
// secret): String and LogValue leave it out.
type PermanentCodeInfo struct {
	PermanentCode    string            `json:"permanent_code"`
	AuthCorpInfo     CorpRef           `json:"auth_corp_info"`
	AuthUserInfo     *AuthUserInfo     `json:"auth_user_info,omitempty"`
	RegisterCodeInfo *RegisterCodeInfo `json:"register_code_info,omitempty"`
	State            string            `json:"state"` // the state of the install link or QR code
}

// String describes the answer without the permanent code.
func (p *PermanentCodeInfo) String() string {
	return fmt.Sprintf("PermanentCodeInfo{corp %s %q, permanent code REDACTED, state %q}",
		p.AuthCorpInfo.CorpID, p.AuthCorpInfo.CorpName, p.State)
}

// LogValue keeps the permanent code out of logs.
func (p *PermanentCodeInfo) LogValue() slog.Value {
	return slog.GroupValue(slog.String("corpid", p.AuthCorpInfo.CorpID),
		slog.String("corp_name", p.AuthCorpInfo.CorpName), slog.String("state", p.State))
}

// PermanentCodeInfoV1 is the answer of the older service/get_permanent_code.
// AccessToken and ExpiresIn are absent for agent-developed apps.
// String and LogValue leave out the permanent code and the token.
type PermanentCodeInfoV1 struct {
	AccessToken      string            `json:"access_token"`
	ExpiresIn        int               `json:"expires_in"`
	PermanentCode    string            `json:"permanent_code"`
	DealerCorpInfo   *CorpRef          `json:"dealer_corp_info,omitempty"`
	AuthCorpInfo     AuthCorpInfo      `json:"auth_corp_info"`
	AuthInfo         AuthAgents        `json:"auth_info"`
	AuthUserInfo     *AuthUserInfo     `json:"auth_user_info,omitempty"`
	RegisterCodeInfo *RegisterCodeInfo `json:"register_code_info,omitempty"`
	State            string            `json:"state"`
	EditionInfo      *EditionInfo      `json:"edition_info,omitempty"`
}

// String describes the answer without secrets.
func (p *PermanentCodeInfoV1) String() string {
	return fmt.Sprintf("PermanentCodeInfoV1{corp %s %q, permanent code REDACTED, %d agents, state %q}",
		p.AuthCorpInfo.CorpID, p.AuthCorpInfo.CorpName, len(p.AuthInfo.Agent), p.State)
}

// LogValue keeps secrets out of logs.
func (p *PermanentCodeInfoV1) LogValue() slog.Value {
	return slog.GroupValue(slog.String("corpid", p.AuthCorpInfo.CorpID),
		slog.String("corp_name", p.AuthCorpInfo.CorpName), slog.String("state", p.State))
}

func checkAuthCode(authCode string) error {
	if n := len(authCode); n < minAuthCodeLen || n > maxAuthCodeLen {
		return fmt.Errorf("wecom: auth_code must be %d to %d bytes, got %d (a login code or a truncated value?)", minAuthCodeLen, maxAuthCodeLen, n)
	}
	return nil
}

// GetPermanentCode exchanges a temporary auth code (valid once, for 10
// minutes) for the corp's permanent code with service/v2/get_permanent_code,
// the faster endpoint the docs recommend during installation. It does not
// store the code: HandleCreateAuth does. The exchange is never re-sent after
// a failure that may have reached WeCom.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100776
func (s *Suite) GetPermanentCode(ctx context.Context, authCode string) (*PermanentCodeInfo, error) {
	if err := checkAuthCode(authCode); err != nil {
		return nil, err
	}
	var out PermanentCodeInfo
	err := s.api.Do(ctx, authCodeRequest("/cgi-bin/service/v2/get_permanent_code", authCode, &out))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetPermanentCodeV1 is the older, slower service/get_permanent_code, which
// also returns the authorization details and (third-party apps only) a corp
// access token. It does not store the code.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90603
func (s *Suite) GetPermanentCodeV1(ctx context.Context, authCode string) (*PermanentCodeInfoV1, error) {
	if err := checkAuthCode(authCode); err != nil {
		return nil, err
	}
	var out PermanentCodeInfoV1
	err := s.api.Do(ctx, authCodeRequest("/cgi-bin/service/get_permanent_code", authCode, &out))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type authCodeBody struct {
	AuthCode string `json:"auth_code"`
}

// authCodeRequest is the write exchanging an auth code (valid once) for a
// permanent code: the code goes below resty (wireBody), which sees "{}".
func authCodeRequest(path, authCode string, out any) *Request {
	return &Request{Method: http.MethodPost, Path: path, Body: struct{}{}, wireBody: authCodeBody{authCode}, Out: out, Op: OpWrite}
}

type corpCodeBody struct {
	AuthCorpID    string `json:"auth_corpid"`
	PermanentCode string `json:"permanent_code"`
}

// corpIDBody is what resty sees of a corpCodeBody: the permanent code is
// added below it (wireBody).
type corpIDBody struct {
	AuthCorpID string `json:"auth_corpid"`
}

// suiteIDBody is what resty sees of get_suite_token's body.
type suiteIDBody struct {
	SuiteID string `json:"suite_id"`
}

// AuthInfo is a corp's authorization of the suite.
type AuthInfo struct {
	DealerCorpInfo *CorpRef     `json:"dealer_corp_info,omitempty"` // reseller, if the app was sold through one
	AuthCorpInfo   AuthCorpInfo `json:"auth_corp_info"`
	AuthInfo       AuthAgents   `json:"auth_info"`
	EditionInfo    *EditionInfo `json:"edition_info,omitempty"` // apps with a payment policy
}

// GetAuthInfo returns a corp's authorization with service/v2/get_auth_info,
// using the stored permanent code.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100795
func (s *Suite) GetAuthInfo(ctx context.Context, corpID string) (*AuthInfo, error) {
	return s.authInfo(ctx, corpID, "/cgi-bin/service/v2/get_auth_info")
}

// GetAuthInfoV1 is GetAuthInfo through the older service/get_auth_info.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90604
func (s *Suite) GetAuthInfoV1(ctx context.Context, corpID string) (*AuthInfo, error) {
	return s.authInfo(ctx, corpID, "/cgi-bin/service/get_auth_info")
}

func (s *Suite) authInfo(ctx context.Context, corpID, path string) (*AuthInfo, error) {
	code, err := s.permanentCode(ctx, corpID)
	if err != nil {
		return nil, err
	}
	var out AuthInfo
	err = s.api.Do(ctx, &Request{Method: http.MethodPost, Path: path, Body: corpIDBody{corpID},
		wireBody: corpCodeBody{corpID, code}, Out: &out, Op: OpRead})
	if ErrorCode(err) == CodeInvalidPermanentCode {
		return nil, &corpAuthError{suite: s.id, corp: corpID, err: err}
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// AdminAuthType is what an app admin may do with the app.
type AdminAuthType int

const (
	AdminMayMessage AdminAuthType = 0 // may send messages
	AdminMayManage  AdminAuthType = 1 // may manage the app
)

// AppAdmin is an admin of the app in the authorizing corp.
type AppAdmin struct {
	UserID     string        `json:"userid"`
	OpenUserID string        `json:"open_userid"` // legacy service/get_admin_list only
	AuthType   AdminAuthType `json:"auth_type"`
}

// ListAdmins returns the app's admins in corpID (external admins
// excluded) through the legacy suite-token endpoint service/get_admin_list,
// which WeCom no longer maintains: prefer Client.ListAdmins on Corp(corpID).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90606
func (s *Suite) ListAdmins(ctx context.Context, corpID string, agentID int) ([]AppAdmin, error) {
	if corpID == "" || agentID == 0 {
		return nil, fmt.Errorf("wecom: get_admin_list: corp id and agentid are required")
	}
	body := struct {
		AuthCorpID string `json:"auth_corpid"`
		AgentID    int    `json:"agentid"`
	}{corpID, agentID}
	var out struct {
		Admin []AppAdmin `json:"admin"`
	}
	if err := s.api.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/service/get_admin_list", Body: body, Out: &out, Op: OpRead}); err != nil {
		return nil, err
	}
	return out.Admin, nil
}

// ListAdmins returns the admins of the app that c acts as (a third-party
// app's corp client from Suite.Corp, or an agent-developed app's client)
// with agent/get_admin_list. Under member authorization the list is empty.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100072
func (c *Client) ListAdmins(ctx context.Context) ([]AppAdmin, error) {
	var out struct {
		Admin []AppAdmin `json:"admin"`
	}
	if err := c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/agent/get_admin_list", Out: &out, Op: OpRead}); err != nil {
		return nil, err
	}
	return out.Admin, nil
}

// UnionIDToExternalUserID3rdRequest asks for the external_userids of a
// WeChat user who uses the provider's mini program or official account.
type UnionIDToExternalUserID3rdRequest struct {
	UnionID string `json:"unionid"` // required
	OpenID  string `json:"openid"`  // required; from the same mini program / official account
	// CorpID limits the answer to one authorizing corp; WeCom asks for it
	// whenever it is known (it is faster) and requires it for customer
	// groups. Empty searches every corp that authorized the suite.
	CorpID string `json:"corpid,omitempty"`
}

// CorpExternalUserID is a customer's external_userid in one corp.
type CorpExternalUserID struct {
	CorpID         string `json:"corpid"`
	ExternalUserID string `json:"external_userid"`
}

// UnionIDToExternalUserID3rd converts a WeChat unionid and openid of the
// provider's own subject into the external_userids the suite sees, one per
// corp where the user is a customer (or parent, or in a customer group). It
// is a suite_access_token call. WeCom allows 50,000 calls an hour and
// 240,000 a day per provider and wants them triggered by the user, never
// run in bulk. (The conversions made with a corp's token are in package
// idconvert.)
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95878
func (s *Suite) UnionIDToExternalUserID3rd(ctx context.Context, req *UnionIDToExternalUserID3rdRequest) ([]CorpExternalUserID, error) {
	if req == nil {
		return nil, fmt.Errorf("wecom: unionid_to_external_userid_3rd: nil request")
	}
	if req.UnionID == "" || req.OpenID == "" {
		return nil, fmt.Errorf("wecom: unionid_to_external_userid_3rd: unionid and openid are both required")
	}
	var out struct {
		Info []CorpExternalUserID `json:"external_userid_info"`
	}
	err := s.api.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/service/externalcontact/unionid_to_external_userid_3rd", Body: req, Out: &out, Op: OpRead})
	if err != nil {
		return nil, err
	}
	return out.Info, nil
}
