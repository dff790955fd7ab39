package contact_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// WeCom's documented limits, which the package keeps unexported.
const (
	maxTagNameLen = 30 // a tag or group name, in characters
)

const (
	pathAddCorpTag  = "/cgi-bin/externalcontact/add_corp_tag"
	pathDelCorpTag  = "/cgi-bin/externalcontact/del_corp_tag"
	pathListCorpTag = "/cgi-bin/externalcontact/get_corp_tag_list"
)

var sources = contact.Taxonomy{Groups: []contact.TaxonomyGroup{
	{Name: "来源", Order: 9, Tags: []string{"海报", "抖音", "展会"}},
	{Name: "意向", Tags: []string{"高", "中", "低"}},
}}

// corpTags returns group name → tag names of the corp's live corp tags.
func corpTags(t *testing.T, svc *contact.Service) map[string][]string {
	t.Helper()
	groups, err := svc.ListCorpTags(t.Context(), nil)
	require.NoError(t, err)
	out := map[string][]string{}
	for _, g := range groups {
		for _, tag := range g.Tag {
			out[g.GroupName] = append(out[g.GroupName], tag.Name)
		}
	}
	return out
}

func TestApplyTaxonomyCreatesWhatIsMissingOnce(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	// One group and one tag exist already (made in the console, say).
	pre, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "来源", Tag: []contact.NewTag{{Name: "抖音"}, {Name: "老客户"}}})
	require.NoError(t, err)

	got, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: sources})
	require.NoError(t, err)
	assert.Len(t, got.Created, 5, "海报, 展会, 高, 中, 低")
	assert.Empty(t, got.Deleted)
	require.Len(t, got.Groups, 2)
	assert.Equal(t, pre.GroupID, got.Groups[0].GroupID, "the existing group is used")
	douyin, ok := got.TagID("来源", "抖音")
	require.True(t, ok)
	assert.Equal(t, pre.Tag[0].ID, douyin, "the existing tag is kept")
	var names []string
	for _, tag := range got.Groups[1].Tag {
		names = append(names, tag.Name)
	}
	assert.Equal(t, []string{"高", "中", "低"}, names, "tags in the taxonomy's order")
	_, ok = got.TagID("意向", "无")
	assert.False(t, ok)
	assert.Equal(t, map[string][]string{"来源": {"抖音", "老客户", "海报", "展会"}, "意向": {"高", "中", "低"}}, corpTags(t, svc))

	// A restart: nothing to create, no 40071, the same ids.
	adds := srv.Count(pathAddCorpTag)
	again, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: sources})
	require.NoError(t, err)
	assert.Equal(t, adds, srv.Count(pathAddCorpTag))
	assert.Empty(t, again.Created)
	assert.Equal(t, got.Groups, again.Groups)
}

func TestApplyTaxonomyPrunes(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	_, err := svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "来源", Tag: []contact.NewTag{{Name: "抖音"}, {Name: "老客户"}}})
	require.NoError(t, err)
	_, err = svc.AddCorpTag(t.Context(), &contact.AddCorpTagRequest{GroupName: "旧分组", Tag: []contact.NewTag{{Name: "x"}}})
	require.NoError(t, err)
	got, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: sources, Prune: true})
	require.NoError(t, err)
	assert.Len(t, got.Deleted, 2, "老客户 and the group 旧分组")
	assert.Equal(t, 1, srv.Count(pathDelCorpTag))
	assert.Equal(t, map[string][]string{"来源": {"抖音", "海报", "展会"}, "意向": {"高", "中", "低"}}, corpTags(t, svc))

	_, err = svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: sources, Prune: true})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count(pathDelCorpTag), "nothing more to delete")
}

// Instances starting at once, with a Store of their own each (no shared
// lock) or sharing one (they take turns): each tag is made once, and every
// instance gets the same ids.
func TestApplyTaxonomyConcurrentInstances(t *testing.T) {
	t.Parallel()
	for _, locked := range []bool{false, true} {
		t.Run(map[bool]string{false: "unlocked", true: "locked"}[locked], func(t *testing.T) {
			t.Parallel()
			srv, _ := testkit.Setup(t)
			store := wecom.NewMemoryStore()
			var wg sync.WaitGroup
			results := make([]*contact.AppliedTaxonomy, 8)
			errs := make([]error, len(results))
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := srv.Client() // an instance of its own: its own in-memory Store
					if locked {
						c = srv.Client(wecom.WithStore(store)) // instances sharing a Store
					}
					results[i], errs[i] = contact.New(c).ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: sources})
				}()
			}
			wg.Wait()
			for i := range results {
				require.NoError(t, errs[i])
				assert.Equal(t, results[0].Groups, results[i].Groups)
			}
			assert.Equal(t, map[string][]string{"来源": {"海报", "抖音", "展会"}, "意向": {"高", "中", "低"}},
				corpTags(t, contact.New(srv.Client())))
			if locked {
				assert.Equal(t, 2, srv.Count(pathAddCorpTag), "one create per group, by the first instance")
			}
		})
	}
}

// A 40071 (another instance made the tag between our read and our create)
// is answered by reading again.
func TestApplyTaxonomyToleratesTagNameExists(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	srv.Fail(pathAddCorpTag, wecomtest.Fault{Errcode: 40071, Times: 1})
	got, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: sources})
	require.NoError(t, err)
	_, ok := got.TagID("意向", "低")
	assert.True(t, ok)
	assert.Equal(t, 3, srv.Count(pathAddCorpTag), "the refused create is made again after a read")

	srv.Fail(pathAddCorpTag, wecomtest.Fault{Errcode: 40071, Times: 100})
	_, err = svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "new", Tags: []string{"a"}}}}})
	assert.ErrorContains(t, err, "still missing")

	srv.ClearFaults()
	srv.Fail(pathListCorpTag, wecomtest.Fault{Errcode: 40001, Times: 1})
	_, err = svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: sources})
	testkit.WantCode(t, err, 40001)
}

func TestApplyTaxonomyRuleGroupTags(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	id, err := svc.CreateCustomerStrategy(t.Context(), &contact.CreateCustomerStrategyRequest{StrategyName: "华东", AdminList: []string{"zhangsan"}})
	require.NoError(t, err)
	tax := contact.Taxonomy{StrategyID: id, Groups: []contact.TaxonomyGroup{{Name: "区域客户", Tags: []string{"上海", "杭州"}}}}
	got, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: tax, Prune: true})
	require.NoError(t, err)
	assert.Len(t, got.Created, 2)
	assert.Equal(t, id, got.Groups[0].StrategyID)
	again, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: tax})
	require.NoError(t, err)
	assert.Empty(t, again.Created)
	assert.Equal(t, 1, srv.Count("/cgi-bin/externalcontact/add_strategy_tag"))
	assert.Empty(t, corpTags(t, svc), "corp tags are another scope")
}

func TestApplyTaxonomyChecksItsInput(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	long := strings.Repeat("长", maxTagNameLen+1)
	for _, tax := range []contact.Taxonomy{
		{StrategyID: -1},
		{Groups: []contact.TaxonomyGroup{{Tags: []string{"a"}}}},
		{Groups: []contact.TaxonomyGroup{{Name: "g"}}},
		{Groups: []contact.TaxonomyGroup{{Name: "g", Tags: []string{"a"}}, {Name: "g", Tags: []string{"b"}}}},
		{Groups: []contact.TaxonomyGroup{{Name: "g", Tags: []string{"a", "a"}}}},
		{Groups: []contact.TaxonomyGroup{{Name: "g", Tags: []string{""}}}},
		{Groups: []contact.TaxonomyGroup{{Name: long, Tags: []string{"a"}}}},
		{Groups: []contact.TaxonomyGroup{{Name: "g", Tags: []string{long}}}},
	} {
		_, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: tax})
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	_, err := svc.ApplyTaxonomy(t.Context(), nil)
	testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
}
