package callback

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// Errors returned by Crypto and Handler. They are sentinel values: test them
// with errors.Is. Returned errors may wrap them with more detail, but never
// with the token, the key or the plaintext.
var (
	// ErrInvalidAESKey: the EncodingAESKey is not 43 base64 characters
	// decoding to a 32-byte key.
	ErrInvalidAESKey = errors.New("callback: EncodingAESKey must be 43 base64 characters")
	// ErrInvalidToken: the Token is empty or longer than 32 characters.
	ErrInvalidToken = errors.New("callback: token must be 1 to 32 characters")
	// ErrBadSignature: msg_signature does not match the request.
	ErrBadSignature = errors.New("callback: signature mismatch")
	// ErrBadBase64: the encrypted value is not valid standard base64.
	ErrBadBase64 = errors.New("callback: ciphertext is not valid base64")
	// ErrBadCiphertext: the ciphertext is empty or not a whole number of AES blocks.
	ErrBadCiphertext = errors.New("callback: ciphertext length is not a multiple of the AES block size")
	// ErrBadPadding: the PKCS#7 padding (to 32 bytes) is invalid.
	ErrBadPadding = errors.New("callback: invalid PKCS#7 padding")
	// ErrBadLength: the decrypted message is too short or its length field is out of bounds.
	ErrBadLength = errors.New("callback: invalid message length")
	// ErrReceiverMismatch: the receiveid at the end of the plaintext is not
	// the expected one (or not in the configured set).
	ErrReceiverMismatch = errors.New("callback: receiver id mismatch")
	// ErrMissingEncrypt: a POST body has no Encrypt element (plaintext bodies are refused).
	ErrMissingEncrypt = errors.New("callback: body has no Encrypt element")
	// ErrBadXML: the body or the decrypted message is not the XML WeCom sends.
	ErrBadXML = errors.New("callback: malformed XML")
	// ErrStaleTimestamp: the timestamp is outside the configured window (a replay).
	ErrStaleTimestamp = errors.New("callback: timestamp outside the accepted window")
)

const (
	aesKeyLen    = 32
	encKeyLen    = 43
	pkcs7Block   = 32 // WeCom pads to 32 bytes, not to the AES block size
	randomLen    = 16
	headerLen    = randomLen + 4
	maxTokenLen  = 32
	maxPlaintext = 1 << 20
)

// Crypto implements WeCom's callback message crypto (WXBizMsgCrypt): the
// SHA-1 signature over (token, timestamp, nonce, msg_encrypt) and AES-256-CBC
// with IV = key[:16] and PKCS#7 padding to 32 bytes.
//
// A Crypto is safe for concurrent use.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91144
type Crypto struct {
	token     string
	key       [aesKeyLen]byte
	block     cipher.Block
	receiveID string
}

// NewCrypto returns a Crypto for a callback configured with token and
// encodingAESKey. receiveID is the id WeCom appends to every plaintext (the
// corp id for a self-built app, the suite id on a third-party command URL,
// see the package documentation); Decrypt and VerifyURL refuse other ids with
// ErrReceiverMismatch, and Encrypt appends it.
//
// An empty receiveID skips the receiver check: Decrypt and VerifyURL then
// accept a message addressed to any receiver, and Encrypt appends no id.
// Give the id whenever it is known.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91144
func NewCrypto(token, encodingAESKey, receiveID string) (*Crypto, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: it has %d characters; copy the Token from the callback settings", ErrInvalidToken, len(token))
	}
	// The messages say what is wrong with the key, never what it is.
	if len(encodingAESKey) != encKeyLen {
		hint := ""
		if strings.TrimSpace(encodingAESKey) != encodingAESKey {
			hint = " (it has surrounding whitespace)"
		} else if len(encodingAESKey) == encKeyLen+1 && encodingAESKey[encKeyLen] == '=' {
			hint = " (drop the trailing '=': WeCom's key has none)"
		}
		return nil, fmt.Errorf("%w: it has %d characters%s; copy the EncodingAESKey from the callback settings", ErrInvalidAESKey, len(encodingAESKey), hint)
	}
	// WeCom generates keys from [a-zA-Z0-9]; the rest of the standard base64
	// alphabet is accepted too, anything else is refused.
	for i := 0; i < len(encodingAESKey); i++ {
		if b := encodingAESKey[i]; !isAlnum(b) && b != '+' && b != '/' {
			return nil, fmt.Errorf("%w: character %d is not a letter, digit, '+' or '/'", ErrInvalidAESKey, i+1)
		}
	}
	c := &Crypto{token: token, receiveID: receiveID}
	n, err := base64.StdEncoding.Decode(c.key[:], []byte(encodingAESKey+"="))
	if err != nil || n != aesKeyLen {
		return nil, fmt.Errorf("%w: it does not decode to a 32-byte key", ErrInvalidAESKey)
	}
	c.block, err = aes.NewCipher(c.key[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAESKey, err)
	}
	return c, nil
}

// decodeHex decodes the hex string s (len(dst)*2 characters) into dst,
// without the copy hex.Decode of a string would need.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// ReceiveID returns the receiver id the Crypto checks ("" = none).
func (c *Crypto) ReceiveID() string { return c.receiveID }

// Signature returns WeCom's msg_signature for the four values: the lower-case
// hex SHA-1 of the byte-wise sorted strings concatenated.
func (c *Crypto) Signature(timestamp, nonce, encrypt string) string {
	var sum [sha1.Size]byte
	c.sign(&sum, timestamp, nonce, encrypt, nil)
	return hex.EncodeToString(sum[:])
}

// sign computes the raw signature. scratch, when long enough, is used for
// the concatenation so that the hot path allocates nothing here.
func (c *Crypto) sign(out *[sha1.Size]byte, timestamp, nonce, encrypt string, scratch []byte) {
	parts := [4]string{c.token, timestamp, nonce, encrypt}
	// insertion sort: four elements, no allocation (sort.Strings would box the array)
	for i := 1; i < len(parts); i++ {
		for j := i; j > 0 && parts[j] < parts[j-1]; j-- {
			parts[j], parts[j-1] = parts[j-1], parts[j]
		}
	}
	n := len(parts[0]) + len(parts[1]) + len(parts[2]) + len(parts[3])
	buf := scratch[:0]
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	for _, p := range parts {
		buf = append(buf, p...)
	}
	*out = sha1.Sum(buf)
}

// verify checks msgSignature in constant time.
func (c *Crypto) verify(msgSignature, timestamp, nonce, encrypt string, scratch []byte) error {
	if len(msgSignature) != 2*sha1.Size {
		return ErrBadSignature
	}
	var want [sha1.Size]byte
	c.sign(&want, timestamp, nonce, encrypt, scratch)
	var got [sha1.Size]byte
	if !decodeHex(got[:], msgSignature) {
		// still compare something so that timing does not reveal where parsing failed
		subtle.ConstantTimeCompare(want[:], want[:])
		return ErrBadSignature
	}
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		return ErrBadSignature
	}
	return nil
}

// VerifyURL answers WeCom's URL check (the GET sent when the callback is
// saved): it verifies the signature over echostr, decrypts it and returns the
// plaintext that must be written back as the whole response body.
// echostr is the query value after URL-decoding (url.Values does that).
//
// A push's Encrypt is signed the same way as an echostr, so VerifyURL also
// decrypts a captured push sent as a URL check. Before echoing the result,
// check that it looks like WeCom's echostr (a short random string, no '<'),
// as Handler does.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
func (c *Crypto) VerifyURL(msgSignature, timestamp, nonce, echostr string) ([]byte, error) {
	return c.Decrypt(msgSignature, timestamp, nonce, echostr)
}

// Decrypt verifies msgSignature over (token, timestamp, nonce, encrypt),
// decrypts encrypt (the Encrypt element of a pushed body) and returns the
// message: the event or message XML.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91144
func (c *Crypto) Decrypt(msgSignature, timestamp, nonce, encrypt string) ([]byte, error) {
	msg, rid, err := c.open(msgSignature, timestamp, nonce, encrypt)
	if err != nil {
		return nil, err
	}
	if c.receiveID != "" && subtle.ConstantTimeCompare(rid, []byte(c.receiveID)) != 1 {
		return nil, ErrReceiverMismatch
	}
	return msg, nil
}

// open verifies and decrypts, returning the message and the receiver id
// without checking the latter. The result slices share one buffer.
func (c *Crypto) open(msgSignature, timestamp, nonce, encrypt string) (msg, receiveID []byte, err error) {
	// A read-only view of encrypt: base64 decoding only reads it.
	return c.openBytes(msgSignature, timestamp, nonce, unsafe.Slice(unsafe.StringData(encrypt), len(encrypt)))
}

// openBytes is open for an Encrypt value held as bytes (a request body read
// into a reused buffer), which it only reads and does not retain: msg and
// receiveID are in a new buffer of their own.
func (c *Crypto) openBytes(msgSignature, timestamp, nonce string, encrypt []byte) (msg, receiveID []byte, err error) {
	if c == nil || c.block == nil {
		return nil, nil, ErrInvalidAESKey // a Crypto not made by NewCrypto
	}
	// The signature input is built on the stack when it fits; the string
	// view of encrypt lives only for the call.
	var scratch [2048]byte
	if err := c.verify(msgSignature, timestamp, nonce, bytesView(encrypt), scratch[:0]); err != nil {
		return nil, nil, err
	}
	ct := make([]byte, base64.StdEncoding.DecodedLen(len(encrypt)))
	n, err := base64.StdEncoding.Decode(ct, encrypt)
	if err != nil {
		return nil, nil, ErrBadBase64
	}
	ct = ct[:n]
	return c.openCiphertext(ct)
}

// bytesView returns b as a string without copying. The caller must not
// change b while the string is in use.
func bytesView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// openCiphertext decrypts ct in place and splits the plaintext.
func (c *Crypto) openCiphertext(ct []byte) (msg, receiveID []byte, err error) {
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, nil, ErrBadCiphertext
	}
	c.cbcDecrypt(ct)
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > pkcs7Block || pad > len(ct) {
		return nil, nil, ErrBadPadding
	}
	var bad byte
	for _, b := range ct[len(ct)-pad:] {
		bad |= b ^ byte(pad)
	}
	if bad != 0 {
		return nil, nil, ErrBadPadding
	}
	pt := ct[:len(ct)-pad]
	if len(pt) < headerLen {
		return nil, nil, ErrBadLength
	}
	msgLen := binary.BigEndian.Uint32(pt[randomLen:headerLen])
	if uint64(msgLen) > uint64(len(pt)-headerLen) {
		return nil, nil, ErrBadLength
	}
	end := headerLen + int(msgLen)
	return pt[headerLen:end:end], pt[end:], nil
}

// cbcDecrypt decrypts b (a multiple of 16 bytes) in place with IV = key[:16].
// Written out so that it allocates nothing (cipher.NewCBCDecrypter does, and
// on amd64 decrypts block by block too).
func (c *Crypto) cbcDecrypt(b []byte) {
	var prev, cur [aes.BlockSize]byte
	copy(prev[:], c.key[:aes.BlockSize])
	for i := 0; i+aes.BlockSize <= len(b); i += aes.BlockSize {
		blk := b[i : i+aes.BlockSize]
		copy(cur[:], blk)
		c.block.Decrypt(blk, blk)
		subtle.XORBytes(blk, blk, prev[:])
		prev = cur
	}
}

// Encrypt encrypts plaintext for WeCom (a passive reply, or a test push):
// random(16) ‖ uint32be(len) ‖ plaintext ‖ receiveID, padded to 32 bytes,
// AES-256-CBC, base64; and signs it with timestamp and nonce.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/91144
func (c *Crypto) Encrypt(plaintext []byte, timestamp, nonce string) (encrypt, msgSignature string, err error) {
	if c == nil || c.block == nil {
		return "", "", ErrInvalidAESKey
	}
	var random [randomLen]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", "", fmt.Errorf("callback: random bytes: %w", err)
	}
	return c.encryptWith(random, plaintext, timestamp, nonce)
}

func (c *Crypto) encryptWith(random [randomLen]byte, plaintext []byte, timestamp, nonce string) (string, string, error) {
	if len(plaintext) > maxPlaintext {
		return "", "", fmt.Errorf("callback: plaintext of %d bytes is larger than %d", len(plaintext), maxPlaintext)
	}
	n := headerLen + len(plaintext) + len(c.receiveID)
	pad := pkcs7Block - n%pkcs7Block
	buf := make([]byte, n+pad)
	copy(buf, random[:])
	binary.BigEndian.PutUint32(buf[randomLen:], uint32(len(plaintext)))
	copy(buf[headerLen:], plaintext)
	copy(buf[headerLen+len(plaintext):], c.receiveID)
	for i := n; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	prev := c.key[:aes.BlockSize]
	for i := 0; i < len(buf); i += aes.BlockSize {
		blk := buf[i : i+aes.BlockSize]
		subtle.XORBytes(blk, blk, prev)
		c.block.Encrypt(blk, blk)
		prev = blk
	}
	enc := base64.StdEncoding.EncodeToString(buf)
	return enc, c.Signature(timestamp, nonce, enc), nil
}

// Reply is the XML envelope of an encrypted passive reply (被动回复), as
// written back in the response body of a message or event push:
//
//	<xml><Encrypt><![CDATA[...]]></Encrypt><MsgSignature><![CDATA[...]]></MsgSignature>
//	<TimeStamp>1409659813</TimeStamp><Nonce><![CDATA[...]]></Nonce></xml>
type Reply struct {
	Encrypt      string // base64 ciphertext of the reply XML
	MsgSignature string // signature over (token, TimeStamp, Nonce, Encrypt)
	TimeStamp    string
	Nonce        string
}

type cdata struct {
	Value string `xml:",cdata"`
}

type replyXML struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

// MarshalXML writes the envelope with CDATA sections, as WeCom's samples do.
func (r Reply) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(replyXML{Encrypt: cdata{r.Encrypt}, MsgSignature: cdata{r.MsgSignature},
		TimeStamp: r.TimeStamp, Nonce: cdata{r.Nonce}})
}

// Bytes returns the envelope as the XML body to write back
// (xml.Marshal(r) gives the same bytes).
func (r Reply) Bytes() []byte {
	b, err := xml.Marshal(r)
	if err != nil {
		// Unreachable: the envelope holds four strings, which encoding/xml
		// always manages to write (escaped, or in split CDATA sections).
		return nil
	}
	return b
}

// EncryptReply encrypts a passive reply's plaintext XML and wraps it in the
// reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce). Reusing the
// request's timestamp and nonce is allowed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
func (c *Crypto) EncryptReply(plaintext []byte, timestamp, nonce string) (*Reply, error) {
	enc, sig, err := c.Encrypt(plaintext, timestamp, nonce)
	if err != nil {
		return nil, err
	}
	return &Reply{Encrypt: enc, MsgSignature: sig, TimeStamp: timestamp, Nonce: nonce}, nil
}

// String describes the Crypto without its token or key, so that printing
// or logging one never leaks them.
func (c *Crypto) String() string {
	return fmt.Sprintf("callback.Crypto{receiveID: %q}", c.receiveID)
}

// GoString is like String, for %#v.
func (c *Crypto) GoString() string { return c.String() }
