package message_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

// countingWeCom is a minimal WeCom on loopback for benchmarks: it hands out
// a token, answers add_msg_template with a fixed msgid and counts the
// calls. It reads each body whole, as WeCom must.
func countingWeCom(b *testing.B) (*wecom.Client, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/gettoken") {
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"bench","expires_in":7200}`)
			return
		}
		calls.Add(1)
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","fail_list":[],"msgid":"msgBENCH"}`)
	}))
	b.Cleanup(srv.Close)
	c := wecom.New("wwbench", "bench-secret", wecom.WithBaseURL(srv.URL), wecom.WithHTTPClient(srv.Client()),
		wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil)))
	return c, &calls
}

const benchRecipients = 100_000

// BenchmarkMassSend100k fans one message out to 100,000 customers with
// MassSend (dedup, split, validate, create the tasks with bounded
// concurrency) and reports the add_msg_template calls made per fan-out
// against the minimum, ceil(100,000 / 10,000) = 10.
func BenchmarkMassSend100k(b *testing.B) {
	c, calls := countingWeCom(b)
	svc := message.New(c)
	req := &message.MassSendRequest{Audience: message.Audience{ExternalUserIDs: numbered("wmBenchCustomer", benchRecipients)},
		Text: text("Spring sale: 20% off this week")}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tasks, err := svc.MassSend(bg, req)
		if err != nil || len(tasks) != 10 || tasks[9].Err != nil {
			b.Fatalf("%d tasks, %v", len(tasks), err)
		}
	}
	b.ReportMetric(float64(calls.Load())/float64(b.N), "calls/op")
	b.ReportMetric(float64((benchRecipients+message.MaxMassSendCustomers-1)/message.MaxMassSendCustomers), "min-calls/op")
}

// BenchmarkMassSend100kReference is the hand-written minimum the helper is
// compared with: the ten chunks cut in advance, posted one after the other
// through the same client, no checks.
func BenchmarkMassSend100kReference(b *testing.B) {
	c, calls := countingWeCom(b)
	ids := numbered("wmBenchCustomer", benchRecipients)
	type body struct {
		ExternalUserID []string      `json:"external_userid"`
		Text           *message.Text `json:"text"`
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for lo := 0; lo < len(ids); lo += message.MaxMassSendCustomers {
			var out message.AddMsgTemplateResponse
			if err := c.Post(bg, "/cgi-bin/externalcontact/add_msg_template",
				body{ids[lo : lo+message.MaxMassSendCustomers], text("Spring sale: 20% off this week")}, &out); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(calls.Load())/float64(b.N), "calls/op")
	b.ReportMetric(10, "min-calls/op")
}
