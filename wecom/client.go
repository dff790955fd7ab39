package wecom

import (
	"bytes"
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
	base       string       // scheme://host[/prefix], no trailing slash
	optErr     error        // an invalid option, reported by every call
	hc         *http.Client // net/http directly: see send
	ua         []string     // the User-Agent header value
	tokens     TokenSource
	tokenParam string // query parameter the token goes in; "" for token-less calls
	limiter    Limiter
	retry      RetryPolicy
	logger     *slog.Logger
	sleep      func(context.Context, time.Duration) error
	opts       options
	serial     *sync.Map // lock name → chan struct{} (Serial without a Locker store)
}

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
		c.tokens = newTokenCache(key, o.store, c.gettoken(secret), c.logger, o.now)
	}
	return c
}

// newClient builds the transport-level client shared by New and Suite: no
// token source yet, access_token as the token parameter.
func newClient(corpID string, o options) *Client {
	o.fill()
	c := &Client{
		corpID:     corpID,
		tokenParam: "access_token",
		limiter:    o.limiter,
		retry:      o.retry,
		logger:     o.logger,
		sleep:      o.sleep,
		opts:       o,
		serial:     &sync.Map{},
	}
	c.base, c.optErr = parseBase(o.baseURL)
	if c.optErr == nil {
		c.optErr = o.err
	}
	hc := o.httpClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c.hc, c.ua = hc, []string{o.userAgent}
	return c
}

func parseBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("wecom: invalid base URL %q: want http(s)://host", redactURL(raw))
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
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

// Do makes one API call: rate limit, token, send, decode, retry. It returns
// *Error for errcode != 0, a *RateLimitError when the client-side limiter
// would let the call go only after ctx's deadline (nothing is sent),
// ctx.Err() when the context ended, and an error matching ErrOutcomeUnknown
// for a write that failed after it may have reached WeCom.
func (c *Client) Do(ctx context.Context, r *Request) error {
	if c == nil || c.hc == nil {
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
	path := normalizePath(r.Path)
	method := r.Method
	if method == "" {
		method = http.MethodGet
		if r.Body != nil || r.upload != nil {
			method = http.MethodPost
		}
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = json.Marshal(r.Body); err != nil {
			return fmt.Errorf("wecom: %s: encode request: %w", path, err)
		}
	}
	tokenRetried := false
	for attempt := 1; ; attempt++ {
		if err := c.limiter.Wait(ctx, c.corpID, path); err != nil {
			return limitRefusal(ctx, path, err)
		}
		var tok string
		if c.tokenParam != "" {
			var err error
			if tok, err = c.tokens.Token(ctx); err != nil {
				return err
			}
		}
		start := time.Now()
		err := c.send(ctx, method, path, tok, r, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if tok != "" && !tokenRetried && isStaleToken(err) {
			// The token was rejected: drop it (if nobody has yet), fetch
			// once, repeat this call once. WeCom refused the call, so this
			// is safe for writes too.
			tokenRetried = true
			c.logger.Debug("wecom: token rejected, refreshing", "path", path, "errcode", ErrorCode(err))
			if ierr := c.tokens.Invalidate(ctx, tok); ierr != nil {
				c.logger.Warn("wecom: dropping rejected token failed", "path", path, "error", ierr)
			}
			attempt--
			continue
		}
		wait, again := c.retry.Retry(attempt, r.Op, err)
		if !again {
			return c.final(path, r.Op, err)
		}
		c.logger.Debug("wecom: retrying", "path", path, "attempt", attempt,
			"took", time.Since(start), "wait", wait, "error", err)
		if serr := c.sleep(ctx, wait); serr != nil {
			return serr
		}
	}
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

// send makes one HTTP attempt and decodes the answer into r.Out.
//
// It builds the request with net/http directly and reads the answer into a
// pooled buffer. (resty, used here before, cost 20 allocations and about
// 4.4 KB more per call than a bare net/http call, from its per-request
// setup and its 512-byte reads of the answer; reading the answer ourselves
// behind resty still left 10 allocations: see BENCHMARKS.md.) The
// WroteRequest trace, which tells whether a failed write may have reached
// WeCom, is only installed for writes.
func (c *Client) send(ctx context.Context, method, path, tok string, r *Request, body []byte) error {
	var written atomic.Bool
	rctx := ctx
	if r.Op == OpWrite {
		trace := &httptrace.ClientTrace{
			WroteRequest: func(info httptrace.WroteRequestInfo) {
				if info.Err == nil {
					written.Store(true)
				}
			},
		}
		rctx = httptrace.WithClientTrace(ctx, trace)
	}
	u := c.base + path
	qs := r.Query.Encode()
	if c.tokenParam != "" {
		if qs != "" {
			qs += "&"
		}
		qs += c.tokenParam + "=" + url.QueryEscape(tok)
	}
	if qs != "" {
		u += "?" + qs
	}
	var rdr io.Reader
	ct := ""
	switch {
	case r.upload != nil:
		var data []byte
		ct, data = r.upload.encode()
		rdr = bytes.NewReader(data)
	case body != nil:
		ct = "application/json; charset=utf-8"
		rdr = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u, rdr)
	if err != nil {
		return fmt.Errorf("wecom: %s: build request: %w", path, sanitizeError(err))
	}
	req.Header["User-Agent"] = c.ua
	if ct != "" {
		req.Header["Content-Type"] = []string{ct}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{path: path, written: written.Load(), err: sanitizeError(err)}
	}
	rb := resp.Body
	defer rb.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(rb, 64<<10)) // so that the connection can be reused
		return &HTTPError{StatusCode: resp.StatusCode, Path: path}
	}
	buf := getBuf()
	defer putBuf(buf)
	if err := readLimited(buf, rb, maxResponseBytes); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{path: path, written: true, err: sanitizeError(err)}
	}
	return decodeEnvelope(path, buf.Bytes(), r.Out)
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
			return fmt.Errorf("answer larger than %d bytes", n)
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
			return fmt.Errorf("wecom: %s: decode answer: %w", path, err)
		}
		return nil
	}
	var env struct {
		Code *int   `json:"errcode"`
		Msg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return &transportError{path: path, written: true, err: fmt.Errorf("decode answer: %w", err)}
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

// okPrefix reports whether data is a success answer in WeCom's usual form:
// an object whose first key is errcode with value 0, and no other errcode
// key anywhere (inside a JSON string the quotes would be escaped, so every
// match is a key). Such an answer needs no separate envelope decode.
func okPrefix(data []byte) bool {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	rest := data[i:]
	const head = `{"errcode":0,`
	return bytes.HasPrefix(rest, []byte(head)) &&
		bytes.Count(rest, []byte(`"errcode"`)) == 1
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
func (c *Client) gettoken(secret string) FetchFunc {
	return func(ctx context.Context) (string, time.Duration, error) {
		var out struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		q := url.Values{"corpid": {c.corpID}, "corpsecret": {secret}}
		if err := c.doUnauthenticated(ctx, &Request{Method: http.MethodGet, Path: "/cgi-bin/gettoken", Query: q, Out: &out, Op: OpRead}); err != nil {
			return "", 0, err
		}
		return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
	}
}

// doUnauthenticated is Do without a token (token endpoints themselves).
func (c *Client) doUnauthenticated(ctx context.Context, r *Request) error {
	cp := *c
	cp.tokenParam = ""
	return cp.Do(ctx, r)
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
