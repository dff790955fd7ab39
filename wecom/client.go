package wecom

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
)

// maxResponseBytes bounds what one API answer may occupy in memory.
const maxResponseBytes = 32 << 20

// Client calls WeCom's server API for one app of one corp. It adds the
// access token, keeps to the frequency limits, retries what is safe to retry
// and turns every errcode != 0 into *Error. It is safe for concurrent use;
// create one per (corp, app) and share it.
//
// The API packages (contact, groupchat, message, acquisition, idconvert)
// are built on a Client:
//
//	c := wecom.New(corpID, secret)
//	contacts := contact.New(c)
//
// Besides Do, a package built on a Client has four extension points, so
// that it needs no settings of its own: Store (where to keep state beside
// the tokens, shared by every instance that shares the Store), Logger (the
// client's logger, silent by default), Serial (calls WeCom wants made one at
// a time per corp) and Now (the client's clock, WithClock).
type Client struct {
	corpID     string
	base       string        // scheme://host[/prefix], no trailing slash
	host       string        // the base URL's host: the only one secrets are sent to
	optErr     error         // an invalid option, reported by every call
	rc         *resty.Client // the HTTP layer: see transport.go
	ua         []string      // the User-Agent header value
	tokens     TokenSource
	tokenParam string // query parameter the token goes in; "" for token-less calls
	// tokQuery caches tokenParam=<escaped token> for the current token.
	tokQuery atomic.Pointer[tokenQuery]
	limiter  Limiter
	retry    RetryPolicy
	obs      Observer // nil: nothing is observed, at no cost
	logger   *slog.Logger
	sleep    func(context.Context, time.Duration) error
	opts     options
	serial   *sync.Map // lock name → chan struct{} (Serial without a Locker store)
}

type tokenQuery struct{ token, query string }

// New returns a Client for a self-built (自建) or agent-developed (代开发) app.
// secret is the app's secret, the customer-contact secret, or, for an
// agent-developed app, the permanent code WeCom gave on authorization. Tokens
// come from gettoken and are kept in the Store under a key that holds the
// corp id and a fingerprint of the secret, never the secret itself.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91039
func New(corpID, secret string, opts ...Option) *Client {
	o := clientOptions(opts)
	o.fill()
	c := newClient(corpID, o)
	if o.tokenSource != nil {
		c.tokens = o.tokenSource
	} else {
		key := "wecom:token:corp:" + corpID + ":" + secretFingerprint(secret)
		c.tokens = c.newTokenCache(key, c.gettoken(secret), TokenCorp, corpID, "")
	}
	return c
}

// newClient builds the transport-level client shared by New, Suite and
// Provider: no token source yet, access_token as the token parameter. A
// Suite hands its corp clients its own resty client (o.rc).
func newClient(corpID string, o options) *Client {
	o.fill()
	c := &Client{
		corpID:     corpID,
		tokenParam: "access_token",
		limiter:    o.limiter,
		retry:      o.retry,
		obs:        o.observer,
		logger:     o.logger,
		sleep:      o.sleep,
		opts:       o,
		serial:     &sync.Map{},
		ua:         []string{o.userAgent},
	}
	c.base, c.host, c.optErr = parseBase(o.baseURL)
	if c.optErr == nil {
		c.optErr = o.err
	}
	if c.optErr == nil {
		c.rc = o.rc
		if c.rc == nil {
			c.rc, c.optErr = restyFor(&o)
		}
	}
	return c
}

// newTokenCache is the client's token cache, observed as whose/id.
func (c *Client) newTokenCache(key string, fetch FetchFunc, kind TokenKind, id, suiteID string) *tokenCache {
	t := newTokenCache(key, c.opts.store, fetch, c.logger, c.opts.now)
	t.obs, t.kind, t.id, t.suiteID = c.obs, kind, id, suiteID
	return t
}

func parseBase(raw string) (base, host string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("wecom: invalid base URL %q: want http(s)://host", redactURL(raw))
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), u.Host, nil
}

// CorpID returns the corp this client acts for.
func (c *Client) CorpID() string { return c.corpID }

// AccessToken returns a valid access token, from the cache when it can. Any
// number of concurrent callers with a cold cache share one gettoken call.
// Never log or return the token to a browser.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	if c == nil || c.tokens == nil {
		return "", errors.New("wecom: AccessToken on a nil or zero Client; create one with New")
	}
	if c.optErr != nil {
		return "", c.optErr
	}
	return c.tokens.Token(ctx)
}

// Logger returns the client's logger (silent unless WithLogger was given),
// for packages built on the client: their helpers log where the client
// does, so that they need no logger setting of their own.
func (c *Client) Logger() *slog.Logger { return c.logger }

// Store returns the Store the client keeps its tokens in (WithStore), for
// packages built on the client that keep corp-wide state beside them
// (channel mappings, counters, media ids): every instance sharing the
// Store shares that state too. Keys must never hold a secret.
func (c *Client) Store() Store { return c.opts.store }

// Now returns the current time by the client's clock (WithClock; default
// time.Now), for packages built on the client: their helpers read time here
// so that one WithClock moves them all.
func (c *Client) Now() time.Time { return c.opts.now() }

// Request is one API call for Do.
type Request struct {
	// Method is GET or POST. Empty means POST when Body is set, else GET.
	Method string
	// Path is the endpoint, e.g. "/cgi-bin/externalcontact/list"; the
	// "/cgi-bin/" prefix may be left out.
	Path string
	// Query holds query parameters other than the access token.
	Query url.Values
	// Body is JSON-encoded as the request body.
	Body any
	// Out receives the decoded JSON answer (errcode and errmsg are checked
	// by the client and need not be in it). May be nil.
	Out any
	// Op says whether the call may be repeated; see Op.
	Op Op

	upload *upload // multipart body (media uploads)
	// Secrets of the token and authorization calls, added below resty by
	// sdkTransport (see transport.go): wireQuery is appended to the query,
	// wireBody is sent instead of Body (which then holds the call's
	// non-secret fields only, for resty's logs and middlewares).
	wireQuery string
	wireBody  any
	noToken   bool // the token endpoints themselves
}

// Get calls a read-only GET endpoint. query must not contain access_token.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.Do(ctx, &Request{Method: http.MethodGet, Path: path, Query: query, Out: out, Op: OpRead})
}

// Post calls a POST endpoint with body JSON-encoded. It is treated as a write
// that must not be repeated once it may have reached WeCom (OpWrite); use Do
// with OpRead or OpIdempotent for POST endpoints that only read or that may
// safely be repeated.
func (c *Client) Post(ctx context.Context, path string, body, out any) error {
	return c.Do(ctx, &Request{Method: http.MethodPost, Path: path, Body: body, Out: out, Op: OpWrite})
}

// call is one Do in progress.
type call struct {
	r        *Request
	path     string
	method   string
	body     []byte // the JSON body resty sees; nil for none
	wireBody []byte // sent instead of body; nil for none
	upload   []byte // the encoded multipart body
	uploadCT string
	// for the Observer
	attempts int
	status   int
}

// Do makes one API call: rate limit, token, send, decode, retry. It returns
// *Error for errcode != 0, a *RateLimitError when the client-side limiter
// would let the call go only after ctx's deadline (nothing is sent),
// ctx.Err() when the context ended (for a write that may have reached
// WeCom, an error matching both ErrOutcomeUnknown and ctx.Err()), and an
// error matching ErrOutcomeUnknown for a write that failed after it may
// have reached WeCom.
func (c *Client) Do(ctx context.Context, r *Request) error {
	if c == nil || (c.rc == nil && c.optErr == nil) {
		return errors.New("wecom: Do on a nil or zero Client; create one with New")
	}
	if c.optErr != nil {
		return c.optErr
	}
	if r == nil || strings.Trim(r.Path, "/") == "" {
		return errors.New("wecom: Do: a request with an endpoint path is required")
	}
	if ctx == nil {
		return errors.New("wecom: Do: nil context")
	}
	cl := call{r: r, path: normalizePath(r.Path), method: r.Method}
	if cl.method == "" {
		cl.method = http.MethodGet
		if r.Body != nil || r.upload != nil {
			cl.method = http.MethodPost
		}
	}
	var err error
	if r.Body != nil {
		if cl.body, err = json.Marshal(r.Body); err != nil {
			return fmt.Errorf("wecom: %s: encode request: %w", cl.path, err)
		}
	}
	if r.wireBody != nil {
		if cl.wireBody, err = json.Marshal(r.wireBody); err != nil {
			return fmt.Errorf("wecom: %s: encode request: %w", cl.path, err)
		}
	}
	if r.upload != nil {
		cl.uploadCT, cl.upload = r.upload.encode()
	}
	if c.obs == nil {
		return c.do(ctx, &cl)
	}
	start := time.Now()
	info := CallInfo{CorpID: c.corpID, Path: cl.path, Method: cl.method, Op: r.Op}
	ctx = c.obs.CallStart(ctx, info)
	err = c.do(ctx, &cl)
	c.obs.CallEnd(ctx, CallEndInfo{CallInfo: info, Attempts: cl.attempts, StatusCode: cl.status,
		ErrCode: errCode(err), Err: err, Duration: time.Since(start)})
	return err
}

// do is Do's loop of attempts.
func (c *Client) do(ctx context.Context, cl *call) error {
	useToken := c.tokenParam != "" && !cl.r.noToken
	wctx := &wireCtx{Context: ctx, w: wire{host: c.host}}
	w := &wctx.w
	tokenRetried := false
	n := 0 // attempts made, the repeat after a rejected token included
	for attempt := 1; ; attempt++ {
		if err := c.wait(ctx, cl.path); err != nil {
			return err
		}
		var tok string
		if useToken {
			var err error
			if tok, err = c.tokens.Token(ctx); err != nil {
				return err
			}
		}
		w.ran, w.query, w.body = false, c.wireQuery(useToken, tok, cl.r.wireQuery), cl.wireBody
		n++
		cl.attempts = n
		var start time.Time
		if c.obs != nil {
			start = time.Now()
		}
		status, err := c.send(wctx, ctx, cl, w)
		cl.status = status
		if err == nil {
			c.observeAttempt(ctx, cl, n, start, nil, RetryNone, 0)
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			c.observeAttempt(ctx, cl, n, start, err, RetryNone, 0)
			if cl.r.Op == OpWrite {
				var te *transportError
				if errors.As(err, &te) && te.written {
					return c.final(cl.path, OpWrite, err)
				}
			}
			return cerr
		}
		if tok != "" && !tokenRetried && isStaleToken(err) {
			// The token was rejected: drop it (if nobody has yet), fetch
			// once, repeat this call once. WeCom refused the call, so this
			// is safe for writes too.
			tokenRetried = true
			c.observeAttempt(ctx, cl, n, start, err, RetryTokenRejected, 0)
			c.logger.Debug("wecom: token rejected, refreshing", "path", cl.path, "errcode", ErrorCode(err))
			if ierr := c.tokens.Invalidate(ctx, tok); ierr != nil {
				c.logger.Warn("wecom: dropping rejected token failed", "path", cl.path, "error", ierr)
			}
			attempt--
			continue
		}
		wait, again := c.retry.Retry(attempt, cl.r.Op, err)
		if !again {
			c.observeAttempt(ctx, cl, n, start, err, RetryNone, 0)
			return c.final(cl.path, cl.r.Op, err)
		}
		c.observeAttempt(ctx, cl, n, start, err, retryReason(err), wait)
		c.logger.Debug("wecom: retrying", "path", cl.path, "attempt", attempt, "wait", wait, "error", err)
		if serr := c.sleep(ctx, wait); serr != nil {
			return serr
		}
	}
}

// wait takes the call's turn at the limiter, observed.
func (c *Client) wait(ctx context.Context, path string) error {
	if c.obs == nil {
		if err := c.limiter.Wait(ctx, c.corpID, path); err != nil {
			return limitRefusal(ctx, path, err)
		}
		return nil
	}
	start := time.Now()
	err := c.limiter.Wait(ctx, c.corpID, path)
	if err != nil {
		err = limitRefusal(ctx, path, err)
	}
	c.obs.LimiterWait(ctx, LimiterWaitInfo{CorpID: c.corpID, Path: path, Waited: time.Since(start), Err: err})
	return err
}

func (c *Client) observeAttempt(ctx context.Context, cl *call, n int, start time.Time, err error, why RetryReason, wait time.Duration) {
	if c.obs == nil {
		return
	}
	c.obs.CallAttempt(ctx, AttemptInfo{
		CallInfo: CallInfo{CorpID: c.corpID, Path: cl.path, Method: cl.method, Op: cl.r.Op},
		Attempt:  n, StatusCode: cl.status, ErrCode: errCode(err), Err: err,
		Duration: time.Since(start), Retry: why, RetryWait: wait,
	})
}

// wireQuery is what sdkTransport appends to the query: the token (the
// encoding cached for the current token) and the call's own secrets.
func (c *Client) wireQuery(useToken bool, tok, secret string) string {
	if !useToken {
		return secret
	}
	q := ""
	if tq := c.tokQuery.Load(); tq != nil && tq.token == tok {
		q = tq.query
	} else {
		q = c.tokenParam + "=" + url.QueryEscape(tok)
		c.tokQuery.Store(&tokenQuery{token: tok, query: q})
	}
	if secret != "" {
		q += "&" + secret
	}
	return q
}

// errCode is ErrorCode without its allocation for a nil error.
func errCode(err error) int {
	if err == nil {
		return 0
	}
	return ErrorCode(err)
}

func isStaleToken(err error) bool {
	switch ErrorCode(err) {
	case CodeInvalidAccessToken, CodeAccessTokenExpired, CodeInvalidSuiteToken, CodeSuiteTokenExpired:
		return true
	}
	return false
}

// final shapes the error returned to the caller: a write that may have been
// applied says so.
func (c *Client) final(path string, op Op, err error) error {
	if op != OpWrite || !mayHaveReached(err) || IsRateLimited(err) {
		return err
	}
	var e *Error
	if errors.As(err, &e) && e.Code != CodeSystemBusy {
		return err // WeCom answered with a definite error: nothing was applied
	}
	c.logger.Warn("wecom: write failed after it may have reached WeCom; not re-sent",
		"path", path, "error", err)
	return &outcomeUnknownError{path: path, err: err}
}

var jsonContentType = []string{"application/json; charset=utf-8"}

// send makes one HTTP attempt through resty and decodes the answer into
// cl.r.Out. wctx carries w for sdkTransport; ctx is the caller's. It
// returns the HTTP status (0 when no answer arrived).
//
// The answer is read by the client itself into a pooled buffer
// (SetDoNotParseResponse), bounded by maxResponseBytes, and decoded once.
// The WroteRequest trace, which tells whether a failed write may have
// reached WeCom, is only installed for writes.
func (c *Client) send(wctx, ctx context.Context, cl *call, w *wire) (int, error) {
	rctx := wctx
	var written *atomic.Bool
	if cl.r.Op == OpWrite {
		written = new(atomic.Bool)
		rctx = httptrace.WithClientTrace(wctx, &httptrace.ClientTrace{
			WroteRequest: func(info httptrace.WroteRequestInfo) {
				if info.Err == nil {
					written.Store(true)
				}
			},
		})
	}
	req := c.rc.R()
	req.SetContext(rctx)
	req.SetDoNotParseResponse(true)
	req.Header["User-Agent"] = c.ua
	switch {
	case cl.upload != nil:
		req.Header["Content-Type"] = []string{cl.uploadCT}
		req.SetBody(bytes.NewReader(cl.upload))
	case cl.body != nil:
		req.Header["Content-Type"] = jsonContentType
		req.SetBody(cl.body)
	}
	u := c.base + cl.path
	if len(cl.r.Query) > 0 {
		u += "?" + cl.r.Query.Encode()
	}
	resp, err := req.Execute(cl.method, u)
	if err != nil {
		if resp != nil && resp.RawResponse != nil && resp.RawResponse.Body != nil {
			_ = resp.RawResponse.Body.Close()
		}
		return 0, c.sendError(ctx, cl, w, written, err)
	}
	raw := resp.RawResponse
	defer raw.Body.Close()
	if !w.ran {
		_, _ = io.Copy(io.Discard, io.LimitReader(raw.Body, 64<<10))
		return raw.StatusCode, &refusedError{path: cl.path, err: errBypassed}
	}
	if raw.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(raw.Body, 64<<10)) // so that the connection can be reused
		return raw.StatusCode, &HTTPError{StatusCode: raw.StatusCode, Path: cl.path, contentType: mediaType(raw.Header)}
	}
	var body io.Reader = raw.Body
	if !raw.Uncompressed && strings.EqualFold(raw.Header.Get("Content-Encoding"), "gzip") {
		// net/http decodes the gzip it asked for; this is one nobody asked
		// for (a proxy, or a transport with compression off).
		zr, zerr := gzip.NewReader(raw.Body)
		if zerr != nil {
			return raw.StatusCode, c.readError(ctx, cl, fmt.Errorf("the answer says it is gzip-encoded but is not: %w", zerr))
		}
		defer zr.Close()
		body = zr
	}
	buf := getBuf()
	defer putBuf(buf)
	if err := readLimited(buf, body, maxResponseBytes); err != nil {
		return raw.StatusCode, c.readError(ctx, cl, err)
	}
	return raw.StatusCode, decodeEnvelope(cl.path, buf.Bytes(), cl.r.Out)
}

// sendError shapes a failure of resty's Execute: nothing answered.
func (c *Client) sendError(ctx context.Context, cl *call, w *wire, written *atomic.Bool, err error) error {
	wrote := written != nil && written.Load()
	var re *redirectError
	switch {
	case errors.As(err, &re):
		return &HTTPError{StatusCode: re.status, Path: cl.path, redirectTo: re.to, redirect: true}
	case errors.Is(err, errRedirectFollowed):
		return &refusedError{path: cl.path, err: fmt.Errorf("the request was sent to another host than the base URL's (a resty middleware changed its URL?), or redirected; "+
			"the SDK sends its calls, and their tokens, to %s only", c.host)}
	case errors.Is(err, errSentTwice):
		return &transportError{path: cl.path, written: true, noRetry: true, err: errSentTwice}
	case ctx.Err() != nil:
		return &transportError{path: cl.path, written: wrote, err: ctx.Err()}
	}
	var ue *url.Error
	if !w.ran && !errors.As(err, &ue) {
		// A resty middleware (the application's OnBeforeRequest, say)
		// refused the request: nothing was sent, and sending again would
		// be refused again.
		return &refusedError{path: cl.path, err: err}
	}
	return &transportError{path: cl.path, written: wrote, err: w.errorURL(sanitizeError(err))}
}

// readError shapes a failure while reading a 200 answer: the request
// reached WeCom.
func (c *Client) readError(ctx context.Context, cl *call, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return &transportError{path: cl.path, written: true, err: fmt.Errorf("reading the answer: %w", cerr)}
	}
	if errors.Is(err, errTooLarge) {
		return &transportError{path: cl.path, written: true, noRetry: true, err: err}
	}
	return &transportError{path: cl.path, written: true, err: fmt.Errorf("reading the answer: %w", sanitizeError(err))}
}

// refusedError is a request refused before it was sent (by the
// application's resty middleware, or the SDK's own checks): not retried.
type refusedError struct {
	path string
	err  error
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("wecom: %s: not sent: %v", e.path, e.err)
}
func (e *refusedError) Unwrap() error { return e.err }

// mediaType is the answer's Content-Type without parameters.
func mediaType(h http.Header) string {
	ct := h.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(ct)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

// putBuf returns a buffer to the pool, unless it grew past 1 MiB (a rare
// large answer must not pin memory).
func putBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

// errTooLarge is the failure of an answer over maxResponseBytes.
var errTooLarge = fmt.Errorf("the answer is larger than %d MiB, more than any WeCom answer; not read, and not retried (is the base URL WeCom's?)", maxResponseBytes>>20)

// readLimited reads r into buf, failing beyond n bytes. It reads in place
// (no LimitReader), so that a call allocates nothing here once the pooled
// buffer has grown to the usual answer size.
func readLimited(buf *bytes.Buffer, r io.Reader, n int64) error {
	for {
		if buf.Available() < 512 {
			buf.Grow(4096)
		}
		free := buf.AvailableBuffer()
		free = free[:cap(free)]
		m, err := r.Read(free)
		buf.Write(free[:m]) // copies within the buffer's own spare capacity: no allocation
		if int64(buf.Len()) > n {
			return errTooLarge
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// decodeEnvelope checks errcode and decodes data into out. Some WeCom
// endpoints (get_suite_token, get_corp_token) leave errcode out on success.
func decodeEnvelope(path string, data []byte, out any) error {
	if out != nil && okPrefix(data) {
		// The common success answer: decode once, straight into out.
		if err := json.Unmarshal(data, out); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return badAnswer(path, data, err)
			}
			return fmt.Errorf("wecom: %s: decode answer: %w", path, err)
		}
		return nil
	}
	var env struct {
		Code *int   `json:"errcode"`
		Msg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return badAnswer(path, data, err)
	}
	if env.Code != nil && *env.Code != 0 {
		return &Error{Code: *env.Code, Msg: env.Msg, Path: path}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("wecom: %s: decode answer: %w", path, err)
	}
	return nil
}

// badAnswer is the error of a 200 answer that is not a JSON object: cut
// short, empty, or a page from something in WeCom's place. The request
// reached the server, so a write's outcome is unknown; a read may be tried
// again.
func badAnswer(path string, data []byte, err error) error {
	rest := bytes.TrimLeft(data, " \t\r\n")
	var what string
	switch {
	case len(rest) == 0:
		what = "the answer is empty"
	case rest[0] != '{':
		what = "the answer is not JSON (a gateway's or proxy's page in WeCom's place?)"
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		what = "the answer was cut short"
	default:
		what = "the answer is malformed JSON"
	}
	return &transportError{path: path, written: true, err: fmt.Errorf("%s (%d bytes): %w", what, len(data), err)}
}

// okPrefix reports whether data is a success answer in WeCom's usual form:
// an object whose first key is errcode with value 0, and no other key
// anywhere that encoding/json could read as errcode. Such an answer needs no
// separate envelope decode.
//
// encoding/json matches keys without regard to case ("ErrCode" sets
// errcode too) and a \u escape can spell any letter of one, so the rest of
// the answer may hold no "errcode" in any case and no \u escape (an answer
// with one takes the two-step decode). Inside a JSON string a quote would
// be escaped, so every quoted "errcode" left is a key.
func okPrefix(data []byte) bool {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	rest := data[i:]
	const head = `{"errcode":0,`
	if !bytes.HasPrefix(rest, []byte(head)) {
		return false
	}
	tail := rest[len(head):]
	if bytes.Contains(tail, []byte(`\u`)) {
		return false
	}
	for {
		q := bytes.IndexByte(tail, '"')
		if q < 0 {
			return true
		}
		tail = tail[q+1:]
		if len(tail) > 7 && tail[7] == '"' && bytes.EqualFold(tail[:7], []byte("errcode")) {
			return false
		}
	}
}

// normalizePath turns "externalcontact/list", "cgi-bin/externalcontact/list"
// and "/cgi-bin/externalcontact/list" into the last form, and drops any
// query string that was pasted into the path.
func normalizePath(p string) string {
	if strings.HasPrefix(p, "/cgi-bin/") && strings.IndexByte(p, '?') < 0 {
		return p
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimLeft(p, "/")
	if !strings.HasPrefix(p, "cgi-bin/") {
		p = "cgi-bin/" + p
	}
	return "/" + p
}

// gettoken returns the FetchFunc of a self-built or agent-developed app.
// The corpsecret is added below resty (Request.wireQuery): resty's logs
// and the application's middlewares see corpid only.
func (c *Client) gettoken(secret string) FetchFunc {
	wq := "corpsecret=" + url.QueryEscape(secret)
	return func(ctx context.Context) (string, time.Duration, error) {
		var out struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		q := url.Values{"corpid": {c.corpID}}
		if err := c.doUnauthenticated(ctx, &Request{Method: http.MethodGet, Path: "/cgi-bin/gettoken", Query: q,
			wireQuery: wq, Out: &out, Op: OpRead}); err != nil {
			return "", 0, err
		}
		return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
	}
}

// doUnauthenticated is Do without a token (token endpoints themselves).
func (c *Client) doUnauthenticated(ctx context.Context, r *Request) error {
	r.noToken = true
	return c.Do(ctx, r)
}

// readAllLimit reads at most n bytes from r, failing if there is more.
func readAllLimit(r io.Reader, n int64) ([]byte, error) {
	var buf bytes.Buffer
	m, err := buf.ReadFrom(io.LimitReader(r, n+1))
	if err != nil {
		return nil, err
	}
	if m > n {
		return nil, fmt.Errorf("larger than %d bytes", n)
	}
	return buf.Bytes(), nil
}
