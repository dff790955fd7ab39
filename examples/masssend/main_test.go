package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }), out.String())
	s := out.String()
	for _, want := range []string{
		"started the fake WeCom", "3 members with customer contact", "reused: true",
		"3 tasks for 3 members", "2 of 3 members sent their part",
		"30 recipients: 20 sent, 10 unsent, 0 not friends, 0 over quota; 2 members sent",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "FAILED", "a step failed")
	assert.Equal(t, 7, strings.Count(s, "\n"), "one line per step:\n%s", s)
}

func TestRunNeedsTagForARealCorp(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s"}
	var out bytes.Buffer
	err := run(context.Background(), &out, func(k string) string { return env[k] })
	require.Error(t, err, out.String())
	require.Contains(t, out.String(), "WECOM_MASSSEND_TAG_ID", "err = %v", err)
}

func TestRunFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1",
		"WECOM_MASSSEND_TAG_ID": "et1"}
	var out bytes.Buffer
	require.Error(t, run(context.Background(), &out, func(k string) string { return env[k] }),
		"run succeeded against a closed port:\n%s", out.String())
	assert.Contains(t, out.String(), "FAILED", "no failed step printed")
}
