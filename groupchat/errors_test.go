package groupchat_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// AddJoinWay fails with a *wecom.MaybeCreatedError when its answer is lost:
// sent once, never re-sent, with a window on the client's clock and a hint
// saying how to look. A definite refusal is no such error.
func TestAddJoinWayMayHaveLandedSaysWhereToLook(t *testing.T) {
	t.Parallel()
	const path = "/cgi-bin/externalcontact/groupchat/add_join_way"
	srv := wecomtest.NewServer(t)
	svc := groupchat.New(srv.Client())
	call := func(ctx context.Context) error {
		_, err := svc.AddJoinWay(ctx, &groupchat.AddJoinWayRequest{Scene: groupchat.SceneQRCode, ChatIDList: []string{"wrchat1"}, State: "fair"})
		return err
	}
	for _, f := range []wecomtest.Fault{{Drop: true}, {HTTPStatus: 502}} {
		srv.ResetRequests()
		srv.Fail(path, f)
		before := svc.Client().Now()
		err := call(t.Context())
		require.ErrorIs(t, err, wecom.ErrOutcomeUnknown, "fault %+v", f)
		var mc *wecom.MaybeCreatedError
		require.ErrorAs(t, err, &mc)
		assert.Equal(t, path, mc.Path)
		assert.True(t, mc.Since.Before(before) && mc.Until.After(svc.Client().Now()), "window %v..%v", mc.Since, mc.Until)
		assert.Contains(t, mc.Hint, "no call listing join ways")
		assert.Contains(t, err.Error(), "no call listing join ways")
		assert.Equal(t, 1, srv.Count(path), "fault %+v: sent once", f)
	}
	srv.Fail(path, wecomtest.Fault{Errcode: wecom.CodeAPIForbidden})
	err := call(t.Context())
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))
	var mc *wecom.MaybeCreatedError
	assert.False(t, errors.As(err, &mc), "a refusal created nothing")
}
