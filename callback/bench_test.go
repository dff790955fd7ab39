package callback

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
