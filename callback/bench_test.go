package callback

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// benchEvent is an add_external_contact event of about 600 bytes, as WeCom
// sends it (one element per line, CDATA values).
const benchEvent = `<xml>
	<ToUserName><![CDATA[ww5823bf96d3bd56c7a1b2]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName>
	<CreateTime>1700000000</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_contact]]></Event>
	<ChangeType><![CDATA[add_external_contact]]></ChangeType>
	<UserID><![CDATA[zhangsan.sales.shanghai]]></UserID>
	<ExternalUserID><![CDATA[wmAJ2GCAAAXtWyujaWJHDDGi0mACH71wQ3xZ]]></ExternalUserID>
	<State><![CDATA[spring-campaign-2026-poster-017]]></State>
	<WelcomeCode><![CDATA[CALLBACK_CODE_0123456789abcdefghijklmnopqrstuvwxyz]]></WelcomeCode>
	<AgentID>1000002</AgentID>
</xml>`

type benchInput struct {
	c                          *Crypto
	sig, ts, nonce, encrypt    string
	token, encodingAESKey, rid string
}

func newBenchInput(tb testing.TB) benchInput {
	c := vectorCrypto(tb, vReceiveID)
	enc, sig, err := c.Encrypt([]byte(benchEvent), "1700000000", "1372623149")
	require.NoError(tb, err)
	return benchInput{c: c, sig: sig, ts: "1700000000", nonce: "1372623149", encrypt: enc,
		token: vToken, encodingAESKey: vAESKey, rid: vReceiveID}
}

func TestBenchEventSize(t *testing.T) {
	t.Parallel()
	n := len(benchEvent)
	require.GreaterOrEqual(t, n, 550, "bench event is %d bytes, want about 600", n)
	require.LessOrEqual(t, n, 650, "bench event is %d bytes, want about 600", n)
	in := newBenchInput(t)
	ev, err := stdlibPath(in)
	require.NoError(t, err, fmt.Sprint(ev, err))
	require.NotEmpty(t, ev.WelcomeCode, fmt.Sprint(ev, err))
	require.NotEmpty(t, ev.ExternalUserID, fmt.Sprint(ev, err))
	got, err := fullPath(in)
	require.NoError(t, err, fmt.Sprint(got, err))
	require.Equal(t, ev.WelcomeCode, got.WelcomeCode, fmt.Sprint(got, err))
	require.Equal(t, ev.State, got.State, fmt.Sprint(got, err))
	require.Equal(t, ev.CreateTime, int64(got.CreateTime), fmt.Sprint(got, err))
}

func fullPath(in benchInput) (*ExternalContactEvent, error) {
	msg, err := in.c.Decrypt(in.sig, in.ts, in.nonce, in.encrypt)
	if err != nil {
		return nil, err
	}
	ev, err := ParseEvent(msg)
	if err != nil {
		return nil, err
	}
	return ev.(*ExternalContactEvent), nil
}

// stdlibEvent is what a plain encoding/xml implementation decodes into.
type stdlibEvent struct {
	ToUserName     string `xml:"ToUserName"`
	FromUserName   string `xml:"FromUserName"`
	CreateTime     int64  `xml:"CreateTime"`
	MsgType        string `xml:"MsgType"`
	Event          string `xml:"Event"`
	ChangeType     string `xml:"ChangeType"`
	UserID         string `xml:"UserID"`
	ExternalUserID string `xml:"ExternalUserID"`
	State          string `xml:"State"`
	WelcomeCode    string `xml:"WelcomeCode"`
	AgentID        string `xml:"AgentID"`
}

// stdlibPath is the baseline: the textbook implementation with the standard
// library (sort + join + sha1, cipher.NewCBCDecrypter, encoding/xml).
func stdlibPath(in benchInput) (*stdlibEvent, error) {
	parts := []string{in.token, in.ts, in.nonce, in.encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	if hex.EncodeToString(sum[:]) != in.sig {
		return nil, ErrBadSignature
	}
	key, err := base64.StdEncoding.DecodeString(in.encodingAESKey + "=")
	if err != nil {
		return nil, err
	}
	ct, err := base64.StdEncoding.DecodeString(in.encrypt)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCDecrypter(blk, key[:16]).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	ct = ct[:len(ct)-pad]
	n := binary.BigEndian.Uint32(ct[16:20])
	if string(ct[20+n:]) != in.rid {
		return nil, ErrReceiverMismatch
	}
	var ev stdlibEvent
	if err := xml.Unmarshal(ct[20:20+n], &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// BenchmarkVerifyDecryptParse: signature check, decryption and typed parse.
func BenchmarkVerifyDecryptParse(b *testing.B) {
	in := newBenchInput(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for i := 0; i < b.N; i++ {
		if _, err := fullPath(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineDecryptOnly: signature check and decryption, no parse.
func BenchmarkBaselineDecryptOnly(b *testing.B) {
	in := newBenchInput(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for i := 0; i < b.N; i++ {
		if _, err := in.c.Decrypt(in.sig, in.ts, in.nonce, in.encrypt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineStdlib: the same work done the textbook way.
func BenchmarkBaselineStdlib(b *testing.B) {
	in := newBenchInput(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for i := 0; i < b.N; i++ {
		if _, err := stdlibPath(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseOnly: the parser alone on the decrypted event.
func BenchmarkParseOnly(b *testing.B) {
	msg := []byte(benchEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseEvent(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// handlerInputs are n distinct pushes of the bench event (de-dup must not
// turn them away), as WeCom POSTs them: a query and an XML body.
func handlerInputs(tb testing.TB, in benchInput, n int) (targets []string, bodies [][]byte) {
	for i := range n {
		ev := bytes.Replace([]byte(benchEvent), []byte("1700000000"), []byte(fmt.Sprint(1700000000+i)), 1)
		enc, sig, err := in.c.Encrypt(ev, in.ts, in.nonce)
		require.NoError(tb, err)
		q := url.Values{"msg_signature": {sig}, "timestamp": {in.ts}, "nonce": {in.nonce}}
		targets = append(targets, "/callback?"+q.Encode())
		bodies = append(bodies, []byte("<xml><ToUserName><![CDATA["+in.rid+"]]></ToUserName><Encrypt><![CDATA["+enc+
			"]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"))
	}
	return targets, bodies
}

// BenchmarkHandlerPath measures a push from its *http.Request to the typed
// event in the application's function (synchronous delivery, de-dup on,
// in memory), next to the verify + decrypt + parse path alone in the same
// run.
func BenchmarkHandlerPath(b *testing.B) {
	in := newBenchInput(b)
	const distinct = 1024
	targets, bodies := handlerInputs(b, in, distinct)

	var clock *atomic.Int64 // nanoseconds past the start, for the de-dup table
	run := func(b *testing.B, opts ...Option) {
		h, err := NewHandler(in.token, in.encodingAESKey, append([]Option{WithReceiverID(in.rid)}, opts...)...)
		require.NoError(b, err)
		defer h.Close(context.Background())
		got := 0
		h.OnAddExternalContact(func(_ context.Context, ev *ExternalContactEvent) error {
			if ev.WelcomeCode != "" {
				got++
			}
			return nil
		})
		reqs := make([]*http.Request, distinct)
		rdrs := make([]*bytes.Reader, distinct)
		for i := range reqs {
			rdrs[i] = bytes.NewReader(bodies[i])
			reqs[i] = httptest.NewRequest(http.MethodPost, targets[i], rdrs[i])
		}
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k := i % distinct
			if k == 0 && i > 0 && clock != nil {
				clock.Add(int64(DefaultDedupTTL + time.Minute)) // the 1,024 pushes may come again
			}
			rdrs[k].Reset(bodies[k])
			w.code = 0
			h.ServeHTTP(w, reqs[k])
			if w.code != http.StatusOK {
				b.Fatalf("answered %d", w.code)
			}
		}
		b.StopTimer()
		require.Equal(b, b.N, got, "%d events reached the handler, want %d", got, b.N)
	}
	b.Run("handler", func(b *testing.B) {
		// De-dup on (the default, in-process table); its clock moves past
		// the de-dup lifetime after each round of the 1,024 distinct pushes.
		clock = new(atomic.Int64)
		start := time.Now()
		run(b, WithClock(func() time.Time { return start.Add(time.Duration(clock.Load())) }))
		clock = nil
	})
	b.Run("handler-sharedstore", func(b *testing.B) {
		// De-dup through a wecom.Store (here the in-memory one; Redis in
		// production): entries live a millisecond so that the pushes cycle.
		run(b, WithDedupStore(wecom.NewMemoryStore(), time.Millisecond))
	})
	b.Run("handler-nodedup", func(b *testing.B) { run(b, WithoutDedup()) })
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := fullPath(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// discardWriter is an http.ResponseWriter that keeps the status only.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}

func (w *discardWriter) WriteHeader(code int) { w.code = code }

// WriteString is there as on net/http's own ResponseWriter.
func (w *discardWriter) WriteString(s string) (int, error) { return w.Write(nil) }
