package wecom

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The fast path takes only answers whose errcode encoding/json reads as 0:
// another key that json matches to errcode (any case, or spelled with \u
// escapes; found by FuzzOKPrefixAgreesWithFullDecode) sends the answer to
// the full decode.
func TestOKPrefixLeavesEveryOtherErrcodeToTheFullDecode(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`{"errcode":0,"eRrCode":1}`,
		`{"errcode":0,"ERRCODE":40001,"errmsg":"x"}`,
		`{"errcode":0,"\u0065rrcode":40014}`,
		`{"errcode":0,"errcod\u0065":1}`,
		`{"errcode":0,"errmsg":"ok","errcode":5}`,
	} {
		assert.False(t, okPrefix([]byte(s)), "%s", s)
		var env struct {
			Code *int `json:"errcode"`
		}
		if assert.NoError(t, json.Unmarshal([]byte(s), &env)) {
			assert.NotEqual(t, 0, *env.Code, "%s: the full decode sees another errcode", s)
		}
	}
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok","ip_list":["1.2.3.4"]}`,
		` {"errcode":0,"errmsg":"ok","external_contact":{"name":"张三"}}`,
	} {
		assert.True(t, okPrefix([]byte(s)), "%s", s)
	}
}
