package contact_test

// The package's benchmarks: one Get and a whole Sync against a bare
// net/http + encoding/json reference, the heap of a streaming Sync, what a
// scan costs the Channels before any WeCom call, and the tolerant decoder
// of sensitive-word rules. BENCHMARKS.md has the numbers and the commands.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// detailAnswer is a get answer of about 2 KB: a WeCom user with an external
// profile and four follow users with tags.
func detailAnswer() []byte {
	var b strings.Builder
	b.WriteString(`{"errcode":0,"errmsg":"ok","external_contact":{"external_userid":"wmGetRoundTrip0001","name":"李四","position":"Manager",` +
		`"avatar":"https://wework.qpic.cn/wwhead/duc2TvpEgSSjibPZlNR6chpx9W3dtd9Ogp8XEmSNKGa6uufMWn2239HUPuwIFoYYZ7Ph580FPvo8/0",` +
		`"corp_name":"腾讯","corp_full_name":"腾讯科技有限公司","type":2,"gender":1,"unionid":"ozynqsulJFCZ2z1aYeS8h-nuasdAAA",` +
		`"external_profile":{"external_attr":[{"type":0,"name":"文本名称","text":{"value":"文本"}},{"type":1,"name":"网页名称","web":{"url":"http://www.test.com","title":"标题"}}]}},"follow_user":[`)
	for i := range 4 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"userid":"rocky%d","remark":"李部长","description":"对接采购事务","createtime":1525779812,`+
			`"tags":[{"group_name":"标签分组名称","tag_name":"标签名称","tag_id":"etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA","type":1},`+
			`{"group_name":"标签分组名称","tag_name":"标签名称2","tag_id":"etAJ2GCAAAXtWyujaWJHDDGi0mACHBBB","type":1}],`+
			`"remark_corp_name":"腾讯科技","remark_mobiles":["13800000001","13000000002"],"oper_userid":"rocky","add_way":1,"state":"spring-%d"}`, i, i)
	}
	b.WriteString(`],"next_cursor":""}`)
	return []byte(b.String())
}

// roundTripServer answers gettoken and externalcontact/get with fixed bytes,
// so that both sides of the benchmark pay the same, small server cost.
func roundTripServer(b *testing.B) *httptest.Server {
	answer := detailAnswer()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"bench-token","expires_in":7200}`)
		default:
			_, _ = w.Write(answer)
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkGetRoundTrip compares one typed contact.Get with a bare net/http
// + encoding/json call of the same endpoint, in the same run, against the
// same loopback server and the same http.Client.
func BenchmarkGetRoundTrip(b *testing.B) {
	srv := roundTripServer(b)
	hc := srv.Client()
	b.Logf("answer: %d bytes", len(detailAnswer()))

	b.Run("sdk", func(b *testing.B) {
		c := wecom.New("wwbench", "secret", wecom.WithBaseURL(srv.URL), wecom.WithHTTPClient(hc),
			wecom.WithRateLimit("/cgi-bin/externalcontact/get", wecom.Limit{}))
		svc := contact.New(c)
		ctx := b.Context()
		_, err := svc.Get(ctx, &contact.GetRequest{ExternalUserID: "wmGetRoundTrip0001"})
		require.NoError(b, err)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU()
		for range b.N {
			d, err := svc.Get(ctx, &contact.GetRequest{ExternalUserID: "wmGetRoundTrip0001"})
			require.NoError(b, err)
			require.Len(b, d.FollowUser, 4)
		}
		cpu.report(b)
	})

	b.Run("bare", func(b *testing.B) {
		ctx := b.Context()
		get := func() (*contact.CustomerDetail, error) {
			q := url.Values{"access_token": {"bench-token"}, "external_userid": {"wmGetRoundTrip0001"}}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/cgi-bin/externalcontact/get?"+q.Encode(), nil)
			if err != nil {
				return nil, err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil {
				return nil, err
			}
			var out struct {
				ErrCode int    `json:"errcode"`
				ErrMsg  string `json:"errmsg"`
				contact.CustomerDetail
			}
			if err := json.Unmarshal(data, &out); err != nil {
				return nil, err
			}
			if out.ErrCode != 0 {
				return nil, fmt.Errorf("errcode %d", out.ErrCode)
			}
			return &out.CustomerDetail, nil
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU()
		for range b.N {
			d, err := get()
			require.NoError(b, err)
			require.Len(b, d.FollowUser, 4)
		}
		cpu.report(b)
	})
}

// cpuClock measures the process's CPU time (user + system) over a
// benchmark loop and reports it per op as cpu-ns/op: on a machine shared
// with other jobs it moves far less than wall time. It counts every
// goroutine of the process, the loopback server's included, which both
// sides of a comparison share.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSync measures a full sync of 10,000 customers over 20 members
// against wecomtest (HTTP over loopback, JSON both ways).
func BenchmarkSync(b *testing.B) {
	srv := syncServer(b, 10_000)
	svc := contact.New(srv.Client())
	b.ReportAllocs()
	b.ResetTimer()
	records := 0
	for range b.N {
		for page, err := range svc.Sync(b.Context(), nil) {
			require.NoError(b, err)
			records += len(page.Records)
		}
	}
	require.Equal(b, 10_000*b.N, records)
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// syncServer is a fake WeCom with n customers over 20 members.
func syncServer(tb testing.TB, n int) *wecomtest.Server {
	srv, _ := testkit.Setup(tb)
	testkit.Seed(tb, srv, n, staffNames(20)...)
	return srv
}

// bareSync is the reference: the same calls as Sync (get_follow_user_list,
// then batch/get_by_user in batches of 100 members and pages of 100), with
// net/http, io.ReadAll and encoding/json, decoding into the same record
// type. It calls fn with each page's records.
func bareSync(ctx context.Context, hc *http.Client, base, token string, fn func([]contact.CustomerRecord)) error {
	call := func(method, path string, body, out any) error {
		var rdr io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				return err
			}
			rdr = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path+"?"+url.Values{"access_token": {token}}.Encode(), rdr)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		return json.Unmarshal(data, out)
	}
	var users struct {
		ErrCode    int      `json:"errcode"`
		FollowUser []string `json:"follow_user"`
	}
	if err := call(http.MethodGet, "/cgi-bin/externalcontact/get_follow_user_list", nil, &users); err != nil || users.ErrCode != 0 {
		return fmt.Errorf("follow users: %v %d", err, users.ErrCode)
	}
	slices.Sort(users.FollowUser)
	for i := 0; i < len(users.FollowUser); i += 100 {
		batch := users.FollowUser[i:min(i+100, len(users.FollowUser))]
		cursor := ""
		for {
			var page struct {
				ErrCode             int                      `json:"errcode"`
				ExternalContactList []contact.CustomerRecord `json:"external_contact_list"`
				NextCursor          string                   `json:"next_cursor"`
			}
			req := map[string]any{"userid_list": batch, "cursor": cursor, "limit": 100}
			if err := call(http.MethodPost, "/cgi-bin/externalcontact/batch/get_by_user", req, &page); err != nil || page.ErrCode != 0 {
				return fmt.Errorf("batch: %v %d", err, page.ErrCode)
			}
			fn(page.ExternalContactList)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return nil
}

// BenchmarkSyncVsBare streams 10,000 customers with Sync and with the bare
// reference loop, in the same run against the same fake. Both include the
// fake server's own allocations (same process), which are the same for
// both; B/record is B/op over the 10,000 records.
func BenchmarkSyncVsBare(b *testing.B) {
	const n = 10_000
	srv := syncServer(b, n)
	ctx := b.Context()
	c := srv.Client(wecom.WithRateLimit("/cgi-bin/externalcontact/batch/get_by_user", wecom.Limit{}))
	tok, err := c.AccessToken(ctx)
	require.NoError(b, err)
	b.Run("sdk", func(b *testing.B) {
		svc := contact.New(c)
		b.ReportAllocs()
		m := startAllocMeter()
		records := 0
		for range b.N {
			for page, err := range svc.Sync(ctx, nil) {
				require.NoError(b, err)
				records += len(page.Records)
			}
		}
		require.Equal(b, n*b.N, records)
		m.report(b, records)
	})
	b.Run("bare", func(b *testing.B) {
		hc := srv.HTTPClient()
		b.ReportAllocs()
		m := startAllocMeter()
		records := 0
		for range b.N {
			require.NoError(b, bareSync(ctx, hc, srv.URL, tok, func(r []contact.CustomerRecord) { records += len(r) }))
		}
		require.Equal(b, n*b.N, records)
		m.report(b, records)
	})
}

// allocMeter reports the bytes allocated per record over a loop
// (runtime.MemStats.TotalAlloc, so the fake server's share is included).
type allocMeter struct{ start uint64 }

func startAllocMeter() allocMeter {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return allocMeter{start: ms.TotalAlloc}
}

func (m allocMeter) report(b *testing.B, records int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc-m.start)/float64(records), "B/record")
}

// BenchmarkSyncHeap reports the peak live heap while streaming 10,000 and
// 100,000 customers (one sync each; ns/op is not the point).
func BenchmarkSyncHeap(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var peak uint64
			for range b.N {
				p, records := streamingPeak(b, n)
				require.Equal(b, n, records)
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/1024, "peak-live-KB")
		})
	}
}

func benchChannels(b *testing.B) (*contact.Channels, *contact.ChannelCode, *wecom.MemoryStore) {
	_, c := testkit.Setup(b, testkit.WithStaff("zhangsan"))
	store := wecom.NewMemoryStore()
	chs, err := contact.NewChannels(contact.New(c), store, contact.ChannelTemplate{})
	require.NoError(b, err)
	code, err := chs.Ensure(b.Context(), contact.Channel{Name: "spring-poster", Users: []string{"zhangsan"},
		Tags: []string{"et1", "et2"}, Remark: "{channel}·{name}"})
	require.NoError(b, err)
	return chs, code, store
}

// BenchmarkChannelsLookupState is what every add_external_contact costs
// before any WeCom call: the state's channel (known to the Channels), then
// the channel's code with its tags and remark template, from the Store.
func BenchmarkChannelsLookupState(b *testing.B) {
	chs, code, _ := benchChannels(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		_, ok, err := chs.LookupState(ctx, code.State)
		require.NoError(b, err)
		require.True(b, ok)
	}
}

// BenchmarkChannelsResolve is what message.Welcomes asks of the Channels
// for every add_external_contact: a known state's channel, from memory.
func BenchmarkChannelsResolve(b *testing.B) {
	chs, code, _ := benchChannels(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		name, ok, err := chs.Resolve(ctx, code.State)
		require.NoError(b, err)
		require.True(b, ok)
		require.Equal(b, "spring-poster", name)
	}
}

// BenchmarkChannelsStoreGetReference is the reference: the one Get
// LookupState makes (the channel's record) from the same MemoryStore,
// nothing decoded.
func BenchmarkChannelsStoreGetReference(b *testing.B) {
	_, _, store := benchChannels(b)
	ctx := b.Context()
	channelKey := channelstate.ChannelKey("scrm:contactway:"+wecomtest.DefaultCorpID+"::", "spring-poster")
	b.ReportAllocs()
	for b.Loop() {
		_, ok, err := store.Get(ctx, channelKey)
		require.NoError(b, err)
		require.True(b, ok)
	}
}

// A get_intercept_rule answer of a rule with 300 words and 200 users.
var interceptRuleJSON = func() []byte {
	words := make([]string, 300)
	for i := range words {
		words[i] = "敏感词敏感词"
	}
	users := make([]string, 200)
	for i := range users {
		users[i] = "zhangsan"
	}
	b, _ := json.Marshal(map[string]any{"rule_id": 8000001, "rule_name": "rulename", "word_list": words,
		"extra_rule": map[string]any{"semantics_list": []int{1, 2, 3}}, "intercept_type": 1,
		"applicable_range": map[string]any{"user_list": users, "department_list": []int{2, 3}}, "create_time": 1600000000})
	return b
}()

// BenchmarkInterceptRuleDecode decodes with InterceptRule's UnmarshalJSON,
// which takes rule_id as a number or a string.
func BenchmarkInterceptRuleDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r contact.InterceptRule
		require.NoError(b, json.Unmarshal(interceptRuleJSON, &r))
	}
}

// BenchmarkInterceptRuleDecodeReference decodes the same answer into a
// plain struct of the same fields (rule_id as a json.Number): the reference
// for the cost of the tolerant decoder.
func BenchmarkInterceptRuleDecodeReference(b *testing.B) {
	type plain struct {
		RuleID    json.Number `json:"rule_id"`
		RuleName  string      `json:"rule_name"`
		WordList  []string    `json:"word_list"`
		ExtraRule *struct {
			SemanticsList []int `json:"semantics_list"`
		} `json:"extra_rule"`
		InterceptType   int `json:"intercept_type"`
		ApplicableRange struct {
			UserList       []string `json:"user_list"`
			DepartmentList []int    `json:"department_list"`
		} `json:"applicable_range"`
		CreateTime int64 `json:"create_time"`
	}
	b.ReportAllocs()
	for b.Loop() {
		var r plain
		require.NoError(b, json.Unmarshal(interceptRuleJSON, &r))
	}
}
