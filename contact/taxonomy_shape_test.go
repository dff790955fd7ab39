package contact_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/shapetest"
)

// Applying a taxonomy the corp has already: one read. With Prune, one
// delete of what it does not list.
func TestApplyTaxonomyShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(post("get_corp_tag_list", `{}`), `{"errcode":0,"errmsg":"ok","tag_group":[
		{"group_id":"G1","group_name":"来源","create_time":1,"order":1,"tag":[{"id":"T1","name":"海报","create_time":1,"order":0},
		{"id":"T2","name":"旧","create_time":1,"order":0}]},
		{"group_id":"G2","group_name":"其他","create_time":1,"order":0,"tag":[{"id":"T3","name":"x","create_time":1,"order":0}]}]}`)
	m.Expect(post("del_corp_tag", `{"tag_id":["T2"],"group_id":["G2"]}`), "")
	got, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Prune: true, Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "来源", Tags: []string{"海报"}}}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"T2", "G2"}, got.Deleted)
	id, _ := got.TagID("来源", "海报")
	assert.Equal(t, "T1", id)
}

// Rule-group tags are read for their rule group and created in it.
func TestApplyTaxonomyStrategyShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	calls := 0
	m.Transport().RegisterResponder(http.MethodPost, shapetest.BaseURL+"/cgi-bin/externalcontact/get_strategy_tag_list",
		func(r *http.Request) (*http.Response, error) {
			calls++
			b, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, `{"strategy_id":7}`, string(b))
			body := `{"errcode":0,"errmsg":"ok","tag_group":[]}`
			if calls > 1 {
				body = `{"errcode":0,"errmsg":"ok","tag_group":[{"group_id":"SG","group_name":"区域","strategy_id":7,"tag":[{"id":"ST1","name":"上海"}]}]}`
			}
			resp := httpmock.NewStringResponse(200, body)
			resp.Header.Set("Content-Type", "application/json")
			return resp, nil
		})
	m.Expect(post("add_strategy_tag", `{"strategy_id":7,"group_name":"区域","order":3,"tag":[{"name":"上海"}]}`),
		`{"errcode":0,"errmsg":"ok","tag_group":{"group_id":"SG","group_name":"区域","tag":[{"id":"ST1","name":"上海"}]}}`)
	got, err := svc.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{StrategyID: 7,
		Groups: []contact.TaxonomyGroup{{Name: "区域", Order: 3, Tags: []string{"上海"}}}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"ST1"}, got.Created)
	assert.Equal(t, 2, calls, "read, create, read back")
}
