package message

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRemindersExpireAfterADay: the count of reminders is per task and
// covers the last 24 hours only.
func TestRemindersExpireAfterADay(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)
	s := New(nil)
	s.clock = func() time.Time { return now }
	for i := range MaxReminders {
		assert.True(t, s.takeReminder("m1"), "reminder %d", i+1)
		now = now.Add(time.Hour)
	}
	assert.False(t, s.takeReminder("m1"))
	assert.True(t, s.takeReminder("m2"), "another task has its own count")
	now = now.Add(21*time.Hour + time.Second) // the first is now more than 24 h old
	assert.True(t, s.takeReminder("m1"))
	assert.False(t, s.takeReminder("m1"))
	s.returnReminder("m1")
	assert.True(t, s.takeReminder("m1"), "a returned reminder frees its place")
	now = now.Add(48 * time.Hour)
	s.takeReminder("m3")
	assert.NotContains(t, s.reminded, "m2", "old entries are forgotten")
}
