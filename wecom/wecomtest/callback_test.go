package wecomtest_test

import (
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, err, "ciphertext: %v, %d bytes (want a multiple of 32)", err, len(ct))
	require.Equal(t, 0, len(ct)%32, "ciphertext: %v, %d bytes (want a multiple of 32)", err, len(ct))
	blk, _ := aes.NewCipher(k)
	cipher.NewCBCDecrypter(blk, k[:16]).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	require.GreaterOrEqual(t, pad, 1)
	require.LessOrEqual(t, pad, 32)
	ct = ct[:len(ct)-pad]
	n := binary.BigEndian.Uint32(ct[16:20])
	return string(ct[20 : 20+n]), string(ct[20+n:])
}

func TestCallbackSignatureOfficialVector(t *testing.T) {
	t.Parallel()
	got := wecomtest.CallbackSignature(cbToken, "1409659589", "263014780",
		"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==")
	require.Equal(t, "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", got)
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
		assert.NoError(t, xml.Unmarshal(b, &env))
		q := r.URL.Query()
		assert.Equal(t, wecomtest.CallbackSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt), q.Get("msg_signature"), "bad signature")
		msg, rid := open(t, cbKey, env.Encrypt)
		assert.Equal(t, cbCorp, rid, "receiveid")
		assert.Equal(t, cbCorp, env.ToUserName, "ToUserName")
		mu.Lock()
		got = append(got, msg)
		mu.Unlock()
		io.WriteString(w, "success")
	}))
	defer srv.Close()
	p := wecomtest.NewPusher(srv.URL, cbToken, cbKey, cbCorp)
	at := time.Unix(1700000000, 0)
	x := wecomtest.AddExternalContactXML(cbCorp, "zhangsan", "wmEXT", "chan", "WC", at)
	res, err := p.Push(t.Context(), x)
	require.NoError(t, err, "%+v", res)
	require.True(t, res.OK, "%+v %v", res, err)
	require.Len(t, res.Attempts, 1, "%+v %v", res, err)
	require.Equal(t, 200, res.Status(), "%+v %v", res, err)
	require.Equal(t, "success", res.Body(), "%+v %v", res, err)
	require.Len(t, got, 1, "received")
	require.Equal(t, string(x), got[0], "received %q", got)
	for _, want := range []string{"<State><![CDATA[chan]]></State>", "<WelcomeCode><![CDATA[WC]]></WelcomeCode>",
		"<CreateTime>1700000000</CreateTime>", "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"} {
		assert.Contains(t, got[0], want, "event lacks")
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
			<-r.Context().Done() // late: the pusher gives up (closes the request) and re-sends
			io.WriteString(w, "success")
		case 2:
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			io.WriteString(w, "success")
		}
	}))
	defer srv.Close()
	p := wecomtest.NewPusher(srv.URL, cbToken, cbKey, cbCorp)
	// Only the first attempt waits for the timeout; the others are
	// answered at once, well within it however busy the machine.
	p.Timeout = 500 * time.Millisecond
	res, err := p.Push(t.Context(), []byte("<xml/>"))
	require.NoError(t, err, "%+v", res)
	require.True(t, res.OK, "%+v %v", res, err)
	require.Len(t, res.Attempts, 3, "%+v %v", res, err)
	require.Error(t, res.Attempts[0].Err, "attempts %+v", res.Attempts)
	require.Equal(t, 500, res.Attempts[1].Status, "attempts %+v", res.Attempts)
	distinct := 0
	encs.Range(func(_, _ any) bool { distinct++; return true })
	require.Equal(t, 3, distinct, "re-sends should be re-encrypted: %d distinct bodies", distinct)
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
	res, err := p.Push(t.Context(), []byte("<xml/>"))
	require.Error(t, err, "%+v %v after %d", res, err, n.Load())
	require.False(t, res.OK, "%+v %v after %d", res, err, n.Load())
	require.Equal(t, int32(3), n.Load(), "%+v %v after %d", res, err, n.Load())
}

func TestVerifyURLRequest(t *testing.T) {
	t.Parallel()
	p := wecomtest.NewPusher("http://127.0.0.1:1/cb", cbToken, cbKey, cbCorp)
	req, err := p.VerifyURLRequest(t.Context(), "1616140317555161061")
	require.NoError(t, err)
	q := req.URL.Query()
	echo := q.Get("echostr")
	require.Equal(t, wecomtest.CallbackSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), echo), q.Get("msg_signature"), "bad signature")
	msg, rid := open(t, cbKey, echo)
	require.Equal(t, "1616140317555161061", msg, "%q %q", msg, rid)
	require.Equal(t, cbCorp, rid, "%q %q", msg, rid)
	require.Equal(t, http.MethodGet, req.Method, "echostr not URL-encoded: %s", req.URL.RawQuery)
	if strings.Contains(echo, "+") {
		require.Contains(t, req.URL.RawQuery, "%2B", "echostr not URL-encoded")
	}
}

func TestNewEncodingAESKey(t *testing.T) {
	t.Parallel()
	k := wecomtest.NewEncodingAESKey()
	require.Len(t, k, 43)
	require.False(t, strings.ContainsAny(k, "+/="), k)
	require.NotEqual(t, wecomtest.NewEncodingAESKey(), k, "not random")
	_, err := wecomtest.NewPusher("", "t", k, "").Encrypt([]byte("x"))
	require.NoError(t, err)
	_, err = wecomtest.NewPusher("", "t", "short", "").Encrypt([]byte("x"))
	require.Error(t, err, "bad key accepted")
}
