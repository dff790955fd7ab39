package contact_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
)

func TestCorpTags(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	g, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "Budget", Order: 1,
		Tag: []contact.NewTag{{Name: "<10k", Order: 2}, {Name: ">10k", Order: 1}, {Name: "<10k"}}})
	require.NoError(t, err)
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/add_corp_tag")
	assert.Equal(t, "Budget", body["group_name"])
	assert.Len(t, body["tag"], 3)
	assert.NotEmpty(t, g.GroupID)
	assert.Equal(t, "Budget", g.GroupName)
	assert.NotZero(t, g.CreateTime)
	require.Len(t, g.Tag, 2, "a name twice in one call makes one tag")
	assert.NotEmpty(t, g.Tag[0].ID)
	assert.Equal(t, uint32(2), g.Tag[0].Order)
	// adding by group name again puts the tag in the same group
	g2, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "Budget", Tag: []contact.NewTag{{Name: "none"}}})
	require.NoError(t, err)
	assert.Equal(t, g.GroupID, g2.GroupID)
	assert.Len(t, g2.Tag, 1)
	_, err = svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupID: g.GroupID, Tag: []contact.NewTag{{Name: "none"}}})
	testkit.WantCode(t, err, wecom.CodeTagNameExists)

	all, err := svc.ListCorpTags(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Len(t, all[0].Tag, 3)
	one, err := svc.ListCorpTags(t.Context(), &contact.ListCorpTagsRequest{TagID: []string{g.Tag[1].ID}})
	require.NoError(t, err)
	require.Len(t, one, 1)
	require.Len(t, one[0].Tag, 1)
	assert.Equal(t, ">10k", one[0].Tag[0].Name)

	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Name: "small", Order: wecom.Ptr(uint32(9))}))
	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.GroupID, Name: "Spend"}))
	testkit.WantCode(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Name: ">10k"}), wecom.CodeTagNameExists)
	testkit.WantCode(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: "etnone", Name: "x"}), wecom.CodeInvalidTagID)
	all, err = svc.ListCorpTags(t.Context(), &contact.ListCorpTagsRequest{GroupID: []string{g.GroupID}})
	require.NoError(t, err)
	assert.Equal(t, "Spend", all[0].GroupName)
	assert.Equal(t, "small", all[0].Tag[0].Name)
	assert.Equal(t, uint32(9), all[0].Tag[0].Order)

	require.NoError(t, svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{TagID: []string{g.Tag[0].ID}}))
	one, err = svc.ListCorpTags(t.Context(), &contact.ListCorpTagsRequest{TagID: []string{g.Tag[0].ID}})
	require.NoError(t, err)
	require.Len(t, one, 1)
	assert.True(t, one[0].Tag[0].Deleted, "a deleted tag asked for by id")
	// deleting the last tags of a group deletes the group
	require.NoError(t, svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{TagID: []string{g.Tag[1].ID, g2.Tag[0].ID}}))
	all, err = svc.ListCorpTags(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, all, "after deleting every tag")
	testkit.WantCode(t, svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{GroupID: []string{g.GroupID}}), wecom.CodeInvalidTagID)

	testkit.WantInvalid(t, svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{}), contact.ErrInvalidArgument)
	_, err = svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "G"})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	_, err = svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "G", Tag: []contact.NewTag{{Name: strings.Repeat("t", 31)}}})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
}

func TestMarkTagShowsInCustomer(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 3, "a")
	g, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "Level", Tag: []contact.NewTag{{Name: "gold"}, {Name: "silver"}}})
	require.NoError(t, err)
	gold, silver := g.Tag[0].ID, g.Tag[1].ID
	require.NoError(t, svc.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], AddTag: []string{gold, silver}}))
	require.NoError(t, svc.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], RemoveTag: []string{silver}}))
	body := testkit.LastBody(t, srv, "/cgi-bin/externalcontact/mark_tag")
	assert.NotContains(t, body, "add_tag")
	assert.Equal(t, "a", body["userid"])
	assert.Equal(t, ids[0], body["external_userid"])
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	assert.Equal(t, []contact.FollowUserTag{{GroupName: "Level", TagName: "gold", Type: contact.TagCorp, TagID: gold}}, d.FollowUser[0].Tags)
	resp, err := svc.BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a"}})
	require.NoError(t, err)
	assert.Equal(t, []string{gold}, resp.ExternalContactList[0].FollowInfo.TagID)

	testkit.WantCode(t, svc.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], AddTag: []string{"etnone"}}), wecom.CodeInvalidTagID)
	testkit.WantInvalid(t, svc.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0]}), contact.ErrInvalidArgument)

	// many customers at once, one result each
	reqs := []*contact.MarkTagRequest{
		{UserID: "a", ExternalUserID: ids[1], AddTag: []string{silver}},
		{UserID: "a", ExternalUserID: "wmnobody", AddTag: []string{silver}},
		{UserID: "a", ExternalUserID: ids[2], AddTag: []string{silver, gold}},
	}
	res, err := svc.MarkTagMany(t.Context(), reqs, 2)
	require.NoError(t, err)
	require.Len(t, res, 3)
	for i, r := range res {
		assert.Same(t, reqs[i], r.Item, "result %d is for its request", i)
	}
	assert.NoError(t, res[0].Err)
	assert.Equal(t, 40096, wecom.ErrorCode(res[1].Err))
	assert.NoError(t, res[2].Err)
	d, err = svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[2]})
	require.NoError(t, err)
	assert.Len(t, d.FollowUser[0].Tags, 2)
}

// MarkTagMany checks every request before sending any: one MarkTag would
// refuse refuses the whole list, naming its index, and nothing is sent.
func TestMarkTagManyRefusesABadRequestBeforeSending(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ok := &contact.MarkTagRequest{UserID: "a", ExternalUserID: "wm1", AddTag: []string{"et1"}}
	res, err := svc.MarkTagMany(t.Context(), []*contact.MarkTagRequest{ok, {UserID: "a", ExternalUserID: "wm2"}}, 0)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	assert.EqualError(t, err, "contact: reqs[1]: AddTag or RemoveTag is required")
	assert.Nil(t, res)
	res, err = svc.MarkTagMany(t.Context(), []*contact.MarkTagRequest{nil, ok}, 0)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	assert.EqualError(t, err, "contact: reqs[0] is nil")
	assert.Nil(t, res)
	assert.Empty(t, srv.Requests())

	res, err = svc.MarkTagMany(t.Context(), nil, 0)
	require.NoError(t, err)
	assert.Empty(t, res, "nothing to mark")
}

func TestStrategyTags(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 1, "a")
	g, err := svc.AddStrategyTag(t.Context(), &contact.AddStrategyTagRequest{StrategyID: 7, GroupName: "Rule", Tag: []contact.NewTag{{Name: "r1"}}})
	require.NoError(t, err)
	assert.Equal(t, 7.0, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/add_strategy_tag")["strategy_id"])
	assert.Equal(t, 7, g.StrategyID)
	assert.Len(t, g.Tag, 1)
	_, err = svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "Corp", Tag: []contact.NewTag{{Name: "c1"}}})
	require.NoError(t, err)
	list, err := svc.ListStrategyTags(t.Context(), &contact.ListStrategyTagsRequest{StrategyID: 7})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "Rule", list[0].GroupName)
	list, err = svc.ListStrategyTags(t.Context(), &contact.ListStrategyTagsRequest{StrategyID: 8})
	require.NoError(t, err)
	assert.Empty(t, list, "another rule group")
	corp, err := svc.ListCorpTags(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, corp, 1, "the corp list mixes in rule-group tags")
	assert.Equal(t, "Corp", corp[0].GroupName)
	require.NoError(t, svc.EditStrategyTag(t.Context(), &contact.EditStrategyTagRequest{ID: g.Tag[0].ID, Name: "r1b"}))
	// rule-group tags are marked like corp tags and show as type 3
	require.NoError(t, svc.MarkTag(t.Context(), &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], AddTag: []string{g.Tag[0].ID}}))
	d, err := svc.Get(t.Context(), &contact.GetRequest{ExternalUserID: ids[0]})
	require.NoError(t, err)
	tg := d.FollowUser[0].Tags
	require.Len(t, tg, 1)
	assert.Equal(t, contact.TagStrategy, tg[0].Type)
	assert.Equal(t, "r1b", tg[0].TagName)
	// a rule-group tag is not a corp tag
	testkit.WantCode(t, svc.DelCorpTag(t.Context(), &contact.DelCorpTagRequest{TagID: []string{g.Tag[0].ID}}), wecom.CodeInvalidTagID)
	require.NoError(t, svc.DelStrategyTag(t.Context(), &contact.DelStrategyTagRequest{GroupID: []string{g.GroupID}}))
	list, err = svc.ListStrategyTags(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, list, "after delete")
	_, err = svc.AddStrategyTag(t.Context(), &contact.AddStrategyTagRequest{GroupName: "x", Tag: []contact.NewTag{{Name: "y"}}})
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.DelStrategyTag(t.Context(), nil), contact.ErrInvalidArgument)
}

// TestEditTagOrderZero sets a tag's and a group's order to 0, which WeCom
// allows ([0, 2^32)); a nil Order leaves it.
func TestEditTagOrderZero(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	g, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "G", Order: 5, Tag: []contact.NewTag{{Name: "x", Order: 7}}})
	require.NoError(t, err)
	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Order: wecom.Ptr(uint32(0))}))
	assert.Equal(t, 0.0, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/edit_corp_tag")["order"])
	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.GroupID, Order: wecom.Ptr(uint32(0))}))
	require.NoError(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Name: "y"}))
	assert.NotContains(t, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/edit_corp_tag"), "order", "a nil Order was sent")
	all, err := svc.ListCorpTags(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Zero(t, all[0].Order)
	assert.Zero(t, all[0].Tag[0].Order)
	assert.Equal(t, "y", all[0].Tag[0].Name)

	sg, err := svc.AddStrategyTag(t.Context(), &contact.AddStrategyTagRequest{StrategyID: 1, GroupName: "S", Order: 3, Tag: []contact.NewTag{{Name: "x", Order: 4}}})
	require.NoError(t, err)
	require.NoError(t, svc.EditStrategyTag(t.Context(), &contact.EditStrategyTagRequest{ID: sg.Tag[0].ID, Order: wecom.Ptr(uint32(0))}))
	assert.Equal(t, 0.0, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/edit_strategy_tag")["order"])
	sl, err := svc.ListStrategyTags(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, sl, 1)
	assert.Zero(t, sl[0].Tag[0].Order)
	// an edit that changes nothing is refused before sending
	testkit.WantInvalid(t, svc.EditCorpTag(t.Context(), &contact.EditCorpTagRequest{ID: g.GroupID}), contact.ErrInvalidArgument)
	testkit.WantInvalid(t, svc.EditStrategyTag(t.Context(), &contact.EditStrategyTagRequest{ID: sg.GroupID}), contact.ErrInvalidArgument)
}
