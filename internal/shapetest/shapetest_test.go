package shapetest_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestExpectMatchesGetAndPost(t *testing.T) {
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/x/get", Query: url.Values{"id": {"7"}}},
		`{"errcode":0,"errmsg":"ok","name":"n"}`)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/x/add", Body: `{"b":1,"a":"x"}`}, "")

	var out struct {
		Name string `json:"name"`
	}
	require.NoError(t, c.Get(context.Background(), "/cgi-bin/x/get", url.Values{"id": {"7"}}, &out))
	require.Equal(t, "n", out.Name)
	require.NoError(t, c.Post(context.Background(), "/cgi-bin/x/add", map[string]any{"a": "x", "b": 1}, nil))
}

func TestExpectReportsAMismatch(t *testing.T) {
	ft := &fakeT{TB: t}
	c, m := shapetest.New(ft)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/x/add", Body: `{"a":"x"}`}, "")
	require.NoError(t, c.Post(context.Background(), "/cgi-bin/x/add", map[string]any{"a": "y"}, nil))
	require.True(t, ft.failed, "a different body must fail the test")
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}
