// Package api holds what every API package of the SDK (contact, groupchat,
// message, acquisition, kf, appmsg...) does the same way: making a call
// with the wecom.Op its endpoint needs, refusing bad input before anything
// is sent with an error that matches the package's ErrInvalidArgument, and
// sending a request whose temporary media ids come from files (SendMedia:
// filled from a wecom.MediaCache, uploaded again and sent once more after
// WeCom's 40007).
package api

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/scrmkit/scrm/wecom"
)

// Read is a POST endpoint that only reads: retried like a GET.
func Read(ctx context.Context, c *wecom.Client, path string, body, out any) error {
	return c.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: path, Body: body, Out: out, Op: wecom.OpRead})
}

// Idempotent is a POST endpoint that may be sent again (an edit, a delete).
func Idempotent(ctx context.Context, c *wecom.Client, path string, body, out any) error {
	return c.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: path, Body: body, Out: out, Op: wecom.OpIdempotent})
}

// Write is a POST endpoint that creates something: never re-sent once it
// may have reached WeCom.
func Write(ctx context.Context, c *wecom.Client, path string, body, out any) error {
	return c.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: path, Body: body, Out: out, Op: wecom.OpWrite})
}

// Get is a GET endpoint.
func Get(ctx context.Context, c *wecom.Client, path string, q url.Values, out any) error {
	return c.Get(ctx, path, q, out)
}

// Check builds a package's errors for input refused before sending: they
// read "<Pkg>: ..." and match Sentinel with errors.Is.
type Check struct {
	Pkg      string
	Sentinel error
}

type argError struct {
	msg      string
	sentinel error
}

func (e *argError) Error() string        { return e.msg }
func (e *argError) Is(target error) bool { return target == e.sentinel }

// Invalidf is the error for bad input described by format.
func (k Check) Invalidf(format string, args ...any) error {
	return &argError{msg: k.Pkg + ": " + fmt.Sprintf(format, args...), sentinel: k.Sentinel}
}

// Required refuses an empty value.
func (k Check) Required(name, v string) error {
	if v == "" {
		return k.Invalidf("%s is required", name)
	}
	return nil
}

// MaxChars refuses a value longer than n characters.
func (k Check) MaxChars(name, v string, n int) error {
	if c := utf8.RuneCountInString(v); c > n {
		return k.Invalidf("%s is %d characters long; WeCom allows at most %d", name, c, n)
	}
	return nil
}

// MaxBytes refuses a value longer than n bytes of UTF-8.
func (k Check) MaxBytes(name, v string, n int) error {
	if len(v) > n {
		return k.Invalidf("%s is %d bytes long; WeCom allows at most %d", name, len(v), n)
	}
	return nil
}

// MaxItems refuses a list longer than n.
func MaxItems[T any](k Check, name string, v []T, n int) error {
	if len(v) > n {
		return k.Invalidf("%s has %d items; WeCom allows at most %d per call", name, len(v), n)
	}
	return nil
}

// FirstErr returns the first non-nil error.
func FirstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// ErrSeq is an iterator that yields err once.
func ErrSeq[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
