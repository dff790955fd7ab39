package contact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
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
		ctx := context.Background()
		if _, err := svc.Get(ctx, "wmGetRoundTrip0001", ""); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU()
		for range b.N {
			d, err := svc.Get(ctx, "wmGetRoundTrip0001", "")
			if err != nil || len(d.FollowUser) != 4 {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})

	b.Run("bare", func(b *testing.B) {
		ctx := context.Background()
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
			if err != nil || len(d.FollowUser) != 4 {
				b.Fatal(err)
			}
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
