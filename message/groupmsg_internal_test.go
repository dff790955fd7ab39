package message

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

// TestRemindersExpireAfterADay: the count of reminders is per task, covers
// the last 24 hours of the client's clock only, and is shared by every
// Service on the Store.
func TestRemindersExpireAfterADay(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Time{})
	store := wecom.NewMemoryStore()
	s := New(wecom.New("wwremind", "secret", wecom.WithStore(store), wecom.WithClock(clk.Now)))
	other := New(wecom.New("wwremind", "secret", wecom.WithStore(store), wecom.WithClock(clk.Now)))
	take := func(s *Service, id string) bool {
		ok, err := s.reminders(ctx, id, true)
		require.NoError(t, err)
		return ok
	}
	for i := range maxReminders {
		assert.True(t, take(s, "m1"), "reminder %d", i+1)
		clk.Advance(time.Hour)
	}
	assert.False(t, take(s, "m1"))
	assert.False(t, take(other, "m1"), "another Service of the corp sees the same count")
	assert.True(t, take(s, "m2"), "another task has its own count")
	clk.Advance(21*time.Hour + time.Second) // the first is now more than 24 h old
	assert.True(t, take(s, "m1"))
	assert.False(t, take(s, "m1"))
	_, err := s.reminders(ctx, "m1", false)
	require.NoError(t, err)
	assert.True(t, take(s, "m1"), "a returned reminder frees its place")
}
