package scrmotel_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/scrmotel"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// One Observer for every client and callback handler of a process: spans
// per call, metrics of calls, tokens, limiter waits and callbacks. Here
// they go to in-memory readers; a service gives its OTLP providers.
func Example() {
	srv := wecomtest.Start()
	defer srv.Close()
	ctx, corpID, secret := context.Background(), srv.CorpID, srv.Secret
	token, aesKey := "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	obs, err := scrmotel.New(scrmotel.WithTracerProvider(tp), scrmotel.WithMeterProvider(mp))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := wecom.New(corpID, secret, wecom.WithObserver(obs), wecom.WithBaseURL(srv.URL))
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithObserver(obs))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close(ctx)

	if err := c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, nil); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range spans.Ended() {
		fmt.Println("span:", s.Name())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		fmt.Println("metric:", m.Name)
	}
	// Output:
	// span: wecom /cgi-bin/gettoken
	// span: wecom /cgi-bin/get_api_domain_ip
	// metric: wecom.call.duration
	// metric: wecom.token.fetches
	// metric: wecom.limiter.wait
}
