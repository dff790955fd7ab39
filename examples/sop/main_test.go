package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Two weeks of SOP on the fake: every step runs once on its day, each
// member's part is followed and chased, the pool reassigns, and the final
// steps check it all in the fake (they fail the run otherwise).
func TestRunsWithoutCredentials(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }), out.String())
	text := out.String()
	for _, want := range []string{
		"started the fake WeCom",
		"owners: zhangsan 3, lisi 3, wangwu 3, zhaoliu 3; customer 7 added zhangsan too; 13 relations tagged by channel",
		"3 joined VIP俱乐部, 2 tagged 社群",
		"高价值 3, 活跃 3, 沉睡 4, 服务跟进 2",
		"4 plans, 12 steps over 12 days: 8 群发, 2 群群发, 2 朋友圈",
		// day 1: wangwu is reminded by WeCom 3 times, then by app message
		"ran 高价值/D1 感谢信, 服务跟进/D1 回访问候; on time zhangsan, zhaoliu; after a reminder lisi; reminded 4× by WeCom, 1× by app message",
		// Moments have no WeCom reminder
		"ran 高价值/D3 新品预览; on time zhangsan; reminded 0× by WeCom, 4× by app message",
		"zhaoliu resigned; pool:",
		"1 group(s) inherited",
		"customer 12 bought: now 活跃",
		"deleted lisi;",
		"deleted by wangwu; pool:",
		"nothing due",
		"zhangsan 9/9 · lisi 6/6 · wangwu 0/5 · zhaoliu 4/4",
		"19 WeCom reminders over 7 mass sends, never a 4th in 24 h; wangwu got 9 application messages",
		"zhaoliu's 3 customers taken over (transfer done)",
		"told by app message; customer 7 stays with zhangsan",
		"11 relations, each tagged with its layer only (customer 12 now 活跃)",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "FAILED")
	assert.Equal(t, 26, strings.Count(text, "\n"), "one line per step:\n%s", text)
	for day := range 14 {
		assert.Contains(t, text, dayName(day))
	}
}

// Against a server the environment names, the program makes the taxonomy
// and the codes, prints the plans, sends nothing, and retires the codes.
func TestRunAgainstAServerNamedByTheEnvironment(t *testing.T) {
	t.Parallel()
	fake := wecomtest.NewServer(t)
	require.NoError(t, fake.Corp(fake.CorpID).AddStaff("zhangsan"))
	env := map[string]string{"WECOM_CORP_ID": fake.CorpID, "WECOM_CORP_SECRET": wecomtest.DefaultSecret, "WECOM_BASE_URL": fake.URL}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(k string) string { return env[k] }), out.String())
	text := out.String()
	assert.Contains(t, text, "corp "+fake.CorpID)
	assert.Contains(t, text, "(not run against a real corp)")
	assert.Contains(t, text, "2 code(s) deleted")
	assert.Equal(t, 5, strings.Count(text, "\n"), text)
	assert.Zero(t, fake.Count("externalcontact/add_msg_template"))
	assert.Zero(t, fake.Count("externalcontact/add_moment_task"))
	assert.Equal(t, 2, fake.Count("externalcontact/del_contact_way"))
}

func TestRunFailsWithoutServer(t *testing.T) {
	t.Parallel()
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	require.Error(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "FAILED")
}
