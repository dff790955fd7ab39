package wecomtest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// fidPost posts body to path with the default corp's app and returns the
// errcode of the answer (0 for success) and decodes it into out.
func fidPost(t *testing.T, srv *wecomtest.Server, path string, body, out any) int {
	t.Helper()
	return wecom.ErrorCode(srv.Client().Post(t.Context(), path, body, out))
}

// The Moments text is checked in characters and in bytes (96351: at most
// 2000 characters and 4000 bytes).
func TestFidelityMomentTextIsCheckedInBytesToo(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	const path = "/cgi-bin/externalcontact/add_moment_task"
	post := func(text string) int {
		return fidPost(t, srv, path, map[string]any{"text": map[string]any{"content": text}}, nil)
	}
	assert.Equal(t, 40058, post(strings.Repeat("字", 2000)), "2000 characters, 6000 bytes")
	assert.Equal(t, 40058, post(strings.Repeat("x", 2001)), "2001 characters")
	assert.Equal(t, 0, post(strings.Repeat("字", 1333)), "1333 characters, 3999 bytes")
	assert.Equal(t, 0, post(strings.Repeat("x", 2000)))
	require.Equal(t, 4, srv.Count(path))
}
