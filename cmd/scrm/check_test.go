package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// selfBuilt is the environment of the fake's default corp.
func selfBuilt(srv *wecomtest.Server) env {
	return env{"WECOM_BASE_URL": srv.URL, "WECOM_CORP_ID": srv.CorpID, "WECOM_CORP_SECRET": srv.Secret}
}

func TestCheckPassesWithGoodCredentials(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan", "lisi"))

	r := scrm(t, selfBuilt(srv), "", "check", "--contact")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "Checking the self-built app in corp "+srv.CorpID)
	assert.Regexp(t, `access token \(gettoken\) \.+ ok`, r.stdout)
	assert.Regexp(t, `get_api_domain_ip\) \.+ ok: 2 address ranges`, r.stdout)
	assert.Regexp(t, `get_follow_user_list\) \.+ ok: 2 members with customer contact`, r.stdout)
	assert.Contains(t, r.stdout, "These credentials work from this machine.")
	assert.NotContains(t, r.stdout+r.stderr, srv.Secret)
	assert.Equal(t, 1, srv.Count("get_api_domain_ip"))
}

func TestCheckExplainsAWrongSecret(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	e := selfBuilt(srv)
	e["WECOM_CORP_SECRET"] = "not-the-secret"

	r := scrm(t, e, "", "check")
	assert.Equal(t, exitFailed, r.code)
	assert.Regexp(t, `access token \(gettoken\) \.+ failed: errcode 40001`, r.stdout)
	assert.Contains(t, r.stdout, "WeCom does not accept the secret for corp "+srv.CorpID)
	assert.Contains(t, r.stdout, "应用管理 → the app → Secret")
	assert.Contains(t, r.stdout, "客户与上下游 → 客户联系 → API → Secret")
	assert.NotContains(t, r.stdout+r.stderr, "not-the-secret")
	assert.Zero(t, srv.Count("get_api_domain_ip"), "the check stops at the first failure")
}

func TestCheckExplainsAnUntrustedIPAndNamesIt(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.Fail("/cgi-bin/get_api_domain_ip", wecomtest.Fault{Errcode: 60020,
		Errmsg: "not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020"})

	r := scrm(t, selfBuilt(srv), "", "check")
	assert.Equal(t, exitFailed, r.code)
	assert.Regexp(t, `get_api_domain_ip\) \.+ failed: errcode 60020`, r.stdout)
	assert.Contains(t, r.stdout, "企业可信IP")
	assert.Contains(t, r.stdout, "WeCom saw the call come from 203.0.113.7")
}

func TestCheckSaysWhenWeComDoesNotNameTheIP(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.Fail("/cgi-bin/gettoken", wecomtest.Fault{Errcode: 60020, Errmsg: "not allow to access from your ip"})
	r := scrm(t, selfBuilt(srv), "", "check")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stdout, "WeCom did not say which address it saw")
}

func TestCheckExplainsAMissingPermission(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.Fail("/cgi-bin/externalcontact/get_follow_user_list", wecomtest.Fault{Errcode: 48002, Errmsg: "api forbidden"})

	r := scrm(t, selfBuilt(srv), "", "check", "--contact")
	assert.Equal(t, exitFailed, r.code)
	assert.Regexp(t, `get_follow_user_list\) \.+ failed: errcode 48002`, r.stdout)
	assert.Contains(t, r.stdout, "可调用接口的应用")
}

func TestCheckSuites(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	t.Run("third-party", func(t *testing.T) {
		t.Parallel()
		su := srv.AddSuite("wwsuite0001", "suite-secret")
		e := env{"WECOM_BASE_URL": srv.URL, "WECOM_SUITE_ID": su.ID(), "WECOM_SUITE_SECRET": "suite-secret",
			"WECOM_SUITE_TICKET": su.IssueTicket(), "WECOM_CORP_ID": "wwcustomer01", "WECOM_PERMANENT_CODE": su.Authorize("wwcustomer01")}
		r := scrm(t, e, "", "check")
		require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
		assert.Contains(t, r.stdout, "third-party app (第三方应用) of suite wwsuite0001 in corp wwcustomer01")
		assert.Regexp(t, `suite token \(service/get_suite_token\) \.+ ok`, r.stdout)
		assert.Regexp(t, `corp token \(service/get_corp_token\) \.+ ok`, r.stdout)

		e["WECOM_SUITE_TICKET"] = "stale-ticket"
		r = scrm(t, e, "", "check")
		assert.Equal(t, exitFailed, r.code)
		assert.Contains(t, r.stdout, "errcode 40085")
		assert.Contains(t, r.stdout, "刷新Ticket")
		assert.NotContains(t, r.stdout+r.stderr, "stale-ticket")
	})
	t.Run("agent-developed", func(t *testing.T) {
		t.Parallel()
		su := srv.AddSuite("dktemplate01", "template-secret")
		e := env{"WECOM_BASE_URL": srv.URL, "WECOM_SUITE_ID": su.ID(), "WECOM_CORP_ID": "wwcustomer02",
			"WECOM_PERMANENT_CODE": su.Authorize("wwcustomer02")}
		r := scrm(t, e, "", "check")
		require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
		assert.Regexp(t, `corp token \(gettoken with the permanent code\) \.+ ok`, r.stdout)
		assert.NotContains(t, r.stdout, "suite token", "an agent-developed app's corp token needs no suite token")
	})
	t.Run("incomplete", func(t *testing.T) {
		t.Parallel()
		r := scrm(t, env{"WECOM_SUITE_ID": "wwsuite0001", "WECOM_CORP_ID": "ww1"}, "", "check")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "--permanent-code ($WECOM_PERMANENT_CODE), --suite-secret ($WECOM_SUITE_SECRET), --suite-ticket ($WECOM_SUITE_TICKET)")
	})
}

func TestCallerIP(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		"not allow to access from your ip, hint: [x], from ip: 203.0.113.7, more info at https://...": "203.0.113.7",
		"from ip:2001:db8::1, more info":   "2001:db8::1",
		"not allow to access from your ip": "",
	} {
		assert.Equal(t, want, callerIP(msg), msg)
	}
}
