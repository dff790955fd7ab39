package wecom_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestCorpErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.AddSuite("wwmsgsuite000001", "s")
	s := wecom.NewSuite("wwmsgsuite000001", "s", srv.SuiteOptions()...)
	ctx := t.Context()

	_, err := s.Corp("").AccessToken(ctx)
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized)
	assert.Contains(t, err.Error(), "empty corp id")
	assert.NotContains(t, err.Error(), "corp  ")

	require.NoError(t, s.SetPermanentCode(ctx, "wwgonecorp", "code"))
	require.NoError(t, s.ForgetCorp(ctx, "wwgonecorp")) // uninstalled
	_, err = s.Corp("wwgonecorp").AccessToken(ctx)
	require.ErrorIs(t, err, wecom.ErrCorpNotAuthorized)
	assert.Contains(t, err.Error(), "has not installed the app, or has removed it")
	assert.Contains(t, err.Error(), "once it installs")
	assert.NotContains(t, err.Error(), "call HandleCreateAuth")
}
