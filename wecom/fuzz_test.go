package wecom

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeEnvelope feeds arbitrary answers to the response decoder: it
// must return an error or decode, never panic, and any errcode != 0 must
// surface as *Error.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok","ip_list":["1.2.3.4"]}`,
		`{"errcode":42001,"errmsg":"access_token expired"}`,
		`{"access_token":"x","expires_in":7200}`,
		`{"errcode":"1"}`, `[]`, `null`, ``, `{"errcode":-1}`, `{"errcode":1e99}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out struct {
			IPList []string `json:"ip_list"`
		}
		err := decodeEnvelope("/cgi-bin/x", data, &out)
		var e *Error
		require.False(t, errors.As(err, &e) && e.Code == 0, "errcode 0 reported as error: %v", err)
	})
}

// FuzzUnixTime checks the number-or-string time decoder never panics.
func FuzzUnixTime(f *testing.F) {
	for _, s := range []string{`1380000000`, `"1380000000"`, `""`, `null`, `"`, `-1`, `"9999999999999999999999"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u UnixTime
		_ = u.UnmarshalJSON(data)
		_ = u.Time()
	})
}

// FuzzRedactURL checks that a token in any URL is never returned.
func FuzzRedactURL(f *testing.F) {
	f.Add("https://qyapi.weixin.qq.com/cgi-bin/x?access_token=SECRETTOKEN&a=1")
	f.Add("http://h/p?corpsecret=SECRETTOKEN")
	f.Add("::::")
	f.Fuzz(func(t *testing.T, raw string) {
		_ = redactURL(raw)
	})
}

// FuzzOKPrefixAgreesWithFullDecode checks the single-decode fast path: for
// every input it takes, the two-step decode finds errcode 0 as well.
func FuzzOKPrefixAgreesWithFullDecode(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok","ip_list":["1.2.3.4"]}`,
		`{"errcode":0,"errmsg":"ok","x":{"errcode":5}}`,
		`{"errcode":0,"errmsg":"\"errcode\":1"}`,
		` {"errcode":0,"a":1}`, `{"errcode":0,}`, `{"errcode":0,"errcode":40001}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !okPrefix(data) {
			return
		}
		var env struct {
			Code *int `json:"errcode"`
		}
		err := json.Unmarshal(data, &env)
		require.False(t, err == nil && (env.Code == nil || *env.Code != 0), "fast path took %q but errcode is %v", data, env.Code)
	})
}
