package wecomtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrmkit/scrm/wecom"
)

// Credentials of the default corp, the one every Server starts with
// (Server.CorpID, Server.Secret).
const (
	DefaultCorpID = "wwfakecorp0000001"
	DefaultSecret = "fake-secret-do-not-use"
)

// Server is a fake WeCom listening on loopback. Its own methods are the
// transport: clients wired to it, injected faults and rate limits, the log
// of requests, Close. The world it serves is reached through handles:
// Corp for one corp's members, customers, groups and pushes, Suite for one
// third-party or agent-developed app. All methods of the Server and its
// handles are safe for concurrent use.
type Server struct {
	URL    string // base URL, e.g. http://127.0.0.1:port
	CorpID string // the default corp's id (DefaultCorpID)
	Secret string // the default corp's secret when the server started (DefaultSecret)

	srv *httptest.Server
	mux *http.ServeMux

	listener net.Listener // WithListener; nil: a loopback port of its own

	mu       sync.Mutex
	tokenTTL time.Duration
	now      func() time.Time
	corps    map[string]*corpState
	tokens   map[string]*tokenRec
	faults   map[string][]*Fault
	limits   map[string]rateLimit
	windows  map[windowKey]*window
	requests []Request
	seq      int
	suite    *suiteState // third-party suites (suite.go)
}

// Option configures a Server (NewServer, Start).
type Option func(*Server)

// WithTokenTTL sets the lifetime of the tokens the server issues
// (default 7200s, as WeCom's).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.tokenTTL = d } }

// WithClock sets the server's clock (default time.Now). Everything the fake
// times reads it: token expiry, welcome codes (20 s), suite tickets (30
// min), takeovers (24 h), mass-send months, statistics days, quota expiry.
// Tests give a fake clock and move it instead of sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// corpState is one fake corp's state. Area files (contact.go, suite.go,
// ...) keep their own parts of it; Server.mu guards all of it.
type corpState struct {
	ID     string
	Secret string

	tokenFetches int
	media        map[string]MediaFile
	pusher       *Pusher // the app's callback URL (Corp.SetCallback); nil: nothing is pushed
	contact      *contactState
	acquisition  *acquisitionState
	groupchat    *groupChatState
	message      *messageState
	directory    *directoryState // the address book (directory.go)
	appmsg       *appMsgState    // application messages (appmsg.go)
	kf           *kfState
}

// MediaFile is an upload the server has accepted.
type MediaFile struct {
	Type           string
	AttachmentType int
	Name           string
	Size           int
	// Created is when it was uploaded, on the server's clock: three days
	// later (wecom.MediaLifetime) its media_id is refused with 40007.
	Created time.Time
}

// Request is a request the server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
	CorpID string // the corp the token (or corpid) named, if any
}

type tokenRec struct {
	corp    string
	expires time.Time
	revoked bool
}

// Start starts a Server for a program (an example, a command serving a
// fake WeCom); the caller closes it with Close. Tests use NewServer, which
// closes it when the test ends.
func Start(opts ...Option) *Server {
	s := &Server{
		CorpID:   DefaultCorpID,
		Secret:   DefaultSecret,
		mux:      http.NewServeMux(),
		tokenTTL: 7200 * time.Second,
		now:      time.Now,
		corps:    map[string]*corpState{},
		tokens:   map[string]*tokenRec{},
		faults:   map[string][]*Fault{},
		limits:   map[string]rateLimit{},
		windows:  map[windowKey]*window{},
		suite:    newSuiteState(),
	}
	for _, o := range opts {
		o(s)
	}
	s.addCorpLocked(s.CorpID, s.Secret)
	s.routes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// A path WeCom does not serve gets an HTTP 404, not an errcode.
		s.record(r, nil, "")
		http.NotFound(w, r)
	})
	s.srv = httptest.NewUnstartedServer(s.mux)
	if s.listener != nil {
		_ = s.srv.Listener.Close()
		s.srv.Listener = s.listener
	}
	s.srv.Start()
	s.URL = s.srv.URL
	return s
}

// NewServer starts a Server for a test and closes it when the test ends
// (t.Cleanup). Programs use Start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := Start(opts...)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down and waits for the requests in flight.
func (s *Server) Close() { s.srv.Close() }

// HTTPClient returns an *http.Client for the server, for requests the SDK
// does not make (raw calls, shape tests).
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// FastRetry is the retry policy Client uses: the standard policy with waits
// of milliseconds, so that tests exercising retries stay fast.
func FastRetry() *wecom.Backoff {
	return &wecom.Backoff{MaxAttempts: 3, Initial: time.Millisecond, Max: 5 * time.Millisecond,
		RateLimitAttempts: 3, RateLimitInitial: 2 * time.Millisecond, RateLimitMax: 10 * time.Millisecond}
}

// Client returns a *wecom.Client for the default corp, wired to the server,
// with FastRetry. opts are applied after the defaults and win.
func (s *Server) Client(opts ...wecom.Option) *wecom.Client {
	return s.ClientFor(s.CorpID, opts...)
}

// ClientFor returns a *wecom.Client for corpID (added with AddCorp), wired
// like Client.
func (s *Server) ClientFor(corpID string, opts ...wecom.Option) *wecom.Client {
	s.mu.Lock()
	c := s.corps[corpID]
	s.mu.Unlock()
	secret := ""
	if c != nil {
		secret = c.Secret
	}
	return wecom.New(corpID, secret, s.ClientOptions(opts...)...)
}

// ClientOptions returns the options that wire a client (or provider) to
// the server, followed by opts.
func (s *Server) ClientOptions(opts ...wecom.Option) []wecom.Option {
	base := []wecom.Option{
		wecom.WithBaseURL(s.URL),
		wecom.WithHTTPClient(s.srv.Client()),
		wecom.WithRetryPolicy(FastRetry()),
	}
	return append(base, opts...)
}

// SuiteOptions returns the options that wire a suite (wecom.NewSuite) to the
// server, followed by opts, which may be suite-only settings such as
// wecom.WithProviderCorpID.
func (s *Server) SuiteOptions(opts ...wecom.SuiteOption) []wecom.SuiteOption {
	base := []wecom.SuiteOption{
		wecom.WithBaseURL(s.URL),
		wecom.WithHTTPClient(s.srv.Client()),
		wecom.WithRetryPolicy(FastRetry()),
	}
	return append(base, opts...)
}

func (s *Server) addCorpLocked(corpID, secret string) *corpState {
	if c, ok := s.corps[corpID]; ok {
		return c
	}
	c := &corpState{ID: corpID, Secret: secret, media: map[string]MediaFile{}, contact: newContactState(),
		groupchat: newGroupChatState(), message: newMessageState(), acquisition: newAcquisitionState(), kf: newKFState()}
	c.groupchat.corp = c
	c.directory, c.appmsg = newDirectoryState(corpID), newAppMsgState()
	s.corps[corpID] = c
	return c
}

// Requests returns the requests received so far, oldest first: every
// request, whatever its answer (a path WeCom does not serve included).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests for path were received ("/cgi-bin/" may
// be left out: "externalcontact/list" counts /cgi-bin/externalcontact/list).
func (s *Server) Count(path string) int {
	path = normPath(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Path == path {
			n++
		}
	}
	return n
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

func (s *Server) record(r *http.Request, body []byte, corp string) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, CorpID: corp})
	s.mu.Unlock()
}

// newID returns a unique id with prefix, like WeCom's opaque ids.
func (s *Server) newID(prefix string) string {
	s.seq++
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:]) + itoa(s.seq)
}

func normPath(p string) string {
	p = strings.TrimLeft(p, "/")
	if !strings.HasPrefix(p, "cgi-bin/") {
		p = "cgi-bin/" + p
	}
	return "/" + p
}

// apiError is an errcode answer.
type apiError struct {
	code int
	msg  string
}

func errf(code int, msg string) *apiError { return &apiError{code: code, msg: msg} }

func errBody(code int, msg string) map[string]any {
	return map[string]any{"errcode": code, "errmsg": msg}
}

// call is one authenticated API request as an area handler sees it. The
// server's lock is held while the handler runs.
type call struct {
	s    *Server
	r    *http.Request
	corp *corpState
	body []byte
}

// decode strictly decodes the JSON body into v: bad JSON or a field WeCom
// does not know answers 40058, as WeCom does for malformed parameters.
func (c *call) decode(v any) *apiError {
	d := json.NewDecoder(bytes.NewReader(c.body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errf(40058, "invalid parameter: "+err.Error())
	}
	return nil
}

type handlerFunc func(c *call) (any, *apiError)

// auth says how a route authenticates.
type auth int

const (
	authCorp auth = iota // ?access_token= of a corp
	authNone             // no token (gettoken itself)
)

// handle registers an API route. The wrapper records the request, applies
// injected faults and rate limits, checks the method and the token, then
// runs h under the server's lock and writes its answer with errcode 0.
func (s *Server) handle(method, path string, a auth, h handlerFunc) {
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		corpID := ""
		s.mu.Lock()
		var tok *tokenRec
		if a == authCorp {
			tok = s.tokens[r.URL.Query().Get("access_token")]
			if tok != nil {
				corpID = tok.corp
			}
		} else {
			corpID = r.URL.Query().Get("corpid")
		}
		s.mu.Unlock()
		s.record(r, body, corpID)

		if f := s.takeFault(path); f != nil {
			if f.apply(w) {
				return
			}
		}
		if r.Method != method {
			writeJSON(w, errBody(40058, "fake WeCom: "+path+" wants "+method))
			return
		}
		s.mu.Lock()
		var corp *corpState
		if a == authCorp {
			switch {
			case r.URL.Query().Get("access_token") == "":
				s.mu.Unlock()
				writeJSON(w, errBody(41001, "access_token missing"))
				return
			case tok == nil || tok.revoked:
				s.mu.Unlock()
				writeJSON(w, errBody(40014, "invalid access_token"))
				return
			case !s.now().Before(tok.expires):
				s.mu.Unlock()
				writeJSON(w, errBody(42001, "access_token expired"))
				return
			}
			corp = s.corps[tok.corp]
			if !s.allowLocked(corp.ID, path) {
				s.mu.Unlock()
				writeJSON(w, errBody(45009, "api freq out of limit"))
				return
			}
		}
		out, aerr := h(&call{s: s, r: r, corp: corp, body: body})
		s.mu.Unlock()
		if aerr != nil {
			writeJSON(w, errBody(aerr.code, aerr.msg))
			return
		}
		writeOK(w, out)
	})
}

// writeOK writes v (a struct or map encoding to a JSON object) with
// errcode 0 and errmsg "ok" in front.
func writeOK(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	head := []byte(`{"errcode":0,"errmsg":"ok"`)
	if v == nil {
		_, _ = w.Write(append(head, '}'))
		return
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) < 2 || b[0] != '{' {
		writeJSON(w, errBody(-1, "fake WeCom: cannot encode answer"))
		return
	}
	if len(b) > 2 {
		head = append(head, ',')
	}
	_, _ = w.Write(append(head, b[1:]...))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// routes registers every area's endpoints.
func (s *Server) routes() {
	s.routeToken()
	s.routeIP()
	s.routeMedia()
	s.routeContact()
	s.routeGroupChat()
	s.routeMessage()
	s.routeSuite()
	s.routeAcquisition()
	s.routeDirectory()
	s.routeAppMsg()
	s.routeKF()
	s.routeControl()
}
