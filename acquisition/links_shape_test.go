package acquisition_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

// Each test pins the exact request one typed call sends and decodes the
// doc's example answer.

func shape(t *testing.T, want shapetest.Call, answer string) *acquisition.Service {
	t.Helper()
	c, m := shapetest.New(t)
	m.Expect(want, answer)
	return acquisition.New(c)
}

func TestShapeListLinks(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathList, Body: `{"limit":100,"cursor":"CURSOR"}`},
		`{"errcode":0,"errmsg":"ok","link_id_list":["LINK_ID_AAA","LINK_ID_BBB"],"next_cursor":"NEXT"}`)
	out, err := svc.ListLinks(t.Context(), &acquisition.ListLinksRequest{Limit: 100, Cursor: "CURSOR"})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.ListLinksResponse{LinkIDList: []string{"LINK_ID_AAA", "LINK_ID_BBB"}, NextCursor: "NEXT"}, out)
}

func TestShapeListLinksEmpty(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathList, Body: `{}`}, `{"errcode":0,"errmsg":"ok","link_id_list":[]}`)
	_, err := svc.ListLinks(t.Context(), nil)
	require.NoError(t, err)
}

func TestShapeGet(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathGet, Body: `{"link_id":"LINK_ID_AAA"}`},
		`{"errcode":0,"errmsg":"ok","link":{"link_name":"LINK_NAME","url":"https://work.weixin.qq.com/ca/xxxxxx","create_time":1672502400,"skip_verify":true},
		"range":{"user_list":["rocky","sam"],"department_list":[1]},"priority_option":{"priority_type":2,"priority_userid_list":["tom","lisi"]}}`)
	d, err := svc.Get(t.Context(), "LINK_ID_AAA")
	require.NoError(t, err)
	assert.Equal(t, &acquisition.LinkDetail{
		Link: acquisition.Link{LinkID: "LINK_ID_AAA", LinkName: "LINK_NAME", URL: "https://work.weixin.qq.com/ca/xxxxxx",
			CreateTime: 1672502400, SkipVerify: true},
		Range:          acquisition.Range{UserList: []string{"rocky", "sam"}, DepartmentList: []int{1}},
		PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityListed, PriorityUserIDList: []string{"tom", "lisi"}},
	}, d)
}

func TestShapeCreateLink(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathCreate,
		Body: `{"link_name":"获客链接1号","range":{"user_list":["zhangsan","lisi"],"department_list":[2,3]},"skip_verify":true,
		"priority_option":{"priority_type":2,"priority_userid_list":["tom","lisi"]},"mark_source":true}`},
		`{"errcode":0,"errmsg":"ok","link":{"link_id":"LINK_ID","link_name":"获客链接1号","url":"URL","create_time":1667232000}}`)
	l, err := svc.CreateLink(t.Context(), &acquisition.CreateLinkRequest{
		LinkName:       "获客链接1号",
		Range:          acquisition.Range{UserList: []string{"zhangsan", "lisi"}, DepartmentList: []int{2, 3}},
		SkipVerify:     wecom.Ptr(true),
		PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityListed, PriorityUserIDList: []string{"tom", "lisi"}},
		MarkSource:     wecom.Ptr(true),
	})
	require.NoError(t, err)
	assert.Equal(t, &acquisition.Link{LinkID: "LINK_ID", LinkName: "获客链接1号", URL: "URL", CreateTime: 1667232000}, l)
}

func TestShapeCreateLinkMinimal(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathCreate, Body: `{"link_name":"a","range":{"department_list":[2]}}`},
		`{"errcode":0,"errmsg":"ok","link":{"link_id":"L","url":"U","create_time":1}}`)
	l, err := svc.CreateLink(t.Context(), &acquisition.CreateLinkRequest{LinkName: "a", Range: acquisition.Range{DepartmentList: []int{2}}})
	require.NoError(t, err)
	assert.Equal(t, "a", l.LinkName, "the name is kept when WeCom does not echo it")
}

func TestShapeUpdateLink(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathUpdate,
		Body: `{"link_id":"LINK_ID","link_name":"获客链接1号","range":{"user_list":["zhangsan","lisi"],"department_list":[2,3]},"skip_verify":false,
		"priority_option":{"priority_type":1},"mark_source":false}`}, "")
	require.NoError(t, svc.UpdateLink(t.Context(), &acquisition.UpdateLinkRequest{
		LinkID: "LINK_ID", LinkName: "获客链接1号",
		Range:          &acquisition.Range{UserList: []string{"zhangsan", "lisi"}, DepartmentList: []int{2, 3}},
		SkipVerify:     wecom.Ptr(false),
		PriorityOption: &acquisition.PriorityOption{PriorityType: acquisition.PriorityCorpWide},
		MarkSource:     wecom.Ptr(false),
	}))
}

func TestShapeUpdateLinkOnlyName(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathUpdate, Body: `{"link_id":"L","link_name":"n"}`}, "")
	require.NoError(t, svc.UpdateLink(t.Context(), &acquisition.UpdateLinkRequest{LinkID: "L", LinkName: "n"}))
}

func TestShapeDeleteLink(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathDelete, Body: `{"link_id":"LINK_ID"}`}, "")
	require.NoError(t, svc.DeleteLink(t.Context(), "LINK_ID"))
}

func TestShapeErrcodeIsAnError(t *testing.T) {
	t.Parallel()
	svc := shape(t, shapetest.Call{Method: http.MethodPost, Path: pathGet, Body: `{"link_id":"L"}`}, `{"errcode":48002,"errmsg":"api forbidden"}`)
	_, err := svc.Get(t.Context(), "L")
	var we *wecom.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, 48002, we.Code)
}
