package shapetest_test

import (
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestExpectMatchesGetAndPost(t *testing.T) {
	t.Parallel()
	c, m := shapetest.New(t)
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/x/get", Query: url.Values{"id": {"7"}}},
		`{"errcode":0,"errmsg":"ok","name":"n"}`)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/x/add", Body: `{"b":1,"a":"x"}`}, "")

	var out struct {
		Name string `json:"name"`
	}
	require.NoError(t, c.Get(t.Context(), "/cgi-bin/x/get", url.Values{"id": {"7"}}, &out))
	require.Equal(t, "n", out.Name)
	require.NoError(t, c.Post(t.Context(), "/cgi-bin/x/add", map[string]any{"a": "x", "b": 1}, nil))
}

func TestNewSuiteSendsTheSuiteToken(t *testing.T) {
	t.Parallel()
	s, m := shapetest.NewSuite(t, "wwshapesuite")
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/service/get_pre_auth_code"},
		`{"errcode":0,"errmsg":"ok","pre_auth_code":"pre","expires_in":1200}`)
	pre, err := s.GetPreAuthCode(t.Context())
	require.NoError(t, err)
	require.Equal(t, "pre", pre.PreAuthCode)
}

func TestExpectReportsAMismatch(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		call  shapetest.Call
		query url.Values
		body  any
	}{
		"body":  {shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/x/add", Body: `{"a":"x"}`}, nil, map[string]any{"a": "y"}},
		"query": {shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/x/get", Query: url.Values{"id": {"7"}}}, url.Values{"id": {"8"}}, nil},
		"extra field": {shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/x/add", Body: `{"a":"x"}`}, nil,
			map[string]any{"a": "x", "b": 0}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ft := newFakeT(t)
			c, m := shapetest.New(ft)
			m.Expect(tc.call, "")
			if tc.call.Method == http.MethodGet {
				require.NoError(t, c.Get(t.Context(), tc.call.Path, tc.query, nil))
			} else {
				require.NoError(t, c.Post(t.Context(), tc.call.Path, tc.body, nil))
			}
			require.True(t, ft.finish(), "a different %s must fail the test", name)
		})
	}
}

func TestExpectRequiresExactlyOneRequest(t *testing.T) {
	t.Parallel()
	call := shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/x/add", Body: `{}`}
	for _, n := range []int{0, 1, 2} {
		ft := newFakeT(t)
		c, m := shapetest.New(ft)
		m.Expect(call, "")
		for range n {
			require.NoError(t, c.Post(t.Context(), call.Path, struct{}{}, nil))
		}
		require.Equal(t, n != 1, ft.finish(), "%d requests", n)
	}
}

func TestAnUnexpectedRequestFailsTheCall(t *testing.T) {
	t.Parallel()
	c, _ := shapetest.New(t)
	require.ErrorContains(t, c.Post(t.Context(), "/cgi-bin/x/other", struct{}{}, nil), "no responder")
}

// fakeT records failures and cleanups instead of failing the real test, so
// that a test can check that the Mock reports what it must.
type fakeT struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	cleanups []func()
}

func newFakeT(t *testing.T) *fakeT { return &fakeT{TB: t} }

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(string, ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
}

func (f *fakeT) FailNow() {
	f.Errorf("")
	runtime.Goexit()
}

func (f *fakeT) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

// finish runs the cleanups, last first, as the end of a test does, and
// reports whether the test failed.
func (f *fakeT) finish() bool {
	done := make(chan struct{})
	go func() { // FailNow ends this goroutine, not the test's
		defer close(done)
		for i := len(f.cleanups) - 1; i >= 0; i-- {
			f.cleanups[i]()
		}
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}
