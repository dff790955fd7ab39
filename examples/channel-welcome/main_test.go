package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }), out.String())
	s := out.String()
	for _, want := range []string{
		"started the fake WeCom",
		"3 tag(s) created; applied again: 0 created",
		`"X: spring poster" → state cw`,
		"add_external_contact pushed with state cw",
		`rule channel "X: spring poster"`,
		`thanks for scanning our spring poster! 20% off this week." + link`,
		"tags scrmkit 来源/海报, remark",
		`through "X: spring poster group"; tagged 1 tag(s); 1 joiner(s) of the channel tracked`,
		"3 code(s) deleted",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "FAILED", "a step failed")
}

func TestRunFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	require.Error(t, run(context.Background(), &out, func(k string) string { return env[k] }),
		"run succeeded against a closed port:\n%s", out.String())
	assert.Contains(t, out.String(), "FAILED", "no failed step printed")
}
