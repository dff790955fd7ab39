package callback

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePush(t *testing.T) {
	t.Parallel()
	body := []byte("<xml><ToUserName><![CDATA[wwcorp]]></ToUserName>\n<Encrypt><![CDATA[abc+/=]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
	p, err := ParsePush(body)
	require.NoError(t, err)
	assert.Equal(t, Push{ToUserName: "wwcorp", AgentID: "1000002", Encrypt: "abc+/="}, p)
	// The result owns its strings: the body may be reused.
	copy(body, bytes.Repeat([]byte("x"), len(body)))
	assert.Equal(t, "abc+/=", p.Encrypt)

	_, err = ParsePush([]byte("<xml><ToUserName>wwcorp</ToUserName></xml>"))
	assert.ErrorIs(t, err, ErrMissingEncrypt)
	_, err = ParsePush([]byte("<xml><Encrypt>"))
	assert.ErrorIs(t, err, ErrBadXML)
	// A shape the scanner leaves to encoding/xml still parses.
	p, err = ParsePush([]byte(`<?xml version="1.0"?><xml a="1"><!-- c --><Encrypt>e&amp;f</Encrypt></xml>`))
	require.NoError(t, err)
	assert.Equal(t, "e&f", p.Encrypt)
}

func FuzzParsePush(f *testing.F) {
	for _, s := range []string{
		"<xml><ToUserName><![CDATA[ww]]></ToUserName><Encrypt><![CDATA[abc]]></Encrypt><AgentID>1</AgentID></xml>",
		"<xml><Encrypt>a<![CDATA[b]]>c</Encrypt></xml>", "<xml><Encrypt></Encrypt></xml>", "<xml>", "",
		`<xml><Encrypt>e&amp;f</Encrypt></xml>`, "<xml><MemChangeList><Item>x</Item></MemChangeList><Encrypt>q</Encrypt></xml>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParsePush(body)
		var ref Push
		refErr := xml.Unmarshal(body, &ref)
		if err != nil {
			require.True(t, errors.Is(err, ErrBadXML) || errors.Is(err, ErrMissingEncrypt), "unexpected error %v", err)
			return
		}
		require.False(t, refErr == nil && p != ref, "scanner %+v, encoding/xml %+v", p, ref)
		enc, err := encryptOf(body)
		require.NoError(t, err, "encryptOf = %q, %v; ParsePush %q", enc, err, p.Encrypt)
		require.Equal(t, p.Encrypt, string(enc), "encryptOf = %q, %v; ParsePush %q", enc, err, p.Encrypt)
	})
}

func TestQueryParams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ raw, sig, ts, nonce string }{
		{"msg_signature=ab12&timestamp=17&nonce=99", "ab12", "17", "99"},
		{"nonce=99&x=1&msg_signature=ab12&timestamp=17&echostr=zz", "ab12", "17", "99"},
		{"msg_signature=a%62&timestamp=1+2&nonce=", "ab", "1 2", ""},
		{"msg_signature=first&msg_signature=second", "first", "", ""},
		{"msg_signature=%zz&timestamp=1", "", "1", ""},
		{"", "", "", ""},
	} {
		sig, ts, nonce := queryParams(tc.raw)
		assert.Equal(t, []string{tc.sig, tc.ts, tc.nonce}, []string{sig, ts, nonce}, tc.raw)
	}
}

// The handler path allocates a handful of times per push (the de-dup table
// none at all), and WithoutDedup does no de-dup work: no table, no key.
func TestHandlerPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector (go test without -race runs this)")
	}
	in := newBenchInput(t)
	targets, bodies := handlerInputs(t, in, 64)
	measure := func(opts ...Option) float64 {
		h, err := NewHandler(in.token, in.encodingAESKey, append([]Option{WithReceiverID(in.rid)}, opts...)...)
		require.NoError(t, err)
		if len(opts) > 0 {
			require.Nil(t, h.dedup, "WithoutDedup keeps no de-dup state")
		}
		t.Cleanup(func() { _ = h.Close(context.Background()) })
		h.OnAddExternalContact(func(context.Context, *ExternalContactEvent) error { return nil })
		w := &discardWriter{h: http.Header{}}
		rdr := bytes.NewReader(nil)
		req := httptest.NewRequest(http.MethodPost, targets[0], rdr)
		i := 0
		return testing.AllocsPerRun(50, func() {
			k := i % len(bodies)
			i++
			rdr.Reset(bodies[k])
			req.URL.RawQuery = targets[k][len("/callback?"):]
			w.code = 0
			h.ServeHTTP(w, req)
			require.Equal(t, http.StatusOK, w.code, "answered")
		})
	}
	dedup := measure()
	none := measure(WithoutDedup())
	t.Logf("allocations per push: %.0f with de-dup, %.0f without", dedup, none)
	assert.LessOrEqual(t, dedup, 12.0)
	assert.LessOrEqual(t, none, dedup)
}
