package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstartRunsWithoutCredentials(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }), out.String())
	text := out.String()
	for _, want := range []string{
		"started the fake WeCom", "fetch access token",
		"group 来源 with 2 tag(s), 2 created",
		", state cw", "welcome code present: true",
		`by the channel rule of "quickstart-ad-1": "Hi `,
		`came through channel "quickstart-ad-1", remark "quickstart-ad-1"`,
		"tag 来源/朋友圈广告 is on the customer",
		"5 customers came through the channel, each welcomed and tagged",
		"1 task(s) for 2 member(s)",
		"5 recipient(s): 5 sent, 0 unsent",
		`5 customer record(s), 5 through channel "quickstart-ad-1"`,
		"succeeded after 3 attempts", "gettoken called 2 times",
		"its state still resolves",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "FAILED", "a step failed")
}

func TestQuickstartFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	require.Error(t, run(t.Context(), &out, func(k string) string { return env[k] }),
		"run succeeded against a closed port:\n%s", out.String())
	assert.Contains(t, out.String(), "FAILED", "no failed step printed")
}
