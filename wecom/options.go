package wecom

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-resty/resty/v2"
)

// DefaultBaseURL is WeCom's API host.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// Option configures a Client (New) or a Provider (NewProvider). Every
// Option is also a SuiteOption, so the settings a Suite shares with the
// clients of its corps (WithStore, WithLogger, WithHTTPClient...) are given
// to NewSuite the same way. Options only record settings: they never touch a
// live client, and an invalid one is reported by the first call.
type Option func(*options)

// applySuite makes every Option a SuiteOption.
func (o Option) applySuite(s *options) {
	if o != nil {
		o(s)
	}
}

// SuiteOption configures a Suite (NewSuite): any Option, or one of the
// suite-only settings WithSuiteKind, WithMaxCorpClients and
// WithProviderCorpID, which New does not accept:
//
//	s := wecom.NewSuite(suiteID, suiteSecret,
//		wecom.WithStore(store), wecom.WithProviderCorpID(providerCorpID))
type SuiteOption interface {
	applySuite(*options)
}

// suiteOption is a suite-only setting.
type suiteOption func(*options)

func (o suiteOption) applySuite(s *options) { o(s) }

type options struct {
	baseURL     string
	httpClient  *http.Client
	restyClient *resty.Client // WithRestyClient
	rc          *resty.Client // built once by NewSuite for the suite and its corps
	observer    Observer
	store       Store
	logger      *slog.Logger
	retry       RetryPolicy
	limiter     Limiter
	limits      map[string]Limit
	tokenSource TokenSource
	userAgent   string
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time

	// The app's agent id (agent.go): WithAgentID's, or, for a Suite's corp
	// clients, the source of the one stored for the corp.
	agentID     int
	agentSource func(context.Context) (int, error)

	// err is a setting the constructor found invalid, reported by every
	// call of the clients built with these options.
	err error

	// Suite-only settings (SuiteOption).
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

// clientOptions applies opts over the defaults.
func clientOptions(opts []Option) options {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// fill sets the defaults that options left empty.
func (o *options) fill() {
	if o.store == nil {
		o.store = NewMemoryStore()
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.limiter == nil {
		o.limiter = NewMemoryLimiter(DefaultLimit(), o.limits)
	}
	if o.retry == nil {
		o.retry = NoRetry()
	}
	if o.sleep == nil {
		o.sleep = sleepCtx
	}
	if o.now == nil {
		o.now = time.Now
	}
}

// recordErr records an invalid setting (the first one wins).
func (o *options) recordErr(err error) {
	if o.err == nil {
		o.err = err
	}
}

// withoutTokenSource drops a WithTokenSource given to a constructor that
// obtains its tokens itself (NewSuite, NewProvider), recording the mistake
// so that every call reports it.
func (o *options) withoutTokenSource(who string) {
	if o.tokenSource != nil && o.err == nil {
		o.err = errors.New("wecom: " + who + " was given WithTokenSource, which is for New only: it obtains its tokens itself")
	}
	o.tokenSource = nil
}

// WithBaseURL points the client at another server, e.g. a wecomtest fake or a
// forward proxy. Default https://qyapi.weixin.qq.com. A URL that is not
// http(s)://host is reported by the first call.
func WithBaseURL(url string) Option { return func(o *options) { o.baseURL = url } }

// WithHTTPClient sets the HTTP client used for every call (its transport,
// timeout, cookie jar; it is copied, not changed). Give it a timeout in
// production: WeCom calls normally answer within a second or two. Without
// it (and without WithRestyClient) every Client shares one transport,
// http.DefaultTransport's connection pool, with a 30-second timeout per
// attempt.
//
// The SDK's RoundTripper goes in front of hc's transport and adds the
// access token (and the secrets of token calls) to each request: a
// RoundTripper of hc's sees requests as sent, secrets included. See
// WithRestyClient for what else sees what. WithHTTPClient and
// WithRestyClient exclude each other (the first call reports both given).
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithRestyClient makes the client send its calls through rc, a resty v2
// client the application configured (proxy, TLS, tracing and logging
// middlewares, debug log), instead of a resty client of its own. The SDK
// still reads and decodes every answer itself, retries by its own policy
// (WithRetryPolicy) and never re-sends a write that may have reached WeCom.
//
// What the client does with rc, once, when it is built (New, NewSuite,
// NewProvider): it puts its own RoundTripper in front of the transport of
// rc's http.Client (rc.SetTransport). That RoundTripper adds the access
// token, and the secrets of token and authorization calls, to the SDK's
// requests only, and refuses redirects; every other request of rc passes
// through unchanged. Configure rc's transport (SetTransport, SetProxy,
// SetTLSClientConfig, httpmock) before giving it here: resty's helpers
// that change an *http.Transport in place do not see it behind the SDK's
// RoundTripper, and a transport set afterwards leaves the SDK's out (the
// calls then fail, unsent with their token, saying so). rc must not retry
// by itself (RetryCount 0, resty's default): the first call reports a
// client that does. rc's other settings are left alone; its client-level
// headers, query parameters and auth token go with the SDK's requests too.
//
// What the application's code on rc sees of the SDK's calls:
//
//   - OnBeforeRequest middlewares, SetPreRequestHook, OnRequestLog, the
//     debug log (SetDebug) and its curl command: the method, the URL with
//     the call's query but no access_token, suite_access_token or
//     provider_access_token, and the JSON body; token and authorization
//     calls (gettoken, get_suite_token, get_corp_token, get_provider_token,
//     get_permanent_code, get_auth_info) show only their
//     non-secret fields: no corpsecret, suite_secret, suite_ticket,
//     provider_secret, auth_code or permanent_code. Media uploads show
//     "BODY IS io.Reader".
//   - OnResponseLog and the debug log: status and headers; the body is
//     shown as "DO NOT PARSE RESPONSE - Enabled" (the SDK reads it), so no
//     token or permanent code in an answer is logged.
//   - OnAfterResponse middlewares are not run for the SDK's calls (resty
//     skips them for answers it does not parse); OnSuccess, OnError and
//     OnPanic hooks are, with resty's Request and Response: they must not
//     read the Response's RawBody, which the SDK reads afterwards.
//   - OnError and resty's error log: errors whose URL has no secret.
//   - A RoundTripper of rc's own (below the SDK's): the request as sent,
//     with the token and secrets. Log it with care, or not at all.
func WithRestyClient(rc *resty.Client) Option {
	return func(o *options) {
		if rc == nil {
			o.recordErr(errors.New("wecom: WithRestyClient(nil): give a *resty.Client, or leave the option out"))
			return
		}
		o.restyClient = rc
	}
}

// WithObserver makes the client report what it does to obs: every call
// and each of its attempts, every token fetch, every wait at the limiter
// (see Observer). A Suite passes it on to the clients of its corps. Without
// it nothing is observed, at no cost. Package scrmotel has an Observer that
// records OpenTelemetry spans and metrics.
func WithObserver(obs Observer) Option { return func(o *options) { o.observer = obs } }

// WithStore sets where tokens (and, for suites, tickets and permanent codes)
// are kept. Default: a process-local NewMemoryStore. Give every instance the
// same shared Store (package redisstore) when several serve one corp.
func WithStore(s Store) Option { return func(o *options) { o.store = s } }

// WithLogger sets the logger. The SDK is silent by default. It logs retries
// and token refreshes at Debug and Warn; it never logs tokens or secrets.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets what time it is for the client and everything built on
// it: token and media-id expiry, the age of a suite_ticket, the window a
// MaybeCreatedError names, and the helpers of the API packages that read
// Client.Now. Waits (retry backoff, the frequency limiter) keep running on
// real timers. Default time.Now; tests give a fake clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRetryPolicy replaces the retry policy (DefaultRetryPolicy). Use
// NoRetry() to turn retries off. The one token refresh after 40014/42001
// happens whatever the policy.
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
// callers that manage tokens themselves. It is for New: a Suite and a
// Provider given it report so on their first call.
func WithTokenSource(ts TokenSource) Option { return func(o *options) { o.tokenSource = ts } }

// WithSuiteKind sets the kind of app a Suite is. The default, SuiteAuto,
// decides from the suite id ("dk..." is an agent-developed template).
func WithSuiteKind(k SuiteKind) SuiteOption {
	return suiteOption(func(o *options) { o.suiteKind = k })
}

// WithMaxCorpClients bounds how many per-corp clients a Suite keeps; the
// least recently used one is dropped beyond it (default
// DefaultMaxCorpClients; n <= 0 keeps the default). Dropping costs little:
// tokens live in the Store, so a re-created client reuses them.
func WithMaxCorpClients(n int) SuiteOption {
	return suiteOption(func(o *options) { o.maxCorpClients = n })
}

// WithProviderCorpID gives a Suite the provider's own corp id (服务商的
// corpid, shown in the provider console under 通用开发参数). WeCom encrypts the
// GET URL check of a third-party app's command URL and data URL for that id,
// while the pushes themselves carry the suite id (command URL) or the
// authorized corp's id (data URL); callback.NewSuiteCommandHandler and
// callback.NewSuiteDataHandler accept it on URL checks only. Without it a
// vendor cannot save its callback URLs in the console.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90968
func WithProviderCorpID(id string) SuiteOption {
	return suiteOption(func(o *options) { o.providerCorpID = id })
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

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
