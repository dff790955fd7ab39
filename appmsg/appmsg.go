package appmsg

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/scrmkit/scrm/internal/api"
	"github.com/scrmkit/scrm/wecom"
)

// Service sends, recalls and updates the application messages of one app
// in one corp: the app whose secret (or, for a Suite's corp client, whose
// authorization) made the client. The agent id every call names is the
// client's (wecom.Client.AgentID). It is safe for concurrent use and cheap
// to build.
type Service struct {
	c     *wecom.Client
	media *wecom.MediaCache
}

// Option configures a Service.
type Option func(*Service)

// WithMediaCache makes the Service upload the files of messages (Image.Upload,
// MpArticle.ThumbUpload...) through m, to share one cache with other
// packages or to set its refresh margin (default: a wecom.MediaCache of its
// own over the client's Store; nil keeps it).
func WithMediaCache(m *wecom.MediaCache) Option {
	return func(s *Service) {
		if m != nil {
			s.media = m
		}
	}
}

// New returns a Service that calls WeCom through c and uploads the files
// of messages through a wecom.MediaCache over c's Store (WithMediaCache to
// give another). Give a self-built app's client its agent id with
// wecom.WithAgentID; a Suite's corp clients know theirs.
func New(c *wecom.Client, opts ...Option) *Service {
	s := &Service{c: c}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.media == nil {
		s.media = wecom.NewMediaCache(c)
	}
	return s
}

// Client returns the client the Service calls through.
func (s *Service) Client() *wecom.Client { return s.c }

// MediaCache returns the cache the files of messages are uploaded through:
// a message given a file instead of a temporary media id (Image.Upload,
// Voice.Upload, Video.Upload, File.Upload, MpArticle.ThumbUpload, a
// template card's CardHorizontalContent.Upload) is sent with the media id
// the cache holds for the file, uploaded once and again shortly before
// WeCom forgets it (three days after the upload); when WeCom answers 40007
// for it all the same, the files are uploaded again and the message sent
// once more (WeCom refused the first, so nothing is sent twice). The
// caller's message is never modified, so a message built once (a
// reminder's image, a weekly report's file) works on any day, while a
// media id dies after three.
func (s *Service) MediaCache() *wecom.MediaCache { return s.media }

// ErrInvalidArgument is matched (errors.Is) by every error the package
// returns for bad input before anything is sent to WeCom.
var ErrInvalidArgument = errors.New("appmsg: invalid argument")

// check builds the errors of input refused before sending.
var check = api.Check{Pkg: "appmsg", Sentinel: ErrInvalidArgument}

// Per-call recipient limits of message/send (and of update_template_card's
// userids, partyids and tagids). SendMany splits a longer audience into
// calls of this size.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
const (
	// MaxUsers is the most members (touser) one call names.
	MaxUsers = 1000
	// MaxParties is the most departments (toparty) one call names.
	MaxParties = 100
	// MaxTags is the most tags (totag) one call names.
	MaxTags = 100
)

// idList is a list of ids WeCom answers either as one string joined with
// '|' ("userid1|userid2", as message/send does) or as a JSON array; it
// decodes both, so that no id of an answer is lost to its spelling.
type idList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *idList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			var s string
			if json.Unmarshal(r, &s) != nil {
				s = strings.Trim(string(r), `"`) // a number
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*l = out
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if json.Unmarshal(b, &n) == nil {
			*l = []string{n.String()}
			return nil
		}
		return err
	}
	*l = splitIDs(s)
	return nil
}

// splitIDs splits WeCom's "a|b|c" into its non-empty, trimmed parts.
func splitIDs(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, "|")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// chars counts characters as WeCom's "个字" limits do.
func chars(s string) int { return utf8.RuneCountInString(s) }

// translated reports whether s holds an id-translation placeholder
// ($userName=…$, $departmentName=…$): WeCom counts a field's length after
// translating it, so the SDK does not apply character limits to such a
// field.
func translated(s string) bool {
	return strings.Contains(s, "$userName=") || strings.Contains(s, "$departmentName=")
}

// charsIn refuses a value of fewer than lo or more than hi characters (lo 0:
// no lower bound), unless it holds an id-translation placeholder.
func charsIn(name, v string, lo, hi int) error {
	if translated(v) {
		return nil
	}
	if n := chars(v); n < lo || n > hi {
		if lo > 0 {
			return check.Invalidf("%s is %d characters long; WeCom takes %d to %d", name, n, lo, hi)
		}
		return check.Invalidf("%s is %d characters long; WeCom allows at most %d", name, n, hi)
	}
	return nil
}
