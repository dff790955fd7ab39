package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The demo runs with no credentials: against the fake WeCom and miniredis,
// or the Redis at REDIS_ADDR when it is set (as CI does). The receiver
// stores the customers' pushes and runs none; the worker, started after,
// runs each once.
func TestRunsWithoutCredentials(t *testing.T) {
	getenv := func(k string) string {
		if k == "REDIS_ADDR" {
			return os.Getenv(k)
		}
		return ""
	}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, getenv), out.String())
	text := out.String()
	for _, want := range []string{
		"started the fake WeCom",
		"start a receiver (HTTP; stores, runs none)   ok  callback URL http://127.0.0.1:",
		`3 pushes answered "success"; 3 waiting in Redis, none run yet`,
		"start a worker (no HTTP)                     ok  queue contacts, 4 workers",
		"read 3 new customers from WeCom, each once; the queue is empty",
		"receiver and worker closed",
	} {
		assert.Contains(t, text, want)
	}
	if os.Getenv("REDIS_ADDR") == "" {
		assert.Contains(t, text, "no REDIS_ADDR: an in-process miniredis")
	}
	assert.NotContains(t, text, "FAILED")
	assert.Equal(t, 8, strings.Count(text, "\n"), "one line per step:\n%s", text)
}

// A role run on its own needs the shared Redis, and a worker WeCom's
// credentials.
func TestRolesNeedTheirSettings(t *testing.T) {
	none := func(string) string { return "" }
	require.ErrorContains(t, serve(t.Context(), "receiver", ":0", none), "REDIS_ADDR")
	redisOnly := func(k string) string {
		if k == "REDIS_ADDR" {
			return "127.0.0.1:1"
		}
		return ""
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.Error(t, serve(ctx, "worker", ":0", redisOnly), "nothing listens at 127.0.0.1:1")
}
