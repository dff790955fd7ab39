package testkit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// recorder is a testing.TB that records failures instead of failing the
// test; FailNow ends the goroutine, as the testing package's does.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); r.FailNow() }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }
func (r *recorder) Fail()                             { r.Errorf("failed") }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// fails runs fn with a recorder on a goroutine of its own and reports
// whether fn failed it, with what it said.
func fails(t *testing.T, fn func(tb testing.TB)) (bool, []string) {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.Failed(), r.msgs
}

func TestSetupWiresAClientWithFastRetries(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"))
	assert.Equal(t, srv.CorpID, c.CorpID())

	const path = "/cgi-bin/externalcontact/get_follow_user_list"
	srv.Fail(path, wecomtest.Fault{Errcode: wecom.CodeSystemBusy, Times: 2})
	var out struct {
		FollowUser []string `json:"follow_user"`
	}
	require.NoError(t, c.Get(t.Context(), path, nil, &out), "system busy is retried")
	assert.Equal(t, []string{"zhangsan", "lisi"}, out.FollowUser, "WithStaff enabled them")
	assert.Equal(t, 3, srv.Count(path))
}

func TestSetupClosesTheServerWhenTheTestEnds(t *testing.T) {
	t.Parallel()
	var srv *wecomtest.Server
	t.Run("test", func(t *testing.T) {
		srv, _ = testkit.Setup(t)
		resp, err := srv.HTTPClient().Get(srv.URL + "/cgi-bin/gettoken")
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	})
	_, err := http.Get(srv.URL + "/cgi-bin/gettoken")
	assert.Error(t, err, "closed at the end of the test")
}

func TestSetupOptions(t *testing.T) {
	t.Parallel()
	var applied bool
	_, _ = testkit.Setup(t, testkit.WithServerOptions(func(*wecomtest.Server) { applied = true }), nil)
	assert.True(t, applied, "the fake's options reach it; a nil option is skipped")

	// The client's options come after the fake's wiring and win: no retry.
	srv, c := testkit.Setup(t, testkit.WithClientOptions(wecom.WithRetryPolicy(&wecom.Backoff{MaxAttempts: 1})))
	const path = "/cgi-bin/externalcontact/get_follow_user_list"
	srv.Fail(path, wecomtest.Fault{Errcode: wecom.CodeSystemBusy, Times: 1})
	testkit.WantCode(t, c.Get(t.Context(), path, nil, nil), wecom.CodeSystemBusy)
	assert.Equal(t, 1, srv.Count(path))
}

func TestWithClockRunsTheFakeOnTheClock(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk))
	clk.Advance(time.Hour)
	ids := testkit.Seed(t, srv, 1, "zhangsan")
	var out struct {
		FollowUser []struct {
			CreateTime int64 `json:"createtime"`
		} `json:"follow_user"`
	}
	require.NoError(t, c.Get(t.Context(), "/cgi-bin/externalcontact/get", url.Values{"external_userid": {ids[0]}}, &out))
	require.Len(t, out.FollowUser, 1)
	assert.Equal(t, clk.Now().Unix(), out.FollowUser[0].CreateTime)
}

func TestSeedSpreadsCustomersOverTheStaff(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	ids := testkit.Seed(t, srv, 5, "zhangsan", "lisi")
	require.Len(t, ids, 5)
	byMember := map[string][]string{}
	for _, u := range []string{"zhangsan", "lisi"} {
		var out struct {
			ExternalUserID []string `json:"external_userid"`
		}
		require.NoError(t, c.Get(t.Context(), "/cgi-bin/externalcontact/list", url.Values{"userid": {u}}, &out))
		byMember[u] = out.ExternalUserID
	}
	assert.Equal(t, []string{ids[0], ids[2], ids[4]}, byMember["zhangsan"])
	assert.Equal(t, []string{ids[1], ids[3]}, byMember["lisi"])

	failed, _ := fails(t, func(tb testing.TB) { testkit.Seed(tb, srv, 1) })
	assert.True(t, failed, "customers need a member to add them")
}

func TestGroupChat(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("owner"))
	cust := testkit.Seed(t, srv, 1, "owner")
	id := testkit.GroupChat(t, srv, "owner", "VIP", cust[0])
	var out struct {
		GroupChat struct {
			Owner      string `json:"owner"`
			Name       string `json:"name"`
			MemberList []struct {
				UserID string `json:"userid"`
			} `json:"member_list"`
		} `json:"group_chat"`
	}
	require.NoError(t, c.Post(t.Context(), "/cgi-bin/externalcontact/groupchat/get", map[string]string{"chat_id": id}, &out))
	assert.Equal(t, "owner", out.GroupChat.Owner)
	assert.Equal(t, "VIP", out.GroupChat.Name)
	assert.Len(t, out.GroupChat.MemberList, 2)
}

func TestAcquisitionQuota(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	testkit.AcquisitionQuota(t, srv, 300, time.Now().AddDate(0, 6, 0))
	var out struct {
		Total   int64 `json:"total"`
		Balance int64 `json:"balance"`
	}
	require.NoError(t, c.Get(t.Context(), "/cgi-bin/externalcontact/customer_acquisition_quota", nil, &out))
	assert.Equal(t, int64(300), out.Total)
	assert.Equal(t, int64(300), out.Balance)
}

func TestThirdPartyAppIsAnotherAppOfTheCorp(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	app := testkit.ThirdPartyApp(t, srv, "wwsuite1")
	assert.Equal(t, srv.CorpID, app.CorpID())
	mine, err := c.AccessToken(t.Context())
	require.NoError(t, err)
	its, err := app.AccessToken(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, mine, its, "a token of its own")
	require.NoError(t, app.Get(t.Context(), "/cgi-bin/externalcontact/get_follow_user_list", nil, nil))
}

func TestCallbackDeliversTheFakesPushes(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan"))
	got := make(chan *callback.ExternalContactEvent, 1)
	cb := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
			got <- ev
			return nil
		})
	})
	var way struct {
		ConfigID string `json:"config_id"`
	}
	require.NoError(t, c.Post(t.Context(), "/cgi-bin/externalcontact/add_contact_way",
		map[string]any{"type": 1, "scene": 2, "state": "s1", "user": []string{"zhangsan"}}, &way))
	scan, err := cb.ScanContactWay(t.Context(), way.ConfigID, "")
	require.NoError(t, err)
	ev := <-got
	assert.Equal(t, "s1", ev.State)
	assert.Equal(t, scan.ExternalUserID, ev.ExternalUserID)
	assert.Equal(t, http.StatusOK, scan.Push.Status())
}

func TestLastBodyAndRaw(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	const path = "/cgi-bin/externalcontact/groupchat/get"
	require.Error(t, testkit.Raw(t, c, path, map[string]any{"chat_id": "", "need_name": 1}))
	testkit.WantCode(t, testkit.Raw(t, c, path, map[string]any{"chat_id": "wrNope"}), 40050)
	assert.Equal(t, map[string]any{"chat_id": "wrNope"}, testkit.LastBody(t, srv, path), "the last one")

	failed, msgs := fails(t, func(tb testing.TB) { testkit.LastBody(tb, srv, "/cgi-bin/never") })
	assert.True(t, failed)
	assert.Contains(t, fmt.Sprint(msgs), "no request for /cgi-bin/never")
}

type code int

func TestErrorExpectations(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("pkg: invalid argument")
	other := errors.New("pkg: something else")
	busy := &wecom.Error{Code: wecom.CodeSystemBusy, Msg: "system busy"}
	limited := &wecom.Error{Code: wecom.CodeFreqOutOfLimit, Msg: "api freq out of limit"}
	unknown := fmt.Errorf("add_contact_way: %w", wecom.ErrOutcomeUnknown)
	for _, tc := range []struct {
		name string
		fn   func(tb testing.TB)
		fail bool
	}{
		{"WantCode, the code", func(tb testing.TB) { testkit.WantCode(tb, busy, -1) }, false},
		{"WantCode, a typed code", func(tb testing.TB) { testkit.WantCode(tb, fmt.Errorf("wrapped: %w", limited), code(45009)) }, false},
		{"WantCode, another code", func(tb testing.TB) { testkit.WantCode(tb, busy, 45009) }, true},
		{"WantCode, no error", func(tb testing.TB) { testkit.WantCode(tb, nil, 0) }, true},
		{"WantCode, not WeCom's", func(tb testing.TB) { testkit.WantCode(tb, other, 40001) }, true},
		{"WantInvalid, the sentinel", func(tb testing.TB) { testkit.WantInvalid(tb, fmt.Errorf("x: %w", sentinel), sentinel) }, false},
		{"WantInvalid, another error", func(tb testing.TB) { testkit.WantInvalid(tb, other, sentinel) }, true},
		{"WantInvalid, no error", func(tb testing.TB) { testkit.WantInvalid(tb, nil, sentinel) }, true},
		{"WantOutcomeUnknown", func(tb testing.TB) { testkit.WantOutcomeUnknown(tb, unknown) }, false},
		{"WantOutcomeUnknown, a plain failure", func(tb testing.TB) { testkit.WantOutcomeUnknown(tb, busy) }, true},
		{"WantRateLimited", func(tb testing.TB) { testkit.WantRateLimited(tb, limited) }, false},
		{"WantRateLimited, another code", func(tb testing.TB) { testkit.WantRateLimited(tb, busy) }, true},
		{"WantRateLimited, no error", func(tb testing.TB) { testkit.WantRateLimited(tb, nil) }, true},
	} {
		failed, msgs := fails(t, tc.fn)
		assert.Equal(t, tc.fail, failed, "%s: %v", tc.name, msgs)
	}
}

func TestRecv(t *testing.T) {
	t.Parallel()
	ch := make(chan int, 1)
	ch <- 7
	require.Equal(t, 7, testkit.Recv(t, ch))
	close(ch)
	require.Zero(t, testkit.Recv(t, ch), "a closed channel gives the zero value")
	done := make(chan struct{})
	go close(done)
	testkit.Recv(t, done)
}
