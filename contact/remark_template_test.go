package contact

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRemarkTemplate(t *testing.T) {
	t.Parallel()
	added := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) // March 2nd in China
	v := remarkValues{channel: "poster", name: "王小明", added: added}
	for tmpl, want := range map[string]string{
		"":                 "",
		"{name}·{channel}": "王小明·poster",
		"{channel}-{date}": "poster-20260302",
		"{{{name}}}":       "{王小明}",
		"vip":              "vip",
		"{name}{name}{name}{name}{name}{name}{name}{name}": "王小明王小明王小明王小明王小明王小明王小",
		"a\tb{name}": "a b王小明",
	} {
		p, err := parseRemarkTemplate(tmpl)
		require.NoError(t, err, tmpl)
		assert.Equal(t, want, p.render(v), tmpl)
		assert.Equal(t, strings.Contains(tmpl, "{name}"), p.needsName(), tmpl)
	}
	for _, bad := range []string{"{nickname}", "{name", "}", "a}b", "{}", "\xff", strings.Repeat("x", maxRemarkTemplateLen+1)} {
		_, err := parseRemarkTemplate(bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%q", bad)
	}
	p, _ := parseRemarkTemplate("{date}")
	assert.Empty(t, p.render(remarkValues{}), "no time, no date")
}

// FuzzRemarkTemplate: parsing any template never panics; one that parses
// renders within WeCom's remark limit, and a template without braces
// renders as itself (cut).
func FuzzRemarkTemplate(f *testing.F) {
	for _, s := range []string{"", "{name}·{channel}", "{{", "}}", "{date}{", "{na}me}", "王{name}", "\x00{channel}", strings.Repeat("{name}", 40)} {
		f.Add(s, "王小明")
	}
	f.Fuzz(func(t *testing.T, tmpl, name string) {
		p, err := parseRemarkTemplate(tmpl)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidArgument, "%q", tmpl)
			return
		}
		out := p.render(remarkValues{channel: "c", name: name, added: time.Unix(1_700_000_000, 0)})
		require.LessOrEqual(t, utf8.RuneCountInString(out), maxCustomerRemarkLen, "%q made %q", tmpl, out)
		if !strings.ContainsAny(tmpl, "{}") && utf8.ValidString(tmpl) {
			want := []rune(tmpl)
			if len(want) > maxCustomerRemarkLen {
				want = want[:maxCustomerRemarkLen]
			}
			for i, r := range want {
				if r < 0x20 || r == 0x7f {
					want[i] = ' '
				}
			}
			require.Equal(t, strings.TrimSpace(string(want)), out, "%q rendered", tmpl)
		}
	})
}
