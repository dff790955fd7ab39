package wecomtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestRelationShowsTagsAndRemark(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	exts, err := srv.Corp(srv.CorpID).SeedCustomers(1, []string{"zhangsan"})
	require.NoError(t, err)
	ctx := t.Context()
	var g struct {
		TagGroup struct {
			Tag []struct{ ID string } `json:"tag"`
		} `json:"tag_group"`
	}
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/add_corp_tag",
		map[string]any{"group_name": "g", "tag": []map[string]string{{"name": "t"}}}, &g))
	id := g.TagGroup.Tag[0].ID
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/mark_tag",
		map[string]any{"userid": "zhangsan", "external_userid": exts[0], "add_tag": []string{id}}, nil))
	require.NoError(t, srv.Client().Post(ctx, "/cgi-bin/externalcontact/remark",
		map[string]any{"userid": "zhangsan", "external_userid": exts[0], "remark": "VIP"}, nil))
	rel, ok := srv.Corp(srv.CorpID).Relation("zhangsan", exts[0])
	require.True(t, ok)
	assert.Equal(t, []string{id}, rel.TagIDs)
	assert.Equal(t, "VIP", rel.Remark)
	_, ok = srv.Corp(srv.CorpID).Relation("lisi", exts[0])
	assert.False(t, ok)
	_, ok = srv.Corp("nocorp").Relation("zhangsan", exts[0])
	assert.False(t, ok)
}
