package appmsg

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeSendResponse feeds message/send answers to the decoder: the id
// lists (a "a|b" string or a JSON array, as WeCom spells them) never hold
// an empty or untrimmed id, and a "|"-joined string loses none of its ids.
func FuzzDecodeSendResponse(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok","invaliduser":"userid1|userid2","invalidparty":"partyid1|partyid2","invalidtag":"tagid1|tagid2","unlicenseduser":"userid3|userid4","msgid":"xxxx","response_code":"xyzxyz"}`,
		`{"invaliduser":["a"," b ",""],"invalidparty":[1,2],"invalidtag":[]}`,
		`{"invaliduser":12,"invalidparty":" | ","invalidtag":null}`,
		`{"invaliduser":"a||b|"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r sendAnswer
		if json.Unmarshal(b, &r) != nil {
			return
		}
		for _, l := range [][]string{r.InvalidUser, r.InvalidParty, r.InvalidTag, r.UnlicensedUser} {
			for _, id := range l {
				require.NotEmpty(t, id, "an empty id in %q", l)
				require.Equal(t, strings.TrimSpace(id), id, "id %q in %q", id, l)
			}
		}
		var raw struct {
			InvalidUser json.RawMessage `json:"invaliduser"`
		}
		if json.Unmarshal(b, &raw) != nil {
			return
		}
		var s string
		if json.Unmarshal(raw.InvalidUser, &s) == nil {
			for _, p := range strings.Split(s, "|") {
				if p = strings.TrimSpace(p); p != "" {
					require.Contains(t, strings.Join(r.InvalidUser, "|"), p, "%q lost id %q: %q", s, p, r.InvalidUser)
				}
			}
		}
	})
}
