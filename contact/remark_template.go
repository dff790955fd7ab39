package contact

import (
	"strings"
	"time"
	"unicode/utf8"
)

// maxCustomerRemarkLen is the longest remark a member may set on a
// customer (RemarkRequest.Remark), in characters.
const maxCustomerRemarkLen = 20

// A remark template (Channel.Remark) is text with placeholders in braces,
// filled in for each customer who comes through the channel:
//
//	{channel}  the channel's name
//	{name}     the customer's name (read with externalcontact/get)
//	{date}     the day the customer was added, YYYYMMDD in China Standard Time
//
// "{{" and "}}" stand for "{" and "}". Any other brace is an error. What the
// template makes is cut to 20 characters, the longest remark WeCom takes.

// remarkField is a placeholder of a remark template.
type remarkField int

const (
	remarkLiteral remarkField = iota
	remarkChannel
	remarkName
	remarkDate
)

var remarkFields = map[string]remarkField{"channel": remarkChannel, "name": remarkName, "date": remarkDate}

type remarkPart struct {
	field remarkField
	text  string // remarkLiteral only
}

// remarkTemplate is a parsed remark template.
type remarkTemplate []remarkPart

// maxRemarkTemplateLen bounds a template's length, in bytes: generous,
// since what it makes is cut to maxCustomerRemarkLen characters anyway.
const maxRemarkTemplateLen = 200

// parseRemarkTemplate parses s (see Channel.Remark).
func parseRemarkTemplate(s string) (remarkTemplate, error) {
	if len(s) > maxRemarkTemplateLen {
		return nil, check.Invalidf("Remark template is %d bytes long; at most %d", len(s), maxRemarkTemplateLen)
	}
	if !utf8.ValidString(s) {
		return nil, check.Invalidf("Remark template is not valid UTF-8")
	}
	var (
		t   remarkTemplate
		lit strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			t = append(t, remarkPart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '{' && strings.HasPrefix(s[i:], "{{"), c == '}' && strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte(c)
			i += 2
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, check.Invalidf("Remark template %q: %q is not closed", s, s[i:])
			}
			name := s[i+1 : i+end]
			f, ok := remarkFields[name]
			if !ok {
				return nil, check.Invalidf("Remark template %q: unknown placeholder {%s}; want {channel}, {name} or {date}", s, name)
			}
			flush()
			t = append(t, remarkPart{field: f})
			i += end + 1
		case c == '}':
			return nil, check.Invalidf("Remark template %q: a lone '}' (write }} for one)", s)
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return t, nil
}

// needsName reports whether the template uses {name}.
func (t remarkTemplate) needsName() bool {
	for _, p := range t {
		if p.field == remarkName {
			return true
		}
	}
	return false
}

// remarkValues fill a template.
type remarkValues struct {
	channel, name string
	added         time.Time
}

// render fills the template and cuts the result to maxCustomerRemarkLen
// characters. Control characters (from a name, say) become spaces.
func (t remarkTemplate) render(v remarkValues) string {
	var b strings.Builder
	for _, p := range t {
		switch p.field {
		case remarkLiteral:
			b.WriteString(p.text)
		case remarkChannel:
			b.WriteString(v.channel)
		case remarkName:
			b.WriteString(v.name)
		case remarkDate:
			if !v.added.IsZero() {
				b.WriteString(v.added.In(chinaTime).Format("20060102"))
			}
		}
	}
	out := make([]rune, 0, maxCustomerRemarkLen)
	for _, r := range b.String() {
		if len(out) == maxCustomerRemarkLen {
			break
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		out = append(out, r)
	}
	return strings.TrimSpace(string(out))
}
