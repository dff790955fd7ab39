package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/scrmkit/scrm/wecom"
)

// fromIP finds the caller's address in an errmsg: WeCom appends
// "from ip: 203.0.113.7" to 60020 (and to other answers).
var fromIP = regexp.MustCompile(`from ip:\s*([0-9A-Fa-f.:]+[0-9A-Fa-f])`)

// callerIP returns the address WeCom says the call came from, if it says.
func callerIP(msg string) string {
	if m := fromIP.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

// explain says in plain words what a failure of the call to path means for
// the app c names and what to do about it. It never repeats a secret: it
// works from the errcode, the errmsg (which WeCom writes without the
// secrets) and the non-secret settings.
func explain(err error, c *creds, path string) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "The call did not finish in time (or was stopped). WeCom's API answers within a second or two: " +
			"check that this machine reaches " + c.base() + " (firewall, proxy, DNS), or give a longer --timeout."
	}
	var werr *wecom.Error
	if !errors.As(err, &werr) {
		var herr *wecom.HTTPError
		if errors.As(err, &herr) {
			return fmt.Sprintf("%s answered HTTP %d instead of WeCom's JSON: a proxy or gateway between here and WeCom "+
				"is in the way, or --base-url is not WeCom's API.", c.base(), herr.StatusCode)
		}
		var nerr net.Error
		var derr *net.DNSError
		if errors.As(err, &derr) || errors.As(err, &nerr) || strings.Contains(err.Error(), "connection refused") {
			return "This machine cannot reach " + c.base() + ": check its DNS, firewall and proxy settings " +
				"(HTTPS_PROXY), and that outbound HTTPS to it is allowed."
		}
		return ""
	}
	ip := callerIP(werr.Msg)
	switch werr.Code {
	case wecom.CodeInvalidSecret: // 40001
		if c.isSuite() {
			return "WeCom does not accept the permanent code as the app's secret in corp " + c.corpID + ". " +
				"For an agent-developed app (代开发) the permanent code is the app's secret: use the newest one " +
				"(a reset_permanent_code push replaces it), for the corp it was issued for."
		}
		return "WeCom does not accept the secret for corp " + c.corpID + ". Copy it again from the admin console " +
			"(管理后台, work.weixin.qq.com): for an app, 应用管理 → the app → Secret → 查看 (it is sent to the " +
			"admin's WeCom); for customer contact, 客户与上下游 → 客户联系 → API → Secret. A secret that was reset " +
			"(重置) stops working, and so does a disabled app's. Check also that the corp id is this corp's " +
			"(我的企业 → 企业信息 → 企业ID)."
	case wecom.CodeInvalidCorpID, 40091: // 40013, secret of another corp
		return "WeCom does not know the corp id, or the secret belongs to another corp. Copy the corp id from " +
			"the admin console: 我的企业 → 企业信息 → 企业ID (it starts with \"ww\" or \"wx\")."
	case wecom.CodeIPNotAllowed: // 60020
		where := "the app's trusted IP list: admin console → 应用管理 → the app → 企业可信IP → 配置"
		if c.isSuite() {
			where = "the app's IP whitelist in the provider console (服务商管理后台 → 应用管理 → the app → IP白名单)"
		}
		saw := "WeCom did not say which address it saw; the machine's public (egress) address is the one to add, " +
			"as seen from the internet, behind any NAT or proxy."
		if ip != "" {
			saw = "WeCom saw the call come from " + ip + ": add that address (this machine's egress IP, behind " +
				"any NAT or proxy)."
		}
		return "WeCom refused the call because it came from an address that is not on " + where + ". " + saw +
			" The change takes about a minute to apply."
	case wecom.CodeAPIForbidden, 48001: // 48002 API forbidden, 48001 API unauthorized
		return forbidden(c, path)
	case wecom.CodeNoContactPrivilege: // 60011
		return "The app may not see the member, department or tag the call named: add them to the app's " +
			"visible range (可见范围: admin console → 应用管理 → the app → 可见范围)."
	case 60021:
		return "The member is outside the app's visible range: add them (admin console → 应用管理 → the app → 可见范围)."
	case wecom.CodeAgentNotAllowed: // 301002
		return "The access token's app may not act for the agent id given: use the app's own AgentId " +
			"(应用管理 → the app → AgentId) with its own secret."
	case wecom.CodeNoInteropLicense: // 701008
		return "The members named have no interop licence (互通许可): buy or assign licences in the admin console " +
			"(我的企业 → 服务与账号 → 接口许可)."
	case wecom.CodeInvalidSuiteTicket: // 40085
		return "WeCom does not accept the suite_ticket: it lives 30 minutes and a newer one is pushed to the " +
			"command URL every 10 minutes. Use the newest one, or push one now from the provider console " +
			"(应用管理 → the app → 回调配置 → 刷新Ticket)."
	case 40083:
		return "WeCom does not know the suite id: copy it from the provider console (应用管理 → the app → SuiteID)."
	case wecom.CodeInvalidSuiteToken, wecom.CodeSuiteTokenExpired:
		return "WeCom did not accept the suite_access_token: the suite id, secret or ticket is wrong, or the " +
			"suite secret was reset in the provider console."
	case wecom.CodeInvalidPermanentCode: // 40084
		return "WeCom does not accept the permanent code for corp " + c.corpID + ": the corp may have cancelled the " +
			"authorization, the code may belong to another suite, or (代开发) a reset replaced it. Use the code " +
			"get_permanent_code returned for this corp and suite."
	case wecom.CodeFreqOutOfLimit, wecom.CodeMinuteQuota, wecom.CodeConcurrencyLimit:
		return "WeCom's frequency limit was hit (per corp and API, per IP, or concurrency): wait for the window " +
			"to pass (a minute, or an hour) and check what else calls WeCom with these credentials. Repeated " +
			"gettoken calls with a wrong secret can block the IP for an hour."
	case wecom.CodeSystemBusy:
		return "WeCom was busy: try again in a moment."
	case wecom.CodeInvalidAccessToken, wecom.CodeAccessTokenExpired:
		return "WeCom did not accept the access token although it was just fetched: another process may be " +
			"resetting the secret, or --base-url points at a server that issues tokens of its own."
	}
	return fmt.Sprintf("WeCom answered errcode %d (%s). Its page on the code: "+
		"https://open.work.weixin.qq.com/devtool/query?e=%d", werr.Code, werr.Msg, werr.Code)
}

// forbidden explains 48001/48002 for the API at path.
func forbidden(c *creds, path string) string {
	contact := strings.Contains(path, "externalcontact")
	switch {
	case strings.HasPrefix(c.suiteID, "dk"):
		s := "The agent-developed app (代开发) may not call " + path + "."
		if contact {
			s += " Enable the customer-contact permission (客户联系) in the template's permissions in the provider " +
				"console, and have the corp's admin approve it."
		}
		return s + " Its corp tokens must come from gettoken with the permanent code as secret (not get_corp_token)."
	case c.isSuite():
		s := "The third-party app may not call " + path + "."
		if contact {
			return s + " Add the customer-contact permission (企业客户权限 → 客户基础信息) to the app in the provider " +
				"console, release the new version, and have each corp's admin approve the change (授权变更)."
		}
		return s + " Add the permission the API needs in the provider console (应用管理 → the app → 权限), release, " +
			"and have the corp's admin approve it."
	case contact:
		return "The app whose secret this is may not call the customer-contact API " + path + ". In the admin " +
			"console, 客户与上下游 → 客户联系 → API → 可调用接口的应用, add the app (or use the customer-contact " +
			"Secret shown there), and make sure the members are in the customer-contact range (使用范围)."
	default:
		return "The app whose secret this is may not call " + path + ": grant the app the API's permission in the " +
			"admin console (应用管理 → the app), or use the secret of an app that has it."
	}
}

func (c *creds) base() string {
	if c.baseURL != "" {
		return c.baseURL
	}
	return wecom.DefaultBaseURL
}
