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

// Two weeks of growth on the fake: the quota events acted on, the
// retention plan done, and the funnel per channel as planned and as the
// fake holds it (those steps fail the run otherwise).
func TestRunsWithoutCredentials(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }), out.String())
	text := out.String()
	for _, want := range []string{
		"started the fake WeCom",
		"balance 25 of 25; WeCom warns below 20",
		"地铁海报 → cw", "3 fallback codes",
		"8 welcome rules",
		"→ 14 added, 7 wrote; balance_low acted on",
		"link_unavailable acted on",
		"→ 10 added (2 by fallback code), 5 wrote; balance_exhausted acted on; balance_increased acted on",
		"ran D4 朋友圈：用户故事, every member did their part",
		"a 抖音信息流 customer deleted",
		"lisi deleted a 公众号菜单 customer",
		"quiet",
		"balance_low, link_unavailable, balance_exhausted, balance_increased, balance_low; the admin got 5 messages",
		"小红书笔记's link replaced, state ch",
		"4 steps done by every member; weekly sends delivered 69 times; each of the 33 customers still here got both",
		"抖音信息流: opened 13 → added 15 (2 by fallback code) → wrote 9 → retained 7 d 13/15",
		"小红书笔记: opened 8 → added 8 → wrote 6 → retained 7 d 8/8",
		"公众号菜单: opened 6 → added 6 → wrote 4 → retained 7 d 5/6",
		"地铁海报: opened – → added 5 → wrote – → retained 7 d 5/5",
		"门店海报: opened – → added 4 → wrote – → retained 7 d 3/4",
		"38 adds: 33 customers still here, 5 deletes logged; each got their channel's welcome; 18 units left after 27 link adds",
		"8 links and codes deleted",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "FAILED")
	assert.Equal(t, 26, strings.Count(text, "\n"), "one line per step:\n%s", text)
}

// Against a server the environment names, the program reads the quota,
// makes and retires the links and codes, and sends nothing.
func TestRunAgainstAServerNamedByTheEnvironment(t *testing.T) {
	t.Parallel()
	fake := wecomtest.NewServer(t)
	require.NoError(t, fake.Corp(fake.CorpID).AddStaff("zhangsan", "lisi", "wangwu"))
	env := map[string]string{"WECOM_CORP_ID": fake.CorpID, "WECOM_CORP_SECRET": wecomtest.DefaultSecret, "WECOM_BASE_URL": fake.URL}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(k string) string { return env[k] }), out.String())
	text := out.String()
	assert.Contains(t, text, "corp "+fake.CorpID)
	assert.Contains(t, text, "balance 0 of 0")
	assert.Contains(t, text, "8 links and codes deleted")
	assert.Equal(t, 5, strings.Count(text, "\n"), text)
	assert.Equal(t, 3, fake.Count("externalcontact/customer_acquisition/delete_link"))
	assert.Zero(t, fake.Count("externalcontact/add_msg_template"))
}

func TestRunFailsWithoutServer(t *testing.T) {
	t.Parallel()
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	require.Error(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "FAILED")
}
