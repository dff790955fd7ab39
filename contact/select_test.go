package contact_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
)

// Select is AND of ORs over the tags of all of a customer's relations,
// minus the customers carrying a NoneOf tag on any of them.
func TestSelectPicksByTagsAndLeavesOut(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ctx := t.Context()
	ids := testkit.Seed(t, srv, 5, "alice")
	testkit.Staff(t, srv, "bob")
	tags, err := svc.ApplyTaxonomy(ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{Groups: []contact.TaxonomyGroup{
		{Name: "source", Tags: []string{"poster", "ad"}}, {Name: "behaviour", Tags: []string{"joined", "left", "lost"}},
	}}})
	require.NoError(t, err)
	id := func(g, n string) string { s, _ := tags.TagID(g, n); return s }
	poster, ad, joined, left, lost := id("source", "poster"), id("source", "ad"), id("behaviour", "joined"), id("behaviour", "left"), id("behaviour", "lost")
	mark := func(user, ext string, add ...string) {
		require.NoError(t, svc.MarkTag(ctx, &contact.MarkTagRequest{UserID: user, ExternalUserID: ext, AddTag: add}))
	}
	mark("alice", ids[0], poster, joined)       // picked
	mark("alice", ids[1], ad, joined)           // picked
	mark("alice", ids[2], poster)               // not joined
	mark("alice", ids[3], poster, joined, left) // left
	mark("alice", ids[4], ad, joined)           // lost, as another member's relation says
	way, err := svc.AddContactWay(ctx, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"bob"}})
	require.NoError(t, err)
	_, err = srv.Corp(srv.CorpID).ScanContactWay(ctx, way.ConfigID, ids[4]) // the customer adds bob too
	require.NoError(t, err)
	mark("bob", ids[4], lost)

	req := &contact.SelectRequest{AllOf: [][]string{{joined}, {poster, ad}}, NoneOf: []string{left, lost}}
	got, err := svc.Select(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, selectSorted(ids[0], ids[1]), got)

	req.Users = []string{"alice"} // bob's relation unread: his tag is not seen
	got, err = svc.Select(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, selectSorted(ids[0], ids[1], ids[4]), got)

	got, err = svc.Select(ctx, &contact.SelectRequest{})
	require.NoError(t, err)
	assert.Len(t, got, 5, "no condition: every customer")

	_, err = svc.Select(ctx, nil)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.Select(ctx, &contact.SelectRequest{AllOf: [][]string{{}}})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
}

func selectSorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}
