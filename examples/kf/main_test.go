package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunsWithoutCredentials(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }), out.String())
	text := out.String()
	for _, want := range []string{
		"started the fake WeCom",
		"account 售后客服, servicer zhangsan",
		"1 account(s); 售后客服 has 1 servicer(s)",
		"group 售后 with 3 questions",
		"3 question(s) the bot answers",
		"scene help_center, scene_param page=refund",
		"welcome menu with 4 items sent within the code's 20 s",
		"「请问怎么退货」→ 7 天内可在「我的订单」申请退货",
		"menu item 「什么时候发货？」→ 付款后 24 小时内发货",
		"session bot → servicer (zhangsan); notice 「已为您转接人工客服，请稍候」",
		"came from help_center (page=refund); with zhangsan (servicer); 4 messages delivered once, 2 answers, 5 sends left in the window",
		"session ended, survey sent",
		"group 售后 and account 售后客服 deleted",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "FAILED")
	assert.Equal(t, 14, strings.Count(text, "\n"), "one line per step:\n%s", text)
}

func TestFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.Error(t, run(ctx, &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "FAILED")
}
