package message_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
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
		tasks, err := svc.MassSend(b.Context(), req)
		require.NoError(b, err)
		require.Len(b, tasks, 10)
		require.NoError(b, tasks[9].Err)
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
			require.NoError(b, c.Post(b.Context(), "/cgi-bin/externalcontact/add_msg_template",
				body{ids[lo : lo+message.MaxMassSendCustomers], text("Spring sale: 20% off this week")}, &out))
		}
	}
	b.ReportMetric(float64(calls.Load())/float64(b.N), "calls/op")
	b.ReportMetric(10, "min-calls/op")
}

// unlimited turns the client's limiter off: a benchmark measures the path,
// not WeCom's 10,000 calls a minute per API.
var unlimited = wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil))

// BenchmarkChannelCodeToWelcome is the whole path per customer: the scan
// (one wecomtest call: customer added, welcome code issued, the event
// encrypted and pushed), the Handler (decrypt, de-dup, dispatch), the
// welcome resolved by channel and sent (send_welcome_msg) on the Welcomes'
// goroutine, the tag marked and the remark set. push-to-welcome-µs is the
// time from the push to the welcome's acceptance by the fake.
func BenchmarkChannelCodeToWelcome(b *testing.B) {
	f := setupChannelFlow(b, []wecom.Option{unlimited})
	benchScans(b, f.cb, f.code.ConfigID, f.results)
}

// BenchmarkChannelCodeToWelcomeHandWritten is the reference: a handler
// written by hand for the one channel, doing the same calls with nothing
// looked up: read the name and send the welcome on a goroutine, mark the
// tag and set the remark.
func BenchmarkChannelCodeToWelcomeHandWritten(b *testing.B) {
	srv, c := testkit.Setup(b, testkit.WithStaff("zhangsan", "lisi"), testkit.WithClientOptions(unlimited))
	contacts, msgs := contact.New(c), message.New(c)
	g, err := contacts.AddCorpTag(b.Context(), &contact.AddCorpTagRequest{GroupName: "来源", Tag: []contact.NewTag{{Name: "海报"}}})
	require.NoError(b, err)
	way, err := contacts.AddContactWay(b.Context(), &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneQRCode,
		State: "X", User: []string{"zhangsan", "lisi"}})
	require.NoError(b, err)
	rs := newResults()
	cb := testkit.Callback(b, srv, func(h *callback.Handler) {
		h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
			go func() {
				ctx := context.WithoutCancel(ctx)
				name, err := contacts.CustomerName(ctx, ev.ExternalUserID)
				if err == nil {
					err = msgs.SendWelcomeMsg(ctx, &message.SendWelcomeMsgRequest{WelcomeCode: ev.WelcomeCode,
						Text: &message.Text{Content: "Welcome from channel X, " + name + "!"}})
				}
				rs.hook(ctx, &message.WelcomeResult{Outcome: message.WelcomeSent, Err: err, Done: time.Now()})
			}()
			err := contacts.MarkTag(ctx, &contact.MarkTagRequest{UserID: ev.UserID, ExternalUserID: ev.ExternalUserID, AddTag: []string{g.Tag[0].ID}})
			if err != nil {
				return err
			}
			return contacts.Remark(ctx, &contact.RemarkRequest{UserID: ev.UserID, ExternalUserID: ev.ExternalUserID,
				Remark: "X·" + time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102")})
		})
	})
	benchScans(b, cb, way.ConfigID, rs)
}

func benchScans(b *testing.B, cb *wecomtest.Corp, configID string, rs *results) {
	var total time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		_, err := cb.ScanContactWay(b.Context(), configID, "")
		require.NoError(b, err)
		res := rs.next(b)
		require.NoError(b, res.Err)
		require.Equal(b, message.WelcomeSent, res.Outcome)
		total += res.Done.Sub(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "push-to-welcome-µs")
}
