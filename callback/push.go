package callback

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"unsafe"
)

// Push is the body of a push WeCom POSTs to a callback URL: the outer XML
// that wraps the ciphertext,
//
//	<xml><ToUserName><![CDATA[...]]></ToUserName><Encrypt><![CDATA[...]]></Encrypt><AgentID><![CDATA[...]]></AgentID></xml>
//
// ToUserName is the corp (or suite) id and AgentID the app, both in clear;
// Encrypt goes to Crypto.Decrypt.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
type Push struct {
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// ParsePush parses a push body with the package's scanner (falling back to
// encoding/xml for shapes WeCom does not send), so that a user of Crypto
// needs no encoding/xml:
//
//	p, err := callback.ParsePush(body)
//	msg, err := crypto.Decrypt(sig, timestamp, nonce, p.Encrypt)
//	ev, err := callback.ParseEvent(msg)
//
// An error wraps ErrBadXML; a body without Encrypt is an error matching
// ErrMissingEncrypt.
func ParsePush(body []byte) (Push, error) {
	p, err := parsePush(bytesView(body))
	if err != nil {
		return Push{}, err
	}
	if p.Encrypt == "" {
		return Push{}, ErrMissingEncrypt
	}
	// The scanner's values are views into body: copy them out.
	return Push{ToUserName: strings.Clone(p.ToUserName), AgentID: strings.Clone(p.AgentID), Encrypt: strings.Clone(p.Encrypt)}, nil
}

// fill runs the fast scanner (see wire.fill); false: use encoding/xml.
func (p *Push) fill(body string) bool {
	sc := scanner{s: body}
	for {
		switch name, v := sc.next(); name {
		case "":
			return sc.done
		case itemName:
			return false // not an envelope element; let encoding/xml judge
		case "ToUserName":
			p.ToUserName = v
		case "AgentID":
			p.AgentID = v
		case "Encrypt":
			p.Encrypt = v
		}
	}
}

// parsePush parses body; the scanner's values are views into body.
func parsePush(body string) (Push, error) {
	var p Push
	if p.fill(body) {
		return p, nil
	}
	p = Push{}
	if err := xml.Unmarshal([]byte(body), &p); err != nil {
		return p, fmt.Errorf("%w: %v", ErrBadXML, err)
	}
	return p, nil
}

// encryptOf returns the Encrypt of a push body held in a reused buffer: a
// view into body when the scanner found it there, else a copy.
//
// WeCom's own wrapper, <xml>...<Encrypt><![CDATA[...]]></Encrypt>...</xml>,
// is found by searching for the one Encrypt element: the Handler uses
// nothing else of the wrapper, and Encrypt itself is checked by the
// signature, so the other elements need no parsing here. Anything else
// goes through the scanner as ParsePush does.
func encryptOf(body []byte) ([]byte, error) {
	if enc, ok := encryptFast(body); ok {
		return enc, nil
	}
	p, err := parsePush(bytesView(body))
	if err != nil || p.Encrypt == "" {
		return nil, err
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
	at := uintptr(unsafe.Pointer(unsafe.StringData(p.Encrypt)))
	if at >= start && at+uintptr(len(p.Encrypt)) <= start+uintptr(len(body)) {
		off := int(at - start)
		return body[off : off+len(p.Encrypt) : off+len(p.Encrypt)], nil
	}
	return []byte(p.Encrypt), nil
}

// encryptFast returns the CDATA of the single Encrypt element of a body
// framed by <xml> and </xml>, or false.
func encryptFast(body []byte) ([]byte, bool) {
	const open, end = "<Encrypt><![CDATA[", "]]></Encrypt>"
	b := bytes.TrimSpace(body)
	if !bytes.HasPrefix(b, []byte("<xml>")) || !bytes.HasSuffix(b, []byte("</xml>")) {
		return nil, false
	}
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		return nil, false
	}
	val := b[i+len(open):]
	j := bytes.Index(val, []byte(end))
	if j < 0 || bytes.Contains(b[:i], []byte("<Encrypt")) || bytes.Contains(val[j+len(end):], []byte("<Encrypt")) {
		return nil, false
	}
	return val[:j:j], true
}

// queryParams returns msg_signature, timestamp and nonce from a raw query
// without building url.Values: WeCom sends them unescaped (hex and digits).
// An escaped value is unescaped; a malformed one is "".
func queryParams(raw string) (sig, ts, nonce string) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		var dst *string
		switch k {
		case "msg_signature":
			dst = &sig
		case "timestamp":
			dst = &ts
		case "nonce":
			dst = &nonce
		default:
			continue
		}
		if *dst != "" {
			continue // the first value wins, as url.Values.Get
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			v = u
		}
		*dst = v
	}
	return sig, ts, nonce
}

// Request bodies are read into pooled buffers: a push is about 1 KB, and
// reading it afresh each time was most of the allocations of a push.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBody() *bytes.Buffer { return bodyPool.Get().(*bytes.Buffer) }

func putBody(b *bytes.Buffer) {
	if b.Cap() > 64<<10 { // a rare large body must not stay pinned
		return
	}
	b.Reset()
	bodyPool.Put(b)
}

var errBodyTooLarge = errors.New("callback: body too large")

// readBody reads r into buf, failing with errBodyTooLarge beyond max bytes.
func readBody(buf *bytes.Buffer, r io.Reader, max int) error {
	for {
		if buf.Available() < 512 {
			buf.Grow(2048)
		}
		free := buf.AvailableBuffer()
		free = free[:cap(free)]
		n, err := r.Read(free)
		buf.Write(free[:n]) // within the spare capacity: no allocation
		if buf.Len() > max {
			return errBodyTooLarge
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
