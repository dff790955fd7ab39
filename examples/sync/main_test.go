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
	for _, want := range []string{"10000 customers over 8 members", "then stopped", "sync complete", "10000 records", "none lost or repeated"} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "FAILED", "a step failed")
}

func TestRunFailsWithoutServer(t *testing.T) {
	env := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECRET": "s", "WECOM_BASE_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.Error(t, run(ctx, &out, func(k string) string { return env[k] }),
		"run succeeded against a closed port:\n%s", out.String())
	assert.Contains(t, out.String(), "FAILED", "no failed step printed")
}
