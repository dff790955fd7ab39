package wecomtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// demoWorld is a small world: two members (one without an interop
// licence), a tag group, two named customers, random ones, a contact way,
// a group with a customer named in it and its join way.
func demoWorld() *wecomtest.World {
	return &wecomtest.World{Corps: []wecomtest.WorldCorp{{
		Staff: []wecomtest.WorldMember{{ID: "zhangsan", Name: "张三"}, {ID: "lisi", Unlicensed: true}},
		Tags:  []wecomtest.WorldTagGroup{{Group: "Level", Tags: []string{"VIP", "Regular"}}},
		Customers: []wecomtest.WorldCustomer{
			{ID: "wmWangWu", Name: "王五", Followers: []string{"zhangsan", "lisi"}, Tags: []string{"VIP"}, State: "fair", Remark: "met at the fair"},
			{Name: "赵六", Followers: []string{"zhangsan"}},
		},
		RandomCustomers: 5,
		ContactWays:     []wecomtest.WorldContactWay{{State: "spring", Users: []string{"zhangsan"}}},
		Groups:          []wecomtest.WorldGroup{{Name: "VIP group", Owner: "zhangsan", Members: []string{"lisi", "王五"}}},
		JoinWays:        []wecomtest.WorldJoinWay{{State: "vip-group", Groups: []string{"VIP group"}}},
	}}}
}

// worldOf reads GET /wecomtest/world.
type worldJSON struct {
	Corps []struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret"`
		Callback     string   `json:"callback"`
		Staff        []string `json:"staff"`
		Unlicensed   []string `json:"unlicensed"`
		Customers    int      `json:"customers"`
		CustomerList []struct {
			ExternalUserID string   `json:"external_userid"`
			Name           string   `json:"name"`
			Followers      []string `json:"followers"`
		} `json:"customer_list"`
		Tags []struct {
			ID, Group, Name string
		} `json:"tags"`
		ContactWays []struct {
			ConfigID string   `json:"config_id"`
			State    string   `json:"state"`
			Users    []string `json:"users"`
		} `json:"contact_ways"`
		Groups []struct {
			ChatID  string `json:"chat_id"`
			Name    string `json:"name"`
			Owner   string `json:"owner"`
			Members int    `json:"members"`
		} `json:"groups"`
		JoinWays []struct {
			ConfigID string   `json:"config_id"`
			State    string   `json:"state"`
			ChatIDs  []string `json:"chat_ids"`
		} `json:"join_ways"`
		MassSends []struct {
			MsgID   string   `json:"msgid"`
			Text    string   `json:"text"`
			Senders []string `json:"senders"`
			Sent    []string `json:"sent"`
		} `json:"mass_sends"`
	} `json:"corps"`
}

func worldOf(t *testing.T, srv *wecomtest.Server) worldJSON {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/wecomtest/world", nil)
	require.NoError(t, err)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var w worldJSON
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&w))
	return w
}

func TestSeedBuildsTheWorldThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Seed(t.Context(), demoWorld()))

	w := worldOf(t, srv)
	require.Len(t, w.Corps, 1)
	corp := w.Corps[0]
	assert.Equal(t, srv.CorpID, corp.ID)
	assert.Equal(t, srv.Secret, corp.Secret)
	assert.Equal(t, []string{"zhangsan", "lisi"}, corp.Staff)
	assert.Equal(t, []string{"lisi"}, corp.Unlicensed)
	assert.Equal(t, 7, corp.Customers)
	require.Len(t, corp.ContactWays, 1)
	assert.Equal(t, "spring", corp.ContactWays[0].State)
	assert.Equal(t, []string{"zhangsan"}, corp.ContactWays[0].Users)
	require.Len(t, corp.Groups, 1)
	assert.Equal(t, 3, corp.Groups[0].Members, "owner, member and the customer named by name")
	require.Len(t, corp.JoinWays, 1)
	assert.Equal(t, []string{corp.Groups[0].ChatID}, corp.JoinWays[0].ChatIDs)
	require.Len(t, corp.Tags, 2)

	// The named customer is what the API serves: both followers, the tag
	// on each relation, the state and the remark.
	var got struct {
		ExternalContact struct {
			Name string `json:"name"`
		} `json:"external_contact"`
		FollowUser []struct {
			UserID string `json:"userid"`
			Remark string `json:"remark"`
			State  string `json:"state"`
			Tags   []struct {
				TagName string `json:"tag_name"`
			} `json:"tags"`
		} `json:"follow_user"`
	}
	require.NoError(t, srv.Client().Get(t.Context(), "/cgi-bin/externalcontact/get",
		url.Values{"external_userid": {"wmWangWu"}}, &got))
	assert.Equal(t, "王五", got.ExternalContact.Name)
	require.Len(t, got.FollowUser, 2)
	for _, f := range got.FollowUser {
		assert.Equal(t, "met at the fair", f.Remark)
		assert.Equal(t, "fair", f.State)
		require.Len(t, f.Tags, 1)
		assert.Equal(t, "VIP", f.Tags[0].TagName)
	}

	// The app-made objects went through the API, like any client's calls.
	assert.Equal(t, 1, srv.Count("externalcontact/add_corp_tag"))
	assert.Equal(t, 1, srv.Count("externalcontact/add_contact_way"))
	assert.Equal(t, 1, srv.Count("externalcontact/groupchat/add_join_way"))
}

func TestSeedAddsCorpsWithTheirSecrets(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Seed(t.Context(), &wecomtest.World{Corps: []wecomtest.WorldCorp{
		{ID: "wwsecond", Secret: "second-secret", Staff: []wecomtest.WorldMember{{ID: "amy"}}},
	}}))
	w := worldOf(t, srv)
	require.Len(t, w.Corps, 2)
	assert.Equal(t, srv.CorpID, w.Corps[0].ID, "the server's own corp comes first")
	assert.Equal(t, "wwsecond", w.Corps[1].ID)
	assert.Equal(t, "second-secret", w.Corps[1].Secret)
	_, err := srv.ClientFor("wwsecond").AccessToken(t.Context())
	require.NoError(t, err)
}

func TestSeedNamesTheEntryThatFails(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		corp wecomtest.WorldCorp
		want string
	}{
		"unknown tag": {wecomtest.WorldCorp{
			Staff:     []wecomtest.WorldMember{{ID: "zhangsan"}},
			Customers: []wecomtest.WorldCustomer{{Name: "王五", Followers: []string{"zhangsan"}, Tags: []string{"Gold"}}},
		}, `customer "王五": no corp tag is named "Gold"`},
		"ambiguous tag": {wecomtest.WorldCorp{
			Staff:     []wecomtest.WorldMember{{ID: "zhangsan"}},
			Tags:      []wecomtest.WorldTagGroup{{Group: "A", Tags: []string{"x"}}, {Group: "B", Tags: []string{"x"}}},
			Customers: []wecomtest.WorldCustomer{{Name: "王五", Followers: []string{"zhangsan"}, Tags: []string{"x"}}},
		}, `two tag groups have a tag named "x"`},
		"customer of nobody": {wecomtest.WorldCorp{
			Customers: []wecomtest.WorldCustomer{{Name: "王五"}},
		}, `customer "王五": no followers`},
		"unknown group in a join way": {wecomtest.WorldCorp{
			Staff:    []wecomtest.WorldMember{{ID: "zhangsan"}},
			JoinWays: []wecomtest.WorldJoinWay{{State: "s", Groups: []string{"nope"}}},
		}, `join way 1 (state "s"): no group is named "nope"`},
		"contact way of an unknown member": {wecomtest.WorldCorp{
			ContactWays: []wecomtest.WorldContactWay{{State: "s", Users: []string{}}},
		}, `contact way 1 (state "s")`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := wecomtest.NewServer(t)
			err := srv.Seed(t.Context(), &wecomtest.World{Corps: []wecomtest.WorldCorp{tc.corp}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "seeding corp "+srv.CorpID)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	require.Error(t, wecomtest.NewServer(t).Seed(t.Context(), nil))
}
