package scrmotel_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/scrmotel"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const ipPath = "/cgi-bin/get_api_domain_ip"

// pipeline is an Observer recording into in-memory exporters.
func pipeline(t *testing.T) (*scrmotel.Observer, *tracetest.SpanRecorder, *sdkmetric.ManualReader) {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	obs, err := scrmotel.New(scrmotel.WithTracerProvider(tp), scrmotel.WithMeterProvider(mp))
	require.NoError(t, err)
	return obs, spans, reader
}

func attrs(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// collected returns every data point of the metric name, as attribute
// maps with the point's value (count for histograms) under "=".
func collected(t *testing.T, rm metricdata.ResourceMetrics, name string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					a := attrs(p.Attributes.ToSlice())
					a["="] = fmt.Sprint(p.Value)
					out = append(out, a)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					a := attrs(p.Attributes.ToSlice())
					a["="] = fmt.Sprint(p.Count)
					out = append(out, a)
				}
			default:
				require.Failf(t, "unexpected data", "%s: %T", name, m.Data)
			}
		}
	}
	return out
}

func find(points []map[string]string, match map[string]string) map[string]string {
	for _, p := range points {
		ok := true
		for k, v := range match {
			if p[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return nil
}

func TestSpansAndMetricsOfCalls(t *testing.T) {
	t.Parallel()
	obs, spans, reader := pipeline(t)
	srv := wecomtest.NewServer(t)
	c := srv.Client(wecom.WithObserver(obs))
	ctx := t.Context()

	srv.Fail(ipPath, wecomtest.Fault{Errcode: -1}) // one retry
	require.NoError(t, c.Get(ctx, ipPath, nil, nil))
	err := c.Post(ctx, "/cgi-bin/media/uploadimg", struct{}{}, nil) // the fake refuses a non-multipart body
	require.Error(t, err)
	code := wecom.ErrorCode(err)
	require.NotZero(t, code)
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)

	ended := spans.Ended()
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range ended {
		byName[s.Name()] = s
	}
	get := byName["wecom "+ipPath]
	require.NotNil(t, get, "spans: %v", ended)
	a := attrs(get.Attributes())
	assert.Equal(t, ipPath, a["wecom.path"])
	assert.Equal(t, "read", a["wecom.op"])
	assert.Equal(t, "GET", a["http.request.method"])
	assert.Equal(t, srv.CorpID, a["wecom.corp_id"])
	assert.Equal(t, "2", a["wecom.attempts"])
	assert.Equal(t, "0", a["wecom.errcode"])
	assert.Equal(t, "200", a["http.response.status_code"])
	assert.Equal(t, codes.Unset, get.Status().Code)
	require.Len(t, get.Events(), 1)
	ev := attrs(get.Events()[0].Attributes)
	assert.Equal(t, "retry", get.Events()[0].Name)
	assert.Equal(t, "system_busy", ev["wecom.retry.reason"])
	assert.Equal(t, "-1", ev["wecom.errcode"])

	post := byName["wecom /cgi-bin/media/uploadimg"]
	require.NotNil(t, post)
	pa := attrs(post.Attributes())
	assert.Equal(t, fmt.Sprint(code), pa["wecom.errcode"])
	assert.Equal(t, "errcode", pa["error.type"])
	assert.Equal(t, codes.Error, post.Status().Code)
	assert.Equal(t, fmt.Sprintf("errcode %d", code), post.Status().Description)
	require.NotNil(t, byName["wecom /cgi-bin/gettoken"], "the token fetch is a call too")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	dur := collected(t, rm, "wecom.call.duration")
	assert.NotNil(t, find(dur, map[string]string{"wecom.path": ipPath, "wecom.op": "read", "wecom.errcode": "0", "=": "1"}), "%v", dur)
	errs := collected(t, rm, "wecom.call.errors")
	assert.Equal(t, []map[string]string{{"wecom.path": "/cgi-bin/media/uploadimg", "wecom.op": "write",
		"wecom.errcode": fmt.Sprint(code), "error.type": "errcode", "=": "1"}}, errs)
	fetches := collected(t, rm, "wecom.token.fetches")
	assert.Equal(t, []map[string]string{{"wecom.token.kind": "corp", "wecom.token.reason": "cold", "wecom.token.source": "wecom", "=": "1"}}, fetches)
	waits := collected(t, rm, "wecom.limiter.wait")
	assert.NotNil(t, find(waits, map[string]string{"wecom.path": ipPath, "wecom.limiter.refused": "false", "=": "2"}), "%v", waits)

	// Nothing secret anywhere: no token, no secret, no query string.
	var all []string
	for _, s := range ended {
		for _, kv := range s.Attributes() {
			all = append(all, kv.Value.Emit())
		}
		for _, e := range s.Events() {
			for _, kv := range e.Attributes {
				all = append(all, kv.Value.Emit())
			}
		}
	}
	for _, name := range []string{"wecom.call.duration", "wecom.call.errors", "wecom.token.fetches", "wecom.limiter.wait"} {
		for _, p := range collected(t, rm, name) {
			for _, v := range p {
				all = append(all, v)
			}
		}
	}
	joined := strings.Join(all, "\n")
	assert.NotContains(t, joined, tok)
	assert.NotContains(t, joined, srv.Secret)
	assert.NotContains(t, joined, "?")
}

func TestMetricsOfCallbacks(t *testing.T) {
	t.Parallel()
	obs, _, reader := pipeline(t)
	const token, aesKey, corpID = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wwotelcorp000001"
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithObserver(obs), callback.WithWorkers(1, 4))
	require.NoError(t, err)
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { return nil })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := wecomtest.NewPusher(srv.URL, token, aesKey, corpID)
	p.Client = srv.Client()
	const customer = "wmOtelCustomer0001"
	_, err = p.Push(t.Context(), wecomtest.AddExternalContactXML(corpID, "zhangsan", customer, "channel-a", "WELCOME", time.Unix(1700000000, 0)))
	require.NoError(t, err)
	require.NoError(t, h.Close(t.Context())) // the run is done

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	events := collected(t, rm, "wecom.callback.events")
	assert.ElementsMatch(t, []map[string]string{
		{"wecom.event.kind": "change_external_contact", "wecom.event.change_type": "add_external_contact",
			"wecom.callback.outcome": "queued", "wecom.callback.stage": "push", "=": "1"},
		{"wecom.event.kind": "change_external_contact", "wecom.event.change_type": "add_external_contact",
			"wecom.callback.outcome": "handled", "wecom.callback.stage": "run", "=": "1"},
	}, events)
	lag := collected(t, rm, "wecom.callback.queue.lag")
	assert.Equal(t, []map[string]string{{"wecom.event.kind": "change_external_contact", "=": "1"}}, lag)
	for _, name := range []string{"wecom.callback.events", "wecom.callback.duration", "wecom.callback.queue.lag"} {
		for _, p := range collected(t, rm, name) {
			for _, v := range p {
				assert.NotContains(t, v, customer, "no external user id in metrics")
				assert.NotContains(t, v, "zhangsan", "no member id in metrics")
			}
		}
	}
}
