package message

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// TestRemindersExpireAfterADay: the count of reminders is per task, covers
// the last 24 hours only, and is shared by every Service on the Store.
func TestRemindersExpireAfterADay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)
	store := wecom.NewMemoryStore()
	c := wecom.New("wwremind", "secret", wecom.WithStore(store))
	s, other := New(c), New(c)
	s.clock = func() time.Time { return now }
	other.clock = s.clock
	take := func(s *Service, id string) bool {
		ok, err := s.reminders(ctx, id, true)
		require.NoError(t, err)
		return ok
	}
	for i := range MaxReminders {
		assert.True(t, take(s, "m1"), "reminder %d", i+1)
		now = now.Add(time.Hour)
	}
	assert.False(t, take(s, "m1"))
	assert.False(t, take(other, "m1"), "another Service of the corp sees the same count")
	assert.True(t, take(s, "m2"), "another task has its own count")
	now = now.Add(21*time.Hour + time.Second) // the first is now more than 24 h old
	assert.True(t, take(s, "m1"))
	assert.False(t, take(s, "m1"))
	_, err := s.reminders(ctx, "m1", false)
	require.NoError(t, err)
	assert.True(t, take(s, "m1"), "a returned reminder frees its place")
}
