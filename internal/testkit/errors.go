package testkit

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// WantCode fails the test unless err is WeCom's errcode code
// (wecom.ErrorCode). code may be any integer type, so that typed code
// constants work as plain numbers do.
func WantCode[C ~int](t testing.TB, err error, code C) {
	t.Helper()
	require.Error(t, err, "want errcode %d", int(code))
	require.Equal(t, int(code), wecom.ErrorCode(err), "errcode of %v", err)
}

// WantInvalid fails the test unless err is a refusal of bad input before
// anything was sent: it matches sentinel, the package's ErrInvalidArgument.
func WantInvalid(t testing.TB, err, sentinel error) {
	t.Helper()
	require.Error(t, err, "want an error matching %v", sentinel)
	require.ErrorIs(t, err, sentinel)
}

// WantOutcomeUnknown fails the test unless err says a write may have
// reached WeCom and was not sent again (wecom.ErrOutcomeUnknown).
func WantOutcomeUnknown(t testing.TB, err error) {
	t.Helper()
	require.ErrorIs(t, err, wecom.ErrOutcomeUnknown)
}

// WantRateLimited fails the test unless err is a rate limit: WeCom's or
// the client's own limiter (wecom.IsRateLimited).
func WantRateLimited(t testing.TB, err error) {
	t.Helper()
	require.Error(t, err, "want a rate limit")
	require.True(t, wecom.IsRateLimited(err), "want a rate limit, got %v", err)
}
