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
		"auto_create_room true",
		`WeCom opened "Spring fair 2" when the first group was full`,
		`customers came with state "spring-fair"`,
		"groupchat/get calls: 0",
		"the group was read again",
		"2 of 2 group(s) handed to lisi",
		"2 group(s) owned by lisi in the tracker",
		": 1 groups, 1 members, 1 new members",
		"deleted ",
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
