package kf_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/kf"
	"github.com/scrmkit/scrm/wecom"
)

func TestAddServicerShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/servicer/add",
		Body: `{"open_kfid":"kfxxxxxxxxxxxxxx","userid_list":["zhangsan","lisi"],"department_id_list":[2,4]}`},
		`{"errcode":0,"errmsg":"ok","result_list":[{"userid":"zhangsan","errcode":0,"errmsg":"success"},{"userid":"lisi","errcode":60111,"errmsg":"userid not found"},{"department_id":2,"errcode":0,"errmsg":"success"},{"department_id":4,"errcode":0,"errmsg":"ignored"}]}`)
	resp, err := kf.New(c).AddServicer(t.Context(), &kf.AddServicerRequest{OpenKfID: "kfxxxxxxxxxxxxxx",
		UserIDList: []string{"zhangsan", "lisi"}, DepartmentIDList: []int{2, 4}})
	require.NoError(t, err)
	require.Len(t, resp.ResultList, 4)
	assert.NoError(t, resp.ResultList[0].Err())
	assert.Equal(t, 60111, wecom.ErrorCode(resp.ResultList[1].Err()))
	assert.Equal(t, "ignored", resp.ResultList[3].ErrMsg)
	assert.NoError(t, resp.ResultList[3].Err())
}

func TestDelServicerShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/kf/servicer/del",
		Body: `{"open_kfid":"kfxxxxxxxxxxxxxx","userid_list":["zhangsan"]}`},
		`{"errcode":0,"errmsg":"ok","result_list":[{"userid":"zhangsan","errcode":0,"errmsg":"success"}]}`)
	resp, err := kf.New(c).DelServicer(t.Context(), &kf.DelServicerRequest{OpenKfID: "kfxxxxxxxxxxxxxx", UserIDList: []string{"zhangsan"}})
	require.NoError(t, err)
	assert.Equal(t, []kf.ServicerResult{{UserID: "zhangsan", ErrMsg: "success"}}, resp.ResultList)
}

func TestListServicersShape(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/kf/servicer/list", Query: url.Values{"open_kfid": {"XXX"}}},
		`{"errcode":0,"errmsg":"ok","servicer_list":[{"userid":"zhangsan","status":0},{"userid":"lisi","status":1,"stop_type":1},{"department_id":2}]}`)
	list, err := kf.New(c).ListServicers(t.Context(), "XXX")
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.NotNil(t, list[0].Status)
	assert.Equal(t, kf.ReceptionOn, *list[0].Status)
	assert.Equal(t, kf.ReceptionOff, *list[1].Status)
	assert.Equal(t, kf.StopTypePause, list[1].StopType)
	assert.Nil(t, list[2].Status)
	assert.Equal(t, 2, list[2].DepartmentID)
}
