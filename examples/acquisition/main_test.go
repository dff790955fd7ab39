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
		"3 channels, 3 links listed for this app",
		"4 add_external_contact;",
		"douyin-ad-7: 2, spring-fair: 1, 朋友圈广告: 1",
		"balance_low received; 19 units left",
		"zhangsan received 3 messages from a customer of douyin-ad-7",
		"douyin-ad-7: 2 (1 chatting)",
		"douyin-ad-7: 2 tapped, 2 added",
		"1 unit(s) expire on",
		"48002 for a plain app; as a marketing app: zhangsan, lisi",
		"retired 3 channels, their links deleted",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "FAILED")
	assert.Equal(t, 16, strings.Count(text, "\n"), "one line per step:\n%s", text)
}

func TestFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.Error(t, run(ctx, &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "FAILED")
}
