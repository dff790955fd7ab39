package wecomtest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Pusher plays WeCom's side of a callback URL: it encrypts messages with the
// callback's settings and POSTs them, re-sending like WeCom does when the
// answer is late or not a success. It implements WeCom's crypto itself (it
// does not use package callback), so the two check each other.
//
//	p := wecomtest.NewPusher(srv.URL, token, aesKey, corpID)
//	res, err := p.Push(ctx, wecomtest.AddExternalContactXML(corpID, "zhangsan", "wmEXT", "channel-a", "WELCOME", time.Now()))
type Pusher struct {
	URL            string       // the callback URL; it may have a query string of its own
	Token          string       // the callback's Token
	EncodingAESKey string       // the callback's EncodingAESKey (43 characters)
	ReceiveID      string       // appended to every plaintext (corp id, suite id, ...)
	Client         *http.Client // default http.DefaultClient
	// Timeout bounds each attempt (WeCom waits 5 s; default 5 s). Tests set
	// a few milliseconds to exercise re-sends quickly.
	Timeout time.Duration
	// Attempts is the number of deliveries in all (WeCom: 3; default 3).
	Attempts int
	// Now gives the timestamp of pushes (default time.Now).
	Now func() time.Time
}

// NewPusher returns a Pusher with WeCom's defaults.
func NewPusher(callbackURL, token, encodingAESKey, receiveID string) *Pusher {
	return &Pusher{URL: callbackURL, Token: token, EncodingAESKey: encodingAESKey, ReceiveID: receiveID,
		Timeout: 5 * time.Second, Attempts: 3}
}

// Attempt is one delivery of a push.
type Attempt struct {
	Status int    // HTTP status; 0 when the attempt failed before an answer
	Body   string // the answer body
	Err    error  // transport error or timeout
}

// PushResult tells how a push went.
type PushResult struct {
	Attempts []Attempt
	OK       bool // the last attempt was answered 200 with "success", "" or an XML reply
}

// Status returns the last attempt's HTTP status.
func (r *PushResult) Status() int {
	if len(r.Attempts) == 0 {
		return 0
	}
	return r.Attempts[len(r.Attempts)-1].Status
}

// Body returns the last attempt's answer body.
func (r *PushResult) Body() string {
	if len(r.Attempts) == 0 {
		return ""
	}
	return r.Attempts[len(r.Attempts)-1].Body
}

// answerOK is what WeCom takes as received.
func answerOK(status int, body string) bool {
	return status == http.StatusOK && (body == "success" || body == "" || strings.HasPrefix(body, "<xml>"))
}

// Push encrypts plaintext (the decrypted XML WeCom would send) and POSTs it,
// re-sending (re-encrypted, with a new nonce and the same timestamp, as a
// re-send carries the same message) until an attempt is answered 200 with
// "success" (or an empty body or an XML reply), or Attempts are used up.
// The error is nil when the push was delivered.
func (p *Pusher) Push(ctx context.Context, plaintext []byte) (*PushResult, error) {
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	ts := strconv.FormatInt(p.now().Unix(), 10)
	res := &PushResult{}
	for i := 0; i < attempts; i++ {
		body, query, err := p.Envelope(plaintext, ts, randomNonce())
		if err != nil {
			return res, err
		}
		a := p.send(ctx, http.MethodPost, query, body)
		res.Attempts = append(res.Attempts, a)
		if a.Err == nil && answerOK(a.Status, a.Body) {
			res.OK = true
			return res, nil
		}
		if ctx.Err() != nil && i < attempts-1 { // after the last attempt, report its outcome
			return res, ctx.Err()
		}
	}
	last := res.Attempts[len(res.Attempts)-1]
	if last.Err != nil {
		return res, fmt.Errorf("wecomtest: push not delivered after %d attempts: %w", attempts, last.Err)
	}
	return res, fmt.Errorf("wecomtest: push not delivered after %d attempts: status %d, body %q", attempts, last.Status, last.Body)
}

func (p *Pusher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// send makes one attempt: a POST of body (a push) or a GET (a URL check).
func (p *Pusher) send(ctx context.Context, method string, query url.Values, body []byte) Attempt {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	target, err := p.target(query)
	if err != nil {
		return Attempt{Err: err}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return Attempt{Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	hc := p.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Attempt{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Attempt{Status: resp.StatusCode, Err: err}
	}
	return Attempt{Status: resp.StatusCode, Body: string(b)}
}

// target returns the callback URL with query added to the query string it
// may already have (e.g. "https://example.com/cb?tenant=a"); query's
// parameters replace any of the same name.
func (p *Pusher) target(query url.Values) (string, error) {
	u, err := url.Parse(p.URL)
	if err != nil {
		return "", fmt.Errorf("wecomtest: callback URL: %w", err)
	}
	q := u.Query()
	for k, vs := range query {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Envelope returns the POST body WeCom would send for plaintext
// (<xml><ToUserName/><Encrypt/><AgentID/></xml>) and its query parameters
// (msg_signature, timestamp, nonce).
func (p *Pusher) Envelope(plaintext []byte, timestamp, nonce string) ([]byte, url.Values, error) {
	enc, err := p.Encrypt(plaintext)
	if err != nil {
		return nil, nil, err
	}
	sig := CallbackSignature(p.Token, timestamp, nonce, enc)
	body := "<xml><ToUserName><![CDATA[" + p.ReceiveID + "]]></ToUserName><Encrypt><![CDATA[" + enc +
		"]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>"
	q := url.Values{"msg_signature": {sig}, "timestamp": {timestamp}, "nonce": {nonce}}
	return []byte(body), q, nil
}

// Encrypt encrypts msg as WeCom does: AES-256-CBC (IV = key[:16]) of
// random(16) ‖ uint32be(len(msg)) ‖ msg ‖ ReceiveID, PKCS#7-padded to 32
// bytes, in standard base64.
func (p *Pusher) Encrypt(msg []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(p.EncodingAESKey + "=")
	if err != nil || len(key) != 32 || len(p.EncodingAESKey) != 43 {
		return "", errors.New("wecomtest: EncodingAESKey must be 43 base64 characters")
	}
	plain := make([]byte, 20, 20+len(msg)+len(p.ReceiveID)+32)
	if _, err := rand.Read(plain[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint32(plain[16:20], uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, p.ReceiveID...)
	pad := 32 - len(plain)%32
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	blk, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	cipher.NewCBCEncrypter(blk, key[:16]).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain), nil
}

// VerifyURL performs WeCom's URL check (验证URL有效性), as Push performs a
// push: a signed GET whose echostr decrypts to echo, which the callback must
// answer 200 with echo as the whole body. The error is nil when it did; the
// result holds the attempt (one: WeCom's console checks once) either way.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
func (p *Pusher) VerifyURL(ctx context.Context, echo string) (*PushResult, error) {
	q, err := p.verifyQuery(echo)
	if err != nil {
		return nil, err
	}
	a := p.send(ctx, http.MethodGet, q, nil)
	res := &PushResult{Attempts: []Attempt{a}}
	switch {
	case a.Err != nil:
		return res, fmt.Errorf("wecomtest: URL check failed: %w", a.Err)
	case a.Status != http.StatusOK || a.Body != echo:
		return res, fmt.Errorf("wecomtest: URL check failed: status %d, body %q; want 200 and the echo %q", a.Status, a.Body, echo)
	}
	res.OK = true
	return res, nil
}

// VerifyURLRequest returns the signed GET request of WeCom's URL check
// without sending it (VerifyURL sends it): its echostr decrypts to echo,
// which the callback must answer as the whole body.
func (p *Pusher) VerifyURLRequest(ctx context.Context, echo string) (*http.Request, error) {
	q, err := p.verifyQuery(echo)
	if err != nil {
		return nil, err
	}
	u, err := p.target(q)
	if err != nil {
		return nil, err
	}
	return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
}

// verifyQuery returns the query of a URL check for echo.
func (p *Pusher) verifyQuery(echo string) (url.Values, error) {
	enc, err := p.Encrypt([]byte(echo))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(p.now().Unix(), 10)
	nonce := randomNonce()
	return url.Values{"msg_signature": {CallbackSignature(p.Token, ts, nonce, enc)}, "timestamp": {ts},
		"nonce": {nonce}, "echostr": {enc}}, nil
}

// CallbackSignature is WeCom's msg_signature: hex SHA-1 of the four strings
// sorted and concatenated.
func CallbackSignature(token, timestamp, nonce, encrypt string) string {
	parts := []string{token, timestamp, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// NewEncodingAESKey returns a random EncodingAESKey as WeCom's console
// makes them: 43 characters from [a-zA-Z0-9].
func NewEncodingAESKey() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [43]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

func randomNonce() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])), 10)
}

// AddExternalContactXML returns the decrypted XML of an add_external_contact
// event (a customer added member userID), in the self-built app form, as
// WeCom sends it. state and welcomeCode are left out when empty, as WeCom does.
func AddExternalContactXML(corpID, userID, externalUserID, state, welcomeCode string, at time.Time) []byte {
	var b strings.Builder
	b.WriteString("<xml><ToUserName><![CDATA[" + corpID + "]]></ToUserName>")
	b.WriteString("<FromUserName><![CDATA[sys]]></FromUserName>")
	b.WriteString("<CreateTime>" + strconv.FormatInt(at.Unix(), 10) + "</CreateTime>")
	b.WriteString("<MsgType><![CDATA[event]]></MsgType>")
	b.WriteString("<Event><![CDATA[change_external_contact]]></Event>")
	b.WriteString("<ChangeType><![CDATA[add_external_contact]]></ChangeType>")
	b.WriteString("<UserID><![CDATA[" + userID + "]]></UserID>")
	b.WriteString("<ExternalUserID><![CDATA[" + externalUserID + "]]></ExternalUserID>")
	if state != "" {
		b.WriteString("<State><![CDATA[" + state + "]]></State>")
	}
	if welcomeCode != "" {
		b.WriteString("<WelcomeCode><![CDATA[" + welcomeCode + "]]></WelcomeCode>")
	}
	b.WriteString("</xml>")
	return []byte(b.String())
}

// SuiteTicketXML returns the decrypted XML of a suite_ticket command event.
func SuiteTicketXML(suiteID, ticket string, at time.Time) []byte {
	return []byte("<xml><SuiteId><![CDATA[" + suiteID + "]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType>" +
		"<TimeStamp>" + strconv.FormatInt(at.Unix(), 10) + "</TimeStamp><SuiteTicket><![CDATA[" + ticket + "]]></SuiteTicket></xml>")
}

// CreateAuthXML returns the decrypted XML of a create_auth command event.
func CreateAuthXML(suiteID, authCode, state string, at time.Time) []byte {
	return []byte("<xml><SuiteId><![CDATA[" + suiteID + "]]></SuiteId><AuthCode><![CDATA[" + authCode + "]]></AuthCode>" +
		"<InfoType><![CDATA[create_auth]]></InfoType><TimeStamp>" + strconv.FormatInt(at.Unix(), 10) + "</TimeStamp>" +
		"<State><![CDATA[" + state + "]]></State><ExtraInfo></ExtraInfo></xml>")
}
