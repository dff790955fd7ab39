// Command observability shows what the SDK reports through OpenTelemetry:
// it runs a few calls and a callback push against the fake WeCom
// (wecomtest), in-process, with package scrmotel recording spans and
// metrics and the stdout exporters printing them (spans as each call ends,
// metrics once at the end):
//
//	go run ./examples/observability
//
// The calls: a read that WeCom answers "system busy" once (a span with a
// retry event), a write refused with an errcode (an error span and an
// errors-by-code data point), the token fetch behind them, and an
// add_external_contact push handled by a queue worker (callback events and
// queue lag). In a service, give the same Observer to every wecom client
// and callback handler, and exporters of your backend (OTLP) instead of
// stdout.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/scrmotel"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "observability failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) (err error) {
	// OpenTelemetry: spans and metrics to out.
	spanExp, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanExp))
	metricExp, err := stdoutmetric.New(stdoutmetric.WithWriter(out), stdoutmetric.WithPrettyPrint())
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExp)))
	defer func() {
		// Shutting the meter provider down exports the metrics once more.
		if serr := mp.Shutdown(context.Background()); err == nil {
			err = serr
		}
		if serr := tp.Shutdown(context.Background()); err == nil {
			err = serr
		}
	}()
	obs, err := scrmotel.New(scrmotel.WithTracerProvider(tp), scrmotel.WithMeterProvider(mp))
	if err != nil {
		return err
	}

	// The fake WeCom, and a client observed by obs.
	srv := wecomtest.Start()
	defer srv.Close()
	c := srv.Client(wecom.WithObserver(obs))

	srv.Fail("/cgi-bin/get_api_domain_ip", wecomtest.Fault{Errcode: -1})
	var ips struct {
		IPList []string `json:"ip_list"`
	}
	if err := c.Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &ips); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	fmt.Fprintf(out, "# read get_api_domain_ip after a retry: %d IPs\n", len(ips.IPList))
	err = c.Post(ctx, "/cgi-bin/media/uploadimg", struct{}{}, nil)
	fmt.Fprintf(out, "# write refused with errcode %d\n", wecom.ErrorCode(err))

	// A callback handler observed by obs, with a queue worker.
	const token, aesKey = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(srv.CorpID),
		callback.WithObserver(obs), callback.WithWorkers(1, 16))
	if err != nil {
		return err
	}
	h.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error { return nil })
	hs := httptest.NewServer(h)
	defer hs.Close()
	p := wecomtest.NewPusher(hs.URL, token, aesKey, srv.CorpID)
	p.Client = hs.Client()
	push := wecomtest.AddExternalContactXML(srv.CorpID, "zhangsan", "wmExampleCustomer", "channel-a", "WELCOME", time.Now())
	if _, err := p.Push(ctx, push); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if err := h.Close(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "# pushed add_external_contact; handled by the queue worker")
	return nil
}
