package groupchat_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
)

func TestMemoryTrackerStoreIndexesStates(t *testing.T) {
	t.Parallel()
	s := groupchat.NewMemoryTrackerStore()
	a := &groupchat.TrackedChat{ChatID: "wrA", MemberVersion: "v1", Members: []groupchat.Member{
		{UserID: "owner"}, {UserID: "m1", State: "x", JoinTime: 3}, {UserID: "m2", State: "y", JoinTime: 1},
		{UserID: "m3", State: "x", JoinTime: 2, Invitor: &groupchat.Invitor{UserID: "owner"}}}}
	require.NoError(t, s.Save(t.Context(), a))
	require.NoError(t, s.Save(t.Context(), &groupchat.TrackedChat{ChatID: "wrB", Members: []groupchat.Member{{UserID: "m9", State: "x", JoinTime: 2}}}))

	joins, err := s.Joins(t.Context(), "x")
	require.NoError(t, err)
	var got []string
	for _, j := range joins {
		got = append(got, j.ChatID+"/"+j.Member.UserID)
	}
	assert.Equal(t, []string{"wrA/m3", "wrB/m9", "wrA/m1"}, got, "by join time, then group and member")

	// what Joins and Load return is a copy
	joins[0].Member.Invitor.UserID = "changed"
	c, err := s.Load(t.Context(), "wrA")
	require.NoError(t, err)
	c.Members[3].Invitor.UserID = "changed too"
	c.Members = nil
	again, err := s.Load(t.Context(), "wrA")
	require.NoError(t, err)
	assert.Equal(t, "owner", again.Members[3].Invitor.UserID)

	// Update in place re-indexes what changed
	require.NoError(t, s.Update(t.Context(), "wrA", func(c *groupchat.TrackedChat) bool {
		c.Members = c.Members[:1] // only the owner stays
		return true
	}))
	joins, err = s.Joins(t.Context(), "x")
	require.NoError(t, err)
	require.Len(t, joins, 1)
	assert.Equal(t, "wrB", joins[0].ChatID)
	joins, err = s.Joins(t.Context(), "y")
	require.NoError(t, err)
	assert.Empty(t, joins)

	// an update that reports no change stores nothing new in the index
	require.NoError(t, s.Update(t.Context(), "wrB", func(c *groupchat.TrackedChat) bool { return false }))
	called := false
	require.NoError(t, s.Update(t.Context(), "wrNone", func(c *groupchat.TrackedChat) bool {
		called = true
		assert.Nil(t, c)
		return true
	}))
	assert.True(t, called)

	require.NoError(t, s.Delete(t.Context(), "wrB"))
	require.NoError(t, s.Delete(t.Context(), "wrB"))
	joins, err = s.Joins(t.Context(), "x")
	require.NoError(t, err)
	assert.Empty(t, joins)
	assert.Equal(t, 1, s.Len())

	testkit.WantInvalid(t, s.Save(t.Context(), nil), groupchat.ErrInvalidArgument)
	testkit.WantInvalid(t, s.Save(t.Context(), &groupchat.TrackedChat{}), groupchat.ErrInvalidArgument)
	_, err = s.Joins(t.Context(), "")
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
}

func TestTrackedChatVersionsAndClone(t *testing.T) {
	t.Parallel()
	var c *groupchat.TrackedChat
	assert.Nil(t, c.Clone())
	c = &groupchat.TrackedChat{ChatID: "wr", Members: []groupchat.Member{{UserID: "a"}}, Pending: []string{"b"}}
	assert.Equal(t, []string{"a", "b"}, c.MemberIDs())
}
