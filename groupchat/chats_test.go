package groupchat_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestListPagesAndFilters(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	var mine, theirs []string
	for i := range 7 {
		mine = append(mine, testkit.GroupChat(t, srv, "owner1", "g"+string(rune('a'+i))))
	}
	for range 3 {
		theirs = append(theirs, testkit.GroupChat(t, srv, "owner2", "h"))
	}

	// one page
	page, err := svc.List(t.Context(), &groupchat.ListRequest{Limit: 4, OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"owner1"}}})
	require.NoError(t, err)
	require.Len(t, page.GroupChatList, 4)
	require.NotEmpty(t, page.NextCursor)
	assert.Equal(t, mine[:4], []string{page.GroupChatList[0].ChatID, page.GroupChatList[1].ChatID, page.GroupChatList[2].ChatID, page.GroupChatList[3].ChatID})

	// every page, from a cursor, without touching the request
	req := &groupchat.ListRequest{Limit: 3, Cursor: page.NextCursor, OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"owner1"}}}
	var rest []string
	for ref, err := range svc.ListIter(t.Context(), req) {
		require.NoError(t, err)
		rest = append(rest, ref.ChatID)
		assert.Equal(t, groupchat.StatusNormal, ref.Status)
	}
	assert.Equal(t, mine[4:], rest)
	assert.Equal(t, page.NextCursor, req.Cursor, "the caller's request is not modified")
	assert.Equal(t, 2, srv.Count("/cgi-bin/externalcontact/groupchat/list"), "the page, then the 3 remaining groups in one call")

	// all owners, limit defaulting to 1000 in the iterator
	n := 0
	for _, err := range svc.ListIter(t.Context(), nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 10, n)
	assert.EqualValues(t, 1000, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/groupchat/list")["limit"])

	// a resigned owner's groups: listed only when the owner is named
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("owner2"))
	n = 0
	for _, err := range svc.ListIter(t.Context(), nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 7, n)
	var resigned []string
	for ref, err := range svc.ListIter(t.Context(), &groupchat.ListRequest{StatusFilter: groupchat.StatusOwnerResigned,
		OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"owner1", "owner2"}}}) {
		require.NoError(t, err)
		assert.Equal(t, groupchat.StatusOwnerResigned, ref.Status)
		resigned = append(resigned, ref.ChatID)
	}
	assert.Equal(t, theirs, resigned)
}

func TestListRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	many := make([]string, 101)
	for i := range many {
		many[i] = "u"
	}
	for _, req := range []*groupchat.ListRequest{
		nil,
		{Limit: -1},
		{Limit: 10, StatusFilter: 4},
		{Limit: 10, OwnerFilter: &groupchat.OwnerFilter{UserIDList: many}},
		{Limit: 10, OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{""}}},
		{Limit: 10, StatusFilter: -1},
	} {
		_, err := svc.List(t.Context(), req)
		testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
		if req != nil && req.Limit != 0 {
			for _, err := range svc.ListIter(t.Context(), req) {
				testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
			}
		}
	}
	assert.Zero(t, srv.Count("/cgi-bin/externalcontact/groupchat/list"), "nothing was sent")

	// the fake answers WeCom's errcodes for what slips past
	err := srv.Client().Post(t.Context(), "/cgi-bin/externalcontact/groupchat/list", map[string]any{"limit": 0}, nil)
	testkit.WantCode(t, err, 40058)
}

func TestListWithoutOwnerFilterInALargeCorpIs81017(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	staff := make([]string, 1001)
	for i := range staff {
		staff[i] = fmt.Sprintf("m%04d", i)
	}
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff(staff...))
	_, err := svc.List(t.Context(), &groupchat.ListRequest{Limit: 10})
	testkit.WantCode(t, err, 81017)
	_, err = svc.List(t.Context(), &groupchat.ListRequest{Limit: 10, OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"owner1"}}})
	require.NoError(t, err)
}

func TestGetReturnsTypedMembers(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	cust := testkit.Seed(t, srv, 2, "owner1")
	chat, err := srv.Corp(srv.CorpID).GroupChats().Create(t.Context(), wecomtest.GroupChatSpec{Owner: "owner1", Name: "VIP", Notice: "be nice",
		Members: []string{cust[0], "owner2"}, Admins: []string{"owner2"}})
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), chat, []string{cust[1]}, "owner2"))

	g, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: chat, NeedName: true})
	require.NoError(t, err)
	assert.Equal(t, chat, g.ChatID)
	assert.Equal(t, "VIP", g.Name)
	assert.Equal(t, "owner1", g.Owner)
	assert.Equal(t, "be nice", g.Notice)
	assert.NotZero(t, g.CreateTime)
	assert.Len(t, g.MemberVersion, 32)
	assert.Equal(t, []groupchat.Admin{{UserID: "owner2"}}, g.AdminList)
	require.Equal(t, []string{"owner1", cust[0], "owner2", cust[1]}, ids(g.MemberList))

	owner, ext, invited := g.MemberList[0], g.MemberList[1], g.MemberList[3]
	assert.Equal(t, groupchat.MemberInternal, owner.Type)
	assert.Nil(t, owner.Invitor)
	assert.Equal(t, groupchat.MemberExternal, ext.Type)
	assert.NotEmpty(t, ext.UnionID)
	assert.NotEmpty(t, ext.Name, "need_name gives names")
	assert.Equal(t, groupchat.JoinInvited, invited.JoinScene)
	require.NotNil(t, invited.Invitor)
	assert.Equal(t, "owner2", invited.Invitor.UserID)
	assert.NotZero(t, invited.JoinTime)
	assert.EqualValues(t, 1, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/groupchat/get")["need_name"])

	g2, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: chat})
	require.NoError(t, err)
	assert.Empty(t, g2.MemberList[1].Name, "no names unless asked")
	assert.NotContains(t, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/groupchat/get"), "need_name")
	assert.NotEqual(t, "", g2.MemberVersion)

	_, err = svc.Get(t.Context(), &groupchat.GetRequest{ChatID: "wrnothere"})
	testkit.WantCode(t, err, 40050)
	assert.True(t, groupchat.IsNotFound(err))
	_, err = svc.Get(t.Context(), &groupchat.GetRequest{ChatID: ""})
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
	_, err = svc.Get(t.Context(), nil)
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
}

func TestMemberVersionChangesWithMembersOnly(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	cust := testkit.Seed(t, srv, 1, "owner1")
	chat := testkit.GroupChat(t, srv, "owner1", "v")
	g0, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: chat})
	require.NoError(t, err)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Rename(t.Context(), chat, "renamed"))
	g1, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: chat})
	require.NoError(t, err)
	assert.Equal(t, g0.MemberVersion, g1.MemberVersion)
	assert.Equal(t, "renamed", g1.Name)
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Join(t.Context(), chat, cust, ""))
	g2, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: chat})
	require.NoError(t, err)
	assert.NotEqual(t, g1.MemberVersion, g2.MemberVersion)
}

func TestOpenGIDToChatID(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	chat := testkit.GroupChat(t, srv, "owner1", "mini")
	got, err := svc.OpenGIDToChatID(t.Context(), srv.Corp(srv.CorpID).GroupChats().OpenGID(chat))
	require.NoError(t, err)
	assert.Equal(t, chat, got)
	_, err = svc.OpenGIDToChatID(t.Context(), "ognope")
	testkit.WantCode(t, err, 40058)
	_, err = svc.OpenGIDToChatID(t.Context(), "")
	testkit.WantInvalid(t, err, groupchat.ErrInvalidArgument)
}

func TestDismissedGroupIsGone(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	chat := testkit.GroupChat(t, srv, "owner1", "short-lived")
	require.NoError(t, srv.Corp(srv.CorpID).GroupChats().Dismiss(t.Context(), chat))
	_, err := svc.Get(t.Context(), &groupchat.GetRequest{ChatID: chat})
	assert.True(t, groupchat.IsNotFound(err), "%v", err)
	for ref, err := range svc.ListIter(t.Context(), nil) {
		require.NoError(t, err)
		assert.NotEqual(t, chat, ref.ChatID)
	}
}
