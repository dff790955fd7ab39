package wecom

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// DefaultBaseURL is WeCom's API host.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// Option configures a Client (and a Suite). Options never touch a live client.
type Option func(*options)

type options struct {
	baseURL     string
	httpClient  *http.Client
	store       Store
	logger      *slog.Logger
	retry       RetryPolicy
	limiter     Limiter
	limits      map[string]Limit
	tokenSource TokenSource
	userAgent   string
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time

	// Suite-only settings (ignored by New).
	suiteKind      SuiteKind
	maxCorpClients int
	providerCorpID string
}

func defaultOptions() options {
	return options{
		baseURL:   DefaultBaseURL,
		retry:     DefaultRetryPolicy(),
		userAgent: "scrmkit/scrm",
		sleep:     sleepCtx,
		now:       time.Now,
	}
}

// fill sets the defaults that options left empty.
func (o *options) fill() {
	if o.store == nil {
		o.store = NewMemoryStore()
	}
	if o.logger == nil {
		o.logger = slog.New(discardHandler{})
	}
	if o.limiter == nil {
		o.limiter = NewMemoryLimiter(DefaultLimit, o.limits)
	}
	if o.retry == nil {
		o.retry = NoRetry
	}
	if o.sleep == nil {
		o.sleep = sleepCtx
	}
	if o.now == nil {
		o.now = time.Now
	}
}

// WithBaseURL points the client at another server, e.g. a wecomtest fake or a
// forward proxy. Default https://qyapi.weixin.qq.com.
func WithBaseURL(url string) Option { return func(o *options) { o.baseURL = url } }

// WithHTTPClient sets the HTTP client used for every call. Give it a timeout
// in production: WeCom calls normally answer within a second or two.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithStore sets where tokens (and, for suites, tickets and permanent codes)
// are kept. Default: a process-local NewMemoryStore. Give every instance the
// same shared Store (wecom/redisstore) when several serve one corp.
func WithStore(s Store) Option { return func(o *options) { o.store = s } }

// WithLogger sets the logger. The SDK is silent by default. It logs retries
// and token refreshes at Debug and Warn; it never logs tokens or secrets.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithRetryPolicy replaces the retry policy (DefaultRetryPolicy). Use NoRetry
// to turn retries off. The one token refresh after 40014/42001 happens
// whatever the policy.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithLimiter replaces the client-side rate limiter. Share one Limiter between
// the clients of a process (a Suite does so for its corps); use a Redis-backed
// one to share the budget between instances.
func WithLimiter(l Limiter) Option { return func(o *options) { o.limiter = l } }

// WithRateLimit overrides WeCom's default per-API limit (10,000/min and
// 150,000/h per corp) for one path, e.g. /cgi-bin/externalcontact/add_moment_task
// (10 a minute per corp).
// It applies to the default limiter only.
func WithRateLimit(path string, l Limit) Option {
	return func(o *options) {
		if o.limits == nil {
			o.limits = map[string]Limit{}
		}
		o.limits[normalizePath(path)] = l
	}
}

// WithTokenSource replaces how access tokens are obtained and cached, for
// callers that manage tokens themselves.
func WithTokenSource(ts TokenSource) Option { return func(o *options) { o.tokenSource = ts } }

// WithSuiteKind sets the kind of app a Suite is. The default, SuiteAuto,
// decides from the suite id ("dk..." is an agent-developed template). New
// ignores it.
func WithSuiteKind(k SuiteKind) Option { return func(o *options) { o.suiteKind = k } }

// WithMaxCorpClients bounds how many per-corp clients a Suite keeps; the
// least recently used one is dropped beyond it (default
// DefaultMaxCorpClients). Dropping costs little: tokens live in the Store, so
// a re-created client reuses them. New ignores it.
func WithMaxCorpClients(n int) Option { return func(o *options) { o.maxCorpClients = n } }

// WithProviderCorpID gives a Suite the provider's own corp id (服务商的
// corpid, shown in the provider console under 通用开发参数). WeCom encrypts the
// GET URL check of a third-party app's command URL and data URL for that id,
// while the pushes themselves carry the suite id (command URL) or the
// authorized corp's id (data URL); callback.NewSuiteCommandHandler and
// callback.NewSuiteDataHandler accept it on URL checks only. Without it a
// vendor cannot save its callback URLs in the console. New ignores it.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90968
func WithProviderCorpID(id string) Option { return func(o *options) { o.providerCorpID = id } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// withSleep replaces the context-aware sleep between retries (tests).
func withSleep(f func(context.Context, time.Duration) error) Option {
	return func(o *options) { o.sleep = f }
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// discardHandler is slog's discard handler (slog.DiscardHandler needs Go 1.24).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
