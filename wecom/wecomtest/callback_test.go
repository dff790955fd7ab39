package wecomtest_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	cbToken = "QDG6eK"
	cbKey   = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	cbCorp  = "wx5823bf96d3bd56c7"
)

// open decrypts like a receiver would (independently of package callback).
func open(t *testing.T, key, enc string) (msg, rid string) {
	t.Helper()
	k, _ := base64.StdEncoding.DecodeString(key + "=")
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(ct)%32 != 0 {
		t.Fatalf("ciphertext: %v, %d bytes (want a multiple of 32)", err, len(ct))
	}
	blk, _ := aes.NewCipher(k)
	cipher.NewCBCDecrypter(blk, k[:16]).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > 32 {
		t.Fatalf("pad %d", pad)
	}
	ct = ct[:len(ct)-pad]
	n := binary.BigEndian.Uint32(ct[16:20])
	return string(ct[20 : 20+n]), string(ct[20+n:])
}

func TestCallbackSignatureOfficialVector(t *testing.T) {
	t.Parallel()
	got := wecomtest.CallbackSignature(cbToken, "1409659589", "263014780",
		"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==")
	if got != "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3" {
		t.Fatal(got)
	}
}

func TestPusherDeliversSignedEncryptedEnvelope(t *testing.T) {
	t.Parallel()
	type envelope struct {
		ToUserName, Encrypt, AgentID string
	}
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env envelope
		if err := xml.Unmarshal(b, &env); err != nil {
			t.Error(err)
		}
		q := r.URL.Query()
		if q.Get("msg_signature") != wecomtest.CallbackSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
			t.Error("bad signature")
		}
		msg, rid := open(t, cbKey, env.Encrypt)
		if rid != cbCorp || env.ToUserName != cbCorp {
			t.Errorf("receiveid %q, ToUserName %q", rid, env.ToUserName)
		}
		mu.Lock()
		got = append(got, msg)
		mu.Unlock()
		io.WriteString(w, "success")
	}))
	defer srv.Close()
	p := wecomtest.NewPusher(srv.URL, cbToken, cbKey, cbCorp)
	at := time.Unix(1700000000, 0)
	x := wecomtest.AddExternalContactXML(cbCorp, "zhangsan", "wmEXT", "chan", "WC", at)
	res, err := p.Push(context.Background(), x)
	if err != nil || !res.OK || len(res.Attempts) != 1 || res.Status() != 200 || res.Body() != "success" {
		t.Fatalf("%+v %v", res, err)
	}
	if len(got) != 1 || got[0] != string(x) {
		t.Fatalf("received %q", got)
	}
	for _, want := range []string{"<State><![CDATA[chan]]></State>", "<WelcomeCode><![CDATA[WC]]></WelcomeCode>",
		"<CreateTime>1700000000</CreateTime>", "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("event lacks %s", want)
		}
	}
}

func TestPusherResendsLateOrFailedAnswers(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	var encs sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		encs.Store(string(b), true)
		switch n.Add(1) {
		case 1:
			time.Sleep(100 * time.Millisecond) // late: the pusher gives up and re-sends
			io.WriteString(w, "success")
		case 2:
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			io.WriteString(w, "success")
		}
	}))
	defer srv.Close()
	p := wecomtest.NewPusher(srv.URL, cbToken, cbKey, cbCorp)
	p.Timeout = 20 * time.Millisecond
	res, err := p.Push(context.Background(), []byte("<xml/>"))
	if err != nil || !res.OK || len(res.Attempts) != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	if res.Attempts[0].Err == nil || res.Attempts[1].Status != 500 {
		t.Fatalf("attempts %+v", res.Attempts)
	}
	distinct := 0
	encs.Range(func(_, _ any) bool { distinct++; return true })
	if distinct != 3 {
		t.Fatalf("re-sends should be re-encrypted: %d distinct bodies", distinct)
	}
}

func TestPusherGivesUpAfterThreeAttempts(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, "not success")
	}))
	defer srv.Close()
	p := wecomtest.NewPusher(srv.URL, cbToken, cbKey, cbCorp)
	res, err := p.Push(context.Background(), []byte("<xml/>"))
	if err == nil || res.OK || n.Load() != 3 {
		t.Fatalf("%+v %v after %d", res, err, n.Load())
	}
}

func TestVerifyURLRequest(t *testing.T) {
	t.Parallel()
	p := wecomtest.NewPusher("http://127.0.0.1:1/cb", cbToken, cbKey, cbCorp)
	req, err := p.VerifyURLRequest(context.Background(), "1616140317555161061")
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	echo := q.Get("echostr")
	if q.Get("msg_signature") != wecomtest.CallbackSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), echo) {
		t.Fatal("bad signature")
	}
	if msg, rid := open(t, cbKey, echo); msg != "1616140317555161061" || rid != cbCorp {
		t.Fatalf("%q %q", msg, rid)
	}
	if req.Method != http.MethodGet || !strings.Contains(req.URL.RawQuery, "%2B") && strings.Contains(echo, "+") {
		t.Fatalf("echostr not URL-encoded: %s", req.URL.RawQuery)
	}
}

func TestNewEncodingAESKey(t *testing.T) {
	t.Parallel()
	k := wecomtest.NewEncodingAESKey()
	if len(k) != 43 || strings.ContainsAny(k, "+/=") {
		t.Fatal(k)
	}
	if k == wecomtest.NewEncodingAESKey() {
		t.Fatal("not random")
	}
	if _, err := wecomtest.NewPusher("", "t", k, "").Encrypt([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := wecomtest.NewPusher("", "t", "short", "").Encrypt([]byte("x")); err == nil {
		t.Fatal("bad key accepted")
	}
}
