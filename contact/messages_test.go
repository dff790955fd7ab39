package contact_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
)

func TestCancelledSyncSaysWhatHappenedAndWhatToDo(t *testing.T) {
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	for _, e := range svc.Sync(ctx, nil) {
		err = e
	}
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "sync was stopped at the start")
	assert.Contains(t, msg, "context canceled")
	assert.Contains(t, msg, "CheckpointOf")
	assert.NotContains(t, msg, `user 0 ("")`)

	cp := contact.Checkpoint{UserIndex: 2, UserID: "lisi", Cursor: "c2", Batch: "ab12"}
	assert.Equal(t, `member #3 (lisi), within its batch ab12 (cursor "c2")`, cp.String())
}
