// Package scrmotel records what the SDK does as OpenTelemetry spans and
// metrics: one Observer for wecom (wecom.WithObserver) and callback
// (callback.WithObserver). It lives in its own package so that the core
// never imports OpenTelemetry.
//
//	obs, err := scrmotel.New(scrmotel.WithTracerProvider(tp), scrmotel.WithMeterProvider(mp))
//	if err != nil { ... }
//	c := wecom.New(corpID, secret, wecom.WithObserver(obs))
//	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithObserver(obs))
//
// Spans: one client span per call, named "wecom <path>" (e.g. "wecom
// /cgi-bin/externalcontact/list"), with the attributes wecom.path,
// wecom.op, wecom.corp_id, http.request.method, wecom.attempts,
// http.response.status_code and wecom.errcode, an error status when the
// call failed, and an event "retry" for each attempt that was retried
// (wecom.attempt, wecom.retry.reason, wecom.errcode).
//
// Metrics (the meter "github.com/scrmkit/scrm/scrmotel"):
//
//	wecom.call.duration          histogram, s   wecom.path, wecom.op, wecom.errcode, error.type
//	wecom.call.errors            counter        wecom.path, wecom.errcode, error.type
//	wecom.token.fetches          counter        wecom.token.kind, wecom.token.reason, wecom.token.source, error.type
//	wecom.limiter.wait           histogram, s   wecom.path, wecom.limiter.refused
//	wecom.callback.events        counter        wecom.event.kind, wecom.event.change_type, wecom.callback.outcome, wecom.callback.stage
//	wecom.callback.duration      histogram, s   wecom.event.kind, wecom.callback.outcome, wecom.callback.stage
//	wecom.callback.queue.lag     histogram, s   wecom.event.kind
//
// No secret or personal data goes into an attribute: paths never carry a
// query string (so no token), and neither spans nor metrics name a
// customer, a member or a chat. The corp id (a tenant, not a person) is on
// spans only, not on metrics, whose series would grow with the number of
// corps. error.type is one of "errcode", "http_status", "transport",
// "rate_limited", "outcome_unknown", "canceled", "deadline", "other".
package scrmotel

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
)

// instrumentation is the name of the tracer and the meter.
const instrumentation = "github.com/scrmkit/scrm/scrmotel"

// Observer records the SDK's observations as spans and metrics. It
// implements wecom.Observer and callback.Observer and is safe for
// concurrent use; give one to every client and handler of a process.
type Observer struct {
	tracer trace.Tracer

	callDuration  metric.Float64Histogram
	callErrors    metric.Int64Counter
	tokenFetches  metric.Int64Counter
	limiterWait   metric.Float64Histogram
	cbEvents      metric.Int64Counter
	cbDuration    metric.Float64Histogram
	cbQueueLag    metric.Float64Histogram
	corpIDOnSpans bool
}

var (
	_ wecom.Observer    = (*Observer)(nil)
	_ callback.Observer = (*Observer)(nil)
)

// Option configures an Observer (New).
type Option func(*config)

type config struct {
	tp     trace.TracerProvider
	mp     metric.MeterProvider
	noCorp bool
}

// WithTracerProvider sets where spans go. Default: otel.GetTracerProvider()
// (the global one; a no-op until the application sets one).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets where metrics go. Default: otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithoutCorpID leaves the corp id off spans too.
func WithoutCorpID() Option { return func(c *config) { c.noCorp = true } }

// New returns an Observer recording to the providers of opts. It fails
// when an instrument cannot be created.
func New(opts ...Option) (*Observer, error) {
	cfg := config{}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	m := cfg.mp.Meter(instrumentation)
	o := &Observer{tracer: cfg.tp.Tracer(instrumentation), corpIDOnSpans: !cfg.noCorp}
	var err, e error
	o.callDuration, e = m.Float64Histogram("wecom.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of WeCom API calls, limiter waits, token and retries included."))
	err = errors.Join(err, e)
	o.callErrors, e = m.Int64Counter("wecom.call.errors", metric.WithUnit("{call}"),
		metric.WithDescription("WeCom API calls that failed, by errcode (0 for failures without one) and error type."))
	err = errors.Join(err, e)
	o.tokenFetches, e = m.Int64Counter("wecom.token.fetches", metric.WithUnit("{fetch}"),
		metric.WithDescription("Tokens obtained other than from the client's memory, by kind, reason and source."))
	err = errors.Join(err, e)
	o.limiterWait, e = m.Float64Histogram("wecom.limiter.wait", metric.WithUnit("s"),
		metric.WithDescription("Time attempts waited for their turn at the client-side rate limiter."))
	err = errors.Join(err, e)
	o.cbEvents, e = m.Int64Counter("wecom.callback.events", metric.WithUnit("{event}"),
		metric.WithDescription("Callback pushes answered (stage push) and queued runs (stage run), by event kind and outcome."))
	err = errors.Join(err, e)
	o.cbDuration, e = m.Float64Histogram("wecom.callback.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a push to its answer (stage push), or of a queued run (stage run)."))
	err = errors.Join(err, e)
	o.cbQueueLag, e = m.Float64Histogram("wecom.callback.queue.lag", metric.WithUnit("s"),
		metric.WithDescription("How long queued pushes waited before their handlers ran."))
	err = errors.Join(err, e)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// CallStart implements wecom.Observer: it starts the call's span.
func (o *Observer) CallStart(ctx context.Context, c wecom.CallInfo) context.Context {
	attrs := []attribute.KeyValue{
		attribute.String("wecom.path", c.Path),
		attribute.String("wecom.op", opName(c.Op)),
		attribute.String("http.request.method", c.Method),
	}
	if o.corpIDOnSpans && c.CorpID != "" {
		attrs = append(attrs, attribute.String("wecom.corp_id", c.CorpID))
	}
	ctx, _ = o.tracer.Start(ctx, "wecom "+c.Path, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

// CallAttempt implements wecom.Observer: a retried attempt becomes an
// event of the call's span.
func (o *Observer) CallAttempt(ctx context.Context, a wecom.AttemptInfo) {
	if a.Retry == wecom.RetryNone {
		return
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent("retry", trace.WithAttributes(
		attribute.Int("wecom.attempt", a.Attempt),
		attribute.String("wecom.retry.reason", string(a.Retry)),
		attribute.Int("wecom.errcode", a.ErrCode),
		attribute.Int("http.response.status_code", a.StatusCode),
		attribute.Float64("wecom.retry.wait", a.RetryWait.Seconds()),
	))
}

// CallEnd implements wecom.Observer: it ends the span and records the
// call's duration and, for a failure, its errcode.
func (o *Observer) CallEnd(ctx context.Context, e wecom.CallEndInfo) {
	kind := errorType(e.Err)
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.Int("wecom.attempts", e.Attempts),
			attribute.Int("wecom.errcode", e.ErrCode),
		)
		if e.StatusCode != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", e.StatusCode))
		}
		if e.Err != nil {
			span.SetAttributes(attribute.String("error.type", kind))
			span.SetStatus(codes.Error, errorStatus(e))
		}
	}
	span.End()
	attrs := []attribute.KeyValue{
		attribute.String("wecom.path", e.Path),
		attribute.String("wecom.op", opName(e.Op)),
		attribute.Int("wecom.errcode", e.ErrCode),
	}
	if e.Err != nil {
		attrs = append(attrs, attribute.String("error.type", kind))
	}
	set := metric.WithAttributes(attrs...)
	o.callDuration.Record(ctx, e.Duration.Seconds(), set)
	if e.Err != nil {
		o.callErrors.Add(ctx, 1, set)
	}
}

// TokenFetch implements wecom.Observer.
func (o *Observer) TokenFetch(ctx context.Context, f wecom.TokenFetchInfo) {
	source := "wecom"
	if f.FromStore {
		source = "store"
	}
	attrs := []attribute.KeyValue{
		attribute.String("wecom.token.kind", string(f.Kind)),
		attribute.String("wecom.token.reason", string(f.Reason)),
		attribute.String("wecom.token.source", source),
	}
	if f.Err != nil {
		attrs = append(attrs, attribute.String("error.type", errorType(f.Err)))
	}
	o.tokenFetches.Add(ctx, 1, metric.WithAttributes(attrs...))
}

// LimiterWait implements wecom.Observer.
func (o *Observer) LimiterWait(ctx context.Context, w wecom.LimiterWaitInfo) {
	o.limiterWait.Record(ctx, w.Waited.Seconds(), metric.WithAttributes(
		attribute.String("wecom.path", w.Path),
		attribute.Bool("wecom.limiter.refused", w.Err != nil),
	))
}

// Pushed implements callback.Observer.
func (o *Observer) Pushed(ctx context.Context, p callback.PushInfo) {
	o.callbackEvent(ctx, "push", p.Kind, p.ChangeType, string(p.Outcome), p.Latency)
}

// Ran implements callback.Observer.
func (o *Observer) Ran(ctx context.Context, r callback.RunInfo) {
	o.callbackEvent(ctx, "run", r.Kind, r.ChangeType, string(r.Outcome), r.Duration)
	o.cbQueueLag.Record(ctx, r.QueueLag.Seconds(), metric.WithAttributes(attribute.String("wecom.event.kind", string(r.Kind))))
}

func (o *Observer) callbackEvent(ctx context.Context, stage string, kind callback.EventKind, change callback.ChangeType, outcome string, d time.Duration) {
	base := []attribute.KeyValue{
		attribute.String("wecom.event.kind", string(kind)),
		attribute.String("wecom.callback.outcome", outcome),
		attribute.String("wecom.callback.stage", stage),
	}
	o.cbDuration.Record(ctx, d.Seconds(), metric.WithAttributes(base...))
	o.cbEvents.Add(ctx, 1, metric.WithAttributes(append(base, attribute.String("wecom.event.change_type", string(change)))...))
}

func opName(op wecom.Op) string {
	switch op {
	case wecom.OpRead:
		return "read"
	case wecom.OpIdempotent:
		return "idempotent"
	}
	return "write"
}

// errorType classifies a failure for the error.type attribute.
func errorType(err error) string {
	var he *wecom.HTTPError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, wecom.ErrOutcomeUnknown):
		return "outcome_unknown"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded) && !wecom.IsRateLimited(err):
		return "deadline"
	case wecom.ErrorCode(err) != 0:
		return "errcode"
	case wecom.IsRateLimited(err):
		return "rate_limited"
	case errors.As(err, &he):
		return "http_status"
	case wecom.IsRetryable(err):
		return "transport"
	}
	return "other"
}

// errorStatus is the span's status description: the errcode, or the kind
// of failure (never the error's text, which may name ids).
func errorStatus(e wecom.CallEndInfo) string {
	if e.ErrCode != 0 {
		return "errcode " + strconv.Itoa(e.ErrCode)
	}
	return errorType(e.Err)
}
