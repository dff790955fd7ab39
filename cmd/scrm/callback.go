package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/scrmkit/scrm/callback"
)

// cbFlags are a callback's settings: its Token and EncodingAESKey, and the
// receiver id(s) its messages must carry.
type cbFlags struct {
	token, aesKey string
	receivers     []string
}

func (f *cbFlags) register(cmd *cobra.Command, many bool) {
	fs := cmd.Flags()
	envFlag(fs, &f.token, "token", "WECOM_CALLBACK_TOKEN", "the callback's Token", true)
	envFlag(fs, &f.aesKey, "aes-key", "WECOM_CALLBACK_AES_KEY", "the callback's EncodingAESKey (43 characters)", true)
	usage := "the receiver id the messages must carry: the corp id for a self-built app, the suite id on a third-party app's command URL (default $WECOM_CORP_ID)"
	if many {
		fs.StringSliceVar(&f.receivers, "receiver-id", nil, usage+"; repeat it to accept several [$WECOM_RECEIVER_ID]")
	} else {
		fs.StringSliceVar(&f.receivers, "receiver-id", nil, usage+" [$WECOM_RECEIVER_ID]")
	}
	_ = fs.SetAnnotation("receiver-id", annotEnv, []string{"WECOM_RECEIVER_ID"})
}

// resolve fills the receiver from WECOM_CORP_ID when none was given and
// checks that the token and key are there.
func (f *cbFlags) resolve(a *app) error {
	var missing []string
	if f.token == "" {
		missing = append(missing, "--token ($WECOM_CALLBACK_TOKEN)")
	}
	if f.aesKey == "" {
		missing = append(missing, "--aes-key ($WECOM_CALLBACK_AES_KEY)")
	}
	if len(missing) > 0 {
		return usageError{fmt.Errorf("the callback's settings are missing: %s", strings.Join(missing, ", "))}
	}
	if len(f.receivers) == 0 {
		if id := a.getenv("WECOM_CORP_ID"); id != "" {
			f.receivers = []string{id}
		}
	}
	return nil
}

func (f *cbFlags) receiver() string {
	if len(f.receivers) == 0 {
		return ""
	}
	return f.receivers[0]
}

func newCallbackCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "callback",
		Short: "Decrypt captured pushes, check a callback URL, or log every event pushed",
		Long: `callback helps with a callback URL (接收事件服务器) that will not save or pushes
that will not decrypt: decrypt opens a captured push and says which check fails
(signature, key, receiver id, padding); verify-url plays WeCom's URL check
against a running endpoint; serve runs an endpoint that logs every typed event,
to point a test corp at during setup.

Each takes the callback's Token (--token, $WECOM_CALLBACK_TOKEN), its
EncodingAESKey (--aes-key, $WECOM_CALLBACK_AES_KEY) and the receiver id
(--receiver-id, $WECOM_RECEIVER_ID, else $WECOM_CORP_ID).`,
		Example: `  scrm callback decrypt --token T --aes-key K --receiver-id R \
    --query 'msg_signature=...&timestamp=...&nonce=...' < body.xml
  scrm callback verify-url --url https://example.com/wecom/callback
  scrm callback serve --addr :8080 --path /wecom/callback`,
		Args: args(cobra.NoArgs),
	}
	cmd.AddCommand(newDecryptCommand(a), newVerifyURLCommand(a), newServeCommand(a))
	return cmd
}

func newDecryptCommand(a *app) *cobra.Command {
	var (
		f     cbFlags
		query string
		file  string
	)
	cmd := &cobra.Command{
		Use:   "decrypt",
		Short: "Decrypt a captured push and print its event as JSON, or say which check failed",
		Long: `decrypt opens a push as a callback.Handler would and prints the typed event as
JSON on standard output: {"kind", "change_type", "type", "event"}.

The push is the query string of its URL (--query: msg_signature, timestamp,
nonce; a whole URL is fine) with the POST body on standard input, or a file
(--file) holding either the raw HTTP request as captured (request line, headers,
body) or the URL on its first line and the body after it. A URL check (a GET
with echostr and no body) is decrypted too: its echo is printed.

When a check fails it says which, and what that means:
  signature    msg_signature does not match: the Token is not this callback's,
               or the query and the body are from different pushes
  key          the EncodingAESKey is malformed (43 letters and digits)
  padding      the signature matched, so the Token is right, but the
               EncodingAESKey does not decrypt the message: it is not this
               callback's key
  receiver id  the message was encrypted for another receiver (the corp id
               of another corp, a suite id, ...)
The exit status is 1 then. Nothing secret is printed.`,
		Example: `  scrm callback decrypt --token "$TOKEN" --aes-key "$AES_KEY" --receiver-id ww0123456789abcdef \
    --query 'msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149' < body.xml

  # a request captured with its headers (nc -l 8080 > push.http)
  WECOM_CALLBACK_TOKEN=... WECOM_CALLBACK_AES_KEY=... WECOM_CORP_ID=ww... scrm callback decrypt --file push.http`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.resolve(a); err != nil {
				return err
			}
			if query == "" && file == "" {
				return usageError{errors.New("give the push: --query with the body on standard input, or --file")}
			}
			q, body, err := readCapture(query, file, a.stdin)
			if err != nil {
				return err
			}
			return runDecrypt(a, &f, q, body)
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&query, "query", "", "the push's query string or URL (msg_signature, timestamp, nonce[, echostr])")
	cmd.Flags().StringVarP(&file, "file", "f", "", "a file holding the captured request, or its URL and body")
	return cmd
}

// readCapture returns the query and body of a captured push.
func readCapture(query, file string, stdin io.Reader) (url.Values, []byte, error) {
	if file == "" {
		q, err := parseQuery(query)
		if err != nil {
			return nil, nil, err
		}
		if q.Get("echostr") != "" {
			return q, nil, nil // a URL check has no body
		}
		body, err := io.ReadAll(io.LimitReader(stdin, callback.MaxBodySize+1))
		if err != nil {
			return nil, nil, fmt.Errorf("reading the body from standard input: %w", err)
		}
		return q, bytes.TrimSpace(body), nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	if req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw))); err == nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the body of the request in %s: %w", file, err)
		}
		q := req.URL.Query()
		if query != "" {
			if q, err = parseQuery(query); err != nil {
				return nil, nil, err
			}
		}
		return q, bytes.TrimSpace(body), nil
	}
	first, rest, _ := strings.Cut(string(raw), "\n")
	if query == "" {
		query = strings.TrimSpace(first)
	} else {
		rest = string(raw)
	}
	q, err := parseQuery(query)
	if err != nil {
		return nil, nil, err
	}
	return q, []byte(strings.TrimSpace(rest)), nil
}

// parseQuery accepts a query string or a URL with one.
func parseQuery(s string) (url.Values, error) {
	if _, after, ok := strings.Cut(s, "?"); ok {
		s = after
	}
	q, err := url.ParseQuery(strings.TrimSpace(s))
	if err != nil {
		return nil, usageError{fmt.Errorf("the query string does not parse: %w", err)}
	}
	var missing []string
	for _, k := range []string{"msg_signature", "timestamp", "nonce"} {
		if q.Get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, usageError{fmt.Errorf("the query string has no %s (WeCom sends msg_signature, timestamp and nonce with every push)", strings.Join(missing, ", "))}
	}
	return q, nil
}

func runDecrypt(a *app, f *cbFlags, q url.Values, body []byte) error {
	fail := func(check, what string, err error) error {
		wrap(a.stderr, "decrypt failed: "+check+": "+what)
		return reported{err}
	}
	c, err := callback.NewCrypto(f.token, f.aesKey, f.receiver())
	switch {
	case errors.Is(err, callback.ErrInvalidToken):
		return fail("token", "the Token is malformed: "+strings.TrimPrefix(err.Error(), "callback: ")+".", err)
	case err != nil:
		return fail("key", "the EncodingAESKey is malformed: "+strings.TrimPrefix(err.Error(), "callback: ")+".", err)
	}
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	if f.receiver() == "" {
		fmt.Fprintln(a.stderr, "No receiver id given (--receiver-id, $WECOM_RECEIVER_ID, $WECOM_CORP_ID): the receiver is not checked.")
	}

	if echo := q.Get("echostr"); echo != "" && len(body) == 0 {
		plain, err := c.VerifyURL(sig, ts, nonce, echo)
		if err != nil {
			check, what := decryptFailure(err, f, echo)
			if check == "receiver id" {
				what += " A URL check of a third-party app's command or data URL is encrypted for the provider's corp id."
			}
			return fail(check, what, err)
		}
		return writeJSON(a.stdout, struct {
			URLCheck   bool   `json:"url_check"`
			Echo       string `json:"echo"`
			ReceiverID string `json:"receiver_id_checked,omitempty"`
		}{true, string(plain), f.receiver()})
	}

	if len(body) == 0 {
		return fail("body", "there is no body: give the POST body on standard input (or in --file).", errors.New("no body"))
	}
	push, err := callback.ParsePush(body)
	if err != nil {
		what := "the body is not the XML WeCom posts (<xml><ToUserName/><Encrypt/><AgentID/></xml>)."
		if errors.Is(err, callback.ErrMissingEncrypt) {
			what = "the body has no Encrypt element: it is not an encrypted push (the callback must be in safe mode, 安全模式)."
		}
		return fail("body", what, err)
	}
	msg, err := c.Decrypt(sig, ts, nonce, push.Encrypt)
	if err != nil {
		check, what := decryptFailure(err, f, push.Encrypt)
		if errors.Is(err, callback.ErrReceiverMismatch) {
			what += receiverHint(f, sig, ts, nonce, push)
		}
		return fail(check, what, err)
	}
	ev, err := callback.ParseEvent(msg)
	if err != nil {
		return fail("message", "the push decrypted, but the message is not WeCom's event XML.", err)
	}
	ev.Header().ReceiveID = f.receiver() // checked ("" when no receiver id was given)
	return writeJSON(a.stdout, eventJSON(ev))
}

// decryptFailure names the check err failed and says what it means.
func decryptFailure(err error, f *cbFlags, encrypt string) (check, what string) {
	switch {
	case errors.Is(err, callback.ErrBadSignature):
		what = "msg_signature does not match the Token, timestamp, nonce and encrypted message. Either the Token is " +
			"not this callback's Token (copy it again from the callback settings), or the query string and the body " +
			"come from different pushes or were changed on the way."
		if strings.Contains(encrypt, " ") {
			what += " The encrypted value has spaces: a '+' was probably decoded as a space; give the query string as " +
				"it was sent, percent-encoded."
		}
		return "signature", what
	case errors.Is(err, callback.ErrBadPadding), errors.Is(err, callback.ErrBadLength):
		return "padding", "the signature matched, so the Token is right, but the EncodingAESKey does not decrypt the " +
			"message: the EncodingAESKey is not this callback's (copy it again from the callback settings, all 43 " +
			"characters)."
	case errors.Is(err, callback.ErrBadBase64), errors.Is(err, callback.ErrBadCiphertext):
		return "ciphertext", "the encrypted message is not base64 of whole AES blocks: it was cut short or re-encoded."
	case errors.Is(err, callback.ErrReceiverMismatch):
		return "receiver id", "the message decrypted, but it was encrypted for another receiver than " +
			strconv.Quote(f.receiver()) + "."
	}
	return "decrypt", err.Error()
}

// receiverHint names the receiver the push was for, as far as it says.
func receiverHint(f *cbFlags, sig, ts, nonce string, push callback.Push) string {
	open, err := callback.NewCrypto(f.token, f.aesKey, "")
	if err != nil {
		return ""
	}
	msg, err := open.Decrypt(sig, ts, nonce, push.Encrypt)
	if err != nil {
		return ""
	}
	ev, err := callback.ParseEvent(msg)
	if err != nil {
		return ""
	}
	h := ev.Header()
	hint := ""
	switch {
	case h.SuiteID != "":
		hint = " The message is a suite's (SuiteId " + h.SuiteID + "): on a third-party app's command URL the receiver id is the suite id."
	case h.ToUserName != "":
		hint = " The message is addressed to " + h.ToUserName + " (ToUserName): for a self-built app the receiver id is the corp id."
	}
	return hint
}

// eventOut is an event as decrypt and serve print it.
type eventOut struct {
	Kind       string         `json:"kind"`
	ChangeType string         `json:"change_type,omitempty"`
	Type       string         `json:"type"`
	Event      callback.Event `json:"event"`
}

func eventJSON(ev callback.Event) eventOut {
	h := ev.Header()
	return eventOut{Kind: string(h.Kind()), ChangeType: string(h.ChangeType),
		Type: strings.TrimPrefix(fmt.Sprintf("%T", ev), "*"), Event: ev}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newVerifyURLCommand(a *app) *cobra.Command {
	var (
		f       cbFlags
		target  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "verify-url",
		Short: "Play WeCom's URL check against a running callback endpoint",
		Long: `verify-url sends the GET WeCom sends when a callback URL is saved: msg_signature,
timestamp, nonce and an echostr encrypted with the EncodingAESKey for the
receiver id. The endpoint must answer within one second with HTTP 200 and
exactly the decrypted echo: no quotes, no BOM, no newline. verify-url says
whether it did, and if not, what it answered instead and what that suggests.

Run it before saving the URL in the admin console: WeCom only says "请求URL失败"
(the URL check failed).`,
		Example: `  scrm callback verify-url --url https://example.com/wecom/callback \
    --token "$TOKEN" --aes-key "$AES_KEY" --receiver-id ww0123456789abcdef`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.resolve(a); err != nil {
				return err
			}
			if target == "" {
				return usageError{errors.New("--url is required")}
			}
			return runVerifyURL(cmd.Context(), a, &f, target, timeout)
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&target, "url", "", "the callback URL to check")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer (WeCom waits 1 s)")
	return cmd
}

func runVerifyURL(ctx context.Context, a *app, f *cbFlags, target string, timeout time.Duration) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Errorf("--url must be an http(s) URL, not %q", target)}
	}
	c, err := callback.NewCrypto(f.token, f.aesKey, f.receiver())
	if err != nil {
		return usageError{errors.New(strings.TrimPrefix(err.Error(), "callback: "))}
	}
	echo, err := randomDigits(19)
	if err != nil {
		return err
	}
	nonce, err := randomDigits(10)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(a.now().Unix(), 10)
	enc, sig, err := c.Encrypt([]byte(echo), ts, nonce)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("msg_signature", sig)
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("echostr", enc)
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	out := a.stdout
	fmt.Fprintf(out, "GET %s (URL check for receiver id %q)\n", target, f.receiver())
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	elapsed := time.Since(start)
	if err != nil {
		wrap(out, "failed: no answer: "+err.Error()+". WeCom must reach the URL from the internet, over HTTP or HTTPS on "+
			"port 80 or 443 (or the port in the URL), and get an answer within 1 second.")
		return reported{err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	got := string(b)
	problem := ""
	switch {
	case resp.StatusCode != http.StatusOK:
		problem = fmt.Sprintf("it answered HTTP %d", resp.StatusCode)
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest {
			problem += ": the endpoint refused the check. With a scrmkit callback.Handler that is a wrong Token " +
				"(signature), a wrong EncodingAESKey, or a receiver id other than the one it expects; " +
				"'scrm callback decrypt' on the request says which"
		}
	case got == echo:
	case strings.Trim(strings.TrimSpace(strings.TrimPrefix(got, "\ufeff")), `"`) == echo &&
		strings.Contains(got, `"`+echo+`"`):
		problem = "it answered the echo in quotes (JSON-encoded?): WeCom wants the bare echo, no quotes, no newline"
	case strings.TrimSpace(strings.TrimPrefix(got, "\ufeff")) == echo:
		problem = "it answered the echo with whitespace or a BOM around it: WeCom wants exactly the echo, no newline"
	case got == enc:
		problem = "it answered the encrypted echostr: it must be decrypted first"
	case got == "":
		problem = "it answered an empty body"
	default:
		if len(got) > 80 {
			got = got[:80] + "..."
		}
		problem = fmt.Sprintf("it answered %q instead of the echo: a wrong EncodingAESKey decrypts to garbage, "+
			"or the endpoint answers something else (a page of its own?)", got)
	}
	if problem != "" {
		wrap(out, "failed: "+problem+".")
		return reported{errors.New(problem)}
	}
	fmt.Fprintf(out, "ok: it answered the echo in %s\n", elapsed.Round(time.Millisecond))
	if elapsed > time.Second {
		fmt.Fprintln(out, "but WeCom waits 1 second at most: make the answer faster, or the URL will not save.")
		return reported{errors.New("too slow")}
	}
	return nil
}

// randomDigits returns n random decimal digits, the first not 0.
func randomDigits(n int) (string, error) {
	var b strings.Builder
	for i := range n {
		lo := int64(0)
		if i == 0 {
			lo = 1
		}
		d, err := rand.Int(rand.Reader, big.NewInt(10-lo))
		if err != nil {
			return "", err
		}
		b.WriteByte(byte('0' + lo + d.Int64()))
	}
	return b.String(), nil
}

func newServeCommand(a *app) *cobra.Command {
	var (
		f      cbFlags
		addr   string
		path   string
		answer string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a callback endpoint that logs every typed event",
		Long: `serve runs a callback endpoint (a scrmkit callback.Handler) on --addr and --path:
it answers WeCom's URL check, verifies and decrypts every push, and prints each
event as one line of JSON on standard output ({"kind", "change_type", "type",
"event"}); what it does (and refuses, and why) is logged on standard error.
Point a test corp's callback at it during setup to see what WeCom sends.

It answers "success", as command URLs require and app URLs accept. With no
receiver id (--receiver-id, $WECOM_RECEIVER_ID, $WECOM_CORP_ID) it accepts any,
and says so. It stops on Ctrl-C.`,
		Example: `  WECOM_CALLBACK_TOKEN=... WECOM_CALLBACK_AES_KEY=... WECOM_CORP_ID=ww0123456789abcdef \
    scrm callback serve --addr :8080 --path /wecom/callback

  # a third-party app's command URL: the suite id for pushes
  scrm callback serve --addr :8080 --receiver-id ww0123456789suite`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.resolve(a); err != nil {
				return err
			}
			return runServe(cmd.Context(), a, &f, addr, path, answer)
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "the address to listen on (\":8080\" for every interface)")
	cmd.Flags().StringVar(&path, "path", "/", "the URL path of the endpoint")
	cmd.Flags().StringVar(&answer, "answer", "success", "the body answered to an accepted push")
	return cmd
}

func runServe(ctx context.Context, a *app, f *cbFlags, addr, path, answer string) error {
	logger := a.logger()
	if !a.verbose {
		logger = slogInfo(a.stderr)
	}
	opts := []callback.Option{callback.WithLogger(logger), callback.WithAnswer(answer)}
	if len(f.receivers) > 0 {
		opts = append(opts, callback.WithReceiverIDs(f.receivers...))
	} else {
		opts = append(opts, callback.InsecureSkipReceiverCheck())
		fmt.Fprintln(a.stderr, "No receiver id given: pushes for any receiver are accepted.")
	}
	h, err := callback.NewHandler(f.token, f.aesKey, opts...)
	if err != nil {
		return usageError{errors.New(strings.TrimPrefix(err.Error(), "callback: "))}
	}
	var mu sync.Mutex
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	h.OnDefault(func(_ context.Context, ev callback.Event) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(eventJSON(ev))
	})
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	mux := http.NewServeMux()
	mux.Handle(path, h)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	fmt.Fprintf(a.stderr, "Serving the callback at http://%s%s (receiver ids %v); stop with Ctrl-C.\n", l.Addr(), path, f.receivers)
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	_ = h.Close(shut)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
