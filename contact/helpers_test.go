package contact_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// setup starts a fake WeCom and returns it with a Service wired to it.
func setup(t testing.TB, opts ...wecom.Option) (*wecomtest.Server, *contact.Service) {
	t.Helper()
	srv := wecomtest.NewServer(t)
	return srv, contact.New(srv.Client(opts...))
}

// seed adds members and n customers spread over them.
func seed(t testing.TB, srv *wecomtest.Server, n int, staff ...string) []string {
	t.Helper()
	if err := srv.Corp(srv.CorpID).AddStaff(staff...); err != nil {
		t.Fatal(err)
	}
	ids, err := srv.Corp(srv.CorpID).SeedCustomers(n, staff)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// lastBody decodes the body of the last request the server got for path.
func lastBody(t testing.TB, srv *wecomtest.Server, path string) map[string]any {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			var m map[string]any
			if err := json.Unmarshal(reqs[i].Body, &m); err != nil {
				t.Fatalf("%s: body %q: %v", path, reqs[i].Body, err)
			}
			return m
		}
	}
	t.Fatalf("no request for %s", path)
	return nil
}

func wantCode(t testing.TB, err error, code int) {
	t.Helper()
	if got := wecom.ErrorCode(err); got != code {
		t.Fatalf("errcode = %d (err %v), want %d", got, err, code)
	}
}

func wantInvalid(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, contact.ErrInvalidArgument) {
		t.Fatalf("err = %v, want ErrInvalidArgument", err)
	}
}

var bg = context.Background()
