// Package wecom is the core of scrmkit: a client for WeCom's (企业微信)
// server API that the API packages (contact, groupchat, message,
// acquisition, idconvert) and callback build on.
//
// # Clients
//
// New returns a Client for one app of one corp: a self-built app (with the
// app's or the customer-contact secret) or an agent-developed app (with the
// permanent code WeCom pushed on authorization as its secret).
//
//	c := wecom.New(corpID, secret, wecom.WithLogger(logger))
//
// Every API call goes through Do (Get and Post are shorthands): the client
// puts the access token in the query string, waits for the frequency
// limiter, sends the request, turns errcode != 0 into *Error and retries what
// is safe to retry. GetAPIDomainIPs and GetCallbackIPs list the addresses
// of WeCom's API domain and those its callbacks come from.
//
// Options (Option) configure a Client: WithBaseURL, WithHTTPClient,
// WithRestyClient, WithStore, WithLogger, WithObserver, WithClock,
// WithRetryPolicy, WithLimiter, WithRateLimit, WithTokenSource,
// WithUserAgent. They only record settings;
// an invalid one (a base URL that is not http(s)://host) is reported by the
// first call.
//
// The calls that name their app (application messages) take the app's
// agent id from Client.AgentID: WithAgentID's for a self-built app, and
// for a Suite's corp client the one of the installation (Suite.AgentID).
//
// A package built on a Client needs no settings of its own: it keeps state
// with Client.Store, logs with Client.Logger, makes WeCom's serial-only
// calls one at a time per corp with Client.Serial, and reads time with
// Client.Now.
//
// # Bring your own resty client
//
// The HTTP layer is resty v2 (github.com/go-resty/resty/v2). By default
// each Client has a resty client of its own over one transport shared by
// all (http.DefaultTransport's connection pool), with a 30-second timeout;
// WithHTTPClient puts it over an http.Client of yours. An application that
// already runs resty hands the SDK its configured client, proxy, TLS,
// tracing and logging middlewares included, with WithRestyClient:
//
//	rc := resty.New().SetTimeout(10 * time.Second) // and the application's middlewares
//	c := wecom.New(corpID, secret, wecom.WithRestyClient(rc))
//
// The SDK keeps its promises over any resty client: it reads and decodes
// every answer itself (bounded, into a pooled buffer), retries by its own
// policy (the resty client must not retry: RetryCount 0), never re-sends
// a write that may have reached WeCom, and refuses redirects. Secrets stay
// out of resty: the SDK's own RoundTripper, which it puts in front of the
// resty client's transport once, adds the access token and the secrets of
// token and authorization calls (corpsecret, suite_secret, suite_ticket,
// provider_secret, auth codes, permanent codes) below resty, so resty's
// request, its debug log and curl command, and the application's
// OnBeforeRequest, pre-request, OnRequestLog, OnResponseLog, OnSuccess and
// OnError code never see them; answers are shown as "DO NOT PARSE
// RESPONSE" (the SDK reads them), and OnAfterResponse middlewares are not
// run for the SDK's calls. A RoundTripper of the application's own, below
// the SDK's, sees each request as sent, token included. WithRestyClient
// says all of it in detail.
//
// # Observing the SDK
//
// An Observer (WithObserver) sees every call (path, Op, each attempt with
// its HTTP status, errcode, duration and, when another follows, the retry
// reason), every token fetch (whose: corp, suite or provider and its id;
// why: cold, expired, rejected, refresh-ahead; from the Store or WeCom) and
// every turn at the frequency limiter (how long it waited, or why it
// refused). A Suite passes its Observer on to its corps' clients.
// callback.WithObserver does the same for callback pushes, and package
// scrmotel records both as OpenTelemetry spans and metrics:
//
//	obs, err := scrmotel.New(scrmotel.WithTracerProvider(tp), scrmotel.WithMeterProvider(mp))
//	c := wecom.New(corpID, secret, wecom.WithObserver(obs))
//
// Observations carry no token, secret or query string. Without an
// Observer the client makes none, at no cost (not one allocation).
//
// # Suites and providers
//
// NewSuite returns a Suite for a third-party app (第三方应用) or an
// agent-developed app template (代开发应用模板) serving many corps: it keeps
// the newest suite_ticket (SetTicket), the suite_access_token and one
// permanent code per authorized corp (HandleCreateAuth, SetPermanentCode,
// ForgetCorp) in the Store, and hands out a *Client per authorized corp
// with Corp. Its other calls are the suite API: pre-auth codes, auth info,
// app admins, UnionIDToExternalUserID3rd. NewSuite takes SuiteOptions:
// every Option, plus the suite-only WithSuiteKind, WithMaxCorpClients and
// WithProviderCorpID, which New does not accept.
//
//	s := wecom.NewSuite(suiteID, suiteSecret,
//		wecom.WithStore(store), wecom.WithProviderCorpID(providerCorpID))
//
// NewProvider returns a Provider for the provider-level calls made with the
// provider_access_token.
//
// # Tokens
//
// Tokens (TokenSource) are cached in a Store, fetched once no matter how
// many callers ask, refreshed in the background before they expire, and
// dropped and fetched again once when WeCom rejects them (40014, 42001).
// Store keys never contain secrets.
//
// # Store and Locker
//
// A Store keeps what must outlive a call and may be shared by several
// instances: tokens, suite tickets, permanent codes, and the state of the
// API packages' helpers. NewMemoryStore is the process-local default; it is
// also a Locker, as a shared store should be (package redisstore keeps both
// in Redis), so that a token is fetched by one instance at a time and
// Serial holds across instances.
//
// # Frequency limits
//
// WeCom allows each corp 10,000 calls a minute and 150,000 an hour per API
// (DefaultLimit). The client's Limiter (NewMemoryLimiter by default) keeps
// under that before WeCom answers 45009; override one path with
// WithRateLimit, or share the budget between instances with a Limiter on a
// shared store. A call whose turn would come after its context's deadline is
// refused at once with a *RateLimitError, before anything is sent.
//
// # Retries and writes
//
// WeCom has no idempotency keys. A call's Op says what may be repeated:
// OpRead and OpIdempotent calls are retried after system-busy answers, HTTP
// 5xx, connection failures and (with a longer backoff) frequency limits;
// OpWrite calls only when the request provably never left. Backoff is the
// standard RetryPolicy (DefaultRetryPolicy); NoRetry turns retries off. A
// write that may have reached WeCom fails with an error matching
// ErrOutcomeUnknown; a create that may have landed fails with a
// *MaybeCreatedError saying how to find out.
//
// # Errors
//
// Every errcode != 0 is an *Error (Code, Msg, Path); the errcodes the SDK
// names are the Code… constants, one table for every package. IsTokenExpired,
// IsRateLimited (also errors.Is(err, ErrRateLimited)), IsInvalidSecret and
// IsRetryable classify errors; ErrorCode extracts the code. A non-200 answer
// is an *HTTPError. No error or log line carries a token or a secret.
//
// # Media
//
// UploadMedia uploads temporary media (three days, MediaLifetime) and
// UploadAttachment the attachments of Moments and product albums; UploadImage
// returns a permanent URL for an image. A MediaCache (NewMediaCache) uploads a file
// (MediaSource: MediaFromBytes, MediaFromFile, MediaFromReader) once and
// reuses its media_id from the client's Store until shortly before it
// expires. The area packages (message, appmsg, kf, contact) take a file
// wherever WeCom takes a temporary media id and fill the id from their
// MediaCache on every call, uploading again after WeCom refuses it (40007).
//
// # Pagination and batches
//
// Paginate turns a cursor endpoint into an iter.Seq2; Batch runs API-sized
// chunks of a long list with bounded concurrency and reports per item
// (BatchResult).
//
// # Shared values
//
// UnixTime reads WeCom's times, Ptr builds the pointers of optional request
// fields, and RangeNode (UserNode, PartyNode) is the member-or-department
// node of rule-group ranges.
//
// # Id conversion
//
// The id conversions (new external_userids, unionid → external_userid,
// pending ids, tag ids, open_userids) are an API package of their own,
// idconvert; only the suite-token one, Suite.UnionIDToExternalUserID3rd, is
// here.
//
// # Naming
//
// Every package follows the same rules (CONTRIBUTING.md has them in full):
// an API area is a Service built with New(client); a method that makes one
// call is named after its endpoint, verb first (add_contact_way is
// AddContactWay; get_x_list and list_x are ListXs; get_x is GetX); the
// method that walks every page of it adds Iter (ListContactWaysIter); the
// one that takes any number of inputs and chunks them into calls adds Many
// (MarkTagMany). Free functions are kept for what calls no API: error
// predicates, Ptr, value constructors, parsers, Paginate and Batch.
//
// # Testing
//
// Package wecomtest is an in-process fake WeCom: Server.Client returns a
// Client wired to it, and Server.SuiteOptions the options of a Suite.
package wecom
